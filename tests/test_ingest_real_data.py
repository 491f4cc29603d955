"""Known-answer tests: the bundled real logs ingest with counts that an independent reading confirms."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest
from conftest import DATA, KEY, SHARED

from arenavotes.errors import UserError
from arenavotes.ingest import ingest_file

CANON = {
    "model_a": "model_a",
    "model_b": "model_b",
    "tie": "tie",
    "both_bad": "tie_bothbad",
    "tie (bothbad)": "tie_bothbad",
    "left": "model_a",
    "right": "model_b",
}


def _winners(con, source: str) -> dict[str, int]:
    return dict(con.execute("SELECT winner, count(*) FROM battles WHERE source = ? GROUP BY 1", [source]).fetchall())


def _lines(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_lmarena_140k(con) -> None:
    path = DATA / "lmarena-140k" / "battles.parquet"
    r = ingest_file(con, path, key=KEY, source="lmarena-140k")
    src = pl.read_parquet(path)
    valid = src.filter(pl.col("model_a") != pl.col("model_b"))
    assert (r.format, r.rows_in, r.kept, r.quarantined) == ("arena-hf", 135_634, valid.height, {"same_model": 10})
    expected = valid.group_by(pl.col("winner").replace_strict(CANON)).len()
    assert _winners(con, "lmarena-140k") == dict(expected.iter_rows())
    # source labels: hard prompt = at least 6 of the 7 criteria (computed here independently with Polars)
    crit = valid.select(pl.col("id"), pl.col("category_tag").struct.field("criteria_v0.1").alias("c")).unnest("c")
    hard = crit.select(pl.sum_horizontal(pl.exclude("id").cast(pl.Int32)) >= 6).to_series().sum()
    got = con.sql("SELECT count(*) FROM prompt_labels WHERE category = 'hard_prompt' AND value").fetchall()[0][0]
    assert got == hard
    labels = dict(con.sql("SELECT category, count(*) FILTER (WHERE value) FROM prompt_labels GROUP BY 1").fetchall())
    tag = valid.select(pl.col("category_tag").struct.unnest())
    assert labels["math"] == tag["math_v0.1"].struct.field("math").sum()
    assert labels["creative_writing"] == tag["creative_writing_v0.1"].struct.field("creative_writing").sum()
    assert labels["instruction_following"] == tag["if_v0.1"].struct.field("if").sum()
    assert con.sql("SELECT bool_and(labeler = 'source/lmarena-140k') FROM prompt_labels").fetchall()[0][0]
    # the 2 rows without an if score keep their label but have no score
    nulls = con.sql(
        "SELECT count(*) FROM prompt_labels WHERE category = 'instruction_following' AND score IS NULL"
    ).fetchall()[0][0]
    assert nulls == tag.filter(pl.col("if_v0.1").struct.field("score").is_null()).height


def test_genai_arena_clean_battle(con) -> None:
    path = DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz"
    r = ingest_file(con, path, key=KEY)
    raw = json.loads(gzip.decompress(path.read_bytes()))
    valid = [b for b in raw if b["model_a"] != b["model_b"]]
    assert (r.format, r.rows_in, r.kept, r.quarantined) == (
        "genai-arena",  # FastChat's clean_battle shape, recognised by its imagenhub_* models
        2061,
        len(valid),
        {"same_model": 1},
    )
    expected: dict[str, int] = {}
    for b in valid:
        expected[CANON[b["winner"]]] = expected.get(CANON[b["winner"]], 0) + 1
    assert _winners(con, r.source) == expected
    anony = con.sql(
        "SELECT count(*) FILTER (WHERE anony), count(DISTINCT voter_id), min(tstamp), max(tstamp) FROM battles"
    ).fetchall()[0]
    assert anony[0] == sum(b["anony"] for b in valid)
    assert anony[1] == 1  # every vote came from one (local) voter
    assert anony[2].timestamp() == pytest.approx(min(b["tstamp"] for b in valid))
    assert anony[3].timestamp() == pytest.approx(max(b["tstamp"] for b in valid))
    # each battle carries its arena kind: the *_edition models are image editing, the rest generation
    kinds = dict(con.sql("SELECT arena, count(*) FROM battles GROUP BY 1").fetchall())
    edits = sum(b["model_a"].endswith("_edition") for b in valid)
    assert kinds == {"image-edit": edits, "text-to-image": len(valid) - edits}
    assert all(b["model_a"].endswith("_edition") == b["model_b"].endswith("_edition") for b in valid)


def test_arena_conversations_100(con) -> None:
    path = DATA / "arena-conversations-100" / "conversations.jsonl.gz"
    rows = _lines(path)
    r = ingest_file(con, path, key=KEY)
    assert (r.format, r.rows_in, r.kept, r.quarantined) == ("arena-hf", 100, 100, {})
    assert con.sql("SELECT count(DISTINCT language) FROM battles").fetchall()[0][0] == 15
    # every message is kept, in order, on its side
    assert r.messages == sum(len(x["conversation_a"]) + len(x["conversation_b"]) for x in rows)
    first = rows[0]
    got = con.execute(
        "SELECT role, content FROM conversations WHERE battle_id = ? AND side = 'b' ORDER BY turn, role DESC",
        [f"{r.source}:{first['question_id']}"],
    ).fetchall()
    assert got == [(m["role"], m["content"]) for m in first["conversation_b"]]
    turns = dict(con.sql("SELECT source_id, turns FROM battles").fetchall())
    assert all(turns[x["question_id"]] == x["turn"] for x in rows)
    coding = con.sql("SELECT count(*) FROM prompt_labels WHERE category = 'coding' AND value").fetchall()[0][0]
    assert coding == sum(x["is_code"] for x in rows)
    # style features exist for both sides of every battle (all have answers)
    assert con.sql("SELECT count(*) FROM battles WHERE tokens_a IS NULL OR tokens_b IS NULL").fetchall()[0][0] == 0


def test_battles_with_prompts(con) -> None:
    path = DATA / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz"
    rows = _lines(path)
    r = ingest_file(con, path, key=KEY)
    assert (r.format, r.rows_in, r.kept) == ("arena-battles-with-prompts", 1135, 1135)
    assert _winners(con, r.source)["tie_bothbad"] == sum(x["winner"] == "tie (bothbad)" for x in rows)
    assert r.messages == sum(len(x["turns"]) for x in rows)
    assert con.sql("SELECT count(DISTINCT side) FROM conversations").fetchall() == [(1,)]
    judges = con.sql("SELECT count(DISTINCT voter_id) FROM battles").fetchall()[0][0]
    assert judges == len({x["judge"] for x in rows})


def test_chatbot_arena_33k_votes(con) -> None:
    path = DATA / "chatbot-arena-33k-votes" / "human.jsonl.gz"
    rows = _lines(path)
    r = ingest_file(con, path, key=KEY)
    assert (r.format, r.rows_in, r.kept, r.quarantined) == ("arena-votes-33k", 26_919, 26_919, {})
    expected: dict[str, int] = {}
    for x in rows:
        expected[CANON[x["winner"]]] = expected.get(CANON[x["winner"]], 0) + 1
    assert _winners(con, r.source) == expected


def test_llmfao_csv(con) -> None:
    path = DATA / "llmfao" / "crowd-comparisons.csv.gz"
    src = pl.read_csv(path)
    r = ingest_file(con, path, key=KEY)
    assert (r.format, r.rows_in, r.kept, r.quarantined) == ("llmfao", 8931, 8931, {})
    assert _winners(con, r.source) == {CANON[w]: n for w, n in src.group_by("winner").len().iter_rows()}
    assert con.sql("SELECT count(DISTINCT voter_id) FROM battles").fetchall()[0][0] == src["worker"].n_unique()
    # the model names come from the left/right columns
    pair = con.sql("SELECT model_a, model_b FROM battles ORDER BY battle_id LIMIT 1").fetchall()[0]
    assert set(pair) <= set(src["left"]) | set(src["right"])


def _shared_files() -> list[Path]:
    if not SHARED.exists():
        return []
    return sorted(p for p in SHARED.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl", ".csv", ".parquet"))


VOTE_LOGS = {
    "lmarena-140k",
    "genai-arena-20240220",
    "arena-conversations-100",
    "arena-battles-2023-text",
    "chatbot-arena-33k-votes",
    "llmfao/crowd-comparisons.csv",
    "llmfao/gpt3-crowd-comparisons.csv",
    "llmfao/gpt4-crowd-comparisons.csv",
}


def _independent_record_count(path: Path) -> int:
    if path.suffix == ".parquet":
        return pl.read_parquet(path).height
    if path.suffix == ".csv":
        return pl.read_csv(path).height
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return len(json.loads(text))
    return sum(1 for line in text.splitlines() if line.strip())


@pytest.mark.parametrize("path", _shared_files(), ids=lambda p: str(p.relative_to(SHARED)))
def test_every_shared_file_reconciles_or_is_refused_clearly(con, path: Path) -> None:
    """Every vote log in ../shared/data ingests with records = kept + quarantined; other files
    (questions, model answers, PII tests) are refused with a one-line error naming the keys."""
    rel = str(path.relative_to(SHARED))
    if rel.split("/")[0] in VOTE_LOGS or rel in VOTE_LOGS:
        r = ingest_file(con, path, key=KEY)
        assert r.rows_in == _independent_record_count(path)
        assert r.rows_in == r.kept + r.quarantined_total
        db_kept = con.execute("SELECT count(*) FROM battles WHERE source = ?", [r.source]).fetchall()[0][0]
        db_quar = con.execute("SELECT count(*) FROM quarantine WHERE source = ?", [r.source]).fetchall()[0][0]
        assert (db_kept, db_quar) == (r.kept, r.quarantined_total)
        run = con.sql("SELECT rows_in, rows_out FROM runs ORDER BY finished DESC LIMIT 1").fetchall()[0]
        assert run == (r.rows_in, r.kept)
    else:
        with pytest.raises(UserError, match="no known format has the keys"):
            ingest_file(con, path, key=KEY)
