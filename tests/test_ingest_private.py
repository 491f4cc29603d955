"""Private data never rests in any table: plant voter ids, IPs and e-mails everywhere, then scan every text column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import KEY

from arenavotes import db
from arenavotes.ingest import ingest_file

SECRETS = [
    "203.0.113.9",
    "2001:db8:85a3::8a2e:370:7334",
    "voter-SECRET-77",
    "worker-SECRET-88",
    "jane.doe@example.org",
    "sess-SECRET-99",
    "198.51.100.23",
]


def _scan(con) -> list[tuple[str, str, str]]:
    """(table, column, secret) for every secret found in any text column of the workspace tables."""
    hits = []
    for table in ("quarantine", "battles", "sources", "runs", "conversations", "prompt_labels"):
        cols = [r[0] for r in con.sql(f"DESCRIBE {table}").fetchall()]
        for c in cols:
            for secret in SECRETS:
                n = con.sql(
                    f'SELECT count(*) FROM {table} WHERE strpos(CAST("{c}" AS VARCHAR), ?) > 0', params=[secret]
                ).fetchall()[0][0]
                if n:
                    hits.append((table, c, secret))
    return hits


def _rec(i: int, **kw: object) -> dict:
    return {
        "question_id": f"q{i}",
        "model_a": "alpha",
        "model_b": "beta",
        "winner": "model_a",
        "judge": "voter-SECRET-77",
        "tstamp": 1.7e9,
        "client_ip": "203.0.113.9",
        "meta": {
            "ip": "198.51.100.23",
            "user": {"email": "jane.doe@example.org"},
            "session_id": "sess-SECRET-99",
            "list": [{"remote_addr": "2001:db8:85a3::8a2e:370:7334"}],
        },
        **kw,
    }


def test_json_lines_every_private_field_is_redacted(tmp_path: Path) -> None:
    lines = [
        json.dumps(_rec(1)),  # kept
        json.dumps(_rec(2, winner="draw")),  # quarantined (raw kept, redacted)
        json.dumps(_rec(3, judge={"ip": "203.0.113.9", "id": "voter-SECRET-77"})),  # bad_type: judge is an object
        json.dumps(_rec(4, model_a="alpha")).replace('"model_b"', '"model_b":'),  # invalid_json: a reject
        json.dumps([_rec(5)]),  # not_an_object
        "garbage voter-SECRET-77 from 198.51.100.23 / 2001:db8:85a3::8a2e:370:7334 jane.doe@example.org",
        json.dumps(_rec(7, user_id="worker-SECRET-88", judge="worker-SECRET-88")),
        '{"judge": "worker-SECRET-88", "model_a": ',  # truncated: known voter id redacted
    ]
    p = tmp_path / "v.jsonl"
    p.write_text("\n".join(lines) + "\n")
    con = db.connect(None)
    r = ingest_file(con, p, key=KEY, format_name="arena-hf")
    assert r.kept == 2 and r.rows_in == 8
    assert _scan(con) == []
    detail = con.sql("SELECT detail FROM quarantine WHERE reason = 'bad_type'").fetchall()[0][0]
    assert detail == "judge: object value is not a string or an integer"
    # the judge field keeps its pseudonym in the raw record
    raw = con.sql("SELECT raw FROM quarantine WHERE row_number = 2").fetchall()[0][0]
    assert '"judge":"pseudonym:' in raw.replace(" ", "")


@pytest.mark.parametrize("container", ["csv", "json-array"])
def test_csv_and_array_rejects_are_redacted(tmp_path: Path, container: str) -> None:
    if container == "csv":
        rows = [
            "1,alpha,beta,left,worker-SECRET-88,203.0.113.9,jane.doe@example.org",
            "2,alpha,beta,left,worker-SECRET-88,198.51.100.23",  # wrong field count
            '3,"alpha,beta,left,worker-SECRET-88,203.0.113.9,x',  # unterminated quote
            "4,alpha,beta,left,worker-SECRET-88,203.0.113.9,a@b.example,extra",
        ]  # wrong field count
        text = "id,left,right,winner,worker,client_ip,email\n" + "\n".join(rows) + "\n"
        p = tmp_path / "votes.csv"
        p.write_text(text)
    else:
        recs = [json.dumps(_rec(i)) for i in range(1, 5)]
        recs[2] = recs[2].replace('"winner": "model_a"', '"winner": , ')
        p = tmp_path / "votes.json"
        p.write_text("[" + ",\n".join(recs) + "]")
    con = db.connect(None)
    r = ingest_file(con, p, key=KEY)
    assert r.kept >= 1 and r.rows_in == r.kept + r.quarantined_total
    assert _scan(con) == []
