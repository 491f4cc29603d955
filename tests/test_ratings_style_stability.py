"""Style control (shrinkage, recovery) and stability statistics (leave-one-voter-out, online Elo, tau)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes.ratings import fit_style, kendall_tau, leave_one_voter_out, online_elo, rate
from arenavotes.ratings.bt import ELO_SCALE
from arenavotes.ratings.simulate import simulate_battles
from arenavotes.ratings.style import FEATURES, standardise_features
from arenavotes.vocab import WINNERS


def _styled(n: int, beta: np.ndarray, seed: int = 1, k: int = 20) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 0.5, k)
    a = rng.integers(0, k, n)
    b = (a + rng.integers(1, k, n)) % k
    fa = rng.poisson([400, 3, 6, 4], (n, 4))
    fb = rng.poisson([400, 3, 6, 4], (n, 4))
    x = standardise_features(fa.astype(float), fb.astype(float))
    p = 1 / (1 + np.exp(-(theta[a] - theta[b] + x @ beta)))
    u = rng.random(n)
    winner = np.where(u < 0.1, "tie", np.where(rng.random(n) < (p - 0.05) / 0.9, "model_a", "model_b"))
    frame = pl.DataFrame(
        {
            "model_a": [f"m{i:02d}" for i in a],
            "model_b": [f"m{i:02d}" for i in b],
            "winner": winner,
            **{f"{f}_a": fa[:, c] for c, f in enumerate(FEATURES)},
            **{f"{f}_b": fb[:, c] for c, f in enumerate(FEATURES)},
        }
    )
    return frame, theta - theta.mean()


def test_default_regularisation_shrinks_a_true_coefficient_by_less_than_5_percent() -> None:
    beta = np.array([0.5, 0.0, 0.2, 0.0])
    b, _ = _styled(20_000, beta)
    fit = fit_style(b)
    assert fit.coef[0] == pytest.approx(0.5, rel=0.05)
    assert fit.coef[2] == pytest.approx(0.2, abs=0.04)
    assert (fit.coef_lower <= beta).all() and (beta <= fit.coef_upper).all()
    # arena-rank's reg = 1 on the mean log-likelihood is reg = N on the sum: most of the effect is gone
    strong = fit_style(b, reg=float(b.height))
    assert strong.coef[0] < 0.25


def test_style_control_moves_ratings_of_verbose_models() -> None:
    beta = np.array([0.8, 0.0, 0.0, 0.0])
    b, _ = _styled(15_000, beta, seed=3)
    # model m00 always writes longer answers: plain BT credits it for the style effect
    b = b.with_columns(
        tokens_a=pl.when(pl.col("model_a") == "m00").then(pl.col("tokens_a") * 2).otherwise(pl.col("tokens_a"))
    )
    plain = rate(b)
    styled = fit_style(b)
    i = plain.models.index("m00")
    assert styled.rating[i] < plain.rating[i]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 400), st.integers(0, 2**31 - 1), st.sampled_from(["tie", "drop"]))
def test_style_fit_in_slices_is_the_whole_fit(slice_rows: int, seed: int, bothbad: str) -> None:
    # the slices only reorder the sums: any slice size gives the one-slice fit to rounding
    b, _ = _styled(300, np.array([0.4, -0.2, 0.1, 0.0]), seed=seed, k=6)
    b = b.with_columns(winner=pl.when(pl.col("model_a") == "m01").then(pl.lit("tie_bothbad")).otherwise("winner"))
    whole = fit_style(b, bothbad=bothbad, slice_rows=10**9)
    sliced = fit_style(b, bothbad=bothbad, slice_rows=slice_rows)
    assert sliced.models == whole.models and sliced.battles == whole.battles
    for name in ("rating", "ci_lower", "ci_upper", "coef", "coef_lower", "coef_upper"):
        np.testing.assert_allclose(getattr(sliced, name), getattr(whole, name), rtol=0, atol=1e-9, err_msg=name)
    again = fit_style(b, bothbad=bothbad, slice_rows=slice_rows)  # a given slice size: the same bytes
    assert again.rating.tobytes() == sliced.rating.tobytes() and again.coef.tobytes() == sliced.coef.tobytes()


def test_style_fit_memory_does_not_grow_with_the_board() -> None:
    # numpy reports its arrays to tracemalloc: the fit's float arrays are a slice's, whatever the board's size;
    # the whole-board fit held ~260 bytes a battle (2M conversations: ~0.45 GB above the frame)
    import tracemalloc

    peaks = []
    for n in (50_000, 200_000):
        b, _ = _styled(n, np.array([0.4, -0.2, 0.1, 0.0]), seed=5, k=30)
        b = b.with_columns(pl.col("model_a", "model_b", "winner").cast(pl.Categorical))
        tracemalloc.start()
        fit_style(b, slice_rows=10_000)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 6_000_000, peaks  # 3 bytes a battle of codes and a 10k slice's arrays
    assert peaks[1] - peaks[0] < 16 * 150_000, peaks  # at most a few bytes for each further battle


def test_leave_one_voter_out_matches_exact_refits() -> None:
    b, _ = simulate_battles(k=6, n=3000, seed=9, voters=25)
    r = rate(b)
    loo = leave_one_voter_out(b, r)
    assert loo is not None and loo.voters == 25
    worst = 0.0
    for v in b["voter_id"].unique():
        r2 = rate(b.filter(pl.col("voter_id") != v))
        worst = max(worst, float(np.abs(r2.rating - r.rating).max()))
    assert loo.max_change == pytest.approx(worst, rel=0.05)


def test_leave_one_voter_out_blocks_and_categoricals_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The influence pass holds a block of voters at a time and codes voters as Categoricals; neither the block
    size, nor string vs Categorical columns, nor the order Categorical codes were first seen in may change it."""
    from arenavotes.ratings import stability

    b, _ = simulate_battles(k=8, n=6000, seed=4, voters=300)
    r = rate(b)
    whole = leave_one_voter_out(b, r)
    assert whole is not None
    # codes first seen in reverse id order: a tie-break by code would now pick other voters
    pl.Series(sorted(b["voter_id"].unique().to_list(), reverse=True)).cast(pl.Categorical)
    cat = b.with_columns(pl.col("model_a", "model_b", "winner", "voter_id").cast(pl.Categorical))
    # integer codes in id order, as the rate stage loads them, with their ids looked up at the end
    ids = sorted(b["voter_id"].unique().to_list())
    coded = b.with_columns(pl.col("voter_id").replace_strict(ids, range(len(ids)), return_dtype=pl.UInt32))
    for block, held in ((1, 1024), (7, 1024), (64, 1024), (7, 0), (64, 0)):
        # held=0: a block's top voters are never held apart, the block is recomputed without the refitted ones
        monkeypatch.setattr(stability, "VOTER_BLOCK", block)
        monkeypatch.setattr(stability, "HELD_MAX", held)
        for frame in (b, cat, coded):
            got = leave_one_voter_out(frame, r, voter_names=lambda codes: [ids[c] for c in codes])
            assert got is not None
            assert (got.voters, got.worst_voter) == (whole.voters, whole.worst_voter)
            assert got.max_change == pytest.approx(whole.max_change, abs=1e-9)
            assert got.per_model == pytest.approx(whole.per_model, abs=1e-9)


