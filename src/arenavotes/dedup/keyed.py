"""The repeat detectors over keyed battles held in DuckDB: exact duplicates, LMArena's frequency cap, and
duplicate votes, run as SQL over a table of (battle_id, tstamp, key, voter_id, model_a, model_b).

The table is made by :func:`keyed_table` from the battles and the prompt keys that :func:`~arenavotes.dedup.
repeats` writes batch by batch, and DuckDB sorts, windows and spills it: only the flagged battles come back to
Python, where their reasons are written. Before, every battle with a prompt was held in Polars with its key and
sorted copies of it (a million conversations: ~0.4 GB at the duplicate-vote check). The definitions are those
of the module docstrings of :mod:`arenavotes.dedup.prompts` and :mod:`arenavotes.dedup.votes`; the tests hold
this SQL equal to them, written in Polars, on any log.

Order: "earlier" is by time (a missing time last), then battle id, compared as bytes -- DuckDB's default
collation and Polars' string order agree.

>>> import duckdb, datetime as dt
>>> con = duckdb.connect()
>>> t = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
>>> k = pl.DataFrame({"battle_id": ["1", "2", "3"], "tstamp": [t, t + dt.timedelta(seconds=5), None],
...                   "key": ["a", "a", "a"], "voter_id": ["v", "v", None], "model_a": ["x", "y", "x"],
...                   "model_b": ["y", "x", "y"]})
>>> _ = con.execute("CREATE TEMP TABLE k AS SELECT * FROM k")
>>> exact_duplicates(con, "k").select("battle_id", "reason").rows()
[('2', 'same prompt as 1 (occurrence 2 of 3)'), ('3', 'same prompt as 1 (occurrence 3 of 3)')]
>>> duplicate_votes(con, "k")["reason"].to_list()
['same voter, same models and prompt as 1, 5.0 s earlier']
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb
import numpy as np
import polars as pl

from arenavotes.db import frame, register_arrow, unregister_arrow
from arenavotes.dedup.flagging import empty, from_frame

#: the temporary tables of one :func:`~arenavotes.dedup.repeats` run: prompt keys, and keyed battles
KEYS, KEYED = "_dedup_keys", "_dedup_k"

#: "earlier" for every repeat detector
EARLIER = "tstamp NULLS LAST, battle_id"


@contextlib.contextmanager
def key_table(con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """An empty temporary table (battle_id, key) for :func:`put_keys`, dropped on exit."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {KEYS} (battle_id VARCHAR, key VARCHAR)")
    try:
        yield KEYS
    finally:
        con.execute(f"DROP TABLE IF EXISTS temp.{KEYS}")
        con.execute(f"DROP TABLE IF EXISTS temp.{KEYED}")


def put_keys(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame) -> None:
    """Add a batch of (battle_id, key) to :data:`KEYS`."""
    register_arrow(con, "_dedup_put_keys", keys.select("battle_id", "key").to_arrow())
    try:
        con.execute(f"INSERT INTO {KEYS} SELECT battle_id, key FROM _dedup_put_keys")
    finally:
        unregister_arrow(con, "_dedup_put_keys")


def keyed_table(con: duckdb.DuckDBPyConnection, battles: str) -> int:
    """Make :data:`KEYED` from the battles of the query ``battles`` (battle_id, tstamp, voter_id, model_a,
    model_b) that have a key in :data:`KEYS`; returns its rows."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {KEYED} AS
            SELECT b.battle_id, b.tstamp, k.key, b.voter_id, b.model_a, b.model_b
            FROM ({battles}) b JOIN {KEYS} k USING (battle_id)"""
    )
    (n,) = con.execute(f"SELECT count(*) FROM {KEYED}").fetchall()[0]
    return int(n)


