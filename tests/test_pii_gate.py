"""The release gate on its own planted set (not produced by the scrubber): every format a release carries,
unreadable files, verdict caching; plus the scrubber's regressions (IPv4 contexts, names in letters, code)."""

from __future__ import annotations

import gzip
import json
import random
import string
import struct
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes.pii.code import blank_code_lines, code_mask
from arenavotes.pii.engine import Analyzer
from arenavotes.pii.gate import GATE_VERSION, check_paths, gate_findings, verdict_key
from arenavotes.pii.names import find_names
from arenavotes.pii.patterns import find

FIRST = [
    "Beatrix",
    "Ignatius",
    "Marta",
    "Priya",
    "Kwame",
    "Olga",
    "Hiroshi",
    "Fatima",
    "Lars",
    "Chloé",
    "Dmitri",
    "Nomvula",
    "Santiago",
    "Aisha",
    "Tomás",
    "Ingrid",
    "Jonas",
    "Leila",
    "Mateo",
    "Sarah",
]
LAST = [
    "Lindqvist",
    "Fairbanks",
    "Kowalczyk",
    "Sharma",
    "Mensah",
    "Ivanova",
    "Tanaka",
    "Haddad",
    "Jensen",
    "Dubois",
    "Petrov",
    "Dlamini",
    "Okafor",
    "Rossi",
    "Novak",
    "Nakamura",
    "Schmidt",
    "Moreau",
    "Brennan",
    "Whitfield",
]
CONTEXTS = [
    "Dear {},\nthank you for the report.",
    "Hello {}, here is the plan.",
    "Yours, {}.",
    "Best regards,\n{}",
    "Sincerely,\n\n{}\nHead of Sales",
    "Cheers,\n{}",
    "Hi {}, quick question.",
    "My name is {} and I need help with my visa.",
    "I am {}, the new tenant.",
    "Kind regards,\n{}",
]


def _luhn(prefix: str, n: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(n - len(prefix) - 1))
    for c in string.digits:
        d = [int(x) for x in body + c]
        if (sum(d[-1::-2]) + sum(sum(divmod(2 * x, 10)) for x in d[-2::-2])) % 10 == 0:
            return body + c
    raise AssertionError


def planted(rng: random.Random) -> list[tuple[str, str]]:
    """(entity, text) pairs with one planted value each, in shapes the scrubber's patterns do not all cover."""

    def d(k: int) -> str:
        return "".join(rng.choice(string.digits) for _ in range(k))

    card = _luhn(rng.choice(["4", "51", "2221", "37", "6011"]), 16, rng)
    sep = rng.choice([" ", "-", ".", "_", "", "/"])
    ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    mail = f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}{d(2)}@{rng.choice(['mail.example.org', 'x.io'])}"
    return [
        ("CREDIT_CARD", f"pay with {sep.join(card[i : i + 4] for i in range(0, 16, 4))} today"),
        ("IP_ADDRESS", rng.choice([f"server {ip}", f"Kyiv {ip}", f"IP: {ip}.", f"host={ip}:8080", f"[{ip}]"])),
        ("EMAIL_ADDRESS", rng.choice([f"write to {mail}", f"<{mail}>", f"mailto:{mail}"])),
        (
            "PHONE_NUMBER",
            rng.choice(
                [
                    f"call +44 20 {d(4)} {d(4)}",
                    f"ring ({rng.randint(201, 989)}) 555-{d(4)}",
                    f"+1.{rng.randint(201, 989)}.555.{d(4)}",
                    f"tel 0049 30 {d(8)}",
                ]
            ),
        ),
        ("PERSON", rng.choice(CONTEXTS).format(name)),
    ]


