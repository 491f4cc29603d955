"""Ingest reads big files in batches (bounded memory); the result must not depend on where batches are cut.

Every table a file writes (battles, conversations, labels, quarantine with its reasons and row numbers) is
compared between one whole-file batch and batches as small as one record, on generated files with repeated
ids, id-less copies, broken lines, invalid UTF-8 and blank lines, in JSON lines (plain and gzip) and parquet.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import hypothesis.strategies as st
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from arenavotes import db
from arenavotes.config import IngestSettings
from arenavotes.ingest import containers, ingest_file, read_file
from arenavotes.ingest.coerce import install_macros
from arenavotes.ingest.mapping import ReadOptions

TABLES = {
    "battles": "battle_id",
    "conversations": "battle_id, side, msg",
    "prompt_labels": "battle_id, labeler, category",
    "quarantine": "row_number",
}


def _dump(con: object) -> dict[str, list[tuple[object, ...]]]:
    return {
        t: con.sql(
            f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY {o}"
            if t == "quarantine"
            else f"SELECT * FROM {t} ORDER BY {o}"
        ).fetchall()  # type: ignore[attr-defined]
        for t, o in TABLES.items()
    }


def _ingest(path: Path, batch_bytes: int, batch_rows: int, monkeypatch: pytest.MonkeyPatch) -> tuple[object, dict]:
    monkeypatch.setattr(containers, "BATCH_BYTES", batch_bytes)
    monkeypatch.setattr(containers, "BATCH_ROWS", batch_rows)
    monkeypatch.setattr(containers, "PROBE_LINES", 1)
    con = db.connect(None)
    report = ingest_file(con, path, key=b"k", source="s")
    return (report.rows_in, report.kept, report.quarantined, report.labels, report.messages), _dump(con)


_record = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["q1", "q2", "q3", None, None]),
        "a": st.sampled_from(["m1", "m2", "m3"]),
        "b": st.sampled_from(["m1", "m2", "m3"]),
        "winner": st.sampled_from(["model_a", "model_b", "tie", "tie (bothbad)", "draw"]),
        "prompt": st.sampled_from(["hi", "2+2?", "", "write a poem"]),
        "tag": st.booleans(),
        "judge": st.sampled_from(["alice_voter_77", "bob_voter_88"]),
    }
)
_line = st.one_of(
    _record.map(lambda r: ("record", r)),
    st.sampled_from([b"{broken", b"\xff\xfe not utf-8", b"", b"[1, 2]", b"oops alice_voter_77 broke"]).map(
        lambda b: ("raw", b)
    ),
)


def _jsonl(lines: list[tuple[str, object]]) -> bytes:
    out = []
    for kind, value in lines:
        if kind == "raw":
            out.append(value)  # type: ignore[arg-type]
            continue
        r = value  # type: ignore[assignment]
        rec = {
            "model_a": r["a"],  # type: ignore[index]
            "model_b": r["b"],  # type: ignore[index]
            "winner": r["winner"],  # type: ignore[index]
            "conversation_a": [{"role": "user", "content": r["prompt"]}, {"role": "assistant", "content": "A"}],  # type: ignore[index]
            "conversation_b": [{"role": "user", "content": r["prompt"]}, {"role": "assistant", "content": "B"}],  # type: ignore[index]
            "category_tag": {"math_v0.1": {"math": r["tag"]}},  # type: ignore[index]
        }
        rec["judge"] = r["judge"]  # type: ignore[index]
        rec["question_id"] = r["id"]  # type: ignore[index]  # null: the battle id is the record's hash
        out.append(json.dumps(rec).encode())
    return b"\n".join(out) + b"\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_line, min_size=1, max_size=30), cut=st.integers(1, 400), gz=st.booleans())
def test_json_lines_in_batches_equal_one_batch(
    lines: list[tuple[str, object]], cut: int, gz: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _jsonl(lines)
    if not any(k == "record" and r["a"] != r["b"] and r["prompt"] and r["winner"] != "draw" for k, r in lines):  # type: ignore[index]
        return  # a file without a single usable battle is refused whole (tested elsewhere)
    path = Path(tempfile.mkdtemp()) / ("v.jsonl.gz" if gz else "v.jsonl")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    whole = _ingest(path, 1 << 30, 1 << 30, monkeypatch)
    parts = _ingest(path, cut, 1, monkeypatch)
    assert parts == whole
    # a voter id is redacted from an unreadable line even when its readable records are in other batches
    if any(k == "record" and r["judge"] == "alice_voter_77" for k, r in lines):  # type: ignore[index]
        assert not [q for q in parts[1]["quarantine"] if "alice_voter_77" in str(q)]


def test_parquet_in_batches_equals_one_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n = 2_000
    table = pa.table(
        {
            "question_id": [
                f"q{i % 1_700}" for i in range(n)
            ],  # 300 repeated ids, their first copies in earlier batches
            "model_a": [f"m{i % 7}" for i in range(n)],
            "model_b": [f"m{(i * 3) % 5}" for i in range(n)],
            "winner": [["model_a", "model_b", "tie", "both_bad", "??"][i % 5] for i in range(n)],
            "category_tag": [
                {"math_v0.1": {"math": i % 3 == 0}, "if_v0.1": {"if": i % 2 == 0, "score": float(i % 6)}}
                for i in range(n)
            ],
        }
    )
    path = tmp_path / "b.parquet"
    pq.write_table(table, path, row_group_size=300)
    whole = _ingest(path, 1 << 30, 1 << 30, monkeypatch)
    # row groups sliced (300 > 170), or read two at a time (600 <= 700) with a short last batch
    for batch_rows in (170, 700):
        assert _ingest(path, 1 << 30, batch_rows, monkeypatch) == whole
    assert [len(t) for t in containers._parquet_tables(pq.ParquetFile(path), 700)] == [600, 600, 600, 200]
    counts = whole[0]
    assert counts[0] == n and counts[2]["duplicate_id"] > 0  # type: ignore[index]
    # the labels are moved from a view: the report counts the rows the insert wrote, batch by batch
    assert counts[3] == len(whole[1]["prompt_labels"]) > 0  # type: ignore[index]
    con = db.connect(None)
    install_macros(con)
    _, alone = read_file(
        con, path, ReadOptions(), source="s", key=b"k", settings=IngestSettings(), run_id="r", label="b"
    )
    assert alone.labels == len(whole[1]["prompt_labels"])  # formats --explain's route counts the view


def test_duckdb_memory_is_capped_and_spills_to_a_private_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arenavotes.errors import UserError

    path = tmp_path / "arena.duckdb"
    con = db.connect(path)
    assert con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0] in ("953.6 MiB", "1.0 GiB", "1.0 GB")
    spill = tmp_path / "arena.duckdb.tmp"
    assert con.sql("SELECT current_setting('temp_directory')").fetchall()[0][0] == str(spill)
    assert spill.is_dir() and spill.stat().st_mode & 0o077 == 0
    con.close()
    monkeypatch.setenv("ARENAVOTES_MEMORY_LIMIT", "300MB")
    con = db.connect(path)
    assert "MiB" in con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
    con.close()
    monkeypatch.setenv("ARENAVOTES_MEMORY_LIMIT", "lots")
    with pytest.raises(UserError, match="ARENAVOTES_MEMORY_LIMIT"):
        db.connect(path)


def test_streaming_stages_give_duckdb_a_smaller_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingest, dedup, categorize, rate and release (and scrub) cap DuckDB at STREAM_MEMORY_LIMIT (their own
    batches are held beside it); other commands keep MEMORY_LIMIT; ARENAVOTES_MEMORY_LIMIT overrides both."""
    from arenavotes.stages import (
        CategorizeOptions,
        DedupOptions,
        RateOptions,
        ReleaseOptions,
        run_categorize,
        run_dedup,
        run_rate,
        run_release,
    )
    from arenavotes.workspace import Workspace

    monkeypatch.delenv("ARENAVOTES_MEMORY_LIMIT", raising=False)
    seen: list[str] = []
    real = db.limit_memory

    def spy(con: duckdb.DuckDBPyConnection, path: Path | None, limit: str | None = None) -> None:
        real(con, path, limit)
        seen.append(con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0])

    monkeypatch.setattr(db, "limit_memory", spy)
    ws = Workspace.init(tmp_path / "ws")
    src = tmp_path / "b.jsonl"
    src.write_text(
        "".join(
            json.dumps(
                {
                    "model_a": f"m{i % 3}",
                    "model_b": f"m{(i + 1) % 3}",
                    "winner": ("model_a", "model_b", "tie")[i % 4 % 3],
                    "judge": f"v{i % 7}",
                }
            )
            + "\n"
            for i in range(30)
        )
    )
    from arenavotes.stages import IngestOptions, run_ingest

    run_ingest(ws, IngestOptions(files=(src,), source="s"))
    assert seen[-1] in ("381.4 MiB", "400.0 MB")  # ingest
    seen.clear()
    ws.connect(read_only=True).close()  # e.g. the sql command
    assert seen[-1] in ("953.6 MiB", "1.0 GiB", "1.0 GB")
    for run, options, cap in (
        (run_dedup, DedupOptions(), ("381.4 MiB", "400.0 MB")),
        (run_categorize, CategorizeOptions(), ("381.4 MiB", "400.0 MB")),
        (run_rate, RateOptions(), ("381.4 MiB", "400.0 MB")),
        (run_release, ReleaseOptions("v1", allow_missing="scrub", date="2026-12-01"), ("381.4 MiB", "400.0 MB")),
    ):
        seen.clear()
        run(ws, options)  # type: ignore[operator]
        assert seen and seen[0] in cap, (run, seen)
    monkeypatch.setenv("ARENAVOTES_MEMORY_LIMIT", "700MB")
    seen.clear()
    run_dedup(ws, DedupOptions())
    assert seen[0] in ("667.5 MiB", "700.0 MB")