def test_leave_one_voter_out_ties_go_to_the_first_voter_id() -> None:
    """Two voters with the very same votes move the board equally: the one whose id sorts first is named."""
    base = pl.DataFrame(
        {
            "model_a": ["x", "y", "z"] * 40,
            "model_b": ["y", "z", "x"] * 40,
            "winner": ["model_a", "model_b", "tie", "model_b"] * 30,
        }
    )
    honest = base.with_columns(voter_id=pl.Series([f"h{n % 30}" for n in range(base.height)]))
    twins = pl.DataFrame({"model_a": ["x"] * 20, "model_b": ["z"] * 20, "winner": "model_a"})
    for order in (["zed", "amy"], ["amy", "zed"]):
        b = pl.concat([honest, *(twins.with_columns(voter_id=pl.lit(v)) for v in order)])
        b = b.with_columns(pl.col("voter_id").cast(pl.Categorical))
        loo = leave_one_voter_out(b, rate(b))
        assert loo is not None and loo.worst_voter == "amy"
        # voters coded in id order (the rate stage's load): the lower code is the first id, and is named
        ids = sorted(b["voter_id"].cast(pl.String).unique().to_list())
        coded = b.with_columns(
            pl.col("voter_id").cast(pl.String).replace_strict(ids, range(len(ids)), return_dtype=pl.UInt32)
        )
        loo = leave_one_voter_out(coded, rate(coded), voter_names=lambda codes, ids=ids: [ids[c] for c in codes])
        assert loo is not None and loo.worst_voter == "amy"


