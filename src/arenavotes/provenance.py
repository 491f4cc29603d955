"""Provenance: which stages each source has been through, with which settings, since it was ingested.

Every stage that works per source (``scrub``, ``dedup``, ``categorize``, ``rate``) records a row in
``source_stages`` for each source it processed, tied to the ingest run that loaded the source's current
data. Re-ingesting a source (``--replace``) makes its earlier stage rows stale: they no longer match the
source's ingest run, so ``status`` shows them as stale and ``release`` treats the stage as not done.

A release needs ``dedup`` for every source (the flag policy is meaningless otherwise) and ``scrub`` for every
source with texts; ``release --allow-missing STAGE`` releases anyway and says so on the dataset card.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> _ = con.execute("INSERT INTO sources VALUES ('s', 'f', 'x', 'generic', '{}', 1, 1, 0, 'r1')")
>>> missing_stages(con, ["s"])
{'s': ['dedup']}
>>> record(con, ["s"], "dedup", "r2", "abc")
>>> missing_stages(con, ["s"])
{}
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from arenavotes.db import frame

STAGES = ("scrub", "dedup", "categorize", "rate")
#: The stages a release needs from every source (scrub only where the source has texts).
REQUIRED_FOR_RELEASE = ("scrub", "dedup")


def record(con: duckdb.DuckDBPyConnection, sources: Sequence[str], stage: str, run_id: str, settings_hash: str) -> None:
    """Note that ``stage`` ran (run ``run_id``, settings ``settings_hash``) on the current data of ``sources``."""
    con.execute(
        """
        INSERT OR REPLACE INTO source_stages
        SELECT source, ?, run_id, ?, ?, now() FROM sources WHERE source IN (SELECT unnest(?))
    """,
        [stage, settings_hash, run_id, list(sources)],
    )


def stage_table(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per source: for each stage 'done <UTC time> [settings hash]', 'stale (source re-ingested)',
    'missing', or 'not needed' (scrub and categorize for sources without texts).

    Which sources have texts is one semi join, not an ``EXISTS`` per source: DuckDB runs a correlated
    ``EXISTS`` as a join it cannot spill, which ran out of a 250 MB cap at 1M conversations (so ``status`` and
    ``release`` would have run out of their 400 MB near 2M); the semi join spills, and ran within 100 MB there."""
    cols = ", ".join(
        f"""
        CASE WHEN st_{s}.stage IS NULL THEN
                  CASE WHEN '{s}' IN ('scrub', 'categorize') AND NOT has_text THEN 'not needed' ELSE 'missing' END
             WHEN st_{s}.ingest_run <> s.run_id THEN 'stale (source re-ingested)'
             ELSE 'done ' || strftime(st_{s}.finished, '%Y-%m-%d %H:%M') || ' [' || st_{s}.settings_hash || ']'
        END AS {s}"""
        for s in STAGES
    )
    joins = " ".join(
        f"LEFT JOIN source_stages st_{s} ON st_{s}.source = s.source AND st_{s}.stage = '{s}'" for s in STAGES
    )
    return frame(
        con,
        f"""
        SELECT s.source, {cols}
        FROM (SELECT s.*, s.source IN (SELECT DISTINCT b.source FROM battles b SEMI JOIN conversations c
                                       USING (battle_id)) AS has_text FROM sources s) s
        {joins}
        ORDER BY s.source""",
    )


def missing_stages(con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> dict[str, list[str]]:
    """The stages a release needs that each of ``sources`` has not been through (since its last ingest)."""
    table = stage_table(con).filter(pl.col("source").is_in(list(sources)))
    out: dict[str, list[str]] = {}
    for row in table.iter_rows(named=True):
        lacking = [s for s in REQUIRED_FOR_RELEASE if not row[s].startswith(("done", "not needed"))]
        if lacking:
            out[row["source"]] = lacking
    return out


def set_source_meta(
    con: duckdb.DuckDBPyConnection,
    source: str,
    *,
    license: str | None = None,
    license_url: str | None = None,
    citation: str | None = None,
    description: str | None = None,
) -> None:
    """Record what a release's dataset card says about ``source`` (given values replace earlier ones)."""
    con.execute("INSERT OR IGNORE INTO source_meta VALUES (?, NULL, NULL, NULL, NULL)", [source])
    for column, value in (
        ("license", license),
        ("license_url", license_url),
        ("citation", citation),
        ("description", description),
    ):
        if value is not None:
            con.execute(f"UPDATE source_meta SET {column} = ? WHERE source = ?", [value.strip() or None, source])


def source_meta(con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> dict[str, dict[str, str | None]]:
    """``{source: {license, license_url, citation, description}}`` (None where not given)."""
    rows = con.execute(
        "SELECT s.source, m.license, m.license_url, m.citation, m.description FROM sources s "
        "LEFT JOIN source_meta m USING (source) WHERE s.source IN (SELECT unnest(?)) ORDER BY 1",
        [list(sources)],
    ).fetchall()
    return {r[0]: {"license": r[1], "license_url": r[2], "citation": r[3], "description": r[4]} for r in rows}