@contextlib.contextmanager
def in_memory(k: pl.DataFrame) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory database holding the keyed battles ``k`` (battle_id, tstamp, key; voter_id, model_a and
    model_b null if missing) as :data:`KEYED`: the detectors below on a frame."""
    cols = ("battle_id", "tstamp", "key", "voter_id", "model_a", "model_b")
    k = k.select(pl.col(c) if c in k.columns else pl.lit(None, pl.String).alias(c) for c in cols)
    with duckdb.connect() as con:
        register_arrow(con, KEYED, k.to_arrow())
        yield con


def exact_duplicates(con: duckdb.DuckDBPyConnection, table: str = KEYED) -> pl.DataFrame:
    """``duplicate_prompt``: every battle of ``table`` whose key an earlier battle had; score its occurrence."""
    d = frame(
        con,
        f"""SELECT battle_id, occurrence, count, first FROM (
                SELECT battle_id, row_number() OVER w AS occurrence, count(*) OVER (PARTITION BY key) AS count,
                       first_value(battle_id) OVER w AS first
                FROM {table} WINDOW w AS (PARTITION BY key ORDER BY {EARLIER}))
            WHERE occurrence > 1""",
    )
    if d.height == 0:
        return empty()
    return from_frame(
        d.with_columns(
            score=pl.col("occurrence").cast(pl.Float64),
            reason=pl.format("same prompt as {} (occurrence {} of {})", "first", "occurrence", "count"),
        ),
        "duplicate_prompt",
        "prompts/exact@1",
    )


def cap_frequent(
    con: duckdb.DuckDBPyConnection, table: str = KEYED, quantile: float = 0.999, cap: int = 25, seed: int = 0
) -> tuple[pl.DataFrame, dict[str, float]]:
    """``prompt_capped``: LMArena's cap on over-represented prompts (see :mod:`arenavotes.dedup.prompts`) and
    what it removed. The cutoff is numpy's linear quantile of the prompts' counts; a prompt's battles are
    drawn by ``md5("{seed}:{battle_id}")`` (an order-free lottery) and those after the first ``cap`` flagged."""
    counts = con.execute(f"SELECT count(*) AS n FROM {table} GROUP BY key").fetchnumpy()["n"]
    if len(counts) == 0:
        return empty(), {"cutoff": 0.0, "prompts_capped": 0, "votes_flagged": 0, "share_flagged": 0.0}
    cutoff = float(np.quantile(counts, quantile))
    cap = cap or max(int(cutoff), 1)  # 0: keep the quantile's count, as FastChat's deduplication.py
    n, heavy = int(counts.sum()), int(((counts > cutoff) & (counts > cap)).sum())
    if heavy == 0:
        return empty(), {"cutoff": cutoff, "prompts_capped": 0, "votes_flagged": 0, "share_flagged": 0.0}
    out = frame(
        con,
        f"""SELECT battle_id, count FROM (
                SELECT battle_id, count(*) OVER (PARTITION BY key) AS count,
                       row_number() OVER (PARTITION BY key ORDER BY md5(? || ':' || battle_id), {EARLIER}) AS draw
                FROM {table} WHERE key IN (SELECT key FROM {table} GROUP BY key HAVING count(*) > ? AND count(*) > ?))
            WHERE draw > ?""",
        [str(seed), cutoff, cap, cap],
    )
    stats = {
        "cutoff": cutoff,
        "prompts_capped": int(heavy),
        "votes_flagged": out.height,
        "share_flagged": out.height / max(n, 1),
    }
    return from_frame(
        out.with_columns(
            score=pl.col("count").cast(pl.Float64),
            reason=pl.format(
                "prompt asked {} times (top {}% of prompts): {} kept, this one not drawn",
                "count",
                pl.lit(f"{(1 - quantile) * 100:g}"),
                pl.lit(cap),
            ),
        ),
        "prompt_capped",
        "prompts/cap@1",
    ), stats


def duplicate_votes(con: duckdb.DuckDBPyConnection, table: str = KEYED, window: float = 3600.0) -> pl.DataFrame:
    """``duplicate_vote``: a vote of ``table`` by the same voter on the same model pair (either order) and the
    same prompt key as their previous such vote, at most ``window`` seconds after it; score the gap in
    seconds (whole milliseconds). Votes without a voter or a time are not compared."""
    d = frame(
        con,
        f"""SELECT battle_id, gap_us, prev FROM (
                SELECT battle_id, epoch_us(tstamp) - epoch_us(lag(tstamp) OVER w) AS gap_us,
                       lag(battle_id) OVER w AS prev
                FROM {table} WHERE voter_id IS NOT NULL AND tstamp IS NOT NULL
                WINDOW w AS (PARTITION BY voter_id, least(model_a, model_b), greatest(model_a, model_b), key
                             ORDER BY tstamp, battle_id))
            WHERE gap_us IS NOT NULL AND gap_us <= ?""",
        [int(np.ceil(window * 1e6)) + 1_000],
    )
    # the gap in whole milliseconds, as Polars' ``dt.total_milliseconds`` gives it (the rows are in time order), times
    # 0.001: Polars divides a chunk of one row by 1000.0 exactly but multiplies longer chunks by 1/1000, so a
    # division gave 111.079 or 111.07900000000001 for the same gap as DuckDB happened to cut the result in batches
    d = d.with_columns(gap=(pl.col("gap_us") // 1000) * 0.001).filter(pl.col("gap") <= window)
    if d.height == 0:
        return empty()
    return from_frame(
        d.with_columns(
            score=pl.col("gap"),
            reason=pl.format("same voter, same models and prompt as {}, {} s earlier", "prev", pl.col("gap").round(1)),
        ),
        "duplicate_vote",
        "votes/duplicate@1",
    )
