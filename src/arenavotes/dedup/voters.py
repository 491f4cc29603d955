"""Anomalous voters: each voter's votes tested against what everyone else did.

Every vote gets the probabilities of its three outcomes (the first model wins, the second wins, a
tie or both-bad) *without its voter*: the pair's outcome counts from all other voters plus 20 votes'
worth of a Davidson tie model refitted without the voter (:class:`Votes`). Then:

* **Fisher** (after the Chatbot Arena paper, Chiang et al. 2024, sec. 5.1 "detecting anomalous
  users"): a randomised p-value per vote -- the probability of the outcomes less likely than the
  observed one plus U times the observed one's, exactly uniform when the voter behaves like the
  others -- combined by Fisher's method, ``-2 sum log p ~ chi2(2n)``, then Benjamini-Hochberg over
  voters at ``fdr``. Flag ``anomalous_voter`` (voters/fisher@2; the uniforms come from
  :func:`vote_uniforms`, so who is flagged does not depend on the workspace secret or on row order). The paper ranks a vote among past
  votes on the same pair one-sidedly (a vote for the lower-indexed model can never look anomalous);
  this version is two-sided and falls back on the model where a pair has little history.
* **e-value** (likelihood ratio): ``E_v = mean_m prod_i q_m(i) / p(i)`` where ``q_m`` says "this voter
  picks model m whenever m is shown and the vote is decisive" (prob ``1 - eps``) and agrees with
  ``p`` elsewhere. Under the null ``E[E_v] <= 1``, so e-BH over voters at ``fdr`` is valid without
  independence. It targets campaigns for one model. Flag ``anomalous_voter`` (voters/evalue@1).
* ``position_bias_voter`` (voters/position@1, informational): a two-sided binomial test of the share of
  decisive votes for the side shown first, BH over voters.
* ``single_model_voter`` (voters/one-model@1, informational): the voter picked one model in at least
  ``share`` of the (>= ``min_battles``) battles where it appeared, significantly more than expected
  (one-sided normal test of the count, Bonferroni over the voter's models, BH over voters).

Only voters with at least ``min_votes`` votes are tested; nothing loops over votes in Python.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator

import numpy as np
import polars as pl

from arenavotes.dedup.fdr import bh, ebh
from arenavotes.dedup.flagging import empty, from_frame
from arenavotes.dedup.prompts import mix64
from arenavotes.errors import UserError
from arenavotes.ratings.bt import pinv_sum_zero
from arenavotes.ratings.counts import PairCounts
from arenavotes.ratings.ties import fit_tie_model, outcome_probs_grads

SCORE = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie_bothbad": 0.5}
PRIOR_VOTES = 20.0  # how many votes' weight the Davidson model gets against a pair's own history
#: Voters whose leave-one-out strengths are held at once (a block x models array)
VOTER_BLOCK = 32_768
#: Votes whose per-vote temporaries are held at once: the outcome gradients, and at most this many votes (plus one
#: voter's) in a block of voters (:func:`voter_blocks`). 5M votes' gradients at once were 240 MB; with blocks bounded
#: only by their voters, a log of 2M votes by 55k voters made one block of every vote, +0.25 GB in ``prepare``.
VOTE_BLOCK = 262_144


@dataclasses.dataclass(frozen=True)
class Votes:
    """Votes as arrays, each with the probabilities of its three outcomes without its voter, sorted by voter.

    ``i < j`` are the pair's model indices and ``obs`` the observed outcome (0: i won, 1: j won,
    2: tie or both-bad); ``probs[:, o]`` is P(outcome o) estimated without the voter: the pair's
    outcome counts from everyone else, plus :data:`PRIOR_VOTES` votes' worth of a Davidson model
    refitted without the voter (one Newton step), so rare pairs borrow strength from the model.

    :func:`prepare` sorts the votes by voter (stably: a voter's votes keep their order, so every per-voter sum
    adds the same numbers in the same order as on the unsorted votes), so that the voter tests can run a block
    of voters at a time. ``row`` is each vote's row in the battles given to :func:`prepare`, and
    ``battle_ids`` maps rows to battle ids (only the flagged votes' ids are ever made: 5M ids as Polars
    strings are ~0.19 GB).
    """

    voters: pl.Series | np.ndarray  # the distinct voter ids, sorted (only their number is read: no Python strings)
    v: np.ndarray
    i: np.ndarray
    j: np.ndarray
    obs: np.ndarray
    a_is_i: np.ndarray  # was model i shown first (position A)
    probs: np.ndarray  # (votes x 3)
    row: np.ndarray  # the vote's row in the battles prepare was given
    models: tuple[str, ...]
    theta: np.ndarray | None = None  # the Davidson strengths fitted on all votes (None: not fitted)
    battle_ids: Callable[[np.ndarray], pl.Series] | None = None  # rows -> battle ids (None: the rows as text)
    #: P(the observed outcome) alone, once the tests that read all three are done (:meth:`keep_observed_only`)
    observed: np.ndarray | None = None

    @property
    def p_obs(self) -> np.ndarray:
        """P(the observed outcome) of each vote, without its voter."""
        if self.observed is not None:
            return self.observed
        return self.probs[np.arange(len(self.obs)), self.obs]

    def keep_observed_only(self) -> None:
        """Keep only :attr:`p_obs` of :attr:`probs` (the campaign scan reads nothing else): a third of the memory
        (5M votes: 120 -> 40 MB). The one change made to these votes in place, so that every holder of them lets
        the three columns go; :attr:`probs` is empty afterwards, and reading it fails loudly.

        >>> v = prepare(pl.DataFrame({"battle_id": ["1", "2"], "model_a": ["x", "y"], "model_b": ["y", "x"],
        ...                           "winner": ["model_a", "tie"], "voter_id": ["u", "w"]}))
        >>> before = v.p_obs.copy(); v.keep_observed_only()
        >>> bool((v.p_obs == before).all()), v.probs.shape
        (True, (0, 3))
        """
        object.__setattr__(self, "observed", self.p_obs)
        object.__setattr__(self, "probs", np.empty((0, 3)))

    def battles_of(self, mask: np.ndarray) -> pl.Series:
        """The battle ids of the votes ``mask`` selects, in vote order."""
        rows = self.row[mask]
        if self.battle_ids is None:
            return pl.Series("battle_id", rows.astype(str), pl.String)
        return self.battle_ids(rows).alias("battle_id")

    def blocks(self, per_voter: int = 1) -> Iterator[tuple[int, int, slice]]:
        """(first voter, end voter, their votes) for consecutive blocks of voters, each holding at most
        ``2_000_000 // per_voter`` voters (``per_voter``: the values a step holds per voter, e.g. the models)."""
        n_v = len(self.voters)
        if len(self.v) > 1 and bool((self.v[1:] < self.v[:-1]).any()):
            raise ValueError("votes must be sorted by voter (voters.prepare sorts them)")
        return voter_blocks(self.v, n_v, max(1, min(n_v, 2_000_000 // max(per_voter, 1))), VOTE_BLOCK)

    def part(self, lo: int, hi: int, votes: slice) -> Votes:
        """The votes of one block of :meth:`blocks`, voters ``lo``..``hi`` numbered from 0."""
        return dataclasses.replace(
            self,
            voters=self.voters[lo:hi],
            v=self.v[votes] - lo,
            i=self.i[votes],
            j=self.j[votes],
            obs=self.obs[votes],
            a_is_i=self.a_is_i[votes],
            probs=self.probs[votes] if self.observed is None else self.probs,
            row=self.row[votes],
            observed=None if self.observed is None else self.observed[votes],
        )


def voter_blocks(
    v: np.ndarray, n_voters: int, size: int, max_votes: int | None = None
) -> Iterator[tuple[int, int, slice]]:
    """(first voter, end voter, their votes) for consecutive blocks of at most ``size`` voters of votes sorted by
    voter ``v`` (voters numbered 0..n_voters-1), and, with ``max_votes``, at most ``max_votes`` votes plus one voter's.

    A block always holds whole voters, so what a test sums per voter is the same whatever the blocks.

    >>> list(voter_blocks(np.array([0, 0, 1, 3]), 4, 2))
    [(0, 2, slice(0, 3, None)), (2, 4, slice(3, 4, None))]
    >>> [(lo, hi) for lo, hi, _ in voter_blocks(np.array([0, 0, 0, 1, 2, 2, 3]), 4, 4, max_votes=2)]
    [(0, 1), (1, 2), (2, 3), (3, 4)]
    """
    bounds = np.searchsorted(v, np.arange(n_voters + 1))  # bounds[k]: the first vote of voter k
    starts = np.arange(0, n_voters, size)
    if max_votes is not None and len(v) > max_votes:
        # also a block from the first voter whose votes begin at or past each multiple of max_votes
        cuts = np.searchsorted(bounds[:n_voters], np.arange(max_votes, len(v), max_votes), side="left")
        starts = np.unique(np.r_[starts, cuts[cuts < n_voters]])
    ends = np.r_[starts[1:], n_voters] if len(starts) else starts
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        yield lo, hi, slice(int(bounds[lo]), int(bounds[hi]))


def prepare(battles: pl.DataFrame, battle_ids: Callable[[np.ndarray], pl.Series] | None = None) -> Votes | None:
    """Outcome probabilities of every voter's votes without that voter, sorted by voter; ``None`` without voter
    ids. ``battle_ids``: rows of ``battles`` -> their battle ids (default: its ``battle_id`` column; the stage
    reads the few it needs from the workspace instead of holding every id)."""
    if "voter_id" not in battles.columns or battles["voter_id"].null_count() == battles.height:
        return None
    c = PairCounts.from_battles(battles)  # not prepare_counts: its memo would keep the frame alive
    cells = np.stack([c.win_i, c.win_j, c.tie + c.bothbad], axis=1)
    enum = pl.Enum(list(c.models))
    if battle_ids is None:
        battle_ids = battles["battle_id"].gather
    # only the columns used, and no filtered copy when every battle has a voter (at 5M battles a copy of the
    # whole frame was ~1 GB of the stage's peak)
    b = battles.select("model_a", "model_b", "winner", "voter_id")
    kept = None
    if b["voter_id"].null_count():
        kept = np.flatnonzero(b["voter_id"].is_not_null().to_numpy())
        b = b.filter(pl.col("voter_id").is_not_null())
    # voters numbered in sorted id order through an Enum of the sorted distinct ids: np.unique over an object
    # array of 5M ids took 26 s and a Python string per vote
    # (voters given as integer codes in id order, arenavotes.dedup.store.voter_codes, are numbered by their order)
    numbered = b.schema["voter_id"].is_integer()
    voter = pl.col("voter_id") if numbered else pl.col("voter_id").cast(pl.String)
    voters_sorted = b.select(voter.unique().sort())["voter_id"]
    if numbered:
        v = np.searchsorted(voters_sorted.to_numpy(), b["voter_id"].to_numpy()).astype(np.int64)
    else:
        v = b.select(voter.cast(pl.Enum(voters_sorted)).to_physical().cast(pl.Int64))[:, 0].to_numpy()
    order = np.argsort(v, kind="stable")  # by voter, each voter's votes in their order
    v = v[order]
    row = (order if kept is None else kept[order]).astype(np.uint32 if battles.height < 2**32 else np.int64)
    coded = b.select(
        a=pl.col("model_a").cast(pl.String).cast(enum).to_physical().cast(pl.Int32),
        bb=pl.col("model_b").cast(pl.String).cast(enum).to_physical().cast(pl.Int32),
        tie=pl.col("winner").cast(pl.String).is_in(["tie", "tie_bothbad"]),
        a_won=pl.col("winner").cast(pl.String) == "model_a",
    )
    del b
    a, bb = coded["a"].to_numpy()[order], coded["bb"].to_numpy()[order]
    i, j = np.minimum(a, bb), np.maximum(a, bb)
    a_is_i = a < bb
    del a, bb
    obs = np.where(coded["tie"].to_numpy()[order], 2, np.where(coded["a_won"].to_numpy()[order] == a_is_i, 0, 1))
    obs = obs.astype(np.int8)
    del coded, order
    probs, theta = _davidson_without_voter(c, cells, v, i, j, obs, len(voters_sorted))
    # each vote's pair through a models x models table (a join of 5M votes on (i, j) was +0.34 GB)
    k = max(c.n_models, 1)
    pair_at = np.full(k * k, -1, dtype=np.int64)
    pair_at[c.i * k + c.j] = np.arange(len(c.i))
    n_pairs = max(len(c.i), 1)
    votes = Votes(voters_sorted, v, i, j, obs, a_is_i, probs, row, c.models, theta, battle_ids)
    for lo, _, at in votes.blocks(per_voter=16):  # the model's share, in place, a block of voters at a time
        p_idx = pair_at[i[at].astype(np.int64) * k + j[at]]
        # the voter's own outcome counts on each pair (one row per voter and pair), so that only everyone else's
        # remain
        keys, inverse = unique_inverse((v[at] - lo) * n_pairs + p_idx)
        mine = np.bincount(inverse * 3 + obs[at], minlength=3 * len(keys)).reshape(-1, 3)
        others = cells[p_idx] - mine[inverse]
        block = probs[at]
        block *= PRIOR_VOTES
        block += others
        block /= others.sum(axis=1, keepdims=True) + PRIOR_VOTES
    np.clip(probs, 1e-12, None, out=probs)
    probs /= probs.sum(axis=1, keepdims=True)
    return votes


def davidson_board(
    i: np.ndarray, j: np.ndarray, cells: np.ndarray, k: int
) -> tuple[np.ndarray, float, dict[str, np.ndarray]] | None:
    """The Davidson fit of all votes that the detectors compare against; ``None`` if it cannot be fitted.

    A model that never lost (or never won) has no finite strength: a small ridge then keeps this auxiliary
    board finite (the detectors only use it as a reference, never as a published rating)."""
    for reg in (0.0, 0.01):
        try:
            return fit_tie_model("davidson", i, j, cells, k, reg=reg)
        except UserError:
            continue
    return None


def _davidson_without_voter(
    c: object, cells: np.ndarray, v: np.ndarray, i: np.ndarray, j: np.ndarray, obs: np.ndarray, n_voters: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Davidson outcome probabilities of each vote, strengths refitted without its voter (one step), and the
    strengths fitted on all votes."""
    k = c.n_models  # type: ignore[attr-defined]
    fit = davidson_board(c.i, c.j, cells, k)  # type: ignore[attr-defined]
    if fit is None:
        return np.full((len(obs), 3), 1.0 / 3), None
    theta, phi, parts = fit
    info = parts["fisher"][:k, :k]
    f_inv = pinv_sum_zero(info)
    # each vote's score for theta_i - theta_j, a block of votes at a time: the gradients of all outcomes of 5M
    # votes at once are 240 MB
    gd = np.empty(len(obs))
    for lo in range(0, len(obs), VOTE_BLOCK):
        hi = min(lo + VOTE_BLOCK, len(obs))
        _, g = outcome_probs_grads("davidson", theta[i[lo:hi]] - theta[j[lo:hi]], phi)
        gd[lo:hi] = g[np.arange(hi - lo), obs[lo:hi], 0]
        del g
    # theta without the voter, a block of VOTER_BLOCK voters at a time (the votes are sorted by voter): the whole
    # (voters x models) array is 0.6 GB at 1.5M voters and 50 models; each block's scores summed by bincount, with no
    # sparse matrix of every vote. The per-vote temporaries go a piece of at most VOTE_BLOCK votes at a time (whole
    # voters, so each voter's sums are the same), the product a whole block at a time: BLAS may round a row
    # differently in a product of another shape, and a vote's probabilities must not depend on the pieces.
    d = np.empty(len(obs))
    # the pieces start at every multiple of VOTER_BLOCK too, so each lies in one block: group them by it
    pieces = voter_blocks(v, n_voters, VOTER_BLOCK, VOTE_BLOCK)
    for block, group in itertools.groupby(pieces, key=lambda piece: piece[0] // VOTER_BLOCK):
        lo, mine = block * VOTER_BLOCK, list(group)
        hi = mine[-1][1]
        score = np.zeros((hi - lo) * k)
        for first, end, at in mine:
            rows = v[at] - first
            ia, ja = i[at].astype(np.int64), j[at].astype(np.int64)
            size = (end - first) * k
            score[(first - lo) * k : (end - lo) * k] = np.bincount(rows * k + ia, gd[at], size) - np.bincount(
                rows * k + ja, gd[at], size
            )
        theta_loo = theta[None, :] - score.reshape(-1, k) @ f_inv.T
        del score
        for _, _, at in mine:
            rows = v[at] - lo
            d[at] = theta_loo[rows, i[at]] - theta_loo[rows, j[at]]
    del gd
    probs = np.empty((len(obs), 3))
    for lo in range(0, len(obs), VOTE_BLOCK):
        probs[lo : lo + VOTE_BLOCK], _ = outcome_probs_grads("davidson", d[lo : lo + VOTE_BLOCK], phi)
    return probs, theta


def _vote_flags(
    votes: Votes, voter_mask: np.ndarray, score: np.ndarray, flag: str, detector: str, why: Callable[[int], str]
) -> pl.DataFrame:
    """Flag rows for every vote of the voters in ``voter_mask``; ``why(voter)`` is called for those voters
    only (a Python string per voter of a million-voter log is memory and time for nothing)."""
    sel = voter_mask[votes.v]
    if not sel.any():
        return empty()
    flagged = np.flatnonzero(voter_mask)
    reasons = np.empty(len(voter_mask), dtype=object)
    reasons[flagged] = [why(int(x)) for x in flagged]
    frame = pl.DataFrame(
        {
            "battle_id": votes.battles_of(sel),
            "score": score[votes.v[sel]],
            "reason": reasons[votes.v[sel]].tolist(),
        },
        schema={"battle_id": pl.String, "score": pl.Float64, "reason": pl.String},
    )
    return from_frame(frame, flag, detector)


#: A column for :func:`sums_by_key`: the values of every row, the values in parts (joined only while summed), a
#: function that makes either when the column's turn comes (so that only one column's values exist at a time), or
#: ``None`` for the number of rows of each key.
Column = np.ndarray | tuple[np.ndarray, ...] | Callable[[], np.ndarray | tuple[np.ndarray, ...]] | None


def sums_by_key(
    keys: np.ndarray, columns: dict[str, Column], min_rows: int = 0
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The distinct integer ``keys`` (sorted) with at least ``min_rows`` rows and, per column, the sum of its
    values over each key's rows (a :data:`Column`; ``None`` counts the rows, as floats). Each column is made
    and joined only while it is summed, and cut to the kept keys at once (at 5M battles, four columns of 10M
    values were 0.3 GB at the peak of dedup, and the sums of 7M (voter, model) keys 56 MB each).

    ``np.unique`` and ``bincount`` instead of a hash group-by: the sums run in row order, so the same input
    gives the same last bits on every run (a group-by sums in thread order), and at 5M votes a Polars
    group-by over (voter, model) took 2.5 GB more.

    >>> sums_by_key(np.array([7, 3, 7]), {"x": np.array([1.0, 2.0, 4.0]), "n": None})
    (array([3, 7]), {'x': array([2., 5.]), 'n': array([1., 2.])})
    >>> sums_by_key(np.array([7, 3, 7]), {"x": np.array([1.0, 2.0, 4.0])}, min_rows=2)
    (array([7]), {'x': array([5.])})
    >>> sums_by_key(np.array([9, 1 << 40, 9]), {"n": None})  # spread-out keys go through a sort
    (array([            9, 1099511627776]), {'n': array([2., 1.])})
    """
    if len(keys) and int(keys.max()) - int(keys.min()) < max(len(keys), 1 << 16):
        # few possible keys (a model's windows): count into one slot per possible key, no sort
        low = keys.min()
        at = keys - low if low else keys  # no copy of keys counted from 0
        n = int(at.max()) + 1
        rows = np.bincount(at, minlength=n)
        kept = (rows > 0) & (rows >= min_rows)
        uniq = np.arange(n, dtype=keys.dtype) + low
        del rows
    else:  # sorted distinct keys: np.unique's sort holds ~4 copies of the keys at its peak
        uniq, at = unique_inverse(keys)
        n = len(uniq)
        kept = np.bincount(at, minlength=n) >= min_rows if min_rows > 0 else np.ones(n, dtype=bool)
    sums: dict[str, np.ndarray] = {}
    for name, column in columns.items():
        values = column() if callable(column) else column
        if values is None:
            sums[name] = np.bincount(at, minlength=n)[kept].astype(np.float64)
        else:
            joined = values if isinstance(values, np.ndarray) else np.concatenate(values)
            del values
            sums[name] = np.bincount(at, joined, n)[kept]
            del joined
    return uniq[kept], sums


def unique_inverse(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for a 1-D integer array, holding fewer copies of it at once: no
    flattened copy, and the sorted copy is gone before the inverse is built (10M keys: ~0.32 GB at the peak
    instead of ~0.56).

    >>> unique_inverse(np.array([7, 3, 7, 5]))
    (array([3, 5, 7]), array([2, 0, 2, 1]))
    """
    if len(keys) == 0:
        return keys.copy(), np.zeros(0, dtype=np.intp)
    perm = keys.argsort()
    ordered = keys[perm]
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    uniq = ordered[first]
    del ordered
    rank = np.cumsum(first, dtype=np.intp)
    rank -= 1
    del first
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[perm] = rank
    return uniq, inverse


def run_positions(starts: np.ndarray, dtype: type[np.integer] = np.int64) -> np.ndarray:
    """Each row's 0-based position within its run of rows, a run beginning where ``starts`` is True (the first
    row always begins one): the k-th identical vote of a voter, the k-th vote of a voter's day.

    >>> run_positions(np.array([True, False, False, True, False]))
    array([0, 1, 2, 0, 1])
    """
    position: np.ndarray = np.arange(len(starts), dtype=dtype)
    return position - np.maximum.accumulate(np.where(starts, position, dtype(0)))


def _counts(votes: Votes) -> np.ndarray:
    return np.bincount(votes.v, minlength=len(votes.voters))


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's output function: a fixed, well-mixed bijection of 64-bit integers (vectorised)."""
    with np.errstate(over="ignore"):
        return mix64(x + np.uint64(0x9E3779B97F4A7C15))


def vote_uniforms(votes: Votes, seed: int = 0) -> np.ndarray:
    """One uniform number per vote for the randomised p-values, computed from *what* the votes are: each
    vote's models, side shown first and outcome, how many identical votes its voter cast before, and a
    fingerprint of all its voter's votes (so two voters' draws differ unless they voted identically).

    So the draws depend neither on the order of the votes nor on voter or battle ids (keyed pseudonyms:
    another workspace secret must not change who is flagged).

    >>> v = Votes(np.array(["x"]), np.array([0, 0]), np.array([0, 0]), np.array([1, 1]), np.array([2, 2]),
    ...           np.array([True, True]), np.full((2, 3), 1 / 3), np.array([0, 1]), ("m1", "m2"))
    >>> u = vote_uniforms(v)
    >>> bool(u[0] != u[1]) and bool(((0 <= u) & (u < 1)).all())
    True
    """
    if len(votes.v) == 0:
        return np.zeros(0)
    m = np.uint64(max(len(votes.models), 1))
    # what a vote is (models, outcome, side shown first) in one number: the same groups as those five columns
    key = (
        (votes.i.astype(np.uint64) * m + votes.j.astype(np.uint64)) * np.uint64(3) + votes.obs.astype(np.uint64)
    ) * np.uint64(2) + votes.a_is_i.astype(np.uint64)
    # identical votes of a voter before each vote: one stable sort by (voter, what the vote is) gives each run of
    # identical votes in their order (a Polars window over the two columns took 1.1 GB more at 5M votes)
    order = np.argsort(votes.v.astype(np.uint64) * (m * m * np.uint64(6)) + key, kind="stable")
    sorted_key = key[order]
    sorted_v = votes.v[order]
    new_run = np.empty(len(order), dtype=bool)
    new_run[0] = True
    np.not_equal(sorted_key[1:], sorted_key[:-1], out=new_run[1:])
    new_voter = np.r_[True, sorted_v[1:] != sorted_v[:-1]]
    new_run |= new_voter
    del sorted_key
    nth = np.empty(len(order), dtype=np.uint64)
    nth[order] = run_positions(new_run, np.uint64)
    del new_run
    salt = _splitmix64(np.array([seed], dtype=np.uint64))[0]  # one number, not one per vote
    with np.errstate(over="ignore"):
        h = _splitmix64(_splitmix64(key ^ salt) + nth)  # distinct within a voter
    del nth, key
    starts = np.flatnonzero(new_voter)  # the same sort groups the voters
    fingerprint = np.zeros(int(votes.v.max()) + 1, dtype=np.uint64)
    fingerprint[sorted_v[starts]] = np.bitwise_xor.reduceat(h[order], starts)  # order-free per voter
    del order, sorted_v, starts
    x = _splitmix64(h ^ _splitmix64(fingerprint[votes.v]))
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def fisher_test(votes: Votes, fdr: float = 0.01, min_votes: int = 10, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """The Chatbot Arena paper's test (see the module docstring). Returns flags and per-voter p-values.

    A block of voters at a time (a voter's uniforms depend on all its votes, and each block holds whole
    voters): at 5M votes the per-vote arrays of all votes at once were +0.3 GB."""
    stat = np.empty(len(votes.voters))
    for lo, hi, at in votes.blocks(per_voter=16):
        part = votes.part(lo, hi, at)
        probs = part.probs
        p_obs = part.p_obs
        u = vote_uniforms(part, seed)
        # randomised p-value: mass of strictly less likely outcomes + U x mass of the observed one
        pv = np.where(probs < p_obs[:, None], probs, 0.0).sum(axis=1) + u * p_obs
        pv = np.clip(pv, 1e-300, 1.0)
        stat[lo:hi] = np.bincount(part.v, -2.0 * np.log(pv), hi - lo)
    n = _counts(votes)
    from scipy.stats import chi2  # here, not at import: see campaigns.logsumexp

    p_voter = np.where(n >= min_votes, chi2.sf(stat, 2 * np.maximum(n, 1)), 1.0)
    tested = n >= min_votes
    rej = np.zeros(len(n), dtype=bool)
    rej[tested] = bh(p_voter[tested], fdr)

    def why(i: int) -> str:
        return f"voter's {n[i]} votes are unlikely under everyone else's model (Fisher p={p_voter[i]:.1e}, BH q={fdr})"

    score = -np.log10(np.maximum(p_voter, 1e-300))
    return _vote_flags(votes, rej, score, "anomalous_voter", "voters/fisher@2", why), p_voter


def evalue_test(
    votes: Votes, fdr: float = 0.01, min_votes: int = 10, eps: float = 0.05
) -> tuple[pl.DataFrame, np.ndarray]:
    """Mixture likelihood ratio for "always picks model m" (see the module docstring); e-BH over voters.

    A block of voters at a time, each block's (voter, model) sums in a dense voters x models array: the
    distinct (voter, model) keys of all 10M vote sides of 5M votes, sorted, were +0.45 GB. Each key's sum adds
    the same values in the same order as over all votes at once (the chosen sides, then the rejected ones)."""
    k = len(votes.models)
    n_v = len(votes.voters)
    fav = np.zeros(n_v, dtype=np.int64)
    log_e = np.empty(n_v)
    for lo, hi, at in votes.blocks(per_voter=k):
        part = votes.part(lo, hi, at)
        decisive = part.obs != 2
        # under q_m a decisive vote goes to m with probability 1 - eps; ties keep their probability
        won = part.obs == 0
        keys = np.r_[part.v * k + np.where(won, part.i, part.j), part.v * k + np.where(won, part.j, part.i)]
        p_tie = part.probs[:, 2]
        log_p = np.log(part.p_obs)
        gain_for = np.where(decisive, np.log((1 - eps) * (1 - p_tie)) - log_p, 0.0)  # m = chosen
        gain_against = np.where(decisive, np.log(eps * (1 - p_tie)) - log_p, 0.0)  # m = the rejected side
        # llr[v, m], sparse: a model the voter never saw has llr 0 (exp(0) = 1 in the mixture over models)
        slots = (hi - lo) * k
        seen_at = np.flatnonzero(np.bincount(keys, minlength=slots))
        lg = np.bincount(keys, np.r_[gain_for, gain_against], slots)[seen_at]
        del keys, gain_for, gain_against
        lv, lm = seen_at // k, seen_at % k
        order = np.lexsort((lm, -lg, lv))  # per voter: the largest llr first, the lowest model on a tie
        head = order[np.r_[True, lv[order][1:] != lv[order][:-1]]]
        block_fav = np.zeros(hi - lo, dtype=np.int64)
        block_fav[lv[head]] = np.where(lg[head] > 0, lm[head], 0)  # else an unseen model's 0 is the largest
        top = np.full(hi - lo, -np.inf)
        np.maximum.at(top, lv, lg)
        top = np.maximum(top, 0.0)  # the untouched models' 0 is in the mixture too
        seen = np.bincount(lv, minlength=hi - lo)
        mass = np.bincount(lv, np.exp(lg - top[lv]), hi - lo) + (k - seen) * np.exp(-top)
        log_e[lo:hi] = top + np.log(mass) - np.log(k)
        fav[lo:hi] = block_fav
    n = _counts(votes)
    tested = n >= min_votes
    rej = np.zeros(n_v, dtype=bool)
    rej[tested] = ebh(log_e[tested], fdr)

    def why(i: int) -> str:
        return (
            f"voter's votes favour {votes.models[fav[i]]} far beyond everyone else's model (e-value "
            f"{np.exp(min(log_e[i], 700)):.1e}, e-BH q={fdr})"
        )

    return _vote_flags(votes, rej, log_e / np.log(10), "anomalous_voter", "voters/evalue@1", why), log_e


def position_bias(votes: Votes, fdr: float = 0.01, min_votes: int = 20) -> pl.DataFrame:
    decisive = votes.obs != 2
    first_won = (votes.obs == 0) == votes.a_is_i
    n = np.bincount(votes.v[decisive], minlength=len(votes.voters))
    k = np.bincount(votes.v[decisive], first_won[decisive].astype(float), len(votes.voters)).astype(int)
    tested = n >= min_votes
    from scipy.stats import binom

    # two-sided exact binomial test at 1/2 (scipy's binomtest, vectorised: the law is symmetric, so the
    # p-value is twice the smaller tail, at most 1)
    p = np.where(tested, np.minimum(1.0, 2 * np.minimum(binom.cdf(k, n, 0.5), binom.sf(k - 1, n, 0.5))), 1.0)
    rej = np.zeros(len(n), dtype=bool)
    rej[tested] = bh(p[tested], fdr)

    def why(i: int) -> str:
        return f"picked the side shown first in {k[i]} of {n[i]} decisive votes (binomial p={p[i]:.1e})"

    return _vote_flags(votes, rej, -np.log10(np.maximum(p, 1e-300)), "position_bias_voter", "voters/position@1", why)


def single_model(votes: Votes, fdr: float = 0.01, min_battles: int = 10, share: float = 0.9) -> pl.DataFrame:
    """Voters who picked one model far more often than expected (module docstring): a block of voters at a
    time, each block's (voter, model) sums in a dense voters x models array (see :func:`evalue_test`); only the
    voters' best (voter, model) rows are kept for the reasons."""
    k = len(votes.models)
    n_v = len(votes.voters)
    from scipy.stats import norm

    best = np.full(n_v, np.inf)
    first: dict[str, list[np.ndarray]] = {"v": [], "m": [], "shown": [], "picked": [], "expect": []}
    for lo, hi, at in votes.blocks(per_voter=k):
        part = votes.part(lo, hi, at)
        slots = (hi - lo) * k
        keys = np.r_[part.v * k + part.i, part.v * k + part.j]
        shown_all = np.bincount(keys, minlength=slots)
        kept = np.flatnonzero(shown_all >= max(min_battles, 1))  # the others cannot be flagged
        shown = shown_all[kept].astype(np.float64)
        del shown_all
        score_i = np.where(part.obs == 0, 1.0, np.where(part.obs == 1, 0.0, 0.5))
        picked = np.bincount(keys, np.r_[score_i, 1 - score_i], slots)[kept]
        del score_i
        e_i = part.probs[:, 0] + part.probs[:, 2] / 2  # the expected score of side i, and of side j
        e_j = part.probs[:, 1] + part.probs[:, 2] / 2
        expect = np.bincount(keys, np.r_[e_i, e_j], slots)[kept]
        var = np.bincount(keys, np.r_[e_i * (1 - e_i), e_j * (1 - e_j)], slots)[kept]
        del keys, e_i, e_j
        z = (picked - expect - 0.5) / np.sqrt(np.maximum(var, 1e-12))
        p = np.where((shown >= min_battles) & (picked >= share * shown), norm.sf(z), np.inf)
        vv = kept // k
        # per voter, its smallest p among candidate models (the first model on a tie, as argmin would)
        block_best = np.full(hi - lo, np.inf)
        np.minimum.at(block_best, vv, p)
        tied = np.flatnonzero(p == block_best[vv])
        head = np.full(hi - lo, len(p))
        np.minimum.at(head, vv[tied], tied)  # rows are sorted by (v, m): the lowest model wins
        found = np.flatnonzero(np.isfinite(block_best))
        r = head[found]
        for name, values in (
            ("v", found + lo),
            ("m", kept[r] % k),
            ("shown", shown[r]),
            ("picked", picked[r]),
            ("expect", expect[r]),
        ):
            first[name].append(values)
        best[lo:hi] = block_best
    rows = {name: np.concatenate(parts) if parts else np.zeros(0) for name, parts in first.items()}
    tested = np.isfinite(best)
    best = np.where(tested, best, 1.0)
    rej = np.zeros(n_v, dtype=bool)
    rej[tested] = bh(np.minimum(best[tested] * k, 1.0), fdr)  # Bonferroni over a voter's models, BH over voters
    at_voter = np.full(n_v, -1, dtype=np.int64)
    at_voter[rows["v"].astype(np.int64)] = np.arange(len(rows["v"]))

    def why(i: int) -> str:
        r = at_voter[i]
        return (
            f"picked {votes.models[int(rows['m'][r])]} in {rows['picked'][r]:g} of {rows['shown'][r]:g} battles "
            f"where it appeared (expected {rows['expect'][r]:.1f})"
        )

    return _vote_flags(votes, rej, -np.log10(np.maximum(best, 1e-300)), "single_model_voter", "voters/one-model@1", why)
