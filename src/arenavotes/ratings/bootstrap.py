"""Bootstrap intervals by reweighting counts: no battle is ever copied.

* ``bootstrap``: each round draws the counts of every (pair, outcome) cell from a multinomial with
  the observed proportions and the observed total (exactly what resampling battles with
  replacement does, at the cost of one draw per cell instead of one per battle).
* ``cluster``: each round draws voters (or prompts) with replacement; a cell's count is the sum
  over drawn clusters, so votes of one voter move together.

Rounds are refitted in batches by a chord (fixed-Hessian) Newton iteration started at the full-data
fit, which converges in a few steps because a resample is close to the data. Every round has its own
random stream (``SeedSequence(seed).spawn``) and a converged round is frozen, so the result is the
same for any number of worker processes.

>>> import polars as pl
>>> from arenavotes.ratings.core import RatingParams, rate
>>> b = pl.DataFrame({"model_a": ["x", "y", "z", "y"] * 20, "model_b": ["y", "z", "x", "x"] * 20,
...                   "winner": ["model_a", "model_b", "tie", "model_a"] * 20})
>>> r1 = rate(b, RatingParams(ci="bootstrap", rounds=50, workers=1))
>>> r2 = rate(b, RatingParams(ci="bootstrap", rounds=50, workers=2))
>>> bool((r1.ci_lower == r2.ci_lower).all())
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from scipy import sparse

from arenavotes.errors import UserError
from arenavotes.pool import State, WorkerPool, cpu_workers
from arenavotes.ratings.bt import NotConvergedError, fit_logit, hessian, inverse, pinv_sum_zero, sigmoid
from arenavotes.ratings.counts import PairCounts
from arenavotes.ratings.ties import fit_tie_model
from arenavotes.vocab import LOGIT_TIE_POLICIES

if TYPE_CHECKING:  # core imports this module when it bootstraps
    from arenavotes.ratings.core import RatingParams

BATCH = 32


def outcome_cells(c: PairCounts, ties: str) -> np.ndarray:
    """(pairs x outcomes) counts that a round resamples: [i wins, j wins(, tie)] -- ties (with both-bad,
    when kept) are one outcome; under ``drop`` they are not resampled at all."""
    if ties == "drop":
        return np.stack([c.win_i, c.win_j], axis=1)
    return np.stack([c.win_i, c.win_j, c.tie + c.bothbad], axis=1)


def bootstrap_thetas(
    battles: pl.DataFrame, c: PairCounts, theta: np.ndarray, params: RatingParams, clusters: str | None = None
) -> np.ndarray:
    """Strengths (rounds x models, each row summing to zero unless ridged) over bootstrap rounds, in
    :class:`arenavotes.pool.WorkerPool` processes that share the state this function fills."""
    cells = outcome_cells(c, params.ties)
    n_pairs, m = cells.shape
    flat = cells.ravel()
    state: State = {"c": c, "theta": theta, "params": params, "shape": cells.shape}
    if params.ci == "cluster":
        state["cluster_matrix"] = _cluster_matrix(battles, c, params, clusters, m)
        used = np.arange(flat.size)
    else:
        used = np.flatnonzero(flat > 0)
        state["p"] = flat[used] / flat[used].sum()
        state["cdf"] = np.cumsum(state["p"])
        state["total"] = round(float(flat.sum()))
    state["used"], state["pair_of"] = used, used // m
    state["win_weight"] = np.array([1.0, 0.0, 0.5])[used % m]
    if params.ties in LOGIT_TIE_POLICIES:
        n_pair = np.bincount(state["pair_of"], flat[used], n_pairs)
        p = sigmoid(theta[c.i] - theta[c.j])
        h = hessian(c.i, c.j, n_pair * p * (1 - p), c.n_models)
        state["chord"] = inverse(h + params.reg * np.eye(c.n_models)) if params.reg > 0 else pinv_sum_zero(h)
        pairs = np.arange(n_pairs)
        state["incidence"] = sparse.csr_matrix(
            (np.r_[np.ones(n_pairs), -np.ones(n_pairs)], (np.r_[pairs, pairs], np.r_[c.i, c.j])),
            shape=(n_pairs, c.n_models),
        )
    state["seeds"] = np.random.SeedSequence(params.seed).spawn(params.rounds)
    chunks = [list(range(s, min(s + BATCH, params.rounds))) for s in range(0, params.rounds, BATCH)]
    workers = params.workers or _auto_workers(len(used) * params.rounds)
    with WorkerPool(workers, state) as pool:
        parts = pool.map(_run_chunk, chunks)
    return np.concatenate(parts, axis=0)


def _auto_workers(work: int) -> int:
    """One process for small jobs (starting workers costs more than it saves), else all cores (at most 8)."""
    return 1 if work < 2_000_000 else cpu_workers()


def multinomial(rng: np.random.Generator, n: int, p: np.ndarray, cdf: np.ndarray | None = None) -> np.ndarray:
    """An exact Multinomial(n, p) draw, about 2.5x faster than ``Generator.multinomial`` for many cells.

    Independent Poisson(n p) counts, given their sum S, are Multinomial(S, p). If S < n, add n - S
    i.i.d. categorical draws; if S > n, remove S - n of the S units chosen uniformly without
    replacement (a uniform subset of i.i.d. draws is i.i.d.). Either way the result is exactly
    Multinomial(n, p); the correction touches only about sqrt(n) units.
    """
    x = rng.poisson(n * p)
    s = int(x.sum())
    if s < n:
        cdf = np.cumsum(p) if cdf is None else cdf
        extra = np.minimum(np.searchsorted(cdf, rng.random(n - s) * cdf[-1], side="right"), len(p) - 1)
        x += np.bincount(extra, minlength=len(p))
    elif s > n:
        units = rng.choice(s, size=s - n, replace=False)
        x -= np.bincount(np.searchsorted(np.cumsum(x), units, side="right"), minlength=len(p))
    return x


def _draw(s: State, seed: np.random.SeedSequence) -> np.ndarray:
    """Counts of the used cells in one round."""
    rng = np.random.default_rng(seed)
    if "cluster_matrix" in s:
        mat = s["cluster_matrix"]
        weights = multinomial(rng, mat.shape[0], np.full(mat.shape[0], 1.0 / mat.shape[0]))
        return np.asarray(mat.T @ weights, dtype=float)
    return multinomial(rng, s["total"], s["p"], s["cdf"]).astype(float)


def _run_chunk(s: State, rounds: list[int]) -> np.ndarray:
    """Strengths of the bootstrap rounds ``rounds`` (a :class:`WorkerPool` task on the state of :func:`bootstrap_thetas`)."""
    c, params = s["c"], s["params"]
    n_pairs = s["shape"][0]
    if params.ties in LOGIT_TIE_POLICIES:
        w = np.empty((len(rounds), n_pairs))
        n = np.empty((len(rounds), n_pairs))
        for r, rnd in enumerate(rounds):
            x = _draw(s, s["seeds"][rnd])
            w[r] = np.bincount(s["pair_of"], x * s["win_weight"], n_pairs)
            n[r] = np.bincount(s["pair_of"], x, n_pairs)
        return _chord(s, w, n)
    out = np.empty((len(rounds), c.n_models))
    for r, rnd in enumerate(rounds):
        cells = np.zeros(n_pairs * s["shape"][1])
        cells[s["used"]] = _draw(s, s["seeds"][rnd])
        out[r], _, _ = fit_tie_model(params.ties, c.i, c.j, cells.reshape(s["shape"]), c.n_models)
    return out


def _chord(s: State, w: np.ndarray, n: np.ndarray, tol: float = 1e-9, max_iter: int = 60) -> np.ndarray:
    """Fit every round by theta += A g(theta) with the full-data inverse Hessian A; rounds that do not
    converge (a resample where some model never lost) are refitted exactly, with a tiny ridge if needed."""
    c, params = s["c"], s["params"]
    theta = np.tile(s["theta"], (len(w), 1))
    active = np.ones(len(w), dtype=bool)
    failed = np.zeros(len(w), dtype=bool)
    d_mat: sparse.csr_matrix = s["incidence"]
    scale = np.maximum(n.sum(axis=1), 1.0)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        th = theta[idx]
        p = sigmoid((d_mat @ th.T).T)
        g = (d_mat.T @ (w[idx] - n[idx] * p).T).T - params.reg * th
        done = np.max(np.abs(g), axis=1) <= tol * scale[idx]
        active[idx[done]] = False
        upd = idx[~done]
        theta[upd] += (s["chord"] @ g[~done].T).T
        blown = upd[~np.all(np.isfinite(theta[upd]), axis=1)]
        failed[blown], active[blown] = True, False
    for b in np.flatnonzero(active | failed):
        theta[b] = _exact(c, w[b], n[b], params)
    # a model that drew no battle in a round has no rating in it (NaN), not the full-data value
    per_model = np.abs(d_mat).T @ n.T  # (models x rounds)
    theta[(per_model == 0).T] = np.nan
    return theta - np.nanmean(theta, axis=1, keepdims=True) if params.reg == 0 else theta


def _exact(c: PairCounts, w: np.ndarray, n: np.ndarray, params: RatingParams) -> np.ndarray:
    """One round fitted directly, on the models that drew battles; a tiny ridge if it has no MLE."""
    present = (np.bincount(c.i, n, c.n_models) + np.bincount(c.j, n, c.n_models)) > 0
    sub = c.subset(present)
    keep = present[c.i] & present[c.j]
    out = np.full(c.n_models, np.nan)
    try:
        out[present] = fit_logit(sub.i, sub.j, w[keep], n[keep], sub.n_models, reg=params.reg)
    except (NotConvergedError, np.linalg.LinAlgError):
        out[present] = fit_logit(sub.i, sub.j, w[keep], n[keep], sub.n_models, reg=max(params.reg, 1e-3))
    return out


def _cluster_matrix(
    battles: pl.DataFrame, c: PairCounts, params: RatingParams, clusters: str | None, m: int
) -> sparse.csr_matrix:
    """(clusters x cells) counts: which (pair, outcome) cells each voter/prompt contributed to."""
    col = clusters or ("voter_id" if params.cluster_by == "voter" else "prompt_key")
    if col not in battles.columns or battles[col].null_count() == battles.height:
        raise UserError(
            f"cluster bootstrap by {params.cluster_by} needs '{col}' on the battles",
            hint="this source has no voter ids / prompt texts: use --ci bootstrap",
        )
    b = battles if params.bothbad == "tie" else battles.filter(pl.col("winner") != "tie_bothbad")
    if params.ties == "drop":
        b = b.filter(pl.col("winner").is_in(["model_a", "model_b"]))
    enum = pl.Enum(list(c.models))
    b = b.with_columns(
        a=pl.col("model_a").cast(enum).to_physical().cast(pl.Int64),
        bb=pl.col("model_b").cast(enum).to_physical().cast(pl.Int64),
        cl=pl.coalesce(pl.col(col).cast(pl.String), pl.lit("battle:") + pl.int_range(pl.len()).cast(pl.String)),
    )
    b = b.with_columns(
        i=pl.min_horizontal("a", "bb"),
        j=pl.max_horizontal("a", "bb"),
        o=pl.when(pl.col("winner").is_in(["tie", "tie_bothbad"]))
        .then(2)
        .when((pl.col("winner") == "model_a") == (pl.col("a") < pl.col("bb")))
        .then(0)
        .otherwise(1),
    )
    keys = pl.DataFrame({"i": c.i, "j": c.j, "p": np.arange(len(c.i))})
    # sorted, and clusters numbered by their sorted key: group_by's row order (and a Categorical's codes) vary
    # from run to run, which would permute the clusters a seeded round draws
    g = b.group_by("cl", "i", "j", "o").len().join(keys, on=["i", "j"]).sort("cl", "i", "j", "o")
    codes = (g["cl"].rank("dense") - 1).cast(pl.Int64).to_numpy()
    n_cl = int(codes.max()) + 1 if len(codes) else 0
    cols = g["p"].to_numpy() * m + g["o"].to_numpy()
    return sparse.csr_matrix((g["len"].to_numpy().astype(float), (codes, cols)), shape=(n_cl, len(c.i) * m))
