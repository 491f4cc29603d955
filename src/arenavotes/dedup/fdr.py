"""False discovery rate control shared by the voter, campaign and surge detectors.

* :func:`bh`: Benjamini-Hochberg over p-values (valid under independence or positive dependence);
* :func:`ebh`: e-BH over log e-values (valid under any dependence).

>>> bh(np.array([0.001, 0.02, 0.5]), 0.05).tolist()
[True, True, False]
>>> ebh(np.log(np.array([1000.0, 5.0, 0.5])), 0.05).tolist()
[True, False, False]
"""

from __future__ import annotations

import numpy as np


def bh(p: np.ndarray, q: float) -> np.ndarray:
    """Benjamini-Hochberg rejections at level q."""
    m = len(p)
    if m == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p)
    ok = p[order] <= q * np.arange(1, m + 1) / m
    cut = np.max(np.flatnonzero(ok)) + 1 if ok.any() else 0
    rej = np.zeros(m, dtype=bool)
    rej[order[:cut]] = True
    return rej


def ebh(log_e: np.ndarray, q: float) -> np.ndarray:
    """e-BH: reject the r hypotheses with the largest e-values, r = max{r : E_(r) >= m / (q r)}."""
    m = len(log_e)
    order = np.argsort(-log_e, kind="stable")
    ranks = np.arange(1, m + 1)
    ok = log_e[order] >= np.log(m / (q * ranks))
    r = int(ranks[ok].max()) if ok.any() else 0
    rej = np.zeros(m, dtype=bool)
    rej[order[:r]] = True
    return rej
