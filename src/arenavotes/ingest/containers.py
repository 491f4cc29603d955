"""Read one file's records into a staging table, keeping every record it cannot read.

This is the I/O edge of ingestion. A *container* is how records are stored (JSON lines, a JSON
array, CSV, parquet); what the records mean is the job of :mod:`arenavotes.ingest.formats`.

The staging table ``_stage`` holds ``_row`` (1-based position, counted in ``unit``) and either
``_rec`` (each record as JSON text, for JSON containers) or the file's own columns (tabular
containers). Records that cannot be read at all -- invalid UTF-8, malformed JSON, a JSON value
that is not an object, a CSV line with the wrong number of fields, a truncated tail -- go to
``_rejects`` with a reason code, so that ``records = staged + rejected`` always holds.

>>> import tempfile, duckdb
>>> p = Path(tempfile.mkdtemp()) / "v.jsonl"
>>> _ = p.write_bytes(b'{"a": 1}\\n{"a": \\n\\n[1]\\n')
>>> st = stage_file(duckdb.connect(), p)
>>> (st.container, st.staged, st.rejected)
('json-lines', 1, 2)
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import re
import zlib
from pathlib import Path

import duckdb
import pyarrow as pa

from arenavotes.errors import UserError

CONTAINERS = ("json-lines", "json-array", "csv", "parquet")
_UNIT = {"json-lines": "line", "json-array": "element", "csv": "row", "parquet": "row"}
REJECTS_COLUMNS = ("_row", "_unit", "reason", "detail", "raw")


@dataclasses.dataclass(frozen=True)
class Staged:
    """What :func:`stage_file` left in the connection's ``_stage`` and ``_rejects`` tables."""

    path: Path
    container: str
    unit: str                      # what _row counts: line, element or row
    columns: tuple[str, ...]       # the file's columns (tabular) or ('_rec',) for JSON
    staged: int
    rejected: int

    @property
    def is_json(self) -> bool:
        return self.container in ("json-lines", "json-array")


def sniff_container(path: Path, head: bytes) -> str:
    """Guess the container from magic bytes, the suffix and the first character.

    A ``.jsonl``/``.ndjson``/``.csv``/``.tsv``/``.parquet`` suffix decides (so a corrupt first line
    cannot hide the container); a ``.json`` file is a JSON array when it starts with ``[``.
    """
    if head.startswith(b"PAR1"):
        return "parquet"
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    by_suffix = {".jsonl": "json-lines", ".ndjson": "json-lines", ".csv": "csv", ".tsv": "csv", ".parquet": "parquet"}
    if last in by_suffix:
        return by_suffix[last]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json-array"
    if text.startswith(b"{") or last == ".json":
        return "json-lines"
    raise UserError(
        f"{path}: cannot tell the file's format (not JSON, JSON lines, CSV or parquet)",
        hint="pass --container json-lines|json-array|csv|parquet, or --format NAME ('arenavotes formats')",
    )


def read_head(path: Path, n: int = 4096) -> bytes:
    """The first ``n`` bytes of the file, decompressed when it is gzip."""
    try:
        with path.open("rb") as fh:
            head = fh.read(n)
        if head.startswith(b"\x1f\x8b"):
            with gzip.open(path, "rb") as gz:
                head = gz.read(n)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file", hint="check the path") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a file", hint="name the files inside it") from None
    except PermissionError:
        raise UserError(f"{path}: permission denied", hint="make the file readable") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise UserError(f"{path}: cannot read: {exc}", hint="is the file complete?") from None
    return head


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, container: str | None = None) -> Staged:
    """Load ``path`` into the temp tables ``_stage`` and ``_rejects`` of ``con``."""
    head = read_head(path)
    container = container or sniff_container(path, head)
    if container not in CONTAINERS:
        raise UserError(f"{path}: unknown container {container!r}", hint=f"one of {', '.join(CONTAINERS)}")
    con.execute("DROP TABLE IF EXISTS _stage")
    con.execute("DROP TABLE IF EXISTS _rejects")
    if container == "parquet":
        _stage_parquet(con, path)
    elif container == "csv":
        _stage_csv(con, path)
    else:
        data = _read_bytes(path)
        records, rejects = (_split_json_lines(data) if container == "json-lines" else _split_json_array(data, path))
        con.register("_records_arrow", records)
        con.execute("CREATE TEMP TABLE _stage AS SELECT _row, _rec FROM _records_arrow")
        con.unregister("_records_arrow")
        _validate_json_stage(con)
        _add_rejects(con, rejects, _UNIT[container])
    columns = tuple(c for c in con.table("_stage").columns if c != "_row")
    staged = _count(con, "_stage")
    rejected = _count(con, "_rejects")
    return Staged(path, container, _UNIT[container], columns, staged, rejected)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
        if data.startswith(b"\x1f\x8b"):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise UserError(f"{path}: cannot read: the gzip stream is corrupt or truncated ({exc})",
                        hint="is the file complete? download or compress it again") from None
    return data.removeprefix(b"\xef\xbb\xbf")


