"""Intervals: coverage on simulated arenas, bootstrap determinism, cluster and simultaneous intervals."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from arenavotes.ratings import RatingParams, rate
from arenavotes.ratings.bt import ELO_SCALE
from arenavotes.ratings.simulate import simulate_battles


def _coverage(params: RatingParams, replicates: int, k: int = 8, n: int = 3000) -> float:
    hits, total = 0, 0
    for rep in range(replicates):
        b, theta = simulate_battles(k=k, n=n, seed=10_000 + rep, zipf=0.5)
        r = rate(b, params)
        truth = 1000.0 + (theta - theta.mean()) * ELO_SCALE
        order = [int(m.split("-")[1]) for m in r.models]
        t = truth[order]
        hits += int(((r.ci_lower <= t) & (t <= r.ci_upper)).sum())
        total += len(t)
    return hits / total


def test_sandwich_intervals_cover_the_truth() -> None:
    cov = _coverage(RatingParams(ci="sandwich"), replicates=300)
    assert 0.93 <= cov <= 0.97, cov


def test_bootstrap_intervals_cover_the_truth() -> None:
    cov = _coverage(RatingParams(ci="bootstrap", rounds=200, workers=1), replicates=150)
    assert 0.93 <= cov <= 0.97, cov


def test_bootstrap_is_deterministic_and_independent_of_workers() -> None:
    b, _ = simulate_battles(k=12, n=20_000, seed=2)
    one = rate(b, RatingParams(ci="bootstrap", rounds=100, workers=1, seed=7))
    two = rate(b, RatingParams(ci="bootstrap", rounds=100, workers=2, seed=7))
    other = rate(b, RatingParams(ci="bootstrap", rounds=100, workers=1, seed=8))
    assert np.array_equal(one.boot, two.boot)
    assert not np.array_equal(one.boot, other.boot)
    # percentile bounds sit around the point estimate and agree with the sandwich in size
    sand = rate(b, RatingParams(ci="sandwich"))
    width_b, width_s = one.ci_upper - one.ci_lower, sand.ci_upper - sand.ci_lower
    assert np.median(width_b / width_s) == pytest.approx(1.0, abs=0.2)


def test_cluster_bootstrap_widens_intervals_when_voters_are_correlated() -> None:
    # 40 voters who each vote one way for model-000: votes within a voter are not independent
    b, _ = simulate_battles(k=6, n=6000, seed=4, voters=40)
    rng = np.random.default_rng(0)
    fan = {f"v{v}": rng.random() < 0.5 for v in range(40)}
    b = b.with_columns(winner=pl.when((pl.col("model_a") == "model-000") & pl.col("judge_id").replace_strict(fan))
                       .then(pl.lit("model_a")).otherwise(pl.col("winner")))
    iid = rate(b, RatingParams(ci="bootstrap", rounds=200, workers=1))
    clus = rate(b, RatingParams(ci="cluster", rounds=200, workers=1), clusters="judge_id")
    i = iid.models.index("model-000")
    assert (clus.ci_upper[i] - clus.ci_lower[i]) > 1.3 * (iid.ci_upper[i] - iid.ci_lower[i])


def test_simultaneous_intervals_are_wider() -> None:
    b, _ = simulate_battles(k=10, n=5000, seed=6)
    for ci in ("sandwich", "bootstrap"):
        plain = rate(b, RatingParams(ci=ci, rounds=200, workers=1))
        simul = rate(b, RatingParams(ci=ci, rounds=200, workers=1, simultaneous=True))
        assert ((simul.ci_upper - simul.ci_lower) > (plain.ci_upper - plain.ci_lower)).all()


def test_tie_models_have_sandwich_and_bootstrap_intervals() -> None:
    b, _ = simulate_battles(k=5, n=4000, seed=8, ties="davidson", tie_rate=0.25)
    for ties in ("davidson", "rao-kupper"):
        s = rate(b, RatingParams(ties=ties, ci="sandwich"))
        bt = rate(b, RatingParams(ties=ties, ci="bootstrap", rounds=60, workers=1))
        ws, wb = s.ci_upper - s.ci_lower, bt.ci_upper - bt.ci_lower
        assert (ws > 0).all() and np.median(wb / ws) == pytest.approx(1.0, abs=0.3)
