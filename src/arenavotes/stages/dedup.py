"""Stage ``dedup``: flag repeated prompts, duplicate/fast/over-cap votes, identity leaks, anomalous voters
and campaigns, per source (one transaction and run each). Repeated prompts and votes are found across every
source of the workspace (an overlapping export ingested as a second source repeats the first). Nothing is
deleted; ``rate`` and ``release`` leave out the flags in ``[dedup] exclude``. ``--engine ray`` computes the
near-duplicate sketches on a Ray cluster (:mod:`arenavotes.dedup.ray_engine`); everything else runs here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path

import polars as pl

from arenavotes.db import STREAM_MEMORY_LIMIT
from arenavotes.stages.base import StageResult, recorded, settings_hash
from arenavotes.workspace import Workspace


@dataclasses.dataclass(frozen=True)
class DedupOptions:
    sources: tuple[str, ...] = ()  # default: all
    engine: str = "local"  # local | ray: where the near-duplicate sketches are computed
    ray_address: str | None = None
    shards: Path | None = None  # a folder the Ray workers can read (default: WORKSPACE/shards)


def run_dedup(ws: Workspace, options: DedupOptions) -> StageResult:
    """Replace the flags of each chosen source with what the detectors find now."""
    from arenavotes.db import prompt_batches, release_cache, releasing
    from arenavotes.dedup import detect_battles, detect_voters, repeats, voters
    from arenavotes.dedup.store import (
        REPEAT_BATTLES,
        answer_batches,
        battle_id_lookup,
        battles_with_prompt,
        flag_counts,
        load_battles,
        repeat_flags,
        replace_flags,
        source_flags,
        voter_codes,
    )
    from arenavotes.dedup.tables import SketchTable
    from arenavotes.errors import UserError
    from arenavotes.raydata import shard_folder
    from arenavotes.sources import resolve_sources

    if options.engine not in ("local", "ray"):
        raise UserError(f"unknown engine '{options.engine}'", hint="local or ray")
    settings = ws.settings()
    # the engine changes where the sketches are computed, never the flags
    hash_ = settings_hash(settings, "dedup", {"sources": list(options.sources)})
    lines, run_ids = [], []
    rows_in = flagged_total = 0
    with ws.connect(memory_limit=STREAM_MEMORY_LIMIT) as con:
        chosen = resolve_sources(con, options.sources, all_sources=not options.sources)
        # repeated prompts and votes are compared across every source of the workspace, chosen or not
        # texts are read a batch at a time, and nothing per battle is held in Python: the keyed battles, the texts and
        # their sketches wait in temporary tables, and the repeat detectors run in SQL
        with voter_codes(con) as codes, repeat_flags(con) as repeat_table:  # voters as numbers in the loads
            release_cache(con)  # the codes table spills (1.5M voters: 0.3 GB of DuckDB's memory); the loads read it
            with contextlib.ExitStack() as stack:
                sketches: Callable[..., SketchTable] = SketchTable
                if options.engine == "ray":  # the sketches on Ray, from shards of the distinct prompts
                    from arenavotes.dedup.ray_engine import RaySketches

                    folder = stack.enter_context(shard_folder(options.shards or ws.path / "shards", "dedup"))
                    sketches = functools.partial(RaySketches, folder=folder, address=options.ray_address)
                # (DuckDB's cache is kept here: the near-duplicate check reads the texts table back, and evicted to
                # the spill folder it was read from disk once per block, I/O-bound at 1M conversations)
                # the repeats' flags wait in DuckDB and go into each source's flags there
                repeated = repeats(
                    REPEAT_BATTLES, prompt_batches(con), settings.dedup, con, sketches=sketches, into=repeat_table
                )
            release_cache(con)
            for source in chosen:
                with recorded(con, "dedup", hash_, target=source, sources=[source]) as run:
                    # without ids: the detectors name the rows they flag from the workspace, by rowid
                    battles = load_battles(con, source, codes, rowid=True, ids=False)
                    ids = battle_id_lookup(con, battles["_rowid"].to_numpy())
                    battles = battles.drop("_rowid")
                    release_cache(con)  # what the repeats and the load read: the vote detectors hold their own copies
                    # then the voter tests, without the cache; each side's model comes with its answer
                    answers = releasing(con, answer_batches(con, source, models=True))
                    by_battle = detect_battles(battles, None, answers, settings.dedup, repeated, battle_ids=ids)
                    by_battle.stats["battles_with_prompt"] = battles_with_prompt(con, repeat_table, source)
                    n_battles = battles.height
                    # the voter tests read votes only, and name the battles they flag from the workspace: the
                    # battles' times and token counts go before the votes are made (5M battles: ~0.25 GB)
                    voting = battles.select("model_a", "model_b", "winner", "voter_id")
                    del battles
                    votes = voters.prepare(voting, ids) if by_battle.stats["voter_checks"] else None
                    del voting, ids
                    result = detect_voters(votes, settings.dedup, by_battle)
                    del votes, by_battle
                    replace_flags(con, source, result.flags, run.run_id, repeats=repeat_table)
                    flagged, result.stats["flags"] = source_flags(con, source)
                    run.rows_in, run.rows_out, run.counts = n_battles, flagged, result.stats
                run_ids.append(run.run_id)
                rows_in, flagged_total = rows_in + n_battles, flagged_total + flagged
                skipped = [] if result.stats["voter_checks"] else ["no voter ids: voter and campaign checks skipped"]
                if not result.stats["surge_checks"]:
                    skipped.append(
                        "no timestamps: "
                        + ("duplicate/fast/daily and surge" if result.stats["voter_checks"] else "surge")
                        + " checks skipped"
                    )
                campaigns = [c for c in result.stats.get("campaigns", []) if c["voters_flagged"]]
                if campaigns:
                    found = ", ".join(
                        f"{c['pattern']}{' ' + c['model'] if c['model'] else ''} ({c['voters_flagged']} voter{'s' if c['voters_flagged'] != 1 else ''})"
                        for c in sorted(campaigns, key=lambda c: -c["voters_flagged"])[:3]
                    )
                    skipped.append(f"campaign patterns: {found}{', ...' if len(campaigns) > 3 else ''}")
                if result.stats.get("surges", {}).get("windows_found"):
                    skipped.append(f"{result.stats['surges']['windows_found']} surging model-windows")
                if not result.stats["battles_with_prompt"]:
                    skipped.append("no prompt texts: prompt checks skipped")
                lines.append(
                    f"{source}: {n_battles:,} battles, {flagged:,} flagged"
                    + (f" ({'; '.join(skipped)})" if skipped else "")
                )
        counts = flag_counts(con, chosen, settings.dedup.exclude)
    if counts.height:
        lines.append(flag_table(counts))
    by_flag = (
        dict(counts.group_by("flag").agg(pl.col("battles").sum()).sort("flag").iter_rows()) if counts.height else {}
    )
    return StageResult(
        "dedup",
        tuple(run_ids),
        hash_,
        tuple(chosen),
        rows_in,
        flagged_total,
        {"flagged_by_flag": by_flag},
        tuple(lines),
    )


def flag_table(counts: pl.DataFrame) -> str:
    """The flag counts of :func:`arenavotes.dedup.store.flag_counts` as a text table."""
    from arenavotes.display import text_table

    rows = [(s, f, d, int(n), "excluded" if x else "kept") for s, f, d, n, x in counts.iter_rows()]
    return text_table(rows, ("source", "flag", "detector", "battles", "in ratings"))
