"""Cached gate verdicts are found without a query per batch, and exactly as stored: texts streamed with their
verdicts from one join (pii.verdicts.stream; the release gate's Parquet columns: tests/test_gate_columns.py),
and the few keys left looked up in one query each (VerdictCache.prefetch). A query scans the whole verdict
table, so one per batch made scrub and release cost ~N^2 in the number of texts."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes import db
from arenavotes.pii import verdicts
from arenavotes.pii.gate import verdict_key
from arenavotes.pii.patterns import Finding

#: texts of any script, with marks, emoji, NUL and control characters, repeated and empty ones
TEXTS = st.lists(
    st.one_of(st.text(max_size=30), st.sampled_from(["", "Dear Ann", "mail ann@example.org", "\x00x", "é"])),
    min_size=1,
    max_size=30,
)


def _workspace(texts: list[str], stored: list[bool], ner: bool) -> tuple[object, verdicts.VerdictCache]:
    """An in-memory workspace with a ``notes`` table of ``texts``, and the verdicts of the texts marked in
    ``stored`` saved the way a scrub saves them (some with findings)."""
    con = db.connect(None)
    con.register("_t", pa.table({"text": pa.array(texts, pa.string())}))
    con.execute("CREATE TABLE notes AS SELECT text FROM _t")
    con.unregister("_t")
    cache = verdicts.load(con)
    for i, (t, keep) in enumerate(zip(texts, stored, strict=True)):
        if keep and t:
            cache[verdict_key(t, ner)] = [Finding(0, 1, "PERSON", 0.9, "x@1")] if i % 2 else []
    verdicts.save(con, cache)
    return con, verdicts.load(con)


@settings(max_examples=60, deadline=None)
@given(TEXTS, st.data(), st.booleans(), st.integers(1, 7))
def test_streamed_verdicts_are_the_stored_ones_and_nothing_is_looked_up(
    texts: list[str], data: st.DataObject, ner: bool, batch: int
) -> None:
    stored = data.draw(st.lists(st.booleans(), min_size=len(texts), max_size=len(texts)))
    con, cache = _workspace(texts, stored, ner)
    expected = verdicts.load(con)  # the lookup a batch made before
    expected.prefetch([verdict_key(t, ner) for t in texts if t])
    lookups: list[str] = []
    real = verdicts.arrow_sql
    verdicts.arrow_sql = lambda *a, **k: lookups.append(a[1]) or real(*a, **k)  # type: ignore[assignment]
    try:
        seen: list[str] = []
        for piece in verdicts.stream(con, cache, "SELECT text FROM notes", ner=ner, batch=batch):  # type: ignore[arg-type]
            assert 0 < len(piece) <= batch
            keys = [verdict_key(t, ner) for t in piece]
            assert [cache.key(t, ner) for t in piece] == keys  # hashed by DuckDB, as Python hashes them
            for k in keys:  # held with the stored verdict, or known to have none
                assert cache.looked_up(k)
                assert (k in cache) == (k in expected) and (k not in cache or cache[k] == expected[k])
            cache.prefetch(keys)
            seen += piece
    finally:
        verdicts.arrow_sql = real  # type: ignore[assignment]
    assert lookups == []
    # every row of each text the gate must look at (none stored, or doubted), never a clean one's or an empty one
    clean = {t for t in texts if t and expected.get(verdict_key(t, ner)) == []}
    assert sorted(seen) == sorted(t for t in texts if t and t not in clean)


def test_the_screen_of_a_streamed_batch_analyses_only_texts_without_a_verdict(monkeypatch) -> None:
    """The texts without a stored verdict are analysed (and their verdicts stored with the next save); the
    others are not analysed again."""
    from arenavotes.pii import gate

    texts = ["mail ann@example.org", "call +44 20 7946 0958 now", "nothing here", "also nothing"]
    con, cache = _workspace(texts, [True, False, True, False], ner=False)
    # the stored verdicts of texts 0 and 2 say 'nothing' (i even) -- what the screen must reuse, not recompute
    analysed: list[str] = []
    real = gate.gate_findings

    def counting(todo, **kwargs):  # type: ignore[no-untyped-def]
        analysed.extend(todo)
        return real(todo, **kwargs)

    monkeypatch.setattr(gate, "gate_findings", counting)
    doubts: dict[str, list[Finding]] = {}
    for piece in verdicts.stream(con, cache, "SELECT text FROM notes", ner=False, batch=2):  # type: ignore[arg-type]
        doubts |= verdicts.screen(piece, cache, threshold=0.5, ner=False)
    assert sorted(analysed) == sorted([texts[1], texts[3]])
    assert list(doubts) == [texts[1]]  # the phone number; the stored (empty) verdict of the e-mail text stands
    verdicts.save(con, cache)
    assert con.execute("SELECT count(*) FROM gate_verdicts").fetchall() == [(4,)]  # type: ignore[attr-defined]


def test_a_cache_that_fills_while_streaming_stores_and_keeps_the_batch(monkeypatch) -> None:
    """Past HELD verdicts the cache stores what it learned and forgets it; it does so before it takes a batch,
    never between taking a batch's verdicts and the screen that reads them."""
    monkeypatch.setattr(verdicts, "HELD", 3)
    texts = [f"text number {i}" for i in range(20)]
    con, cache = _workspace(texts, [i % 3 == 0 for i in range(20)], ner=False)
    for piece in verdicts.stream(con, cache, "SELECT text FROM notes", ner=False, batch=4):  # type: ignore[arg-type]
        keys = [verdict_key(t, False) for t in piece]
        assert all(cache.looked_up(k) for k in keys)
        verdicts.screen(piece, cache, threshold=0.5, ner=False)
        assert all(k in cache for k in keys)
    verdicts.save(con, cache)
    assert con.execute("SELECT count(*), count(DISTINCT digest) FROM gate_verdicts").fetchall() == [(20, 20)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("ner", [True, False])
def test_a_stream_reads_only_its_gate_versions_verdicts(ner: bool) -> None:
    """A verdict stored under the other NER mode is not this stream's."""
    con, _ = _workspace(["Dear Ann"], [True], ner=not ner)
    cache = verdicts.load(con)
    list(verdicts.stream(con, cache, "SELECT text FROM notes", ner=ner))  # type: ignore[arg-type]
    assert verdict_key("Dear Ann", ner) not in cache and cache.looked_up(verdict_key("Dear Ann", ner))


def _hash_joins(node: dict) -> list[dict]:
    """The hash joins of a DuckDB JSON plan or profile, outermost first."""
    own = [node] if node.get("name") == "HASH_JOIN" else []
    return own + [j for child in node.get("children", []) for j in _hash_joins(child)]


def _tables(node: dict) -> set[str]:
    """The tables a plan node scans, itself and below."""
    table = str(node.get("extra_info", {}).get("Table", ""))
    mine = {table.rsplit(".", 1)[-1]} if table else set()
    return mine.union(*(_tables(c) for c in node.get("children", [])))


def _profiled(cur: object, out: object, sql: str, params: list[object]) -> dict:
    """The operator tree DuckDB ran for ``sql`` on ``cur``, planned as the stream plans it."""
    cur.execute(f"SET profiling_output = {db.sql_str(str(out))}")  # type: ignore[attr-defined]
    with db.joins_as_written(cur):  # type: ignore[arg-type]
        cur.execute(sql, params)  # type: ignore[attr-defined]
    cur.fetchall()  # type: ignore[attr-defined]  # (a query's profile is written once its result is read)
    (ran,) = json.loads(out.read_text())["operator"]  # type: ignore[attr-defined]
    return ran  # type: ignore[no-any-return]


def test_a_stream_hashes_the_small_side_however_few_duckdb_thinks_the_texts_are(tmp_path) -> None:
    """In the plans DuckDB runs, the texts' distinct digests are the hash table the stored verdicts probe, and
    then the open digests the one the texts stream through, even when a filter makes DuckDB estimate the texts at
    a fraction of their number. Built from the texts, a join held every text before the first came out (a scrub
    run's 439,924 texts were estimated at 17,596). Only the open texts come out."""
    texts = [f"text number {i}" for i in range(3000)]
    con, cache = _workspace(texts, [True] * 2000 + [False] * 1000, ner=False)  # stored: half clean, half doubted
    for i in range(30_000):  # verdicts of texts gone since, ten times as many as the texts
        cache[verdict_key(f"other {i}", False)] = []
    verdicts.save(con, cache)
    cache = verdicts.load(con)
    sql = "SELECT text FROM notes WHERE text LIKE 'text%' AND length(text) > 3 AND text <> 'x'"
    read = [t for piece in verdicts.stream(con, cache, sql, ner=False) for t in piece]  # type: ignore[arg-type]
    assert sorted(read) == sorted(t for i, t in enumerate(texts) if i % 2 or i >= 2000)  # doubted, or none stored
    assert con.execute("SELECT current_setting('disabled_optimizers')").fetchall() == [("",)]  # type: ignore[attr-defined]
    cur = con.cursor()  # type: ignore[attr-defined]
    cur.execute("SET enable_profiling = 'json'")
    gate = f"{verdicts.GATE_VERSION}:no-ner"
    made = _profiled(
        cur, tmp_path / "1.json", f"CREATE TEMP TABLE {verdicts.OPEN_TEXTS} AS {verdicts.open_texts_sql(sql)}", [gate]
    )
    (join,) = [j for j in _hash_joins(made) if "gate_verdicts" in _tables(j)]
    probe, build = join["children"]
    assert (_tables(probe), _tables(build)) == ({"gate_verdicts"}, {"notes"})
    ran = _profiled(cur, tmp_path / "2.json", verdicts.stream_sql(sql), [gate])
    (join,) = _hash_joins(ran)
    probe, build = join["children"]
    assert (_tables(probe), _tables(build)) == ({"notes"}, {verdicts.OPEN_TEXTS})


def test_a_stream_of_texts_none_of_which_is_stored_clean_reads_them_all_with_the_doubted_findings() -> None:
    """A first scrub: no stored verdict is clean, so every text comes out (through a table of the doubted
    ones, not of every digest), the doubted with their findings and the rest as known to have none."""
    texts = ["a", "b", "c", "b", "d"]
    con = db.connect(None)
    con.execute("CREATE TABLE notes AS SELECT unnest(?) AS text", [texts])
    writer = verdicts.load(con)
    writer[verdict_key("b", False)] = [Finding(0, 1, "PERSON", 0.9, "x@1")]
    verdicts.save(con, writer)
    cache = verdicts.load(con)
    read = [t for piece in verdicts.stream(con, cache, "SELECT text FROM notes", ner=False) for t in piece]
    assert sorted(read) == sorted(texts)
    assert cache[verdict_key("b", False)] == [Finding(0, 1, "PERSON", 0.9, "x@1")]
    assert all(cache.looked_up(verdict_key(t, False)) and verdict_key(t, False) not in cache for t in "acd")


def test_joins_as_written_restores_the_optimizers_a_user_disabled_even_after_an_error() -> None:
    con = db.connect(None)
    con.execute("SET disabled_optimizers = 'top_n'")
    with pytest.raises(duckdb.Error), db.joins_as_written(con):
        assert con.execute("SELECT current_setting('disabled_optimizers')").fetchall() == [
            ("build_side_probe_side,top_n",)
        ]
        con.execute("SELECT * FROM no_such_table")
    assert con.execute("SELECT current_setting('disabled_optimizers')").fetchall() == [("top_n",)]


#: 16-byte digests where an order or a padding mistake would show: NUL and 0xff bytes at either end, bytes past
#: 0x7f (signed and unsigned orders differ there), neighbours that differ in the last byte only
EDGE_DIGESTS = [
    bytes(16),
    bytes(15) + b"\x01",
    b"\x01" + bytes(15),
    b"\xff" * 16,
    b"\x7f" + bytes(15),
    b"\x80" + bytes(15),
    b"\x80" + bytes(14) + b"\x01",
    b"ab" + bytes(14),
    b"ab" + bytes(13) + b"\xff",
]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(EDGE_DIGESTS), st.binary(min_size=16, max_size=16)), min_size=1, unique=True),
    st.data(),
)
def test_prefetch_finds_exactly_the_stored_verdicts_in_one_query(digests: list[bytes], data: st.DataObject) -> None:
    """Keys of any digest: the stored ones are found with their findings, the others are not, in one query
    (nothing of the table is held in memory between lookups); keys held already are not asked for again."""
    gate = f"{verdicts.GATE_VERSION}:no-ner"
    keys = [f"{gate}:{d.hex()}{'0' * 32}" for d in digests]
    kinds = data.draw(st.lists(st.sampled_from(["clean", "doubted", "absent"]), min_size=len(keys), max_size=len(keys)))
    con = db.connect(None)
    writer = verdicts.load(con)
    for k, kind in zip(keys, kinds, strict=True):
        if kind != "absent":
            writer[k] = [Finding(0, 3, "PERSON", 0.75, "x@1")] if kind == "doubted" else []
    verdicts.save(con, writer)
    real, lookups = verdicts.arrow_sql, []
    verdicts.arrow_sql = lambda *a, **k: lookups.append(1) or real(*a, **k)  # type: ignore[assignment]
    try:
        cache = verdicts.load(con)
        cache.prefetch(keys)
        assert len(lookups) == 1
        cache.prefetch([k for k, kind in zip(keys, kinds, strict=True) if kind != "absent"])
        assert len(lookups) == 1
    finally:
        verdicts.arrow_sql = real  # type: ignore[assignment]
    for k, kind in zip(keys, kinds, strict=True):
        assert (k in cache) == (kind != "absent"), kind
        if kind == "doubted":
            assert [(f.entity, f.score) for f in cache[k]] == [("PERSON", 0.75)]
        elif kind == "clean":
            assert cache[k] == []


def test_verdicts_saved_after_a_lookup_are_found_by_the_next() -> None:
    """A verdict this cache saved (and then forgot) is found again by a later lookup, not analysed again."""
    con = db.connect(None)
    cache = verdicts.load(con)
    first, later = verdict_key("first", False), verdict_key("later", False)
    cache.prefetch([first])
    cache[first], cache[later] = [], [Finding(0, 5, "PERSON", 0.9, "x@1")]
    verdicts.save(con, cache)
    cache.clear()
    cache.prefetch([first, later])
    assert cache[first] == [] and cache[later][0].entity == "PERSON"
