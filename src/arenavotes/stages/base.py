"""The stage contract: ``run_<stage>(workspace, options) -> StageResult``, and the one way a stage records
what it did.

A stage loads what it needs, computes, writes and records its run inside one transaction
(:func:`recorded`): either all of its rows land -- results, provenance and the ``runs`` row -- or none.
Every stage hashes its settings the same way (:func:`settings_hash`: the settings sections it reads plus
its options), so two runs with the same hash were asked the same thing.

>>> from arenavotes import db
>>> from arenavotes.config import Settings
>>> con = db.connect(None)
>>> h = settings_hash(Settings(), "dedup", {"sources": ["s"]})
>>> with recorded(con, "dedup", h, target="s") as run:
...     run.rows_in, run.rows_out, run.counts = 10, 2, {"flagged": {"duplicate_vote": 2}}
>>> con.sql("select stage, rows_in, rows_out, settings_hash = ? from runs", params=[h]).fetchall()
[('dedup', 10, 2, True)]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import duckdb

from arenavotes import db, provenance
from arenavotes.config import Settings
from arenavotes.runs import new_run_id, record_run, utcnow

#: The settings sections each stage reads (its settings hash covers these and its options).
STAGE_SECTIONS: dict[str, tuple[str, ...]] = {
    "ingest": ("ingest", "privacy"),
    "scrub": ("pii",),
    "dedup": ("dedup",),
    "categorize": ("categories",),
    "rate": ("ratings", "dedup"),
    "report": ("ratings", "dedup"),
    "release": ("ratings", "dedup", "pii"),
    "publish": ("pii",),
    "p2l": ("dedup",),
    "embed": (),
}

#: A callback for progress lines (the CLI prints them on stderr); stages never print.
Echo = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class StageResult:
    """What one stage call did: its runs, counts by reason, the sources it touched, a summary to show."""

    stage: str
    run_ids: tuple[str, ...]
    settings_hash: str
    sources: tuple[str, ...]
    rows_in: int | None
    rows_out: int | None
    counts: Mapping[str, Any]
    lines: tuple[str, ...] = ()  # the human summary ('arenavotes <stage>' prints these)
    path: Path | None = None  # what the stage wrote outside the database (report or release folder)


@dataclasses.dataclass
class Run:
    """One run being recorded: the stage fills rows_in, rows_out and counts before the block ends."""

    run_id: str
    started: dt.datetime
    target: str | None = None  # what the run worked on (a source, a scope, a folder)
    rows_in: int | None = None
    rows_out: int | None = None
    counts: dict[str, Any] = dataclasses.field(default_factory=dict)


def options_dict(options: object) -> dict[str, Any]:
    """An options dataclass (or mapping) as JSON-ready data: paths as strings, tuples as lists."""
    if dataclasses.is_dataclass(options) and not isinstance(options, type):
        raw: Any = dataclasses.asdict(options)
    else:
        raw = dict(cast(Mapping[str, Any], options))
    return json.loads(json.dumps(raw, sort_keys=True, default=str))


def settings_hash(settings: Settings, stage: str, options: object = None) -> str:
    """16 hex digits of sha256 over the settings sections ``stage`` reads and the stage's ``options``."""
    full = settings.to_dict()
    blob = {
        "settings": {s: full[s] for s in STAGE_SECTIONS[stage]},
        "options": options_dict(options) if options is not None else None,
    }
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()[:16]


@contextmanager
def recorded(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    hash_: str,
    *,
    target: str | None,
    sources: Sequence[str] = (),
    run: Run | None = None,
) -> Iterator[Run]:
    """One transaction around a stage's writes, its provenance rows (for ``sources``) and its ``runs`` row.

    On any exception nothing of the block is kept (the run is not recorded either). ``run``: a run begun
    before (a stage that commits its work in batches records it at the end, see ``scrub``)."""
    run = run if run is not None else Run(new_run_id(), utcnow(), target)
    with db.transaction(con):
        yield run
        if sources and stage in provenance.STAGES:
            provenance.record(con, sources, stage, run.run_id, hash_)
        record_run(
            con,
            run.run_id,
            stage,
            hash_,
            started=run.started,
            target=run.target,
            rows_in=run.rows_in,
            rows_out=run.rows_out,
            counts=run.counts,
        )


def exclusion_policy(option: str | None, default: Sequence[str]) -> tuple[str, ...]:
    """``--exclude-flags``: comma-separated flags, ``none`` for no exclusion, or ``default`` when absent.

    >>> exclusion_policy("duplicate_vote, fast_vote", ())
    ('duplicate_vote', 'fast_vote')
    >>> exclusion_policy("none", ("duplicate_vote",)), exclusion_policy(None, ("duplicate_vote",))
    ((), ('duplicate_vote',))
    """
    from arenavotes.errors import UserError
    from arenavotes.vocab import ALL_FLAGS

    if option is None:
        return tuple(default)
    if option.strip().lower() == "none":
        return ()
    chosen = tuple(f.strip() for f in option.split(",") if f.strip())
    unknown = [f for f in chosen if f not in ALL_FLAGS]
    if unknown:
        raise UserError(f"--exclude-flags: unknown flag '{unknown[0]}'", hint=f"flags: {', '.join(ALL_FLAGS)}")
    return chosen