def test_release_cache_keeps_temporary_tables_and_the_cap(tmp_path: Path) -> None:
    """Handing DuckDB's page cache back evicts pages, not data: a temporary table bigger than the 16 MB it
    drops to reads back whole, and the connection's own cap is set back (not another connection's)."""
    con = db.connect(tmp_path / "arena.duckdb", memory_limit="300MB")
    other = db.connect(None)  # a second connection, at the default cap, opened later
    con.execute("CREATE TEMP TABLE t AS SELECT i, repeat('x', 200) || i::VARCHAR AS s FROM range(200000) r(i)")
    before = con.execute("SELECT count(*), sum(length(s)) FROM t").fetchall()
    db.release_cache(con)
    assert con.execute("SELECT count(*), sum(length(s)) FROM t").fetchall() == before
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] in ("286.1 MiB", "300.0 MB")
    other.close()
    con.close()


def test_release_cache_inside_a_transaction_that_pinned_an_index(tmp_path: Path) -> None:
    """An insert into a keyed table pins its ART index in DuckDB's memory (not evictable). Lowering the cap
    below it fails, and inside a transaction that failure aborts it: the floor leaves room for it, so the
    transaction goes on and commits everything."""
    con = db.connect(tmp_path / "arena.duckdb", memory_limit="600MB")
    con.execute("CREATE TABLE k (key VARCHAR PRIMARY KEY, v INT)")
    with db.transaction(con):
        con.execute("INSERT INTO k SELECT md5(i::VARCHAR) || md5((i + 1)::VARCHAR), i FROM range(400000) r(i)")
        (pinned,) = con.execute(
            "SELECT sum(memory_usage_bytes) FROM duckdb_memory() WHERE tag = 'ART_INDEX'"
        ).fetchall()[0]
        assert pinned > 16_000_000  # the old 16 MB floor would have failed here
        db.release_cache(con)
        con.execute("INSERT INTO k VALUES ('one more', -1)")
    assert con.execute("SELECT count(*) FROM k").fetchall() == [(400_001,)]
    con.close()


