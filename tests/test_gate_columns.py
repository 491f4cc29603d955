"""The release gate reads a workspace's Parquet text columns in DuckDB, joined with the stored verdicts
(VerdictCache.column_cells): each distinct value once, at its first row, and none the workspace has a clean
verdict for. It must judge exactly what reading the file cell by cell judges -- never a cell less -- and fall
back to that reading wherever DuckDB cannot read a column as pyarrow does."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arenavotes import db
from arenavotes.pii import gate as gate_mod
from arenavotes.pii import verdicts
from arenavotes.pii.gate import check_paths, gate_findings, verdict_key
from arenavotes.pii.gate_files import Cell, KnownCells, items
from arenavotes.pii.patterns import Finding

#: values of a text column: repeats, empty strings, NUL, marks, emoji, and texts the gate doubts
VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", "ok", "\x00x", "é", "e\u0301", "🙂", "mail ann@example.org", "call +44 20 7946 0958"]),
    st.text(max_size=12),
)
#: column names DuckDB must be asked for exactly: quotes, spaces, case, SQL words, other scripts
NAMES = st.sampled_from(["t", 'a "quoted" name', "Select", "with space", "ünï", "x.y", "ORDER", "-1"])


def _stored(texts: list[str], kinds: list[str], ner: bool) -> tuple[object, verdicts.VerdictCache]:
    """A workspace whose verdict table holds, for each text, a clean verdict, one with a finding, or none."""
    con = db.connect(None)
    writer = verdicts.load(con)
    for t, kind in zip(texts, kinds, strict=True):
        if kind != "absent":
            writer[verdict_key(t, ner)] = [Finding(0, 1, "PERSON", 0.9, "x@1")] if kind == "doubted" else []
    verdicts.save(con, writer)
    return con, verdicts.load(con)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(VALUES, min_size=1, max_size=40), NAMES, st.data(), st.integers(1, 7), st.booleans())
def test_column_cells_are_each_distinct_value_at_its_first_row_but_the_known_clean_ones(
    tmp_path: Path, values: list[str | None], name: str, data: st.DataObject, group: int, ner: bool
) -> None:
    """Against a model in Python: row groups and windows of any size, values of any script, stored verdicts of
    each kind."""
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({name: pa.array(values, pa.string()), "n": range(len(values))}), path, row_group_size=group)
    distinct = list(dict.fromkeys(v for v in values if v))
    kinds = data.draw(
        st.lists(st.sampled_from(["clean", "doubted", "absent"]), min_size=len(distinct), max_size=len(distinct))
    )
    _, cache = _stored(distinct, kinds, ner)
    got = [
        (c.location, c.text, k, s)
        for part in cache.column_cells(
            path,
            name,
            ner=ner,
            batch=data.draw(st.integers(1, 5)),
            window_rows=data.draw(st.integers(1, 8)),
            window_bytes=data.draw(st.sampled_from([1, 40, 10**9])),
        )
        for c, k, s in zip(part.cells, part.keys, part.stored, strict=True)
    ]
    expected = [
        (
            f"row {values.index(v) + 1}",
            v,
            verdict_key(v, ner),
            json.dumps([[0, 1, "PERSON", 0.9, "x@1"]]) if kind == "doubted" else None,
        )
        for v, kind in zip(distinct, kinds, strict=True)
        if kind != "clean"
    ]
    assert [(loc, t, k) for loc, t, k, _ in got] == [(loc, t, k) for loc, t, k, _ in expected]
    assert [s is None for *_, s in got] == [s is None for *_, s in expected]
    for (*_, s), (*_, e) in zip(got, expected, strict=True):
        assert s is None or json.loads(s) == json.loads(e)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.text(max_size=30), min_size=0, max_size=60),
    st.integers(1, 9),
    st.integers(1, 400),
    st.integers(1, 12),
    st.booleans(),
)
def test_row_windows_cover_every_row_once_within_their_bounds(
    tmp_path: Path, values: list[str], group: int, most_bytes: int, most_rows: int, two: bool
) -> None:
    """The windows the column is read in are consecutive, cover every row once, and each holds at most the
    bounds' rows and (by the metadata's estimate) bytes, or a single row; with two text columns, by this one's
    bytes."""
    import pyarrow.parquet as pq_

    path = tmp_path / "w.parquet"
    columns = {"t": pa.array(values, pa.string())}
    if two:
        columns["u"] = pa.array([v * 3 for v in values], pa.string())
    pq.write_table(pa.table(columns), path, row_group_size=group)
    windows = verdicts.row_windows(path, "t", most_bytes, most_rows)
    assert [r for lo, hi in windows for r in range(lo, hi + 1)] == list(range(len(values)))
    meta = pq_.ParquetFile(path).metadata
    per_row: list[float] = []
    for i in range(meta.num_row_groups):
        g = meta.row_group(i)
        per_row += [g.column(0).total_uncompressed_size / max(g.num_rows, 1)] * g.num_rows
    for lo, hi in windows:
        n = hi - lo + 1
        assert n <= most_rows
        assert n == 1 or sum(per_row[lo : hi + 1]) <= most_bytes + 1e-6


def _planted_file(path: Path) -> list[str]:
    """A release-like Parquet file: ids, a repeated model name, texts some of which hold PII, in three Arrow
    string types; returns the distinct texts."""
    texts = [
        "mail ann@example.org",
        "nothing to see",
        "call +44 20 7946 0958 now",
        "server at 10.0.0.7 is down",
        "a plain sentence about ratings",
        "card 4111 1111 1111 1111",
    ]
    n = 30
    content = [texts[i % len(texts)] for i in range(n)]
    table = pa.table(
        {
            "battle_id": pa.array([f"b{i:04d}" for i in range(n)], pa.string()),
            "model": pa.array(["m-1", "m-2"] * (n // 2)).dictionary_encode(),
            "content": pa.array(content, pa.large_string()),
            "other": pa.array(content[7:] + content[:7], pa.string()),
            "tags": pa.array([["x", t] for t in content], pa.list_(pa.string())),
        }
    )
    pq.write_table(table, path, row_group_size=8)
    return list(dict.fromkeys(texts + [f"b{i:04d}" for i in range(n)] + ["m-1", "m-2"]))


def _found(found: list[gate_mod.GateFinding]) -> list[tuple[str, str, str, str, str]]:
    return sorted((Path(f.file).name, f.location, f.column, f.entity, f.recognizer) for f in found)


@pytest.mark.parametrize("stored", ["none", "some", "all"])
def test_the_gate_finds_through_the_workspace_what_it_finds_cell_by_cell(tmp_path: Path, stored: str) -> None:
    """The same findings at the same rows and columns whether the workspace knows none of the texts, some or
    all of them (the true verdicts, as a screen or an earlier release stored them); with all known, no text is
    analysed again."""
    texts = _planted_file(tmp_path / "data.parquet")
    plain = check_paths([tmp_path], ner=False)
    assert {f[3] for f in _found(plain)} >= {"EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "CREDIT_CARD"}
    con = db.connect(None)
    writer = verdicts.load(con)
    truth = gate_findings(texts, ner=False)
    for i, t in enumerate(texts):
        if stored == "all" or (stored == "some" and i % 2):
            writer[verdict_key(t, False)] = truth[t]
    verdicts.save(con, writer)
    analysed: list[str] = []
    real = gate_mod.gate_findings

    def counting(todo, **kwargs):  # type: ignore[no-untyped-def]
        analysed.extend(todo)
        return real(todo, **kwargs)

    cache = verdicts.load(con)
    gate_mod.gate_findings = counting  # type: ignore[assignment]
    try:
        through = check_paths([tmp_path], ner=False, cache=cache)
    finally:
        gate_mod.gate_findings = real  # type: ignore[assignment]
    assert _found(through) == _found(plain)
    if stored == "all":
        assert not set(analysed) & set(texts)  # column names and the list column's cells only
    verdicts.save(con, cache)
    again = check_paths([tmp_path], ner=False, cache=verdicts.load(con))  # every verdict stored now
    assert _found(again) == _found(plain)


def test_the_planted_set_in_every_format_is_found_through_a_workspace(tmp_path: Path) -> None:
    """The gate's own planted set (every format, seven Parquet column types) gives the same findings with a
    workspace's verdicts as without."""
    from test_pii_gate import _release

    _release(tmp_path, 30, seed=11)
    plain = check_paths([tmp_path], ner=False)
    cache = verdicts.load(db.connect(None))
    assert _found(check_paths([tmp_path], ner=False, cache=cache)) == _found(plain)


