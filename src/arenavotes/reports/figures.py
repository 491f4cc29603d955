"""Report figures, each drawn from one report table (matplotlib, Agg backend), saved as PNG and SVG.

>>> import polars as pl, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> t = {"battles_per_model": pl.DataFrame({"model": ["a", "b"], "battles": [3, 5]})}
>>> sorted(p.name for p in draw_all(t, d))
['battles_per_model.png', 'battles_per_model.svg']
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import polars as pl

TOP_SLOPE = 30
plt.rcParams.update({"figure.dpi": 110, "font.size": 9, "svg.hashsalt": "arenavotes", "svg.fonttype": "none"})


def _save(fig: plt.Figure, out: Path, name: str) -> list[Path]:
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    fig.tight_layout()
    # bbox "tight" grows the canvas to every artist (a colour-bar label at the right edge was clipped)
    fig.savefig(paths[0], metadata={"Software": None}, bbox_inches="tight", pad_inches=0.15)
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None}, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    return paths


def forest(t: pl.DataFrame) -> plt.Figure:
    d = t.head(30)
    y = np.arange(d.height)[::-1]
    fig, ax = plt.subplots(figsize=(7, max(2.2, 0.28 * d.height + 1)))
    prov = d["provisional"].to_numpy()
    for mask, color in ((~prov, "#4c72b0"), (prov, "#c44e52")):
        if mask.any():
            sub = d.filter(pl.Series(mask))
            err = np.vstack([sub["rating"] - sub["ci_lower"], sub["ci_upper"] - sub["rating"]])
            ax.errorbar(sub["rating"], y[mask], xerr=err, fmt="o", color=color, ms=3, elinewidth=1.4, capsize=2)
    ax.set_yticks(y, [f"{r}. {m}" for r, m in zip(d["rank_ub"], d["model"], strict=True)])
    ax.set_xlabel("rating (Elo scale) with 95% interval; red = provisional")
    ax.grid(axis="x", alpha=0.3)
    return fig


def slope(t: pl.DataFrame, before: str = "previous", now: str = "this period") -> plt.Figure:
    """Positions (1 = best rating) of the models rated in both periods; green up, red down."""
    d = (
        t.filter(pl.col("status") == "kept")
        .with_columns(
            pos_prev=pl.col("rating_prev").rank("ordinal", descending=True),
            pos_now=pl.col("rating_now").rank("ordinal", descending=True),
        )
        .sort("pos_now")
        .head(TOP_SLOPE)
    )
    fig, ax = plt.subplots(figsize=(7, 0.3 * max(d.height, 4) + 1.2))
    for m, a, b in d.select("model", "pos_prev", "pos_now").iter_rows():
        color = "#55a868" if b < a else ("#c44e52" if b > a else "#8c8c8c")
        ax.plot([0, 1], [a, b], color=color, marker="o", lw=1.2)
        ax.text(-0.04, a, m, va="center", ha="right", fontsize=7)
        ax.text(1.04, b, m, va="center", fontsize=7)
    ax.invert_yaxis()
    ax.set_xticks([0, 1], [before, now])
    ax.set_xlim(-0.9, 1.9)
    ax.set_yticks([])
    ax.set_ylabel("position by rating among models in both periods")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    return fig


def bars(t: pl.DataFrame, x: str, y: str, label: str, horizontal: bool = True) -> plt.Figure:
    d = t.head(40)
    fig, ax = plt.subplots(figsize=(7, max(2.2, 0.25 * d.height + 1)) if horizontal else (8, 3))
    if horizontal:
        ax.barh(np.arange(d.height)[::-1], d[y], color="#4c72b0")
        ax.set_yticks(np.arange(d.height)[::-1], [str(v) for v in d[x]])
        ax.set_xlabel(label)
    else:
        ax.bar([str(v) for v in d[x]], d[y], color="#4c72b0")
        ax.set_ylabel(label)
        ax.tick_params(axis="x", rotation=60)
    return fig


def line(t: pl.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(t["day"].to_list(), t["battles"].to_list(), color="#4c72b0", marker=".")
    ax.set_ylabel("battles per day")
    fig.autofmt_xdate()
    return fig


def heatmap(t: pl.DataFrame, value: str, label: str, order: list[str] | None = None) -> plt.Figure:
    models = order or sorted(set(t["model"]) | set(t["opponent"]))
    idx = {m: i for i, m in enumerate(models)}
    m = np.full((len(models), len(models)), np.nan)
    for a, b, v in t.select("model", "opponent", value).iter_rows():
        if a in idx and b in idx:
            m[idx[a], idx[b]] = v
    fig, ax = plt.subplots(figsize=(0.32 * len(models) + 2.5, 0.32 * len(models) + 1.5))
    im = ax.imshow(m, cmap="RdBu", vmin=0, vmax=1)
    ax.set_xticks(range(len(models)), models, rotation=90, fontsize=6)
    ax.set_yticks(range(len(models)), models, fontsize=6)
    ax.set_xlabel("opponent")
    fig.colorbar(im, ax=ax, label=label, shrink=0.7)
    return fig


def rank_heatmap(t: pl.DataFrame, order: list[str]) -> plt.Figure:
    """Rank (rank_ub) of each leaderboard model in each category board, written in the cells; a category
    labelled by several labelers (source tags and ours) gets one column per labeler."""
    pairs = sorted(set(t.select("category", "labeler").iter_rows()))
    shared = {c for c, _ in pairs if sum(1 for c2, _ in pairs if c2 == c) > 1}
    names = [f"{c} ({lab.split(':')[0]})" if c in shared else c for c, lab in pairs]
    models = [m for m in order if m in set(t["model"])]
    m = np.full((len(models), len(pairs)), np.nan)
    row = {x: i for i, x in enumerate(models)}
    col = {x: i for i, x in enumerate(pairs)}
    for c, lab, model, r in t.select("category", "labeler", "model", "rank_ub").iter_rows():
        if model in row:
            m[row[model], col[(c, lab)]] = r
    fig, ax = plt.subplots(figsize=(0.75 * len(pairs) + 3.5, 0.3 * len(models) + 1.8))
    im = ax.imshow(m, cmap="viridis_r", aspect="auto")
    for i, j in zip(*np.nonzero(~np.isnan(m)), strict=True):
        ax.text(
            j,
            i,
            f"{m[i, j]:.0f}",
            ha="center",
            va="center",
            fontsize=6,
            color="white" if m[i, j] > np.nanmax(m) * 0.6 else "black",
        )
    ax.set_xticks(range(len(pairs)), names, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(models)), models, fontsize=7)
    fig.colorbar(im, ax=ax, label="rank in category", shrink=0.7)
    return fig


def cluster_shift(t: pl.DataFrame, clusters: pl.DataFrame, order: list[str]) -> plt.Figure:
    """Each leaderboard model's rating in each prompt cluster minus its overall rating, written in the cells
    (columns: clusters, named by their keywords)."""
    models = [m for m in order if m in set(t["model"])]
    names = [f"{c}: {k}" if k else str(c) for c, k in clusters.select("cluster", "keywords").iter_rows()]
    m = np.full((len(models), clusters.height), np.nan)
    row = {x: i for i, x in enumerate(models)}
    for c, model, d in t.select("cluster", "model", "difference").iter_rows():
        if model in row:
            m[row[model], c - 1] = d
    lim = max(float(np.nanmax(np.abs(m))) if m.size else 1.0, 1.0)
    fig, ax = plt.subplots(figsize=(0.9 * clusters.height + 3.5, 0.3 * len(models) + 2.2))
    im = ax.imshow(m, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    for i, j in zip(*np.nonzero(~np.isnan(m)), strict=True):
        ax.text(j, i, f"{m[i, j]:+.0f}", ha="center", va="center", fontsize=6)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(models)), models, fontsize=7)
    fig.colorbar(im, ax=ax, label="rating in cluster - overall (Elo points)", shrink=0.7)
    return fig


def coefficients(t: pl.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5, 2.5))
    y = np.arange(t.height)
    ax.errorbar(
        t["coef"],
        y,
        xerr=np.vstack([t["coef"] - t["ci_lower"], t["ci_upper"] - t["coef"]]),
        fmt="o",
        color="#4c72b0",
        capsize=3,
    )
    ax.axvline(0, color="#8c8c8c", lw=0.8)
    ax.set_yticks(y, t["feature"].to_list())
    ax.set_xlabel("style coefficient (logit per sd of the feature)")
    return fig


def robust_shift(t: pl.DataFrame) -> plt.Figure:
    """Robust minus plain rating per model (dot) with the robust interval around the plain rating (bar); the
    30 models with the largest differences; red where the plain rating lies outside the robust interval."""
    d = t.sort(pl.col("difference").abs(), descending=True).head(30).sort("difference")
    y = np.arange(d.height)
    fig, ax = plt.subplots(figsize=(7, max(2.2, 0.28 * d.height + 1.2)))
    colour = np.where(d["depends"].to_numpy(), "#c44e52", "#4c72b0")
    ax.hlines(y, d["ci_lower"] - d["rating_plain"], d["ci_upper"] - d["rating_plain"], color=colour, lw=3)
    ax.scatter(d["difference"], y, color=colour, zorder=3)
    ax.axvline(0, color="#8c8c8c", lw=0.8)
    ax.set_yticks(y, d["model"].to_list())
    ax.set_xlabel("robust minus plain rating (Elo points)")
    return fig


def spread(t: pl.DataFrame) -> plt.Figure:
    """Each model's 95% rank range over bootstrap rounds (bar) around its rank by rating (dot)."""
    d = t.sort("rank").head(30)
    y = np.arange(d.height)[::-1]
    fig, ax = plt.subplots(figsize=(7, max(2.2, 0.28 * d.height + 1.2)))
    ax.hlines(y, d["rank_q025"], d["rank_q975"], color="#4c72b0", lw=3, label="95% range over bootstrap rounds")
    ax.scatter(d["rank"], y, color="#c44e52", s=12, zorder=3, label="rank by rating")
    ax.set_yticks(y, d["model"].to_list())
    ax.invert_xaxis()
    ax.set_xlabel("rank (1 = best)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=7, frameon=False)
    return fig


def _periods(tables: dict[str, pl.DataFrame]) -> tuple[str, str]:
    if "comparison" in tables:
        return str(tables["comparison"]["previous"][0]), str(tables["comparison"]["current"][0])
    return "previous", "this period"


def draw_all(tables: dict[str, pl.DataFrame], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    order = tables["leaderboard"]["model"].to_list() if "leaderboard" in tables else []
    plan: list[tuple[str, str, Callable[[], plt.Figure]]] = [
        ("leaderboard", "forest", lambda: forest(tables["leaderboard"])),
        ("rank_changes", "rank_changes", lambda: slope(tables["rank_changes"], *_periods(tables))),
        (
            "battles_per_model",
            "battles_per_model",
            lambda: bars(tables["battles_per_model"], "model", "battles", "battles"),
        ),
        ("battles_per_day", "battles_per_day", lambda: line(tables["battles_per_day"])),
        (
            "win_rates",
            "win_rates",
            lambda: heatmap(
                tables["win_rates"],
                "win_rate",
                "observed score (ties = 1/2)",
                [m for m in order if m in set(tables["win_rates"]["model"])],
            ),
        ),
        (
            "predicted",
            "predicted",
            lambda: heatmap(
                tables["predicted"],
                "p_win",
                "predicted P(row beats column)",
                [m for m in order if m in set(tables["predicted"]["model"])],
            ),
        ),
        ("category_ranks", "category_ranks", lambda: rank_heatmap(tables["category_ranks"], order)),
        ("style", "style", lambda: coefficients(tables["style"])),
        ("stability", "rank_spread", lambda: spread(tables["stability"])),
        ("robust_board", "robust_board", lambda: robust_shift(tables["robust_board"])),
        (
            "p2l_cluster_ratings",
            "p2l_clusters",
            lambda: cluster_shift(tables["p2l_cluster_ratings"], tables["p2l_clusters"], order),
        ),
        (
            "quality_quarantine",
            "quality_quarantine",
            lambda: bars(tables["quality_quarantine"], "reason", "rows", "quarantined records"),
        ),
        ("quality_flags", "quality_flags", lambda: bars(tables["quality_flags"], "flag", "battles", "flagged battles")),
        ("quality_pii", "quality_pii", lambda: bars(tables["quality_pii"], "entity", "spans", "PII spans replaced")),
    ]
    paths: list[Path] = []
    for table, name, draw in plan:
        if table in tables and tables[table].height:
            paths += _save(draw(), out, name)
    return paths
