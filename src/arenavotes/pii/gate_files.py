"""The release gate's readers: every file a release publishes, turned into text cells to judge.

:func:`items` yields the :class:`Cell` s of one file (a location, a column or JSON path, the text) and an
:class:`Unreadable` for each part it cannot read -- the gate (:mod:`arenavotes.pii.gate`) turns those into
``UNREADABLE`` findings that fail it. What is read:

* Parquet -- every string, large string, string view, binary, dictionary-encoded, list, struct and map value
  (keys too), integers of 13 or more digits (card numbers), and the file's key-value metadata; a flat text
  column gives each distinct value once, at its first row;
* JSON (every key and string, with its JSON path), JSON lines (line by line), CSV/TSV (row, column);
* SVG -- every text node, comment (matplotlib writes text drawn as paths as comments) and attribute except
  geometry and inline images;
* PNG -- the ``tEXt``, ``zTXt`` and ``iTXt`` chunks. Pixels are not and cannot be scanned: text drawn into
  an image is invisible here. Other raster formats (:data:`RASTER_UNREADABLE`) cannot be read;
* ``.gz`` files by what they hold (``x.jsonl.gz``, ``notes.txt.gz``); Markdown and any other text, in blocks
  of lines (so a sign-off and the name under it are read together); a binary file of an unknown kind, text
  that is not UTF-8 (scanned as Latin-1 all the same), bad JSON, Parquet, gzip or PNG are unreadable.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
>>> _ = p.write_text('{"name": "Ann"}\\nnot json\\n')
>>> [(i.location, i.column, i.text) if isinstance(i, Cell) else str(i) for i in items(p)]
[('line 1', '{key}', 'name'), ('line 1', 'name', 'Ann'), 'not valid JSON (line 2); scanned as text', ('line 2', '', 'not json')]
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import gzip
import hashlib
import io
import json
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from arenavotes.errors import duckdb_out_of_memory


@dataclasses.dataclass(frozen=True)
class Cell:
    location: str
    column: str
    text: str
    first_line: int | None = None  # text blocks: the line number of the block's first line


class Unreadable(Exception):
    """A file (or part of one) the gate cannot read; the message names what, never the content."""


@dataclasses.dataclass(frozen=True)
class KnownCells:
    """Cells of one Parquet text column read with what the workspace knows of them (by a
    :data:`ColumnReader`): ``keys[i]`` is ``cells[i]``'s verdict key, ``stored[i]`` its stored findings (JSON),
    or None where no verdict is stored. The texts of one batch are distinct."""

    cells: list[Cell]
    keys: list[str]
    stored: list[str | None]


#: reads a flat text column of a Parquet file (path, column name) as :class:`KnownCells` batches: each distinct
#: non-empty value at its first row, except those the workspace has a clean verdict for (see
#: :meth:`arenavotes.pii.verdicts.VerdictCache.column_cells`)
ColumnReader = Callable[[Path, str], Iterator[KnownCells]]

Item = Cell | Unreadable | KnownCells
RASTER_UNREADABLE = (".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".ico", ".heic", ".avif")
_GEOMETRY = frozenset(
    str.split(
        "d points transform x y x1 x2 y1 y2 dx dy cx cy r rx ry width height viewBox style fill "
        "stroke stroke-width stroke-linejoin stroke-linecap stroke-miterlimit stroke-dasharray "
        "stroke-dashoffset clip-path id class version preserveAspectRatio opacity fill-opacity "
        "stroke-opacity font-size font-family font-weight text-anchor dominant-baseline "
        "offset stop-color gradientUnits patternUnits"
    )
)


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
    if (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_binary_view(t)
        or pa.types.is_fixed_size_binary(t)
        or pa.types.is_integer(t)
    ):
        return True
    if pa.types.is_dictionary(t):
        return _has_text(t.value_type)
    if pa.types.is_map(t):
        return _has_text(t.key_type) or _has_text(t.item_type)
    if (
        pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_fixed_size_list(t)
        or pa.types.is_list_view(t)
        or pa.types.is_large_list_view(t)
    ):
        return _has_text(t.value_type)
    if pa.types.is_struct(t) or pa.types.is_union(t):
        return any(_has_text(t.field(i).type) for i in range(t.num_fields))
    return False


def _flat_string(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


class DigestSet:
    """A set of 16-byte digests held as sorted numpy runs: 16 bytes a member, where a Python ``set`` of
    ``bytes`` takes about 100 (2.8M distinct texts of a 1M-conversation release: 45 MB instead of ~0.3 GB).
    Runs are merged when the newest is at least half the size of the one before, so there are O(log n) of
    them and each digest is re-sorted O(log n) times.

    >>> s = DigestSet()
    >>> d = np.frombuffer(bytes(range(32)), dtype="S16")
    >>> s.add(d).tolist(), s.add(d[::-1]).tolist(), len(s)
    ([True, True], [False, False], 2)
    """

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(r) for r in self._runs)

    @classmethod
    def of_sorted(cls, digests: np.ndarray) -> DigestSet:
        """A set of ``digests`` (dtype ``S16``) that are sorted already (by DuckDB, say): one run, no copy."""
        out = cls()
        if len(digests):
            out._runs.append(digests)
        return out

    def contains(self, digests: np.ndarray) -> np.ndarray:
        """Which of ``digests`` (dtype ``S16``) are members.

        >>> s = DigestSet()
        >>> d = np.frombuffer(bytes(range(48)), dtype="S16")
        >>> _ = s.add(d[:2])
        >>> s.contains(d).tolist()
        [True, True, False]
        """
        found = np.zeros(len(digests), dtype=bool)
        for run in self._runs:
            at = np.minimum(np.searchsorted(run, digests), len(run) - 1)
            found |= run[at] == digests
        return found

    def add(self, digests: np.ndarray) -> np.ndarray:
        """Add ``digests`` (distinct, dtype ``S16``); returns which of them were not members before."""
        new = ~self.contains(digests)
        if new.any():
            self._runs.append(np.sort(digests[new]))
        while len(self._runs) > 1 and 2 * len(self._runs[-1]) >= len(self._runs[-2]):
            last = self._runs.pop()
            merged = np.concatenate([self._runs[-1], last])
            merged.sort()  # in place: np.sort's copy was a third array of the merge's size held at once
            self._runs[-1] = merged
        return new


def _distinct_cells(column: pa.Array, name: str, row0: int, seen: DigestSet) -> Iterator[Cell]:
    """The distinct values of a text column not seen in earlier batches, each at the first row that holds it
    (``seen`` holds 16-byte digests, not the texts: a release's text column is read in bounded memory)."""
    import polars as pl

    values = pl.from_arrow(column.cast(pa.large_string()) if pa.types.is_dictionary(column.type) else column)
    assert isinstance(values, pl.Series)
    firsts = (
        values.rename("v")
        .to_frame()
        .with_row_index("r")
        .drop_nulls("v")
        .group_by("v", maintain_order=True)
        .agg(pl.col("r").first())
    )
    texts = firsts["v"].to_list()
    digests = np.frombuffer(
        b"".join(hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest() for t in texts),
        dtype="S16",
    )
    new = seen.add(digests)
    for text, r, fresh in zip(texts, firsts["r"].to_list(), new.tolist(), strict=True):
        if fresh:
            yield Cell(f"row {row0 + r + 1}", name, text)


def _utf8(column: pa.Array) -> bool:
    """Whether every value of a text column is valid UTF-8 (Parquet files are not checked when read)."""
    try:
        column.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _parquet(source: Any, column_reader: ColumnReader | None = None) -> Iterator[Item]:
    try:
        # without pre-buffering: by default the reader fetched ahead and kept ~0.6 GB of a 1M-conversation
        # release's text column (peak RSS 0.90 GB reading that file through the gate, 0.45 GB without; 4 December)
        f = pq.ParquetFile(source, pre_buffer=False)
        schema = f.schema_arrow
    except Exception as exc:
        yield Unreadable(f"not a readable Parquet file ({type(exc).__name__})")
        return
    for k, v in (schema.metadata or {}).items():
        if k != b"ARROW:schema":
            for _, text in _walk(v, ""):
                yield Cell("metadata", k.decode("utf-8", "replace"), text)
    for name in schema.names:
        yield Cell("schema", "", name)
    cols = [(i, schema.field(i).name) for i in range(len(schema.names)) if _has_text(schema.field(i).type)]
    if not cols:
        return
    flat = {n for _, n in cols if _flat_string(schema.field(n).type)}
    # flat text columns read by the workspace's column reader (in DuckDB, joined with the stored verdicts), when
    # there is one and every column has a name of its own, whatever its case (DuckDB finds columns by name, and
    # names that differ in case only are one name to it)
    own_names = len({n.casefold() for n in schema.names}) == len(schema.names)
    by_reader = flat if column_reader is not None and own_names else set()
    yield from _parquet_batches(f, [n for _, n in cols if n not in by_reader], flat)
    for name in [n for n in schema.names if n in by_reader]:
        assert column_reader is not None and isinstance(source, Path)
        try:
            parts = column_reader(source, name)
            first = next(parts, None)  # the reader's first window has run whole (or failed) once a batch is out
        except Exception as exc:
            if duckdb_out_of_memory(exc):
                # not a file DuckDB cannot read but a cap too small: reading cell by cell would hide it (and hold
                # every distinct value's digest in Python, 3x slower: how the 2M release's gate grew past linear)
                raise
            # a file DuckDB cannot read that pyarrow can (text that is not UTF-8, say): every value the slow way
            yield from _parquet_batches(pq.ParquetFile(source, pre_buffer=False), [name], flat)
            continue
        if first is not None:
            yield first
            yield from parts


def _parquet_batches(f: pq.ParquetFile, names: list[str], flat: set[str]) -> Iterator[Item]:
    """The cells of the columns ``names`` of ``f``, a batch of rows at a time (``flat``: the flat text columns,
    whose distinct values are read once each)."""
    if not names:
        return
    seen = {n: DigestSet() for n in names if n in flat}
    row0 = 0
    try:
        for batch in f.iter_batches(batch_size=65536, columns=names):
            for name in batch.schema.names:
                column = batch.column(name)
                if name in flat:
                    if _utf8(column):
                        # a flat text column: each distinct value once (at its first row), decoded by Arrow, not
                        # cell by cell in Python -- a verdict depends on the text alone
                        yield from _distinct_cells(column, name, row0, seen[name])
                        continue
                    # (polars panics on such text): the bytes, each value decoded as UTF-8 or else Latin-1
                    yield Unreadable(
                        f"column {name!r} holds text that is not UTF-8 (rows {row0 + 1}-); scanned as Latin-1"
                    )
                    column = column.cast(pa.large_binary())
                values = column.to_pylist()
                for r, value in enumerate(values, start=row0 + 1):
                    for sub, text in _walk(value, ""):
                        yield Cell(f"row {r}", name + (f".{sub}" if sub and sub[0] not in "[{" else sub), text)
            row0 += batch.num_rows
    except Exception as exc:
        yield Unreadable(f"Parquet data unreadable after row {row0} ({type(exc).__name__})")


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


#: a one-line paragraph this short is a lead-in (a salutation, a sign-off) and is read with what follows it
_LEAD_IN_CHARS = 40


def _text(fh: IO[bytes], max_lines: int = 64, min_lines: int = 3) -> Iterator[Item]:
    """Blocks of lines, one cell each, cut at a blank line once they hold ``min_lines`` lines, unless the
    paragraph before the blank is one short line (a salutation or a sign-off stays with the paragraph after it:
    "Sincerely," and the name under it), and at ``max_lines`` at most; binary files fail. Name-finding
    reads a sentence in the light of its neighbours, so a block much longer than a paragraph makes its
    verdicts depend on unrelated text far away (a card's fixed wording once read as a name among 64 lines)."""
    head = fh.read(8192)
    if b"\x00" in head:
        yield Unreadable("binary file of a kind the gate cannot read")
        return
    stream = io.BufferedReader(_Chain(head, fh))
    block: list[str] = []
    para = 0  # lines of the block's last paragraph
    start = 1
    bad = False
    for n, line, ok in _decoded_lines(stream):
        if not ok and not bad:
            bad = True
            yield Unreadable(f"not UTF-8 (line {n}); scanned as Latin-1")
        blank = not line.strip()
        lead_in = para == 1 and len(block[-1].strip()) <= _LEAD_IN_CHARS
        if (blank and len(block) >= min_lines and not lead_in) or len(block) >= max_lines:
            if block:
                yield Cell(f"line {start}", "", "\n".join(block), start)
            block, start = ([], n + 1) if blank else ([line], n)
            para = 0 if blank else 1
        else:
            if not block:
                start = n
            block.append(line)
            para = 0 if blank else para + 1
    if block:
        yield Cell(f"line {start}", "", "\n".join(block), start)


class _Chain(io.RawIOBase):
    """A readable stream of ``head`` then the rest of ``fh`` (after sniffing the head)."""

    def __init__(self, head: bytes, fh: IO[bytes]) -> None:
        self._head, self._fh = head, fh

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._head[: len(b)] if self._head else self._fh.read(len(b))
        if self._head:
            self._head = self._head[len(data) :]
        b[: len(data)] = data
        return len(data)


def _json(fh: IO[bytes]) -> Iterator[Item]:
    raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield Unreadable("not UTF-8; scanned as Latin-1")
        text = raw.decode("latin-1")
    try:
        value = json.loads(text)
    except ValueError as exc:
        yield Unreadable(f"not valid JSON ({type(exc).__name__}); scanned as text")
        yield from _text(io.BytesIO(text.encode("utf-8")))
        return
    for sub, s in _walk(value, ""):
        yield Cell("file", sub, s)


def _jsonl(fh: IO[bytes]) -> Iterator[Item]:
    bad_enc = bad_json = False
    for n, line, ok in _decoded_lines(fh):
        if not ok and not bad_enc:
            bad_enc = True
            yield Unreadable(f"not UTF-8 (line {n}); scanned as Latin-1")
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            if not bad_json:
                bad_json = True
                yield Unreadable(f"not valid JSON (line {n}); scanned as text")
            yield Cell(f"line {n}", "", line)
            continue
        for sub, s in _walk(value, ""):
            yield Cell(f"line {n}", sub, s)


def _csv(fh: IO[bytes], delimiter: str) -> Iterator[Item]:
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
                    yield Cell("header", c, c)
                continue
            for j, cell in enumerate(row):
                if cell:
                    yield Cell(f"row {r}", header[j] if j < len(header) else f"column {j + 1}", cell)
    except csv.Error as exc:
        yield Unreadable(f"not valid CSV ({type(exc).__name__})")
    if bad:
        yield Unreadable("not UTF-8; scanned as Latin-1")


def _svg(fh: IO[bytes]) -> Iterator[Item]:
    import xml.etree.ElementTree as ET

    try:
        parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
        root = ET.parse(fh, parser=parser).getroot()
    except Exception as exc:
        yield Unreadable(f"not valid SVG/XML ({type(exc).__name__})")
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
                yield Cell(f"text {n}", "", s)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png(fh: IO[bytes]) -> Iterator[Item]:
    """Text chunks of a PNG (tEXt, zTXt, iTXt); pixels cannot be scanned (see the module docstring)."""
    if fh.read(8) != _PNG_SIGNATURE:
        yield Unreadable("not a PNG file")
        return
    n = 0
    while True:
        head = fh.read(8)
        if len(head) < 8:
            yield Unreadable("truncated PNG (no IEND chunk)")
            return
        length, kind = struct.unpack(">I4s", head)
        data = fh.read(length)
        crc = fh.read(4)
        if len(data) < length or len(crc) < 4 or zlib.crc32(kind + data) != struct.unpack(">I", crc)[0]:
            yield Unreadable("corrupt PNG chunk (bad length or CRC)")
            return
        if kind == b"IEND":
            return
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            n += 1
            try:
                for text in _png_text(kind, data):
                    if text.strip():
                        yield Cell(f"chunk {n}", kind.decode(), text)
            except (ValueError, zlib.error) as exc:
                yield Unreadable(f"corrupt PNG {kind.decode()} chunk ({type(exc).__name__})")


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


def _dispatch(name: str, fh: IO[bytes], path: Path | None, column_reader: ColumnReader | None = None) -> Iterator[Item]:
    suffix = Path(name).suffix.lower()
    if suffix == ".parquet":
        if path is None:
            yield from _parquet(io.BytesIO(fh.read()))
        else:
            yield from _parquet(path, column_reader)
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
        yield Unreadable(f"{suffix} images cannot be scanned (only PNG text chunks are)")
    else:
        yield from _text(fh)


def items(path: Path, column_reader: ColumnReader | None = None) -> Iterator[Item]:
    """Cells and problems of one file; ``column_reader``: what reads a Parquet file's flat text columns instead
    of Arrow batches here (see :class:`KnownCells`)."""
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as gz:
                gz.peek(1)  # a bad header fails here, before any cell
                yield from _dispatch(path.stem, gz, None)  # type: ignore[arg-type]
        else:
            with path.open("rb") as fh:
                parquet = path.suffix.lower() == ".parquet"
                yield from _dispatch(path.name, fh, path if parquet else None, column_reader)
    except (OSError, EOFError, zlib.error, ValueError, RecursionError) as exc:
        if duckdb_out_of_memory(exc):  # DuckDB's cap (a column read through the workspace), not the file
            raise
        yield Unreadable(f"cannot be read ({type(exc).__name__})")


__all__ = ["RASTER_UNREADABLE", "Cell", "ColumnReader", "Item", "KnownCells", "Unreadable", "items"]
