"""Printing SQL results for people: a table, CSV or JSON on stdout, and the interactive ``sql>`` prompt.

The connection comes from :mod:`arenavotes.sqlsafe` (read-only, confined); this module only runs a
statement through :func:`arenavotes.sqlsafe.run_query` and formats what comes back.

>>> _jsonable(__import__("decimal").Decimal("12")), _jsonable(__import__("datetime").date(2024, 5, 1))
(12, '2024-05-01')
"""

from __future__ import annotations

import decimal
import json
import sys
from collections.abc import Callable

import duckdb
import polars as pl

from arenavotes.errors import UserError

FORMATS = ("table", "csv", "json")
_TABLES_SQL = "SELECT table_name, table_type FROM information_schema.tables ORDER BY 1"


def print_query(con: duckdb.DuckDBPyConnection, query: str, fmt: str = "table", max_rows: int = 40) -> None:
    """Run one read-only statement and print its result in ``fmt`` (table, csv or json)."""
    from arenavotes.sqlsafe import run_query

    try:
        rel = run_query(con, query)
        if rel is None:
            return
        if fmt == "table":
            rel.show(max_rows=max_rows, max_width=200)
            return
        table = rel.arrow().read_all()
    except duckdb.Error as exc:
        raise UserError(
            f"SQL: {str(exc).strip().splitlines()[0]}",
            hint="the workspace is read-only here; tables: battles, conversations, quarantine, "
            "prompt_labels, runs, sources",
        ) from None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
    else:
        sys.stdout.write(json.dumps(frame.to_dicts(), default=_jsonable, ensure_ascii=False, indent=1) + "\n")


def _jsonable(value: object) -> object:
    """JSON for what DuckDB returns beyond JSON's types: big integers and decimals as numbers, times as ISO."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def interactive(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    max_rows: int,
    say: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
) -> None:
    """A ``sql>`` prompt: statements end with ';'; ``.tables`` lists tables; ``.quit`` (or end of input) leaves."""
    say("arenavotes SQL (read-only). End statements with ';'. .tables lists tables, .quit leaves.")
    buffer: list[str] = []
    while True:
        try:
            line = input("sql> " if not buffer else "...> ")
        except EOFError:
            say("")
            return
        stripped = line.strip()
        if not buffer and stripped in (".quit", ".exit", "\\q"):
            return
        if not buffer and stripped == ".tables":
            print_query(con, _TABLES_SQL, fmt, max_rows)
            continue
        buffer.append(line)
        if stripped.endswith(";"):
            try:
                print_query(con, "\n".join(buffer), fmt, max_rows)
            except UserError as exc:
                say(f"error: {exc}")
            buffer = []
