"""The release gate: scan the exact files a release would publish, independently of the scrub pass.

What it runs on every string (:func:`gate_findings`): the scrubber's own detectors (patterns, the context
recognizer of names, NER on the scrubber's view) PLUS detectors the scrubber does not have
(:mod:`arenavotes.pii.loose`: looser structural patterns, context names and a census first-name gazetteer,
written apart from the scrubber's) and NER over the full text (the scrubber blanks code and lines without
a name candidate; the gate does not). So a blind spot of the scrubber is not one of the gate.

What it reads (:func:`check_paths`, file by file and batch by batch, so memory does not grow with the release):

* Parquet -- every string, large string, string view, binary, dictionary-encoded, list, struct and map value
  (keys too), integers of 13 or more digits (card numbers), and the file's key-value metadata;
* JSON (every key and string, with its JSON path), JSON lines (line by line), CSV/TSV (row, column);
* SVG -- every text node, comment (matplotlib writes text drawn as paths as comments) and attribute except
  geometry and inline images;
* PNG -- the ``tEXt``, ``zTXt`` and ``iTXt`` chunks. Pixels are not and cannot be scanned: text drawn into
  an image is invisible here. Report figures are drawn from report tables, which ship beside them and are
  scanned. Other raster formats (JPEG, GIF, WebP, ...) cannot be read and fail the gate;
* ``.gz`` files by what they hold (``x.jsonl.gz``, ``notes.txt.gz``); Markdown and any other text, in blocks
  of lines (so a sign-off and the name under it are read together).

A file the gate cannot read -- bad JSON or Parquet, a corrupt gzip or PNG, text that is not UTF-8, a binary
file of an unknown kind -- fails the gate with an ``UNREADABLE`` finding naming the file (and what could be
decoded is scanned all the same). Findings at or above the threshold are reported with the file, row (or
line), column (or JSON path), entity type and recognizer -- never the value. Typed placeholders
(``<PERSON>``) never match.

``ner=False`` (fast, for tests) leaves out every name detector that needs NER or is the gate's own (the
gazetteer, the gate's context names, full-text NER); the scrubber's context recognizer of names still runs.
Verdicts depend on the text and :data:`GATE_VERSION` only: a caller may cache them under
:func:`verdict_key` (``check_paths(..., cache={})``) and scan the next release in a fraction of the time.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "card.md"
>>> _ = p.write_text("Contact: <EMAIL_ADDRESS>\\nor jane@example.org\\n")
>>> sorted({(f.location, f.entity) for f in check_paths([p], ner=False)})
[('line 2', 'EMAIL_ADDRESS')]
>>> t = "Dear Marta Kowalczyk, ping 10.0.0.7."
>>> sorted({f.recognizer for f in gate_findings([t])[t]})
['context/person@1', 'gate/context_name@1', 'gate/dotted_quad@1', 'gate/gazetteer@1', 'pattern/ipv4@2']
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import gzip
import hashlib
import io
import json
import multiprocessing as mp
import re
import struct
import zlib
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from arenavotes.errors import UserError
from arenavotes.pii.engine import _LATIN_CAP, Analyzer, _engines, _name_score, _ner_view, is_name_false_positive
from arenavotes.pii.gazetteer import COMMON_WORDS, FIRST_NAMES
from arenavotes.pii.loose import find_loose
from arenavotes.pii.patterns import Finding

#: Bump when any detector the gate runs changes (cached verdicts of another version are not reused).
GATE_VERSION = "gate-2+patterns-ipv4@2+context-person@1+loose@1+spacy-ner@2"
FULL_NER_RECOGNIZER = "gate/spacy-full-text@1"
READER = "gate/reader@1"
UNREADABLE = "UNREADABLE"
BATCH = 20_000          # cells analysed together (a bound on memory per file)
_CHUNK = 512


@dataclasses.dataclass(frozen=True)
class GateFinding:
    file: str
    location: str      # 'row 17' / 'line 3' / 'text 2' / 'file'
    column: str        # column name or JSON path ('' for text lines; the reason for UNREADABLE)
    entity: str
    recognizer: str
    score: float


# ---------------------------------------------------------------------------------------------- verdicts

def verdict_key(text: str, ner: bool = True) -> str:
    """Cache key of a verdict: the gate's version, whether NER ran, and sha256 of the text (not the text)."""
    return f"{GATE_VERSION}:{'ner' if ner else 'no-ner'}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _full_text_names(texts: Sequence[str]) -> list[list[Finding]]:
    """NER over the whole text, code and all, where the scrubber's view differs from the text."""
    out: list[list[Finding]] = [[] for _ in texts]
    views = {i: _ner_view(t) for i, t in enumerate(texts) if _LATIN_CAP.search(t)}
    todo = [i for i, v in views.items() if v != texts[i]]
    if not todo:
        return out
    nlp_engine, analyzer = _engines()
    arts = nlp_engine.process_batch([texts[i] for i in todo], "en", batch_size=256)
    for i, (text, art) in zip(todo, arts, strict=True):
        found = analyzer.analyze(text=text, language="en", entities=["PERSON", "LOCATION"], nlp_artifacts=art)
        out[i] = [Finding(r.start, r.end, r.entity_type, _name_score(text[r.start:r.end], float(r.score)),
                          FULL_NER_RECOGNIZER) for r in found if _capitalised_name(text[r.start:r.end])
                  and _plausible_full_name(text[r.start:r.end])]
    return out


