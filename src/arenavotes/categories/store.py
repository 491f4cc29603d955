"""Database edges of the categories stage: prompt features of a source's battles, and label writes.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> p, m, a = load_features(con, ["none"])
>>> p.height, m.height, a.height
(0, 0, 0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import polars as pl

from arenavotes.db import (
    TEXT_CHARS,
    arrow_execute,
    frame,
    id_batches,
    rowid_windows,
    transaction,
    weights_sql,
)
from arenavotes.ingest.style import token_counts
from arenavotes.schema import PROMPT_ROWS

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


def batch_windows(con: duckdb.DuckDBPyConnection, batches: Sequence[tuple[str, str]]) -> list[Windows]:
    """The ``rowid`` windows of ``battles`` and ``conversations`` for each of :func:`feature_batches`' ranges
    (:func:`arenavotes.db.rowid_windows`): what :func:`load_features` reads a batch with, so that a batch reads
    its own row groups and not every battle's id. Compute them in the transaction that reads the batches."""
    per = {t: rowid_windows(con, t, batches) for t in ("battles", "conversations")}
    return [{t: w[i] for t, w in per.items()} for i in range(len(batches))]


#: table -> (first, last) rowid of a batch's rows in it (see :func:`batch_windows`)
Windows = Mapping[str, tuple[int, int]]


def load_features(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[str],
    between: tuple[str, str] | None = None,
    windows: Windows | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(prompts, messages, answers) for the battles of ``sources`` that have text (``between``: only the
    battle ids from the first to the last of it, see :func:`feature_batches`; ``windows``: that range's
    :func:`batch_windows`, the same rows read faster).

    >>> from arenavotes import db
    >>> con = db.connect(None)
    >>> _ = con.execute("INSERT INTO battles (battle_id, source, model_a, model_b, winner) VALUES ('s:1', 's', 'x', 'y', 'tie')")
    >>> _ = con.execute("INSERT INTO conversations (battle_id, side, msg, turn, role, content) VALUES ('s:1', 'a', 0, 1, 'user', 'hi')")
    >>> [f.height for f in load_features(con, ["s"], ("s:1", "s:1"), batch_windows(con, [("s:1", "s:1")])[0])]
    [1, 1, 0]
    """
    params: list[object] = [list(sources)]
    bound = ""
    if between is not None:
        params += list(between)
        bound = "AND b.battle_id BETWEEN $2 AND $3 AND x.battle_id BETWEEN $2 AND $3"
    if windows is not None:
        params += [*windows["battles"], *windows["conversations"]]
        bound += " AND b.rowid BETWEEN $4 AND $5 AND x.rowid BETWEEN $6 AND $7"
    users = frame(
        con,
        f"""
        SELECT x.battle_id, x.turn, x.content FROM conversations x JOIN battles b USING (battle_id)
        WHERE {PROMPT_ROWS} AND b.source IN (SELECT unnest($1)) {bound}
        ORDER BY x.battle_id, x.turn""",
        params,
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
        SELECT x.battle_id, x.content FROM conversations x JOIN battles b USING (battle_id)
        WHERE b.source IN (SELECT unnest($1)) {bound} AND x.content IS NOT NULL""",
        params,
    )
    answers = frame(
        con,
        f"""
        SELECT x.battle_id, x.side, x.content AS text FROM conversations x JOIN battles b USING (battle_id)
        WHERE b.source IN (SELECT unnest($1)) {bound} AND x.role = 'assistant' AND x.side IN ('a', 'b')
          AND x.turn = 1 AND x.content IS NOT NULL""",
        params,
    )
    return prompts, messages, answers


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
