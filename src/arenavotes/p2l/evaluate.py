"""Does prompt-to-leaderboard predict votes on prompts it has never seen better than the overall board?

Prompts (not battles) are split into seeded folds. For each fold, an index is built and tuned on the other
folds' votes only (:func:`arenavotes.p2l.index.build`), and the held-out prompts' votes are predicted by
(1) the overall board of the training votes, (2) the per-category board of the prompt's category where
labels exist (the board of the smallest of its categories with training votes, fitted with a weak prior
toward the overall board; else the overall board),
and (3) P2L. Log-loss and Brier score are per vote, ties as half a win (the model's own convention); the
relative gain over the board gets a bootstrap interval over held-out prompts.

>>> import numpy as np, polars as pl
>>> rng = np.random.default_rng(1)
>>> n = 400
>>> rows = rng.integers(0, 40, n)
>>> votes = pl.DataFrame({"row": rows, "model_a": ["x"] * n, "model_b": ["y"] * n,
...                       "winner": np.where(rng.random(n) < 0.6, "model_a", "model_b")})
>>> vecs = rng.standard_normal((40, 8)).astype(np.float32)
>>> vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
>>> r = evaluate(votes, vecs, [f"h{i}" for i in range(40)], folds=4, seed=0)
>>> sorted(r["methods"]), r["prompts"], r["votes"]
(['board', 'p2l'], 40, 400)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from arenavotes.p2l.index import build, pair_counts, predict
from arenavotes.ratings.bt import sigmoid


def _fold_votes(votes: pl.DataFrame, keep: np.ndarray, n_prompts: int) -> pl.DataFrame:
    """The votes of prompts ``keep`` (sorted row numbers), renumbered 0..len(keep)-1."""
    remap = np.full(n_prompts, -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    sub = votes.filter(pl.col("row").is_in(keep.tolist()))
    return sub.with_columns(row=pl.Series(remap[sub["row"].to_numpy()], dtype=pl.Int64))


def evaluate(
    votes: pl.DataFrame,
    vectors: np.ndarray,
    hashes: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
    labels: pl.DataFrame | None = None,
    rounds: int = 1000,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Cross-validated comparison (see the module docstring). ``votes``: (row, model_a, model_b, winner),
    ``row`` indexing ``hashes``/``vectors``; ``labels``: optional (row, category) of prompts' categories."""
    p = len(hashes)
    rng = np.random.default_rng(seed)
    fold = rng.permutation(np.arange(p) % max(folds, 2))
    methods = ["board", "p2l"] + (["category"] if labels is not None and labels.height else [])
    loss = {m: np.zeros(p) for m in methods}
    brier = {m: np.zeros(p) for m in methods}
    count = np.zeros(p)
    skipped = 0
    chosen: list[dict[str, float]] = []
    y_all = votes["winner"].replace_strict({"model_a": 1.0, "model_b": 0.0}, default=0.5, return_dtype=pl.Float64)
    votes = votes.with_columns(_y=y_all)
    for f in range(max(folds, 2)):
        train = np.flatnonzero(fold != f)
        test = np.flatnonzero(fold == f)
        if len(train) == 0 or len(test) == 0:
            continue
        tv = _fold_votes(votes, train, p)
        ix = build(tv, vectors[train], [hashes[int(t)] for t in train], encoder="", seed=seed)
        chosen.append({"k": ix.k, "lam": ix.lam})
        known = set(ix.models)
        held = votes.filter(pl.col("row").is_in(test.tolist()))
        ok = held["model_a"].cast(pl.String).is_in(list(known)) & held["model_b"].cast(pl.String).is_in(list(known))
        skipped += int((~ok).sum())
        held = held.filter(ok & (pl.col("model_a").cast(pl.String) != pl.col("model_b").cast(pl.String)))
        if held.height == 0:
            continue
        code = {m: c for c, m in enumerate(ix.models)}
        i = np.array([code[m] for m in held["model_a"].cast(pl.String).to_list()])
        j = np.array([code[m] for m in held["model_b"].cast(pl.String).to_list()])
        r = held["row"].to_numpy()
        y = held["_y"].to_numpy()
        local = np.searchsorted(test, r)
        theta_p2l, _, _, _ = predict(ix, vectors[test])
        thetas = {"board": np.tile(ix.theta0, (len(test), 1)), "p2l": theta_p2l}
        if "category" in methods and labels is not None:
            thetas["category"] = _category_thetas(ix, tv, train, test, labels, p)
        for m, th in thetas.items():
            pr = np.clip(sigmoid(th[local, i] - th[local, j]), 1e-12, 1 - 1e-12)
            ll = -(y * np.log(pr) + (1 - y) * np.log(1 - pr))
            loss[m] += np.bincount(r, ll, p)
            brier[m] += np.bincount(r, (y - pr) ** 2, p)
        count += np.bincount(r, minlength=p)
    used = count > 0
    out: dict[str, Any] = {
        "prompts": int(used.sum()),
        "votes": int(count.sum()),
        "skipped_votes": skipped,
        "folds": max(folds, 2),
        "seed": seed,
        "chosen": chosen,
        "methods": {},
    }
    idx = np.flatnonzero(used)
    boot = np.random.default_rng(seed + 1).integers(0, len(idx), size=(rounds, len(idx))) if len(idx) else None
    base = loss["board"][idx]
    for m in methods:
        mean_loss = float(loss[m][idx].sum() / max(count[idx].sum(), 1))
        row: dict[str, Any] = {"log_loss": mean_loss, "brier": float(brier[m][idx].sum() / max(count[idx].sum(), 1))}
        if m != "board" and boot is not None:
            gain = 1 - loss[m][idx][boot].sum(axis=1) / np.maximum(base[boot].sum(axis=1), 1e-300)
            lo, hi = np.quantile(gain, [alpha / 2, 1 - alpha / 2])
            row["gain"] = float(1 - loss[m][idx].sum() / max(base.sum(), 1e-300))
            row["gain_interval"] = [float(lo), float(hi)]
        out["methods"][m] = row
    return out


