"""Aggregate battles to unique (model pair, outcome) counts: everything in ratings fits on these.

A :class:`PairCounts` holds, for each unordered pair ``i < j`` of models that met, how often ``i``
won, ``j`` won, they tied, and both were bad. Row order, and which model was shown as A, do not
matter to Bradley-Terry, so the aggregate is the sufficient statistic; at 5M battles and 250 models
it has about 30k rows.

>>> import polars as pl
>>> b = pl.DataFrame({"model_a": ["x", "y", "x"], "model_b": ["y", "x", "z"],
...                   "winner": ["model_a", "model_a", "tie_bothbad"]})
>>> c = PairCounts.from_battles(b)
>>> c.models, c.win_i.tolist(), c.win_j.tolist(), c.bothbad.tolist()
(('x', 'y', 'z'), [1.0, 0.0], [1.0, 0.0], [0.0, 1.0])
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from arenavotes.errors import UserError
from arenavotes.vocab import WINNERS, one_of

#: Up to this many possible pairs (K^2; K = 2,048 models), :meth:`PairCounts.from_codes` finds the pairs
#: present with a table of every pair (4 MB) instead of sorting the battles: 5x faster on 1M votes.
DENSE_PAIRS = 1 << 22


@dataclasses.dataclass(frozen=True)
class PairCounts:
    """Outcome counts per unordered model pair (``i < j`` are indices into ``models``)."""

    models: tuple[str, ...]
    i: np.ndarray
    j: np.ndarray
    win_i: np.ndarray
    win_j: np.ndarray
    tie: np.ndarray
    bothbad: np.ndarray

    @property
    def n_models(self) -> int:
        return len(self.models)

    @property
    def total(self) -> np.ndarray:
        return self.win_i + self.win_j + self.tie + self.bothbad

    def battles_per_model(self) -> np.ndarray:
        out = np.zeros(self.n_models)
        np.add.at(out, self.i, self.total)
        np.add.at(out, self.j, self.total)
        return out

    @classmethod
    def from_battles(cls, battles: pl.DataFrame | pl.LazyFrame, weight: str | None = None) -> PairCounts:
        """Count outcomes per pair from a frame with ``model_a, model_b, winner`` (and optional weights)."""
        lf = battles.lazy()
        w = pl.col(weight).cast(pl.Float64) if weight else pl.lit(1.0)
        grouped = (
            lf.select("model_a", "model_b", "winner", w.alias("_w"))
            .group_by("model_a", "model_b", "winner")
            .agg(pl.col("_w").sum())
            .collect()
        )
        return cls.from_grouped(grouped)

    @classmethod
    def from_grouped(cls, grouped: pl.DataFrame) -> PairCounts:
        """From rows ``(model_a, model_b, winner, _w)`` already summed per group."""
        bad = grouped.filter(~pl.col("winner").is_in(WINNERS))
        if bad.height:
            raise UserError(
                f"unknown outcome {bad['winner'][0]!r} in the battles to rate",
                hint=f"outcomes must be {one_of(WINNERS)}",
            )
        same = grouped.filter(pl.col("model_a") == pl.col("model_b"))
        if same.height:
            raise UserError(f"a battle of {same['model_a'][0]!r} against itself", hint="ingest quarantines these")
        models = tuple(sorted(set(grouped["model_a"].to_list()) | set(grouped["model_b"].to_list())))
        if not models:
            return cls(models, *(np.zeros(0, dtype=np.int64) for _ in range(2)), *(np.zeros(0) for _ in range(4)))
        enum = pl.Enum(list(models))
        g = grouped.with_columns(
            a=pl.col("model_a").cast(enum).to_physical().cast(pl.Int64),
            b=pl.col("model_b").cast(enum).to_physical().cast(pl.Int64),
        )
        a_first = pl.col("a") < pl.col("b")
        g = g.with_columns(
            i=pl.min_horizontal("a", "b"),
            j=pl.max_horizontal("a", "b"),
            wi=pl.when((pl.col("winner") == "model_a") & a_first | (pl.col("winner") == "model_b") & ~a_first)
            .then(pl.col("_w"))
            .otherwise(0.0),
            wj=pl.when((pl.col("winner") == "model_b") & a_first | (pl.col("winner") == "model_a") & ~a_first)
            .then(pl.col("_w"))
            .otherwise(0.0),
            t=pl.when(pl.col("winner") == "tie").then(pl.col("_w")).otherwise(0.0),
            bb=pl.when(pl.col("winner") == "tie_bothbad").then(pl.col("_w")).otherwise(0.0),
        )
        p = g.group_by("i", "j").agg(pl.col("wi", "wj", "t", "bb").sum()).sort("i", "j")
        return cls(
            models,
            p["i"].to_numpy(),
            p["j"].to_numpy(),
            p["wi"].to_numpy().astype(float),
            p["wj"].to_numpy().astype(float),
            p["t"].to_numpy().astype(float),
            p["bb"].to_numpy().astype(float),
        )

    @classmethod
    def from_codes(cls, models: tuple[str, ...], a: np.ndarray, b: np.ndarray, outcome: np.ndarray) -> PairCounts:
        """Count battles given as codes: ``a``, ``b`` index ``models``, ``outcome`` indexes
        :data:`arenavotes.vocab.WINNERS`. The same counts as :meth:`from_battles` on the decoded battles, except
        that ``models`` is kept whole (models without a battle here have no pair): for a part of a larger
        set of battles (one voter's votes) to take away with :meth:`without`, in numpy alone.

        >>> c = PairCounts.from_codes(("x", "y", "z"), np.array([1, 0]), np.array([0, 2]), np.array([0, 3]))
        >>> c.i.tolist(), c.j.tolist(), c.win_i.tolist(), c.win_j.tolist(), c.bothbad.tolist()
        ([0, 0], [1, 2], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0])
        """
        a, b, outcome = (np.asarray(x, dtype=np.int64) for x in (a, b, outcome))
        if ((a == b) | (outcome < 0) | (outcome >= len(WINNERS))).any():
            raise ValueError("a battle of a model against itself, or an outcome code out of range")
        k = len(models)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        flat = lo * k + hi
        if k * k <= DENSE_PAIRS:  # mark the pairs present in a table of every pair: no sort of the battles
            seen = np.zeros(k * k, dtype=bool)
            seen[flat] = True
            keys = np.flatnonzero(seen)
            pair = (np.cumsum(seen) - 1)[flat]
        else:
            keys, pair = np.unique(flat, return_inverse=True)
        swap = a > b
        first, second = WINNERS.index("model_a"), WINNERS.index("model_b")
        cell = np.select(
            [
                (outcome == first) & ~swap | (outcome == second) & swap,
                (outcome == second) & ~swap | (outcome == first) & swap,
                outcome == WINNERS.index("tie"),
            ],
            [0, 1, 2],
            3,
        )
        cells = np.bincount(pair.reshape(-1) * 4 + cell, minlength=len(keys) * 4).reshape(-1, 4).astype(float)
        return cls(models, keys // k, keys % k, cells[:, 0], cells[:, 1], cells[:, 2], cells[:, 3])

    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        """The counts as a (pairs, 4) matrix [win_i, win_j, tie, bothbad] and pair index, for resampling."""
        return np.stack([self.win_i, self.win_j, self.tie, self.bothbad], axis=1), np.arange(len(self.i))

    def with_cells(self, cells: np.ndarray) -> PairCounts:
        """The same pairs with other counts (a bootstrap replicate)."""
        return dataclasses.replace(self, win_i=cells[:, 0], win_j=cells[:, 1], tie=cells[:, 2], bothbad=cells[:, 3])

    def without(self, part: PairCounts) -> PairCounts:
        """These counts minus ``part`` (counts of a subset of the same battles, e.g. one voter's); pairs left
        with no battle are dropped. Used to refit without one voter without recounting every battle.

        >>> full = PairCounts.from_battles(pl.DataFrame({"model_a": ["x", "y", "x"], "model_b": ["y", "z", "z"],
        ...                                              "winner": ["model_a", "tie", "model_b"]}))
        >>> one = PairCounts.from_battles(pl.DataFrame({"model_a": ["y"], "model_b": ["z"], "winner": ["tie"]}))
        >>> left = full.without(one)
        >>> left.i.tolist(), left.j.tolist(), left.win_i.tolist(), left.win_j.tolist()
        ([0, 0], [1, 2], [1.0, 0.0], [0.0, 1.0])
        """
        index = {m: n for n, m in enumerate(self.models)}
        k = self.n_models
        remap = np.array([index.get(m, -1) for m in part.models], dtype=np.int64)  # -1: a model not here
        pi, pj = remap[part.i], remap[part.j]
        if (pi < 0).any() or (pj < 0).any():
            raise ValueError("the part has a model these counts do not")
        lo, hi = np.minimum(pi, pj), np.maximum(pi, pj)
        swap = pi > pj  # the part's i/j order may differ once mapped to these indices
        keys = self.i * k + self.j
        pos = np.searchsorted(keys, lo * k + hi)
        if len(part.i) and (pos.max() >= len(keys) or not np.array_equal(keys[pos], lo * k + hi)):
            raise ValueError("the part has a pair these counts do not")
        cells = np.stack([self.win_i, self.win_j, self.tie, self.bothbad], axis=1).copy()
        sub = np.stack(
            [np.where(swap, part.win_j, part.win_i), np.where(swap, part.win_i, part.win_j), part.tie, part.bothbad],
            axis=1,
        )
        np.subtract.at(cells, pos, sub)
        keep = cells.sum(axis=1) > 0
        return PairCounts(
            self.models, self.i[keep], self.j[keep], cells[keep, 0], cells[keep, 1], cells[keep, 2], cells[keep, 3]
        )

    def subset(self, keep: np.ndarray) -> PairCounts:
        """Only the models where ``keep`` is true (pairs between them), re-indexed."""
        idx = np.cumsum(keep) - 1
        m = keep[self.i] & keep[self.j]
        return PairCounts(
            tuple(n for n, k in zip(self.models, keep, strict=True) if k),
            idx[self.i[m]],
            idx[self.j[m]],
            self.win_i[m],
            self.win_j[m],
            self.tie[m],
            self.bothbad[m],
        )
