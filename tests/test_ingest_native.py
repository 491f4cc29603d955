"""Typed columns read without JSON give what the JSON route gives, value for value.

A tabular file's plain columns (string, integer, double, boolean) skip ``to_json`` on the hot path
(:func:`arenavotes.ingest.coerce.native_sql`); every ``av_*`` rule must still decide exactly as it
does for the JSON value, or a file would ingest differently as parquet than as JSON lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arenavotes import db
from arenavotes.errors import UserError
from arenavotes.ingest import ingest_file
from arenavotes.ingest.coerce import NATIVE_TYPES, install_macros, native_sql
from arenavotes.ingest.mapping import ReadOptions

MACROS = ("av_present", "av_blank", "av_str", "av_id", "av_num", "av_bool", "av_int", "av_ts", "av_type")

_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            " 12 ",
            "1e3",
            "-0",
            "1.5",
            "nan",
            "inf",
            "-inf",
            "1e20",
            "1700000000",
            "1.7e12",
            "TRUE",
            " yes",
            "No",
            "0",
            "1",
            "2",
            "2024-01-02",
            "2024-01-02T03:04:05+02:00",
            "2024-01-02 03:04:05",
            "yesterday",
            "中文",
            "0x10",
            "+5",
            "1_000",
        ]
    ),
)
_ints = st.one_of(
    st.integers(-(2**63), 2**63 - 1), st.integers(-3, 3), st.sampled_from([2**31, 2_000_000_000, 10**11 + 1])
)
_doubles = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 0.5, 1.7e9, 1.7e12, 1e14, 1e14 + 1, 2e9, 1999999999.0, 0.1, 123456789.123456789]),
)
_VALUES = {
    "varchar": (pa.string(), _text),
    "tinyint": (pa.int8(), st.integers(-128, 127)),
    "smallint": (pa.int16(), st.integers(-(2**15), 2**15 - 1)),
    "integer": (pa.int32(), st.integers(-(2**31), 2**31 - 1)),
    "bigint": (pa.int64(), _ints),
    "double": (pa.float64(), _doubles),
    "boolean": (pa.bool_(), st.booleans()),
}


def test_every_native_type_has_values() -> None:
    assert set(_VALUES) == set(NATIVE_TYPES)


@pytest.mark.parametrize("type_id", sorted(NATIVE_TYPES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_native_sql_equals_the_json_route(type_id: str, data: st.DataObject) -> None:
    arrow_type, values = _VALUES[type_id]
    xs = data.draw(st.lists(st.one_of(st.none(), values), min_size=1, max_size=30))
    con = duckdb.connect()
    install_macros(con)
    t = pa.table({"x": pa.array(xs, arrow_type)})
    con.register("t", t)
    assert con.sql("SELECT typeof(x) FROM t LIMIT 1").fetchall()[0][0].lower() == type_id
    for macro in MACROS:
        native = native_sql(macro, "x", type_id)
        rows = con.sql(
            f"SELECT x, {macro}(to_json(x)) AS j, {native} AS n FROM t WHERE j IS DISTINCT FROM n"
        ).fetchall()
        assert not rows, f"{macro} on {type_id}: {native} differs from the JSON route on {rows[:3]}"


def test_native_sql_types_its_results() -> None:
    """A column of NULLs (or a type whose rule always fails) still has the type the macro gives."""
    con = duckdb.connect()
    install_macros(con)
    con.execute("CREATE TABLE t (s VARCHAR, i BIGINT, d DOUBLE, b BOOLEAN)")
    con.execute("INSERT INTO t VALUES (NULL, NULL, NULL, NULL)")
    for col, type_id in (("s", "varchar"), ("i", "bigint"), ("d", "double"), ("b", "boolean")):
        for macro in MACROS:
            j, n = con.sql(
                f"SELECT typeof({macro}(to_json({col}))), typeof({native_sql(macro, col, type_id)}) FROM t"
            ).fetchall()[0]
            assert j == n, (macro, type_id, j, n)


_FIELDS = {
    "id": "question_id",
    "voter": "judge",
    **{n: n for n in ("model_a", "model_b", "winner", "tstamp", "anony", "language", "turn")},
}


def _ingest_tables(path: Path, generic: bool) -> dict[str, list[tuple]]:
    con = db.connect(None)
    read = ReadOptions(format="generic", fields={f: f"c_{c}" for f, c in _FIELDS.items()}) if generic else None
    try:
        r = ingest_file(con, path, key=b"k", source="s", read=read)
    except UserError as exc:
        return {"error": [(str(exc),)]}
    out: dict[str, list[tuple]] = {"counts": [(r.rows_in, r.kept, tuple(sorted(r.quarantined.items())))]}
    for table in ("battles", "quarantine"):
        cols = ", ".join(c[0] for c in con.execute(f"DESCRIBE {table}").fetchall() if c[0] != "run_id")
        out[table] = con.sql(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
    con.close()
    return out


_record = st.fixed_dictionaries(
    {
        "question_id": st.one_of(st.none(), st.sampled_from(["q1", "q2", " ", "q3"]), st.integers(0, 3)),
        "model_a": st.one_of(st.none(), st.sampled_from(["gpt-4", " gpt-4 ", "", "claude"])),
        "model_b": st.one_of(st.none(), st.sampled_from(["llama", "claude", " "])),
        "winner": st.one_of(st.none(), st.sampled_from(["model_a", "model_b", "tie", "tie (bothbad)", " tie", "x"])),
        "judge": st.one_of(st.none(), st.sampled_from(["u1", "u2", "", " u1 "]), st.integers(-2, 2)),
        "tstamp": st.one_of(st.none(), _doubles, st.integers(-5, 2 * 10**12), _text),
        "anony": st.one_of(st.none(), st.booleans(), st.integers(-1, 2), st.sampled_from(["true", "No", "maybe", ""])),
        "language": st.one_of(st.none(), st.sampled_from(["English", " ", "中文"]), st.integers(0, 1)),
        "turn": st.one_of(st.none(), st.integers(-3, 3), st.sampled_from([1.0, 1.5, 3e9]), st.sampled_from(["2", "x"])),
    }
)


def _column(values: list[object]) -> pa.Array:
    """One typed column when all non-null values share a type, else their text (a parquet column has one type)."""
    kinds = {type(v) for v in values if v is not None}
    for python, arrow in ((str, pa.string()), (bool, pa.bool_()), (int, pa.int64()), (float, pa.float64())):
        if kinds <= {python}:
            return pa.array(values, arrow)
    return pa.array([None if v is None else str(v) for v in values], pa.string())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(_record, min_size=1, max_size=25), generic=st.booleans())
def test_typed_columns_ingest_as_through_json(records: list[dict[str, object]], generic: bool) -> None:
    """A parquet file with typed columns, and the same as CSV (every column a string), give the same battles,
    quarantine rows and errors whether their plain columns are read natively or through JSON (the route every
    record took before; ``NATIVE_TYPES`` emptied turns the native route off)."""
    import tempfile

    from arenavotes.ingest import coerce

    tmp = Path(tempfile.mkdtemp())
    table = pa.table({name: _column([r[name] for r in records]) for name in records[0]})
    if generic:  # the file's columns under other names, read with --map through the generic format
        table = table.rename_columns([f"c_{n}" for n in table.column_names])
    pq.write_table(table, tmp / "v.parquet")
    duckdb.from_arrow(table).write_csv(str(tmp / "v.csv"))
    for name in ("v.parquet", "v.csv"):
        native = _ingest_tables(tmp / name, generic)
        saved = coerce.NATIVE_TYPES
        coerce.NATIVE_TYPES = frozenset()
        try:
            through_json = _ingest_tables(tmp / name, generic)
        finally:
            coerce.NATIVE_TYPES = saved
        assert native == through_json, name


def _labels(path: Path) -> list[tuple]:
    con = db.connect(None)
    ingest_file(con, path, key=b"k", source="s")
    rows = con.sql("SELECT battle_id, labeler, category, value, score FROM prompt_labels ORDER BY ALL").fetchall()
    con.close()
    return rows


def test_a_tag_the_struct_lacks_is_null_without_reading_the_struct(tmp_path: Path) -> None:
    """LMArena's tags in a parquet STRUCT that lacks some of them (here ``if_v0.1`` and ``refusal_v0.2``):
    the labels of the tags it has are the JSON lines' labels of the same records, and the missing tags are
    read as NULL from the column type, not from JSON text of each record's whole struct."""
    from arenavotes.ingest.containers import stage_file
    from arenavotes.ingest.sqlfields import field_accessor
    from arenavotes.vocab import HARD_PROMPT_CRITERIA

    tags = [
        {
            "criteria_v0.1": {k: (i + j) % 3 == 0 for j, k in enumerate(HARD_PROMPT_CRITERIA)},
            "math_v0.1": {"math": i % 2 == 0},
            "creative_writing_v0.1": {"creative_writing": i % 4 == 1, "score": "x"},
        }
        for i in range(6)
    ]
    records = [
        {
            "question_id": f"q{i}",
            "model_a": "m1",
            "model_b": "m2",
            "winner": "model_a",
            "judge": f"u{i}",
            "tstamp": 1.7e9 + i,
            "category_tag": tags[i],
        }
        for i in range(6)
    ]
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "v.parquet")
    (tmp_path / "v.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    parquet, lines = _labels(tmp_path / "v.parquet"), _labels(tmp_path / "v.jsonl")
    assert parquet == lines
    assert {c for _, _, c, _, _ in parquet} >= {"math", "creative_writing", "hard_prompt", "criteria.complexity"}
    assert not {c for _, _, c, _, _ in parquet} & {"instruction_following", "refusal"}
    con = duckdb.connect()
    f = field_accessor(stage_file(con, tmp_path / "v.parquet"))
    assert f("category_tag", "refusal_v0.2") == f("category_tag", "if_v0.1", "if") == "NULL::JSON"
    assert "struct_extract" in f("category_tag", "math_v0.1", "math")
