"""The only place that opens DuckDB connections.

Stages receive a connection and never open one; queries for users (``arenavotes sql``) use a
read-only connection so that a typo cannot change the workspace.

>>> con = connect(None)          # an in-memory database with the canonical tables
>>> con.sql("select count(*) from battles").fetchall()
[(0,)]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from arenavotes.errors import UserError
from arenavotes.schema import ALL_DDL, VIEWS_SQL


def connect(path: Path | None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the workspace database at ``path`` (``None``: in memory) with the canonical schema."""
    if path is not None and read_only and not path.exists():
        raise UserError(f"{path}: no workspace database yet", hint="run 'arenavotes ingest' first")
    try:
        con = duckdb.connect(":memory:" if path is None else str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise UserError(f"{path}: cannot open the workspace database: {exc}",
                        hint="is another arenavotes command using it?") from None
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        ensure_schema(con)
    return con


def scratch() -> duckdb.DuckDBPyConnection:
    """An empty in-memory database (no canonical tables), e.g. to attach a release's parquet files."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All writes inside the block land together or not at all (rolled back on any exception)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> pl.DataFrame:
    """Run ``sql`` and return a Polars frame (through Arrow, no row loop)."""
    out = pl.from_arrow(con.sql(sql, params=list(params) or None).to_arrow_table())
    assert isinstance(out, pl.DataFrame)
    return out


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical tables and views if they do not exist yet; refuse a workspace whose tables
    lack columns of this version (made by an older arenavotes) instead of failing later mid-stage."""
    existing = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall()}
    for ddl in ALL_DDL:
        con.execute(ddl)
    con.execute(VIEWS_SQL)
    if existing:
        check_columns(con)


def check_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Every canonical table has the columns this version writes (see :data:`arenavotes.schema.ALL_DDL`)."""
    probe = duckdb.connect(":memory:")
    for ddl in ALL_DDL:
        probe.execute(ddl)
    want = probe.execute("SELECT table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
                         "GROUP BY 1").fetchall()
    probe.close()
    have = dict(con.execute("SELECT table_name, list(column_name ORDER BY ordinal_position) FROM "
                            "information_schema.columns WHERE table_schema = 'main' GROUP BY 1").fetchall())
    for table, columns in want:
        if table in have and list(have[table]) != list(columns):
            missing = [c for c in columns if c not in have[table]]
            raise UserError(f"the workspace's table {table} was made by an older arenavotes (columns differ"
                            + (f": missing {', '.join(missing)}" if missing else "") + ")",
                            hint="create a new workspace ('arenavotes init DIR') and ingest the files again")