@pytest.mark.parametrize("broken_first", [True, False])
def test_unreadable_line_is_redacted_with_ids_of_earlier_and_later_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken_first: bool
) -> None:
    """The broken line's voter id and user id are read in another batch: before it (the batches before the
    first broken line are read again for their ids) or after it (ids are noted as the batches pass). Either
    way they are redacted, and the file's other tables equal a whole-file read."""

    def line(qid: str, b: str, judge: str) -> tuple[str, object]:
        record = {"id": qid, "a": "m1", "b": b, "winner": "model_a", "prompt": "hi", "tag": False, "judge": judge}
        return ("record", record)

    good = _jsonl([line("q1", "m2", "carol_voter_99")])
    filler = _jsonl([line(f"f{i}", "m3", "bob_voter_88") for i in range(3)])
    good = good.replace(b'"judge"', b'"user_id": "dave_user_12", "judge"')  # a private key that is not the voter
    broken = b"oops carol_voter_99 and dave_user_12 broke\n"  # no keys: only the values read elsewhere tell
    path = tmp_path / "v.jsonl"
    path.write_bytes(broken + filler + good if broken_first else good + filler + broken)
    whole = _ingest(path, 1 << 30, 1 << 30, monkeypatch)
    parts = _ingest(path, 1, 1, monkeypatch)  # a batch per line
    assert parts == whole
    (row,) = [q for q in parts[1]["quarantine"] if q[4] == "invalid_json"]
    assert "carol_voter_99" not in str(row) and "dave_user_12" not in str(row) and "<redacted>" in str(row)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.text(alphabet=st.sampled_from([" ", "\t", "\r", "{", "}", '"', "a", "é", "中", "😀", "\x00", "\u2028"])),
        max_size=12,
    ),
    first=st.integers(1, 10**6),
    end=st.sampled_from(["", "\n", "\r\n"]),
    invalid=st.sampled_from([b"", b"\xff", b"\xed\xa0\x80", b"\xc0\xaf"]),
    at=st.integers(0, 12),
)
def test_json_lines_split_by_arrow_equals_python(
    lines: list[str], first: int, end: str, invalid: bytes, at: int
) -> None:
    """Ingest splits JSON lines with Arrow and falls back to the line-by-line Python split when a piece is not
    valid UTF-8: where both run they agree to the row (numbers, blank and whitespace-only lines, CR, NUL,
    characters of every width); with a bad byte, only its line is rejected."""
    from arenavotes.ingest.json_records import _split_lines_python, _split_utf8_lines, split_json_lines

    data = ("\n".join(lines) + end).encode("utf-8")
    fast = _split_utf8_lines(data, first)
    slow, rejects = _split_lines_python(data, first)
    assert fast is not None and fast.equals(slow) and not rejects["reason"]
    assert fast.schema == pa.schema([("_row", pa.int64()), ("_rec", pa.string())])
    if invalid:
        raw = [x.encode("utf-8") for x in lines] or [b""]
        k = at % len(raw)
        raw[k] += invalid
        bad = b"\n".join(raw)
        assert _split_utf8_lines(bad, first) is None
        table, rejects = split_json_lines(bad, first)
        assert rejects["_row"] == [first + k] and first + k not in table.column("_row").to_pylist()