@pytest.mark.parametrize(
    "case", ["names differing in case", "a column named file_row_number", "a pattern in the path", "not UTF-8"]
)
def test_columns_duckdb_cannot_read_by_name_are_read_cell_by_cell(tmp_path: Path, case: str) -> None:
    """Where DuckDB would read another column, other row numbers, other files or nothing at all, the gate reads
    the file the slow way and still finds every planted value (text that is not UTF-8 also made polars panic
    there, a traceback instead of a finding: it is now read as bytes and the file named unreadable)."""
    secret = "mail ann@example.org"
    folder = tmp_path / ("rel[1]*" if case == "a pattern in the path" else "rel")
    folder.mkdir()
    path = folder / "x.parquet"
    if case == "names differing in case":
        table = pa.table({"Text": ["fine", "fine"], "text": ["fine", secret]})
    elif case == "a column named file_row_number":
        table = pa.table({"file_row_number": pa.array([None, 5], pa.int64()), "t": ["fine", secret]})
    elif case == "not UTF-8":
        bad = b"\xff\xfe " + secret.encode()
        offsets = pa.array([0, 4, 4 + len(bad)], pa.int32()).buffers()[1]
        table = pa.table({"t": pa.Array.from_buffers(pa.string(), 2, [None, offsets, pa.py_buffer(b"fine" + bad)])})
    else:
        table = pa.table({"t": ["fine", secret]})
    pq.write_table(table, path)
    cache = verdicts.load(db.connect(None))
    found = check_paths([folder], ner=False, cache=cache)
    assert _found(found) == _found(check_paths([folder], ner=False)), case
    assert {(f.location, f.entity) for f in found} >= {("row 2", "EMAIL_ADDRESS")}, case
    if case == "not UTF-8":  # and the file is named unreadable, as text files that are not UTF-8 are
        assert [f.column for f in found if f.entity == "UNREADABLE"] == [
            "column 't' holds text that is not UTF-8 (rows 1-); scanned as Latin-1"
        ]


