"""Tie models: Rao-Kupper and Davidson, fitted by Fisher scoring on pair counts.

Both extend Bradley-Terry with one tie parameter; with ``d = theta_i - theta_j``:

* Davidson (1970): ``P(i) : P(j) : P(tie) = e^{d/2} : e^{-d/2} : nu``; parameter ``phi = log nu``.
* Rao-Kupper (1967): ``P(i) = sigmoid(d - kappa)``, ``P(j) = sigmoid(-d - kappa)``, the rest is a tie;
  ``kappa = log theta_RK > 0``, parameter ``psi = log kappa``.

Each pair contributes ``sum_o c_o log P_o``; per-outcome gradients with respect to ``(d, extra)`` give
the score, the Fisher information (the Newton matrix) and the outer-product "meat" of the sandwich.

>>> import numpy as np
>>> th, extra, _ = fit_tie_model("davidson", np.array([0]), np.array([1]),
...                              np.array([[30.0, 10.0, 20.0]]), k=2)
>>> round(float(np.exp(extra)), 4)   # nu = c_t / sqrt(c_i c_j) at the optimum
1.1547
"""

from __future__ import annotations

import numpy as np

from arenavotes.ratings.bt import NotConvergedError, gauge_matrix, sigmoid, solve


def outcome_probs_grads(model: str, d: np.ndarray, extra: float) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (pairs, 3) of [i wins, j wins, tie] and gradients (pairs, 3, 2) of their logs
    with respect to (d, extra)."""
    if model == "davidson":
        e = np.exp(extra)
        a, b = np.exp(np.clip(d / 2, -300, 300)), np.exp(np.clip(-d / 2, -300, 300))
        z = a + b + e
        p = np.stack([a / z, b / z, e / z], axis=1)
        dz = (p[:, 0] - p[:, 1]) / 2  # d log z / d d
        g = np.empty((len(d), 3, 2))
        g[:, 0, 0], g[:, 1, 0], g[:, 2, 0] = 0.5 - dz, -0.5 - dz, -dz
        g[:, :, 1] = -p[:, 2:3]
        g[:, 2, 1] += 1.0
        return p, g
    if model == "rao-kupper":
        kappa = np.exp(extra)
        pi, pj = sigmoid(d - kappa), sigmoid(-d - kappa)
        pt = np.clip(1.0 - pi - pj, 1e-300, None)
        si, sj = pi * (1 - pi), pj * (1 - pj)
        g = np.empty((len(d), 3, 2))
        g[:, 0, 0], g[:, 0, 1] = 1 - pi, -(1 - pi) * kappa
        g[:, 1, 0], g[:, 1, 1] = -(1 - pj), -(1 - pj) * kappa
        g[:, 2, 0], g[:, 2, 1] = (sj - si) / pt, (si + sj) / pt * kappa
        return np.stack([pi, pj, pt], axis=1), g
    raise ValueError(model)


def _assemble(i: np.ndarray, j: np.ndarray, k: int, weights: np.ndarray, gd: np.ndarray, ge: np.ndarray) -> np.ndarray:
    """sum over pairs/outcomes of weights * v v^T with v = (gd (e_i - e_j), ge): a (k+1) x (k+1) matrix."""
    m = np.zeros((k + 1, k + 1))
    vdd = (weights * gd * gd).sum(axis=1)
    vde = (weights * gd * ge).sum(axis=1)
    vee = (weights * ge * ge).sum()
    m[:k, :k] = np.diag(np.bincount(i, vdd, k) + np.bincount(j, vdd, k))
    off = np.bincount(i * k + j, vdd, k * k).reshape(k, k)
    m[:k, :k] -= off + off.T
    m[:k, k] = m[k, :k] = np.bincount(i, vde, k) - np.bincount(j, vde, k)
    m[k, k] = vee
    return m


def fit_tie_model(
    model: str,
    i: np.ndarray,
    j: np.ndarray,
    c: np.ndarray,
    k: int,
    *,
    tol: float = 1e-10,
    max_iter: int = 200,
    reg: float = 0.0,
) -> tuple[np.ndarray, float, dict[str, np.ndarray]]:
    """Fit ``model`` to counts ``c`` (pairs x [i wins, j wins, ties]); theta sums to zero within each connected
    group of models (a comparison graph that splits gives each group its own gauge, never a singular system).
    ``reg``: an L2 ridge on theta that keeps the fit finite when a model never lost or never won.

    Returns ``(theta, extra, parts)`` where ``parts`` has the Fisher information and the meat
    (both (k+1) x (k+1)) at the optimum for the sandwich.
    """
    theta = np.zeros(k)
    n = c.sum(axis=1)
    ties, total = c[:, 2].sum(), n.sum()
    extra = np.log(max(ties, 0.5) / max(total - ties, 0.5)) if model == "davidson" else np.log(0.5)
    met = n > 0
    ones = np.zeros((k + 1, k + 1))
    ones[:k, :k] = gauge_matrix(i[met], j[met], k)
    ridge = np.zeros((k + 1, k + 1))
    ridge[:k, :k] = reg * np.eye(k)
    scale = max(float(total), 1.0)
    for _ in range(max_iter):
        p, g = outcome_probs_grads(model, theta[i] - theta[j], extra)
        sd = (c * g[:, :, 0]).sum(axis=1)
        score = np.append(np.bincount(i, sd, k) - np.bincount(j, sd, k) - reg * theta, (c * g[:, :, 1]).sum())
        if np.max(np.abs(score)) <= tol * scale:
            break
        fisher = _assemble(i, j, k, n[:, None] * p, g[:, :, 0], g[:, :, 1]) + ridge
        step = solve(fisher + ones, score)
        theta, extra = theta + step[:k], extra + float(step[k])
    else:
        raise NotConvergedError(
            f"{model} fit did not converge in {max_iter} steps", hint="check that the comparison graph is connected"
        )
    p, g = outcome_probs_grads(model, theta[i] - theta[j], extra)
    parts = {
        "fisher": _assemble(i, j, k, n[:, None] * p, g[:, :, 0], g[:, :, 1]) + ridge,
        "meat": _assemble(i, j, k, c, g[:, :, 0], g[:, :, 1]),
        "gauge": ones,
    }
    return theta - theta.mean(), extra, parts