def test_online_elo_matches_fastchat_update() -> None:
    b = pl.DataFrame(
        {
            "model_a": ["x", "y", "x"],
            "model_b": ["y", "z", "z"],
            "winner": ["model_a", "tie", "model_b"],
            "tstamp": [3, 1, 2],
        }
    )
    r = {"x": 1000.0, "y": 1000.0, "z": 1000.0}
    for a, c, w in [("y", "z", 0.5), ("x", "z", 0.0), ("x", "y", 1.0)]:  # time order
        ea = 1 / (1 + 10 ** ((r[c] - r[a]) / 400))
        r[a], r[c] = r[a] + 4 * (w - ea), r[c] + 4 * ((1 - w) - (1 - ea))
    assert online_elo(b) == pytest.approx(r)


def test_online_elo_in_chunks_and_categoricals_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from arenavotes.ratings import stability

    b, _ = simulate_battles(k=6, n=2000, seed=3)
    b = b.with_columns(tstamp=pl.Series(np.random.default_rng(0).integers(0, 50, b.height)))  # many equal times
    whole = online_elo(b)
    monkeypatch.setattr(stability, "ELO_CHUNK", 7)
    assert online_elo(b) == whole
    assert online_elo(b.with_columns(pl.col("model_a", "model_b", "winner").cast(pl.Categorical))) == whole


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=0, max_size=12))
def test_kendall_tau_is_scipys_tau_b(values: list[tuple[int, int]]) -> None:
    """Our numpy tau-b (no scipy.stats import at start-up) equals scipy's, ties and constant maps included."""
    from scipy.stats import kendalltau

    a = {f"m{n}": float(x) for n, (x, _) in enumerate(values)}
    b = {f"m{n}": float(y) for n, (_, y) in enumerate(values)}
    b["only-in-b"] = 9.0
    tau, common = kendall_tau(a, b)
    assert common == len(values)
    if common < 2:
        assert np.isnan(tau)
        return
    want = kendalltau([x for x, _ in values], [y for _, y in values]).statistic
    assert (np.isnan(tau) and np.isnan(want)) or tau == pytest.approx(want, abs=1e-12)


def test_kendall_tau_between_periods() -> None:
    b, theta = simulate_battles(k=10, n=20_000, seed=11)
    first, second = rate(b.head(10_000)), rate(b.tail(10_000))
    tau, n = kendall_tau(
        dict(zip(first.models, first.rating, strict=True)), dict(zip(second.models, second.rating, strict=True))
    )
    assert n == 10 and tau > 0.6
    assert float(np.corrcoef(first.theta, theta)[0, 1]) > 0.9
    assert pytest.approx(173.7178, abs=1e-4) == ELO_SCALE


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5), st.sampled_from(WINNERS)).filter(lambda t: t[0] != t[1]),
        min_size=1,
        max_size=40,
    )
)
def test_pair_counts_from_codes_equal_from_battles(votes: list[tuple[int, int, str]]) -> None:
    """The numpy count of one voter's coded votes (used for the exact refits) is the Polars count of the same
    battles, and taking it away from the whole leaves the counts of the rest."""
    from arenavotes.ratings import counts
    from arenavotes.ratings.counts import PairCounts

    def coded_votes(v: list[tuple[int, int, str]]) -> tuple[list[int], list[int], list[int]]:
        return [a for a, _, _ in v], [b for _, b, _ in v], [WINNERS.index(w) for _, _, w in v]

    models = tuple(f"m{x}" for x in range(6))
    frame = pl.DataFrame(
        {
            "model_a": [models[a] for a, _, _ in votes],
            "model_b": [models[b] for _, b, _ in votes],
            "winner": [w for _, _, w in votes],
        }
    )
    coded = PairCounts.from_codes(models, *(np.array(x) for x in coded_votes(votes)))
    ref = PairCounts.from_battles(frame)
    with mock.patch.object(counts, "DENSE_PAIRS", 0):  # the sorting route, for arenas of over 2,048 models
        sorted_route = PairCounts.from_codes(models, *(np.array(x) for x in coded_votes(votes)))

    def names(c: PairCounts) -> list[tuple[str, str]]:
        return [(c.models[x], c.models[y]) for x, y in zip(c.i.tolist(), c.j.tolist(), strict=True)]

    assert names(coded) == names(ref) == names(sorted_route)
    assert all(
        np.array_equal(getattr(coded, f), getattr(sorted_route, f)) for f in ("win_i", "win_j", "tie", "bothbad")
    )
    for field in ("win_i", "win_j", "tie", "bothbad"):
        assert getattr(coded, field).tolist() == getattr(ref, field).tolist()
    whole = PairCounts.from_battles(pl.concat([frame, frame]))
    left = whole.without(coded)
    assert names(left) == names(ref) and left.win_i.tolist() == ref.win_i.tolist()