_PARTICLES = frozenset(("van", "von", "de", "del", "della", "da", "di", "du", "der", "den", "la", "le", "bin", "ibn",
                        "al", "el", "ben", "dos", "das", "y"))


def _capitalised_name(span: str) -> bool:
    """The English model reads other scripts and code as names; a name it may report is made of capitalised
    words (particles aside), one at least in Latin script, and passes the scrubber's false-positive filter."""
    words = span.split()
    return (not is_name_false_positive(span) and any("A" <= w[0] <= "Z" for w in words)
            and all(w[0].isupper() or w.lower() in _PARTICLES for w in words))


def _plausible_full_name(span: str) -> bool:
    """On the full text (code, other scripts, headings) the model's multi-word guesses are mostly
    noise ("Max Tokens", "Vehicle Status", "A. Định"): there a finding needs two or more capitalised words in
    Latin script, none a one-letter initial only, and none a common English word unless a census first name."""
    words = [w.strip(".,;:!?\"'()") for w in span.split() if w.lower() not in _PARTICLES]
    return (len(words) >= 2 and all(_LATIN_WORD.fullmatch(w) for w in words)
            and all(w in FIRST_NAMES or w.lower() not in COMMON_WORDS for w in words))


_LATIN_WORD = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'’]+(?:-[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'’]+)?")


def _gate_chunk(chunk: list[str], ner: bool) -> list[list[Finding]]:
    scrubbers = Analyzer(ner=ner, threshold=0.0).analyze(chunk)
    full = _full_text_names(chunk) if ner else [[] for _ in chunk]
    return [sorted({*a, *find_loose(t, names=ner), *b}, key=lambda f: (f.start, f.end, f.recognizer))
            for t, a, b in zip(chunk, scrubbers, full, strict=True)]


def _run_chunk(args: tuple[list[str], bool]) -> list[list[Finding]]:
    return _gate_chunk(*args)


def _init_worker() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def gate_findings(texts: Iterable[str], *, ner: bool = True, workers: int = 1,
                  executor: Executor | None = None) -> dict[str, list[Finding]]:
    """Every finding (any score) of every distinct text: a pure function of the texts and :data:`GATE_VERSION`.

    >>> gate_findings(["2 + 2 = 4", "2 + 2 = 4"], ner=False)
    {'2 + 2 = 4': []}
    """
    distinct = sorted(set(texts))
    chunks = [distinct[i:i + _CHUNK] for i in range(0, len(distinct), _CHUNK)]
    if executor is not None and len(chunks) > 1:
        results = list(executor.map(_run_chunk, [(c, ner) for c in chunks]))
    elif workers > 1 and len(chunks) > 1:
        with _pool(workers) as pool:
            results = list(pool.map(_run_chunk, [(c, ner) for c in chunks]))
    else:
        results = [_gate_chunk(c, ner) for c in chunks]
    return {t: f for c, r in zip(chunks, results, strict=True) for t, f in zip(c, r, strict=True)}


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"), initializer=_init_worker)


