"""Stage ``ingest``: vote-log files -> canonical battles, every rejected record in quarantine.

Each file is its own transaction and run (a bad second file leaves the first one ingested); the
source's licence and citation, when given, land in the same transaction as its battles.

>>> parse_map(["model_a=left", "voter=worker.id"])
{'model_a': 'left', 'voter': 'worker.id'}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from arenavotes import db
from arenavotes.errors import UserError
from arenavotes.ingest.mapping import ReadOptions
from arenavotes.stages.base import StageResult, settings_hash
from arenavotes.workspace import Workspace


@dataclasses.dataclass(frozen=True)
class IngestOptions:
    files: tuple[Path, ...]
    format_name: str | None = None
    container: str | None = None
    source: str | None = None  # one file only
    mapping: Mapping[str, str] = dataclasses.field(default_factory=dict)
    replace: bool = False
    allow_same_file: bool = False
    license: str | None = None
    license_url: str | None = None
    citation: Path | None = None  # a BibTeX file
    description: str | None = None
    read: ReadOptions | None = None  # all reading options (then format_name, container, mapping are ignored)

    def read_options(self) -> ReadOptions:
        return self.read or ReadOptions(format=self.format_name, container=self.container, fields=self.mapping)


def parse_map(entries: Sequence[str]) -> dict[str, str]:
    """``--map FIELD=COLUMN`` entries as a dict (field names are checked by ingest)."""
    out = {}
    for m in entries:
        field, sep, column = m.partition("=")
        if not sep or not field:
            raise UserError(f"--map {m}: expected FIELD=COLUMN", hint="e.g. --map model_a=left")
        out[field.strip()] = column.strip()
    return out


def run_ingest(ws: Workspace, options: IngestOptions) -> StageResult:
    """Ingest ``options.files`` into the workspace (see :func:`arenavotes.ingest.ingest_file`)."""
    from arenavotes.ingest import ingest_file
    from arenavotes.provenance import set_source_meta

    if options.source and len(options.files) > 1:
        raise UserError("--source names one file's source; give one file per call")
    settings = ws.settings()
    key = ws.secret()
    hash_ = settings_hash(settings, "ingest", {k: v for k, v in dataclasses.asdict(options).items() if k != "files"})
    citation = options.citation.read_text(encoding="utf-8") if options.citation else None
    has_meta = bool(options.license or options.license_url or citation or options.description)

    def meta(con: duckdb.DuckDBPyConnection, source: str) -> None:
        set_source_meta(
            con,
            source,
            license=options.license,
            license_url=options.license_url,
            description=options.description,
            citation=citation,
        )

    lines, sources, run_ids = [], [], []
    rows_in = kept = 0
    quarantined: dict[str, int] = {}
    with ws.connect(memory_limit=db.STREAM_MEMORY_LIMIT) as con:
        for path in options.files:
            r = ingest_file(
                con,
                path,
                key=key,
                source=options.source,
                read=options.read_options(),
                replace=options.replace,
                settings=settings.ingest,
                allow_same_file=options.allow_same_file,
                settings_hash=hash_,
                on_write=meta if has_meta else None,
            )
            if r.status == "unchanged" and has_meta:
                with db.transaction(con):
                    meta(con, r.source)
            if r.run_id is not None:
                run_ids.append(r.run_id)
            why = ", ".join(f"{k} {v:,}" for k, v in sorted(r.quarantined.items()))
            verb = {"unchanged": "unchanged, skipped", "replaced": "replaced"}.get(r.status, "ingested")
            lines.append(
                f"{r.file}: {verb} as '{r.source}' ({r.format}): {r.rows_in:,} records -> "
                f"{r.kept:,} battles, {r.quarantined_total:,} quarantined" + (f" ({why})" if why else "")
            )
            sources.append(r.source)
            rows_in, kept = rows_in + r.rows_in, kept + r.kept
            for k, v in r.quarantined.items():
                quarantined[k] = quarantined.get(k, 0) + v
    return StageResult(
        "ingest",
        tuple(run_ids),
        hash_,
        tuple(sources),
        rows_in,
        kept,
        {"kept": kept, "quarantined": quarantined},
        tuple(lines),
    )
