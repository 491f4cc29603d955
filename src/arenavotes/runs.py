"""The ``runs`` table: what every stage did, with counts by reason.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> rid = new_run_id()
>>> record_run(con, rid, "ingest", "abc", started=utcnow(), target="x.json", rows_in=3, rows_out=2,
...            counts={"quarantined": {"unknown_winner": 1}})
>>> con.sql("select stage, rows_in, rows_out from runs").fetchall()
[('ingest', 3, 2)]
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import duckdb

from arenavotes import __version__


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]


def record_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    stage: str,
    settings_hash: str,
    *,
    started: dt.datetime,
    target: str | None,
    rows_in: int | None,
    rows_out: int | None,
    counts: dict[str, Any],
) -> None:
    """Append one row to ``runs``; ``counts`` is stored as JSON (keys sorted)."""
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            stage,
            __version__,
            settings_hash,
            started,
            utcnow(),
            target,
            rows_in,
            rows_out,
            json.dumps(counts, sort_keys=True),
        ],
    )
