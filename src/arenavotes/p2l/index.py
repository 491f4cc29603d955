"""The prompt-to-leaderboard index: the workspace's prompts as vectors, the votes each prompt got, the overall
board, and the neighbourhood size and prior strength chosen on the workspace's own votes.

A query prompt's board is fitted on the votes of its ``k`` nearest workspace prompts (cosine similarity of
the shared encoder's vectors, :mod:`arenavotes.embeddings`), shrunk toward the overall board with prior
precision ``lam`` (:mod:`arenavotes.p2l.fit`). ``k`` and ``lam`` are chosen by leave-one-prompt-out
log-loss over a seeded sample of the workspace's prompts (:func:`tune`), the empirical-Bayes step: a
workspace where votes do not depend on the prompt gets ``lam = inf``, which is the overall board itself, so
P2L never does worse than the board by more than the noise of that choice.

>>> import numpy as np, polars as pl
>>> rng = np.random.default_rng(0)
>>> votes = pl.DataFrame({"row": [0, 0, 1], "model_a": ["x", "x", "y"], "model_b": ["y", "y", "x"],
...                       "winner": ["model_a", "tie", "model_a"]})
>>> ix = build(votes, np.eye(2, 4, dtype=np.float32), ["h0", "h1"], encoder="e@1")
>>> ix.models, ix.wins.toarray().tolist()[0][1], ix.games.toarray().tolist()[0][1]
(('x', 'y'), 1.5, 2.0)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix

from arenavotes.p2l.fit import fit_queries
from arenavotes.ratings.bt import fit_logit, sigmoid

#: bumped when the index's method changes (part of the stored index's fingerprint: an old index is rebuilt)
VERSION = 1
#: neighbourhood sizes and prior precisions tried by :func:`tune` (natural units: lam = 1 is a prior sd of
#: 174 Elo points, lam = 100 of 17)
K_GRID: tuple[int, ...] = (16, 64, 256, 1024, 4096)
LAM_GRID: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
#: prompts held out one at a time by :func:`tune`
TUNE_PROMPTS = 1000
#: query x prompt similarities computed at a time (float32)
SEARCH_CELLS = 64_000_000
#: a tiny ridge on the overall board: models whose every vote was a win still get a finite rating
BOARD_RIDGE = 1e-4


@dataclasses.dataclass
class Index:
    """Everything a query needs (see the module docstring); ``cells`` is (prompts x K*K), column ``i*K + j``
    (i < j) holding the games of models i and j on that prompt plus ``1j`` times i's wins (ties as halves)."""

    models: tuple[str, ...]
    theta0: np.ndarray
    hashes: tuple[str, ...]
    vectors: np.ndarray
    cells: csr_matrix  # games + 1j * wins
    encoder: str
    k: int = 64
    lam: float = math.inf
    tuning: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def n_prompts(self) -> int:
        return len(self.hashes)

    @property
    def games(self) -> csr_matrix:
        return csr_matrix(self.cells.real)

    @property
    def wins(self) -> csr_matrix:
        return csr_matrix(self.cells.imag)

    @property
    def n_votes(self) -> float:
        return float(self.cells.real.sum())


def pair_counts(votes: pl.DataFrame, models: Sequence[str]) -> pl.DataFrame:
    """(row, i, j, w, n) with i < j from votes (row, model_a, model_b, winner): ties and both-bad count half
    a win each way; self-play rows are left out."""
    code = {m: c for c, m in enumerate(models)}
    enum = pl.Enum(list(models))
    v = votes.select(
        "row",
        a=pl.col("model_a").cast(pl.String).cast(enum).to_physical().cast(pl.Int64),
        b=pl.col("model_b").cast(pl.String).cast(enum).to_physical().cast(pl.Int64),
        sa=pl.when(pl.col("winner") == "model_a")
        .then(1.0)
        .when(pl.col("winner") == "model_b")
        .then(0.0)
        .otherwise(0.5),
    ).filter(pl.col("a") != pl.col("b"))
    assert len(code) == len(models)
    return (
        v.select(
            "row",
            i=pl.min_horizontal("a", "b"),
            j=pl.max_horizontal("a", "b"),
            w=pl.when(pl.col("a") < pl.col("b")).then(pl.col("sa")).otherwise(1.0 - pl.col("sa")),
        )
        .group_by("row", "i", "j")
        .agg(w=pl.col("w").sum(), n=pl.len().cast(pl.Float64))
        .sort("row", "i", "j")
    )