# ---------------------------------------------------------------------------------------------- readers

@dataclasses.dataclass(frozen=True)
class _Cell:
    location: str
    column: str
    text: str
    first_line: int | None = None    # text blocks: the line number of the block's first line


class _Unreadable(Exception):
    """A file (or part of one) the gate cannot read; the message names what, never the content."""


_Item = _Cell | _Unreadable
RASTER_UNREADABLE = (".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".ico", ".heic", ".avif")
_GEOMETRY = frozenset(str.split("d points transform x y x1 x2 y1 y2 dx dy cx cy r rx ry width height viewBox style fill "
                      "stroke stroke-width stroke-linejoin stroke-linecap stroke-miterlimit stroke-dasharray "
                      "stroke-dashoffset clip-path id class version preserveAspectRatio opacity fill-opacity "
                      "stroke-opacity font-size font-family font-weight text-anchor dominant-baseline "
                      "offset stop-color gradientUnits patternUnits"))


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, text) of every string in a decoded value: strings, bytes, big integers, dict keys and values,
    lists, tuples (map entries)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            yield path, raw.decode("utf-8")
        except UnicodeDecodeError:
            yield path, raw.decode("latin-1")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) >= 10**12:
            yield path, str(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(k, f"{path}{{key}}")
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")


def _has_text(t: pa.DataType) -> bool:
    if (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t) or pa.types.is_binary(t)
            or pa.types.is_large_binary(t) or pa.types.is_binary_view(t) or pa.types.is_fixed_size_binary(t)
            or pa.types.is_integer(t)):
        return True
    if pa.types.is_dictionary(t):
        return _has_text(t.value_type)
    if pa.types.is_map(t):
        return _has_text(t.key_type) or _has_text(t.item_type)
    if (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
            or pa.types.is_list_view(t) or pa.types.is_large_list_view(t)):
        return _has_text(t.value_type)
    if pa.types.is_struct(t) or pa.types.is_union(t):
        return any(_has_text(t.field(i).type) for i in range(t.num_fields))
    return False


