"""Nothing is lost: every record of a corrupt stream ends in battles or in quarantine, with a reason."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import hypothesis.strategies as st
import pytest
from conftest import KEY
from hypothesis import HealthCheck, given, settings

from arenavotes import db
from arenavotes.errors import UserError
from arenavotes.ingest import ingest_file

GOOD = {"num": 0, "model_a": "alpha", "model_b": "beta", "winner": "model_a"}


def _ingest_lines(tmp: Path, lines: list[bytes], name: str = "votes.jsonl"):
    p = tmp / name
    p.write_bytes(b"\n".join(lines) + b"\n")
    con = db.connect(None)
    return con, ingest_file(con, p, key=KEY)


def test_each_kind_of_corruption_has_its_reason(tmp_path: Path) -> None:
    def rec(**kw) -> bytes:
        return json.dumps({**GOOD, **kw}).encode()

    lines = [
        rec(num=1),  # kept
        rec(num=2, winner="draw"),  # unknown_winner (never a tie)
        rec(num=3, model_b="alpha"),  # same_model
        rec(num=4, model_a=""),  # missing_model
        rec(num=5, model_a=17),  # bad_type (model_a is a number)
        b'{"num": 6, "model_a": "alpha", "model_b": "be',  # invalid_json (truncated)
        b"[1, 2]",  # not_an_object
        rec(num=7, winner=None),  # missing_winner
        rec(num=1),  # duplicate_id
        rec(num=8, model_b="caf\xe9").replace(b"caf\\u00e9", b"caf\xe9"),  # invalid_utf8 (latin-1 byte)
        rec(num=9, winner="tie (bothbad)"),  # kept, tie_bothbad
        rec(num=10, winner="both_bad"),  # kept, tie_bothbad
        b"",  # blank line: not a record
    ]
    con, r = _ingest_lines(tmp_path, lines)
    assert r.rows_in == 12 and r.kept == 3
    assert r.quarantined == {
        "unknown_winner": 1,
        "same_model": 1,
        "missing_model": 1,
        "bad_type": 1,
        "invalid_json": 1,
        "not_an_object": 1,
        "missing_winner": 1,
        "duplicate_id": 1,
        "invalid_utf8": 1,
    }
    q = {row[0]: row[1:] for row in con.sql("SELECT row_number, reason, detail, location FROM quarantine").fetchall()}
    assert q[2] == ("unknown_winner", "winner 'draw' is not a known outcome", "line 2")
    assert q[5][:2] == ("bad_type", "model_a: integer 17 is not a string")
    assert q[9][0] == "duplicate_id" and "line 1" in q[9][1]
    assert q[10][0] == "invalid_utf8"
    assert con.sql("SELECT winner FROM battles ORDER BY source_id").fetchall() == [
        ("model_a",),
        ("tie_bothbad",),
        ("tie_bothbad",),
    ]


def test_empty_prompt_and_bad_conversation(tmp_path: Path) -> None:
    def conv(user: object, answer: object = "hi") -> list[dict]:
        return [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]

    base = {"model_a": "a", "model_b": "b", "winner": "tie"}
    recs = [
        {**base, "question_id": "q1", "conversation_a": conv("hello"), "conversation_b": conv("hello")},
        {**base, "question_id": "q2", "conversation_a": conv("   "), "conversation_b": conv("   ")},
        {**base, "question_id": "q3", "conversation_a": [{"role": "robot", "content": "x"}], "conversation_b": []},
        {**base, "question_id": "q4", "conversation_a": "not a list", "conversation_b": conv("x")},
        {**base, "question_id": "q5", "conversation_a": [], "conversation_b": []},
        # Python-repr strings (a real quirk of some exports) are read, not rejected
        {**base, "question_id": "q6", "conversation_a": str(conv("hé 'quoted'")), "conversation_b": str(conv("hé"))},
        # structured content parts (arena-human-preference-140k shape)
        {
            **base,
            "question_id": "q7",
            "conversation_a": conv([{"type": "text", "text": "part1"}, {"type": "image", "image": None}]),
            "conversation_b": conv("x"),
        },
    ]
    con, r = _ingest_lines(tmp_path, [json.dumps(x).encode() for x in recs])
    assert r.kept == 3 and r.quarantined == {"empty_prompt": 2, "bad_conversation": 2}
    details = dict(con.sql("SELECT row_number, detail FROM quarantine").fetchall())
    assert details[3] == "a message 1: unknown role robot"
    assert details[4] == "conversation_a is not a list"
    assert con.sql("SELECT content FROM prompts WHERE battle_id LIKE '%q6'").fetchall() == [("hé 'quoted'",)]
    assert con.sql("SELECT content FROM prompts WHERE battle_id LIKE '%q7'").fetchall() == [("part1",)]


def test_truncated_json_array_keeps_the_complete_elements(tmp_path: Path) -> None:
    good = [
        {"model_a": "a", "model_b": "b", "winner": w, "judge": "u1", "tstamp": 1.7e9 + i}
        for i, w in enumerate(["model_a", "tie", "model_b"])
    ]
    text = json.dumps(good)[:-40]  # cut inside the last element
    p = tmp_path / "clean_battle.json"
    p.write_text(text)
    con = db.connect(None)
    r = ingest_file(con, p, key=KEY)
    assert (r.rows_in, r.kept, r.quarantined) == (3, 2, {"truncated_json": 1})
    assert con.sql("SELECT location FROM quarantine").fetchall() == [("element 3",)]


def test_csv_malformed_lines_and_gzip(tmp_path: Path) -> None:
    text = (
        "id,left,right,winner,worker\n1,a,b,left,w1\n2,a,b,right\n3,a,b,sideways,w2\n"
        '4,"a, with comma",b,tie,w3\n5,a,b,tie,w4,extra\n'
    )
    p = tmp_path / "llmfao.csv.gz"
    p.write_bytes(gzip.compress(text.encode()))
    con = db.connect(None)
    r = ingest_file(con, p, key=KEY)
    assert r.format == "llmfao"
    assert (r.rows_in, r.kept) == (5, 2)
    assert r.quarantined == {"malformed_csv": 2, "unknown_winner": 1}
    locs = sorted(x[0] for x in con.sql("SELECT location FROM quarantine WHERE reason = 'malformed_csv'").fetchall())
    assert locs == ["line 3", "line 6"]
    assert ("a, with comma",) in con.sql("SELECT model_a FROM battles").fetchall()


# --- property: arbitrary corruption never loses a record --------------------------------------

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(["model_a", "model_b", "tie", "tie (bothbad)", "both_bad", "alpha", "beta", ""]),
)


@st.composite
def _record(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["good", "field", "truncate", "bytes", "drop", "array"]))
    rec = dict(
        GOOD,
        num=draw(st.integers(0, 30)),
        model_a=draw(st.sampled_from(["alpha", "beta", "gamma"])),
        model_b=draw(st.sampled_from(["alpha", "beta", "gamma"])),
        winner=draw(st.sampled_from(["model_a", "model_b", "tie", "tie (bothbad)", "both_bad", "x"])),
    )
    if kind == "field":
        rec[draw(st.sampled_from(sorted(rec)))] = draw(_values)
    elif kind == "drop":
        rec.pop(draw(st.sampled_from(sorted(rec))))
    line = json.dumps(rec).encode()
    if kind == "truncate":
        line = line[: draw(st.integers(1, max(1, len(line) - 1)))]
    elif kind == "bytes":
        i = draw(st.integers(0, len(line)))
        line = line[:i] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xe9"])) + line[i:]
    elif kind == "array":
        line = b"[" + line + b"]"
    return line.replace(b"\n", b" ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_record(), min_size=1, max_size=25))
def test_records_in_equal_kept_plus_quarantined(tmp_path: Path, lines: list[bytes]) -> None:
    p = tmp_path / "votes.jsonl"
    p.write_bytes(b"\n".join(lines))
    con = db.connect(None)
    try:
        r = ingest_file(con, p, key=KEY, source="s", format_name="arena-votes-33k")
    except UserError as exc:  # a file without a single usable battle is refused, and nothing is written
        assert "none of its" in exc.message
        assert con.sql("SELECT (SELECT count(*) FROM battles) + (SELECT count(*) FROM quarantine)").fetchall() == [(0,)]
        return
    records = sum(1 for line in lines if line.strip(b" \t\r"))
    assert r.rows_in == records == r.kept + r.quarantined_total
    counts = con.sql("SELECT (SELECT count(*) FROM battles), (SELECT count(*) FROM quarantine)").fetchall()[0]
    assert counts == (r.kept, r.quarantined_total)
    # an unknown outcome is never mapped to anything
    assert (
        con.sql(
            "SELECT count(*) FROM battles WHERE winner NOT IN ('model_a', 'model_b', 'tie', 'tie_bothbad')"
        ).fetchall()[0][0]
        == 0
    )
    assert con.sql("SELECT count(*) FROM quarantine WHERE reason IS NULL OR detail IS NULL").fetchall()[0][0] == 0
    con.close()


# --- regressions: each generates its own data --------------------------------------------------


def _vote(i: int, **kw: object) -> dict:
    return {"num": i, "model_a": "alpha", "model_b": "beta", "winner": "model_a", **kw}


def _ingest(tmp: Path, name: str, data: bytes, **kw):
    p = tmp / name
    p.write_bytes(data)
    con = db.connect(None)
    return con, ingest_file(con, p, key=KEY, **kw)


def test_json_array_broken_element_is_quarantined_alone(tmp_path: Path) -> None:
    recs = [json.dumps(_vote(i)) for i in range(1, 11)]
    recs[3] = recs[3].replace('"winner": ', '"winner": ,')  # element 4 is broken
    con, r = _ingest(tmp_path, "a.json", ("[" + ",\n".join(recs) + "]").encode())
    assert (r.rows_in, r.kept, r.quarantined) == (10, 9, {"invalid_json": 1})
    assert con.sql("SELECT location FROM quarantine").fetchall() == [("element 4",)]
    # a missing comma between elements splits them instead of merging
    con, r = _ingest(tmp_path, "b.json", ("[" + ",".join(recs[:3]) + " " + ",".join(recs[4:]) + "]").encode())
    assert (r.rows_in, r.kept) == (9, 9)


@pytest.mark.parametrize("damage", ['"winner": model_a', '"num": 4}}', '"model_a": "alpha'])
def test_json_array_too_damaged_is_refused(tmp_path: Path, damage: str) -> None:
    recs = [json.dumps(_vote(i)) for i in range(1, 8)]
    key = damage.split(":")[0]
    recs[3] = recs[3].replace(key + ": " + json.dumps(_vote(4)[key.strip('"')]), damage)
    p = tmp_path / "broken.json"
    p.write_text("[\n" + ",\n".join(recs) + "\n]")
    with pytest.raises(UserError) as exc:
        ingest_file(db.connect(None), p, key=KEY)
    assert "broken.json: element 4 (line 5" in exc.value.message and exc.value.hint


def test_json_lines_odd_whitespace_is_a_record(tmp_path: Path) -> None:
    lines = [json.dumps(_vote(1)).encode(), b"\x0b", b"\x0c", b"\x1c", "\xa0".encode(), b"  \t\r", b""]
    _con, r = _ingest(tmp_path, "v.jsonl", b"\n".join(lines))
    assert (r.rows_in, r.kept, r.quarantined) == (5, 1, {"invalid_json": 4})


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
@pytest.mark.parametrize("bad", ["lone_cr", "crlf", "unterminated", "huge", "fields"])
def test_csv_one_bad_line_is_quarantined_alone(tmp_path: Path, suffix: str, bad: str) -> None:
    d = "\t" if suffix == ".tsv" else ","
    rows = [d.join([str(i), "alpha", "beta", "left", f"w{i}"]) for i in range(1, 9)]
    expect_bad = 1
    if bad == "lone_cr":
        # a bare CR inside an unquoted field is data, as in Copilot Arena's public sample (where Python's csv
        # module splits the record in two): the record is kept whole, with its CR
        rows[3] = rows[3].replace("alpha", "al\rpha")
        expect_bad = 0
    elif bad == "crlf":
        rows[3] += "\r"
        expect_bad = 0
    elif bad == "unterminated":
        rows[3] = rows[3].replace("alpha", '"alpha')
    elif bad == "huge":
        rows[3] = rows[3].replace("alpha", "a" * 3_000_000)
        expect_bad = 0
    else:
        rows[3] += d + "extra"
    text = d.join(["id", "left", "right", "winner", "worker"]) + "\n" + "\n".join(rows) + "\n"
    con, r = _ingest(tmp_path, "votes" + suffix, text.encode())
    assert r.rows_in == 8 and r.kept == 8 - expect_bad
    if bad == "lone_cr":
        assert con.sql("SELECT count(*) FROM battles WHERE model_a = 'al' || chr(13) || 'pha'").fetchall() == [(1,)]
    if expect_bad:
        assert r.quarantined == {"malformed_csv": 1}
        assert con.sql("SELECT location FROM quarantine").fetchall() == [("line 5",)]


def test_csv_unterminated_quote_never_swallows_good_lines(tmp_path: Path) -> None:
    rows = [f"{i},alpha,beta,left,w{i}" for i in range(1, 9)]
    rows[2] = '3,"alpha,beta,left,w3'
    rows[5] = '6,alpha",beta,left,w6'
    text = "id,left,right,winner,worker\n" + "\n".join(rows) + "\n"
    con, r = _ingest(tmp_path, "votes.csv", text.encode())
    # line 7's quote is inside a field (a literal character, as DuckDB reads it too): that record is fine
    assert (r.rows_in, r.kept, r.quarantined) == (8, 7, {"malformed_csv": 1})
    assert con.sql("SELECT location FROM quarantine").fetchall() == [("line 4",)]


def test_no_usable_battle_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    p = tmp_path / "v.jsonl"
    p.write_text("\n".join(json.dumps(_vote(i, winner="draw")) for i in range(3)) + "\n")
    con = db.connect(None)
    with pytest.raises(UserError) as exc:
        ingest_file(con, p, key=KEY)
    msg = exc.value.message
    assert "v.jsonl" in msg and "unknown_winner 3" in msg and "line 1" in msg and "draw" in msg
    assert "--format" in (exc.value.hint or "")
    assert con.sql(
        "SELECT (SELECT count(*) FROM battles) + (SELECT count(*) FROM quarantine) + (SELECT count(*) FROM sources)"
    ).fetchall() == [(0,)]


def test_corrupt_gzip_is_one_user_error(tmp_path: Path) -> None:
    good = gzip.compress(("\n".join(json.dumps(_vote(i)) for i in range(500)) + "\n").encode())
    for name, data in [
        ("trunc.jsonl.gz", good[:-40]),
        ("flip.jsonl.gz", good[:30] + b"\xff\xff" + good[32:]),
        ("trunc.csv.gz", gzip.compress(b"id,left,right,winner\n" + b"1,a,b,left\n" * 300)[:-30]),
    ]:
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(UserError) as exc:
            ingest_file(db.connect(None), p, key=KEY)
        assert name in exc.value.message


def test_deep_surrogate_and_huge_int_values_do_not_crash(tmp_path: Path) -> None:
    deep = "[" * 5000 + "]" * 5000
    recs = [
        json.dumps(_vote(1)),
        json.dumps(_vote(2))[:-1] + ', "x": ' + deep + "}",
        json.dumps(_vote(3))[:-1] + ', "x": "\\ud800"}',
        json.dumps(_vote(4))[:-1] + ', "x": ' + "9" * 5000 + "}",
        json.dumps(_vote(5, model_a="\\ud800")).replace("\\\\ud800", "\\ud800"),
    ]
    for name, data in [("v.jsonl", "\n".join(recs)), ("v.json", "[" + ",".join(recs) + "]")]:
        _, r = _ingest(tmp_path, name, data.encode())
        assert r.rows_in == 5 and r.kept >= 1 and r.rows_in == r.kept + r.quarantined_total


def test_quoted_column_names(tmp_path: Path) -> None:
    con, r = _ingest(tmp_path, "q.csv", b'id,left,right,winner,"we""ird"\n1,a,b,left,x\n2,a,a,left,y\n')
    assert (r.kept, r.quarantined) == (1, {"same_model": 1})
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "q.parquet"
    pq.write_table(
        pa.table(
            {
                "model_a": ["a", "a"],
                "model_b": ["b", "a"],
                "winner": ["model_a"] * 2,
                'we"ird': ["x", "y"],
                "judge": ["u1", "u2"],
            }
        ),
        p,
    )
    con = db.connect(None)
    r = ingest_file(con, p, key=KEY)
    assert (r.kept, r.quarantined) == (1, {"same_model": 1})
