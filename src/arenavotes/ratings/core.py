"""One rating protocol: battles in, a frozen :class:`Ratings` out, carrying the parameters that made it.

Pipeline: aggregate to pair counts -> apply the tie policy -> fit (Bradley-Terry by Newton, or a
tie model by Fisher scoring) -> intervals (sandwich, multinomial bootstrap on the counts, or
cluster bootstrap by voter/prompt) -> gauge (mean 1000, or an anchor model) -> ranks.

Tie policies (how ``tie`` and ``tie_bothbad`` enter; ``bothbad="drop"`` drops ``tie_bothbad`` first):

=============  ==========================================================================
``half``       a tie is half a win each way (FastChat, arena-rank, LMArena); default
``drop``       ties are removed; only decisive votes count
``rao-kupper`` ties are a third outcome of the Rao-Kupper model (one extra parameter)
``davidson``   ties are a third outcome of the Davidson model (one extra parameter)
=============  ==========================================================================

>>> import polars as pl
>>> b = pl.DataFrame({"model_a": ["x", "y", "x", "z", "z"], "model_b": ["y", "z", "z", "x", "y"],
...                   "winner": ["model_a", "model_a", "tie", "model_b", "model_b"]})
>>> r = rate(b, RatingParams(ci="sandwich"))
>>> [round(float(v), 1) for v in r.rating], r.models
([1178.3, 1052.7, 769.0], ('x', 'y', 'z'))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import polars as pl

from arenavotes.errors import UserError
from arenavotes.ratings.bt import (
    ELO_SCALE,
    fit_logit,
    gradient,
    hessian,
    inverse,
    normal_quantile,
    pinv_sum_zero,
    sigmoid,
)
from arenavotes.ratings.counts import PairCounts
from arenavotes.ratings.graph import check_connected
from arenavotes.ratings.params import RatingParams
from arenavotes.ratings.ties import fit_tie_model
from arenavotes.vocab import LOGIT_TIE_POLICIES

#: Compatibility modes: name -> fit. :mod:`arenavotes.ratings.compat` registers its modes here, so this module
#: never imports it at the top (no import cycle); ``rate(..., RatingParams(compat=name))`` dispatches.
COMPAT_FITS: dict[str, Callable[[pl.DataFrame, RatingParams], Ratings]] = {}


@dataclasses.dataclass(frozen=True)
class Ratings:
    """A fitted leaderboard. Arrays are aligned with ``models`` (sorted by name)."""

    models: tuple[str, ...]
    rating: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    battles: np.ndarray
    params: RatingParams
    method: str
    theta: np.ndarray  # natural-scale strengths (before gauge and scaling)
    covariance: np.ndarray | None = None  # of theta (sum-zero gauge), when computed
    boot: np.ndarray | None = None  # bootstrap ratings (rounds x models), when computed
    tie_parameter: float | None = None  # Davidson's nu or Rao-Kupper's theta, for those tie policies
    scores: np.ndarray | None = None  # compat="evalica": its strengths, normalised to sum 1

    @property
    def rank(self) -> np.ndarray:
        """1 + the number of models with a strictly higher rating."""
        return 1 + (self.rating[None, :] > self.rating[:, None]).sum(axis=1)

    @property
    def rank_ub(self) -> np.ndarray:
        """LMArena's rank: 1 + the number of models whose lower bound is above this model's upper bound."""
        return 1 + (self.ci_lower[None, :] > self.ci_upper[:, None]).sum(axis=1)

    @property
    def rank_worst(self) -> np.ndarray:
        """Worst plausible rank: the number of models whose upper bound is not below this lower bound."""
        return len(self.models) - (self.ci_upper[None, :] < self.ci_lower[:, None]).sum(axis=1)

    def rank_quantiles(self, q: tuple[float, float] = (0.025, 0.975)) -> tuple[np.ndarray, np.ndarray]:
        """Rank spread: quantiles of each model's rank over bootstrap rounds (or over draws from
        the sandwich normal approximation when there was no bootstrap)."""
        draws = self.boot
        if draws is None:
            if self.covariance is None:
                return self.rank.astype(float), self.rank.astype(float)
            rng = np.random.default_rng(self.params.seed)
            cov = self.covariance[: len(self.models), : len(self.models)] * ELO_SCALE**2
            # the gauge makes cov singular; round-off can leave tiny negative eigenvalues: clip them
            w, v = np.linalg.eigh((cov + cov.T) / 2)
            draws = self.rating + rng.standard_normal((1000, len(w))) @ (v * np.sqrt(np.clip(w, 0, None))).T
        ranks = draw_ranks(draws)
        if not np.isnan(ranks).any():  # nanquantile runs column by column in Python: 6x slower at K=200
            return np.quantile(ranks, q[0], axis=0), np.quantile(ranks, q[1], axis=0)
        return np.nanquantile(ranks, q[0], axis=0), np.nanquantile(ranks, q[1], axis=0)

    def to_frame(self) -> pl.DataFrame:
        lo, hi = self.rank_quantiles()
        return pl.DataFrame(
            {
                "model": list(self.models),
                "rating": self.rating,
                "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper,
                "rank": self.rank,
                "rank_ub": self.rank_ub,
                "rank_worst": self.rank_worst,
                "rank_q025": lo,
                "rank_q975": hi,
                "battles": self.battles.astype(np.int64),
            }
        ).sort(["rating", "model"], descending=[True, False])


def draw_ranks(draws: np.ndarray) -> np.ndarray:
    """Each row's ranks: 1 + the number of entries of the row strictly above (NaN, a model absent from a
    round: no rank, and above none). One sort per row instead of comparing every pair (K=200, 1,000 rounds:
    4x faster, the same numbers).

    >>> draw_ranks(np.array([[1.0, 3.0, 3.0, np.nan, 0.5]])).tolist()
    [[3.0, 1.0, 1.0, nan, 4.0]]
    """
    order = np.argsort(-draws, axis=1, kind="stable")  # highest first; NaN last
    ranked = np.take_along_axis(draws, order, axis=1)
    starts = np.ones(ranked.shape, dtype=bool)  # where a run of equal values begins
    starts[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    position = np.broadcast_to(np.arange(ranked.shape[1]), ranked.shape)
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)  # a value's first position = # above
    ranks = np.empty(ranked.shape)
    np.put_along_axis(ranks, order, 1.0 + first, axis=1)
    ranks[np.isnan(draws)] = np.nan
    return ranks


#: The last few count tables, by the very frame they came from (frames are immutable; the board builder
#: asks for the counts of one frame up to four times: groups, fit, board rows, voter influence).
_COUNTS_MEMO: list[tuple[pl.DataFrame, str, str | None, PairCounts]] = []


def prepare_counts(battles: pl.DataFrame, params: RatingParams, weight: str | None = None) -> PairCounts:
    for frame, bothbad, w, counts in _COUNTS_MEMO:
        if frame is battles and bothbad == params.bothbad and w == weight:
            return counts
    b = battles if params.bothbad == "tie" else battles.filter(pl.col("winner") != "tie_bothbad")
    counts = PairCounts.from_battles(b, weight=weight)
    _COUNTS_MEMO.insert(0, (battles, params.bothbad, weight, counts))
    del _COUNTS_MEMO[2:]
    return counts


def logit_data(c: PairCounts, ties: str) -> tuple[np.ndarray, np.ndarray]:
    """(wins of i, battles) per pair under the half / drop policies."""
    t = c.tie + c.bothbad
    if ties == "half":
        return c.win_i + 0.5 * t, c.total
    return c.win_i, c.win_i + c.win_j


def tie_cells(c: PairCounts) -> np.ndarray:
    return np.stack([c.win_i, c.win_j, c.tie + c.bothbad], axis=1)


def fit_counts(c: PairCounts, params: RatingParams, init: np.ndarray | None = None) -> tuple[np.ndarray, float | None]:
    """Strengths (natural scale, sum zero unless ridged) and the tie parameter if any."""
    theta, extra, _ = fit_with_parts(c, params, init)
    return theta, extra


def fit_with_parts(
    c: PairCounts, params: RatingParams, init: np.ndarray | None = None
) -> tuple[np.ndarray, float | None, dict[str, np.ndarray] | None]:
    """:func:`fit_counts`, plus a tie model's Fisher information, meat and gauge at the optimum (``None`` for
    the logit policies), so that the sandwich and the thin-model floor need no second fit."""
    if params.ties in LOGIT_TIE_POLICIES:
        w, n = logit_data(c, params.ties)
        return fit_logit(c.i, c.j, w, n, c.n_models, reg=params.reg, init=init), None, None
    return fit_tie_model(params.ties, c.i, c.j, tie_cells(c), c.n_models)


def sandwich_cov(
    c: PairCounts,
    theta: np.ndarray,
    params: RatingParams,
    extra: float | None,
    ridge: float = 0.0,
    parts: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Robust covariance H^-1 G H^-1 of theta (sum-zero gauge), G = sum of per-battle score outer products."""
    k = c.n_models
    if params.ties in LOGIT_TIE_POLICIES:
        p = sigmoid(theta[c.i] - theta[c.j])
        _, n = logit_data(c, params.ties)
        h = hessian(c.i, c.j, n * p * (1 - p), k) + params.reg * np.eye(k)
        if params.ties == "half":
            m = c.win_i * (1 - p) ** 2 + c.win_j * p**2 + (c.tie + c.bothbad) * (0.5 - p) ** 2
        else:
            m = c.win_i * (1 - p) ** 2 + c.win_j * p**2
        g = hessian(c.i, c.j, m, k)
        if ridge > 0:  # arena-rank: (H + ridge I)^-1, no gauge projection
            a = inverse(h + ridge * np.eye(k))
        elif params.reg > 0:
            a = inverse(h)
        else:
            a = pinv_sum_zero(h)
        return a @ g @ a
    if parts is None:
        _, _, parts = fit_tie_model(params.ties, c.i, c.j, tie_cells(c), k)
    return _tie_inverse(parts, k) @ parts["meat"] @ _tie_inverse(parts, k)


