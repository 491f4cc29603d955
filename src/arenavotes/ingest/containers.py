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

import dataclasses
import gzip
import json
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
    except (OSError, EOFError) as exc:
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
        records, rejects = (_split_json_lines if container == "json-lines" else _split_json_array)(data)
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
    except (OSError, EOFError) as exc:
        raise UserError(f"{path}: cannot read: {exc}", hint="is the file complete?") from None
    return data.removeprefix(b"\xef\xbb\xbf")


def _empty_rejects() -> dict[str, list[object]]:
    return {"_row": [], "reason": [], "detail": [], "raw": []}


def _split_json_lines(data: bytes) -> tuple[pa.Table, dict[str, list[object]]]:
    """One record per non-blank line; lines that are not valid UTF-8 are rejected."""
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
                rejects["_row"].append(i)
                rejects["reason"].append("invalid_utf8")
                rejects["detail"].append(f"byte {exc.start}: {exc.reason}")
                rejects["raw"].append(raw.decode("utf-8", errors="backslashreplace"))
    rows = [i for i, line in enumerate(lines, start=1) if line.strip()]
    table = pa.table({
        "_row": pa.array(rows, pa.int64()),
        "_rec": pa.array([lines[i - 1].rstrip("\r") for i in rows], pa.string()),
    })
    return table, rejects


def _split_json_array(data: bytes) -> tuple[pa.Table, dict[str, list[object]]]:
    """One record per element of a top-level JSON array; a truncated tail is one rejected record."""
    rejects = _empty_rejects()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="surrogateescape")
        bad_at = exc.start
    else:
        bad_at = -1
    elements: list[str] = []
    try:
        if bad_at >= 0:
            raise ValueError("invalid utf-8")
        values = json.loads(text)
        if not isinstance(values, list):
            raise ValueError("not an array")
        elements = [json.dumps(v, ensure_ascii=False) for v in values]
    except ValueError:
        elements, tail_at, reason, detail = _tolerant_array(text)
        if tail_at is not None:
            rejects["_row"].append(len(elements) + 1)
            rejects["reason"].append(reason)
            rejects["detail"].append(detail)
            rejects["raw"].append(text[tail_at:].encode("utf-8", "surrogateescape")
                                  .decode("utf-8", "backslashreplace"))
    table = pa.table({
        "_row": pa.array(range(1, len(elements) + 1), pa.int64()),
        "_rec": pa.array(elements, pa.string()),
    })
    return table, rejects


def _tolerant_array(text: str) -> tuple[list[str], int | None, str, str]:
    """Decode array elements one by one; return them and where (and why) decoding stopped."""
    decoder = json.JSONDecoder()
    out: list[str] = []
    pos = text.find("[") + 1
    n = len(text)

    def skip_ws(p: int) -> int:
        while p < n and text[p] in " \t\r\n":
            p += 1
        return p

    pos = skip_ws(pos)
    if pos < n and text[pos] == "]":
        return out, None, "", ""
    while True:
        start = pos
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            return out, start, "truncated_json", f"JSON ends or breaks at line {exc.lineno} column {exc.colno}: {exc.msg}"
        piece = text[start:pos]
        if any("\udc80" <= ch <= "\udcff" for ch in piece):
            return out, start, "invalid_utf8", "invalid UTF-8 bytes inside this element; reading stopped here"
        out.append(json.dumps(value, ensure_ascii=False))
        pos = skip_ws(pos)
        if pos < n and text[pos] == ",":
            pos = skip_ws(pos + 1)
            continue
        if pos < n and text[pos] == "]":
            rest = text[pos + 1:].strip()
            if rest:
                return out, pos + 1, "trailing_data", "text after the closing ']' of the array"
            return out, None, "", ""
        return out, pos, "truncated_json", "the array is not closed"


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


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """CSV via DuckDB's reader; malformed lines land in DuckDB's reject tables, then in ``_rejects``."""
    delim = "\t" if any(s.lower() == ".tsv" for s in path.suffixes) else ","
    con.execute("DROP TABLE IF EXISTS _csv_errors")
    con.execute("DROP TABLE IF EXISTS _csv_scans")
    try:
        con.execute(
            "CREATE TEMP TABLE _stage AS SELECT row_number() OVER () AS _row, * FROM read_csv(?, "
            "header = true, all_varchar = true, delim = ?, quote = '\"', escape = '\"', "
            "store_rejects = true, rejects_table = '_csv_errors', rejects_scan = '_csv_scans', "
            "sample_size = -1)",
            [str(path), delim],
        )
    except duckdb.Error as exc:
        raise UserError(f"{path}: not a readable CSV file: {_first_line(exc)}",
                        hint="check the delimiter, quoting and header line") from None
    con.execute("""
        CREATE TEMP TABLE _rejects AS
        SELECT line AS _row, 'line' AS _unit,
               CASE error_type WHEN 'INVALID UNICODE' THEN 'invalid_utf8' ELSE 'malformed_csv' END AS reason,
               error_message AS detail, csv_line AS raw
        FROM _csv_errors
        -- one record can raise several errors; keep the first per line
        QUALIFY row_number() OVER (PARTITION BY line ORDER BY column_idx NULLS FIRST) = 1
    """)
    con.execute("DROP TABLE IF EXISTS _csv_errors")
    con.execute("DROP TABLE IF EXISTS _csv_scans")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