def test_loo_residuals_in_place_are_the_same_bits() -> None:
    """The voter-influence residuals are computed in place to save memory; they must equal y - sigmoid(...)."""
    from arenavotes.ratings.bt import sigmoid
    from arenavotes.ratings.stability import _residuals

    rng = np.random.default_rng(3)
    theta = rng.normal(0, 3, 40)
    a, b = rng.integers(0, 40, 10_000), rng.integers(0, 40, 10_000)
    outcome = rng.integers(0, len(WINNERS), 10_000)
    y = np.array([{"model_a": 1.0, "model_b": 0.0}.get(w, 0.5) for w in WINNERS])[outcome]
    assert np.array_equal(_residuals(theta, a, b, outcome), y - sigmoid(theta[a] - theta[b]))


def test_the_boards_online_elo_is_the_same_in_a_forked_process_or_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from arenavotes.ratings import leaderboard
    from arenavotes.ratings.core import RatingParams

    b, _ = simulate_battles(k=8, n=3000, seed=4)
    times = np.random.default_rng(1).integers(0, 40, b.height).astype(float)
    b = b.with_columns(tstamp=pl.Series(np.where(times < 3, np.nan, times)).fill_nan(None))  # ties and nulls
    b = b.with_columns(battle_id=pl.int_range(b.height).cast(pl.String))
    boards = {}
    for limit in (0, 10**9):  # every board forked; none
        monkeypatch.setattr(leaderboard, "FORK_ELO_BATTLES", limit)
        out = leaderboard.build(
            b, pl.DataFrame(schema=leaderboard.LABEL_SCHEMA), RatingParams(), min_battles=5, min_category_battles=1
        )
        boards[limit] = out.boards
    assert boards[0].equals(boards[10**9])
    assert dict(boards[0].select("model", "online_elo").iter_rows()) == online_elo(b)
    ordered = b.sort("tstamp", maintain_order=True, nulls_last=True)  # already in order: not sorted again
    assert online_elo(ordered) == online_elo(b)


@pytest.mark.parametrize("kind", ["int", "float", "datetime"])
def test_online_elo_follows_time_order_with_nulls_last_whatever_the_time_type(kind: str) -> None:
    b, _ = simulate_battles(k=5, n=400, seed=5)
    rng = np.random.default_rng(2)
    times = rng.integers(0, 30, b.height) + (rng.random(b.height) if kind == "float" else 0)
    t = pl.Series(times).cast(pl.Float64 if kind == "float" else pl.Int64)
    t = t.set(pl.Series(rng.random(b.height) < 0.1), None)  # missing times: last, in row order
    if kind == "datetime":
        t = t.cast(pl.Datetime("us", "UTC"))
    b = b.with_columns(tstamp=t)
    ordered = b.sort("tstamp", maintain_order=True, nulls_last=True).drop("tstamp")
    assert online_elo(b) == online_elo(ordered)
