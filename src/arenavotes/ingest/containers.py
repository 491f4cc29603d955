"""Read one file's records into a staging table, keeping every record it cannot read.

This is the I/O edge of ingestion. A *container* is how records are stored (JSON lines, a JSON
array, CSV, parquet); what the records mean is the job of :mod:`arenavotes.ingest.formats`.
:func:`stage_file` guesses the container (:mod:`~arenavotes.ingest.sniff`) and hands the file to
that container's stager: :mod:`~arenavotes.ingest.json_records`, :mod:`~arenavotes.ingest.csv_records`
or DuckDB's parquet reader (below).

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

import contextlib
import dataclasses
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from arenavotes.errors import UserError
from arenavotes.ingest.csv_records import stage_csv
from arenavotes.ingest.json_records import stage_json_array, stage_json_lines
from arenavotes.ingest.rejects import EMPTY_REJECTS, REJECTS_COLUMNS, encodable
from arenavotes.ingest.sniff import open_text_bytes, read_head, sniff_container

if TYPE_CHECKING:
    from arenavotes.ingest.mapping import CsvDialect

__all__ = ["CONTAINERS", "REJECTS_COLUMNS", "Staged", "encodable", "read_head", "sniff_container", "stage_file"]

CONTAINERS = ("json-lines", "json-array", "csv", "parquet")
_UNIT = {"json-lines": "line", "json-array": "element", "csv": "row", "parquet": "row"}


@dataclasses.dataclass(frozen=True)
class Staged:
    """What :func:`stage_file` left in the connection's ``_stage`` and ``_rejects`` tables."""

    path: Path
    container: str
    unit: str  # what _row counts: line, element or row
    columns: tuple[str, ...]  # the file's columns (tabular) or ('_rec',) for JSON
    staged: int
    rejected: int

    @property
    def is_json(self) -> bool:
        return self.container in ("json-lines", "json-array")


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        con.execute(
            "CREATE TEMP TABLE _stage AS SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number) "
            "FROM read_parquet(?, file_row_number = true)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise UserError(
            f"{path}: not a readable parquet file: {_first_line(exc)}", hint="is the file complete? re-export it"
        ) from None
    con.execute(f"CREATE TEMP TABLE _rejects AS SELECT * FROM ({EMPTY_REJECTS})")


#: container -> the function that fills ``_stage`` and ``_rejects`` from a file of that container
_STAGERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Path], None]] = {
    "json-lines": stage_json_lines,
    "json-array": stage_json_array,
    "csv": stage_csv,
    "parquet": _stage_parquet,
}


def stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, container: str | None = None, dialect: CsvDialect | None = None
) -> Staged:
    """Load ``path`` into the temp tables ``_stage`` and ``_rejects`` of ``con``; ``dialect`` gives the
    CSV characters and the text encoding (a file that is not UTF-8 is read through a UTF-8 copy)."""
    with _as_utf8(path, dialect.encoding if dialect else "utf-8") as readable:
        head = read_head(readable)
        container = container or sniff_container(readable, head)
        if container not in CONTAINERS:
            raise UserError(f"{path}: unknown container {container!r}", hint=f"one of {', '.join(CONTAINERS)}")
        con.execute("DROP TABLE IF EXISTS _stage")
        con.execute("DROP TABLE IF EXISTS _rejects")
        if container == "csv":
            stage_csv(con, readable, dialect)
        else:
            _STAGERS[container](con, readable)
    columns = tuple(c for c in con.table("_stage").columns if c != "_row")
    staged = _count(con, "_stage")
    rejected = _count(con, "_rejects")
    return Staged(path, container, _UNIT[container], columns, staged, rejected)


@contextlib.contextmanager
def _as_utf8(path: Path, encoding: str) -> Iterator[Path]:
    """``path`` itself when UTF-8, else a temporary UTF-8 copy (decoded with ``encoding``, gzip undone;
    bytes the codec cannot decode become U+FFFD, so nothing is dropped)."""
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="arenavotes-") as tmp:
        name = path.name.removesuffix(".gz")
        out = Path(tmp) / name
        with open_text_bytes(path) as raw, out.open("w", encoding="utf-8", newline="") as dst:
            import codecs

            reader = codecs.getreader(encoding)(raw, "replace")
            while chunk := reader.read(1 << 20):
                dst.write(chunk.removeprefix("\ufeff") if dst.tell() == 0 else chunk)
        yield out


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