def _records(
    n: int,
    prefix: str,
    *,
    prompt: Callable[[int], str],
    a: str = "m1",
    b: str = "m2",
    winner: str = "model_a",
    tag: bool = True,
    judge: str = "alice_voter_77",
) -> list[tuple[str, object]]:
    """``n`` readable records for :func:`_jsonl`, ids ``prefix0``, ``prefix1``, ..., prompt ``prompt(i)``."""
    return [
        (
            "record",
            {"id": f"{prefix}{i}", "a": a, "b": b, "winner": winner, "prompt": prompt(i), "tag": tag, "judge": judge},
        )
        for i in range(n)
    ]


_KILLED_INGEST = """
import os, signal, sys
from pathlib import Path
from arenavotes import db
import arenavotes.ingest as ingest
from arenavotes.ingest import containers, ingest_file

containers.BATCH_BYTES, containers.BATCH_ROWS, containers.PROBE_LINES = 2_000, 1 << 30, 1
seen = 0
real = ingest.normalize


def normalize(*args, **kwargs):  # killed while normalizing the fourth batch: three are pending by then
    global seen
    seen += 1
    if seen == 4:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)


ingest.normalize = normalize
con = db.connect(Path(sys.argv[1]))
ingest_file(con, Path(sys.argv[2]), key=b"k", source="s", replace=True)
"""