#: prior precision of a category board toward the overall board (a prior sd of 174 Elo points: weak, but a
#: category with a handful of votes gets finite, sane ratings instead of a runaway maximum-likelihood fit)
CATEGORY_PRIOR = 1.0


def _category_thetas(
    ix: Any, train_votes: pl.DataFrame, train: np.ndarray, test: np.ndarray, labels: pl.DataFrame, n_prompts: int
) -> np.ndarray:
    """Each held-out prompt's strengths under the board of its smallest category with training votes
    (categories with fewer than 2 training prompts are not used), else the overall board. A category board is
    the category's Bradley-Terry fit with a weak prior toward the overall board (:data:`CATEGORY_PRIOR`); all
    categories are fitted together, one stacked query each."""
    from arenavotes.p2l.fit import fit_queries

    lab = _fold_votes(labels, train, n_prompts)  # training prompts' labels, in train_votes' row numbers
    sizes = lab.group_by("category").len().filter(pl.col("len") >= 2).sort("category").with_row_index("q")
    summed = (
        pair_counts(train_votes, ix.models)
        .join(lab.join(sizes.select("category", "q"), on="category"), on="row")
        .group_by("q", "i", "j")
        .agg(pl.col("w", "n").sum())
        .sort("q", "i", "j")
    )
    q = summed["q"].cast(pl.Int64).to_numpy()
    d, _ = fit_queries(
        ix.theta0,
        q,
        summed["i"].to_numpy(),
        summed["j"].to_numpy(),
        summed["w"].to_numpy(),
        summed["n"].to_numpy(),
        sizes.height,
        CATEGORY_PRIOR,
    )
    fitted = sizes.filter(pl.col("q").is_in(np.unique(q).tolist()))  # categories with training votes
    best = (
        labels.filter(pl.col("row").is_in(test.tolist()))
        .join(fitted, on="category")
        .sort("len", "category")
        .group_by("row", maintain_order=True)
        .first()
    )
    out = np.tile(ix.theta0, (len(test), 1))
    pos = np.searchsorted(test, best["row"].to_numpy())
    out[pos] = ix.theta0[None, :] + d[best["q"].cast(pl.Int64).to_numpy()]
    return out


def summary_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The evaluation as table rows: method, log-loss, Brier, gain over the board and its interval."""
    rows = []
    for m, r in result["methods"].items():
        gi = r.get("gain_interval")
        rows.append(
            {
                "method": m,
                "log_loss": round(r["log_loss"], 5),
                "brier": round(r["brier"], 5),
                "gain_%": None if "gain" not in r else round(100 * r["gain"], 2),
                "gain_interval_%": None if gi is None else f"[{100 * gi[0]:.2f}, {100 * gi[1]:.2f}]",
            }
        )
    return rows
