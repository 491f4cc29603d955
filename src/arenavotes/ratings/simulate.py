"""Synthetic arena-like battles from known strengths, for tests and benchmarks.

Model popularity is skewed (Zipf: a few models get most battles, like new flagship models on
LMArena), pairs are drawn by popularity, and outcomes follow Bradley-Terry with ties:

* ``ties="half"``: a tie with probability ``tie_rate`` and otherwise a win chosen so that the expected
  score of A is exactly ``sigmoid(theta_A - theta_B)`` (the model the default fit assumes);
* ``ties="davidson"``: Davidson's model with ``nu`` chosen to give about ``tie_rate`` ties.

Both-bad votes are a fixed share (``bothbad_share``) of the ties.

>>> b, theta = simulate_battles(k=5, n=1000, seed=1)
>>> b.height, sorted(b["winner"].unique().to_list())
(1000, ['model_a', 'model_b', 'tie', 'tie_bothbad'])
"""

from __future__ import annotations

import numpy as np
import polars as pl


def model_names(k: int) -> list[str]:
    return [f"model-{i:03d}" for i in range(k)]


def simulate_battles(
    k: int = 20,
    n: int = 10_000,
    *,
    seed: int = 0,
    tie_rate: float = 0.13,
    bothbad_share: float = 0.4,
    theta_sd: float = 0.5,
    zipf: float = 1.0,
    ties: str = "half",
    voters: int = 0,
) -> tuple[pl.DataFrame, np.ndarray]:
    """``n`` battles among ``k`` models; returns (battles, true theta with mean 0, natural units)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, theta_sd, k)
    theta -= theta.mean()
    pop = 1.0 / np.arange(1, k + 1) ** zipf
    pop = rng.permutation(pop / pop.sum())
    a = rng.choice(k, size=n, p=pop)
    b = _opponents(rng, a, pop)  # the opponent, also by popularity, never a itself
    d = theta[a] - theta[b]
    u = rng.random(n)
    if ties == "half":
        p = 1.0 / (1.0 + np.exp(-d))
        q = np.clip((p - 0.5 * tie_rate) / (1.0 - tie_rate), 0.0, 1.0)
        is_tie = rng.random(n) < tie_rate
        win_a = u < q
    else:
        nu = 2.0 * tie_rate / (1.0 - tie_rate)
        ea, eb = np.exp(d / 2), np.exp(-d / 2)
        z = ea + eb + nu
        is_tie = u < nu / z
        win_a = (~is_tie) & (u < (nu + ea) / z)
    bothbad = is_tie & (rng.random(n) < bothbad_share)
    winner = np.where(is_tie, np.where(bothbad, "tie_bothbad", "tie"), np.where(win_a, "model_a", "model_b"))
    names = np.array(model_names(k))
    frame = pl.DataFrame(
        {"battle_id": [f"sim:{i}" for i in range(n)], "model_a": names[a], "model_b": names[b], "winner": winner}
    )
    if voters:
        frame = frame.with_columns(voter_id=pl.Series([f"v{v}" for v in rng.integers(0, voters, n)]))
    return frame, theta


def _opponents(rng: np.random.Generator, a: np.ndarray, pop: np.ndarray) -> np.ndarray:
    k = len(pop)
    cdf = np.cumsum(pop)
    # draw from pop; redraw the (rare) self-pairings until none is left
    b = np.searchsorted(cdf, rng.random(len(a)) * cdf[-1])
    b = np.minimum(b, k - 1)
    same = b == a
    while same.any():
        b[same] = np.minimum(np.searchsorted(cdf, rng.random(int(same.sum())) * cdf[-1]), k - 1)
        same = b == a
    return b
