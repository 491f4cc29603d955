"""The whole pipeline against planted secrets: nothing planted is published, nothing private rests in the
workspace, and metadata that carries PII stops the release instead of leaking through it.

Every command runs through the real entry point (``arenavotes.cli.main``), in process.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from arenavotes.cli import main

# one value of every kind the scrubber and the gate promise to catch, in the contexts that were once missed
PLANTED = {
    "email": "beatrix.lindqvist@example.org",
    "phone": "+1 (415) 555-0199",
    "ip_after_server": "198.51.100.7",
    "ip_before_stop": "10.1.2.3",
    "name_salutation": "Beatrix Lindqvist",
    "name_signoff": "Ignatius Fairbanks",
    "api_key": "sk-proj-" + "Q7fT2mXc9LpR4vZ8wNb1Yh6Ks3Dj0EaGu5",
    "card": "4539 1488 0343 6467",
    "iban": "DE89 3704 0044 0532 0130 00",
    "street": "742 Evergreen Terrace",
}
RAW_VOTER = "arena_user_203.0.113.9"
CLIENT_IP = "203.0.113.77"


def _battle(n: int, a: str, b: str, winner: str, prompt: str, answer_a: str, answer_b: str) -> dict[str, object]:
    return {
        "question_id": f"q{n}",
        "model_a": a,
        "model_b": b,
        "winner": winner,
        "judge": RAW_VOTER if n % 3 == 0 else f"arena_user_{n % 17}",
        "tstamp": 1_720_000_000 + 3600 * n,
        "anony": True,
        "language": "English",
        "turn": 1,
        "client_ip": CLIENT_IP,
        "conversation_a": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer_a}],
        "conversation_b": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer_b}],
    }


def _log(path: Path, model_a_override: str | None = None) -> Path:
    models = ["alpha-7b", "beta-13b", "gamma-70b", "delta-8x7b"]
    p = PLANTED
    prompts = [
        f"Write a reply to {p['email']} and call {p['phone']} about the outage.",
        f"Our server {p['ip_after_server']} is down; the router says IP: {p['ip_before_stop']}.",
        f"My key is {p['api_key']}; card {p['card']}; IBAN {p['iban']}. Is that safe to share?",
        f"Please format this letter for me: I live at {p['street']}, Springfield.",
        "Explain the difference between a list and a tuple in Python.",
        "What is the capital of Australia?",
    ]
    answers = [
        f"Dear {p['name_salutation']},\n\nThank you for your note.\n\nYours, {p['name_signoff']}.",
        "Sure, here is a short answer.",
        "I cannot help with sharing payment details; please keep them private.",
    ]
    rows = []
    for n in range(240):
        a, b = models[n % 4], models[(n + 1 + n // 4) % 4]
        if a == b:
            b = models[(n + 2) % 4]
        winner = ["model_a", "model_b", "tie", "tie (bothbad)"][n % 4]
        rows.append(
            _battle(
                n,
                model_a_override if (model_a_override and n == 5) else a,
                b,
                winner,
                prompts[n % len(prompts)],
                answers[n % 3],
                answers[(n + 1) % 3],
            )
        )
    # a record that is quarantined (unknown winner) but carries the same secrets
    rows.append(_battle(999, "alpha-7b", "beta-13b", "draw", prompts[0], answers[0], answers[1]))
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    return path


def _cli(*args: str) -> int:
    return main(list(args))


def _published_text(folder: Path) -> str:
    """Every value of every published file as text: parquet decoded cell by cell, the rest as UTF-8."""
    parts = []
    for f in sorted(folder.rglob("*")):
        if ".git" in f.parts or not f.is_file():
            continue
        if f.suffix == ".parquet":
            parts.append(json.dumps(pq.read_table(f).to_pylist(), default=str, ensure_ascii=False))
        else:
            parts.append(f.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    os.environ.pop("ARENAVOTES_SECRET", None)
    root = tmp_path_factory.mktemp("trust")
    ws, hub = root / "ws", root / "hub"
    log = _log(root / "planted.jsonl.gz")
    assert _cli("init", str(ws)) == 0
    assert _cli("ingest", "-w", str(ws), "--source", "planted", "--license", "cc-by-4.0", str(log)) == 0
    assert _cli("scrub", "-w", str(ws)) == 0
    assert _cli("dedup", "-w", str(ws)) == 0
    assert _cli("categorize", "-w", str(ws)) == 0
    assert _cli("rate", "-w", str(ws), "--source", "planted") == 0
    assert _cli("report", "-w", str(ws), "--source", "planted") == 0
    assert _cli("release", "-w", str(ws), "v1", "--report", "all") == 0
    assert _cli("publish", "-w", str(ws), "v1", "--to", str(hub)) == 0
    return ws, hub


def test_no_planted_value_is_published(published: tuple[Path, Path]) -> None:
    _, hub = published
    text = _published_text(hub).lower()
    assert "battles" in text and "alpha-7b" in text  # the scan reads real content
    leaked = {k: v for k, v in {**PLANTED, "raw voter": RAW_VOTER, "client ip": CLIENT_IP}.items() if v.lower() in text}
    assert not leaked, leaked


def test_no_raw_voter_id_or_ip_rests_in_the_workspace(published: tuple[Path, Path]) -> None:
    ws, _ = published
    import duckdb

    con = duckdb.connect(str(ws / "arena.duckdb"), read_only=True)
    tables = [
        t
        for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
    ]
    for t in tables:
        blob = json.dumps(con.execute(f'SELECT * FROM "{t}"').fetchall(), default=str)
        for value in (RAW_VOTER, "203.0.113.9", CLIENT_IP):
            assert value not in blob, (t, value)
    con.close()
    raw = (ws / "arena.duckdb").read_bytes()
    for value in (PLANTED["email"], PLANTED["api_key"], RAW_VOTER):  # no freed page keeps the pre-scrub text
        assert value.encode() not in raw, value
    assert (ws / "arena.duckdb").stat().st_mode & 0o077 == 0


def test_pii_in_metadata_stops_the_release(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    log = _log(tmp_path / "meta.jsonl.gz", model_a_override="contact-" + PLANTED["email"])
    assert _cli("init", str(ws)) == 0
    assert _cli("ingest", "-w", str(ws), "--source", "meta", str(log)) == 0
    assert _cli("scrub", "-w", str(ws), "--no-ner") == 0
    assert _cli("dedup", "-w", str(ws)) == 0
    assert _cli("release", "-w", str(ws), "v1", "--date", "2024-07-31") == 2
    assert not (ws / "releases" / "v1").exists()
