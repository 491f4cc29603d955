"""Stability statistics: how much a leaderboard would move.

* rank spread over bootstrap rounds (:meth:`Ratings.rank_quantiles`);
* Kendall tau between two leaderboards (periods, categories) on their common models;
* the comparison graph: models, pairs that met, connected components;
* leave-one-voter-out: the largest rating change any single voter causes (one Newton step from
  the full fit per voter, all voters at once, then an exact refit of the five most influential);
* online Elo (K=4, FastChat's ``compute_elo``) in time order, for comparison with Bradley-Terry.

>>> tau, common = kendall_tau({"a": 3.0, "b": 2.0, "c": 1.0}, {"a": 2.0, "b": 3.0, "c": 1.0, "d": 0.0})
>>> round(tau, 3), common
(0.333, 3)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import polars as pl

from arenavotes.errors import UserError
from arenavotes.ratings.bt import ELO_SCALE, fit_logit, gradient, hessian, pinv_sum_zero, sigmoid
from arenavotes.ratings.core import RatingParams, Ratings, logit_data, prepare_counts
from arenavotes.ratings.counts import PairCounts
from arenavotes.ratings.graph import components
from arenavotes.vocab import LOGIT_TIE_POLICIES, WINNERS


def kendall_tau(a: dict[str, float], b: dict[str, float]) -> tuple[float, int]:
    """Kendall's tau-b between two rating maps over their common models, and how many there are (NaN when
    either map is constant on them). All pairs at once: boards have hundreds of models, not millions."""
    common = sorted(set(a) & set(b))
    if len(common) < 2:
        return float("nan"), len(common)
    x = np.array([a[m] for m in common], dtype=float)
    y = np.array([b[m] for m in common], dtype=float)
    upper = np.triu(np.ones((len(x), len(x)), dtype=bool), 1)
    dx, dy = np.sign(x[:, None] - x[None, :])[upper], np.sign(y[:, None] - y[None, :])[upper]
    untied_x, untied_y = np.count_nonzero(dx), np.count_nonzero(dy)
    if untied_x == 0 or untied_y == 0:
        return float("nan"), len(common)
    return float((dx * dy).sum() / np.sqrt(float(untied_x) * float(untied_y))), len(common)


@dataclasses.dataclass(frozen=True)
class GraphStats:
    models: int
    pairs_met: int
    pairs_possible: int
    components: int
    min_battles: int
    median_battles: float


def graph_stats(c: PairCounts) -> GraphStats:
    bpm = c.battles_per_model()
    k = c.n_models
    return GraphStats(
        k,
        int((c.total > 0).sum()),
        k * (k - 1) // 2,
        len(components(c)),
        int(bpm.min()) if k else 0,
        float(np.median(bpm)) if k else 0.0,
    )


@dataclasses.dataclass(frozen=True)
class VoterInfluence:
    voters: int
    max_change: float  # rating points, the largest over voters and models
    worst_voter: str | None
    per_model: dict[str, float]  # largest change each model sees from one voter


_Y_HALF = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie_bothbad": 0.5}
#: Voters whose rating shifts are held at once: a (voters x models) block of this many rows.
VOTER_BLOCK = 32_768
#: Most rows of one block's top voters held apart for the refits; beyond (a tie of many voters at the cut),
#: the block is recomputed instead when one of them is refitted.
HELD_MAX = 1_024


#: Voter ids of voter codes (a list of codes in, their ids out, in the same order).
VoterLookup = Callable[[Sequence[int]], list[str]]


def leave_one_voter_out(
    battles: pl.DataFrame, ratings: Ratings, top: int = 5, voter_names: VoterLookup | None = None
) -> VoterInfluence | None:
    """Worst-case rating change from removing all votes of one voter (``voter_id``); half/drop ties only.

    Works on voters coded as integers and holds the (voters x models) shifts a block of :data:`VOTER_BLOCK`
    voters at a time, so memory does not grow with voters x models (1.5M voters and 50 models would be 600 MB
    a matrix). Ties in influence go to the voter whose id sorts first, whatever the Categorical codes.

    ``voter_id`` may be ids (strings, Categoricals) or integer codes numbered in id order, as
    :func:`arenavotes.ratings.store.load_rating_input` gives them; ``voter_names`` then turns the few codes a
    result names back into ids (without it, the code is the name).

    >>> from arenavotes.ratings import rate
    >>> b = pl.DataFrame({"model_a": ["x", "y"] * 20, "model_b": ["y", "x"] * 20, "winner": ["model_a"] * 40,
    ...                   "voter_id": [7, 9] * 20}).with_columns(pl.col("voter_id").cast(pl.UInt32))
    >>> b = b.with_columns(winner=pl.when(pl.int_range(40) < 30).then(pl.col("winner")).otherwise(pl.lit("tie")))
    >>> loo = leave_one_voter_out(b, rate(b), voter_names=lambda codes: [f"voter-{c}" for c in codes])
    >>> loo.voters, loo.worst_voter in ("voter-7", "voter-9")
    (2, True)
    """
    params = ratings.params
    if "voter_id" not in battles.columns or params.ties not in LOGIT_TIE_POLICIES or params.compat:
        return None
    keep = pl.col("voter_id").is_not_null()
    if params.bothbad != "tie":
        keep &= pl.col("winner") != "tie_bothbad"
    if params.ties == "drop":
        keep &= pl.col("winner").is_in(["model_a", "model_b"])
    c = prepare_counts(battles, params)
    k = c.n_models
    voter = pl.col("voter_id")
    dtype = battles.schema["voter_id"]
    lookup: VoterLookup | None = None  # integer codes -> ids; None: the ids are in the battles
    if dtype.is_integer():  # codes in id order already (a Categorical of 1.5M ids held 0.19 GB)
        code = voter
        lookup = voter_names or _codes_as_names
    else:
        code = (voter if dtype == pl.Categorical else voter.cast(pl.Categorical)).to_physical()
    # the score of removing voter v is the sum of its votes' residuals y - p, summed per (voter, model) by bincount
    votes = (
        battles.lazy()
        .filter(keep)
        .select(
            v=code,
            a=pl.col("model_a").cast(pl.Enum(list(c.models))).to_physical(),
            b=pl.col("model_b").cast(pl.Enum(list(c.models))).to_physical(),
            o=pl.col("winner").cast(pl.Enum(WINNERS)).to_physical(),
        )
        .collect()
    )
    if votes.height == 0:
        return None
    theta = ratings.theta
    _, n = logit_data(c, params.ties)
    p = sigmoid(theta[c.i] - theta[c.j])
    h_inv = pinv_sum_zero(hessian(c.i, c.j, n * p * (1 - p), k) + params.reg * np.eye(k))
    raw = votes["v"].to_numpy()
    present = np.bincount(raw) > 0
    first_code = np.flatnonzero(present)  # dense voter number -> Categorical code
    n_voters = len(first_code)
    dense = (np.cumsum(present) - 1)[raw]  # voters numbered 0..V-1 in code order (ties are broken by id below)
    del raw
    # the votes of each block of VOTER_BLOCK voters together, each block's in battle order: a stable radix sort
    # on the block number (a 16-bit key; 4x faster than sorting by voter). A (voter, model) cell's residuals
    # then still add up in battle order, the same sums to the bit as votes sorted by voter.
    n_blocks = -(-n_voters // VOTER_BLOCK)
    order = np.argsort((dense // VOTER_BLOCK).astype(np.uint16 if n_blocks <= 1 << 16 else np.uint32), kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(dense // VOTER_BLOCK, minlength=n_blocks))])
    dense = dense[order]
    a, bb, outcome = (votes[col].to_numpy()[order] for col in ("a", "b", "o"))
    del votes, order
    w = _residuals(theta, a, bb, outcome)
    step = _centred_step(h_inv)
    worst = np.empty(n_voters)
    block_max = []  # each block's largest shift per model

    def block(lo: int, hi: int) -> np.ndarray:
        """|shift| of voters lo..hi-1 (rows; one block) for every model (columns)."""
        s, e = starts[lo // VOTER_BLOCK], starts[lo // VOTER_BLOCK + 1]
        flat = (dense[s:e] - lo) * k
        g = (
            np.bincount(flat + a[s:e], weights=w[s:e], minlength=(hi - lo) * k)
            - np.bincount(flat + bb[s:e], weights=w[s:e], minlength=(hi - lo) * k)
        ).reshape(hi - lo, k)
        return np.abs(g @ step)

    recompute: set[int] = set()
    held: dict[int, np.ndarray] = {}  # the rows of each block's most influential voters, kept aside
    for lo in range(0, n_voters, VOTER_BLOCK):
        delta = block(lo, min(lo + VOTER_BLOCK, n_voters))
        worst[lo : lo + len(delta)] = delta.max(axis=1)
        # a voter that may end up refitted must not count in the block's maximum: its rows are held apart
        # (every voter scoring at least the block's top-th score, so ties in score all stay candidates)
        score = worst[lo : lo + len(delta)]
        if top <= 0:
            aside = np.zeros(0, dtype=np.intp)
        else:
            cut = np.partition(score, len(score) - top)[len(score) - top] if top < len(score) else -np.inf
            aside = np.flatnonzero(score >= cut)
        if len(aside) <= HELD_MAX:
            held.update({lo + int(v): delta[v].copy() for v in aside})
            delta[aside] = 0.0
        else:  # a large tie at the cut (many voters with the same few votes): recomputed below if need be
            recompute.add(lo // VOTER_BLOCK)
        block_max.append(delta.max(axis=0))
    names = _VoterNames(battles, code, first_code, lookup)
    models = tuple(c.models)
    exact: dict[int, np.ndarray] = {}  # the most influential voters' shifts: exact where the refit exists
    for v in names.top(worst, top):
        s, e = starts[v // VOTER_BLOCK], starts[v // VOTER_BLOCK + 1]
        mine = s + np.flatnonzero(dense[s:e] == v)  # the voter's votes, in battle order
        part = PairCounts.from_codes(models, a[mine], bb[mine], outcome[mine])
        exact[v] = np.abs(_exact_shift(c, part, theta, params, step, a[mine], bb[mine], w[mine]))
        worst[v] = exact[v].max()
    # each model's largest shift: the blocks' maxima without their held voters, the held voters' one-step
    # shifts unless refitted, and the refitted voters' exact shifts
    for blk in {v // VOTER_BLOCK for v in exact} & recompute:
        lo = blk * VOTER_BLOCK
        delta = block(lo, min(lo + VOTER_BLOCK, n_voters))
        delta[[v - lo for v in exact if v // VOTER_BLOCK == blk]] = 0.0
        block_max[blk] = delta.max(axis=0)
    rows = [d for v, d in held.items() if v not in exact]
    per_model = np.max([*block_max, *rows, *exact.values()], axis=0)
    return VoterInfluence(
        n_voters,
        float(worst.max()),
        names.name(names.top(worst, 1)[0]),
        dict(zip(c.models, per_model.tolist(), strict=True)),
    )


def _codes_as_names(codes: Sequence[int]) -> list[str]:
    """Integer voter codes without a lookup: the code is the name."""
    return [str(c) for c in codes]


def _residuals(theta: np.ndarray, a: np.ndarray, b: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Each vote's ``y - sigmoid(theta_a - theta_b)`` (y: 1, 0 or a half for ties), computed in place: the same
    bits as :func:`arenavotes.ratings.bt.sigmoid`, with two arrays of votes alive instead of six (5M votes:
    0.24 GB less at the peak of ``rate``).

    >>> th, a, b, o = np.array([0.0, 1.0]), np.array([1, 0]), np.array([0, 1]), np.array([0, 2])
    >>> bool(np.array_equal(_residuals(th, a, b, o), np.array([1.0, 0.5]) - sigmoid(th[a] - th[b])))
    True
    """
    x = theta[a]
    x -= theta[b]
    x *= 0.5  # sigmoid(x) = 0.5 * (1 + tanh(x / 2)), step by step
    np.tanh(x, out=x)
    x += 1.0
    x *= 0.5
    w = np.array([_Y_HALF[name] for name in WINNERS])[outcome]
    w -= x
    return w


