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
* ``mixed`` -- attackers take the three strategies in turn.

Campaigns can look like honest traffic: attackers' volumes drawn from the log's own votes-per-voter
distribution (``volume="honest"``), decoy votes that agree with the crowd (``camouflage``), and a
burst instead of votes spread over the period (``timing``).

Honest synthetic voters: :func:`honest_voter_ids` gives logs without voter ids (the 33k votes)
``n`` pseudonymous voters with a realistic heavy-tailed activity distribution.

>>> import polars as pl
>>> b = pl.DataFrame({"battle_id": [str(i) for i in range(200)], "model_a": ["x", "y"] * 100,
...                   "model_b": ["y", "z"] * 100, "winner": ["model_a", "model_b"] * 100})
>>> rigged, ids = inject(b, target="z", strategy="target_only", share=0.05, seed=1)
>>> rigged.height, len(ids), rigged.filter(pl.col("battle_id").is_in(ids))["voter_id"].n_unique()
(210, 10, 1)
>>> rigged, ids = inject(b, target="z", strategy="mixed", share=0.05, attackers=3, camouflage=0.5, seed=1)
>>> rigged.filter(pl.col("voter_id").str.starts_with("attacker")).height, len(ids)
(20, 10)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

STRATEGIES = ("target_only", "omnipresent", "deanon", "mixed")
VOLUMES = ("equal", "honest")
TIMINGS = ("spread", "burst")


