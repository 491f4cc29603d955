"""Stability statistics: how much a leaderboard would move.

* rank spread over bootstrap rounds (:meth:`Ratings.rank_quantiles`);
* Kendall tau between two leaderboards (periods, categories) on their common models;
* the comparison graph: models, pairs that met, connected components;
* leave-one-voter-out: the largest rating change any single voter causes (one Newton step from
  the full fit per voter, all voters at once, then an exact refit of the five most influential);
* online Elo (K=4, FastChat's ``compute_elo``) in time order, for comparison with Bradley-Terry.

>>> tau, common = kendall_tau({"a": 3.0, "b": 2.0, "c": 1.0}, {"a": 2.0, "b": 3.0, "c": 1.0, "d": 0.0})
>>> round(tau, 3), common
(0.333, 3)
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from arenavotes.errors import UserError
from arenavotes.ratings.bt import ELO_SCALE, fit_logit, gradient, hessian, pinv_sum_zero, sigmoid
from arenavotes.ratings.core import RatingParams, Ratings, logit_data, prepare_counts
from arenavotes.ratings.counts import PairCounts
from arenavotes.ratings.graph import components
from arenavotes.vocab import LOGIT_TIE_POLICIES


def kendall_tau(a: dict[str, float], b: dict[str, float]) -> tuple[float, int]:
    """Kendall's tau-b between two rating maps over their common models, and how many there are."""
    common = sorted(set(a) & set(b))
    if len(common) < 2:
        return float("nan"), len(common)
    from scipy.stats import kendalltau  # imported here: scipy.stats costs half a second at start-up

    tau = kendalltau([a[m] for m in common], [b[m] for m in common]).statistic
    return float(tau), len(common)


@dataclasses.dataclass(frozen=True)
class GraphStats:
    models: int
    pairs_met: int
    pairs_possible: int
    components: int
    min_battles: int
    median_battles: float


def graph_stats(c: PairCounts) -> GraphStats:
    bpm = c.battles_per_model()
    k = c.n_models
    return GraphStats(
        k,
        int((c.total > 0).sum()),
        k * (k - 1) // 2,
        len(components(c)),
        int(bpm.min()) if k else 0,
        float(np.median(bpm)) if k else 0.0,
    )


@dataclasses.dataclass(frozen=True)
class VoterInfluence:
    voters: int
    max_change: float  # rating points, the largest over voters and models
    worst_voter: str | None
    per_model: dict[str, float]  # largest change each model sees from one voter