def _empty_rejects() -> dict[str, list[object]]:
    return {"_row": [], "reason": [], "detail": [], "raw": []}


def _reject(rejects: dict[str, list[object]], row: int, reason: str, detail: str, raw: str) -> None:
    rejects["_row"].append(row)
    rejects["reason"].append(reason)
    rejects["detail"].append(detail)
    rejects["raw"].append(_printable(raw))


def _printable(text: str) -> str:
    """Text that Arrow can store: undecodable bytes and lone surrogates shown as backslash escapes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape" if _only_escaped_bytes(text) else "backslashreplace") \
            .decode("utf-8", "backslashreplace")


def _only_escaped_bytes(text: str) -> bool:
    return all(not ("\ud800" <= ch <= "\udfff") or "\udc80" <= ch <= "\udcff" for ch in text)


#: JSON's own whitespace: a line of only these is blank (anything else, e.g. \x0b or NBSP, is a record)
_JSON_WS = " \t\r"


def _split_json_lines(data: bytes) -> tuple[pa.Table, dict[str, list[object]]]:
    """One record per line that is not empty or JSON whitespace; lines that are not valid UTF-8 are rejected."""
    rejects = _empty_rejects()
    raw_lines = data.split(b"\n")
    try:
        lines = data.decode("utf-8").split("\n")
        if len(lines) != len(raw_lines):  # a multi-byte sequence cannot contain b"\n"; be safe anyway
            raise UnicodeDecodeError("utf-8", data, 0, 1, "line split mismatch")
    except UnicodeDecodeError:
        lines = []
        for i, raw in enumerate(raw_lines, start=1):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                lines.append("")  # blank: skipped below, reported here
                _reject(rejects, i, "invalid_utf8", f"byte {exc.start}: {exc.reason}",
                        raw.decode("utf-8", errors="backslashreplace"))
    rows = [i for i, line in enumerate(lines, start=1) if line.strip(_JSON_WS)]
    table = pa.table({
        "_row": pa.array(rows, pa.int64()),
        "_rec": pa.array([lines[i - 1].rstrip("\r") for i in rows], pa.string()),
    })
    return table, rejects


def _split_json_array(data: bytes, path: Path | None = None) -> tuple[pa.Table, dict[str, list[object]]]:
    """One record per element of a top-level JSON array.

    The whole array is parsed at once when it is valid. Otherwise a structural scanner finds each
    element's extent, so that one broken element is quarantined alone and reading goes on after
    it; a truncated tail is one rejected record. When the structure itself is too damaged to tell
    where the next element starts (an unbalanced quote, mismatched brackets, bare words outside
    strings), the file is refused: guessing could lose records silently.
    """
    rejects = _empty_rejects()
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
                _reject(rejects, k, reason, detail, piece)
    table = pa.table({"_row": pa.array(rows, pa.int64()), "_rec": _string_array(elements)})
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


def _string_array(texts: list[str]) -> pa.Array:
    try:
        return pa.array(texts, pa.string())
    except UnicodeEncodeError:  # lone surrogates (a '\\ud800' escape): keep them escaped
        return pa.array([t if encodable(t) else _escape_surrogates(t) for t in texts], pa.string())


def encodable(text: str) -> bool:
    """Can ``text`` be written as UTF-8 (no lone surrogates from a `\\ud800` escape)?"""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escape_surrogates(text: str) -> str:
    return "".join(f"\\u{ord(ch):04x}" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


_TOKEN = re.compile(r'[ \t\r\n]*(?:("(?:[^"\\\n]|\\.)*")|([\[\]{},:])|(")|([^ \t\r\n"\[\]{},:]+))')
_LITERAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|NaN|-?Infinity")
_WORDY = re.compile(r"[^\W\d_]")

#: (start, end, reason or None, detail) of one array element
Extent = tuple[int, int, str | None, str]


def _scan_array(text: str, path: Path | None) -> list[Extent]:
    """Element extents of a damaged top-level JSON array (see :func:`_split_json_array`)."""
    n = len(text)
    first = len(text) - len(text.lstrip(" \t\r\n"))
    if first == n:
        return []
    if text[first] != "[":
        raise UserError(f"{path}: not a JSON array (it starts with {text[first:first + 12]!r})",
                        hint="pass --container json-lines for one JSON record per line")
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
            hint="repair the file (e.g. restore the missing quote or bracket at that place) and ingest it again")

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
            out.append((elem_start if elem_start is not None else tok_start, n, "truncated_json",
                        "the file ends inside this element (inside a string)"))
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
    """Move records that are not JSON objects from ``_stage`` to ``_bad_json``."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _bad_json AS
        SELECT _row,
               CASE WHEN NOT json_valid(_rec) THEN 'invalid_json' ELSE 'not_an_object' END AS reason,
               CASE WHEN NOT json_valid(_rec) THEN 'not valid JSON'
                    ELSE 'a JSON ' || lower(json_type(_rec::JSON)) || ', expected an object' END AS detail,
               _rec AS raw
        FROM _stage
        WHERE NOT json_valid(_rec) OR json_type(_rec::JSON) <> 'OBJECT'
    """)
    con.execute("DELETE FROM _stage WHERE _row IN (SELECT _row FROM _bad_json)")


def _add_rejects(con: duckdb.DuckDBPyConnection, rejects: dict[str, list[object]], unit: str) -> None:
    con.register("_rej_arrow", pa.table({
        "_row": pa.array(rejects["_row"], pa.int64()),
        "reason": pa.array(rejects["reason"], pa.string()),
        "detail": pa.array(rejects["detail"], pa.string()),
        "raw": pa.array(rejects["raw"], pa.string()),
    }))
    con.execute(f"""
        CREATE TEMP TABLE _rejects AS
        SELECT _row, '{unit}' AS _unit, reason, detail, raw FROM _rej_arrow
        UNION ALL
        SELECT _row, '{unit}', reason, detail, raw FROM _bad_json
    """)
    con.unregister("_rej_arrow")
    con.execute("DROP TABLE IF EXISTS _bad_json")


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        con.execute(
            "CREATE TEMP TABLE _stage AS SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number) "
            "FROM read_parquet(?, file_row_number = true)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise UserError(f"{path}: not a readable parquet file: {_first_line(exc)}",
                        hint="is the file complete? re-export it") from None
    con.execute(f"CREATE TEMP TABLE _rejects AS SELECT * FROM ({_EMPTY_REJECTS})")


_EMPTY_REJECTS = ("SELECT NULL::BIGINT AS _row, NULL::VARCHAR AS _unit, NULL::VARCHAR AS reason, "
                  "NULL::VARCHAR AS detail, NULL::VARCHAR AS raw WHERE false")


#: DuckDB gives up on a CSV line longer than this (its default, 2 MB, is too small for long conversations)
_CSV_MAX_LINE = 64 << 20
#: how many physical lines one quoted CSV field may span in the Python reader
_CSV_MAX_SPAN = 5000


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """CSV via DuckDB's reader (malformed lines land in its reject tables, then in ``_rejects``).

    When DuckDB gives up on the whole file (a lone CR, an unterminated quote, a line it cannot
    sniff), a Python reader takes over that quarantines just the records it cannot read.
    """
    delim = "\t" if any(s.lower() == ".tsv" for s in path.suffixes) else ","
    con.execute("DROP TABLE IF EXISTS _csv_errors")
    con.execute("DROP TABLE IF EXISTS _csv_scans")
    try:
        con.execute(
            "CREATE TEMP TABLE _stage AS SELECT row_number() OVER () AS _row, * FROM read_csv(?, "
            "header = true, all_varchar = true, delim = ?, quote = '\"', escape = '\"', "
            "store_rejects = true, rejects_table = '_csv_errors', rejects_scan = '_csv_scans', "
            f"sample_size = -1, max_line_size = {_CSV_MAX_LINE}, buffer_size = {2 * _CSV_MAX_LINE})",
            [str(path), delim],
        )
    except duckdb.Error:
        _stage_csv_python(con, path, delim)
        return
    if _has_multiline_values(con):
        # a quoted field spanning lines may be two broken quotes swallowing the good lines between
        # them: the careful reader decides
        _stage_csv_python(con, path, delim)
        return
    con.execute("""
        CREATE TEMP TABLE _rejects AS
        SELECT line AS _row, 'line' AS _unit,
               CASE WHEN error_type IN ('INVALID UNICODE', 'INVALID ENCODING') THEN 'invalid_utf8'
                    ELSE 'malformed_csv' END AS reason,
               error_message AS detail, csv_line AS raw
        FROM _csv_errors
        -- one record can raise several errors; keep the first per line
        QUALIFY row_number() OVER (PARTITION BY line ORDER BY column_idx NULLS FIRST) = 1
    """)
    con.execute("DROP TABLE IF EXISTS _csv_errors")
    con.execute("DROP TABLE IF EXISTS _csv_scans")


def _has_multiline_values(con: duckdb.DuckDBPyConnection) -> bool:
    cols = [c for c in con.table("_stage").columns if c != "_row"]
    if not cols:
        return False
    text = "concat_ws('', " + ", ".join('"' + c.replace('"', '""') + '"' for c in cols) + ")"
    sql = f"SELECT count(*) FROM _stage WHERE strpos({text}, chr(10)) > 0 OR strpos({text}, chr(13)) > 0"
    return bool(con.sql(sql).fetchall()[0][0])


def _csv_fields(text: str, delim: str) -> list[str] | None:
    """The fields of ``text`` when it is exactly one CSV record, else None."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"',
                               doublequote=True, strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def _csv_column_names(fields: list[str]) -> list[str]:
    """Header names made unique (case-insensitively, like DuckDB) and distinct from ``_row``."""
    seen = {"_row"}
    out = []
    for i, name in enumerate(fields):
        base = name or f"column{i}"
        cand, k = base, 0
        while cand.lower() in seen:
            k += 1
            cand = f"{base}_{k}"
        seen.add(cand.lower())
        out.append(cand)
    return out


