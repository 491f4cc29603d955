"""Style control: Bradley-Terry with per-battle style covariates, fitted jointly.

For each feature f in (tokens, headers, lists, bold) and battle, ``x_f = (a - b) / (a + b + 1)`` from
the per-side counts, then standardised over the fitted battles (mean 0, population sd 1; a constant
feature is left at 0). The model is ``logit P(A wins) = theta_A - theta_B + x . beta`` with ties as
half wins. Ratings are unpenalised; the coefficients get an L2 penalty ``reg/2 |beta|^2`` on the
*summed* log-likelihood (a N(0, 1/reg) prior on standardised coefficients). The default ``reg = 1``
costs less than 1% of a true coefficient at arena sizes (see tests/test_ratings_style.py: a true 0.5
is estimated within 5% on 20,000 simulated battles), whereas arena-rank's ``reg = 1`` acts on the *mean*
log-likelihood, i.e. N times stronger, and shrinks a true 0.5 to about 0.08.

Intervals: sandwich (H^-1 G H^-1 with the penalty in H) for ratings and coefficients.

>>> import numpy as np
>>> x = standardise_features(np.array([[10, 0, 0, 0], [0, 0, 0, 0], [5, 5, 0, 0]]),
...                          np.array([[0, 0, 0, 0], [10, 0, 0, 0], [5, 5, 0, 0]]))
>>> np.round(x[:, 0], 3).tolist(), x[:, 2].tolist()
([1.225, -1.225, 0.0], [0.0, 0.0, 0.0])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import polars as pl

from arenavotes.errors import UserError
from arenavotes.ratings.bt import ELO_SCALE, gauge_matrix, hessian, inverse, normal_quantile, sigmoid, solve
from arenavotes.schema import ARENA_STYLE_FEATURES

FEATURES = ("tokens", "headers", "lists", "bold")
OUTCOME = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie_bothbad": 0.5}


@dataclasses.dataclass(frozen=True)
class StyleFit:
    models: tuple[str, ...]
    rating: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    features: tuple[str, ...]
    coef: np.ndarray  # per standard deviation of the feature, logit units
    coef_lower: np.ndarray
    coef_upper: np.ndarray
    battles: int
    reg: float

    def coefficients(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "feature": list(self.features),
                "coef": self.coef,
                "ci_lower": self.coef_lower,
                "ci_upper": self.coef_upper,
            }
        )


def standardise_features(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(a - b) / (a + b + 1) per feature, then z-scored (population sd); constant columns become 0."""
    x = _ratio(a, b)
    return _standardise(x, x.mean(axis=0), x.std(axis=0))


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each feature's per-battle ratio ``(a - b) / (a + b + 1)`` of the two sides' counts."""
    return (a - b) / (a + b + 1.0)


def _standardise(x: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``x`` z-scored by the board's ``mean`` and ``sd``; a constant feature (sd 0) becomes 0."""
    return np.where(sd > 0, (x - mean) / np.where(sd > 0, sd, 1.0), 0.0)


#: every style feature some arena kind adds (``schema.ARENA_STYLE_FEATURES``), sorted
ALL_ARENA_FEATURES: tuple[str, ...] = tuple(sorted({f for fs in ARENA_STYLE_FEATURES.values() for f in fs}))


def board_features(battles: pl.DataFrame) -> tuple[str, ...]:
    """The style features of a board: the text ones, plus those of its arena kind that every battle carries
    (``schema.ARENA_STYLE_FEATURES``: citations for search battles).

    >>> board_features(pl.DataFrame({"citations_a": [1, 2], "citations_b": [0, 3]}))
    ('tokens', 'headers', 'lists', 'bold', 'citations')
    """
    have = [
        f
        for f in ALL_ARENA_FEATURES
        if all(c in battles.columns for c in (f"{f}_a", f"{f}_b"))
        and battles.height
        and battles[f"{f}_a"].null_count() == 0
        and battles[f"{f}_b"].null_count() == 0
    ]
    return (*FEATURES, *have)


def style_frame(battles: pl.DataFrame, features: tuple[str, ...] = FEATURES) -> pl.DataFrame:
    """Battles that have all style columns (text on both sides)."""
    cols = [f"{f}_{s}" for f in features for s in "ab"]
    missing = [c for c in cols if c not in battles.columns]
    if missing:
        raise UserError(
            f"style control needs the per-side style columns (missing {missing[0]})",
            hint="ingest a source with answer texts",
        )
    return battles.drop_nulls(cols)


#: Battles per slice of a style fit's passes. The fit holds the board's frame and one slice's arrays, never
#: per-battle float matrices for the whole board: those made rate's memory grow with N (2M conversations: the
#: fit's arrays were ~0.45 GB above the frame, fourth stop of 6 December).
FIT_SLICE = 1 << 18


