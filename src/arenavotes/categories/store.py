"""Database edges of the categories stage: prompt features of a source's battles, and label writes.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> p, m, a = load_features(con, ["none"])
>>> p.height, m.height, a.height
(0, 0, 0)
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from arenavotes.db import frame, transaction
from arenavotes.ingest.style import token_counts


def load_features(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(prompts, messages, answers) for the battles of ``sources`` that have text."""
    src = [list(sources)]
    users = frame(
        con,
        """
        SELECT p.battle_id, p.turn, p.content FROM prompts p JOIN battles b USING (battle_id)
        WHERE b.source IN (SELECT unnest(?)) ORDER BY p.battle_id, p.turn""",
        src,
    )
    users = users.with_columns(tokens=pl.Series(token_counts(users["content"].to_list()), dtype=pl.Int64))
    prompts = users.group_by("battle_id", maintain_order=True).agg(
        prompt=pl.col("content").fill_null("").str.join("\n"),
        first_user=pl.col("content").first().fill_null(""),
        user_turns=pl.len(),
        user_tokens=pl.col("tokens").fill_null(0).sum(),
    )
    messages = frame(
        con,
        """
        SELECT c.battle_id, c.content FROM conversations c JOIN battles b USING (battle_id)
        WHERE b.source IN (SELECT unnest(?)) AND c.content IS NOT NULL""",
        src,
    )
    answers = frame(
        con,
        """
        SELECT c.battle_id, c.side, c.content AS text FROM conversations c JOIN battles b USING (battle_id)
        WHERE b.source IN (SELECT unnest(?)) AND c.role = 'assistant' AND c.side IN ('a', 'b') AND c.turn = 1
          AND c.content IS NOT NULL""",
        src,
    )
    return prompts, messages, answers


def replace_labels(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], labels: pl.DataFrame, labelers: Sequence[str]
) -> None:
    """Replace the rows of ``labelers`` for the battles of ``sources``."""
    with transaction(con):
        con.execute(
            "DELETE FROM prompt_labels WHERE labeler IN (SELECT unnest(?)) AND battle_id IN "
            "(SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?)))",
            [list(labelers), list(sources)],
        )
        con.register("_labels", labels.to_arrow())
        con.execute("INSERT INTO prompt_labels SELECT battle_id, labeler, category, value, score FROM _labels")
        con.unregister("_labels")


def agreement(con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> pl.DataFrame:
    """Our labels against the source's own, per category both have: agreement, precision, recall."""
    return frame(
        con,
        """
        WITH ours AS (SELECT * FROM prompt_labels WHERE labeler LIKE 'offline/%'),
             theirs AS (SELECT * FROM prompt_labels WHERE labeler LIKE 'source/%')
        SELECT o.category, t.labeler AS source_labeler, count(*) AS battles,
               avg((o.value = t.value)::INT) AS agreement,
               sum((o.value AND t.value)::INT) / nullif(sum(o.value::INT), 0) AS precision,
               sum((o.value AND t.value)::INT) / nullif(sum(t.value::INT), 0) AS recall
        FROM ours o JOIN theirs t USING (battle_id, category)
        WHERE o.battle_id IN (SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?)))
        GROUP BY 1, 2 ORDER BY 1, 2""",
        [list(sources)],
    )


class DuckDBCache:
    """The judge's response cache in the workspace table ``judge_cache``."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def get(self, key: str) -> str | None:
        rows = self.con.execute("SELECT response FROM judge_cache WHERE key = ?", [key]).fetchall()
        return str(rows[0][0]) if rows else None

    def put(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO judge_cache VALUES (?, ?)", [key, value])