def _stage_csv_python(con: duckdb.DuckDBPyConnection, path: Path, delim: str) -> None:
    """The careful CSV reader: one bad record is quarantined alone (location = its first physical line).

    A record whose quote count is odd takes the next physical lines until its quotes balance (at
    most ``_CSV_MAX_SPAN`` lines). It is kept only if it then parses to the header's field count
    and none of the lines it swallowed is a complete record on its own; otherwise its first line
    alone is quarantined and reading restarts at the next line. Over-counting a broken record's
    lines can happen; swallowing good records cannot.
    """
    for t in ("_stage", "_rejects", "_csv_errors", "_csv_scans"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    data = _read_bytes(path)
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    rejects = _empty_rejects()
    texts: list[str | None] = []
    for i, raw in enumerate(raw_lines, start=1):
        try:
            texts.append(raw.decode("utf-8").removesuffix("\r"))
        except UnicodeDecodeError as exc:
            texts.append(None)
            _reject(rejects, i, "invalid_utf8", f"byte {exc.start}: {exc.reason}",
                    raw.decode("utf-8", errors="backslashreplace"))
    ncols: int | None = None
    names: list[str] = []
    rows: list[list[str]] = []
    i = 0
    while i < len(texts):
        first = texts[i]
        if first is None or first == "":
            i += 1
            continue
        fields = _csv_fields(first, delim)
        span = 1
        if (fields is None or (ncols is not None and len(fields) != ncols)) and first.count('"') % 2 == 1:
            fields, span = _csv_multiline(texts, i, delim, ncols)
        if ncols is None:
            if fields is None:
                raise UserError(f"{path}: line {i + 1}: the CSV header line cannot be read",
                                hint="check its quoting, or pass --container if this is not CSV")
            names, ncols = _csv_column_names(fields), len(fields)
        elif fields is None or len(fields) != ncols:
            found = "it cannot be parsed (unbalanced quote?)" if fields is None else f"found {len(fields)}"
            _reject(rejects, i + 1, "malformed_csv", f"expected {ncols} fields, {found}", first)
        else:
            rows.append(fields)
        i += span
    columns: dict[str, pa.Array] = {"_row": pa.array(range(1, len(rows) + 1), pa.int64())}
    for k, name in enumerate(names):
        columns[name] = pa.array([r[k] if r[k] != "" else None for r in rows], pa.string())
    con.register("_csv_arrow", pa.table(columns))
    con.execute("CREATE TEMP TABLE _stage AS SELECT * FROM _csv_arrow")
    con.unregister("_csv_arrow")
    con.register("_rej_arrow", pa.table({
        "_row": pa.array(rejects["_row"], pa.int64()),
        "reason": pa.array(rejects["reason"], pa.string()),
        "detail": pa.array(rejects["detail"], pa.string()),
        "raw": pa.array(rejects["raw"], pa.string()),
    }))
    con.execute("CREATE TEMP TABLE _rejects AS SELECT _row, 'line' AS _unit, reason, detail, raw "
                "FROM _rej_arrow ORDER BY _row")
    con.unregister("_rej_arrow")


def _csv_multiline(texts: list[str | None], i: int, delim: str, ncols: int | None) -> tuple[list[str] | None, int]:
    """Try the record starting at line ``i`` as a quoted field spanning lines: (fields or None, lines used)."""
    quotes = 0
    parts: list[str] = []
    j = i
    while j < len(texts) and j - i < _CSV_MAX_SPAN:
        line = texts[j]
        if line is None:
            return None, 1
        parts.append(line)
        quotes += line.count('"')
        j += 1
        if quotes % 2 == 0:
            break
    if quotes % 2 == 1:
        return None, 1
    fields = _csv_fields("\n".join(parts), delim)
    if fields is None or (ncols is not None and len(fields) != ncols):
        return None, 1
    if ncols is not None:
        for line in parts[1:]:
            alone = _csv_fields(line, delim) if line else None
            if alone is not None and len(alone) == ncols:
                return None, 1  # a good record of its own would be swallowed: do not guess
    return fields, len(parts)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
