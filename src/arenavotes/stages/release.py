"""Stage ``release``: ``releases/VERSION`` -- parquet per config, dataset card, manifest (signed), changelog,
licences -- built only if the independent PII gate passes. Publishing is :mod:`arenavotes.stages.publish`.

The gate's verdicts are cached in the workspace even when the gate refuses, so the next attempt does not
analyse the same texts again.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

from arenavotes.errors import UserError
from arenavotes.stages.base import Echo, StageResult, exclusion_policy, recorded, settings_hash
from arenavotes.workspace import Workspace


@dataclasses.dataclass(frozen=True)
class ReleaseOptions:
    version: str
    parent: str | None = None  # the release this one follows (for CHANGELOG.md)
    sources: tuple[str, ...] = ()  # default: all
    exclude_flags: str | None = None  # comma-separated, 'none', or None for [dedup] exclude
    license: str | None = None  # default: the sources' licence(s)
    allow_missing: str | None = None  # comma-separated stages: scrub, dedup
    pretty_name: str = "Arena votes"
    date: str | None = None  # YYYY-MM-DD; default: the newest battle's day
    report: str | None = None  # reports/MONTH of the workspace, or a folder
    include_images: Path | None = None  # the reviewed list of images to ship (arenavotes images --review)


def run_release(ws: Workspace, options: ReleaseOptions, *, step: Echo | None = None) -> StageResult:
    """Build the release of ``options``; ``step`` hears about each part as it is made."""
    from arenavotes import db
    from arenavotes.pii import verdicts as gate_cache
    from arenavotes.pii.gate import check_paths, gate_pool
    from arenavotes.provenance import REQUIRED_FOR_RELEASE
    from arenavotes.releases.build import SCREEN_BATCH, ReleaseSpec, build, read_manifest
    from arenavotes.releases.integrity import gate_version
    from arenavotes.sources import resolve_sources

    settings = ws.settings()
    exclude = exclusion_policy(options.exclude_flags, settings.dedup.exclude)
    allowed = tuple(x.strip() for x in (options.allow_missing or "").split(",") if x.strip())
    bad = [x for x in allowed if x not in REQUIRED_FOR_RELEASE]
    if bad:
        raise UserError(f"--allow-missing {bad[0]}: not a stage a release needs", hint=", ".join(REQUIRED_FOR_RELEASE))
    if options.date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", options.date):
        raise UserError(f"--date {options.date}: expected YYYY-MM-DD")
    report = None
    if options.report:
        report = ws.path / "reports" / options.report
        if not report.exists():
            report = Path(options.report)
    hash_ = settings_hash(settings, "release", options)
    pii = settings.pii
    workers = pii.workers or 2
    t0 = time.perf_counter()

    def timed(what: str) -> None:
        if step:
            step(f"[{time.perf_counter() - t0:5.1f} s] {what}")

    with ws.connect(memory_limit=db.STREAM_MEMORY_LIMIT) as con:
        chosen = resolve_sources(con, options.sources, all_sources=not options.sources)
        spec = ReleaseSpec(
            options.version,
            options.parent,
            tuple(chosen),
            exclude,
            options.license,
            options.pretty_name,
            options.date,
            settings.ratings.seed,
            report,
            allowed,
            options.include_images,
        )
        verdicts = gate_cache.load(con)
        withheld: list[str] = []
        pool = gate_pool(workers, pii.ner)  # one pool (one model load per worker) for the screen and the gate
        try:
            path = build(
                con,
                ws.path,
                spec,
                ws.secret(),
                settings.to_dict(),
                gate=lambda d: check_paths(
                    [d], threshold=pii.gate_threshold, ner=pii.ner, workers=workers, cache=verdicts, pool=pool
                ),
                gate_version=gate_version(threshold=pii.gate_threshold, ner=pii.ner),
                screen=lambda texts: gate_cache.screen(
                    texts, verdicts, threshold=pii.gate_threshold, ner=pii.ner, workers=workers, pool=pool
                ),
                # the texts arrive with their cached verdicts from one join, not a lookup per batch
                read_texts=lambda cur, sql: gate_cache.stream(
                    con, verdicts, sql, ner=pii.ner, batch=SCREEN_BATCH, cursor=cur
                ),
                withheld_ids=withheld,
                step=timed,
            )
        finally:
            pool.close()
            with db.transaction(con):
                gate_cache.save(con, verdicts)  # what the gate learned is kept even when it refused
        m = read_manifest(path)
        with recorded(con, "release", hash_, target=options.version, sources=chosen) as run:
            run.rows_out = m["rows"]["battles"]
            run.counts = {
                "rows": m["rows"],
                "sources": list(chosen),
                "withheld_by_pii_gate": withheld,
                "excluded_by_policy": m["excluded_by_policy"],
                "path": str(path),
            }
    gone = m["withheld_by_pii_gate"]["battles"]
    line = (
        f"release {options.version} written to {path}: "
        + ", ".join(f"{c} {n:,}" for c, n in m["rows"].items())
        + f"; {m['excluded_by_policy']['battles']:,} flagged battles left out"
        + (
            f"; the texts of {gone:,} battles withheld because the PII gate doubts them (ids in the runs table: "
            f"arenavotes sql \"select counts->'withheld_by_pii_gate' from runs where stage = 'release'\")"
            if gone
            else ""
        )
        + f"; PII gate passed in {time.perf_counter() - t0:.1f} s"
    )
    return StageResult(
        "release", (run.run_id,), hash_, tuple(chosen), None, run.rows_out, run.counts, (line,), path=path
    )
