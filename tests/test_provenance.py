"""Which stages each source has been through (arenavotes.provenance), and that finding out stays within a small
DuckDB cap however many battles there are: ``status`` and every ``release`` ask it first."""

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