def _tie_inverse(parts: dict[str, np.ndarray], k: int) -> np.ndarray:
    """The tie model's inverse Fisher information in the gauge where each group's strengths sum to zero."""
    gauge = parts["gauge"]
    a = inverse(parts["fisher"] + gauge)
    size = np.maximum(gauge[:k, :k].sum(axis=1), 1.0)
    a[:k, :k] -= gauge[:k, :k] / (size[:, None] * size[None, :])
    return a


def rate(battles: pl.DataFrame, params: RatingParams | None = None, *, clusters: str | None = None) -> Ratings:
    """Fit a leaderboard to ``battles`` (columns model_a, model_b, winner; plus ``clusters`` for ci=cluster)."""
    params = params or RatingParams()
    if params.compat:
        # registered by arenavotes.ratings.compat, which the package's __init__ imports before any submodule runs
        return COMPAT_FITS[params.compat](battles, params)
    c = prepare_counts(battles, params)
    if c.n_models < 2:
        raise UserError("need battles between at least two models to rate")
    check_connected(c, ridge=params.reg, ties_count=params.ties != "drop")
    theta, extra, parts = fit_with_parts(c, params)
    cov: np.ndarray | None = None
    boot_theta: np.ndarray | None = None
    floor: np.ndarray | None = None
    if params.ci == "sandwich":
        cov = sandwich_cov(c, theta, params, extra, parts=parts)
    elif params.ci in ("bootstrap", "cluster"):
        from arenavotes.ratings.bootstrap import bootstrap_thetas

        boot_theta = bootstrap_thetas(battles, c, theta, params, clusters=clusters)
        filled = np.where(np.isnan(boot_theta), np.nanmean(boot_theta, axis=0), boot_theta)
        cov = np.cov(filled, rowvar=False)
    if params.ci != "none":
        floor = thin_model_variance(c, theta, params, extra, parts)
    return finish(
        c,
        theta,
        params,
        cov=cov,
        boot_theta=boot_theta,
        extra=extra,
        method=f"bt/{params.ties}/{params.ci}",
        floor=floor,
    )


