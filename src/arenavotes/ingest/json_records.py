"""Stage JSON lines and JSON arrays: one ``_rec`` (JSON text) per record, every unreadable one rejected.

JSON lines: one record per line that is not blank; a line that is not valid UTF-8 is rejected
alone. A JSON array is parsed whole when it is valid; otherwise a structural scanner finds each
element's extent, so one broken element is quarantined alone and reading resumes after it (a file
too damaged to tell where elements start is refused). Finally every record that is not a JSON
object (``[1, 2]``, ``"text"``, broken JSON) moves from ``_stage`` to ``_rejects``.

>>> table, rejects = split_json_array(b'[{"a": 1}, {"a": 1,}, {"b": 2}]')
>>> table.column("_row").to_pylist(), rejects["reason"]
([1, 3], ['invalid_json'])
>>> split_json_lines(b'{"a": 1}\\n\\n{"b": 2}\\n')[0].column("_row").to_pylist()
[1, 3]
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from arenavotes.db import register_arrow, temp_table_from_arrow, unregister_arrow
from arenavotes.errors import UserError
from arenavotes.ingest.rejects import Rejects, empty_rejects, reject, rejects_table, string_array
from arenavotes.ingest.sniff import corrupt_stream, open_text_bytes, read_bytes


def stage_json_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """``_stage(_row, _rec)`` and ``_rejects`` for a JSON-lines file (``_row`` counts lines)."""
    stage_json_lines_part(con, read_bytes(path), 1)


def stage_json_lines_part(con: duckdb.DuckDBPyConnection, data: bytes, first_line: int) -> None:
    """``_stage`` and ``_rejects`` for whole lines of a JSON-lines file that start at line ``first_line``."""
    _stage_json(con, *split_json_lines(data, first_line), "line")


#: lines longer than this on average come in smaller pieces (:func:`piece_bytes`)
LONG_LINE = 8_000
#: the smallest piece of long lines (a line longer than a piece is a piece of its own)
MIN_PIECE = 1 << 20
#: the most bytes the first piece takes to hold its ``first_lines`` (when the batches are smaller than this)
PROBE_BYTES = 16 << 20


def piece_bytes(size: int, data: int, lines: int) -> int:
    """How many bytes of JSON lines make a piece of at most ``size`` bytes, for lines like these (``data``
    bytes in ``lines`` lines): ``size``, cut in proportion for lines longer than :data:`LONG_LINE` on average.

    Why: DuckDB's memory for a piece grows with its bytes and, beyond that, with how long its messages are.
    Under ingest's 400 MB cap, 16 MB pieces of real arena conversations (12 KB lines) ingest; of 24 KB or
    43 KB lines they ran out of memory, 8 MB pieces of them ingest; 200 KB lines ingest in 4 MB pieces.

    >>> piece_bytes(16 << 20, 4_000_000, 1_000) == 16 << 20, piece_bytes(16 << 20, 24_000_000, 1_000) >> 20
    (True, 5)
    """
    avg = data / max(lines, 1)
    return size if avg <= LONG_LINE else max(min(MIN_PIECE, size), int(size * LONG_LINE / avg))


def json_lines_parts(path: Path, size: int, first_lines: int = 1) -> Iterator[tuple[bytes, int]]:
    """The file (gzip undone, byte-order mark dropped) in pieces of whole lines, each with the number of its
    first line: about ``size`` bytes, fewer for long lines (:func:`piece_bytes`), so memory stays bounded
    whatever the file's size and its lines' length. The first piece holds at least ``first_lines`` lines
    (the records a format is recognised from) as long as they fit in a piece of :data:`PROBE_BYTES` (a
    piece of long lines holds fewer). A line longer than a piece is a piece of its own.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "v.jsonl"
    >>> _ = p.write_bytes(b'{"a": 1}\\n{"a": 2}\\n{"a": 3}')
    >>> list(json_lines_parts(p, 10))
    [(b'{"a": 1}\\n', 1), (b'{"a": 2}\\n', 2), (b'{"a": 3}', 3)]
    """
    line = 1
    data = b""
    eof = False
    try:
        with open_text_bytes(path) as fh:
            first = True
            while data or not eof:
                lines = data.count(b"\n")
                budget = piece_bytes(size, len(data), lines)
                if line == 1 and first_lines > 1:  # the first piece: up to first_lines lines in a probe's budget
                    probe = piece_bytes(max(size, PROBE_BYTES), len(data), lines)
                    at = _after_lines(data, first_lines)
                    budget = max(budget, min(probe, at if at else probe))
                if not eof and (len(data) <= budget or not lines):  # a piece to fill, or no whole line yet
                    chunk = fh.read(max(size, 3) if first else size)  # the whole byte-order mark, if any
                    eof = not chunk
                    if first:
                        chunk, first = chunk.removeprefix(b"\xef\xbb\xbf"), False
                    data += chunk
                    continue
                end = data.rfind(b"\n", 0, budget) + 1 or data.find(b"\n", budget) + 1 or len(data)
                piece, data = data[:end], data[end:]
                yield piece, line
                line += piece.count(b"\n")
    except (OSError, EOFError, zlib.error) as exc:
        raise corrupt_stream(path, exc) from None


def _after_lines(data: bytes, n: int) -> int:
    """The offset just after the ``n``-th line of ``data``, or 0 when it holds fewer whole lines."""
    at = 0
    for _ in range(n):
        nl = data.find(b"\n", at)
        if nl < 0:
            return 0
        at = nl + 1
    return at


def stage_json_array(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """``_stage(_row, _rec)`` and ``_rejects`` for a JSON array (``_row`` counts elements)."""
    _stage_json(con, *split_json_array(read_bytes(path), path), "element")


def _stage_json(con: duckdb.DuckDBPyConnection, records: pa.Table, rejects: Rejects, unit: str) -> None:
    temp_table_from_arrow(con, "_stage", records, "_row, _rec")
    _validate_json_stage(con)
    _add_rejects(con, rejects, unit)


#: JSON's own whitespace: a line of only these is blank (anything else, e.g. \x0b or NBSP, is a record)
_JSON_WS = " \t\r"
#: a line of :data:`_JSON_WS` only (``\n`` is the separator): skipped, as ``line.strip(_JSON_WS)`` is empty
BLANK_LINE = f"^[{_JSON_WS}]*$"


def split_json_lines(data: bytes, first_line: int = 1) -> tuple[pa.Table, Rejects]:
    """One record per line that is not empty or JSON whitespace; lines that are not valid UTF-8 are rejected.
    Lines are numbered from ``first_line``.

    Arrow splits, validates and filters the lines of valid UTF-8 (a 33.5 MB piece of arena conversations, alone
    on 2 cores: 0.04 s and a peak of 0.29 GB for the process, against 0.19 s and 0.50 GB as Python strings); a
    piece with an invalid line takes the Python path, which rejects that line alone."""
    fast = _split_utf8_lines(data, first_line)
    return (fast, empty_rejects()) if fast is not None else _split_lines_python(data, first_line)


def _split_lines_python(data: bytes, first_line: int) -> tuple[pa.Table, Rejects]:
    """:func:`split_json_lines` line by line in Python: each line that is not valid UTF-8 is rejected alone."""
    rejects = empty_rejects()
    raw_lines = data.split(b"\n")
    try:
        lines = data.decode("utf-8").split("\n")
        if len(lines) != len(raw_lines):  # a multi-byte sequence cannot contain b"\n"; be safe anyway
            raise UnicodeDecodeError("utf-8", data, 0, 1, "line split mismatch")
    except UnicodeDecodeError:
        lines = []
        for i, raw in enumerate(raw_lines, start=first_line):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                lines.append("")  # blank: skipped below, reported here
                reject(
                    rejects,
                    i,
                    "invalid_utf8",
                    f"byte {exc.start}: {exc.reason}",
                    raw.decode("utf-8", errors="backslashreplace"),
                )
    rows = [i for i, line in enumerate(lines, start=first_line) if line.strip(_JSON_WS)]
    table = pa.table(
        {
            "_row": pa.array(rows, pa.int64()),
            "_rec": pa.array([lines[i - first_line].rstrip("\r") for i in rows], pa.string()),
        }
    )
    return table, rejects


def _split_utf8_lines(data: bytes, first_line: int) -> pa.Table | None:
    """:func:`split_json_lines` of ``data`` done by Arrow, or None when ``data`` is not valid UTF-8."""
    import pyarrow.compute as pc

    lines = pc.split_pattern(pa.array([data], pa.large_binary()), b"\n")[0].values
    try:
        text = lines.cast(pa.large_string())  # validates UTF-8 (surrogates and overlong forms are invalid too)
    except pa.ArrowInvalid:
        return None
    keep = pc.invert(pc.match_substring_regex(text, BLANK_LINE))
    rows = pc.add(pc.indices_nonzero(keep), pa.scalar(first_line, pa.uint64())).cast(pa.int64())
    records = pc.utf8_rtrim(text.filter(keep), characters="\r").cast(pa.string())
    return pa.table({"_row": rows, "_rec": records})


def split_json_array(data: bytes, path: Path | None = None) -> tuple[pa.Table, Rejects]:
    """One record per element of a top-level JSON array.

    The whole array is parsed at once when it is valid. Otherwise a structural scanner finds each
    element's extent, so that one broken element is quarantined alone and reading goes on after
    it; a truncated tail is one rejected record. When the structure itself is too damaged to tell
    where the next element starts (an unbalanced quote, mismatched brackets, bare words outside
    strings), the file is refused: guessing could lose records silently.
    """
    rejects = empty_rejects()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="surrogateescape")
        elements = None
    else:
        elements = _parse_whole_array(text)
    if elements is not None:
        rows = list(range(1, len(elements) + 1))
    else:
        rows, elements = [], []
        for k, (start, end, reason, detail) in enumerate(_scan_array(text, path), start=1):
            piece = text[start:end]
            if reason is None and any("\udc80" <= ch <= "\udcff" for ch in piece):
                reason, detail = "invalid_utf8", "invalid UTF-8 bytes inside this element"
            if reason is None:
                try:
                    json.loads(piece)
                except json.JSONDecodeError as exc:
                    line, col = _line_col(text, start + exc.pos)
                    reason, detail = "invalid_json", f"{exc.msg} at line {line} column {col}"
                except (ValueError, RecursionError):
                    pass  # valid JSON beyond Python's limits (huge integers, deep nesting): DuckDB decides
            if reason is None:
                rows.append(k)
                elements.append(piece)
            else:
                reject(rejects, k, reason, detail, piece)
    table = pa.table({"_row": pa.array(rows, pa.int64()), "_rec": string_array(elements)})
    return table, rejects


def _parse_whole_array(text: str) -> list[str] | None:
    """The elements of a valid JSON array as JSON texts, or None when the fast path does not apply."""
    try:
        values = json.loads(text)
        if not isinstance(values, list):
            return None
        return [json.dumps(v, ensure_ascii=False) for v in values]
    except (ValueError, RecursionError):  # JSONDecodeError, integers over 4,300 digits, deep nesting
        return None


def _line_col(text: str, pos: int) -> tuple[int, int]:
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


_TOKEN = re.compile(r'[ \t\r\n]*(?:("(?:[^"\\\n]|\\.)*")|([\[\]{},:])|(")|([^ \t\r\n"\[\]{},:]+))')
_LITERAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|NaN|-?Infinity")
_WORDY = re.compile(r"[^\W\d_]")

#: (start, end, reason or None, detail) of one array element
Extent = tuple[int, int, str | None, str]


def _scan_array(text: str, path: Path | None) -> list[Extent]:
    """Element extents of a damaged top-level JSON array (see :func:`split_json_array`)."""
    n = len(text)
    first = len(text) - len(text.lstrip(" \t\r\n"))
    if first == n:
        return []
    if text[first] != "[":
        raise UserError(
            f"{path}: not a JSON array (it starts with {text[first : first + 12]!r})",
            hint="pass --container json-lines for one JSON record per line",
        )
    out: list[Extent] = []
    stack: list[str] = []
    elem_start: int | None = None
    value_done = False
    after_comma = False

    def refuse(pos: int, what: str) -> UserError:
        line, col = _line_col(text, pos)
        return UserError(
            f"{path}: element {len(out) + 1} (line {line}, column {col}): {what}; the JSON structure is too "
            "damaged to tell where the next records start, so nothing was read",
            hint="repair the file (e.g. restore the missing quote or bracket at that place) and ingest it again",
        )

    def close(end: int) -> None:
        nonlocal elem_start, value_done
        if elem_start is None:
            out.append((end, end, "invalid_json", "empty element (two commas in a row, or a comma before ']')"))
        else:
            out.append((elem_start, end, None, ""))
        elem_start, value_done = None, False

    def start_value(pos: int) -> None:
        nonlocal elem_start, value_done
        if not stack:
            if value_done:  # a complete value followed by another one: a missing comma between elements
                close(_rstrip_end(text, elem_start or 0, pos))
            if elem_start is None:
                elem_start = pos

    for m in _TOKEN.finditer(text, first + 1):
        tok_start = m.start(m.lastindex or 0)
        string, punct, lone_quote, bare = m.group(1), m.group(2), m.group(3), m.group(4)
        if string is not None or (bare is not None and _LITERAL.fullmatch(bare)):
            start_value(tok_start)
            after_comma = False
            if not stack:
                value_done = True
            continue
        if lone_quote is not None:
            if "\n" in text[tok_start:]:
                raise refuse(tok_start, "a string is not closed on its line (an unbalanced quote)")
            start_value(tok_start)
            out.append(
                (
                    elem_start if elem_start is not None else tok_start,
                    n,
                    "truncated_json",
                    "the file ends inside this element (inside a string)",
                )
            )
            return out
        if bare is not None:
            if _WORDY.search(bare):
                raise refuse(tok_start, f"unexpected word {bare[:20]!r} outside a string (a lost quote?)")
            if not stack and elem_start is None:
                elem_start = tok_start
            continue
        assert punct is not None
        if punct in "[{":
            start_value(tok_start)
            stack.append("]" if punct == "[" else "}")
            after_comma = False
        elif punct in "]}":
            if stack:
                expected = stack.pop()
                if punct != expected:
                    raise refuse(tok_start, f"'{punct}' where '{expected}' was expected (mismatched brackets)")
                if not stack:
                    value_done = True
            elif punct == "}":
                raise refuse(tok_start, "'}' without a matching '{' (mismatched brackets)")
            else:  # the closing ']' of the array
                if elem_start is not None or after_comma:
                    close(_rstrip_end(text, elem_start or tok_start, tok_start))
                rest = m.end()
                if text[rest:].strip(" \t\r\n"):
                    tail = rest + len(text[rest:]) - len(text[rest:].lstrip(" \t\r\n"))
                    out.append((tail, n, "trailing_data", "text after the closing ']' of the array"))
                return out
        elif punct == "," and not stack:
            close(_rstrip_end(text, elem_start or tok_start, tok_start))
            after_comma = True
        # ':' needs no bookkeeping: a misplaced one only makes its element invalid
    # the file ends before the closing ']'
    if elem_start is not None:
        if stack or not value_done:
            out.append((elem_start, n, "truncated_json", "the file ends inside this element"))
        else:
            out.append((elem_start, _rstrip_end(text, elem_start, n), None, ""))
    return out


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _validate_json_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Move records that are not JSON objects from ``_stage`` to ``_bad_json``.

    A valid JSON text is an object exactly when its first character after JSON's whitespace is ``{``, so the
    records are parsed once (``json_valid``), not a second time as ``JSON`` values for their type: DuckDB held
    both parses of a vector of records at once, and 1,456 lines of 24 KB (one 34 MB piece) ran out of a 400 MB
    cap there (either parse alone: well under it). Only the rejected records are typed, for the message."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _bad_json AS
        SELECT _row,
               CASE WHEN NOT json_valid(_rec) THEN 'invalid_json' ELSE 'not_an_object' END AS reason,
               CASE WHEN NOT json_valid(_rec) THEN 'not valid JSON'
                    ELSE 'a JSON ' || lower(json_type(_rec::JSON)) || ', expected an object' END AS detail,
               _rec AS raw
        FROM _stage
        WHERE NOT json_valid(_rec) OR NOT starts_with(ltrim(_rec, ?), '{')
    """,
        [_JSON_WS + "\n"],
    )
    con.execute("DELETE FROM _stage WHERE _row IN (SELECT _row FROM _bad_json)")


def _add_rejects(con: duckdb.DuckDBPyConnection, rejects: Rejects, unit: str) -> None:
    register_arrow(con, "_rej_arrow", rejects_table(rejects))
    con.execute(f"""
        CREATE TEMP TABLE _rejects AS
        SELECT _row, '{unit}' AS _unit, reason, detail, raw FROM _rej_arrow
        UNION ALL
        SELECT _row, '{unit}', reason, detail, raw FROM _bad_json
    """)
    unregister_arrow(con, "_rej_arrow")
    con.execute("DROP TABLE IF EXISTS _bad_json")
