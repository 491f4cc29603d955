"""Battle ids are unique across a workspace without a key index on ``battles``.

The id is ``<source>:<id in the source>`` (or ``<source>:h<hash>`` for a record without an id). The table has no
primary key (DuckDB holds a key's index whole and cannot evict it, so an ingest's memory grew with N); these
tests try the ways an input could still make two battles share an id, and open a workspace made with the key.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from conftest import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arenavotes import db
from arenavotes.ingest import ingest_file


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _vote(i: int, **extra: object) -> dict[str, object]:
    return {"model_a": f"m{i % 3}", "model_b": f"m{i % 3 + 1}", "winner": "model_a", **extra}


def _ids(ws: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(ws / "arena.duckdb"), read_only=True)
    try:
        return con.sql("SELECT source, battle_id FROM battles ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_a_source_name_with_the_id_separator_is_refused(tmp_path: Path) -> None:
    """Source 'a' with id 'b:c' and source 'a:b' with id 'c' would share 'a:b:c'."""
    ws = tmp_path / "ws"
    assert run("init", str(ws)).returncode == 0
    one = _write(tmp_path / "one.jsonl", [_vote(1, question_id="b:c")])
    two = _write(tmp_path / "two.jsonl", [_vote(2, question_id="c")])
    assert run("ingest", "-w", str(ws), str(one), "--source", "a").returncode == 0
    r = run("ingest", "-w", str(ws), str(two), "--source", "a:b")
    assert r.returncode == 2, r.stderr
    assert "source name 'a:b' contains ':'" in r.stderr and "Traceback" not in r.stderr
    assert _ids(ws) == [("a", "a:b:c")]


def test_an_id_equal_to_a_hash_id_is_a_user_error_and_nothing_lands(tmp_path: Path) -> None:
    """A record whose own id is the hash id of a record without one: clear error, the old source intact."""
    ws = tmp_path / "ws"
    assert run("init", str(ws)).returncode == 0
    first = _write(tmp_path / "first.jsonl", [_vote(1)])
    assert run("ingest", "-w", str(ws), str(first), "--source", "s").returncode == 0
    ((_, hashed),) = _ids(ws)
    assert hashed.startswith("s:h")
    forged = _write(tmp_path / "forged.jsonl", [_vote(1), _vote(2, question_id=hashed.removeprefix("s:"))])
    r = run("ingest", "-w", str(ws), str(forged), "--source", "s", "--replace")
    assert r.returncode == 2, r.stderr
    assert f"battle id '{hashed}' would be given to 2 records" in r.stderr and "Traceback" not in r.stderr
    assert _ids(ws) == [("s", hashed)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(st.one_of(st.none(), st.sampled_from(["1", "2", "x", "h0", "01"])), min_size=1, max_size=30),
    batch=st.integers(1, 7),
)
def test_ids_stay_unique_whatever_repeats_across_batches(tmp_path: Path, ids: list[str | None], batch: int) -> None:
    """Repeated ids (quarantined as duplicate_id) and identical records without ids (numbered copies), read in
    batches of any size: every kept battle has its own id, and every record is kept or quarantined."""
    from unittest import mock

    from arenavotes.ingest import containers

    path = _write(
        tmp_path / f"v{batch}.jsonl",
        [_vote(0) if i is None else _vote(0, question_id=i) for i in ids],
    )
    con = db.connect(None)
    with (
        mock.patch.object(containers, "BATCH_ROWS", batch),
        mock.patch.object(containers, "BATCH_BYTES", 60 * batch),
        mock.patch.object(containers, "PROBE_LINES", 1),
    ):
        report = ingest_file(con, path, key=b"k" * 32, source="s", replace=True)
    (n, distinct) = con.sql("SELECT count(*), count(DISTINCT battle_id) FROM battles").fetchall()[0]
    assert n == distinct == report.kept
    assert report.rows_in == len(ids) == report.kept + report.quarantined_total
    assert report.kept == len({i for i in ids if i is not None}) + ids.count(None)


def test_a_workspace_with_the_old_battles_key_loses_the_key_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "arena.duckdb"
    db.connect(path).close()
    raw = duckdb.connect(str(path))
    raw.execute("DROP TABLE workspace_schema")  # as an older version left it: no schema fingerprint
    raw.execute("DROP TABLE battles")
    raw.execute(
        "CREATE TABLE battles (battle_id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, source_id VARCHAR, "
        "tstamp TIMESTAMPTZ, model_a VARCHAR NOT NULL, model_b VARCHAR NOT NULL, winner VARCHAR NOT NULL, "
        "voter_id VARCHAR, anony BOOLEAN, language VARCHAR, turns INTEGER, tokens_a INTEGER, tokens_b INTEGER, "
        "headers_a INTEGER, headers_b INTEGER, lists_a INTEGER, lists_b INTEGER, bold_a INTEGER, bold_b INTEGER)"
    )
    raw.execute(
        "INSERT INTO battles (battle_id, source, model_a, model_b, winner) VALUES ('s:1', 's', 'x', 'y', 'tie')"
    )
    raw.close()
    ro = db.connect(path, read_only=True)  # a read-only first open migrates too
    try:
        assert ro.sql("SELECT battle_id, winner, arena, citations_a FROM battles").fetchall() == [
            ("s:1", "tie", "text", None)
        ]
        keys = ro.sql(
            "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'battles' AND constraint_type = 'PRIMARY KEY'"
        ).fetchall()
        assert keys == [(0,)]
        columns = [r[0] for r in ro.sql("SELECT column_name FROM (DESCRIBE battles)").fetchall()]
        fresh = db.connect(None)
        assert columns == [r[0] for r in fresh.sql("SELECT column_name FROM (DESCRIBE battles)").fetchall()]
    finally:
        ro.close()


def test_a_workspace_with_the_old_scrubbed_key_loses_the_key_and_keeps_its_rows(tmp_path: Path) -> None:
    """Older workspaces kept ``scrubbed.battle_id`` as a primary key, an index DuckDB holds whole (growing with
    the battles scrubbed); opening one copies the table into one without it, rows unchanged."""
    path = tmp_path / "arena.duckdb"
    db.connect(path).close()
    raw = duckdb.connect(str(path))
    raw.execute("DROP TABLE workspace_schema")  # as an older version left it: no schema fingerprint
    raw.execute("DROP TABLE scrubbed")
    raw.execute("CREATE TABLE scrubbed (battle_id VARCHAR PRIMARY KEY, run_id VARCHAR NOT NULL)")
    raw.execute("INSERT INTO scrubbed VALUES ('s:1', 'r1'), ('s:2', 'r2')")
    raw.close()
    ro = db.connect(path, read_only=True)  # a read-only first open migrates too
    try:
        assert ro.sql("SELECT * FROM scrubbed ORDER BY 1").fetchall() == [("s:1", "r1"), ("s:2", "r2")]
        keys = ro.sql(
            "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
            "AND table_name IN ('scrubbed', 'battles')"
        ).fetchall()
        assert keys == [(0,)]
        fresh = db.connect(None)
        describe = "SELECT column_name, column_type, null FROM (DESCRIBE scrubbed)"
        assert ro.sql(describe).fetchall() == fresh.sql(describe).fetchall()
    finally:
        ro.close()
