"""Every fit survives a comparison graph that splits into groups of models that never met.

A fresh install once raised ``LinAlgError: Singular matrix`` on GenAI-Arena's log (editing and generation
models never met): some BLAS builds refuse the singular systems that others solve by round-off. The
``strict_linalg`` fixture makes every ``numpy.linalg.solve``/``inv`` refuse an ill-conditioned matrix, as
such a BLAS would, so these tests fail wherever a fit would have relied on luck.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes.dedup.voters import evalue_test, fisher_test, prepare
from arenavotes.ratings import RatingParams, fit_style, rate
from arenavotes.ratings.bt import fit_logit, pinv_sum_zero
from arenavotes.ratings.core import bootstrap_from_fit
from arenavotes.ratings.leaderboard import LABEL_SCHEMA, build, rate_groups
from arenavotes.ratings.ties import fit_tie_model


@pytest.fixture
def strict_linalg(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    solve, inv = np.linalg.solve, np.linalg.inv

    def check(a: np.ndarray) -> None:
        if np.linalg.cond(a) > 1e12:
            raise np.linalg.LinAlgError("Singular matrix")

    def strict_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        check(a)
        return solve(a, b)

    def strict_inv(a: np.ndarray) -> np.ndarray:
        check(a)
        return inv(a)

    monkeypatch.setattr(np.linalg, "solve", strict_solve)
    monkeypatch.setattr(np.linalg, "inv", strict_inv)
    yield


def split_battles(seed: int = 0, n: int = 1200) -> pl.DataFrame:
    """Two leagues (a0..a3 and b0..b2) that never meet, with voters, ties, both-bad votes and style columns."""
    rng = np.random.default_rng(seed)
    rows = []
    for league, size, strength in (("a", 4, [0.0, 0.4, 0.8, 1.2]), ("b", 3, [0.0, 0.5, 1.0])):
        for _ in range(n // 2):
            x, y = rng.choice(size, 2, replace=False)
            d = strength[x] - strength[y]
            u = rng.random()
            p_tie = 0.25
            w = "tie" if u < p_tie else ("model_a" if u < p_tie + (1 - p_tie) / (1 + np.exp(-d)) else "model_b")
            if w == "tie" and rng.random() < 0.3:
                w = "tie_bothbad"
            rows.append((f"{league}{x}", f"{league}{y}", w, f"v{rng.integers(40)}"))
    b = pl.DataFrame(rows, schema=["model_a", "model_b", "winner", "voter_id"], orient="row")
    b = b.with_row_index("battle_id").with_columns(pl.col("battle_id").cast(pl.String))
    feats = {
        f"{f}_{s}": rng.integers(0, 400 if f == "tokens" else 6, b.height)
        for f in ("tokens", "headers", "lists", "bold")
        for s in "ab"
    }
    return b.with_columns(**{k: pl.Series(v) for k, v in feats.items()})


def test_low_level_fits_on_a_split_graph(strict_linalg: None) -> None:
    i, j = np.array([0, 2]), np.array([1, 3])
    theta = fit_logit(i, j, w=np.array([6.0, 3.0]), n=np.array([10.0, 10.0]), k=4)
    assert np.allclose([theta[0] + theta[1], theta[2] + theta[3]], 0) and theta[0] > theta[1] and theta[3] > theta[2]
    th, nu, _ = fit_tie_model("davidson", i, j, np.array([[6.0, 3.0, 1.0], [3.0, 6.0, 1.0]]), 4)
    assert np.isfinite(th).all() and np.isfinite(nu)
    h = np.diag([1.0, 1.0, 2.0, 2.0]) - np.array([[0, 1.0, 0, 0], [1.0, 0, 0, 0], [0, 0, 0, 2.0], [0, 0, 2.0, 0]])
    p = pinv_sum_zero(h)
    assert np.allclose(h @ p @ h, h)


@pytest.mark.parametrize("ties", ["half", "drop", "davidson", "rao-kupper"])
@pytest.mark.parametrize("ci", ["sandwich", "bootstrap"])
def test_every_group_is_rated(strict_linalg: None, ties: str, ci: str) -> None:
    b = split_battles()
    rated, failed = rate_groups(b, RatingParams(ties=ties, ci=ci, rounds=20, workers=1))
    assert not failed and [sorted(r.models) for _, _, r in rated] == [["a0", "a1", "a2", "a3"], ["b0", "b1", "b2"]]
    for _, sub, r in rated:
        assert abs(r.rating.mean() - 1000) < 1e-6 and np.isfinite(r.ci_lower).all() and np.isfinite(r.ci_upper).all()
        assert set(sub["model_a"]) == set(r.models)


def test_leaderboards_stability_and_style_on_a_split_graph(strict_linalg: None) -> None:
    b = split_battles()
    labels = pl.DataFrame({"battle_id": b["battle_id"][::2], "labeler": "t", "category": "even"}, schema=LABEL_SCHEMA)
    out = build(b, labels, RatingParams(), min_battles=10, min_category_battles=10)
    assert out.boards.group_by("category", "component").len().height == 4
    assert out.stats["loo_max_change"].is_not_null().all()
    fit = fit_style(b)
    assert np.isfinite(fit.coef).all()


def test_voter_tests_on_a_split_graph(strict_linalg: None) -> None:
    votes = prepare(split_battles())
    assert votes is not None and np.isfinite(votes.probs).all()
    _, p = fisher_test(votes)
    assert np.isfinite(p).all()
    evalue_test(votes)


def test_a_group_whose_model_never_lost_is_skipped_with_a_reason(strict_linalg: None) -> None:
    b = pl.concat(
        [
            split_battles().select("model_a", "model_b", "winner"),
            pl.DataFrame({"model_a": ["c0"] * 5, "model_b": ["c1"] * 5, "winner": ["model_a"] * 5}),
        ]
    )
    rated, failed = rate_groups(b, RatingParams())
    assert (
        len(rated) == 2
        and list(failed) == [3]
        and failed[3] == (["c0", "c1"], "c0 never lost; c1 never won, so the maximum-likelihood rating is infinite")
    )
    out = build(
        b.with_row_index("battle_id").with_columns(pl.col("battle_id").cast(pl.String)),
        pl.DataFrame(schema=LABEL_SCHEMA),
        RatingParams(),
        with_loo=False,
    )
    assert out.unrated == {("", "overall", 3): failed[3]} and out.skipped["overall, group 3"].startswith(
        "2 models (c0, c1): c0 never lost"
    )


def test_report_options_of_build() -> None:
    """What a report asks of the one leaderboard builder: a ridge instead of no board, sandwich side boards,
    the largest group of a category only, bootstrap rank ranges around the main fit, style for the overall."""
    b = split_battles()
    tail = pl.DataFrame(
        {
            "battle_id": [f"c{n}" for n in range(5)],
            "model_a": ["c0"] * 5,
            "model_b": ["c1"] * 5,
            "winner": ["model_a"] * 5,
        }
    )
    b = pl.concat([b, tail], how="diagonal")
    labels = pl.DataFrame({"battle_id": b["battle_id"][::2], "labeler": "t", "category": "even"}, schema=LABEL_SCHEMA)
    params = RatingParams(ci="bootstrap", rounds=20, workers=1)
    plain = build(b, labels, params, min_battles=10, min_category_battles=10, with_loo=False)
    assert set(plain.unrated) == {("", "overall", 3), ("t", "even", 3)}
    assert plain.boards.filter(pl.col("category") == "even")["component"].unique().sort().to_list() == [1, 2]
    out = build(
        b,
        labels,
        params,
        min_battles=10,
        min_category_battles=10,
        with_loo=False,
        style="overall",
        category_groups="largest",
        ridge_fallback=True,
        side_params=RatingParams(ci="sandwich"),
        rank_bootstrap=True,
    )
    assert not out.unrated and not out.skipped
    per_board = (
        out.boards.group_by("category", "component")
        .agg(pl.col("params").first(), pl.len())
        .sort("category", "component")
    )
    assert per_board.select("category", "component").rows() == [
        ("even", 1),
        ("overall", 1),
        ("overall", 2),
        ("overall", 3),
    ]
    cis = [(cat, g, json.loads(p)["ci"], json.loads(p)["reg"]) for cat, g, p, _ in per_board.rows()]
    assert cis == [
        ("even", 1, "sandwich", 0.0),
        ("overall", 1, "bootstrap", 0.0),
        ("overall", 2, "sandwich", 0.0),
        ("overall", 3, "sandwich", 0.01),
    ]  # the never-lost group got the fallback ridge
    assert out.style.height and set(out.style["category"]) == {"overall"}
    assert set(plain.style["category"]) == {"overall", "even"}
    # the main board's rank ranges are those of its own bootstrap rounds: no second fit, same numbers
    main = out.boards.filter((pl.col("category") == "overall") & (pl.col("component") == 1))
    same = plain.boards.filter((pl.col("category") == "overall") & (pl.col("component") == 1))
    assert main.drop("online_elo").equals(same.drop("online_elo"))
    sandwich = build(
        b,
        labels,
        RatingParams(ci="sandwich", rounds=20, workers=1),
        min_battles=10,
        with_loo=False,
        style=False,
        rank_bootstrap=True,
        categories=["none"],
    )
    sub = b.filter(pl.col("model_a").str.starts_with("a"))
    boot = bootstrap_from_fit(sub, rate(sub, RatingParams(ci="sandwich", rounds=20, workers=1)))
    lo, hi = boot.rank_quantiles()
    got = sandwich.boards.filter(pl.col("component") == 1).sort("model")
    order = np.argsort(boot.models)
    assert got["rank_q025"].to_list() == lo[order].tolist() and got["rank_q975"].to_list() == hi[order].tolist()


@settings(max_examples=300, deadline=None)
@given(
    k=st.integers(0, 40),
    edges=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=80),
)
def test_graph_components_equal_scipys(k: int, edges: list[tuple[int, int]]) -> None:
    """The numpy component labels (the ratings import no scipy at start-up) are scipy's, group for group and
    number for number; the numpy strong-connectivity check agrees with scipy's strong components."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from arenavotes.ratings.counts import PairCounts
    from arenavotes.ratings.graph import connected_labels, strongly_connected

    pairs = sorted({(min(a, b), max(a, b)) for a, b in edges if a < k and b < k and a != b})
    i = np.array([p[0] for p in pairs], dtype=np.int64)
    j = np.array([p[1] for p in pairs], dtype=np.int64)
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(k, k))
    assert connected_labels(i, j, k).tolist() == connected_components(graph, directed=False)[1].tolist()
    # directed "beat" edges: a win one way, the other, or both, from the edge's parity
    win_i = np.array([float(a % 2 == 0 or (a + b) % 3 == 0) for a, b in pairs])
    win_j = np.array([float(a % 2 == 1 or (a + b) % 3 == 0) for a, b in pairs])
    zeros = np.zeros(len(pairs))
    c = PairCounts(tuple(f"m{x:02d}" for x in range(k)), i, j, win_i, win_j, zeros, zeros)
    rows = np.concatenate([i[win_i > 0], j[win_j > 0]])
    cols = np.concatenate([j[win_i > 0], i[win_j > 0]])
    n_strong = connected_components(coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(k, k)), connection="strong")[
        0
    ]
    assert strongly_connected(c) == (n_strong <= 1)
