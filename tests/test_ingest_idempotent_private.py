"""Re-ingest is a no-op, sources never collide, and raw voter ids never reach a table."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import DATA, KEY, TEST_DATA

from arenavotes import db
from arenavotes.errors import UserError
from arenavotes.ingest import ingest_file
from arenavotes.privacy import load_secret
from arenavotes.workspace import Workspace

TABLES = ("battles", "conversations", "quarantine", "prompt_labels", "sources")


def _fingerprint(con) -> dict[str, object]:
    return {t: con.sql(f"SELECT count(*), sum(hash(t)) FROM {t} AS t").fetchall()[0] for t in TABLES}


def test_reingest_changes_nothing(con) -> None:
    files = [
        DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz",
        DATA / "arena-conversations-100" / "conversations.jsonl.gz",
    ]
    for f in files:
        ingest_file(con, f, key=KEY)
    before = _fingerprint(con)
    for f in files:
        assert ingest_file(con, f, key=KEY).status == "unchanged"
    assert _fingerprint(con) == before


def test_battle_ids_are_stable_across_workspaces_with_the_same_key(tmp_path: Path) -> None:
    f = DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz"
    ids = []
    for _ in range(2):
        con = db.connect(None)
        ingest_file(con, f, key=KEY)
        ids.append(con.sql("SELECT list(battle_id ORDER BY battle_id) FROM battles").fetchall()[0][0])
    assert ids[0] == ids[1] and len(set(ids[0])) == 2060


def test_overlapping_ids_from_two_sources_do_not_collide(con, tmp_path: Path) -> None:
    for name, winner in (("one", "model_a"), ("two", "model_b")):  # same ids, different files
        rec = {"num": 1, "model_a": "a", "model_b": "b", "winner": winner}
        (tmp_path / f"{name}.jsonl").write_text(json.dumps(rec) + "\n")
        ingest_file(con, tmp_path / f"{name}.jsonl", key=KEY)
    assert con.sql("SELECT battle_id FROM battles ORDER BY 1").fetchall() == [("one:1",), ("two:1",)]


def test_changed_file_needs_replace(con, tmp_path: Path) -> None:
    p = tmp_path / "v.jsonl"
    p.write_text(json.dumps({"num": 1, "model_a": "a", "model_b": "b", "winner": "model_a"}) + "\n")
    ingest_file(con, p, key=KEY)
    p.write_text(json.dumps({"num": 1, "model_a": "a", "model_b": "b", "winner": "model_b"}) + "\n")
    with pytest.raises(UserError, match="--replace"):
        ingest_file(con, p, key=KEY)
    assert ingest_file(con, p, key=KEY, replace=True).status == "replaced"
    assert con.sql("SELECT winner FROM battles").fetchall() == [("model_b",)]
    assert con.sql("SELECT count(*) FROM sources").fetchall() == [(1,)]


def _all_text(con) -> str:
    parts = []
    for (table,) in con.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
    ).fetchall():
        parts.append(
            con.sql(f"SELECT coalesce(string_agg(CAST(t AS VARCHAR), '|'), '') FROM {table} AS t").fetchall()[0][0]
        )
    return "\n".join(parts)


def test_raw_voter_ids_and_ips_never_reach_a_table(con, tmp_path: Path) -> None:
    rows = [
        json.loads(x)
        for x in gzip.decompress(
            (DATA / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz").read_bytes()
        ).splitlines()
    ]
    # make one record fail so that its raw text lands in quarantine too
    rows[0]["winner"] = "unknown"
    src = tmp_path / "bwp.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows))
    ingest_file(con, src, key=KEY)
    ingest_file(con, TEST_DATA / "fastchat" / "2024-02-20-conv.json", key=KEY)
    ingest_file(con, DATA / "llmfao" / "crowd-comparisons.csv.gz", key=KEY)
    text = _all_text(con)
    judges = {r["judge"] for r in rows}
    assert judges and not any(j in text for j in judges)
    assert "203.0.113." not in text and "198.51.100." not in text
    assert "unknown" in text  # the quarantined record is there, redacted


def test_secret_file_is_private_and_env_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("ARENAVOTES_SECRET", raising=False)
    ws = Workspace.init(tmp_path / "ws")
    key = ws.secret()
    path = ws.path / ".arenavotes-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ws.secret() == key  # generated once
    monkeypatch.setenv("ARENAVOTES_SECRET", "from-env")
    assert load_secret(ws.path) == b"from-env"
    assert "arenavotes-secret" in (ws.path / ".gitignore").read_text()


def test_workspace_file_copy_gives_same_pseudonyms(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("ARENAVOTES_SECRET", raising=False)
    a = Workspace.init(tmp_path / "a")
    key = a.secret()
    shutil.copytree(a.path, tmp_path / "b")
    assert Workspace.open(tmp_path / "b").secret() == key
    os.chmod(tmp_path / "b" / ".arenavotes-secret", 0o600)


def test_the_same_file_under_a_second_source_is_refused(tmp_path: Path) -> None:
    """Reproducer: ingesting one file as 'a' and again as 'b' silently doubled its votes."""
    p = tmp_path / "v.jsonl"
    p.write_text('{"num": 1, "model_a": "x", "model_b": "y", "winner": "model_a"}\n')
    con = db.connect(None)
    ingest_file(con, p, key=b"k", source="a")
    with pytest.raises(UserError, match="already ingested as source 'a'"):
        ingest_file(con, p, key=b"k", source="b")
    assert ingest_file(con, p, key=b"k", source="b", allow_same_file=True).kept == 1
