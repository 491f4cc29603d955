"""Stage CSV and TSV files: the file's own columns (all text), every unreadable line rejected alone.

DuckDB's reader does the work when it can; its reject tables become ``_rejects``. When it gives
up on the whole file (a lone CR, an unterminated quote, a line it cannot sniff), or a quoted
field spans lines (possibly two broken quotes swallowing the good lines between them), a careful
Python reader takes over that never lets one bad quote swallow good records. A ``.tsv`` suffix
means tab-separated.

>>> csv_column_names(["id", "", "ID", "_row"])
['id', 'column1', 'ID_1', '_row_1']
>>> lines = ['1,"a', 'b",c', '2,x,y']
>>> csv_multiline(lines, 0, ",", 3)
(['1', 'a\\nb', 'c'], 2)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from arenavotes.db import register_arrow, sql_ident, temp_table_from_arrow, unregister_arrow
from arenavotes.errors import UserError
from arenavotes.ingest.rejects import empty_rejects, reject, rejects_table
from arenavotes.ingest.sniff import read_bytes

if TYPE_CHECKING:
    from arenavotes.ingest.mapping import CsvDialect

#: DuckDB gives up on a CSV line longer than this (its default, 2 MB, is too small for long conversations)
_CSV_MAX_LINE = 64 << 20
#: stands in for a lone carriage return while a line is parsed (a private-use character)
_CR_STANDIN = "\uf8ff"
#: how many physical lines one quoted CSV field may span in the Python reader
_CSV_MAX_SPAN = 5000


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, dialect: CsvDialect | None = None) -> None:
    """CSV via DuckDB's reader (malformed lines land in its reject tables, then in ``_rejects``).

    When DuckDB gives up on the whole file (a lone CR, an unterminated quote, a line it cannot
    sniff), a Python reader takes over that quarantines just the records it cannot read.
    ``dialect`` sets the delimiter, quote and escape characters (the file is UTF-8 by now).
    """
    tsv = any(s.lower() == ".tsv" for s in path.suffixes)
    delim = (dialect.delimiter if dialect and dialect.delimiter else None) or ("\t" if tsv else ",")
    quote = dialect.quote if dialect else '"'
    escape = dialect.escape if dialect else '"'
    con.execute("DROP TABLE IF EXISTS _csv_errors")
    con.execute("DROP TABLE IF EXISTS _csv_scans")
    try:
        con.execute(
            "CREATE TEMP TABLE _stage AS SELECT row_number() OVER () AS _row, * FROM read_csv(?, "
            "header = true, all_varchar = true, delim = ?, quote = ?, escape = ?, "
            "store_rejects = true, rejects_table = '_csv_errors', rejects_scan = '_csv_scans', "
            f"sample_size = -1, max_line_size = {_CSV_MAX_LINE}, buffer_size = {2 * _CSV_MAX_LINE})",
            [str(path), delim, quote, escape],
        )
    except duckdb.Error:
        _stage_csv_python(con, path, delim, quote, escape)
        return
    if _has_multiline_values(con):
        # a quoted field spanning lines may be two broken quotes swallowing the good lines between
        # them: the careful reader decides
        _stage_csv_python(con, path, delim, quote, escape)
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
    text = "concat_ws('', " + ", ".join(sql_ident(c) for c in cols) + ")"
    sql = f"SELECT count(*) FROM _stage WHERE strpos({text}, chr(10)) > 0 OR strpos({text}, chr(13)) > 0"
    return bool(con.sql(sql).fetchall()[0][0])


def _csv_fields(text: str, delim: str, quote: str = '"', escape: str = '"') -> list[str] | None:
    """The fields of ``text`` when it is exactly one CSV record, else None."""
    doubled = escape == quote
    # a lone CR inside a line is data (a field of old Mac line ends), not the end of the record
    cr = "\r" in text and _CR_STANDIN not in text
    if cr:
        text = text.replace("\r", _CR_STANDIN)
    try:
        rows = list(
            csv.reader(
                io.StringIO(text, newline=""),
                delimiter=delim,
                quotechar=quote,
                doublequote=doubled,
                escapechar=None if doubled else escape,
                strict=True,
            )
        )
    except csv.Error:
        return None
    if len(rows) != 1:
        return None
    return [f.replace(_CR_STANDIN, "\r") for f in rows[0]] if cr else rows[0]


def csv_column_names(fields: list[str]) -> list[str]:
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


def _stage_csv_python(
    con: duckdb.DuckDBPyConnection, path: Path, delim: str, quote: str = '"', escape: str = '"'
) -> None:
    """The careful CSV reader: one bad record is quarantined alone (location = its first physical line).

    A record whose quote count is odd takes the next physical lines until its quotes balance (at
    most ``_CSV_MAX_SPAN`` lines). It is kept only if it then parses to the header's field count
    and fewer than half of the lines it swallowed are complete records on their own (a multi-line
    field of code or prose has few such lines; two stray quotes around good records have only
    those); otherwise its first line alone is quarantined and reading restarts at the next line.
    """
    for t in ("_stage", "_rejects", "_csv_errors", "_csv_scans"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    data = read_bytes(path)
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    rejects = empty_rejects()
    texts: list[str | None] = []
    for i, raw in enumerate(raw_lines, start=1):
        try:
            texts.append(raw.decode("utf-8"))  # a CR before the LF stays: inside a quoted field it is data
        except UnicodeDecodeError as exc:
            texts.append(None)
            reject(
                rejects,
                i,
                "invalid_utf8",
                f"byte {exc.start}: {exc.reason}",
                raw.decode("utf-8", errors="backslashreplace"),
            )
    ncols: int | None = None
    names: list[str] = []
    rows: list[list[str]] = []
    i = 0
    while i < len(texts):
        first = texts[i]
        if first is None or first in ("", "\r"):
            i += 1
            continue
        first = first.removesuffix("\r")
        fields = _csv_fields(first, delim, quote, escape)
        span = 1
        if (fields is None or (ncols is not None and len(fields) != ncols)) and _open_quote(first, quote, escape):
            fields, span = csv_multiline(texts, i, delim, ncols, quote, escape)
        if ncols is None:
            if fields is None:
                raise UserError(
                    f"{path}: line {i + 1}: the CSV header line cannot be read",
                    hint="check its quoting, or pass --container if this is not CSV",
                )
            names, ncols = csv_column_names(fields), len(fields)
        elif fields is None or len(fields) != ncols:
            found = "it cannot be parsed (unbalanced quote?)" if fields is None else f"found {len(fields)}"
            reject(rejects, i + 1, "malformed_csv", f"expected {ncols} fields, {found}", first)
        else:
            rows.append(fields)
        i += span
    columns: dict[str, pa.Array] = {"_row": pa.array(range(1, len(rows) + 1), pa.int64())}
    for k, name in enumerate(names):
        columns[name] = pa.array([r[k] if r[k] != "" else None for r in rows], pa.string())
    temp_table_from_arrow(con, "_stage", pa.table(columns))
    register_arrow(con, "_rej_arrow", rejects_table(rejects))
    con.execute(
        "CREATE TEMP TABLE _rejects AS SELECT _row, 'line' AS _unit, reason, detail, raw FROM _rej_arrow ORDER BY _row"
    )
    unregister_arrow(con, "_rej_arrow")


def _quotes(line: str, quote: str, escape: str) -> int:
    """Quote characters in ``line`` that open or close a field (escaped ones do not count)."""
    if escape == quote:
        return line.count(quote)
    return line.replace(escape + escape, "").replace(escape + quote, "").count(quote)


def _open_quote(line: str, quote: str, escape: str) -> bool:
    return _quotes(line, quote, escape) % 2 == 1


def csv_multiline(
    texts: list[str | None], i: int, delim: str, ncols: int | None, quote: str = '"', escape: str = '"'
) -> tuple[list[str] | None, int]:
    """Try the record starting at line ``i`` as a quoted field spanning lines: (fields or None, lines used)."""
    quotes = 0
    parts: list[str] = []
    j = i
    while j < len(texts) and j - i < _CSV_MAX_SPAN:
        line = texts[j]
        if line is None:
            return None, 1
        parts.append(line)
        quotes += _quotes(line, quote, escape)
        j += 1
        if quotes % 2 == 0:
            break
    if quotes % 2 == 1:
        return None, 1
    fields = _csv_fields("\n".join(parts).removesuffix("\r"), delim, quote, escape)
    if fields is None or (ncols is not None and len(fields) != ncols):
        return None, 1
    if ncols is not None:
        swallowed = parts[1:]
        records = 0
        for line in swallowed:
            line = line.removesuffix("\r")
            alone = _csv_fields(line, delim, quote, escape) if line else None
            records += alone is not None and len(alone) == ncols
        # Lines that are good records of their own would be swallowed: two stray quotes around good lines
        # look like this. A real multi-line field (code, a story) has a few lines that happen to split into
        # the right number of fields, never mostly such lines: only then is it kept.
        if records and 2 * records >= len(swallowed):
            return None, 1
    return fields, len(parts)
