"""Database edges of the categories stage: prompt features of a source's battles, and label writes.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> p, m, a = load_features(con, ["none"])
>>> p.height, m.height, a.height
(0, 0, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import polars as pl

from arenavotes.db import (
    TEXT_CHARS,
    arrow_execute,
    frame,
    id_batches,
    transaction,
    weights_sql,
)
from arenavotes.ingest.style import token_counts

if TYPE_CHECKING:
    from arenavotes.embeddings.encoder import Encoder

#: battles labelled together (labels depend on each battle alone, so batches only bound memory)
BATCH = 20_000


def feature_batches(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], size: int | None = None
) -> list[tuple[str, str]]:
    """(first, last) battle id of consecutive batches of ``size`` battles with prompt text (and at most about
    :data:`~arenavotes.db.TEXT_CHARS` characters of their messages), for :func:`load_features` (``between``)."""
    return id_batches(
        con,
        weights_sql(
            "FROM conversations c",
            "battle_id IN (SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?))) "
            "AND battle_id IN (SELECT battle_id FROM prompts)",
        ),
        [list(sources)],
        size or BATCH,
        TEXT_CHARS,
    )


def load_features(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], between: tuple[str, str] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(prompts, messages, answers) for the battles of ``sources`` that have text (``between``: only the
    battle ids from the first to the last of it, see :func:`feature_batches`)."""
    lo, hi = between if between is not None else (None, None)
    src = [list(sources), lo, hi]
    users = frame(
        con,
        f"""
        SELECT p.battle_id, p.turn, p.content FROM prompts p JOIN battles b USING (battle_id)
        WHERE b.source IN (SELECT unnest(?)) AND {_BETWEEN} ORDER BY p.battle_id, p.turn""",
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
        f"""
        SELECT c.battle_id, c.content FROM conversations c JOIN battles b USING (battle_id)
        WHERE b.source IN (SELECT unnest(?)) AND {_BETWEEN} AND c.content IS NOT NULL""",
        src,
    )
    answers = frame(
        con,
        f"""
        SELECT c.battle_id, c.side, c.content AS text FROM conversations c JOIN battles b USING (battle_id)
        WHERE b.source IN (SELECT unnest(?)) AND {_BETWEEN} AND c.role = 'assistant' AND c.side IN ('a', 'b')
          AND c.turn = 1 AND c.content IS NOT NULL""",
        src,
    )
    return prompts, messages, answers


_BETWEEN = "b.battle_id BETWEEN coalesce(CAST(? AS VARCHAR), b.battle_id) AND coalesce(CAST(? AS VARCHAR), b.battle_id)"


def prompt_vectors(
    con: duckdb.DuckDBPyConnection, prompts: pl.DataFrame, encoders: Sequence[Encoder]
) -> dict[str, np.ndarray]:
    """Each encoder's rows (``name@version`` -> array) for ``prompts`` (battle_id, prompt), in order, through the
    workspace's embedding cache: a prompt already embedded by an encoder (by ``embed``, ``p2l`` or an earlier
    run) is not encoded again, and new ones are kept for the next run."""
    from arenavotes.embeddings.cache import vectors_for, with_hashes

    keyed = with_hashes(con, prompts.select("battle_id", text=pl.col("prompt").fill_null("")))
    return {enc.name: vectors_for(con, keyed, enc) for enc in encoders}


def delete_labels(con: duckdb.DuckDBPyConnection, sources: Sequence[str], labelers: Sequence[str]) -> None:
    """Remove the rows of ``labelers`` for the battles of ``sources``."""
    con.execute(
        "DELETE FROM prompt_labels WHERE labeler IN (SELECT unnest(?)) AND battle_id IN "
        "(SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?)))",
        [list(labelers), list(sources)],
    )


def insert_labels(con: duckdb.DuckDBPyConnection, labels: pl.DataFrame) -> None:
    """Append label rows (read where they lie: inside categorize's one transaction per source, a temporary table
    per batch stayed until the commit, :func:`arenavotes.db.arrow_sql`)."""
    arrow_execute(
        con,
        "INSERT INTO prompt_labels SELECT battle_id, labeler, category, value, score FROM _arrow",
        labels.to_arrow(),
    )


def replace_labels(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], labels: pl.DataFrame, labelers: Sequence[str]
) -> None:
    """Replace the rows of ``labelers`` for the battles of ``sources``."""
    with transaction(con):
        delete_labels(con, sources, labelers)
        insert_labels(con, labels)


def agreement(con: duckdb.DuckDBPyConnection, sources: Sequence[str], rows: int = 2_000_000) -> pl.DataFrame:
    """Our offline labels against the source's own and the LLM judge's, per (category, our labeler, their
    labeler) both have: agreement, precision, recall.

    The labels are joined a group of categories at a time, each group with at most about ``rows`` of their
    labels, so that the join's hash table stays small however many battles a workspace has (all categories at
    once held every source label of 1M battles and ran out of a 400 MB DuckDB cap)."""
    theirs_by_category = con.execute(
        """
        SELECT category, count(*) FROM prompt_labels
        WHERE (labeler LIKE 'source/%' OR labeler LIKE 'judge/%')
          AND battle_id IN (SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?)))
          AND category IN (SELECT DISTINCT category FROM prompt_labels WHERE labeler LIKE 'offline/%')
        GROUP BY 1 ORDER BY 1""",
        [list(sources)],
    ).fetchall()
    groups: list[list[str]] = [[]]
    held = 0
    for category, n in theirs_by_category:
        if groups[-1] and held + n > rows:
            groups.append([])
            held = 0
        groups[-1].append(category)
        held += n
    if not groups[0]:
        groups = [[""]]  # no category both have: the query below on no category gives its empty, typed table
    parts = [
        frame(
            con,
            """
            WITH mine AS (SELECT battle_id FROM battles WHERE source IN (SELECT unnest($2))),
                 ours AS (SELECT * FROM prompt_labels WHERE labeler LIKE 'offline/%'
                          AND category IN (SELECT unnest($1)) AND battle_id IN (SELECT battle_id FROM mine)),
                 theirs AS (SELECT * FROM prompt_labels WHERE (labeler LIKE 'source/%' OR labeler LIKE 'judge/%')
                            AND category IN (SELECT unnest($1)) AND battle_id IN (SELECT battle_id FROM mine))
            SELECT o.category, o.labeler, t.labeler AS source_labeler, count(*) AS battles,
                   avg((o.value = t.value)::INT) AS agreement,
                   sum((o.value AND t.value)::INT) / nullif(sum(o.value::INT), 0) AS precision,
                   sum((o.value AND t.value)::INT) / nullif(sum(t.value::INT), 0) AS recall
            FROM ours o JOIN theirs t USING (battle_id, category)
            GROUP BY 1, 2, 3""",
            [group, list(sources)],
        )
        for group in groups
    ]
    return pl.concat(parts).sort("category", "labeler", "source_labeler")


class DuckDBCache:
    """The judge's response cache in the workspace table ``judge_cache``."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def get(self, key: str) -> str | None:
        rows = self.con.execute("SELECT response FROM judge_cache WHERE key = ?", [key]).fetchall()
        return str(rows[0][0]) if rows else None

    def put(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO judge_cache VALUES (?, ?)", [key, value])
