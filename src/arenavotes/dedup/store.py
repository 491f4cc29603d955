"""Database edges of the dedup stage: read one source's battles and texts, replace its flags.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> flag_counts(con).height
0
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from arenavotes.db import frame, register_arrow, transaction, unregister_arrow
from arenavotes.dedup.flagging import DEFAULT_EXCLUDE


def load_source(con: duckdb.DuckDBPyConnection, source: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(battles, prompt texts, answers) of one source."""
    battles = frame(
        con,
        "SELECT battle_id, tstamp, model_a, model_b, winner, voter_id, anony, tokens_a, tokens_b "
        "FROM battles WHERE source = ? ORDER BY battle_id",
        [source],
    )
    texts = frame(
        con,
        "SELECT p.battle_id, string_agg(p.content, chr(10) ORDER BY p.turn) AS text FROM prompts p "
        "JOIN battles b USING (battle_id) WHERE b.source = ? GROUP BY 1",
        [source],
    )
    answers = frame(
        con,
        "SELECT c.battle_id, c.side, string_agg(c.content, chr(10) ORDER BY c.turn) AS text "
        "FROM conversations c JOIN battles b USING (battle_id) WHERE b.source = ? "
        "AND c.role = 'assistant' AND c.side IN ('a', 'b') AND c.content IS NOT NULL GROUP BY 1, 2",
        [source],
    )
    return battles, texts, answers


def load_repeat_inputs(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(battles, prompt texts) of every source: what the repeated-prompt and repeated-vote detectors compare."""
    battles = frame(
        con, "SELECT battle_id, source, tstamp, model_a, model_b, voter_id FROM battles ORDER BY battle_id", []
    )
    texts = frame(
        con,
        "SELECT battle_id, string_agg(content, chr(10) ORDER BY turn) AS text FROM prompts GROUP BY 1 ORDER BY 1",
        [],
    )
    return battles, texts


def replace_flags(con: duckdb.DuckDBPyConnection, source: str, flags: pl.DataFrame, run_id: str) -> None:
    with transaction(con):
        con.execute("DELETE FROM flags WHERE battle_id IN (SELECT battle_id FROM battles WHERE source = ?)", [source])
        register_arrow(con, "_flags", flags.with_columns(run_id=pl.lit(run_id)).to_arrow())
        con.execute("INSERT INTO flags SELECT battle_id, flag, detector, score, reason, run_id FROM _flags")
        unregister_arrow(con, "_flags")


def flag_counts(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str] | None = None, exclude: Sequence[str] = DEFAULT_EXCLUDE
) -> pl.DataFrame:
    """Flagged battles by source, flag and detector, and whether the policy excludes them."""
    where, params = "", []
    if sources:
        where, params = "WHERE b.source IN (SELECT unnest(?))", [list(sources)]
    return frame(
        con,
        f"""
        SELECT b.source, f.flag, f.detector, count(*) AS battles, f.flag IN (SELECT unnest(?)) AS excluded
        FROM flags f JOIN battles b USING (battle_id) {where}
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        [list(exclude), *params],
    )
