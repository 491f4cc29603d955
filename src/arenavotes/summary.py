"""A plain-text summary of a workspace: what came in, what was kept, what was quarantined and why.

>>> from arenavotes import db
>>> print(workspace_summary(db.connect(None)))
no battles yet: run 'arenavotes ingest FILE...'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import polars as pl

from arenavotes.db import frame
from arenavotes.display import text_table


def workspace_summary(con: duckdb.DuckDBPyConnection) -> str:
    total = con.sql("SELECT count(*) FROM battles").fetchall()[0][0]
    quarantined = con.sql("SELECT count(*) FROM quarantine").fetchall()[0][0]
    if total == 0 and quarantined == 0:
        return "no battles yet: run 'arenavotes ingest FILE...'"
    out = []
    sources = con.sql("""
        SELECT s.source, s.format, s.rows_in, s.kept, s.quarantined,
               (SELECT count(DISTINCT m) FROM (SELECT model_a AS m FROM battles b WHERE b.source = s.source
                                               UNION SELECT model_b FROM battles b WHERE b.source = s.source)) AS models
        FROM sources s ORDER BY s.source
    """).fetchall()
    out.append(text_table(sources, ("source", "format", "records", "battles", "quarantined", "models")))
    models = con.sql(
        "SELECT count(DISTINCT m) FROM (SELECT model_a m FROM battles UNION SELECT model_b FROM battles)"
    ).fetchall()[0][0]
    voters = con.sql("SELECT count(DISTINCT voter_id) FROM battles").fetchall()[0][0]
    texts = con.sql("SELECT count(DISTINCT battle_id) FROM conversations").fetchall()[0][0]
    out.append(
        f"\n{total:,} battles, {models:,} models, {voters:,} pseudonymous voters, "
        f"{texts:,} battles with text, {quarantined:,} records quarantined"
    )
    winners = con.sql("SELECT winner, count(*) FROM battles GROUP BY 1 ORDER BY 2 DESC").fetchall()
    out.append("outcomes: " + ", ".join(f"{w} {n:,}" for w, n in winners))
    if quarantined:
        reasons = con.sql("SELECT reason, count(*) AS n FROM quarantine GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
        out.append("\nquarantined by reason:\n" + text_table(reasons, ("reason", "rows")))
    return "\n".join(out)


def quality_counts(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[str],
    since: str | None = None,
    until: str | None = None,
    arena: str | None = None,
) -> dict[str, pl.DataFrame]:
    """What happened to the data of ``sources``, largest first: records quarantined at ingest by reason
    (``quarantine``: reason, rows), battles flagged by flag (``flags``: flag, battles) and PII spans replaced
    by entity (``pii``: entity, spans). ``since``/``until`` limit flags and PII to battles in that time window;
    quarantined records have no trustworthy timestamp, so they always count for the whole sources.
    The release manifest and the monthly report both show these; ``arena`` limits flags and PII to one kind."""
    window = "b.source IN (SELECT unnest(?))"
    args: list[Any] = [list(sources)]
    if arena:
        window += " AND b.arena = ?"
        args.append(arena)
    if since and until:
        window += " AND b.tstamp >= ?::TIMESTAMPTZ AND b.tstamp < ?::TIMESTAMPTZ"
        args += [since, until]
    return {
        "quarantine": frame(
            con,
            "SELECT reason, count(*) AS rows FROM quarantine WHERE source IN (SELECT unnest(?)) "
            "GROUP BY 1 ORDER BY 2 DESC, 1",
            [list(sources)],
        ),
        "flags": frame(
            con,
            "SELECT f.flag, count(DISTINCT f.battle_id) AS battles FROM flags f JOIN battles b "
            f"USING (battle_id) WHERE {window} GROUP BY 1 ORDER BY 2 DESC, 1",
            args,
        ),
        "pii": frame(
            con,
            "SELECT p.entity, sum(p.count)::BIGINT AS spans FROM pii_findings p JOIN battles b "
            f"USING (battle_id) WHERE {window} GROUP BY 1 ORDER BY 2 DESC, 1",
            args,
        ),
    }
