"""Report tables: pure functions from battles (and their labels and quality counts) to frames.

Everything the figures and documents show is computed here first and written to ``tables/*.parquet``,
so a reader can check any number in the report against a table.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import polars as pl

from arenavotes.errors import UserError
from arenavotes.ratings import RatingParams, kendall_tau
from arenavotes.ratings.leaderboard import LABEL_SCHEMA, Boards, build

TOP = 25  # models shown in matrices and figures
#: Columns of the report's leaderboard table, in order.
BOARD_COLUMNS = [
    "model",
    "rating",
    "ci_lower",
    "ci_upper",
    "rank",
    "rank_ub",
    "rank_worst",
    "battles",
    "rank_q025",
    "rank_q975",
    "provisional",
]
#: Labels that are not topics (judging criteria, languages): no category board in a report.
NOT_TOPICS = ("criteria.", "language:")


@dataclasses.dataclass(frozen=True)
class ReportInput:
    title: str  # e.g. "2024-07" or "all battles"
    battles: pl.DataFrame  # battle_id, tstamp, model_a, model_b, winner, voter_id, style columns
    labels: pl.DataFrame  # battle_id, labeler, category (positive labels only)
    previous: pl.DataFrame | None  # the comparison month's battles
    previous_title: str | None
    quality: dict[str, pl.DataFrame]  # quarantine, flags, pii: (reason/flag/entity, count)
    params: RatingParams
    min_battles: int
    min_category_battles: int
    style_reg: float = 1.0
    #: battles with ``campaign_p`` (the campaign posterior of their voter), campaign flags not excluded;
    #: ``None`` when no campaign scan has run on these sources
    campaign: pl.DataFrame | None = None
    #: the battles' prompts for the prompt-cluster boards: (battle_id, row) with the rows' vectors and texts;
    #: ``None`` when the sources have no prompt text
    prompts: tuple[pl.DataFrame, Any, list[str]] | None = None


def report_boards(battles: pl.DataFrame, labels: pl.DataFrame, inp: ReportInput, *, main: bool = True) -> Boards:
    """The leaderboards of a report, by :func:`arenavotes.ratings.leaderboard.build`: the main board (overall, the
    group of models with the most battles) with ``params``' intervals and rank ranges from bootstrap rounds around
    its fit; every other board (further groups, categories) with sandwich intervals. A report describes what
    happened, so a board where some model never won or never lost gets a small ridge instead of no board.
    ``main=False``: a board to compare with (no rank ranges, no style)."""
    return build(
        battles,
        labels,
        inp.params if main else dataclasses.replace(inp.params, ci="sandwich"),
        min_battles=inp.min_battles,
        min_category_battles=inp.min_category_battles,
        style="overall" if main else False,
        style_reg=inp.style_reg,
        with_loo=False,
        category_groups="largest",
        ridge_fallback=True,
        side_params=dataclasses.replace(inp.params, ci="sandwich"),
        rank_bootstrap=main,
    )


def _overall(boards: Boards, group: int | None = None) -> pl.DataFrame:
    b = boards.boards.filter((pl.col("labeler") == "") & (pl.col("category") == "overall"))
    return b if group is None else b.filter(pl.col("component") == group)


def main_board(boards: Boards) -> pl.DataFrame:
    """The overall board of the group with the most battles (rows of the leaderboards table)."""
    board = _overall(boards, 1)
    if board.height == 0:  # that group could not be rated
        raise UserError(boards.unrated["", "overall", 1][1])
    return board


def build_tables(inp: ReportInput) -> dict[str, pl.DataFrame]:
    if inp.battles.height == 0:
        raise UserError(f"no battles in {inp.title}", hint="check the month and --source")
    out: dict[str, pl.DataFrame] = {}
    topics = inp.labels.filter(~pl.any_horizontal(pl.col("category").str.starts_with(p) for p in NOT_TOPICS))
    boards = report_boards(inp.battles, topics, inp)
    main = main_board(boards)
    b = inp.battles
    others = _other_groups(boards)
    if others is not None:
        out["other_groups"] = others
        b = b.filter(
            pl.col("model_a").is_in(main["model"].implode()) & pl.col("model_b").is_in(main["model"].implode())
        )
    used = RatingParams(**json.loads(main["params"][0]))
    out["methods"] = pl.DataFrame(
        [
            {
                "ties": used.ties,
                "bothbad": used.bothbad,
                "ci": used.ci,
                "rounds": used.rounds,
                "alpha": used.alpha,
                "cluster_by": used.cluster_by,
                "seed": used.seed,
                "reg": used.reg,
                "min_battles": inp.min_battles,
                "min_category_battles": inp.min_category_battles,
                "style_reg": inp.style_reg,
            }
        ]
    )
    board = main.select(BOARD_COLUMNS)
    out["leaderboard"] = board
    top = board.sort("battles", descending=True).head(TOP)["model"].to_list()
    top = [m for m in board["model"].to_list() if m in top]  # in leaderboard order
    out["battles_per_model"] = board.select("model", "battles").sort("battles", descending=True)
    if b["tstamp"].null_count() < b.height:
        out["battles_per_day"] = (
            b.filter(pl.col("tstamp").is_not_null()).group_by(day=pl.col("tstamp").dt.date()).len("battles").sort("day")
        )
    out["win_rates"] = _observed(b, top)
    out["predicted"] = _predicted(dict(board.select("model", "rating").iter_rows()), top)
    cats = boards.boards.filter(pl.col("labeler") != "")
    if cats.height:
        out["category_leaderboards"] = cats.select(
            "model", "rating", "ci_lower", "ci_upper", "rank_ub", "battles", "category", "labeler"
        )
        out["category_ranks"] = (
            out["category_leaderboards"]
            .filter(pl.col("model").is_in(board.head(TOP)["model"].implode()))
            .select("category", "labeler", "model", "rank_ub")
        )
    style = boards.style.filter(pl.col("labeler") == "", pl.col("component") == 1) if boards.style.height else None
    if style is not None and style.height:
        out["style"] = style.select("feature", "coef", "ci_lower", "ci_upper")
    out["stability"] = main.select(
        "model",
        "rating",
        "rank",
        "rank_ub",
        "rank_q025",
        "rank_q975",
        rank_spread=pl.col("rank_q975") - pl.col("rank_q025"),
        online_elo="online_elo",
    )
    if inp.previous is not None and inp.previous.height:
        prev_board = main_board(report_boards(inp.previous, pl.DataFrame(schema=LABEL_SCHEMA), inp, main=False))
        now = dict(board.select("model", "rating").iter_rows())
        before = dict(prev_board.select("model", "rating").iter_rows())
        tau, common = kendall_tau(now, before)
        out["comparison"] = pl.DataFrame(
            {"previous": [inp.previous_title], "current": [inp.title], "kendall_tau": [tau], "common_models": [common]}
        )
        joined = prev_board.select("model", rank_prev="rank_ub", rating_prev="rating").join(
            board.select("model", rank_now="rank_ub", rating_now="rating"), on="model", how="full", coalesce=True
        )
        out["rank_changes"] = joined.with_columns(
            status=pl.when(pl.col("rank_prev").is_null())
            .then(pl.lit("new"))
            .when(pl.col("rank_now").is_null())
            .then(pl.lit("retired"))
            .otherwise(pl.lit("kept"))
        ).sort("rank_now", nulls_last=True)
    if inp.campaign is not None and inp.campaign.height and (inp.campaign["campaign_p"].fill_null(0) > 0).any():
        from arenavotes.ratings.robust import robust_board

        keep = inp.campaign.filter(
            pl.col("model_a").is_in(board["model"].implode()) & pl.col("model_b").is_in(board["model"].implode())
        )
        out["robust_board"] = robust_board(
            keep,
            RatingParams(ci="sandwich", ties=used.ties, bothbad=used.bothbad, alpha=used.alpha, reg=used.reg),
            seed=used.seed,
        )
    if inp.prompts is not None:
        clusters = _prompt_clusters(b, inp.prompts, board["model"].head(TOP).to_list(), used.seed)
        if clusters is not None:
            out["p2l_clusters"], out["p2l_cluster_ratings"] = clusters
    for name, frame in inp.quality.items():
        out[f"quality_{name}"] = frame
    return out


def _prompt_clusters(
    battles: pl.DataFrame, prompts: tuple[pl.DataFrame, Any, list[str]], models: list[str], seed: int
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The prompt-cluster boards (:func:`arenavotes.p2l.clusters.cluster_boards`) of the board's battles
    that have prompts; None with fewer than two clusters' worth of distinct prompts."""
    from arenavotes.p2l.clusters import MIN_CLUSTER_PROMPTS, cluster_boards

    rows, vectors, texts = prompts
    votes = battles.select("battle_id", "model_a", "model_b", "winner").join(rows, on="battle_id", how="inner")
    if votes.height == 0 or votes["row"].n_unique() < 2 * MIN_CLUSTER_PROMPTS:
        return None
    return cluster_boards(votes.drop("battle_id"), vectors, texts, seed=seed, models=models)


