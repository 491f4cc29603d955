"""Bradley-Terry maximum likelihood on pair counts, by Newton's method.

Strengths ``theta`` are in natural units: ``P(i beats j) = 1 / (1 + exp(theta_j - theta_i))``; on the
Elo scale ``rating = 1000 + theta * 400 / ln 10``. Ties enter as half a win each way (the FastChat /
arena-rank convention), which keeps the model a binomial logit on ``(wins_i, n)`` per pair.

The gauge is sum(theta) = 0 (mean rating 1000) unless a ridge ``reg > 0`` pins it (FastChat's
2024 scikit-learn fit, which also counts every battle twice). Newton steps solve ``(H + G) d = g`` where
``G = sum over connected groups of models of 1_g 1_g^T``: the solution keeps each group's sum (so a
comparison graph that splits into groups that never met never gives a singular system; each group keeps
its own gauge), and the result is exact to ``tol`` in the gradient, not an early stop.

>>> import numpy as np
>>> theta = fit_logit(np.array([0]), np.array([1]), w=np.array([3.0]), n=np.array([4.0]), k=2)
>>> round(float(theta[0] - theta[1]), 6) == round(float(np.log(3)), 6)
True
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from arenavotes.errors import UserError
from arenavotes.ratings.graph import connected_labels

ELO_SCALE = 400.0 / np.log(10.0)


def normal_quantile(p: float) -> float:
    """The standard normal quantile (``scipy.stats.norm.ppf`` to the last bit or two, without importing
    scipy.stats, which costs half a second of every ``rate``)."""
    return NormalDist().inv_cdf(p)


class NotConvergedError(UserError):
    pass


def hessian(i: np.ndarray, j: np.ndarray, v: np.ndarray, k: int) -> np.ndarray:
    """``sum_pairs v (e_i - e_j)(e_i - e_j)^T`` as a dense k x k matrix."""
    diag = np.bincount(i, v, k) + np.bincount(j, v, k)
    off = np.bincount(i * k + j, v, k * k).reshape(k, k)
    return np.diag(diag) - off - off.T


def gradient(i: np.ndarray, j: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """``sum_pairs r (e_i - e_j)``."""
    return np.bincount(i, r, k) - np.bincount(j, r, k)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def fit_logit(
    i: np.ndarray,
    j: np.ndarray,
    w: np.ndarray,
    n: np.ndarray,
    k: int,
    *,
    reg: float = 0.0,
    init: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> np.ndarray:
    """Maximise ``sum w log p + (n - w) log(1 - p) - reg/2 |theta|^2`` with ``p = sigmoid(theta_i - theta_j)``.

    ``tol`` bounds the largest gradient entry relative to the number of battles.
    """
    theta = np.zeros(k) if init is None else init.astype(float).copy()
    scale = max(float(n.sum()), 1.0)
    ones = gauge_matrix(i[n > 0], j[n > 0], k) if reg == 0 else 0.0
    loss = _loss(i, j, w, n, theta, reg)
    for _ in range(max_iter):
        p = sigmoid(theta[i] - theta[j])
        g = gradient(i, j, w - n * p, k) - reg * theta
        if np.max(np.abs(g)) <= tol * scale:
            return theta
        h = hessian(i, j, n * p * (1 - p), k) + reg * np.eye(k) + ones
        step = solve(h, g)
        t = 1.0
        while True:  # damped Newton: never accept a step that makes the fit worse
            cand = theta + t * step
            new = _loss(i, j, w, n, cand, reg)
            if new <= loss + 1e-12 * scale or t < 1e-8:
                break
            t *= 0.5
        theta, loss = cand, new
    p = sigmoid(theta[i] - theta[j])
    g = gradient(i, j, w - n * p, k) - reg * theta
    if np.max(np.abs(g)) > 1e-6 * scale:
        raise NotConvergedError(
            f"Bradley-Terry fit did not converge in {max_iter} Newton steps (max gradient {np.max(np.abs(g)):.3g})",
            hint="a model that never lost or never won has no finite rating: check connectivity or set a ridge",
        )
    return theta


def _loss(i: np.ndarray, j: np.ndarray, w: np.ndarray, n: np.ndarray, theta: np.ndarray, reg: float) -> float:
    d = theta[i] - theta[j]
    # -[w log s(d) + (n-w) log s(-d)] = n softplus(-d) + ... written stably
    nll = np.sum(w * np.logaddexp(0, -d) + (n - w) * np.logaddexp(0, d))
    return float(nll + 0.5 * reg * theta @ theta)


def groups(i: np.ndarray, j: np.ndarray, k: int) -> np.ndarray:
    """Connected-group label of each of ``k`` models, given the pairs ``(i, j)`` that met."""
    return connected_labels(i, j, k)


def gauge_matrix(i: np.ndarray, j: np.ndarray, k: int) -> np.ndarray:
    """``sum over connected groups g of 1_g 1_g^T``: added to a Laplacian-like Hessian it removes exactly its
    null space (one constant direction per group), whether or not the comparison graph is connected."""
    labels = groups(i, j, k)
    return (labels[:, None] == labels[None, :]).astype(float)


def solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a^-1 b``; a numerically singular ``a`` (a model drifting towards an infinite rating) falls back to the
    least-squares solution instead of raising: convergence is judged by the gradient afterwards."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def inverse(a: np.ndarray) -> np.ndarray:
    """``a^-1``, or the Moore-Penrose pseudo-inverse when ``a`` is numerically singular."""
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


def pinv_sum_zero(h: np.ndarray) -> np.ndarray:
    """Pseudo-inverse of a Laplacian-like Hessian (null space = one constant per connected group of models),
    in the gauge where each group's strengths sum to zero. The groups are read off ``h``'s off-diagonal
    entries, so a comparison graph that splits never makes this singular.

    >>> h = np.array([[1.0, -1.0, 0, 0], [-1.0, 1.0, 0, 0], [0, 0, 2.0, -2.0], [0, 0, -2.0, 2.0]])
    >>> np.round(pinv_sum_zero(h), 4).tolist()[0]
    [0.25, -0.25, 0.0, 0.0]
    """
    k = h.shape[0]
    off = np.abs(h - np.diag(np.diag(h))) > 0
    rows, cols = np.nonzero(off)
    labels = connected_labels(rows, cols, k)
    same = (labels[:, None] == labels[None, :]).astype(float)
    size = np.bincount(labels, minlength=labels.max(initial=0) + 1)[labels].astype(float)
    return inverse(h + same) - same / (size[:, None] * size[None, :])
