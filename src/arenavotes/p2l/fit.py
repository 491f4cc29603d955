"""Bradley-Terry fits around a prior board, many at once: the arithmetic of prompt-to-leaderboard.

For each query ``q`` the strengths are ``theta0 + delta_q``, where ``theta0`` is the overall board (natural
units) and ``delta_q`` maximises the query's weighted pair counts' log-likelihood minus ``lam/2 |delta|^2``:
a Gaussian prior of standard deviation ``1/sqrt(lam)`` around the board. With no votes near a prompt,
``delta = 0`` and the prompt gets the overall board; the more (weighted) votes, the further it may move. Ties
count half a win each way, as on the board. Queries are solved together by Newton's method on stacked
(queries x models x models) systems; each query's answer depends on its own counts alone.

>>> import numpy as np
>>> theta0 = np.zeros(2)
>>> # query 0: model 0 won 9 of 10 against model 1 near this prompt; query 1: no votes
>>> q, i, j = np.array([0]), np.array([0]), np.array([1])
>>> d, var = fit_queries(theta0, q, i, j, w=np.array([9.0]), n=np.array([10.0]), n_queries=2, lam=1.0)
>>> bool(d[0, 0] > 0 > d[0, 1]), d[1].tolist()
(True, [0.0, 0.0])
"""

from __future__ import annotations

import numpy as np

from arenavotes.ratings.bt import sigmoid

#: queries solved in one stacked system at most (memory: chunk x models^2 doubles)
CHUNK = 64
#: doubles of one stacked system at most (fewer queries a chunk when there are many models: 300 models, 22)
CHUNK_CELLS = 2_000_000
#: the largest change of one strength in one Newton step (natural units)
MAX_STEP = 2.0


def fit_queries(
    theta0: np.ndarray,
    q: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    w: np.ndarray,
    n: np.ndarray,
    n_queries: int,
    lam: float,
    *,
    tol: float = 1e-8,
    max_iter: int = 50,
) -> tuple[np.ndarray, np.ndarray]:
    """(delta, variance): each query's shift from ``theta0`` (n_queries x K) and the posterior variance of
    each strength (the diagonal of the inverse Hessian at the optimum, natural units^2).

    ``(q, i, j, w, n)``: weighted pair counts, ``w`` wins of ``i`` over ``j`` out of ``n`` (ties as halves),
    for query ``q``. ``lam`` > 0 is the prior precision."""
    k = len(theta0)
    delta = np.zeros((n_queries, k))
    var = np.full((n_queries, k), 1.0 / lam)
    if len(q) == 0:
        return delta, var
    order = np.argsort(q, kind="stable")
    q, i, j, w, n = q[order], i[order], j[order], w[order], n[order]
    chunk = max(1, min(CHUNK, CHUNK_CELLS // max(k * k, 1)))
    bounds = np.searchsorted(q, np.arange(0, n_queries + chunk, chunk))
    for c, lo in enumerate(range(0, n_queries, chunk)):
        hi = min(lo + chunk, n_queries)
        s, e = bounds[c], bounds[c + 1]
        if s == e:
            continue
        d, v = _solve_chunk(theta0, q[s:e] - lo, i[s:e], j[s:e], w[s:e], n[s:e], hi - lo, lam, tol, max_iter)
        delta[lo:hi], var[lo:hi] = d, v
    return delta, var


def _solve_chunk(
    theta0: np.ndarray,
    q: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    w: np.ndarray,
    n: np.ndarray,
    m: int,
    lam: float,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray]:
    k = len(theta0)
    delta = np.zeros((m, k))
    qi, qj = q * k + i, q * k + j
    cells = (q * k * k + i * k + i, q * k * k + j * k + j, q * k * k + i * k + j, q * k * k + j * k + i)
    eye = np.eye(k)[None, :, :] * lam

    def probabilities() -> np.ndarray:
        flat = delta.reshape(-1)
        return sigmoid(theta0[i] + flat[qi] - theta0[j] - flat[qj])

    def hessian(p: np.ndarray) -> np.ndarray:
        """The stacked (m x k x k) Hessians of the negative log-posterior at ``delta``."""
        h = n * p * (1 - p)
        ii, jj, ij, ji = (np.bincount(c, h, m * k * k) for c in cells)
        return (ii + jj - ij - ji).reshape(m, k, k) + eye

    scale = max(float(n.max()), 1.0)
    for _ in range(max_iter):
        p = probabilities()
        r = w - n * p
        g = (np.bincount(qi, r, m * k) - np.bincount(qj, r, m * k)).reshape(m, k) - lam * delta
        step = np.linalg.solve(hessian(p), g[:, :, None])[:, :, 0]
        # at most MAX_STEP per strength and step: a far-off start (one model sweeping a small neighbourhood)
        # cannot overshoot; near the optimum the steps are whole Newton steps
        big = np.max(np.abs(step), axis=1, keepdims=True)
        step = step * np.minimum(1.0, MAX_STEP / np.maximum(big, 1e-300))
        delta = delta + step
        if np.max(np.abs(step)) <= tol * scale:
            break
    var = np.diagonal(np.linalg.inv(hessian(probabilities())), axis1=1, axis2=2).copy()
    return delta, var
