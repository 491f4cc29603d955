"""Stage ``rate``: Bradley-Terry leaderboards (overall and per category) for a set of sources, written to
``leaderboards`` under a *scope* name, in one transaction with the run.

>>> parse_anchor("gpt-4-0613=1200")
('gpt-4-0613', 1200.0)
"""

from __future__ import annotations

import dataclasses
import json

import polars as pl

from arenavotes.db import STREAM_MEMORY_LIMIT, release_cache
from arenavotes.errors import UserError
from arenavotes.stages.base import StageResult, exclusion_policy, recorded, settings_hash
from arenavotes.workspace import Workspace


@dataclasses.dataclass(frozen=True)
class RateOptions:
    sources: tuple[str, ...] = ()
    all_sources: bool = False
    scope: str | None = None  # default: sources and filters
    anony_only: bool = False
    since: str | None = None
    until: str | None = None
    ties: str | None = None  # None: [ratings] settings
    bothbad: str | None = None
    ci: str | None = None
    rounds: int | None = None
    cluster_by: str | None = None
    alpha: float | None = None
    simultaneous: bool = False
    anchor: str | None = None  # MODEL=RATING
    reg: float = 0.0
    compat: str | None = None
    categories: tuple[str, ...] = ()  # default: every category with enough battles
    no_categories: bool = False
    min_battles: int | None = None
    style: bool = True
    seed: int | None = None
    workers: int = 0
    exclude_flags: str | None = None  # comma-separated, 'none', or None for [dedup] exclude
    arena: str | None = None  # one arena kind (needed when the sources hold several)
    mix_arenas: bool = False  # rate several arena kinds together


def parse_anchor(anchor: str) -> tuple[str, float]:
    """``MODEL=RATING`` -> (model, rating); the model name may itself contain '='."""
    model, sep, value = anchor.rpartition("=")
    try:
        rating = float(value)
    except ValueError:
        model = ""
    if not sep or not model:
        raise UserError(f"--anchor {anchor}: expected MODEL=RATING", hint="e.g. --anchor gpt-4-0613=1200")
    return model, rating


def run_rate(ws: Workspace, options: RateOptions) -> StageResult:
    """Fit and write the leaderboards of ``options`` (see :func:`arenavotes.ratings.leaderboard.build`).

    BLAS runs one thread here. The products and solves of a rating are small (models x models), and the
    process's other core goes to the online Elo's forked child (:class:`arenavotes.pool.Forked`), to DuckDB and
    Polars, or to ``--workers``. With OpenBLAS's default of a thread per core, whole-process ``rate`` on 1M
    battles took a median 2.32 s against 2.00 s with one (10 interleaved runs each, 200 models, 2 cores)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _run_rate(ws, options)


def _run_rate(ws: Workspace, options: RateOptions) -> StageResult:
    from arenavotes.ratings import leaderboard as lb
    from arenavotes.ratings import store
    from arenavotes.ratings.core import RatingParams
    from arenavotes.sources import resolve_sources

    settings = ws.settings()
    st = settings.ratings
    anchor_model, anchor_rating = parse_anchor(options.anchor) if options.anchor else (None, 1000.0)
    params = RatingParams.from_settings(
        st,
        ties=options.ties,
        bothbad=options.bothbad,
        ci=options.ci,
        rounds=options.rounds,
        cluster_by=options.cluster_by,
        alpha=options.alpha,
        simultaneous=options.simultaneous,
        anchor=anchor_model,
        anchor_rating=anchor_rating,
        reg=options.reg,
        seed=options.seed,
        workers=options.workers,
        compat=options.compat,
    )
    exclude = exclusion_policy(options.exclude_flags, settings.dedup.exclude)
    hash_ = settings_hash(
        settings,
        "rate",
        {"params": json.loads(params.to_json()), "exclude": list(exclude), **dataclasses.asdict(options)},
    )
    with ws.connect(memory_limit=STREAM_MEMORY_LIMIT) as con:
        chosen = resolve_sources(con, options.sources, options.all_sources)
        arena = store.choose_arena(con, chosen, options.arena, options.mix_arenas)
        scope = options.scope or lb.scope_name(chosen, options.anony_only, options.since, options.until, arena)
        with recorded(con, "rate", hash_, target=scope, sources=chosen) as run:
            excluded = store.excluded_counts(con, chosen, exclude, arena)
            battles, labels, voter_names = store.load_rating_input(
                con,
                chosen,
                anony_only=options.anony_only,
                since=options.since,
                until=options.until,
                with_prompt_key=params.ci == "cluster" and params.cluster_by == "prompt",
                exclude_flags=exclude,
                arena=arena,
                labels=not options.no_categories,
                # a cluster bootstrap by voter numbers its clusters by voter id: it needs the ids themselves
                voter_codes=not (params.ci == "cluster" and params.cluster_by == "voter"),
            )
            release_cache(con)  # the pages the load read: the fits hold their own arrays
            if battles.height == 0:
                raise UserError("no battles match the selection", hint="check --source, --since/--until, --anony-only")
            out = lb.build(
                battles,
                labels,
                params,
                min_battles=st.min_battles if options.min_battles is None else options.min_battles,
                min_category_battles=st.min_category_battles,
                categories=options.categories or None,
                style=options.style,
                style_reg=st.style_reg,
                voter_names=voter_names,
            )
            n_excluded = store.excluded_total(con, chosen, exclude, arena)
            store.write(con, scope, out, run.run_id, excluded=n_excluded)
            n_boards = out.boards.select("labeler", "category").unique().height
            run.rows_in, run.rows_out = battles.height, out.boards.height
            run.counts = {
                "leaderboards": n_boards,
                "skipped": out.skipped,
                "params": json.loads(params.to_json()),
                "excluded_flags": list(exclude),
                "excluded_by_flag": excluded,
                "excluded_battles": n_excluded,
                "sources": list(chosen),
            }
    overall = out.boards.filter(pl.col("category") == "overall")
    lines = [
        f"rated '{scope}': {battles.height:,} battles, {overall.height} models, {n_boards} leaderboards "
        f"({lb.params_summary(params)})"
    ]
    if overall["component"].n_unique() > 1 or any(k.startswith("overall, group") for k in out.skipped):
        sizes = overall.group_by("component").agg(pl.len(), (pl.col("battles").sum() // 2).alias("b")).sort("component")
        lines.append(
            "  the models split into groups that never met, directly or through others; each group is rated "
            "on its own and ratings compare only within a group: "
            + "; ".join(f"group {g}: {n} models, {b:,} battles" for g, n, b in sizes.iter_rows())
        )
    if excluded:
        lines.append(
            f"  left out {n_excluded:,} flagged battles ("
            + ", ".join(f"{f} {n:,}" for f, n in excluded.items())
            + "); --exclude-flags none keeps them"
        )
    lines += [f"  no leaderboard for {cat}: {why}" for cat, why in sorted(out.skipped.items())]
    s = out.style.filter(pl.col("category") == "overall") if out.style.height else out.style
    if s.height:
        lines.append(
            "  style coefficients (overall, logit per sd): "
            + ", ".join(
                f"{f} {c:+.3f} [{lo:+.3f}, {hi:+.3f}]"
                for f, c, lo, hi in s.select("feature", "coef", "ci_lower", "ci_upper").rows()
            )
        )
    return StageResult("rate", (run.run_id,), hash_, tuple(chosen), run.rows_in, run.rows_out, run.counts, tuple(lines))