def leave_one_voter_out(battles: pl.DataFrame, ratings: Ratings, top: int = 5) -> VoterInfluence | None:
    """Worst-case rating change from removing all votes of one voter (``voter_id``); half/drop ties only."""
    params = ratings.params
    if "voter_id" not in battles.columns or params.ties not in LOGIT_TIE_POLICIES or params.compat:
        return None
    b = battles.filter(pl.col("voter_id").is_not_null())
    if b.height == 0:
        return None
    c = prepare_counts(battles, params)
    k = c.n_models
    theta = ratings.theta
    _, n = logit_data(c, params.ties)
    p = sigmoid(theta[c.i] - theta[c.j])
    h_inv = pinv_sum_zero(hessian(c.i, c.j, n * p * (1 - p), k) + params.reg * np.eye(k))
    # per-voter score contributions: influence of removing voter v ~ -H^-1 g_v
    enum = pl.Enum(list(c.models))
    y_half = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie_bothbad": 0.5}
    vb = b if params.bothbad == "tie" else b.filter(pl.col("winner") != "tie_bothbad")
    if params.ties == "drop":
        vb = vb.filter(pl.col("winner").is_in(["model_a", "model_b"]))
    vb = vb.with_columns(
        a=pl.col("model_a").cast(enum).to_physical().cast(pl.Int64),
        bb=pl.col("model_b").cast(enum).to_physical().cast(pl.Int64),
        y=pl.col("winner").replace_strict(y_half, return_dtype=pl.Float64),
    )
    a, bb = vb["a"].to_numpy(), vb["bb"].to_numpy()
    r = vb["y"].to_numpy() - sigmoid(theta[a] - theta[bb])
    # voters in sorted order and each battle's voter code (as np.unique gives them, without sorting 1M strings)
    coded = vb.select(code=pl.col("voter_id").rank("dense").cast(pl.Int64) - 1)["code"].to_numpy()
    voters = vb["voter_id"].unique().sort().to_numpy()
    flat = coded * k
    g = (
        np.bincount(flat + a, weights=r, minlength=len(voters) * k)
        - np.bincount(flat + bb, weights=r, minlength=len(voters) * k)
    ).reshape(len(voters), k)
    delta = -(g @ h_inv.T) * ELO_SCALE  # removing the voter subtracts its score
    delta -= delta.mean(axis=1, keepdims=True)
    worst = np.abs(delta).max(axis=1)
    candidates = np.argsort(-worst)[:top]
    exact = {}
    for v in candidates:  # exact refit for the most influential voters: the counts minus that voter's own
        c2 = c.without(PairCounts.from_battles(vb.filter(pl.col("voter_id") == voters[v])))
        w2, n2 = logit_data(c2, params.ties)
        met = np.bincount(c2.i, weights=n2, minlength=k) + np.bincount(c2.j, weights=n2, minlength=k)
        if (met == 0).any():  # the voter was a model's only evidence: keep the approximation
            continue
        try:
            th2 = fit_logit(c2.i, c2.j, w2, n2, k, reg=params.reg, init=theta)
        except UserError:  # removing this voter leaves a model without a finite MLE: keep the approximation
            continue
        d = (th2 - th2.mean() - (theta - theta.mean())) * ELO_SCALE
        delta[v] = d
        exact[v] = float(np.abs(d).max())
        worst[v] = exact[v]
    top_voter = int(np.argmax(worst))
    per_model = dict(zip(c.models, np.abs(delta).max(axis=0).tolist(), strict=True))
    return VoterInfluence(len(voters), float(worst[top_voter]), str(voters[top_voter]), per_model)


def online_elo(
    battles: pl.DataFrame, k: float = 4.0, scale: float = 400.0, base: float = 10.0, init: float = 1000.0
) -> dict[str, float]:
    """FastChat's online Elo over battles in time order (``tstamp`` when present); ties are half."""
    b = battles.sort("tstamp", maintain_order=True, nulls_last=True) if "tstamp" in battles.columns else battles
    if b.height == 0:
        return {}
    # one sequential pass (each update depends on the last), over integer codes and a list of floats
    models = sorted(set(b["model_a"].unique().to_list()) | set(b["model_b"].unique().to_list()))
    enum = pl.Enum(models)
    score = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie_bothbad": 0.5}
    coded = b.select(
        pl.col("model_a").cast(enum).to_physical().alias("a"),
        pl.col("model_b").cast(enum).to_physical().alias("b"),
        pl.col("winner").replace_strict(score, return_dtype=pl.Float64).alias("s"),
    )
    r = [init] * len(models)
    seen = [False] * len(models)
    for ia, ib, sa in zip(coded["a"].to_list(), coded["b"].to_list(), coded["s"].to_list(), strict=True):
        ra, rb = r[ia], r[ib]
        ea = 1.0 / (1.0 + base ** ((rb - ra) / scale))
        r[ia] = ra + k * (sa - ea)
        r[ib] = rb + k * ((1.0 - sa) - (1.0 - ea))  # FastChat's arithmetic, to the last bit
        seen[ia] = seen[ib] = True
    return {m: r[n] for n, m in enumerate(models) if seen[n]}


__all__ = [
    "GraphStats",
    "RatingParams",
    "VoterInfluence",
    "gradient",
    "graph_stats",
    "kendall_tau",
    "leave_one_voter_out",
    "online_elo",
]