def _profiled(cur: object, tmp_path: Path, name: str, sql: str, params: list[object]) -> dict:
    """The operator tree DuckDB ran for ``sql``, planned as column_cells plans it."""
    out = tmp_path / f"{name}.json"
    cur.execute(f"SET profiling_output = {db.sql_str(str(out))}")  # type: ignore[attr-defined]
    with db.joins_as_written(cur):  # type: ignore[arg-type]
        cur.execute(sql, params)  # type: ignore[attr-defined]
    cur.fetchall()  # type: ignore[attr-defined]  # (a query's profile is written once its result is read)
    (ran,) = json.loads(out.read_text())["operator"]
    return ran  # type: ignore[no-any-return]


def _joins(node: dict) -> list[dict]:
    return ([node] if node.get("name") == "HASH_JOIN" else []) + [
        j for c in node.get("children", []) for j in _joins(c)
    ]


def _scans(node: dict) -> set[str]:
    info = node.get("extra_info", {})
    mine = {str(info.get("Table", "")).rsplit(".", 1)[-1] or ("parquet" if "PARQUET" in node.get("name", "") else "")}
    return (mine - {""}).union(*(_scans(c) for c in node.get("children", [])))


def test_the_column_queries_hash_the_small_side_and_stream_the_texts(tmp_path: Path) -> None:
    """In the plans DuckDB runs: the column's distinct digests are the hash table the stored verdicts probe
    (open_sql), and a window's open rows the one the file's texts probe (window_sql): no join holds the texts.
    Profiled on a file of 4,000 texts (all clean but one) against 40,000 stored verdicts, where DuckDB's own
    estimates would differ."""
    path = tmp_path / "x.parquet"
    texts = [f"text number {i}" for i in range(4000)]
    pq.write_table(pa.table({"t": [*texts[:-1], "mail ann@example.org"]}), path, row_group_size=500)
    con, cache = _stored(texts[:-1] + [f"gone {i}" for i in range(36_001)], ["clean"] * 40_000, ner=False)
    parts = list(cache.column_cells(path, "t", ner=False))
    assert [c.text for p in parts for c in p.cells] == ["mail ann@example.org"]
    cur = con.cursor()  # type: ignore[attr-defined]
    cur.execute("SET enable_profiling = 'json'")
    gate = gate_mod.gate_part(False)
    made = _profiled(
        cur, tmp_path, "open", f"CREATE TEMP TABLE {verdicts.OPEN_ROWS} AS {verdicts.open_sql('t')}", [str(path), gate]
    )
    (join,) = _joins(made)
    probe, build = join["children"]
    assert _scans(probe) == {"gate_verdicts"} and "HASH_GROUP_BY" in json.dumps(build)[:2000]
    assert cur.execute(f"SELECT r FROM {verdicts.OPEN_ROWS}").fetchall() == [(3999,)]
    window = _profiled(cur, tmp_path, "window", verdicts.window_sql("t"), [str(path), gate, 3500, 3999])
    (join,) = _joins(window)
    probe, build = join["children"]
    assert _scans(probe) == {"parquet"} and _scans(build) == {verdicts.OPEN_ROWS}

    def parquet_scan(node: dict) -> dict:
        if node.get("name") == "READ_PARQUET":
            return node
        return next((s for c in node.get("children", []) if (s := parquet_scan(c))), {})

    scan = parquet_scan(probe)  # the window's rows only: the file's other row groups are skipped
    assert (scan["row_groups_scanned"], scan["total_row_groups_to_scan"]) == (1, 8)


