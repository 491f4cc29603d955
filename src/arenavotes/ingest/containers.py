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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from duckdb.sqltypes import DuckDBPyType

from arenavotes.db import spill_folder, temp_table_from_arrow
from arenavotes.errors import UserError
from arenavotes.ingest.csv_records import stage_csv
from arenavotes.ingest.json_records import json_lines_parts, stage_json_array, stage_json_lines, stage_json_lines_part
from arenavotes.ingest.rejects import EMPTY_REJECTS, REJECTS_COLUMNS, encodable
from arenavotes.ingest.sniff import open_text_bytes, read_head, sniff_container
from arenavotes.leftovers import private_tempdir

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from arenavotes.ingest.mapping import CsvDialect

__all__ = [
    "CONTAINERS",
    "REJECTS_COLUMNS",
    "Staged",
    "encodable",
    "read_head",
    "sniff_container",
    "stage_batches",
    "stage_file",
]

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
    #: tabular files: each column's DuckDB type (nested fields of a STRUCT column are then read natively)
    types: dict[str, DuckDBPyType] = dataclasses.field(default_factory=dict, compare=False, repr=False)

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
        raise _unreadable_parquet(path, exc) from None
    con.execute(f"CREATE TEMP TABLE _rejects AS SELECT * FROM ({EMPTY_REJECTS})")


def _unreadable_parquet(path: Path, exc: Exception, where: str = "") -> UserError:
    return UserError(
        f"{path}: not a readable parquet file{where}: {_first_line(exc)}", hint="is the file complete? re-export it"
    )


#: container -> the function that fills ``_stage`` and ``_rejects`` from a file of that container
_STAGERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Path], None]] = {
    "json-lines": stage_json_lines,
    "json-array": stage_json_array,
    "csv": stage_csv,
    "parquet": _stage_parquet,
}


#: a batch of a big file: about this many bytes of JSON lines, or this many parquet rows. DuckDB holds several
#: copies of a batch's JSON while it unnests the messages, more the longer they are: at 32 MB, real arena
#: conversations with 12 KB lines went past ingest's 400 MB cap; at 16 MB they ingest, for ~7% more CPU
#: (5 December). Longer lines come in smaller pieces (:func:`~arenavotes.ingest.json_records.piece_bytes`)
BATCH_BYTES = 16 << 20
BATCH_ROWS = 250_000
#: the first batch of JSON lines holds at least this many lines (as many as fit in 16 MB of long lines): a format
#: is recognised from its first records
PROBE_LINES = 1_000


def stage_batches(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    container: str | None = None,
    dialect: CsvDialect | None = None,
    *,
    batch_bytes: int | None = None,
    batch_rows: int | None = None,
) -> Iterator[Staged]:
    """:func:`stage_file` in batches, so that memory does not grow with the file: JSON lines in pieces of
    about ``batch_bytes`` cut at line ends, parquet ``batch_rows`` rows at a time; ``_row`` keeps counting
    from the start of the file. Each batch replaces the previous one's ``_stage`` and ``_rejects``. Other
    containers (CSV, a JSON array) need the whole file to find their records and come as one batch."""
    batch_bytes = batch_bytes or BATCH_BYTES
    batch_rows = batch_rows or BATCH_ROWS
    encoding = dialect.encoding if dialect else "utf-8"
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
    head = read_head(path)
    container = container or sniff_container(path, head)
    if container == "json-lines" and utf8:
        for data, first_line in json_lines_parts(path, batch_bytes, PROBE_LINES):
            _drop_stage(con)
            stage_json_lines_part(con, data, first_line)
            yield _staged(con, path, container)
    elif container == "parquet":
        yield from _parquet_batches(con, path, batch_rows)
    else:
        yield stage_file(con, path, container, dialect)


def _parquet_batches(con: duckdb.DuckDBPyConnection, path: Path, batch_rows: int) -> Iterator[Staged]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        total = pf.metadata.num_rows
    except (OSError, pa.ArrowException) as exc:
        raise _unreadable_parquet(path, exc) from None
    if total <= batch_rows:
        yield stage_file(con, path, "parquet")
        return
    row = 1
    try:
        for table in _parquet_tables(pf, batch_rows):
            _drop_stage(con)
            temp_table_from_arrow(
                con, "_stage", table.add_column(0, "_row", pa.array(range(row, row + len(table)), pa.int64()))
            )
            con.execute(f"CREATE TEMP TABLE _rejects AS SELECT * FROM ({EMPTY_REJECTS})")
            row += len(table)
            del table  # DuckDB holds its copy; the Arrow buffers need not wait for the next batch
            yield _staged(con, path, "parquet")
    except (OSError, pa.ArrowException) as exc:
        raise _unreadable_parquet(path, exc, f" (row {row:,} on)") from None


def _parquet_tables(pf: pq.ParquetFile, batch_rows: int) -> Iterator[pa.Table]:
    """The file's rows in order, about ``batch_rows`` at a time: whole row groups read together while they fit,
    a bigger row group in slices. ``ParquetFile.iter_batches`` alone kept growing buffers of its own (5M rows in
    20 batches: Arrow's allocation went 84 -> 160 MB); reading whole row groups frees each batch's."""
    import pyarrow as pa

    meta = pf.metadata
    groups: list[int] = []
    rows = 0
    for g in range(meta.num_row_groups):
        n = meta.row_group(g).num_rows
        if groups and rows + n > batch_rows:
            yield pf.read_row_groups(groups)
            groups, rows = [], 0
        if n > batch_rows:
            for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[g]):
                yield pa.Table.from_batches([batch])
            continue
        groups.append(g)
        rows += n
    if groups:
        yield pf.read_row_groups(groups)


def _drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE IF EXISTS _stage")
    con.execute("DROP TABLE IF EXISTS _rejects")


def _staged(con: duckdb.DuckDBPyConnection, path: Path, container: str) -> Staged:
    table = con.table("_stage")
    types = {c: t for c, t in zip(table.columns, table.types, strict=True) if c != "_row"}
    return Staged(
        path, container, _UNIT[container], tuple(types), _count(con, "_stage"), _count(con, "_rejects"), types
    )


def stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, container: str | None = None, dialect: CsvDialect | None = None
) -> Staged:
    """Load ``path`` into the temp tables ``_stage`` and ``_rejects`` of ``con``; ``dialect`` gives the
    CSV characters and the text encoding (a file that is not UTF-8 is read through a UTF-8 copy)."""
    with _as_utf8(path, dialect.encoding if dialect else "utf-8", spill_folder(con)) as readable:
        head = read_head(readable)
        container = container or sniff_container(readable, head)
        if container not in CONTAINERS:
            raise UserError(f"{path}: unknown container {container!r}", hint=f"one of {', '.join(CONTAINERS)}")
        _drop_stage(con)
        if container == "csv":
            stage_csv(con, readable, dialect)
        else:
            _STAGERS[container](con, readable)
    return _staged(con, path, container)


@contextlib.contextmanager
def _as_utf8(path: Path, encoding: str, folder: Path | None = None) -> Iterator[Path]:
    """``path`` itself when UTF-8, else a temporary UTF-8 copy (decoded with ``encoding``, gzip undone;
    bytes the codec cannot decode become U+FFFD, so nothing is dropped) in ``folder`` (the workspace's private
    spill folder, where a killed ingest's copy is found and removed, :mod:`arenavotes.leftovers`)."""
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        yield path
        return
    with private_tempdir(folder, "utf8") as tmp:
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
