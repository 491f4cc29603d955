"""Voter pseudonyms computed in DuckDB (privacy.hmac_sql) are Python's HMAC-SHA256, bit for bit: for any id
and any key length, through ingest (with FastChat's ``arena_user_`` prefix stripped) and in a release."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
from conftest import KEY
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes.ingest import ingest_file
from arenavotes.privacy import hmac_params, hmac_sql, pseudonym

# DuckDB text is UTF-8: ids without lone surrogates (which no file's text can hold either)
ids = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=60, deadline=None)
@given(raw=st.lists(ids, min_size=1, max_size=20), key=st.binary(min_size=0, max_size=150))
def test_sql_hmac_equals_python_for_any_id_and_key(raw: list[str], key: bytes) -> None:
    con = duckdb.connect()
    con.register("_a", pa.table({"raw": pa.array(raw, pa.string())}))
    got = con.execute(f"SELECT raw, {hmac_sql('raw')} FROM _a", hmac_params(key)).fetchall()
    assert got == [(r, pseudonym(r, key)) for r in raw]
    assert con.execute(f"SELECT {hmac_sql('NULL::VARCHAR')}", hmac_params(key)).fetchall() == [(None,)]


def test_ingest_strips_the_prefix_and_keys_each_voter(con, tmp_path: Path) -> None:
    judges = ["arena_user_203.0.113.5", "arena_user_é😀", "bob", "arena_user_arena_user_x", " arena_user_7 "]
    rows = [
        {"model_a": "a", "model_b": "b", "winner": "model_a", "judge": j, "tstamp": 1.7e9 + i, "question_id": f"q{i}"}
        for i, j in enumerate(judges)
    ]
    path = tmp_path / "clean_battle_20240220.json"
    path.write_text(json.dumps(rows))
    r = ingest_file(con, path, key=KEY)
    assert r.format == "fastchat-clean-battle" and r.kept == len(judges)
    got = [v for (v,) in con.sql("SELECT voter_id FROM battles ORDER BY tstamp").fetchall()]
    # ids are trimmed (av_id), then FastChat's prefix is removed once, as str.removeprefix does
    assert got == [pseudonym(j.strip().removeprefix("arena_user_"), KEY) for j in judges]
