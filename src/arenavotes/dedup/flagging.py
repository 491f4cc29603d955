"""The shape every detector returns: flag rows (battle_id, flag, detector, score, reason).

Detectors never delete. Each has a name and a version (``prompts/exact@1``); a change in what a
detector flags bumps its version so that flags from different versions are never confused.

>>> f = flags(["b1"], "fast_vote", "votes/fast@1", [1.5], ["1.5 s after the voter's previous vote"])
>>> f.rows()
[('b1', 'fast_vote', 'votes/fast@1', 1.5, "1.5 s after the voter's previous vote")]
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from arenavotes.vocab import ALL_FLAGS
from arenavotes.vocab import DEFAULT_EXCLUDE_FLAGS as DEFAULT_EXCLUDE

FLAG_SCHEMA = {
    "battle_id": pl.String,
    "flag": pl.String,
    "detector": pl.String,
    "score": pl.Float64,
    "reason": pl.String,
}

__all__ = ["ALL_FLAGS", "DEFAULT_EXCLUDE", "FLAG_SCHEMA", "empty", "flags", "from_frame"]


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=FLAG_SCHEMA)


def flags(
    battle_ids: Sequence[str] | pl.Series,
    flag: str,
    detector: str,
    scores: Sequence[float | None] | pl.Series,
    reasons: Sequence[str] | pl.Series,
) -> pl.DataFrame:
    n = len(battle_ids)
    return pl.DataFrame(
        {"battle_id": battle_ids, "flag": [flag] * n, "detector": [detector] * n, "score": scores, "reason": reasons},
        schema=FLAG_SCHEMA,
    )


def from_frame(frame: pl.DataFrame, flag: str, detector: str) -> pl.DataFrame:
    """Flags from a frame with battle_id, score and reason columns."""
    return frame.select(
        pl.col("battle_id").cast(pl.String),
        pl.lit(flag).alias("flag"),
        pl.lit(detector).alias("detector"),
        pl.col("score").cast(pl.Float64),
        pl.col("reason").cast(pl.String),
    )
