"""Texts streamed with their cached gate verdicts from one join (pii.verdicts.stream) get exactly the verdicts a
lookup per batch gives, and the screen then asks the workspace nothing: a lookup scans the whole verdict table,
so one per batch made scrub and release cost ~N^2 in the number of texts."""

from __future__ import annotations

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
            for k in keys:  # held with the stored verdict, or known to have none
                assert cache.looked_up(k)
                assert (k in cache) == (k in expected) and (k not in cache or cache[k] == expected[k])
            cache.prefetch(keys)
            seen += piece
    finally:
        verdicts.arrow_sql = real  # type: ignore[assignment]
    assert lookups == []
    assert sorted(seen) == sorted(t for t in texts if t)  # every text once per row, empty ones skipped


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