def test_a_killed_ingest_leaves_the_workspace_as_it_was(tmp_path: Path) -> None:
    """A replacing ingest killed after three of its batches leaves the source's old rows whole and no new
    one (the batches wait in temporary tables until one short transaction moves them); the same file then
    ingests in full."""
    import subprocess
    import sys

    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    lines = _records(5, "q", prompt=lambda i: "hi")
    old.write_bytes(_jsonl(lines))
    lines = _records(300, "n", a="m2", b="m3", winner="tie", prompt=lambda i: f"p{i}", tag=False, judge="bob_voter_88")
    new.write_bytes(_jsonl(lines))
    path = tmp_path / "ws.duckdb"
    con = db.connect(path)
    ingest_file(con, old, key=b"k", source="s")
    before = _dump(con)
    con.close()
    killed = subprocess.run([sys.executable, "-c", _KILLED_INGEST, str(path), str(new)], capture_output=True)
    assert killed.returncode == -9, killed.stderr.decode()
    con = db.connect(path)
    assert _dump(con) == before
    assert con.sql("SELECT rows_in FROM sources WHERE source = 's'").fetchall() == [(5,)]
    report = ingest_file(con, new, key=b"k", source="s", replace=True)
    assert (report.status, report.kept) == ("replaced", 300)
    assert con.sql("SELECT count(*), min(battle_id) FROM battles").fetchall() == [(300, "s:n0")]


