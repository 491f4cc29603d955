"""Rigging campaigns spread over many voters: evidence pooled across voters, model by model.

A campaign of 30 voters with 9 votes each gives no single voter enough evidence for a per-voter test
(:mod:`arenavotes.dedup.voters`), but the 30 together leave a trace: a *group* of voters whose votes all
favour the same model in the same way. This detector looks for such groups.

**Campaign classes.** For every model m and three templates, a voter of class (m, template) casts a
share ``lam`` of its votes by the template's rule and the rest like everyone else (camouflage):

* ``target`` (Min et al. 2025 target-only; Huang et al. 2025 de-anonymise-then-vote): votes only in
  battles with m (pairs drawn like everyone's, given that m is in them) and m wins;
* ``against``: the same with m losing (a campaign to sink a rival);
* ``omnipresent`` (Min et al. 2025): votes in every battle; m wins when shown, otherwise the side that
  helps m's rank wins (the weaker of two rivals on the same side of m, the one below m when they
  straddle it -- the weaker one either way; ranks from the Davidson board of all votes);
* ``contrarian`` (one class, no model): the weaker side wins every battle. Outside m's battles an
  omnipresent campaign cannot be told from it, and crowd workers who vote against the crowd exist
  (LLMFAO has several): a voter whose evidence for ``omnipresent`` is within a factor of 10 of its
  evidence for ``contrarian`` is reported as contrarian, not as campaigning for m.

Each template's vote probabilities ``q`` are a proper distribution over (pair, outcome), with errors
``eps`` spread over the other outcomes; honest votes ``p`` = the pair's share of all votes x the
outcome's probability without the voter (:class:`arenavotes.dedup.voters.Votes`). So each vote's
``(1 - lam) + lam q/p`` has mean 1 under honesty, and a voter's likelihood ratio ``L[v, c]`` (the
product over its votes, averaged over a grid of ``lam``) is an e-value.

**Model-level test** (is the pattern of m's wins explained by honest voters?): for class c, the
mixture ``E_c = mean over pi of prod_v (1 - pi + pi L[v, c])`` -- "a share pi of voters belong to c"
against "none do" -- is again an e-value (a product of independent mean-1 factors, averaged over a
fixed grid of pi). e-BH over all classes scanned controls the false discovery rate of campaigns at
``fdr`` under any dependence between classes.

**Voter posteriors.** Over the classes found, the shares ``pi_c`` are fitted by EM (the mixture
log-likelihood is concave in them), and each voter gets its posterior probability of belonging to a
campaign. Voters are flagged ``campaign_voter`` (campaign/mixture@1) in order of posterior while the
mean posterior probability of being honest among those flagged stays at or below ``fdr`` (Bayesian
FDR); voters with posterior >= ``suspect`` but not flagged get the informational ``campaign_suspect``.
The score of both flags is the posterior: the robust board
(:func:`arenavotes.ratings.robust.robust_rate`) down-weights votes by it.

Needs voter ids; uses neither prompts, answers nor timestamps (the pair shares stand for the
platform's sampling: a voter who chooses its own pairs looks like a ``target`` campaign only if it also
votes for the model it chose).

>>> import polars as pl
>>> from arenavotes.dedup import voters
>>> from arenavotes.ratings.simulate import simulate_battles
>>> from arenavotes.dedup.simulate import honest_voter_ids, inject
>>> b = honest_voter_ids(simulate_battles(6, 6000, seed=1)[0], n_voters=300, seed=1)
>>> rigged, ids = inject(b, target="model-005", share=0.02, attackers=10, seed=3)
>>> scan = scan_campaigns(voters.prepare(rigged))
>>> found = set(scan.flags.filter(pl.col("flag") == "campaign_voter")["battle_id"])
>>> len(found & set(ids)) / len(ids) > 0.9, len(found - set(ids))
(True, 0)
"""

from __future__ import annotations

import dataclasses
import functools
import tempfile
from collections.abc import Callable
from typing import IO

import numpy as np
import polars as pl

from arenavotes.dedup.fdr import ebh
from arenavotes.dedup.flagging import empty, from_frame
from arenavotes.dedup.voters import Votes


def logsumexp(a: np.ndarray, axis: int | None = None) -> np.ndarray:
    """``log(sum(exp(a)))`` over ``axis`` (None: all), the largest term factored out; rows of 2-D input a block of
    rows at a time (each row's result is its own; the temporaries of 1.5M voters x 5 at once were +0.35 GB).
    Numpy only: scipy's version spent 12 of the 40 s of a 5M-battle scan in array-API overhead.

    >>> float(logsumexp(np.array([0.0, np.log(3.0)])))  # log(1 + 3)
    1.3862943611198906
    >>> logsumexp(np.array([[-np.inf, -np.inf], [1000.0, 1000.0]]), axis=1).tolist()
    [-inf, 1000.6931471805599]
    """
    a = np.asarray(a, dtype=float)
    if axis == 1 and a.ndim == 2 and len(a) > VOTER_ROWS:
        out = np.empty(len(a))
        for lo in range(0, len(a), VOTER_ROWS):
            out[lo : lo + VOTER_ROWS] = logsumexp(a[lo : lo + VOTER_ROWS], axis=1)
        return out
    if axis is None:
        a = a.reshape(-1)
        axis = 0
    top = np.max(a, axis=axis, keepdims=True) if a.shape[axis] else np.full((1,) * a.ndim, -np.inf)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(np.sum(np.exp(a - top), axis=axis)) + np.squeeze(top, axis=axis))