def _flat_string(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _distinct_cells(column: pa.Array, name: str, row0: int, seen: set[str]) -> Iterator[_Cell]:
    """The distinct values of a text column not seen in earlier batches, each at the first row that holds it."""
    import polars as pl

    values = pl.from_arrow(column.cast(pa.large_string()) if pa.types.is_dictionary(column.type) else column)
    assert isinstance(values, pl.Series)
    firsts = (values.rename("v").to_frame().with_row_index("r").drop_nulls("v")
              .group_by("v", maintain_order=True).agg(pl.col("r").first()))
    for text, r in firsts.iter_rows():
        if text not in seen:
            seen.add(text)
            yield _Cell(f"row {row0 + r + 1}", name, text)


def _parquet(source: Any) -> Iterator[_Item]:
    try:
        f = pq.ParquetFile(source)
        schema = f.schema_arrow
    except Exception as exc:
        yield _Unreadable(f"not a readable Parquet file ({type(exc).__name__})")
        return
    for k, v in (schema.metadata or {}).items():
        if k != b"ARROW:schema":
            for _, text in _walk(v, ""):
                yield _Cell("metadata", k.decode("utf-8", "replace"), text)
    for name in schema.names:
        yield _Cell("schema", "", name)
    cols = [(i, schema.field(i).name) for i in range(len(schema.names)) if _has_text(schema.field(i).type)]
    if not cols:
        return
    flat = {n for _, n in cols if _flat_string(schema.field(n).type)}
    seen: dict[str, set[str]] = {n: set() for n in flat}
    row0 = 0
    try:
        for batch in f.iter_batches(batch_size=65536, columns=[n for _, n in cols]):
            for name in batch.schema.names:
                if name in flat:
                    # a flat text column: each distinct value once (at its first row), decoded by Arrow, not
                    # cell by cell in Python -- a verdict depends on the text alone
                    yield from _distinct_cells(batch.column(name), name, row0, seen[name])
                    continue
                values = batch.column(name).to_pylist()
                for r, value in enumerate(values, start=row0 + 1):
                    for sub, text in _walk(value, ""):
                        yield _Cell(f"row {r}", name + (f".{sub}" if sub and sub[0] not in "[{" else sub), text)
            row0 += batch.num_rows
    except Exception as exc:
        yield _Unreadable(f"Parquet data unreadable after row {row0} ({type(exc).__name__})")


def _decoded_lines(fh: IO[bytes], keepends: bool = False) -> Iterator[tuple[int, str, bool]]:
    """(line number, text, was UTF-8) of each line; lines that are not UTF-8 are decoded as Latin-1."""
    bom = True
    for n, raw in enumerate(fh, start=1):
        if bom:
            raw = raw.removeprefix(codecs.BOM_UTF8)
            bom = False
        try:
            text, ok = raw.decode("utf-8"), True
        except UnicodeDecodeError:
            text, ok = raw.decode("latin-1"), False
        yield n, text if keepends else text.rstrip("\r\n"), ok


def _text(fh: IO[bytes], max_lines: int = 64) -> Iterator[_Item]:
    """Blocks of lines (at most ``max_lines``, cut at a blank line once half full), one cell each; binary files fail."""
    head = fh.read(8192)
    if b"\x00" in head:
        yield _Unreadable("binary file of a kind the gate cannot read")
        return
    stream = io.BufferedReader(_Chain(head, fh))
    block: list[str] = []
    start = 1
    bad = False
    for n, line, ok in _decoded_lines(stream):
        if not ok and not bad:
            bad = True
            yield _Unreadable(f"not UTF-8 (line {n}); scanned as Latin-1")
        if (not line.strip() and len(block) >= max_lines // 2) or len(block) >= max_lines:
            if block:
                yield _Cell(f"line {start}", "", "\n".join(block), start)
            block, start = ([], n + 1) if not line.strip() else ([line], n)
        else:
            if not block:
                start = n
            block.append(line)
    if block:
        yield _Cell(f"line {start}", "", "\n".join(block), start)


class _Chain(io.RawIOBase):
    """A readable stream of ``head`` then the rest of ``fh`` (after sniffing the head)."""

    def __init__(self, head: bytes, fh: IO[bytes]) -> None:
        self._head, self._fh = head, fh

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._head[:len(b)] if self._head else self._fh.read(len(b))
        if self._head:
            self._head = self._head[len(data):]
        b[:len(data)] = data
        return len(data)


def _json(fh: IO[bytes]) -> Iterator[_Item]:
    raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield _Unreadable("not UTF-8; scanned as Latin-1")
        text = raw.decode("latin-1")
    try:
        value = json.loads(text)
    except ValueError as exc:
        yield _Unreadable(f"not valid JSON ({type(exc).__name__}); scanned as text")
        yield from _text(io.BytesIO(text.encode("utf-8")))
        return
    for sub, s in _walk(value, ""):
        yield _Cell("file", sub, s)


def _jsonl(fh: IO[bytes]) -> Iterator[_Item]:
    bad_enc = bad_json = False
    for n, line, ok in _decoded_lines(fh):
        if not ok and not bad_enc:
            bad_enc = True
            yield _Unreadable(f"not UTF-8 (line {n}); scanned as Latin-1")
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            if not bad_json:
                bad_json = True
                yield _Unreadable(f"not valid JSON (line {n}); scanned as text")
            yield _Cell(f"line {n}", "", line)
            continue
        for sub, s in _walk(value, ""):
            yield _Cell(f"line {n}", sub, s)


def _csv(fh: IO[bytes], delimiter: str) -> Iterator[_Item]:
    bad = False

    def lines() -> Iterator[str]:
        nonlocal bad
        for _, line, ok in _decoded_lines(fh, keepends=True):
            bad = bad or not ok
            yield line
    try:
        reader = csv.reader(lines(), delimiter=delimiter)
        header: list[str] = []
        for r, row in enumerate(reader):
            if r == 0:
                header = row
                for c in row:
                    yield _Cell("header", c, c)
                continue
            for j, cell in enumerate(row):
                if cell:
                    yield _Cell(f"row {r}", header[j] if j < len(header) else f"column {j + 1}", cell)
    except csv.Error as exc:
        yield _Unreadable(f"not valid CSV ({type(exc).__name__})")
    if bad:
        yield _Unreadable("not UTF-8; scanned as Latin-1")


def _svg(fh: IO[bytes]) -> Iterator[_Item]:
    import xml.etree.ElementTree as ET

    try:
        parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
        root = ET.parse(fh, parser=parser).getroot()
    except Exception as exc:
        yield _Unreadable(f"not valid SVG/XML ({type(exc).__name__})")
        return
    n = 0
    for e in root.iter():
        strings = [e.text or "", e.tail or ""]
        for k, v in e.attrib.items():
            local = k.rsplit("}", 1)[-1]
            if local not in _GEOMETRY and not v.startswith(("data:", "#")):
                strings.append(v)
        for s in strings:
            s = "\n".join(" ".join(line.split()) for line in s.strip().splitlines())
            if s:
                n += 1
                yield _Cell(f"text {n}", "", s)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png(fh: IO[bytes]) -> Iterator[_Item]:
    """Text chunks of a PNG (tEXt, zTXt, iTXt); pixels cannot be scanned (see the module docstring)."""
    if fh.read(8) != _PNG_SIGNATURE:
        yield _Unreadable("not a PNG file")
        return
    n = 0
    while True:
        head = fh.read(8)
        if len(head) < 8:
            yield _Unreadable("truncated PNG (no IEND chunk)")
            return
        length, kind = struct.unpack(">I4s", head)
        data = fh.read(length)
        crc = fh.read(4)
        if len(data) < length or len(crc) < 4 or zlib.crc32(kind + data) != struct.unpack(">I", crc)[0]:
            yield _Unreadable("corrupt PNG chunk (bad length or CRC)")
            return
        if kind == b"IEND":
            return
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            n += 1
            try:
                for text in _png_text(kind, data):
                    if text.strip():
                        yield _Cell(f"chunk {n}", kind.decode(), text)
            except (ValueError, zlib.error) as exc:
                yield _Unreadable(f"corrupt PNG {kind.decode()} chunk ({type(exc).__name__})")


def _png_text(kind: bytes, data: bytes) -> list[str]:
    keyword, _, rest = data.partition(b"\x00")
    key = keyword.decode("latin-1")
    if kind == b"tEXt":
        return [key, rest.decode("latin-1")]
    if kind == b"zTXt":
        return [key, zlib.decompress(rest[1:]).decode("latin-1")]
    compressed, _method = rest[0], rest[1]
    lang, _, rest = rest[2:].partition(b"\x00")
    translated, _, body = rest.partition(b"\x00")
    text = zlib.decompress(body) if compressed else body
    return [key, lang.decode("latin-1"), translated.decode("utf-8", "replace"), text.decode("utf-8", "replace")]


def _dispatch(name: str, fh: IO[bytes], path: Path | None) -> Iterator[_Item]:
    suffix = Path(name).suffix.lower()
    if suffix == ".parquet":
        yield from _parquet(path if path is not None else io.BytesIO(fh.read()))
    elif suffix == ".json":
        yield from _json(fh)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _jsonl(fh)
    elif suffix in (".csv", ".tsv"):
        yield from _csv(fh, "\t" if suffix == ".tsv" else ",")
    elif suffix == ".svg":
        yield from _svg(fh)
    elif suffix == ".png":
        yield from _png(fh)
    elif suffix in RASTER_UNREADABLE:
        yield _Unreadable(f"{suffix} images cannot be scanned (only PNG text chunks are)")
    else:
        yield from _text(fh)


def _items(path: Path) -> Iterator[_Item]:
    """Cells and problems of one file."""
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as gz:
                gz.peek(1)   # a bad header fails here, before any cell
                yield from _dispatch(path.stem, gz, None)  # type: ignore[arg-type]
        else:
            with path.open("rb") as fh:
                yield from _dispatch(path.name, fh, path if path.suffix.lower() == ".parquet" else None)
    except (OSError, EOFError, zlib.error, ValueError, RecursionError) as exc:
        yield _Unreadable(f"cannot be read ({type(exc).__name__})")


# ---------------------------------------------------------------------------------------------- the gate

def release_files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if not p.exists():
            raise UserError(f"{p}: no such file or folder", hint="check the path")
        out.extend(sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p])
    return out


def iter_findings(paths: Sequence[Path], *, threshold: float = 0.7, ner: bool = True, workers: int = 1,
                  cache: MutableMapping[str, list[Finding]] | None = None) -> Iterator[GateFinding]:
    """Findings of ``paths`` (files or folders), file by file, at most :data:`BATCH` cells in memory at a time."""
    pool = _pool(workers) if workers > 1 else None
    try:
        for f in release_files(paths):
            batch: list[_Cell] = []
            for item in _items(f):
                if isinstance(item, _Unreadable):
                    yield GateFinding(str(f), "file", str(item), UNREADABLE, READER, 1.0)
                    continue
                batch.append(item)
                if len(batch) >= BATCH:
                    yield from _judge(str(f), batch, threshold, ner, pool, cache)
                    batch = []
            yield from _judge(str(f), batch, threshold, ner, pool, cache)
    finally:
        if pool is not None:
            pool.shutdown()


def cached_findings(texts: Iterable[str], *, ner: bool, cache: MutableMapping[str, list[Finding]] | None,
                    workers: int = 1, executor: Executor | None = None) -> dict[str, list[Finding]]:
    """:func:`gate_findings` of the distinct ``texts``, reusing and filling ``cache`` (keyed by
    :func:`verdict_key`) so that no text is analysed twice by the same gate version."""
    distinct = set(texts)
    if cache is None:
        return gate_findings(distinct, ner=ner, workers=workers, executor=executor) if distinct else {}
    keys = {t: verdict_key(t, ner) for t in distinct}
    verdicts = {t: cache[k] for t, k in keys.items() if k in cache}
    todo = distinct - verdicts.keys()
    fresh = gate_findings(todo, ner=ner, workers=workers, executor=executor) if todo else {}
    for t, v in fresh.items():
        cache[keys[t]] = v
    return verdicts | fresh


def _judge(file: str, cells: list[_Cell], threshold: float, ner: bool, pool: Executor | None,
           cache: MutableMapping[str, list[Finding]] | None) -> Iterator[GateFinding]:
    if not cells:
        return
    verdicts = cached_findings((c.text for c in cells), ner=ner, cache=cache, executor=pool)
    for c in cells:
        seen: set[tuple[str, str, str]] = set()
        for x in verdicts[c.text]:
            if x.score < threshold:
                continue
            loc = c.location if c.first_line is None else f"line {c.first_line + c.text.count(chr(10), 0, x.start)}"
            if (loc, x.entity, x.recognizer) in seen:
                continue
            seen.add((loc, x.entity, x.recognizer))
            yield GateFinding(file, loc, c.column, x.entity, x.recognizer, x.score)


def check_paths(paths: Sequence[Path], *, threshold: float = 0.7, ner: bool = True, workers: int = 1,
                cache: MutableMapping[str, list[Finding]] | None = None) -> list[GateFinding]:
    """Every finding in ``paths`` (files or folders) at or above ``threshold``, plus every unreadable file.

    ``cache`` (any mapping, e.g. a ``shelve`` or a dict kept between runs) holds verdicts under
    :func:`verdict_key`; ``workers`` > 1 analyses on a process pool. Files are read one at a time.
    """
    return list(iter_findings(paths, threshold=threshold, ner=ner, workers=workers, cache=cache))


__all__ = ["GATE_VERSION", "GateFinding", "check_paths", "gate_findings", "iter_findings", "release_files",
           "verdict_key"]
