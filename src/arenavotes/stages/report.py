"""Stage ``report``: a month's (or all battles') leaderboard report -- tables, figures, report.md and a
self-contained report.html -- written to a folder; the run is recorded in the workspace.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from arenavotes.stages.base import Echo, StageResult, exclusion_policy, recorded, settings_hash
from arenavotes.workspace import Workspace


@dataclasses.dataclass(frozen=True)
class ReportOptions:
    month: str | None = None  # YYYY-MM; None: all battles
    compare: str | None = None  # another month, for rank changes
    sources: tuple[str, ...] = ()
    all_sources: bool = False
    exclude_flags: str | None = None  # comma-separated, 'none', or None for [dedup] exclude
    out: Path | None = None  # default: WORKSPACE/reports/MONTH (or /all)
    arena: str | None = None  # one arena kind (needed when the sources hold several)
    mix_arenas: bool = False


def run_report(ws: Workspace, options: ReportOptions, *, step: Echo | None = None) -> StageResult:
    """Build the report of ``options``; ``step`` hears about each part as it is made."""
    from arenavotes.ratings.store import choose_arena
    from arenavotes.reports import build_report
    from arenavotes.sources import resolve_sources

    settings = ws.settings()
    exclude = exclusion_policy(options.exclude_flags, settings.dedup.exclude)
    hash_ = settings_hash(settings, "report", options)
    t0 = time.perf_counter()
    with ws.connect() as con:
        chosen = resolve_sources(con, options.sources, options.all_sources)
        arena = choose_arena(con, chosen, options.arena, options.mix_arenas)
        with recorded(con, "report", hash_, target=None) as run:
            folder, note = build_report(
                con,
                ws.path,
                chosen,
                options.month,
                options.compare,
                settings,
                exclude,
                step=step,
                out=options.out,
                arena=arena,
            )
            tables = sorted(p.stem for p in (folder / "tables").glob("*.parquet"))
            run.target, run.rows_out = str(folder), len(tables)
            run.counts = {
                "sources": list(chosen),
                "arena": arena,
                "month": options.month,
                "compare": options.compare,
                "tables": tables,
                "excluded_flags": list(exclude),
                "note": note,
                "folder": str(folder),
            }
    figures = len(list((folder / "figures").glob("*.png")))
    lines = ([f"note: {note}"] if note else []) + [
        f"report written to {folder} ({figures} figures; report.md, report.html) in {time.perf_counter() - t0:.1f} s"
    ]
    return StageResult(
        "report", (run.run_id,), hash_, tuple(chosen), None, run.rows_out, run.counts, tuple(lines), path=folder
    )
