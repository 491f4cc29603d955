"""Stage ``categorize``: label prompts with categories offline (language, coding, multi_turn, long_query,
math, creative writing, instruction following, hard prompts, ...), per source (one transaction and run
each); optionally also ask an LLM judge (responses cached in the workspace).
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
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
    from arenavotes.categories.store import (
        agreement,
        delete_labels,
        feature_batches,
        insert_labels,
        load_features,
        prompt_vectors,
    )
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
            batches = feature_batches(con, [source])
            if not batches:
                lines.append(f"{source}: no prompt texts, skipped")
                continue
            names = [labeler_name(n) for n in chosen_labelers] + (judge.labelers() if judge is not None else [])
            n_prompts = n_rows = 0
            positives: Counter[tuple[str, str]] = Counter()  # (category, labeler) -> battles labelled so
            with recorded(con, "categorize", hash_, target=source, sources=[source]) as run:
                delete_labels(con, [source], names)
                for between in batches:  # labels depend on each battle alone: batches bound memory only
                    prompts, messages, answers = load_features(con, [source], between)
                    vectors = prompt_vectors(con, prompts) if "learned" in chosen_labelers else None
                    rows = label(prompts, messages, answers, only=chosen_labelers, vectors=vectors)
                    if judge is not None:
                        rows = pl.concat([rows, judge.label(prompts)])
                    insert_labels(con, rows)
                    hits = rows.filter(pl.col("value")).group_by("category", "labeler").len()
                    positives.update({(c, lab): n for c, lab, n in hits.iter_rows()})
                    n_prompts, n_rows = n_prompts + prompts.height, n_rows + rows.height
                counts = sorted(positives.items())
                run.rows_in, run.rows_out = n_prompts, n_rows
                run.counts = {
                    "labelers": sorted(labeler_name(n) for n in chosen_labelers),
                    "positives": {f"{c} [{lab}]": n for (c, lab), n in counts},
                }
            run_ids.append(run.run_id)
            done.append(source)
            rows_in, rows_out = rows_in + n_prompts, rows_out + n_rows
            lines.append(f"{source}: {n_prompts:,} prompts labelled: {_summary(counts)}")
        agree = agreement(con, chosen)
    if agree.height:
        lines.append("agreement with the labels that came with the source, and with the LLM judge where it ran:")
        lines.append(
            text_table(
                [
                    (
                        c,
                        ours,
                        lab,
                        int(n),
                        f"{a:.2f}",
                        "-" if p is None else f"{p:.2f}",
                        "-" if r is None else f"{r:.2f}",
                    )
                    for c, ours, lab, n, a, p, r in agree.iter_rows()
                ],
                ("category", "our labeler", "source labeler", "battles", "agreement", "precision", "recall"),
            )
        )
    return StageResult(
        "categorize", tuple(run_ids), hash_, tuple(chosen), rows_in, rows_out, {"labelled_sources": done}, tuple(lines)
    )


def _summary(counts: list[tuple[tuple[str, str], int]]) -> str:
    """``coding 267 coding@1 / 271 learned@1, math ...; 15 languages``: positives per category, one count per
    labeler (several labelers may label one category; their counts are never added up)."""
    by_cat: dict[str, list[str]] = {}
    for (c, lab), n in counts:
        if not c.startswith(("criteria.", "language:")):
            by_cat.setdefault(c, []).append(f"{n:,} {lab.rpartition('/')[2]}")
    langs = len({c for (c, _), _ in counts if c.startswith("language:")})
    return ", ".join(f"{c} {' / '.join(v)}" for c, v in by_cat.items()) + f"; {langs} languages"


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
