"""Invariants of the rating protocol (hypothesis) and behaviour of ties, gauges, graphs and intervals."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes.errors import UserError
from arenavotes.ratings import DisconnectedError, RatingParams, rate
from arenavotes.ratings.core import Ratings, bootstrap_from_fit, draw_ranks
from arenavotes.ratings.simulate import model_names, simulate_battles

MIRROR = {"model_a": "model_b", "model_b": "model_a", "tie": "tie", "tie_bothbad": "tie_bothbad"}


@st.composite
def arenas(draw: st.DrawFn) -> pl.DataFrame:
    """Simulated arenas whose ratings exist under every tie policy: a cycle of decisive wins (model 0 beat 1,
    1 beat 2, ..., the last beat 0) makes the comparison graph strongly connected."""
    k = draw(st.integers(3, 7))
    seed = draw(st.integers(0, 10_000))
    b, _ = simulate_battles(k=k, n=draw(st.integers(300, 1500)), seed=seed, zipf=0.3)
    names = model_names(k)
    cycle = pl.DataFrame(
        {
            "battle_id": [f"cycle:{i}" for i in range(k)],
            "model_a": names,
            "model_b": names[1:] + names[:1],
            "winner": ["model_a"] * k,
        }
    )
    return pl.concat([b, cycle])


def _mirror(b: pl.DataFrame, seed: int) -> pl.DataFrame:
    """``b`` shuffled, with a random half of the battles told from the other side."""
    shuffled = b.sample(fraction=1.0, shuffle=True, seed=seed)
    swap = pl.Series(np.random.default_rng(seed).random(b.height) < 0.5)
    return shuffled.with_columns(
        model_a=pl.when(swap).then(pl.col("model_b")).otherwise(pl.col("model_a")),
        model_b=pl.when(swap).then(pl.col("model_a")).otherwise(pl.col("model_b")),
        winner=pl.when(swap).then(pl.col("winner").replace_strict(MIRROR)).otherwise(pl.col("winner")),
    )


def _as_dict(r: Ratings) -> dict[str, float]:
    return dict(zip(r.models, r.rating.tolist(), strict=True))


@settings(max_examples=25, deadline=None)
@given(arenas(), st.integers(0, 1000), st.sampled_from(["half", "drop", "davidson", "rao-kupper"]))
def test_row_order_and_side_swaps_do_not_matter(b: pl.DataFrame, seed: int, ties: str) -> None:
    params = RatingParams(ties=ties, ci="sandwich")
    base = rate(b, params)
    other = rate(_mirror(b, seed), params)
    assert _as_dict(other) == pytest.approx(_as_dict(base), abs=1e-6)
    assert other.ci_lower == pytest.approx(base.ci_lower, abs=1e-6)


@pytest.mark.parametrize("ties", ["half", "drop", "davidson", "rao-kupper"])
def test_a_refused_log_is_refused_the_same_way_when_mirrored(ties: str) -> None:
    b, _ = simulate_battles(k=5, n=600, seed=4)
    never_lost = pl.DataFrame(
        {
            "battle_id": ["x:0", "x:1"],
            "model_a": ["model-000", "model-001"],
            "model_b": ["newcomer", "newcomer"],
            "winner": ["model_b", "model_b"],
        }
    )
    apart = pl.DataFrame(
        {"battle_id": ["y:0", "y:1"], "model_a": ["p", "q"], "model_b": ["q", "p"], "winner": ["model_a", "model_a"]}
    )
    for extra, match in ((never_lost, "newcomer never lost"), (apart, "2 disconnected groups")):
        log = pl.concat([b, extra])
        with pytest.raises(DisconnectedError, match=match) as first:
            rate(log, RatingParams(ties=ties))
        with pytest.raises(DisconnectedError) as again:
            rate(_mirror(log, 1), RatingParams(ties=ties))
        assert again.value.message == first.value.message


@settings(max_examples=25, deadline=None)
@given(arenas(), st.floats(500, 1500))
def test_the_gauge_is_respected(b: pl.DataFrame, anchor_rating: float) -> None:
    r = rate(b, RatingParams())
    assert float(np.mean(r.rating)) == pytest.approx(1000.0, abs=1e-9)
    anchor = r.models[0]
    a = rate(b, RatingParams(anchor=anchor, anchor_rating=anchor_rating))
    assert float(a.rating[0]) == pytest.approx(anchor_rating, abs=1e-9)
    assert a.ci_lower[0] == pytest.approx(anchor_rating) and a.ci_upper[0] == pytest.approx(anchor_rating)
    # differences do not depend on the gauge
    assert np.diff(a.rating) == pytest.approx(np.diff(r.rating), abs=1e-9)


def test_tie_policies_differ_as_documented() -> None:
    b, _ = simulate_battles(k=6, n=20_000, seed=3, ties="davidson", tie_rate=0.3)
    half = rate(b, RatingParams(ties="half"))
    drop = rate(b, RatingParams(ties="drop"))
    decisive = b.filter(pl.col("winner").is_in(["model_a", "model_b"]))
    assert _as_dict(drop) == pytest.approx(_as_dict(rate(decisive, RatingParams(ties="half"))), abs=1e-9)
    dav = rate(b, RatingParams(ties="davidson"))
    # Davidson recovers the simulated tie propensity: nu = 2 * 0.3 / 0.7
    assert dav.tie_parameter == pytest.approx(2 * 0.3 / 0.7, rel=0.05)
    rk = rate(b, RatingParams(ties="rao-kupper"))
    assert rk.tie_parameter is not None and rk.tie_parameter > 1
    assert half.tie_parameter is None and drop.tie_parameter is None
    # counting ties as half wins compresses the scale relative to a decisive-only fit
    assert np.ptp(half.rating) < np.ptp(drop.rating)
    # dropping both-bad votes changes the data the fit sees
    assert rate(b, RatingParams(bothbad="drop")).battles.sum() < half.battles.sum()


def test_disconnected_and_never_lost_give_clear_errors() -> None:
    b = pl.DataFrame({"model_a": ["a", "c"] * 5, "model_b": ["b", "d"] * 5, "winner": ["model_a", "tie"] * 5})
    with pytest.raises(DisconnectedError, match="2 disconnected groups"):
        rate(b)
    b = pl.DataFrame(
        {"model_a": ["a", "b", "c"], "model_b": ["b", "c", "a"], "winner": ["model_a", "model_a", "model_b"]}
    )
    with pytest.raises(DisconnectedError, match="a never lost; c never won"):
        rate(b)
    assert np.isfinite(rate(b, RatingParams(reg=0.1)).rating).all()


def test_bad_parameters_are_user_errors() -> None:
    with pytest.raises(UserError, match="unknown tie policy"):
        RatingParams(ties="quarter")
    with pytest.raises(UserError, match="anchor model 'zz'"):
        rate(simulate_battles(k=3, n=300, seed=1)[0], RatingParams(anchor="zz"))


def test_ranks_follow_lmarena_definition() -> None:
    b, _ = simulate_battles(k=8, n=4000, seed=5)
    r = rate(b)
    for m in range(len(r.models)):
        better = sum(r.ci_lower[o] > r.ci_upper[m] for o in range(len(r.models)))
        assert r.rank_ub[m] == 1 + better
        assert r.rank_ub[m] <= r.rank[m] <= r.rank_worst[m]
    lo, hi = r.rank_quantiles()
    assert (lo >= 1).all() and (hi <= len(r.models)).all()
    assert ((lo <= r.rank) & (r.rank <= hi)).mean() >= 0.75  # the rank by rating lies in its range, mostly
    assert (hi > lo).any() and (hi == lo).any()  # some ranks are uncertain, some are not
    # rank ranges from bootstrap rounds around the same fit tell the same story, within a rank
    blo, bhi = bootstrap_from_fit(b, r).rank_quantiles()
    assert np.abs(blo - lo).max() <= 1 and np.abs(bhi - hi).max() <= 1


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda m: st.lists(
            st.lists(st.sampled_from([0.0, 1.0, 2.5, -1.0, np.inf, -np.inf, np.nan]), min_size=m, max_size=m),
            min_size=1,
            max_size=6,
        )
    )
)
def test_draw_ranks_count_the_values_above(rows: list[list[float]]) -> None:
    """The sort-based ranks equal the definition, pair by pair: 1 + the entries strictly above, ties share
    the best rank, NaN (a model absent from a round) has none and sits above nobody."""
    draws = np.array(rows)
    expected = (1 + (draws[:, None, :] > draws[:, :, None]).sum(axis=2)).astype(float)
    expected[np.isnan(draws)] = np.nan
    assert np.array_equal(draw_ranks(draws), expected, equal_nan=True)
