"""The campaign-robust board: every vote down-weighted by the probability that it belongs to a campaign.

Excluding flagged voters is all or nothing; a voter with posterior 0.6 of being in a campaign
(:mod:`arenavotes.dedup.campaigns`) is then either fully counted or fully dropped. The robust board
weights each vote by ``1 - p`` (``p``: its voter's posterior, the score of the ``campaign_voter`` /
``campaign_suspect`` flags) and fits Bradley-Terry on the weighted counts. Its intervals account for not
knowing who campaigned: ``draws`` imputations keep each suspect voter with probability ``1 - p`` (all
its votes together), each imputed board's sandwich variance is combined with the spread between the
boards by Rubin's rules (``T = mean W + (1 + 1/D) B``). ``draws=0`` gives the point estimates alone (no intervals).

For every model the result gives the plain rating (all votes, weight 1), the robust rating and
interval, the difference, the campaign weight removed from its battles, and ``depends``: the plain
rating lies outside the robust interval, so the model's standing rests on suspicious votes.

>>> import polars as pl
>>> honest = pl.DataFrame({"model_a": ["x", "x", "y", "y"] * 30, "model_b": ["y", "z", "z", "z"] * 30,
...                        "winner": ["model_a", "model_a", "model_a", "model_b"] * 30, "voter_id": "h",
...                        "campaign_p": 0.0})
>>> rigged = pl.DataFrame({"model_a": ["x"] * 40, "model_b": ["z"] * 40, "winner": "model_b",
...                        "voter_id": "s", "campaign_p": 0.95})
>>> r = robust_board(pl.concat([honest, rigged]), draws=20)
>>> r.select("model", "depends").sort("model").rows()
[('x', True), ('y', True), ('z', True)]
>>> float(r.filter(pl.col("model") == "z")["difference"][0]) < -100
True
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from arenavotes.ratings.bt import ELO_SCALE, normal_quantile
from arenavotes.ratings.core import fit_with_parts, gauge_offset, sandwich_cov
from arenavotes.ratings.counts import PairCounts
from arenavotes.ratings.params import RatingParams

SUSPICION = "campaign_p"


def _fit(frame: pl.DataFrame, params: RatingParams, weight: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    c = PairCounts.from_battles(frame, weight=weight)
    p = params
    if (c.battles_per_model() <= 0).any() and p.reg <= 0:
        p = dataclasses.replace(params, reg=1e-4)  # a model whose votes were all drawn out
    theta, extra, parts = fit_with_parts(c, p)
    cov = sandwich_cov(c, theta, p, extra, parts=parts)
    return c.models, theta[: c.n_models], np.clip(np.diag(cov)[: c.n_models], 0, None)


def robust_board(
    battles: pl.DataFrame, params: RatingParams | None = None, draws: int = 100, seed: int = 0
) -> pl.DataFrame:
    """Plain vs campaign-robust ratings (see the module docstring). ``battles``: model_a, model_b, winner,
    ``campaign_p`` (null = 0) and ``voter_id`` (votes without one are imputed one by one)."""
    params = params or RatingParams(ci="sandwich")
    p = pl.col(SUSPICION).fill_null(0.0).clip(0.0, 1.0)
    unit = pl.coalesce(pl.col("voter_id").cast(pl.String), pl.lit("row:") + pl.int_range(pl.len()).cast(pl.String))
    base = battles.select("model_a", "model_b", "winner", unit.alias("unit"), p.alias("p"))
    if params.bothbad == "drop":
        base = base.filter(pl.col("winner") != "tie_bothbad")
    # counts first: one row per (pair, outcome) for sure votes, per (pair, outcome, voter) for suspect ones
    sure = base.filter(pl.col("p") == 0).group_by("model_a", "model_b", "winner").agg(n=pl.len().cast(pl.Float64))
    suspect = (
        base.filter(pl.col("p") > 0)
        .group_by("model_a", "model_b", "winner", "unit")
        .agg(n=pl.len().cast(pl.Float64), p=pl.col("p").max())
        .sort("unit", "model_a", "model_b", "winner")
    )
    plain_frame = pl.concat([sure, suspect.select("model_a", "model_b", "winner", "n")])
    models, plain, _ = _fit(plain_frame, params, "n")
    weighted = pl.concat([sure, suspect.select("model_a", "model_b", "winner", n=pl.col("n") * (1 - pl.col("p")))])
    models_w, robust, _ = _fit(weighted, params, "n")
    units, inverse = np.unique(suspect["unit"].to_numpy(), return_inverse=True)
    unit_p = np.zeros(len(units))
    unit_p[inverse] = suspect["p"].to_numpy()
    rng = np.random.default_rng(seed)
    thetas, variances = [], []
    for _ in range(draws if len(units) else min(draws, 1)):
        keep = rng.random(len(units)) >= unit_p
        frame = pl.concat([sure, suspect.select("model_a", "model_b", "winner", n=pl.col("n") * keep[inverse])])
        m_d, t_d, v_d = _fit(frame, params, "n")
        idx = [m_d.index(m) for m in models]
        thetas.append(t_d[idx] - t_d[idx].mean())
        variances.append(v_d[idx])
    th, var = np.array(thetas).reshape(-1, len(models)), np.array(variances).reshape(-1, len(models))
    between = th.var(axis=0, ddof=1) if len(th) > 1 else np.zeros(len(models))
    total = var.mean(axis=0) + (1 + 1 / len(th)) * between if len(th) else np.full(len(models), np.nan)
    z = normal_quantile(1 - params.alpha / 2)
    order = [models_w.index(m) for m in models]
    robust = robust[order]
    off_p, off_r = gauge_offset(models, plain, params), gauge_offset(models, robust, params)
    r_plain, r_robust = off_p + plain * ELO_SCALE, off_r + robust * ELO_SCALE
    half = z * np.sqrt(total) * ELO_SCALE
    removed = (
        pl.concat(
            [
                suspect.select(model="model_a", w=pl.col("n") * pl.col("p")),
                suspect.select(model="model_b", w=pl.col("n") * pl.col("p")),
            ]
        )
        .group_by("model")
        .agg(pl.col("w").sum())
    )
    out = pl.DataFrame(
        {
            "model": list(models),
            "rating_plain": r_plain,
            "rating_robust": r_robust,
            "ci_lower": r_robust - half,
            "ci_upper": r_robust + half,
            "difference": r_robust - r_plain,
        }
    ).join(removed.rename({"w": "campaign_weight"}), on="model", how="left")
    return out.with_columns(
        pl.col("campaign_weight").fill_null(0.0),
        depends=(pl.col("rating_plain") < pl.col("ci_lower")) | (pl.col("rating_plain") > pl.col("ci_upper")),
    ).sort(["rating_robust", "model"], descending=[True, False])
