"""Reading files as they are: coded and continuous winners, plain-string texts, CSV dialects and encodings,
arena kinds, presets, ``formats --explain`` and errors that name the flags that would read a file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from conftest import KEY, run
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes import db
from arenavotes.errors import UserError
from arenavotes.ingest import ingest_file
from arenavotes.ingest.explain import guess_roles, suggested_flags
from arenavotes.ingest.mapping import ReadOptions, load_preset_text, parse_tie_band, parse_winner_map, preset_text


def _csv(
    path: Path, header: list[str], rows: list[list[object]], delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding=encoding)
    return path


def _battles(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.sql("SELECT model_a, model_b, winner, arena FROM battles ORDER BY source_id, battle_id").fetchall()


def _quarantine(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(con.sql("SELECT reason, count(*) FROM quarantine GROUP BY 1").fetchall())


# -- coded winners ---------------------------------------------------------------------------------------


def test_winner_map_matches_numbers_as_numbers_and_text_regardless_of_case(tmp_path: Path, con) -> None:
    p = _csv(
        tmp_path / "v.csv",
        ["id", "m0", "m1", "vote"],
        [[1, "x", "y", "0.0"], [2, "x", "y", "1"], [3, "x", "y", " 2.00 "], [4, "x", "y", "Left"], [5, "x", "y", "9"]],
    )
    read = ReadOptions(
        fields={"model_a": "m0", "model_b": "m1", "winner": "vote"},
        winner_map=parse_winner_map(["0=model_a,1=model_b", "2=tie,left=a"]),
    )
    r = ingest_file(con, p, key=KEY, read=read)
    assert (r.rows_in, r.kept, r.quarantined) == (5, 4, {"unknown_winner": 1})
    assert [w for _, _, w, _ in _battles(con)] == ["model_a", "model_b", "tie", "model_a"]
    detail = con.sql("SELECT detail FROM quarantine").fetchall()[0][0]
    assert detail == "winner '9' is not a known outcome"


def test_winner_map_not_a_vote_quarantines_with_its_own_reason(tmp_path: Path, con) -> None:
    p = _csv(tmp_path / "v.csv", ["a", "b", "w"], [["x", "y", "A"], ["x", "y", "skip"]])
    read = ReadOptions(
        fields={"model_a": "a", "model_b": "b", "winner": "w"}, winner_map={"A": "a", "skip": "not_a_vote"}
    )
    r = ingest_file(con, p, key=KEY, read=read)
    assert (r.kept, r.quarantined) == (1, {"not_a_vote": 1})


def test_bad_winner_map_entries_are_user_errors() -> None:
    with pytest.raises(UserError, match="unknown outcome 'draw'"):
        parse_winner_map(["0=draw"])
    with pytest.raises(UserError, match="expected VALUE=OUTCOME"):
        parse_winner_map(["0"])
    with pytest.raises(UserError, match="LO <= HI"):
        parse_tie_band("2:1")


# -- continuous winners ----------------------------------------------------------------------------------


def test_winner_from_one_column_with_a_tie_band(tmp_path: Path, con) -> None:
    rows = [
        {"generator_1": "m1", "generator_2": "m2", "instruction": "q1", "preference": 1.0},
        {"generator_1": "m1", "generator_2": "m2", "instruction": "q2", "preference": 1.98},
        {"generator_1": "m1", "generator_2": "m2", "instruction": "q3", "preference": 1.5},
        {"generator_1": "m1", "generator_2": "m2", "instruction": "q4", "preference": 1.45},
        {"generator_1": "m1", "generator_2": "m2", "instruction": "q5", "preference": None},
        {"generator_1": "m1", "generator_2": "m2", "instruction": "q6", "preference": "n/a"},
    ]
    p = tmp_path / "ann.json"
    p.write_text(json.dumps(rows))
    read = ReadOptions(
        fields={"model_a": "generator_1", "model_b": "generator_2", "prompt": "instruction"},
        winner_from=("preference",),
        tie_band=(1.45, 1.55),
    )
    r = ingest_file(con, p, key=KEY, read=read)
    assert (r.rows_in, r.kept, r.quarantined) == (6, 4, {"missing_winner": 1, "unknown_winner": 1})
    assert sorted(w for _, _, w, _ in _battles(con)) == ["model_a", "model_b", "tie", "tie"]
    # a plain-string instruction is the prompt (one user turn)
    assert con.sql("SELECT count(*) FROM prompts").fetchall()[0][0] == 4


def test_winner_from_high_wins_model_a_and_two_scores(tmp_path: Path, con) -> None:
    p = _csv(tmp_path / "s.csv", ["a", "b", "likert", "sa", "sb"], [["x", "y", 7, 3, 5], ["x", "y", 1, 4, 4]])
    base = {"model_a": "a", "model_b": "b"}
    ingest_file(
        con,
        p,
        key=KEY,
        source="one",
        read=ReadOptions(fields=base, winner_from=("likert",), tie_band=(4, 4), high_wins="model_a"),
    )
    assert sorted(w for _, _, w, _ in _battles(con)) == ["model_a", "model_b"]
    con.execute("DELETE FROM battles")
    ingest_file(
        con, p, key=KEY, source="two", allow_same_file=True, read=ReadOptions(fields=base, winner_from=("sa", "sb"))
    )
    assert sorted(w for _, _, w, _ in _battles(con)) == ["model_b", "tie"]


def test_winner_from_a_missing_column_names_it(tmp_path: Path, con) -> None:
    p = _csv(tmp_path / "s.csv", ["a", "b", "x"], [["m", "n", 1]])
    with pytest.raises(UserError, match="expects a 'pref' column"):
        ingest_file(con, p, key=KEY, read=ReadOptions(fields={"model_a": "a", "model_b": "b"}, winner_from=("pref",)))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none(), st.text(max_size=4)),
        min_size=1,
        max_size=30,
    ),
    st.floats(-2, 2),
    st.floats(0, 2),
)
def test_winner_from_property(values: list, lo: float, width: float) -> None:
    """Every record is kept or quarantined, and kept outcomes follow the band exactly."""
    import tempfile

    hi = lo + width
    rows = [{"a": "x", "b": "y", "v": v} for v in values]
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "v.jsonl"
        p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
        c = db.connect(None)
        read = ReadOptions(fields={"model_a": "a", "model_b": "b"}, winner_from=("v",), tie_band=(lo, hi))
        try:
            r = ingest_file(c, p, key=KEY, read=read)
        except UserError as exc:
            assert "none of its" in exc.message
            return
        assert r.rows_in == len(values) == r.kept + sum(r.quarantined.values())
        got = [w for (w,) in c.sql("SELECT winner FROM battles ORDER BY source_id NULLS LAST, battle_id").fetchall()]
        want = []
        for v in values:
            x = None
            if isinstance(v, float):
                x = v
            elif isinstance(v, str):
                try:
                    x = float(v.strip())
                except ValueError:
                    x = None
            if x is None or x != x or x in (float("inf"), float("-inf")):
                continue
            want.append("model_a" if x < lo else "model_b" if x > hi else "tie")
        assert sorted(got) == sorted(want)


# -- CSV dialects and encodings ---------------------------------------------------------------------------


def test_semicolon_csv_with_single_quotes_and_backslash_escapes(tmp_path: Path, con) -> None:
    p = tmp_path / "v.csv"
    p.write_text("a;b;w;prompt\nx;y;model_a;'it\\'s; fine'\nx;z;model_b;'two\nlines'\n", encoding="utf-8")
    read = ReadOptions(fields={"model_a": "a", "model_b": "b", "winner": "w"}, csv=_dialect(";", "'", "\\"))
    r = ingest_file(con, p, key=KEY, read=read)
    assert (r.kept, r.quarantined) == (2, {})
    prompts = [c for (c,) in con.sql("SELECT content FROM prompts ORDER BY content").fetchall()]
    assert prompts == ["it's; fine", "two\nlines"]


def _dialect(delimiter: str | None = None, quote: str = '"', escape: str = '"', encoding: str = "utf-8"):
    from arenavotes.ingest.mapping import CsvDialect

    return CsvDialect(delimiter, quote, escape, encoding)


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1", "cp1252"])
def test_other_encodings_are_read_through_utf8(tmp_path: Path, con, encoding: str) -> None:
    p = _csv(tmp_path / "v.csv", ["a", "b", "w", "prompt"], [["x", "y", "model_a", "café déjà"]], encoding=encoding)
    read = ReadOptions(fields={"model_a": "a", "model_b": "b", "winner": "w"}, csv=_dialect(encoding=encoding))
    r = ingest_file(con, p, key=KEY, read=read)
    assert r.kept == 1
    assert con.sql("SELECT content FROM prompts").fetchall() == [("café déjà",)]


def test_bad_dialect_is_a_user_error() -> None:
    with pytest.raises(UserError, match="one character"):
        ReadOptions(csv=_dialect(";;"))
    with pytest.raises(UserError, match="unknown encoding"):
        ReadOptions(csv=_dialect(encoding="klingon"))


# -- arena kinds -------------------------------------------------------------------------------------------


def test_arena_from_flag_and_from_a_column(tmp_path: Path, con) -> None:
    p = _csv(
        tmp_path / "v.csv",
        ["a", "b", "winner", "kind"],
        [
            ["x", "y", "model_a", "Vision"],
            ["x", "y", "tie", "image_generation"],
            ["x", "y", "model_b", "audio"],
            ["x", "y", "model_b", ""],
        ],
    )
    r = ingest_file(
        con, p, key=KEY, source="flag", read=ReadOptions(fields={"model_a": "a", "model_b": "b"}, arena="webdev")
    )
    assert {k for *_, k in _battles(con)} == {"webdev"} and r.kept == 4
    r = ingest_file(
        con,
        p,
        key=KEY,
        source="col",
        allow_same_file=True,
        read=ReadOptions(fields={"model_a": "a", "model_b": "b", "arena": "kind"}),
    )
    assert (r.kept, r.quarantined) == (3, {"unknown_arena": 1})
    kinds = con.sql("SELECT arena FROM battles WHERE source = 'col' ORDER BY source_id, battle_id").fetchall()
    assert sorted(k for (k,) in kinds) == ["text", "text-to-image", "vision"]
    with pytest.raises(UserError, match="unknown arena kind"):
        ReadOptions(arena="smell")


def test_rate_and_report_refuse_to_mix_arena_kinds(tmp_path: Path) -> None:
    rows = []
    for i in range(60):
        rows.append(["t1", "t2", "model_a" if i % 3 else "model_b", "text"])
        rows.append(["i1", "i2", "model_b" if i % 3 else "model_a", "vision"])
    p = _csv(tmp_path / "v.csv", ["model_a", "model_b", "winner", "arena"], rows)
    ws = tmp_path / "ws"
    assert run("ingest", "-w", str(ws), str(p)).returncode == 0
    out = run("rate", "-w", str(ws))
    assert out.returncode == 2 and "2 arena kinds" in out.stderr and "--arena" in out.stderr
    assert "Traceback" not in out.stderr
    out = run("rate", "-w", str(ws), "--arena", "vision", "--ci", "none")
    assert out.returncode == 0, out.stderr
    models = run("sql", "-w", str(ws), "--format", "csv", "SELECT DISTINCT scope, model FROM leaderboards ORDER BY 2")
    assert models.stdout.split() == ["scope,model", "v[vision],i1", "v[vision],i2"]
    assert run("rate", "-w", str(ws), "--mix-arenas", "--ci", "none").returncode == 0
    out = run("report", "-w", str(ws))
    assert out.returncode == 2 and "--mix-arenas" in out.stderr
    out = run("report", "-w", str(ws), "--arena", "text")
    assert out.returncode == 0 and (ws / "reports" / "all-text" / "report.md").exists()


def test_an_older_workspace_gets_the_arena_column(tmp_path: Path) -> None:
    path = tmp_path / "arena.duckdb"
    con = db.connect(path)
    con.execute(
        "INSERT INTO battles (battle_id, source, model_a, model_b, winner) VALUES ('s:1', 's', 'x', 'y', 'tie')"
    )
    for column in ("citations_b", "citations_a", "arena"):  # what a workspace of the previous version lacks
        con.execute(f"ALTER TABLE battles DROP COLUMN {column}")
    con.execute("DROP TABLE workspace_schema")  # as the previous version left it: no schema fingerprint
    con.close()
    ro = db.connect(path, read_only=True)  # even a read-only open brings it up to date
    assert ro.sql("SELECT arena, citations_a FROM battles").fetchall() == [("text", None)]
    ro.close()


# -- presets, explain and errors that teach -----------------------------------------------------------------


def test_preset_round_trip_covers_every_option() -> None:
    read = ReadOptions(
        format="generic",
        container="csv",
        fields={"model_a": "m0", "model_b": "m1", "prompt": "q.text"},
        winner_from=("p",),
        tie_band=(1.4, 1.6),
        high_wins="model_a",
        arena="code-completion",
        csv=_dialect("\t", "'", "\\", "latin-1"),
    )
    assert load_preset_text(preset_text(read)) == read
    with pytest.raises(UserError, match="unknown key 'colour'"):
        load_preset_text('colour = "red"')


def test_explain_save_preset_then_ingest_with_it(tmp_path: Path) -> None:
    p = _csv(tmp_path / "v.csv", ["model_0", "model_1", "winner"], [["x", "y", "0.0"], ["y", "x", "1.0"]])
    preset = tmp_path / "p.toml"
    out = run(
        "formats", "--explain", str(p), "--map", "model_a=model_0", "--map", "model_b=model_1",
        "--winner-map", "0=model_a,1=model_b", "--save-preset", str(preset),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "0.0 -> model_a" in out.stdout and "2 -> 2 battles" in out.stdout
    out = run("ingest", "-w", str(tmp_path / "ws"), str(p), "--preset", str(preset))
    assert out.returncode == 0 and "2 battles" in out.stdout, out.stderr


def test_unrecognised_file_error_names_flags_that_read_it(tmp_path: Path) -> None:
    rows = [
        {"generator_1": "a", "generator_2": "b", "preference": 1 + i / 10, "instruction": f"q{i}"} for i in range(11)
    ]
    p = tmp_path / "ann.json"
    p.write_text(json.dumps(rows))
    out = run("ingest", "-w", str(tmp_path / "ws"), str(p))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "--map model_a=generator_1 --map model_b=generator_2" in out.stderr
    assert "--winner-from preference --tie-band" in out.stderr
    # explain applies the complete suggestion and shows its result
    out = run("formats", "--explain", str(p))
    assert out.returncode == 0 and "with the suggested flags" in out.stdout and "11 -> 11 battles" in out.stdout


def test_guesses_by_column_name() -> None:
    assert guess_roles({"model_0", "model_1", "winner", "prompt"}) == {
        "model_a": "model_0",
        "model_b": "model_1",
        "winner": "winner",
        "prompt": "prompt",
    }


def test_suggested_winner_map_lists_the_codes(tmp_path: Path) -> None:
    from arenavotes.ingest.containers import stage_file

    p = _csv(tmp_path / "v.csv", ["left", "right", "vote"], [["x", "y", "L"], ["x", "y", "R"], ["x", "y", "="]])
    c = duckdb.connect()
    staged = stage_file(c, p)
    flags = suggested_flags(c, staged, {"left", "right", "vote"})
    assert flags[-2:] == ["--winner-map", "==?,L=?,R=?"]
