"""Reading a batch through its rowid windows gives exactly the rows of its battle-id range, whatever order the
tables' rows lie in (several sources interleaved, rows deleted, rows appended out of order)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes import db
from arenavotes.categories.store import batch_windows, feature_batches, load_features

battle = st.tuples(st.sampled_from(["s", "t"]), st.integers(0, 40), st.integers(1, 3), st.booleans())


def _workspace(battles: list[tuple[str, int, int, bool]], deleted: set[int]):
    con = db.connect(None)
    seen = set()
    for i, (source, n, turns, answered) in enumerate(battles):
        bid = f"{source}:{n:04d}"
        if bid in seen:
            continue
        seen.add(bid)
        con.execute(
            "INSERT INTO battles (battle_id, source, model_a, model_b, winner) VALUES (?, ?, 'x', 'y', 'tie')",
            [bid, source],
        )
        rows = [(bid, "a", 2 * t, t + 1, "user", f"prompt {bid} turn {t}") for t in range(turns)]
        if answered:
            rows += [(bid, side, 1, 1, "assistant", f"answer {side} {bid}") for side in ("a", "b")]
        con.executemany(
            "INSERT INTO conversations (battle_id, side, msg, turn, role, content) VALUES (?, ?, ?, ?, ?, ?)", rows
        )
        if i in deleted:  # a gap in the rowids, and the battle's rows appended again at the end
            con.execute("DELETE FROM conversations WHERE battle_id = ?", [bid])
            con.executemany(
                "INSERT INTO conversations (battle_id, side, msg, turn, role, content) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
    return con


def _sorted(frames: tuple[pl.DataFrame, ...]) -> list[pl.DataFrame]:
    return [f.sort(f.columns) for f in frames]


@settings(max_examples=40, deadline=None)
@given(st.lists(battle, min_size=1, max_size=30), st.sets(st.integers(0, 29), max_size=5), st.integers(1, 6))
def test_a_batch_read_through_its_windows_is_the_batch(battles, deleted, size) -> None:
    con = _workspace(battles, deleted)
    for source in ("s", "t"):
        batches = feature_batches(con, [source], size)
        for between, window in zip(batches, batch_windows(con, batches), strict=True):
            fast = _sorted(load_features(con, [source], between, window))
            plain = _sorted(load_features(con, [source], between))
            assert all(a.equals(b) for a, b in zip(fast, plain, strict=True)), between
        whole = _sorted(load_features(con, [source]))
        parts = [load_features(con, [source], b, w) for b, w in zip(batches, batch_windows(con, batches), strict=True)]
        joined = _sorted(tuple(pl.concat([p[i] for p in parts]) for i in range(3))) if parts else whole
        assert all(a.equals(b) for a, b in zip(joined, whole, strict=True))


def test_windows_skip_row_groups_a_string_range_cannot() -> None:
    # ids with a shared prefix longer than DuckDB's 8-byte min/max: the range alone scans every row group
    con = db.connect(None)
    con.execute(
        "INSERT INTO conversations (battle_id, side, msg, turn, role, content) "
        "SELECT 'lmarena-140k:' || lpad(i::VARCHAR, 8, '0'), 'a', 0, 1, 'user', 'hi' FROM range(300000) r(i)"
    )
    lo, hi = "lmarena-140k:00150000", "lmarena-140k:00150999"
    (window,) = db.rowid_windows(con, "conversations", [(lo, hi)])
    assert window == (150000, 150999)

    def groups(where: str) -> str:
        plan = con.sql(f"EXPLAIN ANALYZE SELECT content FROM conversations WHERE {where}").fetchall()[0][1]
        return next(line for line in plan.splitlines() if "Row Groups Scanned" in line)

    assert "3 / 3" in groups(f"battle_id BETWEEN '{lo}' AND '{hi}'")
    assert "1 / 3" in groups(f"battle_id BETWEEN '{lo}' AND '{hi}' AND rowid BETWEEN {window[0]} AND {window[1]}")


@settings(max_examples=40, deadline=None)
@given(st.lists(battle, min_size=1, max_size=30), st.sets(st.integers(0, 29), max_size=5), st.integers(1, 6))
def test_dedups_answer_batches_read_through_windows_are_the_batches(battles, deleted, size) -> None:
    """dedup's answers, batch by batch through their windows: the same frames as by id range alone, and
    together each answered side of the source once."""
    from arenavotes.dedup.store import answer_batches

    con = _workspace(battles, deleted)
    for source in ("s", "t"):
        fast = list(answer_batches(con, source, size))
        plain = list(answer_batches(con, source, size, windowed=False))
        assert len(fast) == len(plain) and all(a.equals(b) for a, b in zip(fast, plain, strict=True))
        got = sorted(r for f in fast for r in f.select("battle_id", "side").rows())
        sides = con.execute(
            "SELECT DISTINCT c.battle_id, c.side FROM conversations c JOIN battles b USING (battle_id) "
            "WHERE b.source = ? AND c.role = 'assistant' ORDER BY ALL",
            [source],
        ).fetchall()
        assert got == sides


@settings(max_examples=40, deadline=None)
@given(st.lists(battle, min_size=1, max_size=30), st.sets(st.integers(0, 29), max_size=5), st.integers(1, 6))
def test_prompt_batches_read_through_windows_are_the_prompts(battles, deleted, size) -> None:
    """Every battle's prompt (its user turns joined in turn order) once, whatever order the rows lie in."""
    con = _workspace(battles, deleted)
    want = con.execute(
        "SELECT battle_id, string_agg(content, chr(10) ORDER BY turn) FROM prompts GROUP BY 1 ORDER BY 1"
    ).fetchall()
    got = [r for f in db.prompt_batches(con, size=size) for r in f.rows()]
    assert got == want
    for source in ("s", "t"):
        mine = [r for f in db.prompt_batches(con, [source], size) for r in f.rows()]
        assert mine == [r for r in want if r[0].startswith(f"{source}:")]


