"""Leaderboards for a workspace: the overall board and one per category, with stability statistics.

:func:`build` is pure (frames in, frames out); the database edges (loading battles and labels,
writing and reading boards) are in :mod:`arenavotes.ratings.store`.

>>> import polars as pl
>>> b = pl.DataFrame({"battle_id": [str(n) for n in range(8)], "model_a": ["x", "y", "z", "y"] * 2,
...                   "model_b": ["y", "z", "x", "x"] * 2, "winner": ["model_a", "model_b", "tie", "model_a"] * 2})
>>> out = build(b, pl.DataFrame(schema=LABEL_SCHEMA), RatingParams(), min_battles=5, min_category_battles=1)
>>> out.boards.select("category", "model", "rank", "provisional").sort("rank").rows()
[('overall', 'z', 1, True), ('overall', 'x', 2, False), ('overall', 'y', 3, False)]
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any, Literal

import polars as pl

from arenavotes.errors import UserError
from arenavotes.pool import Forked
from arenavotes.ratings.core import RatingParams, Ratings, bootstrap_from_fit, prepare_counts, rate
from arenavotes.ratings.graph import InfiniteRatingError, groups_by_battles
from arenavotes.ratings.stability import (
    VoterLookup,
    elo_codes,
    elo_of_codes,
    graph_stats,
    kendall_tau,
    leave_one_voter_out,
)
from arenavotes.ratings.style import ALL_ARENA_FEATURES, FEATURES, board_features, fit_style

#: Boards of this many battles or more compute their online Elo in a forked process (below, forking costs
#: more than it saves).
FORK_ELO_BATTLES = 100_000

LABEL_SCHEMA = {"battle_id": pl.String, "labeler": pl.String, "category": pl.String}
STYLE_COLUMNS = [f"{f}_{s}" for f in FEATURES for s in "ab"]
#: What a style fit reads of a board's battles: the pair, the outcome and every style column any arena kind has.
STYLE_FIT_COLUMNS = frozenset(
    ["model_a", "model_b", "winner", *(f"{f}_{s}" for f in (*FEATURES, *ALL_ARENA_FEATURES) for s in "ab")]
)
#: The ridge of ``ridge_fallback`` (natural-scale strengths): enough to keep a never-lost model finite.
FALLBACK_RIDGE = 0.01
#: Style-control fits need at least this many battles with every style feature.
STYLE_MIN_BATTLES = 50

#: A group of models that got no board: (its models, why).
Unrated = tuple[list[str], str]


@dataclasses.dataclass(frozen=True)
class Boards:
    boards: pl.DataFrame  # rows of the leaderboards table (without scope/run_id)
    stats: pl.DataFrame  # rows of leaderboard_stats
    style: pl.DataFrame  # rows of style_coefficients
    skipped: dict[str, str]  # category -> why no board
    #: (labeler, category, group) -> (models, why) for each group of models that could not be rated
    unrated: dict[tuple[str, str, int], Unrated] = dataclasses.field(default_factory=dict)


def split_groups(battles: pl.DataFrame, params: RatingParams) -> list[tuple[list[str], pl.DataFrame]]:
    """Each group of models that met (directly or through others) with its battles, in the order of
    :func:`arenavotes.ratings.graph.groups_by_battles` (most battles first); one group keeps ``battles`` as is."""
    found = groups_by_battles(prepare_counts(battles, params))
    if len(found) <= 1:
        return [(found[0] if found else [], battles)]
    return [(g, battles.filter(pl.col("model_a").is_in(g) & pl.col("model_b").is_in(g))) for g in found]


def rate_board(
    battles: pl.DataFrame, params: RatingParams, *, clusters: str | None = None, ridge_fallback: bool = False
) -> Ratings:
    """:func:`rate`; with ``ridge_fallback``, ratings that would be infinite (a model never won or never lost)
    are fitted with the ridge :data:`FALLBACK_RIDGE` instead (the ratings' ``params`` record it)."""
    try:
        return rate(battles, params, clusters=clusters)
    except InfiniteRatingError:
        if not ridge_fallback:
            raise
        return rate(battles, dataclasses.replace(params, reg=max(params.reg, FALLBACK_RIDGE)), clusters=clusters)


def rate_groups(
    battles: pl.DataFrame,
    params: RatingParams,
    *,
    clusters: str | None = None,
    ridge_fallback: bool = False,
    rest: RatingParams | None = None,
) -> tuple[list[tuple[int, pl.DataFrame, Ratings]], dict[int, Unrated]]:
    """Rate every connected group of models on its own: ``[(group, its battles, ratings)]`` and, for groups that
    cannot be rated (e.g. a model that never lost, so its rating would be infinite), ``{group: (models, why)}``.

    Groups are numbered 1, 2, ... by their number of battles (largest first). Models in different groups
    never met, directly or through others, so their ratings are not comparable: each group has its own
    gauge (mean 1000, or the anchor in the group that holds it) and its own ranks. (``--compat fastchat-2024``
    keeps FastChat's single ridged fit, to reproduce its published numbers.) Groups 2, 3, ... are rated with
    ``rest`` when given; ``ridge_fallback``: see :func:`rate_board`.

    >>> b = pl.DataFrame({"model_a": ["x", "y", "p", "q"] * 5, "model_b": ["y", "x", "q", "p"] * 5,
    ...                   "winner": ["model_a", "model_a", "model_a", "tie"] * 5})
    >>> [(g, r.models) for g, _, r in rate_groups(b, RatingParams())[0]]
    [(1, ('p', 'q')), (2, ('x', 'y'))]
    """
    found = split_groups(battles, params)
    if len(found) <= 1 or params.compat == "fastchat-2024":
        # FastChat's 2024 fit is ridged, so it is defined on a split graph; it rated one board, and the compat
        # mode reproduces its published numbers (ratings across groups are then pinned only by the ridge)
        return [(1, battles, rate_board(battles, params, clusters=clusters, ridge_fallback=ridge_fallback))], {}
    out: list[tuple[int, pl.DataFrame, Ratings]] = []
    failed: dict[int, Unrated] = {}
    for n, (models, sub) in enumerate(found, start=1):
        p = params if n == 1 or rest is None else rest
        group_params = p if p.anchor is None or p.anchor in models else dataclasses.replace(p, anchor=None)
        try:
            out.append((n, sub, rate_board(sub, group_params, clusters=clusters, ridge_fallback=ridge_fallback)))
        except UserError as exc:
            failed[n] = (models, exc.message)
    if not out:
        raise UserError(
            "no group of models can be rated: " + "; ".join(f"group {g}: {_why(*u)}" for g, u in failed.items()),
            hint="add a small ridge (--reg 0.01) or rate a larger set of battles",
        )
    return out, failed


def _why(models: list[str], message: str) -> str:
    return f"{len(models)} models ({', '.join(models[:3])}{' ...' if len(models) > 3 else ''}): " + message


def build(
    battles: pl.DataFrame,
    labels: pl.DataFrame,
    params: RatingParams,
    *,
    min_battles: int = 300,
    min_category_battles: int = 100,
    categories: Sequence[str] | None = None,
    style: bool | Literal["overall"] = True,
    style_reg: float = 1.0,
    clusters: str | None = None,
    with_loo: bool = True,
    category_groups: Literal["all", "largest"] = "all",
    ridge_fallback: bool = False,
    side_params: RatingParams | None = None,
    rank_bootstrap: bool = False,
    voter_names: VoterLookup | None = None,
) -> Boards:
    """Overall and per-category leaderboards from battles and their (positive) category labels (battle_id,
    labeler, category; or, as :func:`arenavotes.ratings.store.load_rating_input` gives them, one row per labeler
    and category naming the ``column`` and ``bit`` of ``battles`` that mark its battles); a comparison
    graph that splits gives one board per connected group of models (column ``component``).

    The defaults are those of ``arenavotes rate``; a report asks for more:

    * ``category_groups="largest"``: a category gets a board for its group of models with the most battles
      only (``min_category_battles`` then applies to that group);
    * ``ridge_fallback``: a board whose ratings would be infinite is fitted with a small ridge instead of
      being skipped (:func:`rate_board`);
    * ``side_params``: the parameters of every board but the main one (overall, group 1), e.g. sandwich
      intervals for category boards; default ``params``;
    * ``rank_bootstrap``: the main board's rank ranges from ``params.rounds`` bootstrap rounds drawn around
      its fit (:func:`arenavotes.ratings.core.bootstrap_from_fit`) when its intervals are not bootstrapped;
    * ``style="overall"``: style-control coefficients for the overall boards only;
    * ``voter_names``: the ids of integer voter codes (the ``voter_id`` of
      :func:`arenavotes.ratings.store.load_rating_input`), for the voter a board's stats name.
    """
    side = side_params or params
    rows: list[pl.DataFrame] = []
    stats: list[dict[str, Any]] = []
    style_rows: list[pl.DataFrame] = []
    skipped: dict[str, str] = {}
    unrated: dict[tuple[str, str, int], Unrated] = {}
    overall, failed = rate_groups(battles, params, clusters=clusters, ridge_fallback=ridge_fallback, rest=side)
    for g, u in failed.items():
        skipped[f"overall, group {g}"] = _why(*u)
        unrated["", "overall", g] = u
    if rank_bootstrap and overall[0][0] == 1:
        overall[0] = (1, overall[0][1], bootstrap_from_fit(overall[0][1], overall[0][2]))
    ref = {m: v for _, _, r in overall for m, v in zip(r.models, r.rating.tolist(), strict=True)}

    def emit(labeler: str, category: str, group: int, sub: pl.DataFrame, r: Ratings) -> None:
        """A board's rows, stats and style coefficients, made as soon as it is fitted: a board's battles are
        not held once it is done (15 category subsets of 1M battles held together were most of the memory)."""
        rows.append(_board_rows(labeler, category, group, sub, r, min_battles, with_loo, stats, ref, voter_names))
        styled = style is True or (style == "overall" and not labeler)
        if styled and all(c in sub.columns for c in STYLE_COLUMNS):
            # only what the style fit reads: a copy of the board's every column per style board was most of
            # rate's growth with N (1M -> 2M conversations: 0.53 -> 0.80 GB, third stop of 6 December)
            sf = sub.select([c for c in sub.columns if c in STYLE_FIT_COLUMNS]).drop_nulls(STYLE_COLUMNS)
            if sf.height >= STYLE_MIN_BATTLES:
                try:
                    fit = fit_style(
                        sf,
                        reg=style_reg,
                        alpha=params.alpha,
                        bothbad=params.bothbad,
                        features=board_features(sf),
                    )
                except UserError as exc:
                    skipped[f"style {category} [{labeler}]"] = exc.message
                else:
                    style_rows.append(
                        fit.coefficients().with_columns(
                            labeler=pl.lit(labeler),
                            category=pl.lit(category),
                            component=pl.lit(group, pl.Int32),
                            battles=pl.lit(fit.battles),
                            reg=pl.lit(style_reg),
                        )
                    )

    for g, sub, r in overall:
        emit("", "overall", g, sub, r)
    del overall
    wanted = set(categories) if categories else None
    by_bit = "bit" in labels.columns  # bits of the battles' label columns (store.load_rating_input), not ids
    if by_bit:
        groups = labels.select("labeler", "category", "column", "bit").sort("labeler", "category")
    else:
        groups = labels.group_by("labeler", "category").agg(pl.col("battle_id")).sort("labeler", "category")
    del labels
    for i, (labeler, category) in enumerate(groups.select("labeler", "category").iter_rows()):
        name = f"{category} [{labeler}]"
        if wanted is not None and category not in wanted and name not in wanted:
            continue
        if by_bit:
            bit = pl.lit(1 << int(groups["bit"][i]), pl.UInt64)
            sub = battles.filter((pl.col(groups["column"][i]) & bit) != 0)
        else:
            sub = battles.filter(pl.col("battle_id").is_in(groups["battle_id"][i].implode()))
        if category_groups == "largest" and sub.height:
            sub = split_groups(sub, side)[0][1]
        if sub.height < max(min_category_battles, 1):
            skipped[name] = f"{sub.height} battles < {min_category_battles}"
            continue
        try:
            rated, failed = rate_groups(sub, side, clusters=clusters, ridge_fallback=ridge_fallback)
        except UserError as exc:
            skipped[name] = exc.message
            continue
        for g, u in failed.items():
            skipped[f"{name}, group {g}"] = _why(*u)
            unrated[labeler, category, g] = u
        for g, s, r in rated:
            emit(labeler, category, g, s, r)
    return Boards(
        pl.concat(rows),
        pl.DataFrame(stats, infer_schema_length=None),
        pl.concat(style_rows) if style_rows else pl.DataFrame(),
        skipped,
        unrated,
    )


def _board_rows(
    labeler: str,
    category: str,
    group: int,
    sub: pl.DataFrame,
    r: Ratings,
    min_battles: int,
    with_loo: bool,
    stats: list[dict[str, Any]],
    ref: dict[str, float],
    voter_names: VoterLookup | None,
) -> pl.DataFrame:
    frame = r.to_frame()
    # the online Elo is one Python loop over the battles (each update needs the last): on a large board it runs in
    # a forked process while leave-one-voter-out runs here. On a thread, the two fought over the interpreter lock
    # (1M battles: leave-one-voter-out 0.45 s alone, ~1.1 s beside the loop).
    codes = elo_codes(sub)
    with Forked(elo_of_codes, codes, inline=sub.height < FORK_ELO_BATTLES) as elo_running:
        loo = leave_one_voter_out(sub, r, voter_names=voter_names) if with_loo else None
        c = prepare_counts(sub, r.params)
        g = graph_stats(c)
        elo = elo_running.result()
    del codes
    tau = kendall_tau(dict(zip(r.models, r.rating.tolist(), strict=True)), ref)[0] if category != "overall" else 1.0
    stats.append(
        {
            "labeler": labeler,
            "category": category,
            "component": group,
            "battles": sub.height,
            "models": g.models,
            "pairs_met": g.pairs_met,
            "pairs_possible": g.pairs_possible,
            "components": g.components,
            "kendall_tau_vs_overall": tau,
            "voters": loo.voters if loo else None,
            "loo_max_change": loo.max_change if loo else None,
            "loo_worst_voter": loo.worst_voter if loo else None,
            "tie_parameter": r.tie_parameter,
        }
    )
    return frame.with_columns(
        labeler=pl.lit(labeler),
        category=pl.lit(category),
        component=pl.lit(group, pl.Int32),
        provisional=pl.col("battles") < min_battles,
        online_elo=pl.col("model").replace_strict(elo, default=None, return_dtype=pl.Float64),
        loo_max_change=(
            pl.col("model").replace_strict(loo.per_model, default=None, return_dtype=pl.Float64)
            if loo
            else pl.lit(None, pl.Float64)
        ),
        method=pl.lit(r.method),
        params=pl.lit(r.params.to_json()),
    )


# --- database edges -----------------------------------------------------------------------------


def scope_name(
    sources: Sequence[str], anony_only: bool, since: str | None, until: str | None, arena: str | None = None
) -> str:
    parts = [",".join(sources) + (f"[{arena}]" if arena else "")]
    if anony_only:
        parts.append("anony")
    if since or until:
        parts.append(f"{since or ''}..{until or ''}")
    return "|".join(parts)


def params_summary(params: RatingParams) -> str:
    d = {k: v for k, v in json.loads(params.to_json()).items() if v not in (None, False)}
    return ", ".join(f"{k}={v}" for k, v in sorted(d.items()))


__all__ = [
    "LABEL_SCHEMA",
    "Boards",
    "RatingParams",
    "build",
    "params_summary",
    "rate_board",
    "rate_groups",
    "scope_name",
    "split_groups",
]
