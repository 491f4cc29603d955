"""Stage ``categorize``: label prompts with categories offline (language, coding, multi_turn, long_query,
math, creative writing, instruction following, hard prompts, ...), per source (one transaction and run
each); optionally also ask an LLM judge (responses cached in the workspace). ``--engine ray`` labels on a Ray
cluster, over parquet shards of the battles (:mod:`arenavotes.categories.ray_engine`); the judge always
runs here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from arenavotes.categories import LABELERS
from arenavotes.db import STREAM_MEMORY_LIMIT
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
    engine: str = "local"  # local | ray
    ray_address: str | None = None
    shards: Path | None = None  # a folder the Ray workers can read (default: WORKSPACE/shards)


def run_categorize(ws: Workspace, options: CategorizeOptions) -> StageResult:
    """Replace each chosen source's labels from the chosen labelers."""
    from arenavotes.categories import label, labeler_name, learned_encoders
    from arenavotes.categories.store import (
        agreement,
        batch_windows,
        delete_labels,
        feature_batches,
        load_features,
        prompt_vectors,
    )
    from arenavotes.display import text_table
    from arenavotes.sources import resolve_sources

    if options.engine not in ("local", "ray"):
        raise UserError(f"unknown engine '{options.engine}'", hint="local or ray")
    settings = ws.settings()
    # the engine changes where the labels are computed, never what they are
    what = {"sources": options.sources, "labelers": options.labelers, "judge": options.judge}
    hash_ = settings_hash(settings, "categorize", what)
    chosen_labelers = set(options.labelers) if options.labelers else set(LABELERS)
    # the local engine reads the learned labeler's encoders' vectors from (and keeps them in) the embedding
    # table; the Ray actors encode for themselves
    local_learned = options.engine == "local" and "learned" in chosen_labelers
    encoders = learned_encoders() if local_learned else []
    lines, run_ids, done = [], [], []
    rows_in = rows_out = 0
    with ws.connect(memory_limit=STREAM_MEMORY_LIMIT) as con:
        chosen = resolve_sources(con, options.sources, all_sources=not options.sources)
        judge = _judge(ws, con) if options.judge else None
        for source in chosen:
            batches = feature_batches(con, [source])
            if not batches:
                lines.append(f"{source}: no prompt texts, skipped")
                continue
            names = [labeler_name(n) for n in chosen_labelers] + (judge.labelers() if judge is not None else [])
            n_prompts = 0
            with recorded(con, "categorize", hash_, target=source, sources=[source]) as run:
                delete_labels(con, [source], names)
                tally = _Tally(con)
                if options.engine == "ray":
                    n_prompts = _label_on_ray(ws, con, options, source, batches, chosen_labelers, judge, tally)
                else:
                    windows = batch_windows(con, batches)  # in this run's transaction: no commit moves a rowid
                    for between, window in zip(batches, windows, strict=True):  # labels depend on each battle
                        prompts, messages, answers = load_features(con, [source], between, window)
                        vectors = prompt_vectors(con, prompts, encoders) if encoders else None
                        rows = label(prompts, messages, answers, only=chosen_labelers, vectors=vectors)
                        if judge is not None:
                            rows = pl.concat([rows, judge.label(prompts)])
                        tally.insert(rows)
                        n_prompts += prompts.height
                positives, n_rows = tally.positives, tally.rows
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


class _Tally:
    """Inserts label rows into the workspace and counts them: all, and the true ones by (category, labeler)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        from arenavotes.categories.store import insert_labels

        self.con, self._insert = con, insert_labels
        self.positives: Counter[tuple[str, str]] = Counter()
        self.rows = 0

    def insert(self, rows: pl.DataFrame) -> None:
        self._insert(self.con, rows)
        hits = rows.filter(pl.col("value")).group_by("category", "labeler").len()
        self.positives.update({(c, lab): n for c, lab, n in hits.iter_rows()})
        self.rows += rows.height

    def insert_parquet(self, folder: Path) -> None:
        """The label rows of every parquet file in ``folder`` (Ray's output), each row once: a block that Ray
        ran twice and wrote to two files adds nothing."""
        files = sorted(str(p) for p in folder.glob("*.parquet"))
        if not files:
            return
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _ray_labels AS SELECT DISTINCT battle_id, labeler, category, value, score "
            "FROM read_parquet(?)",
            [files],
        )
        try:
            self.con.execute(
                "INSERT INTO prompt_labels SELECT battle_id, labeler, category, value, score FROM _ray_labels"
            )
            for c, lab, n, hits in self.con.execute(
                "SELECT category, labeler, count(*), count(*) FILTER (WHERE value) FROM _ray_labels GROUP BY 1, 2"
            ).fetchall():
                self.rows += n
                if hits:
                    self.positives[(c, lab)] += hits
        finally:
            self.con.execute("DROP TABLE IF EXISTS _ray_labels")


def _label_on_ray(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    options: CategorizeOptions,
    source: str,
    batches: list[tuple[str, str]],
    labelers: set[str],
    judge: Any,
    tally: _Tally,
) -> int:
    """Export ``source``'s battles as parquet shards, label them on Ray, insert the label rows (and the
    judge's, computed here while exporting); returns the number of prompts."""
    from arenavotes.categories.ray_engine import battle_rows, label_on_ray
    from arenavotes.categories.store import batch_windows, load_features
    from arenavotes.raydata import shard_folder, write_shards

    n_prompts = shards = 0
    tag = hashlib.sha256(source.encode()).hexdigest()[:12]  # a source's name may hold any character
    with shard_folder(options.shards or ws.path / "shards", "categorize", tag) as folder:
        for between, window in zip(batches, batch_windows(con, batches), strict=True):
            prompts, messages, answers = load_features(con, [source], between, window)
            shards += len(write_shards(battle_rows(prompts, messages, answers), folder, first=shards))
            if judge is not None:
                tally.insert(judge.label(prompts))
            n_prompts += prompts.height
        tally.insert_parquet(label_on_ray(folder, labelers, options.ray_address))
    return n_prompts


def _summary(counts: list[tuple[tuple[str, str], int]]) -> str:
    """``coding 267 coding@1 / 271 learned@6, math ...; 15 languages``: positives per category, one count per
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