def _moving_workspace(path, n: int):
    """A workspace file whose ``conversations`` start with 200,000 deleted rows (not yet compacted) before the
    ``n`` battles of source ``s`` (a prompt and two answers each); no checkpoint happens unless asked for."""
    con = db.connect(path)
    con.execute("SET checkpoint_threshold = '10GB'")
    con.execute(
        "INSERT INTO battles (battle_id, source, model_a, model_b, winner) "
        "SELECT 's:' || lpad(i::VARCHAR, 6, '0'), 's', 'x', 'y', 'tie' FROM range(?) r(i)",
        [n],
    )
    con.execute(
        "INSERT INTO conversations (battle_id, side, msg, turn, role, content) "
        "SELECT 'gone:' || lpad(i::VARCHAR, 6, '0'), 'a', 0, 1, 'user', 'old' FROM range(200000) r(i) "
        "UNION ALL "
        "SELECT 's:' || lpad(i::VARCHAR, 6, '0'), side, m, 1, CASE WHEN m = 0 THEN 'user' ELSE 'assistant' END, "
        "'text ' || side || m || ' ' || i FROM range(?) r(i), (VALUES ('a', 0), ('a', 1), ('b', 1)) v(side, m)",
        [n],
    )
    con.execute("CHECKPOINT")
    con.execute("DELETE FROM conversations WHERE battle_id LIKE 'gone:%'")
    return con


def test_batches_follow_rows_a_checkpoint_moves(tmp_path) -> None:
    """A caller may commit between batches (the embedding cache writes each batch's vectors), and a checkpoint
    that compacts deleted rows moves every row after them: windows computed before it would miss rows. Here
    200,000 deleted rows are compacted after the first batch; every prompt and every answer is still read."""
    from arenavotes.dedup.store import answer_batches

    n = 40_000

    def read(con, batches) -> list[tuple[object, ...]]:
        rows = []
        for i, batch in enumerate(batches):
            rows += batch.rows()
            if i == 0:
                (before,) = con.execute("SELECT max(rowid) FROM conversations").fetchall()[0]
                con.execute("CHECKPOINT")
                assert con.execute("SELECT max(rowid) FROM conversations").fetchall()[0][0] < before
        return sorted(rows)

    con = _moving_workspace(tmp_path / "p.duckdb", n)
    prompts = read(con, db.prompt_batches(con, ["s"], 5_000))
    assert len(prompts) == n and prompts[-1] == (f"s:{n - 1:06d}", f"text a0 {n - 1}")
    con = _moving_workspace(tmp_path / "a.duckdb", n)
    answers = read(con, answer_batches(con, "s", 5_000))
    assert len(answers) == 2 * n and answers[-1] == (f"s:{n - 1:06d}", "b", f"text b1 {n - 1}")
