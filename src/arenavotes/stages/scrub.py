"""Stage ``scrub``: replace PII in prompts, answers and quarantined records with typed placeholders;
and :func:`check_files`, the release gate over any files.

After scrubbing, the release gate's verdicts on the scrubbed texts are computed and cached, so the
publisher learns at once what a release would withhold and the release does not analyse them again.
Without ``keep_raw`` the database file is rewritten afterwards, so replaced texts do not survive in
its free pages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from arenavotes.config import PiiSettings
from arenavotes.db import STREAM_MEMORY_LIMIT
from arenavotes.runs import new_run_id, utcnow
from arenavotes.stages.base import Run, StageResult, recorded, settings_hash
from arenavotes.workspace import Workspace


@dataclasses.dataclass(frozen=True)
class ScrubOptions:
    sources: tuple[str, ...] = ()  # default: all
    keep_raw: bool = False  # keep the original texts in conversations_raw (never released)
    rescan: bool = False  # scan battles scrubbed before, too
    no_ner: bool = False  # pattern recognizers only
    workers: int | None = None  # default: [pii] workers
    engine: str = "local"  # local | ray
    ray_address: str | None = None


#: battles scrubbed per batch: memory stays flat whatever the workspace's size
BATCH_BATTLES = 20_000


def check_files(
    paths: Sequence[Path], settings: PiiSettings | None = None, *, no_ner: bool = False, workers: int | None = None
) -> list[Any]:
    """The release gate's findings in ``paths`` (files or folders) at ``[pii] gate_threshold``; [] = passed."""
    from arenavotes.pii.gate import check_paths

    st = settings or PiiSettings()
    n = workers if workers is not None else st.workers
    return check_paths(paths, threshold=st.gate_threshold, ner=st.ner and not no_ner, workers=n or 1)