def _other_groups(boards: Boards) -> pl.DataFrame | None:
    """A board for each further group of models (never compared with the main one), or why it has none."""
    overall = _overall(boards)
    rated = set(overall["component"].to_list()) - {1}
    failed = {g: u for (lab, cat, g), u in boards.unrated.items() if (lab, cat) == ("", "overall") and g != 1}
    rows = []
    for n in sorted(rated | set(failed)):
        if n in failed:
            models, why = failed[n]
            rows.append(
                pl.DataFrame(
                    {
                        "group": n,
                        "model": sorted(models),
                        "battles": None,
                        "rating": None,
                        "ci_lower": None,
                        "ci_upper": None,
                        "rank": None,
                        "note": why,
                    }
                )
            )
            continue
        f = overall.filter(pl.col("component") == n).select(
            "model", "battles", "rating", "ci_lower", "ci_upper", "rank"
        )
        rows.append(
            f.with_columns(group=pl.lit(n), note=pl.lit(None, pl.String)).select(
                "group", "model", "battles", "rating", "ci_lower", "ci_upper", "rank", "note"
            )
        )
    return pl.concat(rows, how="vertical_relaxed") if rows else None


def _observed(b: pl.DataFrame, models: list[str]) -> pl.DataFrame:
    score = (
        pl.when(pl.col("winner") == "model_a").then(1.0).when(pl.col("winner") == "model_b").then(0.0).otherwise(0.5)
    )
    both = pl.concat(
        [
            b.select(model="model_a", opponent="model_b", score=score),
            b.select(model="model_b", opponent="model_a", score=1.0 - score),
        ]
    )
    return (
        both.filter(pl.col("model").is_in(models) & pl.col("opponent").is_in(models))
        .group_by("model", "opponent")
        .agg(win_rate=pl.col("score").mean(), battles=pl.len())
        .sort("model", "opponent")
    )


def _predicted(rating: dict[str, float], models: list[str]) -> pl.DataFrame:
    r = np.array([rating[m] for m in models], dtype=float)
    p = 1.0 / (1.0 + np.power(10.0, (r[None, :] - r[:, None]) / 400.0))
    rows = [(models[i], models[j], float(p[i, j])) for i in range(len(models)) for j in range(len(models)) if i != j]
    return pl.DataFrame(rows, schema={"model": pl.String, "opponent": pl.String, "p_win": pl.Float64}, orient="row")