class _Slices:
    """A style board's battles as numpy slices of ``size`` rows: pair codes, outcome and raw feature ratios
    ``(a - b) / (a + b + 1)``. The pair and outcome codes are held for the whole board (a few bytes a battle,
    the models' ENUM codes and a byte per outcome); the float arrays are made afresh per slice on each pass.

    >>> b = pl.DataFrame({"model_a": ["x", "y"], "model_b": ["y", "x"], "winner": ["model_a", "tie"],
    ...                   "tokens_a": [3, 1], "tokens_b": [1, 1]})
    >>> s = _Slices(b, ("x", "y"), ("tokens",), size=1)
    >>> [(i.tolist(), j.tolist(), y.tolist(), x.tolist()) for i, j, y, x in s]
    [([0], [1], [1.0], [[0.4]]), ([1], [0], [0.5], [[0.0]])]
    """

    def __init__(self, battles: pl.DataFrame, models: tuple[str, ...], features: tuple[str, ...], size: int) -> None:
        enum = pl.Enum(list(models))
        self.i = battles["model_a"].cast(enum).to_physical().to_numpy()
        self.j = battles["model_b"].cast(enum).to_physical().to_numpy()
        halves = {w: int(2 * v) for w, v in OUTCOME.items()}  # the outcome in half wins: 0, 1 or 2
        self.y = battles["winner"].replace_strict(halves, return_dtype=pl.UInt8).to_numpy()
        self.battles, self.features, self.size = battles, features, size

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        for start in range(0, self.battles.height, self.size):
            s, cut = self.battles.slice(start, self.size), slice(start, start + self.size)
            a = np.column_stack([s[f"{f}_a"].to_numpy() for f in self.features]).astype(float)
            b = np.column_stack([s[f"{f}_b"].to_numpy() for f in self.features]).astype(float)
            i, j = self.i[cut].astype(np.int64), self.j[cut].astype(np.int64)
            yield i, j, 0.5 * self.y[cut], _ratio(a, b)

    def pairs(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The distinct (i, j) pairs that met, of ``k`` models."""
        met = np.zeros(k * k, dtype=bool)
        for start in range(0, len(self.i), self.size):
            cut = slice(start, start + self.size)
            met |= np.bincount(self.i[cut].astype(np.int64) * k + self.j[cut], minlength=k * k) > 0
        return np.divmod(np.flatnonzero(met), k)


def _moments(slices: _Slices, f: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population sd of the raw feature ratios, in two passes (as ``numpy.std``)."""
    n, total = 0, np.zeros(f)
    for _, _, _, x in slices:
        n, total = n + len(x), total + x.sum(axis=0)
    mean = total / max(n, 1)
    sq = np.zeros(f)
    for _, _, _, x in slices:
        sq += ((x - mean) ** 2).sum(axis=0)
    return mean, np.sqrt(sq / max(n, 1))


def fit_style(
    battles: pl.DataFrame,
    *,
    reg: float = 1.0,
    alpha: float = 0.05,
    bothbad: str = "tie",
    tol: float = 1e-9,
    max_iter: int = 50,
    features: tuple[str, ...] = FEATURES,
    slice_rows: int = FIT_SLICE,
) -> StyleFit:
    """Joint fit of ratings and style coefficients on battles with style ``features``.

    Each Newton step is one pass over the battles in slices of ``slice_rows`` (:data:`FIT_SLICE`), summing
    the gradient and Hessian slice by slice, so the fit's memory does not grow with the board. The slice size
    only changes the order of the sums (the last bits of the result); a given size gives the same bytes."""
    b = style_frame(battles if bothbad == "tie" else battles.filter(pl.col("winner") != "tie_bothbad"), features)
    if b.height < 10:
        raise UserError(
            f"style control needs battles with answer texts; found {b.height}",
            hint="ingest a source with conversations (e.g. arena-hf with conversation_a/b)",
        )
    sides = pl.concat([b["model_a"].cast(pl.String).unique(), b["model_b"].cast(pl.String).unique()])
    models = tuple(sorted(set(sides.to_list())))
    k, f = len(models), len(features)
    slices = _Slices(b, models, features, max(int(slice_rows), 1))
    mean, sd = _moments(slices, f)

    def standardised() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        for i, j, y, x in slices:
            yield i, j, y, _standardise(x, mean, sd)

    pi, pj = slices.pairs(k)
    params = np.zeros(k + f)
    ones = np.zeros((k + f, k + f))
    ones[:k, :k] = gauge_matrix(pi, pj, k)
    pen = np.zeros(k + f)
    pen[k:] = reg
    n = b.height
    for _ in range(max_iter):
        g, h = -pen * params, np.diag(pen)
        for i, j, y, x in standardised():
            p = sigmoid(params[i] - params[j] + x @ params[k:])
            r = y - p
            g += np.concatenate([np.bincount(i, r, k) - np.bincount(j, r, k), x.T @ r])
            h += _joint(i, j, x, p * (1 - p), k)
        if np.max(np.abs(g)) <= tol * n:
            break
        params = params + solve(h + ones, g)
    h, meat = np.diag(pen), np.zeros((k + f, k + f))
    for i, j, y, x in standardised():
        p = sigmoid(params[i] - params[j] + x @ params[k:])
        h += _joint(i, j, x, p * (1 - p), k)
        meat += _joint(i, j, x, (y - p) ** 2, k)
    a = inverse(h + ones)
    size = ones[:k, :k].sum(axis=1)
    a[:k, :k] -= ones[:k, :k] / (size[:, None] * size[None, :])  # pseudo-inverse: gauge directions get no variance
    cov = a @ meat @ a
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    zc = normal_quantile(1 - alpha / 2)
    theta = params[:k] - params[:k].mean()
    rating = 1000.0 + theta * ELO_SCALE
    beta = params[k:]
    return StyleFit(
        models,
        rating,
        rating - zc * se[:k] * ELO_SCALE,
        rating + zc * se[:k] * ELO_SCALE,
        features,
        beta,
        beta - zc * se[k:],
        beta + zc * se[k:],
        n,
        reg,
    )


def _joint(i: np.ndarray, j: np.ndarray, x: np.ndarray, v: np.ndarray, k: int) -> np.ndarray:
    """sum_b v_b u_b u_b^T with u_b = (e_i - e_j, x_b)."""
    f = x.shape[1]
    m = np.zeros((k + f, k + f))
    m[:k, :k] = hessian(i, j, v, k)
    vx = x * v[:, None]
    cross = np.stack([np.bincount(i, vx[:, c], k) - np.bincount(j, vx[:, c], k) for c in range(f)], axis=1)
    m[:k, k:] = cross
    m[k:, :k] = cross.T
    m[k:, k:] = x.T @ vx
    return m
