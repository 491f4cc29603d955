"""Report tables: pure functions from battles (and their labels and quality counts) to frames.

Everything the figures and documents show is computed here first and written to ``tables/*.parquet``,
so a reader can check any number in the report against a table.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import polars as pl

from arenavotes.errors import UserError
from arenavotes.ratings import DisconnectedError, RatingParams, kendall_tau, online_elo, rate
from arenavotes.ratings.core import prepare_counts
from arenavotes.ratings.counts import PairCounts
from arenavotes.ratings.graph import check_connected, groups_by_battles
from arenavotes.ratings.style import FEATURES, fit_style

TOP = 25     # models shown in matrices and figures


@dataclasses.dataclass(frozen=True)
class ReportInput:
    title: str                       # e.g. "2024-07" or "all battles"
    battles: pl.DataFrame            # battle_id, tstamp, model_a, model_b, winner, voter_id, style columns
    labels: pl.DataFrame             # battle_id, labeler, category (positive labels only)
    previous: pl.DataFrame | None    # the comparison month's battles
    previous_title: str | None
    quality: dict[str, pl.DataFrame]  # quarantine, flags, pii: (reason/flag/entity, count)
    params: RatingParams
    min_battles: int
    min_category_battles: int
    style_reg: float = 1.0


def split_groups(battles: pl.DataFrame) -> list[pl.DataFrame]:
    """The battles of each group of models that met (directly or through others), the group with the most
    battles first: a month can split into groups whose ratings are not comparable."""
    groups = groups_by_battles(PairCounts.from_battles(battles))
    if len(groups) <= 1:
        return [battles]
    return [battles.filter(pl.col("model_a").is_in(g) & pl.col("model_b").is_in(g)) for g in groups]


def stable_params(battles: pl.DataFrame, params: RatingParams) -> RatingParams:
    """The params, with a small ridge (0.01) when some model never won or never lost in this slice (small
    months): a report describes what happened, so it shows such models instead of failing."""
    try:   # the graph check rate() runs first: no fit needed to know whether the MLE exists
        check_connected(prepare_counts(battles, params), ridge=params.reg, ties_count=params.ties != "drop")
    except DisconnectedError as exc:
        if "never" not in exc.message:
            raise
        return dataclasses.replace(params, reg=max(params.reg, 0.01))
    return params


def leaderboard(battles: pl.DataFrame, params: RatingParams) -> tuple[pl.DataFrame, Any, RatingParams]:
    """The board with ``params``' intervals, and rank ranges from bootstrap rounds (those of the interval
    method when it resamples, else ``params.rounds`` multinomial rounds)."""
    params = stable_params(battles, params)
    clusters = None
    if params.ci == "cluster":
        clusters = "voter_id" if params.cluster_by == "voter" else "prompt_key"
    r = rate(battles, params, clusters=clusters)
    boot = r if params.ci in ("bootstrap", "cluster") else rate(battles, dataclasses.replace(params, ci="bootstrap"))
    lo, hi = boot.rank_quantiles()
    frame = r.to_frame().drop("rank_q025", "rank_q975").join(
        pl.DataFrame({"model": list(boot.models), "rank_q025": lo, "rank_q975": hi}), on="model")
    return frame.sort(["rating", "model"], descending=[True, False]), r, params


def build_tables(inp: ReportInput) -> dict[str, pl.DataFrame]:
    if inp.battles.height == 0:
        raise UserError(f"no battles in {inp.title}", hint="check the month and --source")
    out: dict[str, pl.DataFrame] = {}
    groups = split_groups(inp.battles)
    b = groups[0]
    if len(groups) > 1:
        out["other_groups"] = _other_groups(groups[1:], inp.params)
    board, fit, used = leaderboard(b, inp.params)
    out["methods"] = pl.DataFrame([{
        "ties": used.ties, "bothbad": used.bothbad, "ci": used.ci, "rounds": used.rounds, "alpha": used.alpha,
        "cluster_by": used.cluster_by, "seed": used.seed, "reg": used.reg, "min_battles": inp.min_battles,
        "min_category_battles": inp.min_category_battles, "style_reg": inp.style_reg}])
    board = board.with_columns(provisional=pl.col("battles") < inp.min_battles)
    out["leaderboard"] = board
    top = board.sort("battles", descending=True).head(TOP)["model"].to_list()
    top = [m for m in board["model"].to_list() if m in top]               # in leaderboard order
    out["battles_per_model"] = board.select("model", "battles").sort("battles", descending=True)
    if b["tstamp"].null_count() < b.height:
        out["battles_per_day"] = (b.filter(pl.col("tstamp").is_not_null())
                                  .group_by(day=pl.col("tstamp").dt.date()).len("battles").sort("day"))
    out["win_rates"] = _observed(b, top)
    out["predicted"] = _predicted(fit, top)
    cats = _categories(inp, b, board)
    if cats is not None:
        out["category_leaderboards"], out["category_ranks"] = cats
    style = _style(b, inp.params, inp.style_reg)
    if style is not None:
        out["style"] = style
    elo = online_elo(b)
    stab = board.select("model", "rating", "rank", "rank_ub", "rank_q025", "rank_q975").with_columns(
        rank_spread=pl.col("rank_q975") - pl.col("rank_q025"),
        online_elo=pl.col("model").replace_strict(elo, default=None, return_dtype=pl.Float64))
    out["stability"] = stab
    if inp.previous is not None and inp.previous.height:
        prev_board, _, _ = leaderboard(split_groups(inp.previous)[0],
                                       dataclasses.replace(inp.params, ci="sandwich", rounds=100))
        now = dict(board.select("model", "rating").iter_rows())
        before = dict(prev_board.select("model", "rating").iter_rows())
        tau, common = kendall_tau(now, before)
        out["comparison"] = pl.DataFrame({"previous": [inp.previous_title], "current": [inp.title], "kendall_tau": [tau],
                                          "common_models": [common]})
        joined = prev_board.select("model", rank_prev="rank_ub", rating_prev="rating").join(
            board.select("model", rank_now="rank_ub", rating_now="rating"), on="model", how="full", coalesce=True)
        out["rank_changes"] = joined.with_columns(
            status=pl.when(pl.col("rank_prev").is_null()).then(pl.lit("new"))
            .when(pl.col("rank_now").is_null()).then(pl.lit("retired")).otherwise(pl.lit("kept"))).sort(
            "rank_now", nulls_last=True)
    for name, frame in inp.quality.items():
        out[f"quality_{name}"] = frame
    return out


def _other_groups(groups: list[pl.DataFrame], params: RatingParams) -> pl.DataFrame:
    """A board for each further group of models (never compared with the main one), or why it has none."""
    rows = []
    for n, g in enumerate(groups, start=2):
        models = sorted(set(g["model_a"]) | set(g["model_b"]))
        try:
            r = rate(g, stable_params(g, dataclasses.replace(params, ci="sandwich")))
        except UserError as exc:
            rows.append(pl.DataFrame({"group": n, "model": models, "battles": None, "rating": None, "ci_lower": None,
                                      "ci_upper": None, "rank": None, "note": exc.message}))
            continue
        f = r.to_frame().select("model", "battles", "rating", "ci_lower", "ci_upper", "rank")
        rows.append(f.with_columns(group=pl.lit(n), note=pl.lit(None, pl.String)).select(
            "group", "model", "battles", "rating", "ci_lower", "ci_upper", "rank", "note"))
    return pl.concat(rows, how="vertical_relaxed")


def _observed(b: pl.DataFrame, models: list[str]) -> pl.DataFrame:
    score = pl.when(pl.col("winner") == "model_a").then(1.0).when(pl.col("winner") == "model_b").then(0.0).otherwise(0.5)
    both = pl.concat([
        b.select(model="model_a", opponent="model_b", score=score),
        b.select(model="model_b", opponent="model_a", score=1.0 - score)])
    return (both.filter(pl.col("model").is_in(models) & pl.col("opponent").is_in(models))
            .group_by("model", "opponent").agg(win_rate=pl.col("score").mean(), battles=pl.len())
            .sort("model", "opponent"))


def _predicted(fit: Any, models: list[str]) -> pl.DataFrame:
    idx = [fit.models.index(m) for m in models]
    r = fit.rating[idx]
    p = 1.0 / (1.0 + np.power(10.0, (r[None, :] - r[:, None]) / 400.0))
    rows = [(models[i], models[j], float(p[i, j])) for i in range(len(idx)) for j in range(len(idx)) if i != j]
    return pl.DataFrame(rows, schema={"model": pl.String, "opponent": pl.String, "p_win": pl.Float64}, orient="row")


def _categories(inp: ReportInput, battles: pl.DataFrame, board: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    if inp.labels.height == 0:
        return None
    boards = []
    for labeler, category, ids in (inp.labels.group_by("labeler", "category").agg(pl.col("battle_id"))
                                   .sort("labeler", "category").iter_rows()):
        if category.startswith(("criteria.", "language:")):
            continue
        sub = split_groups(battles.filter(pl.col("battle_id").is_in(ids)))[0]
        if sub.height < inp.min_category_battles:
            continue
        try:
            r = rate(sub, stable_params(sub, dataclasses.replace(inp.params, ci="sandwich")))
        except UserError:
            continue
        boards.append(r.to_frame().select("model", "rating", "ci_lower", "ci_upper", "rank_ub", "battles")
                      .with_columns(category=pl.lit(category), labeler=pl.lit(labeler)))
    if not boards:
        return None
    all_boards = pl.concat(boards)
    top = board.head(TOP)["model"].to_list()
    ranks = all_boards.filter(pl.col("model").is_in(top)).select("category", "labeler", "model", "rank_ub")
    return all_boards, ranks


def _style(b: pl.DataFrame, params: RatingParams, reg: float) -> pl.DataFrame | None:
    cols = [f"{f}_{s}" for f in FEATURES for s in "ab"]
    if not all(c in b.columns for c in cols) or b.drop_nulls(cols).height < 50:
        return None
    try:
        return fit_style(b.drop_nulls(cols), reg=reg, alpha=params.alpha, bothbad=params.bothbad).coefficients()
    except UserError:
        return None