def _write_png(path: Path, chunks: list[tuple[bytes, bytes]]) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    body = b"".join(chunk(k, v) for k, v in chunks)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + body
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _release(tmp: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """Writes one file of every format, each holding planted values; returns (file name, entity) expected."""
    rng = random.Random(seed)
    sets = [planted(rng) for _ in range(n)]
    flat = [pair for s in sets for pair in s]
    expect: list[tuple[str, str]] = []

    def plant(fname: str) -> list[tuple[str, str]]:
        expect.extend((fname, e) for e, _ in flat)
        return flat

    rows = plant("data.parquet")
    texts = [t for _, t in rows]
    k = len(texts)
    table = pa.table(
        {
            "s": pa.array(texts, pa.string()),
            "ls": pa.array(texts[1:] + texts[:1], pa.large_string()),
            "b": pa.array([t.encode() for t in texts[2:] + texts[:2]], pa.binary()),
            "dict": pa.array(texts[3:] + texts[:3]).dictionary_encode(),
            "lst": pa.array([["ok", t] for t in texts[4:] + texts[:4]], pa.list_(pa.string())),
            "st": pa.array(
                [{"a": 1, "b": t} for t in texts[5:] + texts[:5]], pa.struct([("a", pa.int64()), ("b", pa.string())])
            ),
            "mp": pa.array([[("k", t)] for t in texts[6:] + texts[:6]], pa.map_(pa.string(), pa.string())),
            "n": pa.array(range(k), pa.int64()),
        }
    )
    pq.write_table(table, tmp / "data.parquet")
    rows = plant("data.json")
    (tmp / "data.json").write_text(json.dumps({"items": [{"text": t, "id": i} for i, (_, t) in enumerate(rows)]}))
    rows = plant("data.jsonl")
    (tmp / "data.jsonl").write_text("".join(json.dumps({"content": [t]}) + "\n" for _, t in rows))
    rows = plant("card.md")
    (tmp / "card.md").write_text("# Card\n\n" + "\n\n".join(f"- {t}" for _, t in rows) + "\n")
    rows = plant("table.csv")
    with (tmp / "table.csv").open("w", newline="") as f:
        import csv

        w = csv.writer(f)
        w.writerow(["id", "text"])
        w.writerows([i, t] for i, (_, t) in enumerate(rows))
    rows = plant("notes.txt.gz")
    (tmp / "notes.txt.gz").write_bytes(gzip.compress("\n\n".join(t for _, t in rows).encode()))
    rows = plant("fig.svg")
    body = "".join(f'<text x="1" y="{i}">{_xml(t)}</text>' for i, (_, t) in enumerate(rows))
    (tmp / "fig.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><path d="M 10.0.0.1 L 1 2"/>{body}</svg>')
    rows = plant("fig.png")
    _write_png(
        tmp / "fig.png",
        [
            (b"tEXt", b"Comment\x00" + t.encode("latin-1", "replace"))
            if i % 3 == 0
            else (b"zTXt", b"Comment\x00\x00" + zlib.compress(t.encode("latin-1", "replace")))
            if i % 3 == 1
            else (b"iTXt", b"Comment\x00\x00\x00en\x00\x00" + t.encode())
            for i, (_, t) in enumerate(rows)
        ],
    )
    return expect


def _xml(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize("ner", [False, True])
def test_gate_catches_its_own_planted_set_in_every_format(tmp_path: Path, ner: bool) -> None:
    n = 20 if ner else 40
    expect = _release(tmp_path, n, seed=7 if ner else 3)
    found = check_paths([tmp_path], ner=ner)
    assert not [f for f in found if f.entity == "UNREADABLE"]
    # per file and entity: as many findings as planted values (a value may be found by several detectors,
    # so count distinct (location, column) cells against planted cells of that file)
    planted_count: dict[tuple[str, str], int] = {}
    for fname, e in expect:
        planted_count[fname, e] = planted_count.get((fname, e), 0) + 1
    got: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for f in found:
        got.setdefault((Path(f.file).name, f.entity), set()).add((f.location, f.column))
    total = sum(planted_count.values())
    caught = 0
    for key, count in planted_count.items():
        if key[0] == "data.parquet":
            count *= 7  # the same values in seven columns of seven Arrow types
        caught += min(count, len(got.get(key, ()))) / (7 if key[0] == "data.parquet" else 1)
        assert len(got.get(key, ())) >= 0.99 * count, (key, len(got.get(key, ())), count)
    assert caught >= 0.99 * total
    for f in found:  # never the value: only file, place, entity, recognizer
        assert not any(x in f"{f.location} {f.column}" for x in ("@", "Lindqvist", "Kowalczyk"))


def test_every_parquet_column_type_is_read(tmp_path: Path) -> None:
    t = "mail bob.stone@example.org"
    table = pa.table(
        {
            "b": pa.array([t.encode()], pa.binary()),
            "d": pa.array([t]).dictionary_encode(),
            "m": pa.array([[("k", t)]], pa.map_(pa.string(), pa.string())),
            "mk": pa.array([[(t, "v")]], pa.map_(pa.string(), pa.string())),
            "lb": pa.array([[t.encode()]], pa.list_(pa.large_binary())),
            "card": pa.array([4111111111111111], pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "x.parquet", compression="zstd")
    cols = {(f.column.split("[")[0].split("{")[0], f.entity) for f in check_paths([tmp_path], ner=False)}
    assert {
        ("b", "EMAIL_ADDRESS"),
        ("d", "EMAIL_ADDRESS"),
        ("m", "EMAIL_ADDRESS"),
        ("mk", "EMAIL_ADDRESS"),
        ("lb", "EMAIL_ADDRESS"),
        ("card", "CREDIT_CARD"),
    } <= cols


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bad.json", b'{"a": "unterminated'),
        ("latin.json", '{"a": "Café à Zürich"}'.encode("latin-1")),
        ("bad.parquet", b"PAR1 this is not parquet"),
        ("trunc.parquet", b""),
        ("bad.jsonl", b'{"ok": 1}\n{not json}\n'),
        ("bad.txt.gz", b"\x1f\x8b\x08\x00garbage"),
        ("bad.svg", b"<svg><text>unclosed</svg>"),
        ("bad.png", b"\x89PNG\r\n\x1a\nnot chunks"),
        ("photo.jpg", b"\xff\xd8\xff\xe0 pixels"),
        ("blob.bin", b"\x00\x01\x02 binary"),
        ("latin.md", "Grüße aus Köln".encode("latin-1")),
    ],
)
def test_unreadable_files_fail_the_gate_without_a_traceback(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "fine.md").write_text("all good\n")
    found = check_paths([tmp_path], ner=False)
    assert [(Path(f.file).name, f.entity) for f in found if f.entity == "UNREADABLE"] == [(name, "UNREADABLE")]
    assert not [f for f in found if Path(f.file).name == "fine.md"]


def test_unreadable_files_still_have_their_pii_reported(tmp_path: Path) -> None:
    (tmp_path / "l.json").write_bytes('{"a": "Café, write to zoë@example.org"}'.encode("latin-1"))
    (tmp_path / "b.json").write_text('{"a": "write to ann@example.org", broken')
    ents = {(Path(f.file).name, f.entity) for f in check_paths([tmp_path], ner=False)}
    assert {
        ("l.json", "UNREADABLE"),
        ("l.json", "EMAIL_ADDRESS"),
        ("b.json", "UNREADABLE"),
        ("b.json", "EMAIL_ADDRESS"),
    } <= ents


def test_png_text_chunks_are_scanned_and_clean_png_passes(tmp_path: Path) -> None:
    _write_png(tmp_path / "clean.png", [(b"tEXt", b"Software\x00matplotlib version 3.8.0")])
    assert check_paths([tmp_path], ner=False) == []
    _write_png(tmp_path / "dirty.png", [(b"iTXt", b"Author\x00\x01\x00en\x00\x00" + zlib.compress(b"ann@example.org"))])
    assert {(Path(f.file).name, f.location, f.column, f.entity) for f in check_paths([tmp_path], ner=False)} == {
        ("dirty.png", "chunk 1", "iTXt", "EMAIL_ADDRESS")
    }


def test_gate_is_independent_of_the_scrubber() -> None:
    """Shapes the scrubber's patterns do not take, the gate does."""
    for text, entity in [
        ("card 4111.1111.1111.1111", "CREDIT_CARD"),
        ("card 4111/1111/1111/1111", "CREDIT_CARD"),
        ("srv10.20.30.40", "IP_ADDRESS"),
    ]:
        assert entity not in {f.entity for f in find(text)}, text
        assert entity in {f.entity for f in gate_findings([text], ner=False)[text]}, text


def test_gate_passes_clean_technical_text() -> None:
    clean = [
        "Python 3.11.7 and numpy==1.26.4 released 2023-12-04 15:30:00",
        "version 1.2.3.4 and v1.2.3.4 and 1.2.3.4.5",
        "x = [192, 168, 1, 1]; pi = 3.141592653589793",
        "git clone git@github.com:org/repo.git",
        "1,234,567 rows in 12.5 s; p = 0.003",
        "Hello World! Dear Sir or Madam, Best practices for Grace Period",
        "Write a haiku about <PERSON> at <EMAIL_ADDRESS>",
        "epoch 1700000000000 ms; seed 1234567890",
    ]
    got = gate_findings(clean)
    assert {t: [f.recognizer for f in fs if f.score >= 0.7] for t, fs in got.items()} == {t: [] for t in clean}


def test_verdicts_are_pure_and_cacheable(tmp_path: Path) -> None:
    texts = ["mail ann@example.org", "2 + 2 = 4", "mail ann@example.org"]
    one = gate_findings(texts, ner=False)
    assert list(one) == ["2 + 2 = 4", "mail ann@example.org"] and one == gate_findings(reversed(texts), ner=False)
    key = verdict_key("2 + 2 = 4", ner=False)
    assert GATE_VERSION in key and "2 + 2" not in key and key != verdict_key("2 + 2 = 4", ner=True)
    (tmp_path / "a.md").write_text("mail ann@example.org\n")
    (tmp_path / "b.md").write_text("ok\n")
    cache: dict = {}
    first = check_paths([tmp_path], ner=False, cache=cache)
    assert len(cache) == 2
    cache[verdict_key("ok", ner=False)] = gate_findings(["mail bob@example.org"], ner=False)["mail bob@example.org"]
    assert len(check_paths([tmp_path], ner=False, cache=cache)) == 2 * len(first)  # the cache was used
    assert check_paths([tmp_path], ner=False, workers=2) == first


# ------------------------------------------------------------------------- scrubber regressions


@pytest.mark.parametrize("seed", range(3))
def test_ipv4_after_v_words_and_before_a_full_stop(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(30):
        ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
        for text in (f"server {ip}", f"Kyiv {ip}", f"IP: {ip}.", f"driver {ip} up", f"Kharkiv, {ip}; next"):
            assert [(f.entity, text[f.start : f.end]) for f in find(text)] == [("IP_ADDRESS", ip)], text
        for text in (f"version {ip}", f"v{ip}", f"{ip}.{rng.randint(1, 9)}", f"ver. {ip}", f"release {ip}"):
            assert [f for f in find(text) if f.entity == "IP_ADDRESS"] == [], text


@pytest.mark.parametrize("seed", range(3))
def test_names_in_letters_are_found_by_the_context_recognizer(seed: int) -> None:
    rng = random.Random(seed)
    for template in [*CONTEXTS, "Prof. {} will chair.", "Signed: {}", "Name: {}\nRole: lead"]:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        text = template.format(name)
        got = [(f.entity, text[f.start : f.end], f.recognizer) for f in find_names(text)]
        assert ("PERSON", name, "context/person@1") in got or (template.startswith("Prof") and got), (text, got)
        new = Analyzer(ner=False).analyze([text])[0]
        assert any(f.entity == "PERSON" and f.start <= text.index(name) < f.end for f in new)


def test_context_recognizer_leaves_non_names() -> None:
    for text in [
        "Dear Hiring Manager,",
        "Hello World!",
        "Best practices, 2024",
        "Thanks,\nHere is the code:",
        "Cheers, and good luck",
        "I am Learning",
        "Hi there, Team",
        "Dear Sir or Madam",
    ]:
        assert find_names(text) == [], text


def test_code_lines_are_blanked_for_ner_only() -> None:
    text = (
        "Please help, Ignatius Fairbanks here.\nconst d = new Date();\nfig = go.Figure(go.Scatter(x=x))\n"
        "struct Node {\n    int val;\n};\n# Sort the files\nfiles.sort()\nThanks!"
    )
    mask = code_mask(text)
    assert mask == [False, True, True, True, True, True, True, True, False]
    view = blank_code_lines(text)
    assert len(view) == len(text) and view.startswith("Please help, Ignatius Fairbanks here.\n")
    assert "Date" not in view and "Scatter" not in view and "Node" not in view and "Sort" not in view


def test_ner_does_not_read_unfenced_code_and_patterns_still_do() -> None:
    text = (
        "const d = new Date();\nfig.add_trace(go.Scatter(x=x, y=y))\nstruct Node {\n    int v;\n};\n"
        "# Sort the files\nfiles.sort()\nhost = '10.1.2.3';"
    )
    found = Analyzer().analyze([text])[0]
    assert [(f.entity, text[f.start : f.end]) for f in found] == [("IP_ADDRESS", "10.1.2.3")]


def test_text_files_are_judged_paragraph_by_paragraph(tmp_path: Path) -> None:
    """Each paragraph is one cell (name-finding reads it without unrelated text around it), a short line
    such as a salutation stays with the paragraph after it, and line numbers stay exact."""
    from arenavotes.pii.gate_files import Cell, items

    para = "\n".join(f"Line {i} of a paragraph about ratings." for i in range(4))
    text = f"Dear Ann,\n\n{para}\n\n{para}\n\nYours,\n\nIgnatius Fairbanks\n"
    (tmp_path / "card.md").write_text(text)
    cells = [c for c in items(tmp_path / "card.md") if isinstance(c, Cell)]
    assert [c.first_line for c in cells] == [1, 8, 13]
    assert cells[0].text.startswith("Dear Ann,\n\nLine 0")
    assert cells[2].text == "Yours,\n\nIgnatius Fairbanks"
    assert {f.location for f in check_paths([tmp_path]) if f.entity == "PERSON"} >= {"line 1", "line 15"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.binary(min_size=16, max_size=16), max_size=40), max_size=12))
def test_digest_set_is_a_set(batches: list[list[bytes]]) -> None:
    """The gate's compact digest set answers as a Python set would, batch after batch (16-byte digests with
    zero bytes anywhere, including at the end, are members like any other)."""
    import numpy as np

    from arenavotes.pii.gate_files import DigestSet

    ours, theirs = DigestSet(), set()
    for batch in batches:
        distinct = list(dict.fromkeys(batch))
        new = ours.add(np.frombuffer(b"".join(distinct), dtype="S16"))
        assert new.tolist() == [d not in theirs for d in distinct]
        theirs.update(distinct)
        assert len(ours) == len(theirs)


def test_a_parquet_text_column_gives_each_value_once_at_its_first_row(tmp_path: Path) -> None:
    """Across record batches (65,536 rows each), a repeated text is judged once, at the first row holding it;
    a value first seen in a later batch is reported at its own row."""
    from arenavotes.pii.gate_files import Cell, items

    n = 140_000
    values = [f"text {i % 1000}" for i in range(n)]
    values[70_000] = "late bob.stone@example.org"
    values[139_999] = "late bob.stone@example.org"
    pq.write_table(pa.table({"t": values}), tmp_path / "x.parquet")
    cells = [c for c in items(tmp_path / "x.parquet") if isinstance(c, Cell) and c.column == "t"]
    assert len(cells) == len({*values})
    assert {c.text: c.location for c in cells}["late bob.stone@example.org"] == "row 70001"
    assert {c.text: c.location for c in cells}["text 999"] == "row 1000"
    found = check_paths([tmp_path], ner=False)
    assert {(f.location, f.entity) for f in found} == {("row 70001", "EMAIL_ADDRESS")}


def test_verdicts_of_other_gate_versions_are_dropped_on_load() -> None:
    """The workspace's verdict cache keeps the current gate version's verdicts only: older ones are never
    read again, and every lookup scans the table."""
    from arenavotes import db
    from arenavotes.pii import verdicts
    from arenavotes.pii.patterns import Finding

    con = db.connect(None)
    cache = verdicts.load(con)
    current = verdict_key("mail ann@example.org", ner=False)
    cache[current] = [Finding(5, 20, "EMAIL_ADDRESS", 1.0, "pattern/email@1")]
    verdicts.save(con, cache)
    stale = current.replace(GATE_VERSION, "gate-1+patterns@1")
    con.execute("INSERT INTO gate_verdicts VALUES (?, ?, '[]')", list(verdicts.split_key(stale)))
    again = verdicts.load(con)
    assert con.execute("SELECT gate, digest FROM gate_verdicts").fetchall() == [verdicts.split_key(current)]
    again.prefetch([current, stale])
    assert [f.entity for f in again[current]] == ["EMAIL_ADDRESS"] and stale not in again


def test_verdicts_are_stored_once_and_found_by_digest() -> None:
    """Saving a verdict that is already stored (another cache of the same workspace learned it too) adds no
    second row; a lookup finds a verdict by gate part and digest, and a different NER mode is a different key."""
    from arenavotes import db
    from arenavotes.pii import verdicts
    from arenavotes.pii.patterns import Finding

    con = db.connect(None)
    texts = [f"text {i}" for i in range(50)]
    one, two = verdicts.load(con), verdicts.load(con)
    for cache in (one, two):
        for t in texts:
            cache[verdict_key(t, ner=False)] = [Finding(0, 4, "PERSON", 0.5, "x@1")] if t.endswith("7") else []
        verdicts.save(con, cache)
    assert con.execute("SELECT count(*), count(DISTINCT digest) FROM gate_verdicts").fetchall() == [(50, 50)]
    again = verdicts.load(con)
    again.prefetch([verdict_key(t, ner=False) for t in texts] + [verdict_key("text 7", ner=True)])
    assert {k for k, v in again.items() if v} == {verdict_key(t, ner=False) for t in texts if t.endswith("7")}
    assert len(again) == 50 and verdict_key("text 7", ner=True) not in again


def test_workspace_with_string_keyed_verdicts_is_rekeyed_and_keeps_them(tmp_path: Path) -> None:
    """A workspace whose verdict table predates the digest layout (one 'version:ner:sha256' key column with a
    primary key) is converted when opened, read-only or not, and its verdicts are found again."""
    import duckdb

    from arenavotes import db
    from arenavotes.pii import verdicts

    path = tmp_path / "arena.duckdb"
    db.connect(path).close()
    found, clean = verdict_key("mail ann@example.org", ner=False), verdict_key("hello", ner=True)
    raw = duckdb.connect(str(path))
    raw.execute("DROP TABLE workspace_schema")  # as an older version left it: no schema fingerprint
    raw.execute("DROP TABLE gate_verdicts")
    raw.execute("CREATE TABLE gate_verdicts (key VARCHAR PRIMARY KEY, findings JSON NOT NULL)")
    raw.execute(
        "INSERT INTO gate_verdicts VALUES (?, ?), (?, '[]')",
        [found, '[[5, 20, "EMAIL_ADDRESS", 1.0, "pattern/email@1"]]', clean],
    )
    raw.close()
    ro = db.connect(path, read_only=True)
    assert ro.execute("SELECT gate, digest FROM gate_verdicts ORDER BY gate").fetchall() == sorted(
        [verdicts.split_key(found), verdicts.split_key(clean)]
    )
    ro.close()
    con = db.connect(path)
    cache = verdicts.load(con)
    cache.prefetch([found, clean])
    assert [f.entity for f in cache[found]] == ["EMAIL_ADDRESS"] and cache[clean] == []
    assert not cache.new


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=8, unique=True), st.booleans())
def test_verdicts_are_stored_under_the_key_split_key_gives(texts: list[str], ner: bool) -> None:
    """The workspace splits a batch of verdict keys in SQL; what it stores and looks up is exactly
    :func:`~arenavotes.pii.verdicts.split_key` of each key, for any text (a mismatch would store every verdict
    under a digest no lookup finds: each release would analyse every text again)."""
    from arenavotes import db
    from arenavotes.pii import verdicts
    from arenavotes.pii.patterns import Finding

    con = db.connect(None)
    cache = verdicts.load(con)
    keys = [verdict_key(t, ner=ner) for t in texts]
    for i, k in enumerate(keys):
        cache[k] = [Finding(0, 1, "PERSON", 0.5, "x@1")] if i % 2 else []
    verdicts.save(con, cache)
    stored = con.execute("SELECT gate, digest FROM gate_verdicts ORDER BY ALL").fetchall()
    assert stored == sorted(verdicts.split_key(k) for k in keys)
    again = verdicts.load(con)
    again.prefetch(keys)
    assert [bool(again[k]) for k in keys] == [bool(i % 2) for i in range(len(keys))]
