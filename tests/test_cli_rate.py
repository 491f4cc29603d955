"""`arenavotes rate` and `arenavotes leaderboard` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA, run


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    w = tmp_path_factory.mktemp("rate") / "arena"
    for src, path in [
        ("lmarena-140k", DATA / "lmarena-140k" / "battles.parquet"),
        ("arena-2023", DATA / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz"),
        ("genai", DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz"),
    ]:
        r = run("ingest", "-w", str(w), "--source", src, str(path))
        assert r.returncode == 0, r.stderr
    return w


def test_rate_needs_a_source_choice(ws: Path) -> None:
    r = run("rate", "-w", str(ws))
    assert r.returncode == 2 and "holds 3 sources" in r.stderr and "--source" in r.stderr


@pytest.mark.parametrize("flag", ["--since", "--until"])
def test_rate_bad_date_is_a_user_error(ws: Path, flag: str) -> None:
    """A date DuckDB cannot read is the user's mistake: a clear message and exit 2, no internal error (arena-2023
    has timestamps: over a source without any, DuckDB never reads the date and no battle matches)."""
    r = run("rate", "-w", str(ws), "--source", "arena-2023", flag, "not a date", "--scope", "bad-date")
    assert r.returncode == 2, r.stderr
    assert "cannot select battles" in r.stderr and "2024-05-01" in r.stderr and "internal error" not in r.stderr


def test_rate_and_print_overall_and_category_boards(ws: Path) -> None:
    r = run("rate", "-w", str(ws), "--source", "lmarena-140k")
    assert r.returncode == 0, r.stderr
    assert "135,624 battles, 53 models, 12 leaderboards" in r.stdout
    assert len(r.stdout.splitlines()) == len(set(r.stdout.splitlines()))  # each line once (was printed twice)
    top = run("leaderboard", "-w", str(ws), "--scope", "lmarena-140k", "--limit", "3")
    assert top.returncode == 0 and "gemini-2.5-pro" in top.stdout.splitlines()[3]
    assert top.stdout.splitlines()[1].split()[:2] == ["rank", "rank_ub"]  # both ranks, ordered by rating
    ratings = [float(line.split()[3]) for line in top.stdout.splitlines()[3:6]]
    assert ratings == sorted(ratings, reverse=True)
    rows = json.loads(
        run(
            "leaderboard", "-w", str(ws), "--scope", "lmarena-140k", "--category", "hard_prompt", "--format", "json"
        ).stdout
    )
    assert len(rows) == 53 and rows[0]["labeler"] == "source/lmarena-140k"
    assert all(r["rank_ub"] <= r["rank"] <= r["rank_worst"] for r in rows)
    assert any(r["provisional"] for r in rows)
    q = run(
        "sql", "-w", str(ws), "select count(*) from leaderboard_stats where scope = 'lmarena-140k'", "--format", "csv"
    )
    assert q.stdout.split()[-1] == "12"


def test_rate_cluster_bootstrap_by_voter_and_compat(ws: Path) -> None:
    r = run("rate", "-w", str(ws), "--source", "arena-2023", "--ci", "cluster", "--rounds", "100")
    assert r.returncode == 0, r.stderr
    board = json.loads(run("leaderboard", "-w", str(ws), "--scope", "arena-2023", "--format", "json").stdout)
    assert board[0]["model"] == "gpt-4" and board[0]["loo_max_change"] > 0
    # GenAI-Arena's published board rates its generation and editing battles together: --mix-arenas asks for that
    r = run("rate", "-w", str(ws), "--source", "genai", "--anony-only", "--compat", "fastchat-2024")
    assert r.returncode == 2 and "2 arena kinds" in r.stderr and "--mix-arenas" in r.stderr
    r = run("rate", "-w", str(ws), "--source", "genai", "--anony-only", "--compat", "fastchat-2024", "--mix-arenas")
    assert r.returncode == 0, r.stderr
    csv = run("leaderboard", "-w", str(ws), "--scope", "genai|anony", "--format", "csv").stdout.splitlines()
    assert csv[1].startswith("imagenhub_Prompt2prompt_edition,1252.364731")


def test_rate_errors_are_one_line(ws: Path) -> None:
    r = run("rate", "-w", str(ws), "--source", "nope")
    assert r.returncode == 2 and "unknown source 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = run("rate", "-w", str(ws), "--source", "genai", "--anchor", "gpt4")
    assert r.returncode == 2 and "expected MODEL=RATING" in r.stderr
    r = run("leaderboard", "-w", str(ws), "--scope", "lmarena-140k", "--category", "poetry")
    assert r.returncode == 2 and "no 'poetry' leaderboard" in r.stderr


def test_a_split_comparison_graph_rates_every_group(ws: Path) -> None:
    """GenAI-Arena's editing and generation models never met: each group is rated apart, largest first."""
    r = run(
        "rate", "-w", str(ws), "--source", "genai", "--scope", "genai-groups", "--ci", "bootstrap", "--rounds", "50",
        "--mix-arenas",
    )  # fmt: skip
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "group 1: 6 models, 1,977 battles; group 2: 7 models, 83 battles" in r.stdout
    board = json.loads(run("leaderboard", "-w", str(ws), "--scope", "genai-groups", "--format", "json").stdout)
    by_group: dict[int, list[dict[str, object]]] = {}
    for row in board:
        by_group.setdefault(int(row["component"]), []).append(row)
    assert sorted(by_group) == [1, 2] and len(by_group[1]) == 6 and len(by_group[2]) == 7
    for rows in by_group.values():  # each group has its own gauge (mean 1000) and its own ranks from 1
        assert abs(sum(float(r["rating"]) for r in rows) / len(rows) - 1000) < 1e-6  # type: ignore[arg-type]
        assert min(int(r["rank"]) for r in rows) == 1  # type: ignore[call-overload]
    text = run("leaderboard", "-w", str(ws), "--scope", "genai-groups").stdout
    assert "group 2 (not comparable with the groups above)" in text
    r = run("dedup", "-w", str(ws), "--source", "genai")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr


def test_dedup_flags_and_the_exclusion_policy(ws: Path) -> None:
    r = run("dedup", "-w", str(ws), "--source", "arena-2023")
    assert r.returncode == 0, r.stderr
    assert "arena-2023: 1,135 battles" in r.stdout and "duplicate_prompt" in r.stdout
    counts = {row["flag"]: row for row in json.loads(run("flags", "-w", str(ws), "--format", "json").stdout)}
    assert counts["duplicate_vote"]["excluded"] and not counts["duplicate_prompt"]["excluded"]
    r = run("rate", "-w", str(ws), "--source", "arena-2023", "--scope", "a23")
    n = counts["duplicate_vote"]["battles"]
    assert f"left out {n} flagged battles (duplicate_vote {n})" in r.stdout
    assert f"rated 'a23': {1135 - n:,} battles" in r.stdout
    r = run("rate", "-w", str(ws), "--source", "arena-2023", "--scope", "a23-all", "--exclude-flags", "none")
    assert "rated 'a23-all': 1,135 battles" in r.stdout
    r = run("rate", "-w", str(ws), "--source", "arena-2023", "--exclude-flags", "bogus")
    assert r.returncode == 2 and "unknown flag 'bogus'" in r.stderr
    stats = run(
        "sql", "-w", str(ws), "select excluded_flagged from leaderboard_stats where scope = 'a23'", "--format", "csv"
    ).stdout.split()
    assert stats[-1] == str(n)
