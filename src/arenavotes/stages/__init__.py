"""Every stage of the pipeline as one library call, ``run_<stage>(workspace, options) -> StageResult``;
the ``arenavotes`` command only parses options, makes this one call and prints the result's lines.

Each call loads, computes, writes and records its run (counts in/out by reason, the settings hash, the
sources touched) in one transaction; see :mod:`arenavotes.stages.base`.

Example (the same as ``arenavotes dedup -w myarena``)::

    from arenavotes.stages import DedupOptions, run_dedup
    from arenavotes.workspace import Workspace

    result = run_dedup(Workspace.open("myarena"), DedupOptions())
    print(result.rows_in, result.rows_out, result.counts["flagged_by_flag"])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arenavotes.stages.base import StageResult
    from arenavotes.stages.categorize import CategorizeOptions, run_categorize
    from arenavotes.stages.dedup import DedupOptions, run_dedup
    from arenavotes.stages.ingest import IngestOptions, run_ingest
    from arenavotes.stages.publish import PublishOptions, run_publish
    from arenavotes.stages.rate import RateOptions, run_rate
    from arenavotes.stages.release import ReleaseOptions, run_release
    from arenavotes.stages.report import ReportOptions, run_report
    from arenavotes.stages.scrub import ScrubOptions, check_files, run_scrub

#: name -> the module that defines it. A stage's module (and what it needs: spaCy, scipy, the encoder, ...)
#: is imported when one of its names is first used, so ``arenavotes rate`` does not pay for scrub's imports.
_HOME = {
    "StageResult": "base",
    **{n: "categorize" for n in ("CategorizeOptions", "run_categorize")},
    **{n: "dedup" for n in ("DedupOptions", "run_dedup")},
    **{n: "ingest" for n in ("IngestOptions", "run_ingest")},
    **{n: "publish" for n in ("PublishOptions", "run_publish")},
    **{n: "rate" for n in ("RateOptions", "run_rate")},
    **{n: "release" for n in ("ReleaseOptions", "run_release")},
    **{n: "report" for n in ("ReportOptions", "run_report")},
    **{n: "scrub" for n in ("ScrubOptions", "check_files", "run_scrub")},
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CategorizeOptions",
    "DedupOptions",
    "IngestOptions",
    "PublishOptions",
    "RateOptions",
    "ReleaseOptions",
    "ReportOptions",
    "ScrubOptions",
    "StageResult",
    "check_files",
    "run_categorize",
    "run_dedup",
    "run_ingest",
    "run_publish",
    "run_rate",
    "run_release",
    "run_report",
    "run_scrub",
]