def log_mix(shares: np.ndarray, log_ratio: np.ndarray) -> np.ndarray:
    """(len(log_ratio) x len(shares)) ``log(1 - s + s exp(r))`` for every share s and log-ratio r: a mixture of
    "no effect" and a likelihood ratio. As ``log1p(s expm1(r))``, one exponential per r for all shares (the
    ``logaddexp`` of each pair took 18 of the 40 s of a 5M-battle scan); exact at s = 1 (``r`` itself, also where
    ``exp(r)`` is below the precision of 1) and through ``logaddexp`` where ``exp(r)`` would overflow. For s <= 0.75
    ``1 - s + s exp(r) >= 0.25``, so ``log1p`` loses nothing.

    >>> log_mix(np.array([0.5, 1.0]), np.array([0.0, -np.inf, 800.0])).round(6).tolist()
    [[0.0, 0.0], [-0.693147, -inf], [799.306853, 800.0]]
    """
    r = np.asarray(log_ratio, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = np.log1p(np.expm1(np.minimum(r, 30.0))[:, None] * shares[None, :])
    whole = shares >= 1.0
    if whole.any():
        out[:, whole] = r[:, None]
    big = r > 30.0
    if big.any():
        with np.errstate(divide="ignore"):
            out[big] = np.logaddexp(np.log1p(-np.minimum(shares, 1.0))[None, :], np.log(shares)[None, :] + r[big, None])
    return out


DETECTOR = "campaign/mixture@1"
TEMPLATES = ("target", "against", "omnipresent", "contrarian")
LAMBDAS = (0.1, 0.25, 0.5, 0.75, 1.0)  # shares of a campaign voter's votes cast by the template's rule
#: voters whose (voters x grid) terms are held at once
VOTER_ROWS = 131_072
#: (voter, class) entries of the campaign EM worked on at once
ENTRY_BLOCK = 1_000_000
# how many times SQUAREM halves a refused long step before it keeps the two EM steps (:func:`_accelerated_em`)
SQUAREM_TRIES = 3


@dataclasses.dataclass(frozen=True)
class CampaignScan:
    """``classes``: one row per (model, template) scanned -- e-value, rejected, fitted share of voters and
    how many voters flagged; ``posterior``: per voter (aligned with ``Votes.voters``); ``flags``: rows for
    the flags table."""

    classes: pl.DataFrame
    posterior: np.ndarray
    flags: pl.DataFrame


def campaign_classes(votes: Votes) -> list[tuple[str, str]]:
    """Every (model, template) class scanned; the model-free ``contrarian`` class has model ``""``. Without the
    board's strengths there is no weaker side, so no ``omnipresent`` or ``contrarian`` class."""
    ranked = votes.theta is not None
    per_model = [t for t in TEMPLATES if t != "contrarian" and (ranked or t != "omnipresent")]
    return ([("", "contrarian")] if ranked else []) + [(m, t) for m in votes.models for t in per_model]


def vote_log_ratios(votes: Votes, klass: tuple[str, str], eps: float = 0.1) -> np.ndarray:
    """``log q/p`` of every vote under one class's template (``-inf`` where the template never votes)."""
    model, template = klass
    log_p = np.log(votes.p_obs)
    log_hit, log_miss = np.log(1 - eps), np.log(eps / 2)
    weaker_won = None
    if votes.theta is not None:
        ti, tj = votes.theta[votes.i], votes.theta[votes.j]
        weaker_won = ((votes.obs == 0) & (ti < tj)) | ((votes.obs == 1) & (tj < ti))
    if template == "contrarian":
        assert weaker_won is not None
        return np.where(weaker_won, log_hit, log_miss) - log_p
    m = votes.models.index(model)
    present = (votes.i == m) | (votes.j == m)
    m_won = present & (((votes.obs == 0) & (votes.i == m)) | ((votes.obs == 1) & (votes.j == m)))
    if template == "omnipresent":
        # without m the side that helps m's rank is the weaker one (both above m, both below, or straddling)
        assert weaker_won is not None
        return np.where(np.where(present, m_won, weaker_won), log_hit, log_miss) - log_p
    m_lost = present & (((votes.obs == 1) & (votes.i == m)) | ((votes.obs == 0) & (votes.j == m)))
    share = (np.count_nonzero(present)) / max(len(votes.v), 1)
    good = m_won if template == "target" else m_lost
    return np.where(present, np.where(good, log_hit, log_miss) - np.log(max(share, 1e-12)) - log_p, -np.inf)


def voter_sums(votes: Votes, lr: np.ndarray) -> np.ndarray:
    """Per voter and share ``lam`` of template votes: ``sum log((1 - lam) + lam q/p)`` (voters x LAMBDAS)."""
    lam = np.array(LAMBDAS)

    def column(g: int) -> np.ndarray:  # one share at a time: all five per vote were +0.4 GB at 5M votes
        return np.bincount(votes.v, log_mix(lam[g : g + 1], lr)[:, 0], len(votes.voters))

    return np.stack([column(g) for g in range(len(lam))], axis=1)


def voter_likelihood_ratios(votes: Votes, eps: float = 0.1) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """``log L[v, c]`` for every voter and campaign class, the share ``lam`` averaged over :data:`LAMBDAS`
    (fixed in advance, so that ``L`` stays an e-value), and the class labels."""
    classes = campaign_classes(votes)
    out = np.empty((len(votes.voters), len(classes)))
    for c, klass in enumerate(classes):
        out[:, c] = logsumexp(voter_sums(votes, vote_log_ratios(votes, klass, eps)), axis=1) - np.log(len(LAMBDAS))
    return out, classes


def _pi_grid(n_voters: int) -> np.ndarray:
    """The shares of voters a pattern may hold, fixed in advance (from one voter to half of them)."""
    return np.unique(np.geomspace(1.0 / max(n_voters, 2), 0.5, 16))


def class_evalues(log_l: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log e-value of every class (the mixture over a grid of voter shares pi) and the best pi."""
    grid = _pi_grid(log_l.shape[0])
    per_pi = np.stack(
        [np.logaddexp(np.log1p(-p), np.log(p) + log_l).sum(axis=0) for p in grid], axis=1
    )  # classes x grid
    return logsumexp(per_pi, axis=1) - np.log(len(grid)), grid[np.argmax(per_pi, axis=1)]


def _best_lambda(sums: np.ndarray) -> tuple[np.ndarray, float]:
    """The column of ``sums`` (voters x lam) and the voter share pi that maximise the mixture likelihood."""
    grid = _pi_grid(sums.shape[0])
    best = (-np.inf, 0, 0.0)
    for g in range(sums.shape[1]):
        ll = np.logaddexp(np.log1p(-grid)[None, :], np.log(grid)[None, :] + sums[:, g : g + 1]).sum(axis=0)
        k = int(np.argmax(ll))
        if ll[k] > best[0]:
            best = (float(ll[k]), g, float(grid[k]))
    return sums[:, best[1]], best[2]


def mixture_step(log_l: np.ndarray, pi: np.ndarray) -> tuple[np.ndarray, float]:
    """One EM step of the mixture of a null and the classes whose log-likelihood ratios are ``log_l`` (voters x
    classes): the new shares, and the log-likelihood at ``pi``. The dense definition of the map that
    :func:`sparse_posteriors` runs without the voters x classes array."""
    post, den = _posterior(log_l, pi)
    return np.clip(post.mean(axis=0), 1e-12, None), float(den.sum())


def _posterior(log_l: np.ndarray, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(voters x classes) posterior probabilities at the shares ``pi``, and each voter's log-likelihood."""
    num = np.log(pi)[None, :] + log_l
    with np.errstate(divide="ignore"):  # every voter in some class: no null share left
        den = np.logaddexp(np.log1p(-min(pi.sum(), 1.0)), logsumexp(num, axis=1))
    return np.exp(num - den[:, None]), den


def mixture_posteriors(
    log_l: np.ndarray, pi0: np.ndarray, iterations: int = 500, tol: float = 1e-12
) -> tuple[np.ndarray, np.ndarray]:
    """The shares of the given classes (likelihood ratios fixed) that maximise the mixture likelihood, by
    :func:`_accelerated_em` over :func:`mixture_step`, and the per-class posteriors at them. The dense definition
    (voters x classes arrays); the scan runs :func:`sparse_posteriors`, which must agree with it.

    >>> post, pi = mixture_posteriors(np.array([[5.0], [-5.0], [-5.0], [-5.0]]), np.array([0.1]))
    >>> round(float(pi[0]), 2), post[:, 0].round(2).tolist()
    (0.25, [0.98, 0.0, 0.0, 0.0])
    """
    pi = _accelerated_em(functools.partial(mixture_step, log_l), _start(pi0), iterations, tol)
    return _posterior(log_l, pi)[0], pi


def _start(pi0: np.ndarray) -> np.ndarray:
    """The EM's first shares: ``pi0`` raised to 1e-6 and scaled to sum to at most 0.9."""
    pi = np.clip(pi0, 1e-6, None)
    return pi / max(1.0, pi.sum() / 0.9)


def bayes_fdr(posterior: np.ndarray, q: float) -> np.ndarray:
    """Flag in order of posterior while the mean posterior probability of the null among those flagged <= q."""
    order = np.argsort(-posterior, kind="stable")
    mean_null = np.cumsum(1 - posterior[order]) / np.arange(1, len(order) + 1)
    ok = mean_null <= q
    r = int(np.flatnonzero(ok).max()) + 1 if ok.any() else 0
    rej = np.zeros(len(posterior), dtype=bool)
    rej[order[:r]] = True
    return rej


@dataclasses.dataclass(frozen=True)
class Fitted:
    """A rejected class's log-likelihood ratio of every voter at its fitted ``lam``: the base column ``base``
    (:meth:`_Sparse.base_column`: what a voter who never saw the class's model gets), replaced by ``vals`` on
    the voters ``who`` (sorted; int32 where voters fit) who saw it."""

    base: int
    who: np.ndarray
    vals: np.ndarray


def _voter_index(who: np.ndarray) -> np.ndarray:
    """Voter numbers as int32 where they fit (the EM holds one per (voter, class) entry: 7-10M at 5M votes)."""
    return who.astype(np.int32) if len(who) == 0 or int(who.max()) < 2**31 - 1 else who


def _dense_block(sparse: _Sparse, fits: list[Fitted], lo: int, hi: int) -> np.ndarray:
    """(voters lo..hi x classes) fitted log-likelihood ratios, as the dense definition has them."""
    out = np.empty((hi - lo, len(fits)))
    for c, fit in enumerate(fits):
        out[:, c] = sparse.base_column(fit.base, lo, hi)
        a, b = np.searchsorted(fit.who, [lo, hi])
        out[fit.who[a:b] - lo, c] = fit.vals[a:b]
    return out


def _block_rows(classes: int) -> int:
    return max(1, min(VOTER_ROWS, 2_000_000 // max(classes, 1)))


def _accelerated_em(
    step: Callable[[np.ndarray], tuple[np.ndarray, float]], pi: np.ndarray, iterations: int, tol: float = 1e-12
) -> np.ndarray:
    """The fixed point of the EM map ``step`` (new shares, and the log-likelihood at the old ones) from ``pi``,
    by SQUAREM (Varadhan and Roland 2008, scheme S3): two EM steps ``pi -> p1 -> p2`` give a direction; a step
    ``alpha`` times longer along it is projected onto the shares (each >= 1e-12, at least half of p2's null
    share left: at a null share of 0 EM would keep it 0), and an EM step from there is kept if the likelihood at
    the projected point did not fall. A refused step is halved towards the two EM steps at most
    :data:`SQUAREM_TRIES` times, then ``p2`` is kept, so a round costs at most five EM steps and the likelihood
    never falls from round to round. Stops, as plain EM does, when an EM step moves every share by less than
    ``tol``; ``iterations`` bounds the EM steps.

    On a rigged log of 1M battles plain EM stopped after 452 steps at a tolerance of 1e-10, short of the
    maximum (the contrarian and omnipresent classes nearly coincide: a ridge, which EM climbs slowly), and needed
    822 at 1e-13. On three rigged logs of 200k-400k battles (20k voters, 40 attackers) this takes 277, 473 and
    357 EM steps. Before the projection and the bound on halving it took 277, 2,002 (stopped by the bound) and
    472: where the maximum leaves no null share, every long step was refused and halved, up to 17 EM steps a
    round, and plain EM was faster. The flags were the same."""
    calls = 0
    while calls < iterations:
        p1, ll0 = step(pi)
        if np.max(np.abs(p1 - pi)) < tol:
            return p1
        p2, _ = step(p1)
        calls += 2
        r, v = p1 - pi, p2 - 2 * p1 + pi
        alpha = float(np.sqrt((r @ r) / (v @ v))) if v @ v > 0 else 1.0
        proposal = p2
        # a trial keeps at least half of p2's null share (at a share of 0 EM would keep it 0 for ever)
        most = 1.0 - max(0.0, 1.0 - float(p2.sum())) / 2.0
        for _ in range(SQUAREM_TRIES):
            if alpha <= 1.0 + 1e-2 or calls >= iterations:  # no longer than the two EM steps: they are the step
                break
            trial = np.clip(pi + 2 * alpha * r + alpha * alpha * v, 1e-12, None)
            trial_next, ll = step(trial / max(1.0, float(trial.sum()) / most))
            calls += 1
            if ll >= ll0:
                proposal = trial_next
                break
            alpha = (alpha + 1.0) / 2.0
        pi = proposal
    return pi


def _em_shares(
    sparse: _Sparse,
    fits: list[Fitted],
    rows: np.ndarray,
    ends: np.ndarray,
    pi0: np.ndarray,
    iterations: int,
    spill: IO[bytes],
) -> np.ndarray:
    """The classes' shares for :func:`sparse_posteriors` (``rows``: the voters of every (voter, class) entry, of
    which each fit's ``who`` is the view ``ends[c]:ends[c + 1]``). Each fit's ``vals`` is written to ``spill``
    and dropped from ``fits`` once it is read."""
    n_v, n_c = len(sparse.n), len(fits)
    bases = sorted({f.base for f in fits})
    u_of = np.array([bases.index(f.base) for f in fits], dtype=np.int64)
    n_u = len(bases)
    # the per-entry work below runs ENTRY_BLOCK entries at a time (at 5M battles with 57 classes rejected there were
    # 7M entries, and each step's temporaries over all of them were 0.17 GB)
    col = np.repeat(np.arange(n_c, dtype=np.int16 if n_c < 2**15 else np.int64), np.diff(ends))
    chunks = [slice(a, a + ENTRY_BLOCK) for a in range(0, len(rows), ENTRY_BLOCK)]
    # which bases still stand for some class at each voter (a base every one of whose classes the voter saw is
    # no value of that voter's), and each voter's largest ratio, from which everything is exponentiated
    # (a voter's classes of one base are counted in int32, base by base: a voters x bases int64 count and each
    # chunk's bincount of the same size were 2 x 12 MB per base at 1.5M voters)
    open_ = np.empty((n_v, n_u), dtype=bool)
    seen = np.zeros(n_v, dtype=np.int32)
    for u in range(n_u):
        seen[:] = 0
        for k in np.flatnonzero(u_of == u):
            seen[fits[k].who] += 1  # a class's voters are distinct
        open_[:, u] = seen < np.count_nonzero(u_of == u)
    del seen
    top = np.full(n_v, -np.inf)
    for lo in range(0, n_v, _block_rows(n_c)):
        hi = min(n_v, lo + _block_rows(n_c))
        top[lo:hi] = _dense_block(sparse, fits, lo, hi).max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.zeros((n_v, n_u))
    for u, base in enumerate(bases):
        with np.errstate(over="ignore", invalid="ignore"):
            e[:, u] = np.where(open_[:, u], np.exp(sparse.base_column(base) - top), 0.0)
    del open_
    d = np.empty(len(rows))  # a class's entry minus its base, exponentiated
    for c, f in enumerate(fits):  # each class's ratios go to ``spill``, in class order
        d[ends[c] : ends[c + 1]] = np.exp(f.vals - top[f.who]) - e[f.who, u_of[c]]
        np.ascontiguousarray(f.vals, dtype=np.float64).tofile(spill)
        fits[c] = dataclasses.replace(f, vals=np.empty(0))

    def step(pi: np.ndarray) -> tuple[np.ndarray, float]:  # one EM step, and the log-likelihood at pi
        s = e @ np.bincount(u_of, pi, n_u)
        for at in chunks:
            s += np.bincount(rows[at], pi[col[at]] * d[at], n_v)
        with np.errstate(divide="ignore", invalid="ignore"):  # in place: each voter-long temporary is 12 MB at 1.5M
            np.maximum(s, 0.0, out=s)
            np.log(s, out=s)
            np.add(top, s, out=s)
            den = np.logaddexp(np.log1p(-min(pi.sum(), 1.0)), s, out=s)
        w = np.exp(np.subtract(top, den))
        corr = np.zeros(n_c)
        for at in chunks:
            corr += np.bincount(col[at], d[at] * w[rows[at]], n_c)
        new = pi * (((e.T @ w)[u_of] + corr) / n_v)
        return np.clip(new, 1e-12, None), float(den.sum())

    return _accelerated_em(step, _start(pi0), iterations)


def sparse_posteriors(
    sparse: _Sparse, fits: list[Fitted], pi0: np.ndarray, iterations: int = 2000
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mixture_posteriors` of the classes ``fits`` without their voters x classes array: each voter's
    posterior probability of belonging to any of them, and the class (an index of ``fits``) with the largest.

    A class's ratio is a base column for every voter except the voters who saw its model, and the classes share
    a few base columns. So each EM step is a product with those columns plus sums over the (voter, class)
    entries that differ: at 1.5M voters and 57 classes the dense arrays of the EM were 0.7 GB each, and its 500
    steps took minutes. The last step, which gives each voter's posterior and class, runs on the dense
    definition a block of voters at a time (the formulas of :func:`mixture_posteriors`). The shares come from
    :func:`_accelerated_em`, to a tolerance of 1e-12. Its EM step is :func:`mixture_step` with the sums in
    another order (equal to 1e-9 relative, ``tests/test_campaigns.py``), so it reaches the dense EM's likelihood
    but not always its shares: where two classes coincide on all but a few voters the likelihood is nearly flat
    along them, and the two runs stop at different points of that ridge (log-likelihoods 1e-9 apart)."""
    n_v, n_c = len(sparse.n), len(fits)
    # the (voter, class) entries, class by class; each class's voters become a view of them (in ``fits`` itself, so
    # that they are held once)
    ends = np.r_[0, np.cumsum([len(f.who) for f in fits])].astype(np.int64)
    rows = _voter_index(np.concatenate([f.who for f in fits]))
    for c, f in enumerate(fits):
        fits[c] = dataclasses.replace(f, who=rows[ends[c] : ends[c + 1]])
    # the entries' ratios are read again only by the last step: they wait in a temporary file through the EM (a
    # rigged log of 5M battles, 58 classes: 9.8M entries, 78 MB; the file has no name, so a killed run leaves
    # none behind), and the EM's arrays go with its frame
    with tempfile.TemporaryFile() as spill:
        pi = _em_shares(sparse, fits, rows, ends, pi0, iterations, spill)
        spill.seek(0)
        for c, f in enumerate(fits):
            fits[c] = dataclasses.replace(f, vals=np.fromfile(spill, np.float64, len(f.who)))
    posterior, best = np.empty(n_v), np.zeros(n_v, dtype=np.int64)
    for lo in range(0, n_v, _block_rows(n_c)):
        hi = min(n_v, lo + _block_rows(n_c))
        post = _posterior(_dense_block(sparse, fits, lo, hi), pi)[0]
        posterior[lo:hi] = post.sum(axis=1)
        best[lo:hi] = np.argmax(post, axis=1)
    return posterior, best


class _Sparse:
    """The per-class likelihood ratios of :func:`voter_likelihood_ratios` without the voters x classes array.

    A ``target``/``against`` class for m votes only in m's battles: a voter who never saw m has
    ``L = mean_lam (1 - lam)^n`` (n: its votes), a function of n alone, and an ``omnipresent`` class for m
    equals ``contrarian`` outside m's battles. So each class is computed on m's votes only (about 2/k of
    them) and a class's e-value is a sum over all voters of a baseline, fixed once, corrected on the
    voters who saw m: 1M votes from 250k voters over 60 models took 48 s and 2.3 GB dense.
    """

    def __init__(self, votes: Votes, eps: float) -> None:
        self.votes, self.eps = votes, eps
        n_v = len(votes.voters)
        self.n = np.bincount(votes.v, minlength=n_v).astype(float)
        self.lam = np.array(LAMBDAS)
        self.grid = _pi_grid(n_v)
        self.ranked = votes.theta is not None
        # target/against, m never seen: a function of the voter's number of votes alone, computed per distinct
        # number (no voters x lam array is kept: :meth:`base_rows`)
        counts, at = np.unique(self.n, return_inverse=True)
        self.l_base = (logsumexp(self.base_rows(counts), axis=1) - np.log(len(LAMBDAS)))[at]
        del at
        self.t_base = self._h_total(self.l_base)
        self._totals_of: dict[int, np.ndarray] = {}
        if self.ranked:
            self.contrarian = voter_sums(votes, vote_log_ratios(votes, ("", "contrarian"), eps))
            self.l_contrarian = logsumexp(self.contrarian, axis=1) - np.log(len(LAMBDAS))
            self.t_contrarian = self._h_total(self.l_contrarian)

    def base_rows(self, n: np.ndarray, lam: np.ndarray | None = None) -> np.ndarray:
        """(voters x lam) sums of a target/against class for voters with ``n`` votes who never saw its model:
        ``n log(1 - lam)`` (``lam``: default all of :data:`LAMBDAS`)."""
        lam = self.lam if lam is None else lam
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n[:, None] > 0, n[:, None] * np.log1p(-lam)[None, :], 0.0)

    def _log_p(self, idx: np.ndarray) -> np.ndarray:
        return np.log(self.votes.p_obs[idx])

    def _h(self, log_l: np.ndarray) -> np.ndarray:
        """(voters x grid) ``log(1 - pi + pi L)``."""
        return log_mix(self.grid, log_l)

    def _h_total(self, log_l: np.ndarray) -> np.ndarray:
        """``_h(log_l).sum(axis=0)``, a block of voters at a time (the whole voters x grid array and its
        temporaries were +0.6 GB at 1.5M voters). Each block's first row carries the running total, so the
        rows are added in the same order, one after another, and the sum has the same bits."""
        total: np.ndarray | None = None
        for lo in range(0, len(log_l), VOTER_ROWS):
            h = self._h(log_l[lo : lo + VOTER_ROWS])
            if total is not None:
                h[0] += total
            total = h.sum(axis=0)
        return total if total is not None else np.zeros(len(self.grid))

    def _f(self, lr: np.ndarray) -> np.ndarray:
        """(votes x lam) ``log(1 - lam + lam q/p)``."""
        return log_mix(self.lam, lr)

    def touched(self, klass: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
        """(voters who saw the class's model, their sums (voters x lam)) -- for ``contrarian``: every voter. The
        voters x lam arrays are made one at a time and changed in place (a model seen by a million voters: 40 MB
        each)."""
        votes = self.votes
        model, template = klass
        if template == "contrarian":
            every = np.arange(len(votes.voters))
            return every, self.contrarian
        m = votes.models.index(model)
        # m's votes, where m is model i then where it is model j (found per class: an index of every model's
        # votes held through the scan was 40 MB at 5M votes)
        idx = np.r_[np.flatnonzero(votes.i == m), np.flatnonzero(votes.j == m)]
        who, at = np.unique(votes.v[idx], return_inverse=True)
        i, j, obs = votes.i[idx], votes.j[idx], votes.obs[idx]
        log_p = self._log_p(idx)
        m_won = ((obs == 0) & (i == m)) | ((obs == 1) & (j == m))
        log_hit, log_miss = np.log(1 - self.eps), np.log(self.eps / 2)

        def group(f: np.ndarray) -> np.ndarray:
            out = np.empty((len(who), f.shape[1]))
            for g in range(f.shape[1]):
                out[:, g] = np.bincount(at, f[:, g], len(who))
            return out

        if template == "omnipresent":
            ti, tj = votes.theta[i], votes.theta[j]  # type: ignore[index]
            weaker_won = ((obs == 0) & (ti < tj)) | ((obs == 1) & (tj < ti))
            sums = self.contrarian[who]
            sums -= group(self._f(np.where(weaker_won, log_hit, log_miss) - log_p))
            sums += group(self._f(np.where(m_won, log_hit, log_miss) - log_p))
            return who, sums
        m_lost = ((obs == 1) & (i == m)) | ((obs == 0) & (j == m))
        share = len(idx) / max(len(votes.v), 1)
        good = m_won if template == "target" else m_lost
        lr = np.where(good, log_hit, log_miss) - np.log(max(share, 1e-12)) - log_p
        sums = self.base_rows(self.n[who] - np.bincount(at, minlength=len(who)))  # the votes without m
        sums += group(self._f(lr))
        return who, sums

    def before(self, klass: tuple[str, str], who: np.ndarray) -> np.ndarray:
        """The sums of :meth:`touched`'s voters ``who`` had the class never applied."""
        if klass[1] == "contrarian":
            return self.contrarian
        return self.contrarian[who] if klass[1] == "omnipresent" else self.base_rows(self.n[who])

    def class_evalue(self, klass: tuple[str, str]) -> tuple[float, float]:
        """log e-value of a class (mixture over the grid of voter shares) and the best share."""
        who, sums = self.touched(klass)
        log_l = logsumexp(sums, axis=1) - np.log(len(LAMBDAS))
        if klass[1] == "contrarian":
            per_pi = self.t_contrarian
        else:
            log_l0 = logsumexp(self.before(klass, who), axis=1) - np.log(len(LAMBDAS))
            total = self.t_contrarian if klass[1] == "omnipresent" else self.t_base
            per_pi = total - self._h_total(log_l0) + self._h_total(log_l)
        return float(logsumexp(per_pi) - np.log(len(self.grid))), float(self.grid[np.argmax(per_pi)])

    def _totals(self, kind: int) -> np.ndarray:
        """(lam x grid) ``sum over every voter of log(1 - pi + pi exp(B[v, lam]))`` of a base (0: :attr:`base`,
        1: :attr:`contrarian`), computed once."""
        if kind not in self._totals_of:
            self._totals_of[kind] = np.stack(
                [self._h_total(self.base_column(kind * len(LAMBDAS) + g)) for g in range(len(LAMBDAS))]
            )
        return self._totals_of[kind]

    def fit_class(self, klass: tuple[str, str]) -> tuple[Fitted, float]:
        """A rejected class's share of template votes ``lam`` and of voters ``pi`` that maximise the mixture
        likelihood (:func:`_best_lambda` over every voter), and its log-likelihood ratios at that ``lam``
        (:class:`Fitted`): a total over all voters fixed once per base, corrected on the voters who saw the
        class's model, so no voters x lam array per class."""
        who, sums = self.touched(klass)
        kind = 0 if klass[1] in ("target", "against") else 1
        ll = self._totals(kind)
        if klass[1] == "contrarian":
            who, sums = who[:0], sums[:0]
        else:
            ll = ll.copy()
            before = self.before(klass, who)
            for g in range(len(LAMBDAS)):
                ll[g] += self._h_total(sums[:, g]) - self._h_total(before[:, g])
        if np.isfinite(ll).any():  # the first largest (lam, pi), as _best_lambda
            g, k = divmod(int(np.argmax(np.where(np.isnan(ll), -np.inf, ll))), ll.shape[1])
            pi = float(self.grid[k])
        else:
            g, pi = 0, 0.0
        return Fitted(kind * len(LAMBDAS) + g, _voter_index(who), np.ascontiguousarray(sums[:, g])), pi

    def log_l(self, klass: tuple[str, str], chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The voters among ``chosen`` (a mask over voters) who saw the class's model, and their ``log L``
        (averaged over lam) under ``klass``. Computed again when asked, for the voters whose class it is (an
        omnipresent class is told from contrarian by it), rather than held for every voter of every rejected
        class through the EM (a rigged log of 5M battles: 70 MB)."""
        who, sums = self.touched(klass)
        keep = chosen[who]
        return who[keep], logsumexp(sums[keep], axis=1) - np.log(len(LAMBDAS))

    def base_column(self, base: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """The log-likelihood ratio of voters ``lo``..``hi`` (default: every voter) under base ``base`` of
        :class:`Fitted`."""
        kind, g = divmod(base, len(LAMBDAS))
        if kind:
            return self.contrarian[lo:hi, g]
        return self.base_rows(self.n[lo:hi], self.lam[g : g + 1])[:, 0]

    def dense_sums(self, klass: tuple[str, str]) -> np.ndarray:
        """(voters x lam) sums of a class for every voter (for the few classes the scan rejects)."""
        who, sums = self.touched(klass)
        if klass[1] == "contrarian":
            return sums
        out = self.contrarian.copy() if klass[1] == "omnipresent" else self.base_rows(self.n)
        out[who] = sums
        return out


def scan_campaigns(votes: Votes | None, fdr: float = 0.01, eps: float = 0.1, suspect: float = 0.05) -> CampaignScan:
    """Model-level e-values over every campaign class, voter posteriors, and flags (module docstring)."""
    if votes is None or len(votes.v) == 0 or len(votes.models) < 2:
        return CampaignScan(pl.DataFrame(), np.zeros(0), empty())
    if votes.observed is None:  # read once per class below
        votes = dataclasses.replace(votes, observed=votes.p_obs)
    sparse = _Sparse(votes, eps)
    classes = campaign_classes(votes)
    scanned = [sparse.class_evalue(c) for c in classes]
    log_e = np.array([e for e, _ in scanned])
    pi_best = np.array([p for _, p in scanned])
    rejected = ebh(log_e, fdr)
    n_voters = len(votes.voters)
    posterior = np.zeros(n_voters)
    # each voter's most likely class (0 where its posterior is 0): over the rejected classes only, as a voters x
    # classes array of posteriors is 2.2 GB at 1.5M voters and 181 classes
    cls = np.zeros(n_voters, dtype=np.int64)
    mine = sparse.l_contrarian if sparse.ranked else np.zeros(0)  # each voter's log L under its class
    if rejected.any():
        # a campaign's voters share one behaviour: fit the group's share of template votes (lam) and of voters
        # (pi) per class, then the classes' shares jointly by EM
        idx = np.flatnonzero(rejected)
        fits = []
        for c in idx:
            fit, pi_best[c] = sparse.fit_class(classes[c])
            fits.append(fit)
        posterior, best = sparse_posteriors(sparse, fits, pi_best[idx])
        some = posterior > 0  # the first rejected class with the largest posterior
        cls[some] = idx[best[some]]
        del fits
        if sparse.ranked:
            mine = mine.copy()
            for c in idx:
                chosen = cls == c
                if classes[c][1] == "omnipresent" and chosen.any():
                    at, log_l = sparse.log_l(classes[c], chosen)
                    mine[at] = log_l
    flagged = bayes_fdr(posterior, fdr) & (posterior > 0)
    template = np.array([t for _, t in classes], dtype=object)
    model = np.array([m for m, _ in classes], dtype=object)
    if template[0] == "contrarian":  # omnipresent for m ~ contrarian: say contrarian unless m's battles decide
        omni = template[cls] == "omnipresent"
        cls = np.where(omni & (mine - sparse.l_contrarian < np.log(10)), 0, cls)
    group = np.bincount(cls[flagged], minlength=len(classes))
    table = pl.DataFrame(
        {
            "model": model.tolist(),
            "template": template.tolist(),
            "log10_e": log_e / np.log(10),
            "rejected": rejected,
            "voters_flagged": group,
        }
    )
    what = {
        "target": "voting for {} whenever it is shown, in battles chosen to show it",
        "against": "voting against {} whenever it is shown, in battles chosen to show it",
        "omnipresent": "voting for {} when shown and for the weaker side elsewhere",
        "contrarian": "voting for the weaker side{}",
    }
    pattern = np.array([what[t].format(m) for m, t in classes], dtype=object)
    parts = []
    for mask, flag in ((flagged, "campaign_voter"), (~flagged & (posterior >= suspect), "campaign_suspect")):
        sel = mask[votes.v]
        if not sel.any():
            continue
        vv = votes.v[sel]
        c = cls[vv]
        frame = pl.DataFrame(
            {
                "battle_id": votes.battles_of(sel),
                "score": posterior[vv],
                "pattern": pattern[c],
                "e": log_e[c] / np.log(10),
                "group": group[c],
            }
        ).with_columns(
            reason=pl.format(
                "{} {} (the pattern's e-value 1e{} over all voters, e-BH q={}); this voter's posterior "
                "{} (Bayes FDR q={})",
                pl.when(pl.col("group") > 1)
                .then(pl.format("one of {} voters", "group"))
                .otherwise(pl.lit("a lone voter (no group)")),
                "pattern",
                pl.col("e").round(1),
                pl.lit(fdr),
                pl.col("score").round(3),
                pl.lit(fdr),
            )
        )
        parts.append(from_frame(frame, flag, DETECTOR))
    flags = pl.concat(parts) if parts else empty()
    return CampaignScan(table, posterior, flags)
