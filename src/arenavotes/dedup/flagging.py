"""The shape every detector returns: flag rows (battle_id, flag, detector, score, reason).

Detectors never delete. Each has a name and a version (``prompts/exact@1``); a change in what a
detector flags bumps its version so that flags from different versions are never confused.

>>> f = flags(["b1"], "fast_vote", "votes/fast@1", [1.5], ["1.5 s after the voter's previous vote"])
>>> f.rows()
[('b1', 'fast_vote', 'votes/fast@1', 1.5, "1.5 s after the voter's previous vote")]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import duckdb
import numpy as np
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

__all__ = [
    "ALL_FLAGS",
    "DEFAULT_EXCLUDE",
    "FLAG_COLUMNS",
    "FLAG_ROWS",
    "FLAG_SCHEMA",
    "BattleIds",
    "append_flags",
    "empty",
    "flags",
    "from_frame",
    "prompted_table",
    "row_ids",
]

#: rows of a battles frame (positions) -> their battle ids, in that order (a String Series)
BattleIds = Callable[[np.ndarray], pl.Series]


def row_ids(battles: pl.DataFrame, battle_ids: BattleIds | None = None) -> BattleIds:
    """How the detectors that work on row positions name the battles they flag: ``battle_ids`` if given (the
    stage's frame has no ids, and looks up only the flagged rows' ids in the workspace:
    :func:`arenavotes.dedup.store.battle_id_lookup`), else ``battles``' own ``battle_id`` column.

    >>> b = pl.DataFrame({"battle_id": ["x", "y", "z"]})
    >>> row_ids(b)(np.array([2, 0])).to_list()
    ['z', 'x']
    >>> row_ids(b.drop("battle_id"))(np.array([0]))
    Traceback (most recent call last):
    ValueError: the battles have no battle_id column and no battle_ids lookup was given
    """
    if battle_ids is not None:
        return battle_ids
    if "battle_id" not in battles.columns:
        raise ValueError("the battles have no battle_id column and no battle_ids lookup was given")
    column = battles["battle_id"]
    return lambda rows: column.cast(pl.String).gather(rows).alias("battle_id")


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


#: the flags' columns as DuckDB types (the ``flags`` table's, without the run id)
FLAG_COLUMNS = (
    ("battle_id", "VARCHAR"),
    ("flag", "VARCHAR"),
    ("detector", "VARCHAR"),
    ("score", "DOUBLE"),
    ("reason", "VARCHAR"),
)


def prompted_table(flags_table: str) -> str:
    """The temporary table beside ``flags_table`` (:func:`arenavotes.dedup.repeats` ``into``) that lists the
    battle ids with a prompt text; its name is known here alone.

    >>> prompted_table("_dedup_repeat_flags")
    '_dedup_repeat_flags_prompted'
    """
    return f"{flags_table}_prompted"


#: flag rows handed to DuckDB at once (:func:`append_flags`, :func:`arenavotes.dedup.store.replace_flags`)
FLAG_ROWS = 100_000


def append_flags(con: duckdb.DuckDBPyConnection, table: str, found: pl.DataFrame, rows: int = FLAG_ROWS) -> None:
    """Append the flag rows ``found`` to the temporary ``table`` of ``con``, ``rows`` at a time, read by DuckDB from Arrow.

    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TEMP TABLE f (battle_id VARCHAR, flag VARCHAR, detector VARCHAR, score DOUBLE, reason VARCHAR)")
    >>> append_flags(con, "f", flags(["b1", "b2"], "fast_vote", "votes/fast@1", [1.0, 2.0], ["r", "s"]), rows=1)
    >>> con.sql("SELECT battle_id, score FROM f ORDER BY battle_id").fetchall()
    [('b1', 1.0), ('b2', 2.0)]
    """
    cols = ", ".join(c for c, _ in FLAG_COLUMNS)
    for lo in range(0, found.height, rows):
        _flag_slice = found.slice(lo, rows).select(list(FLAG_SCHEMA)).to_arrow()  # read by DuckDB by this name
        con.execute(f"INSERT INTO {table} SELECT {cols} FROM _flag_slice")