def honest_voter_ids(battles: pl.DataFrame, n_voters: int, seed: int = 0, zipf: float = 1.1) -> pl.DataFrame:
    """Give every battle a synthetic honest voter (activity ~ Zipf), as ``voter_id``."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, n_voters + 1) ** zipf
    voter = rng.choice(n_voters, size=battles.height, p=weight / weight.sum())
    return battles.with_columns(voter_id=pl.Series([f"honest-{v:05d}" for v in voter]))


def synthetic_times(battles: pl.DataFrame, days: float = 30.0, start: str = "2024-01-01") -> pl.DataFrame:
    """Give a log without timestamps evenly spaced ones in row order over ``days`` (for timing experiments)."""
    t0 = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC)
    step = days * 86400.0 / max(battles.height, 1)
    offsets = pl.Series("s", np.arange(battles.height) * step)
    return battles.with_columns(tstamp=pl.lit(t0) + pl.duration(seconds=pl.lit(offsets)))


def attacker_volumes(
    battles: pl.DataFrame, n_votes: int, attackers: int, volume: str, rng: np.random.Generator
) -> np.ndarray:
    """How many rigging votes each attacker casts: equal shares, or shaped like the honest voters' activity
    (each attacker's weight drawn from the log's votes-per-voter counts, then ``n_votes`` split by a multinomial)."""
    if volume == "equal" or "voter_id" not in battles.columns or battles["voter_id"].null_count() == battles.height:
        return np.bincount(np.arange(n_votes) % attackers, minlength=attackers)
    activity = np.sort(battles.group_by("voter_id").len()["len"].to_numpy()).astype(float)  # sorted: group order varies
    weight = rng.choice(activity, size=attackers)
    return rng.multinomial(n_votes, weight / weight.sum())


def inject(
    battles: pl.DataFrame,
    *,
    target: str,
    strategy: str = "target_only",
    share: float = 0.01,
    attackers: int = 1,
    accuracy: float = 0.95,
    ratings: dict[str, float] | None = None,
    volume: str = "equal",
    camouflage: float = 0.0,
    timing: str = "spread",
    burst_hours: float = 24.0,
    seed: int = 0,
) -> tuple[pl.DataFrame, list[str]]:
    """``battles`` plus a campaign of ``share`` x N rigging votes; returns (all battles, rigging battle ids).

    ``volume``: ``equal`` (every attacker casts the same number) or ``honest`` (attackers look like the
    log's voters, see :func:`attacker_volumes`). ``mixed`` gives each attacker one of the three strategies.
    ``camouflage``: the share of each attacker's votes that are decoys agreeing with the crowd (drawn from
    ``ratings``, Bradley-Terry on the Elo scale, ties at the log's rate); they come on top of the rigging
    votes, carry ids ``camo:...`` and the attacker's voter id. ``timing``: votes spread over the log's
    period, or a burst of ``burst_hours`` at a random point of it (needs ``tstamp``).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    if volume not in VOLUMES or timing not in TIMINGS:
        raise ValueError(f"volume must be one of {VOLUMES}, timing one of {TIMINGS}")
    if not 0 <= camouflage < 1:
        raise ValueError("camouflage must be in [0, 1)")
    rng = np.random.default_rng(seed)
    n_new = max(1, round(share * battles.height))
    pairs = battles.select("model_a", "model_b")
    with_target = pairs.filter((pl.col("model_a") == target) | (pl.col("model_b") == target))
    if with_target.height == 0:
        raise ValueError(f"the target {target!r} never appears in the log")
    rating = ratings or {}
    plan = STRATEGIES[:3] if strategy == "mixed" else (strategy,)
    kinds = [plan[k % len(plan)] for k in range(attackers)]
    volumes = attacker_volumes(battles, n_new, attackers, volume, rng)
    rows: list[tuple[str, str, str, str, str]] = []
    for k in range(attackers):
        voter = f"attacker-{seed}-{k:03d}"
        pool = with_target if kinds[k] == "target_only" else pairs
        cast = 0
        while cast < volumes[k]:  # serve battles until this attacker has cast its votes
            draw = pool[rng.integers(0, pool.height, 4 * int(volumes[k]) + 4).tolist()]
            know = rng.random((draw.height, 2)) < accuracy
            for i, (a, b) in enumerate(draw.iter_rows()):
                vote = _vote(a, b, target, kinds[k], know[i], rating, rng)
                if vote is not None:
                    rows.append((f"rig:{seed}:{len(rows)}", a, b, vote, voter))
                    cast += 1
                if cast == volumes[k]:
                    break
        n_camo = round(volumes[k] * camouflage / (1 - camouflage)) if camouflage else 0
        if n_camo:
            rows += _crowd_votes(pairs, battles, rating, n_camo, voter, f"camo:{seed}:{k}", rng)
    new = pl.DataFrame(rows, schema=["battle_id", "model_a", "model_b", "winner", "voter_id"], orient="row")
    if "tstamp" in battles.columns and battles["tstamp"].null_count() < battles.height:
        lo: Any = battles["tstamp"].min()
        hi: Any = battles["tstamp"].max()
        span = (hi - lo).total_seconds()
        if timing == "burst":
            width = min(burst_hours * 3600.0, span)
            begin = rng.random() * (span - width)
            seconds = begin + rng.random(new.height) * width
        else:
            seconds = rng.random(new.height) * span
        new = new.with_columns(tstamp=pl.lit(lo) + pl.duration(seconds=pl.lit(pl.Series("s", seconds))))
    elif timing == "burst":
        raise ValueError("a burst needs timestamps: give the log a tstamp column (see synthetic_times)")
    out = pl.concat([battles, new], how="diagonal_relaxed")
    return out, [r[0] for r in rows if r[0].startswith("rig:")]


def _crowd_votes(
    pairs: pl.DataFrame,
    battles: pl.DataFrame,
    rating: dict[str, float],
    n: int,
    voter: str,
    prefix: str,
    rng: np.random.Generator,
) -> list[tuple[str, str, str, str, str]]:
    """``n`` decoy votes that agree with the crowd: Bradley-Terry on ``rating``, ties at the log's rate."""
    tie_rate = battles.select(pl.col("winner").is_in(["tie", "tie_bothbad"]).mean()).item() or 0.0
    draw = pairs[rng.integers(0, pairs.height, n).tolist()]
    out = []
    for i, (a, b) in enumerate(draw.iter_rows()):
        p_a = 1.0 / (1.0 + 10 ** ((rating.get(b, 0.0) - rating.get(a, 0.0)) / 400.0))
        u = rng.random()
        w = "tie" if u < tie_rate else ("model_a" if rng.random() < p_a else "model_b")
        out.append((f"{prefix}:{i}", a, b, w, voter))
    return out


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