def _centred_step(h_inv: np.ndarray) -> np.ndarray:
    """The matrix ``M`` for which ``g @ M`` is one Newton step per row of scores ``g`` (removing a voter
    subtracts its score), in Elo points with mean 0: ``-ELO_SCALE * h_inv^T (I - 11^T / k)``, so a block of
    voters costs one matrix product and no second pass to centre it."""
    return -ELO_SCALE * (h_inv.T - h_inv.T.mean(axis=1, keepdims=True))


def _exact_shift(
    c: PairCounts,
    part: PairCounts,
    theta: np.ndarray,
    params: RatingParams,
    step: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray,
) -> np.ndarray:
    """The rating shift (Elo points, mean 0) from refitting without one voter's votes (``part``, counts per
    pair and outcome; ``a``, ``b``, ``w``: its model codes and weighted residuals); its one-step approximation
    (``step``: :func:`_centred_step`) when the refit has no finite answer."""
    k = c.n_models
    g = (np.bincount(a, weights=w, minlength=k) - np.bincount(b, weights=w, minlength=k))[None, :]
    approx = (g @ step)[0]
    c2 = c.without(part)
    w2, n2 = logit_data(c2, params.ties)
    met = np.bincount(c2.i, weights=n2, minlength=k) + np.bincount(c2.j, weights=n2, minlength=k)
    if (met == 0).any():  # the voter was a model's only evidence: keep the approximation
        return approx
    try:
        th2 = fit_logit(c2.i, c2.j, w2, n2, k, reg=params.reg, init=theta)
    except UserError:  # removing this voter leaves a model without a finite MLE: keep the approximation
        return approx
    return (th2 - th2.mean() - (theta - theta.mean())) * ELO_SCALE


