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

FLAG_SCHEMA = {"battle_id": pl.String, "flag": pl.String, "detector": pl.String, "score": pl.Float64,
               "reason": pl.String}

#: Flags excluded from ratings and releases unless the user says otherwise (``--exclude-flags``).
#: The others are informational: repeated prompts are legitimate votes by different people.
DEFAULT_EXCLUDE = ("prompt_capped", "duplicate_vote", "identity_leak", "anomalous_voter")

ALL_FLAGS = ("duplicate_prompt", "prompt_capped", "near_duplicate_prompt", "duplicate_vote", "fast_vote",
             "daily_cap", "identity_leak", "anomalous_voter", "position_bias_voter", "single_model_voter")


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=FLAG_SCHEMA)


def flags(battle_ids: Sequence[str] | pl.Series, flag: str, detector: str, scores: Sequence[float | None] | pl.Series,
          reasons: Sequence[str] | pl.Series) -> pl.DataFrame:
    n = len(battle_ids)
    return pl.DataFrame({"battle_id": battle_ids, "flag": [flag] * n, "detector": [detector] * n,
                         "score": scores, "reason": reasons}, schema=FLAG_SCHEMA)


def from_frame(frame: pl.DataFrame, flag: str, detector: str) -> pl.DataFrame:
    """Flags from a frame with battle_id, score and reason columns."""
    return frame.select(
        pl.col("battle_id").cast(pl.String), pl.lit(flag).alias("flag"), pl.lit(detector).alias("detector"),
        pl.col("score").cast(pl.Float64), pl.col("reason").cast(pl.String))
