"""``rate`` loads its battles lean (no ids, Categoricals, categories as bits of mask columns): the boards must be
those of the plain path (battle ids and labels as strings) whatever the filters and however many categories."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes import db
from arenavotes.ratings import leaderboard as lb
from arenavotes.ratings import store
from arenavotes.ratings.params import RatingParams
from arenavotes.vocab import WINNERS


def _workspace(seed: int, n: int, n_cats: int, styled: bool):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    models = [f"model-{m}" for m in range(6)]
    a = rng.integers(0, 6, n)
    b = (a + rng.integers(1, 6, n)) % 6
    battles = pl.DataFrame(
        {
            "battle_id": [f"s{n % 2}:{i:05d}" for i in rng.permutation(n)],  # not in insertion order
            "source": [f"s{i % 2}" for i in range(n)],
            "tstamp": pl.Series(rng.integers(0, 40, n) * 86_400_000_000, dtype=pl.Datetime("us", "UTC")),
            "model_a": [models[x] for x in a],
            "model_b": [models[x] for x in b],
            "winner": [WINNERS[x] for x in rng.integers(0, 4, n)],
            "voter_id": [None if x == 0 else f"v{x}" for x in rng.integers(0, 30, n)],
            "anony": rng.random(n) < 0.8,
            "tokens_a": pl.Series(rng.integers(10, 500, n) if styled else [None] * n, dtype=pl.Int32),
            "tokens_b": pl.Series(rng.integers(10, 500, n) if styled else [None] * n, dtype=pl.Int32),
        }
    )
    labels = pl.DataFrame(
        {
            "battle_id": np.repeat(battles["battle_id"].to_numpy(), 3),
            "labeler": [f"lab{x % 2}" for x in range(3 * n)],
            "category": [f"cat{x:03d}" for x in rng.integers(0, n_cats, 3 * n)],
            "value": rng.random(3 * n) < 0.7,
        }
    ).unique(["battle_id", "labeler", "category"], keep="first", maintain_order=True)
    flags = pl.DataFrame({"battle_id": battles["battle_id"].sample(n // 10, seed=seed), "flag": "duplicate_vote"})
    con = db.connect(None)
    db.register_arrow(con, "_b", battles.to_arrow())
    con.execute("INSERT INTO battles BY NAME SELECT * FROM _b")
    db.register_arrow(con, "_l", labels.to_arrow())
    con.execute("INSERT INTO prompt_labels BY NAME SELECT * FROM _l")
    db.register_arrow(con, "_f", flags.to_arrow())
    con.execute("INSERT INTO flags BY NAME SELECT *, 'test@1' AS detector, 'test' AS reason, 'r' AS run_id FROM _f")
    return con


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_cats=st.sampled_from([1, 5, 70]),  # 70 categories x 2 labelers: three 64-bit mask columns
    styled=st.booleans(),
    anony_only=st.booleans(),
    exclude=st.booleans(),
    since=st.sampled_from([None, "1970-01-10"]),
)
def test_lean_input_gives_the_boards_of_ids_and_labels(
    seed: int, n_cats: int, styled: bool, anony_only: bool, exclude: bool, since: str | None
) -> None:
    con = _workspace(seed, 900, n_cats, styled)
    pick = {
        "anony_only": anony_only,
        "exclude_flags": ["duplicate_vote"] if exclude else [],
        "since": since,
    }
    plain = store.load_battles(con, ["s0", "s1"], **pick)  # type: ignore[arg-type]
    labels = store.load_labels(con, ["s0", "s1"])
    lean, cats, names = store.load_rating_input(con, ["s0", "s1"], **pick)  # type: ignore[arg-type]
    assert lean.height == plain.height
    assert ("tokens_a" in lean.columns) == styled  # columns null in every battle are left out
    assert "battle_id" not in lean.columns and lean.schema["voter_id"] == pl.UInt32
    # voter codes follow the ids' order, and turn back into the very ids of each battle
    assert names is not None
    assert names(lean["voter_id"].drop_nulls().to_list()) == plain["voter_id"].drop_nulls().to_list()
    ids = sorted(set(plain["voter_id"].drop_nulls().to_list()))
    assert names(list(range(len(ids)))) == ids
    assert cats.height == labels.select("labeler", "category").n_unique()
    params = RatingParams(ci="sandwich")
    kw = {"min_battles": 5, "min_category_battles": 20, "style": False}
    want = lb.build(plain, labels, params, **kw)  # type: ignore[arg-type]
    got = lb.build(lean, cats, params, voter_names=names, **kw)  # type: ignore[arg-type]
    order = ["labeler", "category", "component", "model"]
    w, g = want.boards.sort(order), got.boards.sort(order)
    assert w.drop("loo_max_change", "online_elo").equals(g.drop("loo_max_change", "online_elo"))
    assert np.allclose(w["online_elo"].to_numpy(), g["online_elo"].to_numpy(), equal_nan=True)
    assert np.allclose(w["loo_max_change"].to_numpy(), g["loo_max_change"].to_numpy(), atol=1e-9, equal_nan=True)
    assert want.skipped == got.skipped
    ws, gs = want.stats.sort("labeler", "category", "component"), got.stats.sort("labeler", "category", "component")
    assert ws.drop("kendall_tau_vs_overall", "loo_max_change").equals(
        gs.drop("kendall_tau_vs_overall", "loo_max_change")
    )


def test_lean_input_of_nothing_and_without_categories() -> None:
    con = _workspace(1, 200, 3, False)
    b, cats, _ = store.load_rating_input(con, ["s0"], labels=False)
    assert b.height == 100 and cats.height == 0 and not [c for c in b.columns if c.startswith("_labels")]
    b, cats, _ = store.load_rating_input(con, ["nope"])
    assert b.height == 0 and cats.height == 0


def test_lean_input_takes_category_names_as_data() -> None:
    """Category and labeler names reach the query as parameters: quotes and SQL in them are just names."""
    con = _workspace(2, 300, 2, False)
    con.execute("UPDATE prompt_labels SET category = 'x''); DROP TABLE battles; --' WHERE category = 'cat000'")
    b, cats, _ = store.load_rating_input(con, ["s0", "s1"])
    assert "x'); DROP TABLE battles; --" in cats["category"].to_list()
    assert con.sql("SELECT count(*) FROM battles").fetchall()[0][0] == 300
    bit = cats.filter(pl.col("category") == "x'); DROP TABLE battles; --").row(0, named=True)
    marked = b.filter((pl.col(bit["column"]) & pl.lit(1 << bit["bit"], pl.UInt64)) != 0).height
    want = con.sql(
        "SELECT count(DISTINCT battle_id) FROM prompt_labels WHERE value AND category = ? AND labeler = ?",
        params=[bit["category"], bit["labeler"]],
    ).fetchall()[0][0]
    assert marked == want > 0


@pytest.mark.parametrize("rows", [1, 7])
def test_lean_input_is_the_same_in_any_batch_size(monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    con = _workspace(3, 400, 4, True)
    whole = store.load_rating_input(con, ["s0", "s1"]).battles
    monkeypatch.setattr(db, "FRAME_BATCH_ROWS", rows)
    parts = store.load_rating_input(con, ["s0", "s1"]).battles
    assert parts.with_columns(pl.col(pl.Categorical).cast(pl.String)).equals(
        whole.with_columns(pl.col(pl.Categorical).cast(pl.String))
    )
