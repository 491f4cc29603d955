"""Vote-rigging campaigns injected into real logs, to measure what the detectors catch.

Strategies (the attacker casts ``share`` x N new votes under ``attackers`` new voter ids, in battles
whose model pairs are drawn like the log's own):

* ``target_only`` -- Min et al. 2025 ("Improving your model ranking on Chatbot Arena by vote
  rigging"): vote only in battles that include the target, always for the target; the attacker
  recognises the target's answer with probability ``accuracy`` (otherwise it votes for the wrong side).
* ``omnipresent`` -- Min et al. 2025: vote in every battle; with the target present, for it; without,
  for whichever model helps the target's rank: the lower-rated of two models above it (pulling rivals
  down), the lower-rated of two below (keeping them down), and the one below it when they straddle it.
  Both sides are recognised with probability ``accuracy``.
* ``deanon`` -- Huang et al. 2025 ("Exploring and mitigating adversarial manipulation of voting-based
  leaderboards"): in every battle it is served (pairs drawn like the log's), a classifier of
  ``accuracy`` (>95% in the paper) decides whether the target answered; if it believes so it votes
  for the side it takes for the target (a random side when the target was not there), otherwise it
  abstains. Only cast votes count towards ``share``.

Honest synthetic voters: :func:`honest_voter_ids` gives logs without voter ids (the 33k votes)
``n`` pseudonymous voters with a realistic heavy-tailed activity distribution.

>>> import polars as pl
>>> b = pl.DataFrame({"battle_id": [str(i) for i in range(200)], "model_a": ["x", "y"] * 100,
...                   "model_b": ["y", "z"] * 100, "winner": ["model_a", "model_b"] * 100})
>>> rigged, ids = inject(b, target="z", strategy="target_only", share=0.05, seed=1)
>>> rigged.height, len(ids), rigged.filter(pl.col("battle_id").is_in(ids))["voter_id"].n_unique()
(210, 10, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

STRATEGIES = ("target_only", "omnipresent", "deanon")


def honest_voter_ids(battles: pl.DataFrame, n_voters: int, seed: int = 0, zipf: float = 1.1) -> pl.DataFrame:
    """Give every battle a synthetic honest voter (activity ~ Zipf), as ``voter_id``."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, n_voters + 1) ** zipf
    voter = rng.choice(n_voters, size=battles.height, p=weight / weight.sum())
    return battles.with_columns(voter_id=pl.Series([f"honest-{v:05d}" for v in voter]))


def inject(
    battles: pl.DataFrame,
    *,
    target: str,
    strategy: str = "target_only",
    share: float = 0.01,
    attackers: int = 1,
    accuracy: float = 0.95,
    ratings: dict[str, float] | None = None,
    seed: int = 0,
) -> tuple[pl.DataFrame, list[str]]:
    """``battles`` plus a campaign of ``share`` x N votes; returns (all battles, campaign battle ids)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    rng = np.random.default_rng(seed)
    n_new = max(1, round(share * battles.height))
    pairs = battles.select("model_a", "model_b")
    with_target = pairs.filter((pl.col("model_a") == target) | (pl.col("model_b") == target))
    if with_target.height == 0:
        raise ValueError(f"the target {target!r} never appears in the log")
    pool = with_target if strategy == "target_only" else pairs
    rating = ratings or {}
    a_out: list[str] = []
    b_out: list[str] = []
    winner: list[str] = []
    while len(winner) < n_new:  # serve battles until the campaign has cast n_new votes
        draw = pool[rng.integers(0, pool.height, 4 * n_new).tolist()]
        know = rng.random((draw.height, 2)) < accuracy
        for i, (a, b) in enumerate(draw.iter_rows()):
            vote = _vote(a, b, target, strategy, know[i], rating, rng)
            if vote is not None:
                a_out.append(a)
                b_out.append(b)
                winner.append(vote)
            if len(winner) == n_new:
                break
    ids = [f"rig:{seed}:{i}" for i in range(n_new)]
    new = pl.DataFrame(
        {
            "battle_id": ids,
            "model_a": a_out,
            "model_b": b_out,
            "winner": winner,
            "voter_id": [f"attacker-{seed}-{i % attackers:03d}" for i in range(n_new)],
        }
    )
    if "tstamp" in battles.columns and battles["tstamp"].null_count() < battles.height:
        lo: Any = battles["tstamp"].min()
        hi: Any = battles["tstamp"].max()
        span = (hi - lo).total_seconds()
        offsets = pl.Series("s", rng.random(new.height) * span)
        new = new.with_columns(tstamp=pl.lit(lo) + pl.duration(seconds=pl.lit(offsets)))
    out = pl.concat([battles, new], how="diagonal_relaxed")
    return out, new["battle_id"].to_list()


def _vote(
    a: str, b: str, target: str, strategy: str, know: np.ndarray, rating: dict[str, float], rng: np.random.Generator
) -> str | None:
    present = target in (a, b)
    if strategy == "deanon":
        believed = present if know[0] else not present
        if not believed:
            return None  # abstain
        if not present:
            return "model_a" if rng.random() < 0.5 else "model_b"
        truth = "model_a" if a == target else "model_b"
        return truth if know[1] else ("model_b" if truth == "model_a" else "model_a")
    if a == target or b == target:
        truth = "model_a" if a == target else "model_b"
        return truth if know[0] else ("model_b" if truth == "model_a" else "model_a")
    # omnipresent, target absent: help the target's rank
    ra, rb, rt = rating.get(a, 0.0), rating.get(b, 0.0), rating.get(target, 0.0)
    if not (know[0] and know[1]):
        return "model_a" if rng.random() < 0.5 else "model_b"
    if (ra > rt) == (rb > rt):  # both above or both below: vote for the weaker one
        return "model_a" if ra < rb else "model_b"
    return "model_a" if ra < rt else "model_b"  # straddling: vote for the one below the target