class _VoterNames:
    """Voter ids of dense voter numbers, looked up only for the few voters a result names."""

    def __init__(
        self, battles: pl.DataFrame, code: pl.Expr, raw: np.ndarray, lookup: VoterLookup | None = None
    ) -> None:
        self._battles, self._code = battles, code
        self._raw = raw  # dense number -> Categorical code, or the voter's integer code
        self._lookup = lookup  # integer codes -> ids (None: the ids are in the battles)
        self._known: dict[int, str] = {}

    def names(self, dense: np.ndarray) -> list[str]:
        wanted = [int(d) for d in dense if int(d) not in self._known]
        if wanted and self._lookup is not None:
            self._known.update(zip(wanted, self._lookup(self._raw[wanted].tolist()), strict=True))
        elif wanted:
            raw = self._raw[wanted]
            # the few wanted voters first, then their ids as text (casting every battle's id first held 5M
            # strings, ~0.25 GB at 5M battles, once per board)
            found = dict(
                self._battles.select(v=self._code.cast(pl.Int64), name=pl.col("voter_id"))
                .filter(pl.col("v").is_in(raw.tolist()))
                .unique("v")
                .with_columns(pl.col("name").cast(pl.String))
                .iter_rows()
            )
            self._known.update({d: str(found[int(r)]) for d, r in zip(wanted, raw.tolist(), strict=True)})
        return [self._known[int(d)] for d in dense]

    def name(self, dense: int) -> str:
        return self.names(np.array([dense]))[0]

    def top(self, score: np.ndarray, n: int) -> list[int]:
        """The ``n`` voters with the highest scores; equal scores in voter id order."""
        if n >= len(score):
            tied = np.arange(len(score))
        else:
            cut = np.partition(score, len(score) - n)[len(score) - n]
            tied = np.flatnonzero(score >= cut)
        if len(tied) == n == 1:
            return [int(tied[0])]
        names = self.names(tied)
        ranked = sorted(zip((-score[tied]).tolist(), names, tied.tolist(), strict=True))
        return [int(v) for _, _, v in ranked[:n]]