def test_ingest_in_batches_frees_each_batch_before_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each batch's staging tables are freed once its rows are pending, not kept to the end of a transaction:
    what DuckDB holds (in memory and spilled) before the last batch is the pending rows, a few times the
    file's text, not every batch's staging (at 1M conversations the staging kept in one transaction was 13.5 GB
    of spill files; here it was 70 MB for 1.6 MB of text)."""
    lines = _records(400, "q", prompt=lambda i: "x" * 2_000 + str(i))
    path = tmp_path / "v.jsonl"
    path.write_bytes(_jsonl(lines))
    monkeypatch.setattr(containers, "BATCH_BYTES", 40_000)
    monkeypatch.setattr(containers, "PROBE_LINES", 1)
    import arenavotes.ingest as ingest

    con = db.connect(None)
    held: list[int] = []
    real = ingest.normalize

    def normalize(*args: object, **kwargs: object) -> object:
        held.append(
            con.sql("SELECT sum(memory_usage_bytes + temporary_storage_bytes) FROM duckdb_memory()").fetchall()[0][0]
        )
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "normalize", normalize)
    report = ingest_file(con, path, key=b"k", source="s")
    assert report.kept == 400 and len(held) > 10
    text = con.sql("SELECT sum(strlen(content)) FROM conversations").fetchall()[0][0]
    assert text > 1_600_000
    assert held[-1] < 4 * text, f"DuckDB held {held[-1]:,} bytes before the last batch, for {text:,} bytes of text"


def test_text_batches_take_lengths_before_any_join(tmp_path: Path) -> None:
    """The batches of answers (dedup), messages (categorize) and prompts of a source are planned from each
    battle's summed text length. Taken after joining the texts to the source's battles, the lengths made DuckDB
    build its hash table from the texts themselves: at 2M conversations dedup ran out of memory there. Here the
    answers hold ~3.5x the cap, and planning the batches stays within it (and every battle is in one batch)."""
    from arenavotes.categories.store import feature_batches
    from arenavotes.dedup.store import answer_batches

    con = db.connect(tmp_path / "arena.duckdb", memory_limit="1GB")
    n = 6_000
    con.execute(
        f"""INSERT INTO battles (battle_id, source, model_a, model_b, winner, arena)
            SELECT 's:' || lpad(i::VARCHAR, 6, '0'), 's', 'x', 'y', 'tie', 'text' FROM range({n}) r(i)"""
    )
    con.execute(
        f"""INSERT INTO conversations (battle_id, side, msg, turn, role, content)
            SELECT 's:' || lpad(i::VARCHAR, 6, '0'), side, msg, 1, role,
                   CASE WHEN role = 'user' THEN 'question ' || i::VARCHAR
                        ELSE repeat(md5(i::VARCHAR || side), 900) END
            FROM range({n}) r(i), (VALUES ('a', 0, 'user'), ('a', 1, 'assistant'), ('b', 0, 'user'),
                                          ('b', 1, 'assistant')) s(side, msg, role)"""
    )
    (chars,) = con.execute("SELECT sum(length(content)) FROM conversations WHERE role = 'assistant'").fetchall()[0]
    assert chars > 300_000_000
    con.execute("CHECKPOINT")
    con.execute("SET memory_limit = '100MB'")
    spans = db.id_batches(
        con,
        db.weights_sql(
            "FROM conversations c WHERE c.role = 'assistant'", "battle_id IN (SELECT battle_id FROM battles)"
        ),
        (),
        20_000,
        db.TEXT_CHARS,
    )
    assert len(spans) >= chars // db.TEXT_CHARS and spans[0][0] == "s:000000" and spans[-1][1] == f"s:{n - 1:06d}"
    assert len(feature_batches(con, ["s"])) == len(spans)
    first = next(answer_batches(con, "s"))
    assert (
        first["battle_id"].n_unique() * 2 == first.height
        and first["text"].str.len_chars().sum() <= db.TEXT_CHARS + 57_600
    )
    assert sum(b.height for b in db.prompt_batches(con, ["s"])) == n
    con.close()


def _long_conversations(path: Path, n: int) -> Path:
    """``n`` battles in the Hub arena shape made of real arena texts, each prompt two of them run together:
    longer messages than the bundled logs', like a log of pasted documents."""
    from conftest import DATA

    texts: list[str] = []
    with gzip.open(DATA / "arena-conversations-100" / "conversations.jsonl.gz", "rt") as fh:
        for line in fh:
            r = json.loads(line)
            texts += [m["content"] for side in ("conversation_a", "conversation_b") for m in r[side] if m["content"]]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            t = [texts[(i * k) % len(texts)] for k in (1, 7, 13, 29)]
            prompt = f"{t[0]} {t[1]}"
            conv = [[{"role": "user", "content": prompt}, {"role": "assistant", "content": a}] for a in t[2:]]
            row = {"question_id": f"q{i}", "model_a": "m1", "model_b": "m2", "winner": "model_a", "judge": f"v{i}"}
            fh.write(json.dumps({**row, "conversation_a": conv[0], "conversation_b": conv[1]}) + "\n")
    return path


