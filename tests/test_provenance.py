"""Which stages each source has been through (arenavotes.provenance), and that finding out stays within a small
DuckDB cap however many battles there are: ``status`` and every ``release`` ask it first. Also how scrub's
second pass finds the messages its run scrubbed (by the ids' source prefix where it can: no hash tables of ids)."""

from __future__ import annotations

from pathlib import Path

from arenavotes import db, provenance


def test_which_sources_have_texts_is_found_within_a_small_cap(tmp_path: Path) -> None:
    """1M battles in two sources and 2M messages of one, in a database file, with DuckDB capped at 60 MB. The
    correlated ``EXISTS`` this replaced ran as a join DuckDB cannot spill and ran out of memory here (and out of a
    250 MB cap on a release of 1M conversations); the semi join spills."""
    con = db.connect(tmp_path / "w.duckdb")
    con.execute(f"SET temp_directory = {db.sql_str(str(tmp_path / 'spill'))}")
    con.execute("INSERT INTO sources SELECT 's' || i, 'f', 'x', 'generic', '{}', 1, 1, 0, 'r1' FROM range(3) t(i)")
    con.execute(
        "INSERT INTO battles (battle_id, source, model_a, model_b, winner) "
        "SELECT 's' || (i % 2) || ':' || i, 's' || (i % 2), 'a', 'b', 'tie' FROM range(1000000) t(i)"
    )
    con.execute(
        "INSERT INTO conversations (battle_id, side, msg, turn, role, content) "
        "SELECT 's0:' || (2 * (i // 4)), 'a', i % 4 + 1, 1, 'user', 'x' FROM range(2000000) t(i)"
    )
    con.execute("SET memory_limit = '60MB'")
    table = provenance.stage_table(con)
    assert table.select("source", "scrub", "dedup").rows() == [
        ("s0", "missing", "missing"),
        ("s1", "not needed", "missing"),
        ("s2", "not needed", "missing"),
    ]
    assert provenance.missing_stages(con, ["s0", "s1"]) == {"s0": ["scrub", "dedup"], "s1": ["dedup"]}


def test_a_scrub_runs_second_pass_reads_exactly_the_messages_it_scrubbed() -> None:
    """Scrub's second pass finds the run's messages by their ids' prefix when the run scrubbed every battle
    with text of its sources, and otherwise joins with the run's battles: the same messages either way, never
    another source's or another run's."""
    from arenavotes.pii.store import run_texts, scrubbed_by

    con = db.connect(None)
    con.execute(
        "INSERT INTO battles (battle_id, source, model_a, model_b, winner) VALUES "
        "('a:1', 'a', 'x', 'y', 'tie'), ('a:2', 'a', 'x', 'y', 'tie'), ('a:3', 'a', 'x', 'y', 'tie'), "
        "('a:4', 'a', 'x', 'y', 'tie'), ('ab:1', 'ab', 'x', 'y', 'tie')"
    )
    con.execute(
        "INSERT INTO conversations (battle_id, side, msg, turn, role, content) VALUES "
        "('a:1', 'a', 1, 1, 'user', 'one'), ('a:1', 'b', 1, 1, 'user', 'one'), ('a:2', 'a', 1, 1, 'user', NULL), "
        "('a:3', 'a', 1, 1, 'user', 'three'), ('ab:1', 'a', 1, 1, 'user', 'other source')"
    )

    def chosen(where: str, params: list[object]) -> list[tuple[str, str]]:
        sql = f"SELECT battle_id, side FROM conversations c WHERE {where} ORDER BY 1, 2"
        return [(b, s) for b, s in con.execute(sql, params).fetchall()]

    con.execute("INSERT INTO scrubbed VALUES ('a:1', 'r1'), ('a:2', 'r1'), ('a:3', 'r1')")
    where, params = run_texts(con, ["a"], "r1")
    assert "scrubbed" not in where  # every battle with text of source a: by prefix alone
    assert (
        chosen(where, params)
        == chosen(*scrubbed_by(["a"], "r1"))
        == [("a:1", "a"), ("a:1", "b"), ("a:2", "a"), ("a:3", "a")]
    )
    con.execute("DELETE FROM scrubbed")
    con.execute("INSERT INTO scrubbed VALUES ('a:1', 'r1'), ('a:2', 'r1'), ('a:3', 'r2')")  # r2 went on after r1
    where, params = run_texts(con, ["a"], "r2")
    assert "scrubbed" in where
    assert chosen(where, params) == chosen(*scrubbed_by(["a"], "r2")) == [("a:3", "a")]