def bootstrap_from_fit(battles: pl.DataFrame, fit: Ratings) -> Ratings:
    """``fit`` with bootstrap rounds drawn around it, without fitting the full data again: ``fit.params.rounds``
    multinomial rounds (seed ``fit.params.seed``), exactly those of ``rate(battles, params with ci="bootstrap")``.
    Its intervals stay; its rank ranges (:meth:`Ratings.rank_quantiles`) then come from the rounds. A fit that
    has bootstrap rounds already is returned as it is. ``battles`` must be the battles ``fit`` was fitted to.

    >>> b = pl.DataFrame({"model_a": ["x", "y", "z", "y"] * 20, "model_b": ["y", "z", "x", "x"] * 20,
    ...                   "winner": ["model_a", "model_b", "tie", "model_a"] * 20})
    >>> fit = rate(b, RatingParams(ci="sandwich", rounds=50))
    >>> boot = bootstrap_from_fit(b, fit)
    >>> bool((boot.boot == rate(b, RatingParams(ci="bootstrap", rounds=50)).boot).all()), boot.ci_lower is fit.ci_lower
    (True, True)
    """
    if fit.boot is not None:
        return fit
    if fit.params.compat:
        raise UserError(f"no bootstrap rounds around a '{fit.params.compat}' fit")
    params = dataclasses.replace(fit.params, ci="bootstrap")
    c = prepare_counts(battles, params)
    if c.models != fit.models:
        raise ValueError("bootstrap_from_fit: the battles are not those of the fit")
    from arenavotes.ratings.bootstrap import bootstrap_thetas

    boot_theta = bootstrap_thetas(battles, c, fit.theta, params)
    return dataclasses.replace(fit, boot=_boot_ratings(c.models, boot_theta, params))


