"""Known answers: the compatibility modes reproduce published numbers (goldens in tests/data/goldens)."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest
from conftest import DATA, KEY, TEST_DATA

from arenavotes.ingest import ingest_file
from arenavotes.ratings import RatingParams, fastchat_2024_ratings, rate

GOLD = TEST_DATA / "goldens"


def _genai_raw() -> pl.DataFrame:
    raw = json.loads(gzip.decompress((DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz").read_bytes()))
    return pl.DataFrame(raw)


def test_fastchat_2024_reproduces_genai_arena_published_leaderboard() -> None:
    raw = _genai_raw()
    gold = pl.read_csv(GOLD / "genai_arena_20240220_leaderboard.csv")
    anony = fastchat_2024_ratings(raw.filter(pl.col("anony")))
    full = fastchat_2024_ratings(raw)
    for key, ra, rf in gold.iter_rows():
        assert anony[key] == pytest.approx(ra, abs=1e-6)
        assert full[key] == pytest.approx(rf, abs=1e-6)


@pytest.mark.parametrize(("task", "suffix"), [("image_editing", "_edition"), ("t2i_generation", "_generation")])
def test_fastchat_2024_reproduces_genai_arena_per_task_tables(task: str, suffix: str) -> None:
    raw = _genai_raw()
    sub = raw.filter(pl.col("model_a").str.ends_with(suffix) & pl.col("model_b").str.ends_with(suffix)).with_columns(
        pl.col("model_a", "model_b").str.strip_prefix("imagenhub_").str.strip_suffix(suffix)
    )
    gold = pl.read_csv(GOLD / f"genai_arena_20240220_{task}.csv")
    anony, full = fastchat_2024_ratings(sub.filter(pl.col("anony"))), fastchat_2024_ratings(sub)
    for model, ra, rf in gold.iter_rows():
        assert anony[model] == pytest.approx(ra, abs=1e-6)
        assert full[model] == pytest.approx(rf, abs=1e-6)


def test_fastchat_2024_through_the_workspace(con) -> None:
    """Ingest quarantines the one self-battle; it was a named vote, so the anony board still matches."""
    r = ingest_file(con, DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz", key=KEY)
    battles = pl.from_arrow(con.sql("SELECT model_a, model_b, winner FROM battles WHERE anony").to_arrow_table())
    ratings = rate(battles, RatingParams(compat="fastchat-2024"))
    gold = dict(pl.read_csv(GOLD / "genai_arena_20240220_leaderboard.csv").select("key", "rating_anony").iter_rows())
    got = dict(zip(ratings.models, ratings.rating.tolist(), strict=True))
    assert r.quarantined == {"same_model": 1}
    assert got == pytest.approx(gold, abs=1e-6)


def _lmarena_140k() -> pl.DataFrame:
    return (
        pl.read_parquet(DATA / "lmarena-140k" / "battles.parquet")
        .filter(pl.col("model_a") != pl.col("model_b"))
        .with_columns(winner=pl.col("winner").replace({"both_bad": "tie_bothbad"}))
    )


def test_arena_rank_sandwich_on_lmarena_140k() -> None:
    r = rate(_lmarena_140k(), RatingParams(compat="arena-rank")).to_frame()
    gold = pl.read_csv(GOLD / "arena_rank_140k_sandwich_converged.csv").join(r, on="model", suffix="_ours")
    assert gold.height == 53
    assert gold.select((pl.col("rating") - pl.col("rating_ours")).abs().max()).item() < 0.01
    for col in ("ci_lower", "ci_upper"):
        assert gold.select((pl.col(col) - pl.col(f"{col}_ours")).abs().max()).item() < 0.05
    assert (gold["battles"] == gold["battles_ours"]).all()


def test_arena_rank_default_stops_early_only_for_tiny_models() -> None:
    """arena-rank's default L-BFGS stops ~0.3 points from the MLE (16 points for a model with 2 battles)."""
    r = rate(_lmarena_140k(), RatingParams(compat="arena-rank")).to_frame()
    gold = pl.read_csv(GOLD / "arena_rank_140k_sandwich_default.csv").join(r, on="model", suffix="_ours")
    diff = gold.with_columns(d=(pl.col("rating") - pl.col("rating_ours")).abs())
    assert diff.filter(pl.col("battles") >= 100)["d"].max() < 0.5
    assert diff.filter(pl.col("battles") < 100)["d"].max() > 10  # the early stop, not us


def test_evalica_bradley_terry_on_llmfao() -> None:
    b = pl.read_csv(DATA / "llmfao" / "crowd-comparisons.csv.gz").select(
        model_a="left", model_b="right", winner=pl.col("winner").replace({"left": "model_a", "right": "model_b"})
    )
    r = rate(b, RatingParams(compat="evalica"))
    assert r.scores is not None and r.scores.sum() == pytest.approx(1.0)
    scores = dict(zip(r.models, r.scores.tolist(), strict=True))
    gold = pl.read_csv(GOLD / "evalica_llmfao_bt_golden.csv")
    assert len(scores) == gold.height == 59
    for item, score in gold.iter_rows():
        assert scores[item] == pytest.approx(score, rel=1e-6)
