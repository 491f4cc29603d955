"""Formats without a real public instance here: FastChat raw logs and the 55k Kaggle shape (fixtures),
plus detection, --format and --map."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import DATA, KEY, TEST_DATA

from arenavotes.errors import UserError
from arenavotes.ingest import ingest_file
from arenavotes.ingest.formats import FORMATS, detect


def test_fastchat_conversation_log(con) -> None:
    r = ingest_file(con, TEST_DATA / "fastchat" / "2024-02-20-conv.json", key=KEY)
    assert r.format == "fastchat-conv-log"
    assert (r.rows_in, r.kept) == (8, 5)
    assert r.quarantined == {"not_a_vote": 1, "model_mismatch": 1, "invalid_json": 1}
    rows = con.sql("SELECT model_a, model_b, winner, anony, turns FROM battles ORDER BY tstamp").fetchall()
    assert rows == [
        ("gpt-4-0613", "mixtral-8x7b-instruct-v0.1", "model_a", True, 1),
        ("vicuna-13b", "claude-2.1", "model_b", True, 1),
        ("gpt-3.5-turbo-0613", "claude-2.1", "tie", False, 1),
        ("mixtral-8x7b-instruct-v0.1", "vicuna-13b", "tie_bothbad", True, 2),
        ("gpt-3.5-turbo-0613", "claude-2.1", "model_a", False, 1),  # <h3>Model A: ...</h3> names
    ]
    # roles come from position (templates name them USER/[INST]/Human...), text after the offset
    roles = con.sql("SELECT role, count(*) FROM conversations GROUP BY 1 ORDER BY 1").fetchall()
    assert roles == [("assistant", 12), ("user", 12)]
    # the same IP votes twice -> the same pseudonym; no IP anywhere
    assert con.sql("SELECT count(DISTINCT voter_id) FROM battles").fetchall()[0][0] == 4
    q = con.sql("SELECT string_agg(raw, '') FROM quarantine").fetchall()[0][0]
    assert "203.0.113" not in q and "192.0.2" not in q and "pseudonym:" in q


def _55k_csv(tmp: Path) -> Path:
    rows = [
        {
            "id": 1,
            "model_a": "gpt-4",
            "model_b": "llama-2",
            "prompt": json.dumps(["Hi", "More?"]),
            "response_a": json.dumps(["Hello", "# Sure\n- one"]),
            "response_b": json.dumps(["Yo", None]),
            "winner_model_a": 1,
            "winner_model_b": 0,
            "winner_tie": 0,
        },
        {
            "id": 2,
            "model_a": "gpt-4",
            "model_b": "llama-2",
            "prompt": json.dumps(["Q"]),
            "response_a": json.dumps(["A"]),
            "response_b": json.dumps(["B"]),
            "winner_model_a": 0,
            "winner_model_b": 0,
            "winner_tie": 1,
        },
        {
            "id": 3,
            "model_a": "gpt-4",
            "model_b": "llama-2",
            "prompt": json.dumps(["Q"]),
            "response_a": json.dumps(["A"]),
            "response_b": json.dumps(["B"]),
            "winner_model_a": 1,
            "winner_model_b": 1,
            "winner_tie": 0,
        },
    ]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    p = tmp / "train.csv"
    p.write_text(buf.getvalue())
    return p


def test_arena_55k_one_hot_winners(con, tmp_path: Path) -> None:
    r = ingest_file(con, _55k_csv(tmp_path), key=KEY)
    assert r.format == "arena-55k"
    assert (r.rows_in, r.kept, r.quarantined) == (3, 2, {"unknown_winner": 1})
    assert con.sql("SELECT detail FROM quarantine").fetchall() == [("winner 'one-hot 1/1/0' is not a known outcome",)]
    assert con.sql("SELECT source_id, winner, turns FROM battles ORDER BY 1").fetchall() == [
        ("1", "model_a", 2),
        ("2", "tie", 1),
    ]
    conv = con.sql(
        "SELECT side, turn, role, content FROM conversations WHERE battle_id = 'train:1' ORDER BY side, turn, role DESC"
    ).fetchall()
    assert conv == [
        ("a", 1, "user", "Hi"),
        ("a", 1, "assistant", "Hello"),
        ("a", 2, "user", "More?"),
        ("a", 2, "assistant", "# Sure\n- one"),
        ("b", 1, "user", "Hi"),
        ("b", 1, "assistant", "Yo"),
        ("b", 2, "user", "More?"),
        ("b", 2, "assistant", None),
    ]
    style = con.sql("SELECT headers_a, lists_a, headers_b FROM battles WHERE source_id = '1'").fetchall()
    assert style == [(1, 1, 0)]


def test_generic_with_map_and_explicit_format(con, tmp_path: Path) -> None:
    p = tmp_path / "mine.csv"
    p.write_text("vote_id,first,second,result,when\nv1,m1,m2,model_b,2024-03-01T10:00:00Z\nv2,m1,m3,tie,1709287200\n")
    with pytest.raises(UserError, match="no known format has the keys"):
        ingest_file(con, p, key=KEY)
    r = ingest_file(
        con,
        p,
        key=KEY,
        mapping={"id": "vote_id", "model_a": "first", "model_b": "second", "winner": "result", "tstamp": "when"},
    )
    assert (r.format, r.kept) == ("generic", 2)
    ts = con.sql("SELECT strftime(tstamp, '%Y-%m-%d %H:%M') FROM battles ORDER BY source_id").fetchall()
    assert ts == [("2024-03-01 10:00",), ("2024-03-01 10:00",)]
    with pytest.raises(UserError, match="unknown field 'modela'"):
        ingest_file(con, p, key=KEY, source="x", mapping={"modela": "first"})
    with pytest.raises(UserError, match="unknown format 'nope'"):
        ingest_file(con, p, key=KEY, source="y", format_name="nope")


def test_wrong_format_names_the_missing_column(con) -> None:
    with pytest.raises(UserError, match="expects a 'left' column"):
        ingest_file(con, DATA / "lmarena-140k" / "battles.parquet", key=KEY, format_name="llmfao")


def test_detection_prefers_the_most_specific_format() -> None:
    assert detect({"type", "states", "models", "ip", "tstamp"}).name == "fastchat-conv-log"
    assert detect({"id", "model_a", "model_b", "winner", "category_tag"}).name == "arena-hf"
    assert (
        detect(
            {
                "question_id",
                "model_a",
                "model_b",
                "winner",
                "judge",
                "conversation_a",
                "conversation_b",
                "turn",
                "anony",
                "language",
                "tstamp",
                "openai_moderation",
                "toxic_chat_tag",
            }
        ).name
        == "arena-hf"
    )
    assert detect({"model_a", "model_b", "winner", "judge", "anony", "tstamp"}).name == "fastchat-clean-battle"
    assert detect({"num", "question_id", "model_a", "model_b", "winner"}).name == "arena-votes-33k"
    assert detect({"id", "prompt", "model_x", "model_y", "worker", "winner", "left", "right"}).name == "llmfao"
    assert len({f.name for f in FORMATS}) == len(FORMATS)


def test_plain_prompt_columns_are_read_not_dropped(con, tmp_path: Path) -> None:
    """A log with model_a, model_b, winner and plain prompt/response columns once went to the arena-hf reader,
    which reads conversation_a/b only: its prompts and answers were dropped without a word. It is the generic
    reader's, which keeps them."""
    p = tmp_path / "votes.jsonl"
    rows = [
        {
            "model_a": "x",
            "model_b": "y",
            "winner": "model_a",
            "prompt": "Sort a list",
            "response_a": "a",
            "response_b": "b",
        },
        {"model_a": "y", "model_b": "x", "winner": "tie", "prompt": ["Hi", "Write a poem"]},
    ]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert detect({"model_a", "model_b", "winner", "prompt"}).name == "generic"
    r = ingest_file(con, p, key=KEY)
    assert (r.format, r.kept) == ("generic", 2)
    texts = con.sql("SELECT content FROM conversations ORDER BY battle_id, side, msg").fetchall()
    assert {"Sort a list", "a", "b", "Hi", "Write a poem"} <= {t for (t,) in texts}
