"""Stage ``categorize``: label prompts with categories offline (language, coding, multi_turn, long_query,
math, creative writing, instruction following, hard prompts, ...), per source (one transaction and run
each); optionally also ask an LLM judge (responses cached in the workspace).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import duckdb
import polars as pl

from arenavotes.categories import LABELERS
from arenavotes.errors import UserError
from arenavotes.stages.base import StageResult, recorded, settings_hash
from arenavotes.workspace import Workspace

#: The offline labelers ``--labeler`` can choose.
LABELER_CHOICES: tuple[str, ...] = tuple(LABELERS)


@dataclasses.dataclass(frozen=True)
class CategorizeOptions:
    sources: tuple[str, ...] = ()  # default: all
    labelers: tuple[str, ...] = ()  # default: all offline labelers
    judge: bool = False  # also the LLM judge of [categories] judge_url/judge_model


def run_categorize(ws: Workspace, options: CategorizeOptions) -> StageResult:
    """Replace each chosen source's labels from the chosen labelers."""
    from arenavotes.categories import label, labeler_name
    from arenavotes.categories.store import agreement, load_features, replace_labels
    from arenavotes.display import text_table
    from arenavotes.sources import resolve_sources

    settings = ws.settings()
    hash_ = settings_hash(settings, "categorize", options)
    chosen_labelers = set(options.labelers) if options.labelers else set(LABELERS)
    lines, run_ids, done = [], [], []
    rows_in = rows_out = 0
    with ws.connect() as con:
        chosen = resolve_sources(con, options.sources, all_sources=not options.sources)
        judge = _judge(ws, con) if options.judge else None
        for source in chosen:
            prompts, messages, answers = load_features(con, [source])
            if prompts.height == 0:
                lines.append(f"{source}: no prompt texts, skipped")
                continue
            with recorded(con, "categorize", hash_, target=source, sources=[source]) as run:
                rows = label(prompts, messages, answers, only=chosen_labelers)
                names = [labeler_name(n) for n in chosen_labelers]
                if judge is not None:
                    judged = judge.label(prompts)
                    rows = pl.concat([rows, judged])
                    names += judged["labeler"].unique().sort().to_list()
                replace_labels(con, [source], rows, names)
                counts = rows.filter(pl.col("value")).group_by("category").len().sort("category")
                run.rows_in, run.rows_out = prompts.height, rows.height
                run.counts = {
                    "labelers": sorted(labeler_name(n) for n in chosen_labelers),
                    "positives": dict(counts.iter_rows()),
                }
            run_ids.append(run.run_id)
            done.append(source)
            rows_in, rows_out = rows_in + prompts.height, rows_out + rows.height
            top = ", ".join(f"{c} {n:,}" for c, n in counts.iter_rows() if not c.startswith(("criteria.", "language:")))
            langs = counts.filter(pl.col("category").str.starts_with("language:")).height
            lines.append(f"{source}: {prompts.height:,} prompts labelled: {top}; {langs} languages")
        agree = agreement(con, chosen)
    if agree.height:
        lines.append("agreement with the labels that came with the source:")
        lines.append(
            text_table(
                [
                    (c, lab, int(n), f"{a:.2f}", "-" if p is None else f"{p:.2f}", "-" if r is None else f"{r:.2f}")
                    for c, lab, n, a, p, r in agree.iter_rows()
                ],
                ("category", "source labeler", "battles", "agreement", "precision", "recall"),
            )
        )
    return StageResult(
        "categorize", tuple(run_ids), hash_, tuple(chosen), rows_in, rows_out, {"labelled_sources": done}, tuple(lines)
    )


def _judge(ws: Workspace, con: duckdb.DuckDBPyConnection) -> Any:
    from arenavotes.categories.judge import Judge
    from arenavotes.categories.store import DuckDBCache

    st = ws.settings().categories
    if not st.judge_url or not st.judge_model:
        raise UserError(
            "--judge needs an endpoint", hint="set [categories] judge_url and judge_model in arenavotes.toml"
        )
    return Judge(
        st.judge_url, st.judge_model, os.environ.get(st.judge_key_env), DuckDBCache(con), workers=st.judge_workers
    )