#: Battles turned into Python numbers at a time by :func:`online_elo` (5M at once: 0.4 GB of lists).
ELO_CHUNK = 500_000


def online_elo(
    battles: pl.DataFrame, k: float = 4.0, scale: float = 400.0, base: float = 10.0, init: float = 1000.0
) -> dict[str, float]:
    """FastChat's online Elo over battles in time order (``tstamp`` when present; equal times in row order);
    ties are half.

    >>> b = pl.DataFrame({"model_a": ["x", "x"], "model_b": ["y", "y"], "winner": ["model_a", "tie"]})
    >>> {m: round(r, 3) for m, r in online_elo(b).items()}
    {'x': 1001.977, 'y': 998.023}
    """
    return elo_of_codes(elo_codes(battles), k, scale, base, init)


class EloCodes(NamedTuple):
    """The battles of :func:`online_elo` as numbers, in row order: what :func:`elo_of_codes` needs, and nothing
    Polars holds."""

    models: list[str]
    a: np.ndarray  # model codes (indexes into models)
    b: np.ndarray
    outcome: np.ndarray  # indexes into WINNERS
    time: np.ndarray | None  # int64; a missing time is the largest int64 (last); None: no tstamp column


def elo_codes(battles: pl.DataFrame) -> EloCodes:
    """The battles of :func:`online_elo` as numbers (the Polars part; the time sort is left to
    :func:`elo_of_codes`, which may run in another process)."""
    models = sorted(set(battles["model_a"].unique().to_list()) | set(battles["model_b"].unique().to_list()))
    enum = pl.Enum(models)
    coded = battles.select(
        pl.col("model_a").cast(enum).to_physical().alias("a"),
        pl.col("model_b").cast(enum).to_physical().alias("b"),
        pl.col("winner").cast(pl.Enum(WINNERS)).to_physical().alias("o"),
        *([pl.col("tstamp").alias("t")] if "tstamp" in battles.columns else []),
    )
    time = None
    if "t" in coded.columns:
        kind = coded.schema["t"]
        if kind.is_integer() or kind.is_temporal():  # exact as int64: sorted later, maybe in another process
            last = np.iinfo(np.int64).max
            time = coded.select(pl.col("t").to_physical().cast(pl.Int64).fill_null(last))["t"].to_numpy()
        else:  # floats (NaN) and anything else: Polars' order, here
            coded = coded.sort("t", maintain_order=True, nulls_last=True)
    return EloCodes(models, coded["a"].to_numpy(), coded["b"].to_numpy(), coded["o"].to_numpy(), time)