def run_scrub(
    ws: Workspace, options: ScrubOptions, *, progress: Callable[[int, int], None] | None = None
) -> StageResult:
    """Scrub the texts of ``options.sources`` (default: all) not scrubbed before; ``progress(done, total)``
    is called as distinct texts are analysed."""
    from arenavotes import db
    from arenavotes.pii import verdicts as gate_cache
    from arenavotes.pii.gate import gate_pool
    from arenavotes.pii.scrub import scrub_pool, scrub_texts
    from arenavotes.pii.store import (
        adopt_interrupted,
        batch_messages,
        findings_frame,
        interrupted_runs,
        run_texts,
        scrub_batches,
        scrub_quarantine,
        write_scrubbed,
    )
    from arenavotes.sources import resolve_sources

    settings = ws.settings()
    st = settings.pii
    ner = st.ner and not options.no_ner
    workers = options.workers if options.workers is not None else st.workers
    hash_ = settings_hash(settings, "scrub", options)
    local = options.engine == "local"

    def scrub(
        values: list[str], bar: Callable[[int], None] | None = None, pool: Any = None
    ) -> tuple[list[str], list[Any]]:
        return scrub_texts(
            values,
            workers=workers,
            ner=ner,
            threshold=st.threshold,
            engine=options.engine,
            ray_address=options.ray_address,
            progress=bar,
            **({"pool": pool} if pool is not None else {}),
        )

    t0 = time.perf_counter()
    by_entity: dict[str, int] = {}
    texts_seen = distinct = doubted = 0
    with ws.connect(memory_limit=STREAM_MEMORY_LIMIT) as con:
        chosen = resolve_sources(con, options.sources, all_sources=not options.sources)
        # each batch commits its texts, findings and 'scrubbed' rows together, and the run is recorded at the
        # end: a run's UPDATEs held in one transaction stay in memory until COMMIT (DuckDB cannot spill them;
        # 400k answers of 2 KB ran out of a 1 GB cap). A killed run leaves whole batches scrubbed, and the next
        # run goes on with the battles not scrubbed yet.
        run = Run(new_run_id(), utcnow(), ",".join(chosen))
        interrupted = interrupted_runs(con)  # their replaced texts may still sit in the file's free pages
        with db.transaction(con):
            quarantined = scrub_quarantine(con, chosen, lambda values: scrub(values)[0])
        batches, total = scrub_batches(con, chosen, options.rescan, BATCH_BATTLES)
        # pass 1: scrub, batch by batch, on one pool (the NER model loads once per worker); pass 2 runs on the same
        # workers (each pass starting its own cost two start-ups per worker: interpreter, presidio, spaCy's model)
        with contextlib.ExitStack() as pools:
            pool = pools.enter_context(scrub_pool(workers, ner=ner, threshold=st.threshold)) if local else None
            # each batch read through its rowid window (a range of ids alone read every battle's id per batch);
            # the windows follow the rows if a batch's commit is followed by a checkpoint that moves them
            windows = db.rowid_window_stream(con, "conversations", batches)
            for (first, last), window in zip(batches, windows, strict=True):
                messages = batch_messages(con, chosen, first, last, rescan=options.rescan, window=window)
                contents = messages["content"].to_list()
                texts = [c if c is not None else "" for c in contents]
                done = texts_seen

                def bar(n: int, done: int = done, k: int = len(texts), d: int = len(set(texts))) -> None:
                    if progress:  # distinct texts of this batch, shown as a share of all texts
                        progress(min(total, done + round(n * k / max(d, 1))), total)

                new, findings = scrub(texts, bar, pool)
                new_content = [n if c is not None else None for n, c in zip(new, contents, strict=True)]
                found = findings_frame(messages, findings)
                with db.transaction(con):
                    write_scrubbed(con, messages, new_content, found, run.run_id, options.keep_raw)
                for e, n in found.group_by("entity").agg(pl.col("count").sum()).iter_rows():
                    by_entity[e] = by_entity.get(e, 0) + int(n)
                texts_seen += messages.height
                distinct += len(set(texts))
            # pass 2: the release gate's verdicts on the scrubbed texts, cached for the release. The run's texts
            # are read in one stream joined with the stored verdicts (a read and a lookup per batch each scanned
            # a whole table: ~N^2 over a run); ``doubted`` counts messages, whatever the batches
            verdicts = gate_cache.load(con)
            gpool = pool if pool is not None else pools.enter_context(gate_pool(workers or 2, ner))
            where, params = run_texts(con, chosen, run.run_id)
            for texts in gate_cache.stream(
                con, verdicts, f"SELECT c.content AS text FROM conversations c WHERE {where}", params, ner=ner
            ):
                doubts = gate_cache.screen(texts, verdicts, threshold=st.gate_threshold, ner=ner, pool=gpool)
                doubted += sum(t in doubts for t in texts)
        seconds = time.perf_counter() - t0
        by_entity = dict(sorted(by_entity.items()))
        with recorded(con, "scrub", hash_, target=run.target, sources=chosen, run=run):
            gate_cache.save(con, verdicts)
            if interrupted:  # this run finished what a killed one began: its batches are this run's now
                adopt_interrupted(con, run.run_id)
            run.rows_in, run.rows_out = texts_seen, int(sum(by_entity.values()))
            run.counts = {
                "texts": texts_seen,
                "distinct_texts": distinct,
                "spans_by_entity": by_entity,
                "seconds": round(seconds, 2),
                "ner": ner,
                "keep_raw": options.keep_raw,
                "quarantine_values_scrubbed": quarantined,
                "texts_the_gate_doubts": doubted,
            }
    if not options.keep_raw and (by_entity or quarantined or interrupted):
        db.compact(ws.db_path)  # the replaced texts must not survive in the file's free pages
    spans = ", ".join(f"{e} {n:,}" for e, n in by_entity.items()) or "none"
    lines = [
        f"scrubbed {texts_seen:,} texts ({distinct:,} distinct) in {seconds:.1f} s: "
        f"{sum(by_entity.values()):,} spans replaced ({spans})"
        + (f"; {quarantined:,} quarantined values scrubbed too" if quarantined else "")
    ]
    if doubted:
        lines.append(
            f"  the release gate still doubts {doubted:,} of these texts: releases will ship those "
            "battles' votes without their texts (review them with SQL; 'arenavotes scrub --check' on a "
            "release)"
        )
    return StageResult(
        "scrub", (run.run_id,), hash_, tuple(chosen), run.rows_in, run.rows_out, run.counts, tuple(lines)
    )
