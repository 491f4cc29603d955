"""The CLI through its real entry point (the installed `arenavotes` script)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import DATA, EXE, run


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    w = tmp_path_factory.mktemp("cli") / "myarena"
    r = run("init", str(w))
    assert r.returncode == 0, r.stderr
    r = run(
        "ingest",
        "-w",
        str(w),
        str(DATA / "lmarena-140k" / "battles.parquet"),
        str(DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz"),
    )
    assert r.returncode == 0, r.stderr
    assert "135,634 records -> 135,624 battles, 10 quarantined (same_model 10)" in r.stdout
    assert "(genai-arena): 2,061 records -> 2,060 battles" in r.stdout
    return w


def test_quickstart_sql_formats(ws: Path) -> None:
    q = "select winner, count(*) as n from battles group by 1 order by 1"
    table = run("sql", "-w", str(ws), q)
    assert table.returncode == 0 and "tie_bothbad" in table.stdout
    csv = run("sql", "-w", str(ws), q, "--format", "csv")
    assert csv.stdout.splitlines() == ["winner,n", "model_a,49318", "model_b,50526", "tie,21659", "tie_bothbad,16181"]
    js = json.loads(run("sql", "-w", str(ws), q, "--format", "json").stdout)
    assert js[0] == {"winner": "model_a", "n": 49318}


def test_sql_is_read_only_and_errors_are_one_line(ws: Path) -> None:
    r = run("sql", "-w", str(ws), "delete from battles")
    assert r.returncode == 2 and r.stderr.startswith("arenavotes: error: SQL:") and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert run("sql", "-w", str(ws), "select count(*) from battles", "--format", "csv").stdout.split()[1] == "137684"


def test_interactive_sql(ws: Path) -> None:
    r = run("sql", "-w", str(ws), "--format", "csv", stdin="select 1 + 1\n as two;\nselect nope;\n.quit\n")
    assert r.returncode == 0 and "two\n2" in r.stdout and "error: SQL" in r.stderr


def test_status_and_formats(ws: Path) -> None:
    r = run("status", "-w", str(ws))
    assert r.returncode == 0 and "137,684 battles, 66 models" in r.stdout and "same_model" in r.stdout
    f = run("formats")
    assert "fastchat-conv-log" in f.stdout and "llmfao" in f.stdout


def test_reingest_is_reported_unchanged(ws: Path) -> None:
    r = run("ingest", "-w", str(ws), str(DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz"))
    assert r.returncode == 0 and "unchanged, skipped" in r.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("ingest", "does-not-exist.json"), "does-not-exist.json: no such file (check the path)"),
        (("ingest", "--format", "nope", "x.json"), "unknown format 'nope'"),
        (("ingest", "--map", "model_a", "x.json"), "--map model_a: expected FIELD=COLUMN"),
        (("sql", "-w", "no-such-workspace", "select 1"), "not an arenavotes workspace"),
    ],
)
def test_user_errors_exit_2_without_traceback(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2, r
    assert needle in r.stderr and "Traceback" not in r.stderr


def test_unreadable_format_names_file(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello world")
    r = run("ingest", str(bad), cwd=tmp_path)
    assert r.returncode == 2 and "notes.txt: cannot tell the file's format" in r.stderr
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    r = run("ingest", str(broken), cwd=tmp_path)
    assert r.returncode == 2 and "broken.parquet: not a readable parquet file" in r.stderr


def test_help_lists_commands_with_examples() -> None:
    r = run("--help")
    assert r.returncode == 0 and "ingest" in r.stdout and "arenavotes init myarena" in r.stdout
    assert "Example" in run("ingest", "--help").stdout


def test_running_out_of_memory_is_one_line_with_the_fix_and_writes_nothing(tmp_path: Path) -> None:
    """DuckDB is capped (ARENAVOTES_MEMORY_LIMIT, 1 GB by default); a command that needs more says so in one
    line with how to raise the cap, exits 2 (not 3: it is not a bug to report), and leaves the workspace as
    it was."""
    ws = tmp_path / "ws"
    assert run("init", str(ws)).returncode == 0
    log = str(DATA / "arena-conversations-100" / "conversations.jsonl.gz")
    r = subprocess.run(
        [EXE, "ingest", "-w", str(ws), log, "--source", "a", "--license", "mit"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": str(Path(EXE).parent), "HOME": str(tmp_path), "ARENAVOTES_MEMORY_LIMIT": "2MB"},
    )
    assert r.returncode == 2, r.stderr
    assert "out of memory" in r.stderr and "ARENAVOTES_MEMORY_LIMIT" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert run("sql", "-w", str(ws), "select count(*) from battles", "--format", "csv").stdout.split() == [
        "count_star()",
        "0",
    ]


def test_running_out_of_memory_inside_a_batch_reader_is_the_same_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DuckDB's out-of-memory error raised through a pyarrow batch reader arrives as an OSError; it is the same
    one line with the fix (exit 2), not an internal error to report (a scrub at 1M under a 150 MB cap said that)."""
    from arenavotes import cli
    from arenavotes.workspace import Workspace

    ws = tmp_path / "ws"
    assert run("init", str(ws)).returncode == 0

    def reader_ran_out(*args: object, **kwargs: object) -> None:
        raise OSError("Out of Memory Error: could not allocate block of size 256.0 KiB (143.0 MiB/143.0 MiB used)")

    monkeypatch.setattr(Workspace, "open", reader_ran_out)
    monkeypatch.delenv("ARENAVOTES_DEBUG", raising=False)
    assert cli.main(["status", "-w", str(ws)]) == 2
    err = capsys.readouterr().err
    assert "out of memory" in err and "ARENAVOTES_MEMORY_LIMIT" in err and "internal error" not in err