def overall_board(counts: pl.DataFrame, k: int) -> np.ndarray:
    """The overall Bradley-Terry strengths (mean 0) from (i, j, w, n) counts summed over prompts."""
    tot = counts.group_by("i", "j").agg(pl.col("w").sum(), pl.col("n").sum()).sort("i", "j")
    i, j = tot["i"].to_numpy(), tot["j"].to_numpy()
    theta = fit_logit(
        i, j, tot["w"].to_numpy(), tot["n"].to_numpy(), k, reg=BOARD_RIDGE * max(float(tot["n"].sum()), 1.0) / max(k, 1)
    )
    return theta - theta.mean()


def build(
    votes: pl.DataFrame,
    vectors: np.ndarray,
    hashes: Sequence[str],
    *,
    encoder: str,
    seed: int = 0,
    tune_it: bool = True,
) -> Index:
    """The index of ``votes`` (row, model_a, model_b, winner; ``row`` indexes ``hashes`` and ``vectors``)."""
    models = tuple(
        sorted(set(votes["model_a"].cast(pl.String).to_list()) | set(votes["model_b"].cast(pl.String).to_list()))
    )
    k = len(models)
    counts = pair_counts(votes, models)
    rows = counts["row"].to_numpy()
    cols = counts["i"].to_numpy() * k + counts["j"].to_numpy()
    shape = (len(hashes), max(k * k, 1))
    data = counts["n"].to_numpy() + 1j * counts["w"].to_numpy()
    cells = csr_matrix((data, (rows, cols)), shape=shape)
    theta0 = overall_board(counts, k) if len(counts) else np.zeros(k)
    ix = Index(models, theta0, tuple(hashes), np.ascontiguousarray(vectors, dtype=np.float32), cells, encoder)
    if tune_it:
        ix.k, ix.lam, ix.tuning = tune(ix, seed=seed)
    return ix


def neighbours(
    ix: Index, queries: np.ndarray, k: int, exclude: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, similarities), each (queries x k'), k' = min(k, prompts): the nearest workspace prompts by cosine
    similarity, nearest first (ties by row). ``exclude``: one row per query left out (its own prompt), or -1."""
    p = ix.n_prompts
    kk = min(k, p - (1 if exclude is not None else 0))
    rows = np.zeros((len(queries), max(kk, 0)), dtype=np.int64)
    sims = np.zeros((len(queries), max(kk, 0)), dtype=np.float32)
    if kk <= 0:
        return rows, sims
    step = max(1, min(256, SEARCH_CELLS // max(p, 1)))  # similarities held at a time: ~256 MB at most
    for lo in range(0, len(queries), step):
        s = queries[lo : lo + step] @ ix.vectors.T
        if exclude is not None:
            ex = exclude[lo : lo + step]
            s[np.arange(len(s))[ex >= 0], ex[ex >= 0]] = -np.inf
        part = np.argpartition(-s, kk - 1, axis=1)[:, :kk] if kk < p else np.tile(np.arange(p), (len(s), 1))
        ps = np.take_along_axis(s, part, axis=1)
        order = np.lexsort((part, -ps), axis=1)
        rows[lo : lo + len(s)] = np.take_along_axis(part, order, axis=1)
        sims[lo : lo + len(s)] = np.take_along_axis(ps, order, axis=1)
    return rows, sims


def neighbourhood_counts(ix: Index, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """(q, i, j, w, n, votes): the summed pair counts of each query's neighbour prompts (every neighbour
    weighs the same) and the number of votes behind each query."""
    q = np.repeat(np.arange(len(rows)), rows.shape[1])
    sel = csr_matrix((np.ones(rows.size), (q, rows.reshape(-1))), shape=(len(rows), ix.n_prompts))
    cells = (sel @ ix.cells).tocoo()  # games + 1j * wins: one product keeps both on the same cells
    k = len(ix.models)
    n, w = cells.data.real.copy(), cells.data.imag.copy()
    votes = np.bincount(cells.row, n, len(rows))
    return cells.row.astype(np.int64), cells.col // k, cells.col % k, w, n, votes


def predict(
    ix: Index, queries: np.ndarray, *, k: int | None = None, lam: float | None = None, exclude: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(theta, variance, votes, neighbour rows) for each query vector: strengths (natural units, queries x
    K), their posterior variances (0 where the board is used as it is), the votes near each query and its
    neighbours' rows (nearest first)."""
    rows, _ = neighbours(ix, queries, ix.k if k is None else k, exclude)
    return predict_rows(ix, rows, ix.lam if lam is None else lam)