def test_every_value_open_is_read_within_a_small_cap(tmp_path: Path) -> None:
    """A column of 1M distinct values none of which has a stored verdict (a release's new battle ids) is read
    under a 40 MB cap, a window at a time. In one query, the open rows' hash table and the sort of their texts
    grew with the file: 2M battle ids ran out of the release's 400 MB cap, and the gate fell back to reading
    the column cell by cell."""
    path = tmp_path / "ids.parquet"
    n = 1_000_000
    pq.write_table(pa.table({"id": pa.array([f"s:{i:012d}" for i in range(n)])}), path, row_group_size=100_000)
    con = db.connect(tmp_path / "w.duckdb")
    con.execute(f"SET temp_directory = {db.sql_str(str(tmp_path / 'spill'))}")
    con.execute("SET memory_limit = '40MB'")
    cache = verdicts.load(con)
    count, last, ordered = 0, -1, True
    for part in cache.column_cells(path, "id", ner=False, batch=50_000):
        rows = [int(c.location.split()[1]) for c in part.cells]
        ordered &= rows == sorted(rows) and rows[0] > last
        count, last = count + len(rows), rows[-1]
        assert all(s is None for s in part.stored)
    assert (count, last, ordered) == (n, n, True)


def test_a_known_cells_batch_is_judged_without_a_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells that come with their stored verdicts are not looked up again (a lookup scans the whole table)."""
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"t": ["mail ann@example.org", "new text", "fine"]}), path)
    truth = gate_findings(["mail ann@example.org", "fine"], ner=False)
    con = db.connect(None)
    writer = verdicts.load(con)
    for t, f in truth.items():
        writer[verdict_key(t, False)] = f
    verdicts.save(con, writer)
    cache = verdicts.load(con)
    parts = [p for p in items(path, lambda p, c: cache.column_cells(p, c, ner=False)) if isinstance(p, KnownCells)]
    assert [c.text for p in parts for c in p.cells] == ["mail ann@example.org", "new text"]
    assert all(isinstance(c, Cell) for p in parts for c in p.cells)
    lookups: list[int] = []
    real = verdicts.arrow_sql
    monkeypatch.setattr(verdicts, "arrow_sql", lambda *a, **k: lookups.append(1) or real(*a, **k))
    found = check_paths([path], ner=False, cache=cache)
    assert {(f.location, f.entity) for f in found} == {("row 1", "EMAIL_ADDRESS")}
    assert lookups == [1]  # the schema's cells (column names), in one lookup; none for the column's texts


def test_through_a_workspace_the_gate_remembers_nothing_per_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory that does not grow with the release: read through a workspace, no column's judged cells are
    remembered in Python (the digest sets that grew 16 bytes per distinct text), and no lookup reads the
    verdict table into memory; cell by cell, without a workspace, they still are."""
    from arenavotes.pii import gate_files

    _planted_file(tmp_path / "data.parquet")
    added: list[int] = []
    real = gate_files.DigestSet.add
    monkeypatch.setattr(gate_files.DigestSet, "add", lambda self, d: added.append(len(d)) or real(self, d))
    cache = verdicts.load(db.connect(None))
    assert check_paths([tmp_path], ner=False, cache=cache)
    assert added == []
    assert check_paths([tmp_path], ner=False) and added


@pytest.mark.parametrize("when", ["first", "later"])
def test_duckdb_out_of_memory_is_raised_not_read_around(tmp_path: Path, when: str) -> None:
    """A column read that runs out of DuckDB's cap fails the gate loudly (the CLI's out-of-memory message),
    whether before the first batch or in a later window (through an Arrow reader, as an OSError): read cell by
    cell instead, it would hold every distinct value in Python and hide the cause; nor is the file called
    unreadable. Other DuckDB errors still fall back (see the test above)."""
    import duckdb

    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"t": ["mail ann@example.org", "b"]}), path)

    def reader(p: Path, c: str) -> object:
        if when == "first":
            raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")
        yield KnownCells(
            [Cell("row 1", c, "mail ann@example.org")], [verdict_key("mail ann@example.org", False)], [None]
        )
        raise OSError("Out of Memory Error: failed to pin block of size 256.0 KiB")

    with pytest.raises((duckdb.OutOfMemoryException, OSError), match="Out of Memory"):
        list(items(path, reader))  # type: ignore[arg-type]