#: Model A's score by outcome (:data:`WINNERS` order): 1, 0 or a half.
_ELO_SCORES = np.array([_Y_HALF[w] for w in WINNERS])


def elo_of_codes(
    codes: EloCodes, k: float = 4.0, scale: float = 400.0, base: float = 10.0, init: float = 1000.0
) -> dict[str, float]:
    """:func:`online_elo` of :func:`elo_codes`: the battles in time order (equal times in row order), then one
    sequential pass of Python arithmetic (each update needs the last). Numpy and the standard library only, so
    that it may run in a forked process (:class:`arenavotes.pool.Forked`)."""
    a, b, s = codes.a, codes.b, _ELO_SCORES[codes.outcome]
    t = codes.time
    if t is not None and len(t) > 1 and not bool((t[1:] >= t[:-1]).all()):
        order = np.argsort(t, kind="stable")
        a, b, s = a[order], b[order], s[order]
    r = [init] * len(codes.models)  # every model is in some battle: all get a rating
    for lo in range(0, len(a), ELO_CHUNK):
        part = slice(lo, lo + ELO_CHUNK)
        for ia, ib, sa in zip(a[part].tolist(), b[part].tolist(), s[part].tolist(), strict=True):
            ra, rb = r[ia], r[ib]
            ea = 1.0 / (1.0 + base ** ((rb - ra) / scale))
            r[ia] = ra + k * (sa - ea)
            r[ib] = rb + k * ((1.0 - sa) - (1.0 - ea))  # FastChat's arithmetic, to the last bit
    return dict(zip(codes.models, r, strict=True))


__all__ = [
    "EloCodes",
    "GraphStats",
    "RatingParams",
    "VoterInfluence",
    "VoterLookup",
    "elo_codes",
    "elo_of_codes",
    "gradient",
    "graph_stats",
    "kendall_tau",
    "leave_one_voter_out",
    "online_elo",
]