def predict_rows(ix: Index, rows: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`predict` for queries whose neighbour rows are known."""
    m = len(rows)
    q, i, j, w, n, votes = neighbourhood_counts(ix, rows)
    if not math.isfinite(lam):
        return np.tile(ix.theta0, (m, 1)), np.zeros((m, len(ix.models))), votes, rows
    delta, var = fit_queries(ix.theta0, q, i, j, w, n, m, lam)
    return ix.theta0[None, :] + delta, var, votes, rows


def tune(ix: Index, seed: int = 0) -> tuple[int, float, dict[str, float]]:
    """(k, lam, log-losses): the grid point of least leave-one-prompt-out log-loss of decisive votes over a
    seeded sample of :data:`TUNE_PROMPTS` prompts; ``lam = inf`` (the overall board) unless a grid point
    beats it."""
    rng = np.random.default_rng(seed)
    has_votes = np.flatnonzero(np.asarray(ix.games.sum(axis=1)).reshape(-1) > 0)
    if len(has_votes) < 2:
        return K_GRID[0], math.inf, {}
    sample = np.sort(rng.choice(has_votes, size=min(TUNE_PROMPTS, len(has_votes)), replace=False))
    qv = ix.vectors[sample]
    target = ix.cells[sample]
    losses: dict[str, float] = {"board": log_loss(np.tile(ix.theta0, (len(sample), 1)), target, len(ix.models))}
    best = (math.inf, K_GRID[0], math.inf)
    grid = [k for n, k in enumerate(K_GRID) if n == 0 or k < ix.n_prompts]
    near, _ = neighbours(ix, qv, max(grid), exclude=sample)  # nearest first: each k is a prefix
    for k in grid:
        for lam in LAM_GRID:
            theta, _, _, _ = predict_rows(ix, near[:, :k], lam)
            loss = log_loss(theta, target, len(ix.models))
            losses[f"k={k},lam={lam:g}"] = loss
            if loss < best[0]:
                best = (loss, k, lam)
    if best[0] >= losses["board"]:
        return best[1], math.inf, losses
    return best[1], best[2], losses


def log_loss(theta: np.ndarray, cells: csr_matrix, k: int) -> float:
    """Mean log-loss per vote of held-out cells (games + 1j * wins, one row per query) under per-query
    strengths (ties as halves)."""
    c = cells.tocoo()
    n, w = c.data.real, c.data.imag
    d = theta[c.row, c.col // k] - theta[c.row, c.col % k]
    p = np.clip(sigmoid(d), 1e-12, 1 - 1e-12)
    return float(-(w * np.log(p) + (n - w) * np.log(1 - p)).sum() / max(n.sum(), 1.0))