#: Models with fewer battles get intervals at least as wide as the model-based (Fisher information) ones.
THIN_BATTLES = 30


def thin_model_variance(
    c: PairCounts,
    theta: np.ndarray,
    params: RatingParams,
    extra: float | None,
    parts: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Per-model variance floor (natural units; 0 for models with >= :data:`THIN_BATTLES` battles).

    With a handful of battles the empirical meat of the sandwich (and a bootstrap of the same votes) says
    little: two battles that were both ties have zero residual, so the sandwich gave a 2-battle model a
    tighter interval than a 366-battle one. For such models the variance is at least the model-based one:
    the inverse Fisher information of the fit, in which an outcome in [0, 1] with mean p has the largest
    variance it can have, p (1 - p), so the floor is conservative.
    """
    k = c.n_models
    thin = c.battles_per_model() < THIN_BATTLES
    if not thin.any():
        return np.zeros(k)
    if params.ties in LOGIT_TIE_POLICIES:
        p = sigmoid(theta[c.i] - theta[c.j])
        _, n = logit_data(c, params.ties)
        h = hessian(c.i, c.j, n * p * (1 - p), k) + params.reg * np.eye(k)
        fisher_inv = inverse(h) if params.reg > 0 else pinv_sum_zero(h)
        var = np.diag(fisher_inv)
    else:
        if parts is None:
            _, _, parts = fit_tie_model(params.ties, c.i, c.j, tie_cells(c), k)
        var = np.diag(_tie_inverse(parts, k))[:k]
    return np.where(thin, np.clip(var, 0, None), 0.0)


def gauge_offset(models: tuple[str, ...], theta: np.ndarray, params: RatingParams) -> float:
    """The rating of theta = 0: mean 1000, or the anchor model at its rating."""
    if params.anchor is None:
        return 1000.0 - float(np.mean(theta)) * ELO_SCALE
    if params.anchor not in models:
        raise UserError(
            f"anchor model '{params.anchor}' is not in this leaderboard", hint="pick a model that has battles here"
        )
    return params.anchor_rating - float(theta[models.index(params.anchor)]) * ELO_SCALE


def finish(
    c: PairCounts,
    theta: np.ndarray,
    params: RatingParams,
    *,
    cov: np.ndarray | None,
    boot_theta: np.ndarray | None,
    extra: float | None,
    method: str,
    floor: np.ndarray | None = None,
) -> Ratings:
    """Gauge (mean 1000 or the anchor), Elo scaling and intervals (never narrower than ``floor``'s, a
    per-model variance in natural units, see :func:`thin_model_variance`)."""
    k = c.n_models
    a = c.models.index(params.anchor) if params.anchor in c.models else None
    offset = gauge_offset(c.models, theta, params)
    rating = offset + theta * ELO_SCALE
    boot = None if boot_theta is None else _boot_ratings(c.models, boot_theta, params)
    if a is not None and cov is not None:
        # ratings relative to the anchor: the anchor has no uncertainty, the others carry its share
        proj = np.eye(k) - np.outer(np.ones(k), np.eye(k)[a])
        cov = proj @ cov[:k, :k] @ proj.T
    lo, hi = _intervals(rating, cov, boot, params, k)
    if floor is not None and floor.any():
        z = (
            normal_quantile(1 - params.alpha / (2 * k))
            if params.simultaneous
            else normal_quantile(1 - params.alpha / 2)
        )
        half = z * np.sqrt(floor) * ELO_SCALE
        lo, hi = np.minimum(lo, rating - half), np.maximum(hi, rating + half)
        if cov is not None and boot is None:  # rank draws from the normal approximation see the floor too
            var = np.diag(cov)[:k]
            scale = np.sqrt(np.maximum(floor, var) / np.where(var > 0, var, 1.0))
            scale = np.where(var > 0, scale, 1.0)
            cov = cov[:k, :k] * np.outer(scale, scale)
    tie_parameter = None
    if extra is not None:
        tie_parameter = float(np.exp(extra) if params.ties == "davidson" else np.exp(np.exp(extra)))
    return Ratings(c.models, rating, lo, hi, c.battles_per_model(), params, method, theta, cov, boot, tie_parameter)


def _boot_ratings(models: tuple[str, ...], boot_theta: np.ndarray, params: RatingParams) -> np.ndarray:
    """Bootstrap strengths (rounds x models) on the rating scale, in the gauge of the fit (mean 1000, or
    relative to the anchor, which then has no uncertainty)."""
    if params.anchor not in models:
        return 1000.0 + (boot_theta - np.nanmean(boot_theta, axis=1, keepdims=True)) * ELO_SCALE
    a = models.index(params.anchor)
    return params.anchor_rating + (boot_theta - boot_theta[:, [a]]) * ELO_SCALE


def _intervals(
    rating: np.ndarray, cov: np.ndarray | None, boot: np.ndarray | None, params: RatingParams, k: int
) -> tuple[np.ndarray, np.ndarray]:
    alpha = params.alpha
    if boot is not None:
        if params.simultaneous:
            se = np.nanstd(boot, axis=0, ddof=1)
            safe = np.where(se > 0, se, 1.0)
            t = np.nanmax(np.abs(boot - rating) / safe, axis=1)
            crit = float(np.nanquantile(t, 1 - alpha))
            return rating - crit * se, rating + crit * se
        return np.nanquantile(boot, alpha / 2, axis=0), np.nanquantile(boot, 1 - alpha / 2, axis=0)
    if cov is None:
        return rating.copy(), rating.copy()
    se = np.sqrt(np.clip(np.diag(cov)[:k], 0, None)) * ELO_SCALE
    z = normal_quantile(1 - alpha / (2 * k)) if params.simultaneous else normal_quantile(1 - alpha / 2)
    return rating - z * se, rating + z * se


__all__ = ["RatingParams", "Ratings", "bootstrap_from_fit", "gradient", "rate"]