def test_long_messages_ingest_within_the_stream_cap(tmp_path: Path) -> None:
    """A 32 MB batch of long messages ingests under ingest's 400 MB cap. The turns were numbered by a window
    over the unnested JSON, which held every message twice (its JSON and its text) at once: a batch of 6,000
    long synthetic conversations needed more than 400 MB; from a table of the messages, under 250 MB."""
    path = _long_conversations(tmp_path / "long.jsonl", 4_000)
    assert path.stat().st_size > 20_000_000  # one batch, but a big one
    con = db.connect(tmp_path / "arena.duckdb", memory_limit=db.STREAM_MEMORY_LIMIT)
    report = ingest_file(con, path, key=b"k", source="s")
    assert report.kept == 4_000 and report.messages == 16_000
    assert con.sql("SELECT count(*), max(turn) FROM conversations").fetchall() == [(16_000, 1)]


def test_much_longer_lines_ingest_within_the_stream_cap(tmp_path: Path) -> None:
    """Lines of ~43 KB (each answer a real arena text ten times over), 22 MB in all, ingest under the 400 MB cap
    in smaller pieces (json_records.piece_bytes). In 16 MB pieces (and a first piece of 1,000 lines, here the
    whole file) DuckDB ran out of the cap parsing them."""
    short = _long_conversations(tmp_path / "short.jsonl", 500)
    path = tmp_path / "longer.jsonl"
    with short.open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as out:
        for line in src:
            r = json.loads(line)
            for side in ("conversation_a", "conversation_b"):
                r[side][1]["content"] = "\n".join([r[side][1]["content"]] * 10)
            out.write(json.dumps(r) + "\n")
    assert path.stat().st_size > 20_000_000 and path.stat().st_size / 500 > 40_000
    con = db.connect(tmp_path / "arena.duckdb", memory_limit=db.STREAM_MEMORY_LIMIT)
    report = ingest_file(con, path, key=b"k", source="s")
    assert (report.kept, report.messages, report.quarantined) == (500, 2_000, {})


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.one_of(st.integers(0, 40), st.integers(100, 2_000)), min_size=0, max_size=40),
    size=st.integers(1, 3_000),
    first_lines=st.integers(1, 6),
    last_newline=st.booleans(),
    bom=st.booleans(),
)
def test_json_lines_come_in_whole_lines_and_long_ones_in_smaller_pieces(
    lengths: list[int], size: int, first_lines: int, last_newline: bool, bom: bool
) -> None:
    """Pieces are the file cut at line ends, in order, numbered by their first line; a piece of several lines
    stays within its size, and within a smaller one for long lines; the first holds ``first_lines`` lines
    where they fit in the probe's bytes. Thresholds scaled down: long lines here are over 100 bytes."""
    from arenavotes.ingest import json_records as jr

    text = b"\n".join(bytes([97 + i % 26]) * n for i, n in enumerate(lengths)) + (b"\n" if last_newline else b"")
    path = Path(tempfile.mkdtemp()) / "v.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jr, "LONG_LINE", 100)
        mp.setattr(jr, "MIN_PIECE", 64)
        mp.setattr(jr, "PROBE_BYTES", 4_000)
        parts = list(jr.json_lines_parts(path, size, first_lines))
    assert b"".join(p for p, _ in parts) == text and all(p for p, _ in parts)
    assert all(p.endswith(b"\n") for p, _ in parts[:-1])
    assert [n for _, n in parts] == [1 + sum(p.count(b"\n") for p, _ in parts[:i]) for i in range(len(parts))]
    for i, (p, _) in enumerate(parts):
        lines = p.rstrip(b"\n").split(b"\n")
        if len(lines) > 1 and i > 0:
            assert len(p) <= size
            if min(map(len, lines)) > 300:  # long lines only: a proportionally smaller piece
                assert len(p) <= max(64, size * 100 // min(map(len, lines))) + max(map(len, lines))
        elif len(lines) > 1:
            assert len(p) <= max(size, 4_000)
    if parts and text.count(b"\n") >= first_lines and len(text) <= 4_000 // 2 and max(lengths, default=0) <= 100:
        assert parts[0][0].count(b"\n") >= min(first_lines, text.count(b"\n"))
