"""The voter's old name ("judge") and --name keep working: settings, options, --map and old workspaces."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import run

from arenavotes import db
from arenavotes.config import RatingsSettings
from arenavotes.errors import UserError
from arenavotes.ratings.core import RatingParams


def _votes(path: Path) -> Path:
    rows = [
        {"left": a, "right": b, "winner": w, "worker": f"w{i % 7}"}
        for i, (a, b, w) in enumerate(
            [
                ("m1", "m2", "model_a"),
                ("m2", "m3", "model_b"),
                ("m1", "m3", "model_b"),
                ("m2", "m1", "model_a"),
                ("m3", "m1", "tie"),
            ]
            * 30
        )
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_old_cluster_unit_name_means_the_voter() -> None:
    assert RatingsSettings(cluster_by="judge").cluster_by == "voter"  # type: ignore[arg-type]
    assert RatingParams(cluster_by="judge").cluster_by == "voter"  # type: ignore[arg-type]


def test_old_spellings_on_the_command_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert run("init", str(ws)).returncode == 0
    r = run(
        "ingest",
        "-w",
        str(ws),
        str(_votes(tmp_path / "v.jsonl")),
        "--map",
        "model_a=left",
        "--map",
        "model_b=right",
        "--map",
        "judge=worker",
    )
    assert r.returncode == 0, r.stderr
    voters = run("sql", "-w", str(ws), "select count(distinct voter_id) from battles", "--format", "csv")
    assert voters.stdout.splitlines()[1] == "7"
    assert run("dedup", "-w", str(ws)).returncode == 0
    r = run(
        "rate",
        "-w",
        str(ws),
        "--all-sources",
        "--name",
        "old",
        "--ci",
        "cluster",
        "--cluster-by",
        "judge",
        "--rounds",
        "20",
        "--no-style",
    )
    assert r.returncode == 0, r.stderr
    board = json.loads(run("leaderboard", "-w", str(ws), "--name", "old", "--format", "json").stdout)
    assert {b["model"] for b in board} == {"m1", "m2", "m3"}
    params = run(
        "sql", "-w", str(ws), "select distinct params from leaderboards where scope = 'old'", "--format", "json"
    )
    assert json.loads(json.loads(params.stdout)[0]["params"])["cluster_by"] == "voter"
    bad = run("rate", "-w", str(ws), "--all-sources", "--cluster-by", "session")
    assert bad.returncode == 2 and "voter" in bad.stderr


def test_a_workspace_with_the_old_column_is_renamed_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "arena.duckdb"
    db.connect(path).close()
    raw = duckdb.connect(str(path))
    raw.execute("DROP TABLE workspace_schema")  # as an older version left it: no schema fingerprint
    raw.execute("ALTER TABLE battles RENAME COLUMN voter_id TO judge_id")
    raw.execute(
        "INSERT INTO battles (battle_id, source, model_a, model_b, winner, judge_id) "
        "VALUES ('b1', 's', 'x', 'y', 'model_a', 'v1')"
    )
    raw.close()
    ro = db.connect(path, read_only=True)  # a read-only first open renames too
    assert ro.sql("select voter_id from battles").fetchall() == [("v1",)]
    ro.close()


def test_old_labeler_names_are_renamed_when_a_workspace_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "arena.duckdb"
    db.connect(path).close()
    raw = duckdb.connect(str(path))
    raw.execute("DROP TABLE workspace_schema")  # as an older version left it: no schema fingerprint
    raw.execute(
        "INSERT INTO prompt_labels VALUES ('b1', 'arenavotes:rules@1', 'math', true, NULL), "
        "('b1', 'source:lmarena-140k', 'math', true, NULL), ('b1', 'judge:m/x:creative_writing@1', 'x', "
        "false, NULL)"
    )
    raw.close()
    ro = db.connect(path, read_only=True)
    assert sorted(r[0] for r in ro.sql("select labeler from prompt_labels").fetchall()) == [
        "judge/m/x:creative_writing@1",
        "offline/rules@1",
        "source/lmarena-140k",
    ]
    ro.close()


def test_a_workspace_checked_by_this_version_is_not_checked_again_and_another_version_checks_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schema fingerprint skips the migrations and the column check only for the version that stored it."""
    path = tmp_path / "arena.duckdb"
    db.connect(path).close()
    checked: list[int] = []
    real_check = db.check_columns
    monkeypatch.setattr(db, "check_columns", lambda con: checked.append(1) or real_check(con))
    db.connect(path).close()
    db.connect(path, read_only=True).close()
    assert checked == []
    raw = duckdb.connect(str(path))
    raw.execute("UPDATE workspace_schema SET fingerprint = 'another version'")
    raw.execute("ALTER TABLE battles DROP COLUMN tokens_a")  # what that version's schema lacks
    raw.close()
    with pytest.raises(UserError, match="older arenavotes"):
        db.connect(path)
    assert checked == [1]
