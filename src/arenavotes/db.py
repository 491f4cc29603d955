"""The only place that opens DuckDB connections.

Stages receive a connection and never open one; queries for users (``arenavotes sql``) use a
read-only connection so that a typo cannot change the workspace.

>>> con = connect(None)          # an in-memory database with the canonical tables
>>> con.sql("select count(*) from battles").fetchall()
[(0,)]
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl
import pyarrow as pa

from arenavotes.errors import UserError
from arenavotes.leftovers import spill_folder_of, sweep
from arenavotes.schema import (
    ALL_DDL,
    BATTLES_DDL,
    GATE_VERDICTS_DDL,
    PROMPT_ROWS,
    SCRUBBED_DDL,
    VERDICT_KEY_PARTS_SQL,
    VIEWS_SQL,
)

T = TypeVar("T")


def sql_str(text: str) -> str:
    """``text`` as a SQL string literal, for the few places a value cannot be a parameter (a DuckDB setting, a
    type such as an ENUM's labels, a file list in a view).

    >>> sql_str("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier (any character allowed, ``"`` doubled), for a column or table name
    that comes from a file.

    >>> sql_ident('a"b')
    '"a""b"'
    """
    return '"' + name.replace('"', '""') + '"'


def connect(path: Path | None, read_only: bool = False, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the workspace database at ``path`` (``None``: in memory) with the canonical schema, DuckDB capped
    at ``memory_limit`` (default :data:`MEMORY_LIMIT`; ``ARENAVOTES_MEMORY_LIMIT`` overrides both).

    The database file (and its write-ahead log) is made private (mode 0600), like the pseudonym key: it
    holds texts before release and voter pseudonyms. Opened for writing, what killed commands left beside it
    (spill files, work folders, Ray shards: texts before scrub) is removed (:mod:`arenavotes.leftovers`).
    """
    if path is not None and read_only and not path.exists():
        raise UserError(f"{path}: no workspace database yet", hint="run 'arenavotes ingest' first")
    try:
        con = duckdb.connect(":memory:" if path is None else str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise UserError(
            f"{path}: cannot open the workspace database: {exc}", hint="is another arenavotes command using it?"
        ) from None
    if path is not None and not read_only:
        make_private(path)
        # with the write lock held, spill files and work folders named after other processes are dead ones'
        sweep(path)
    con.execute("SET TimeZone = 'UTC'")
    try:
        limit_memory(con, path, memory_limit)
    except UserError:
        con.close()
        raise
    if path is not None and _schema_is_current(con):
        return con
    if not read_only:
        ensure_schema(con)
    elif path is not None and (
        _old_columns(con)
        or _old_labelers(con)
        or _missing_added(con)
        or _string_keyed_verdicts(con)
        or _keyed_tables(con)
    ):  # older workspace: rename, then read
        con.close()
        connect(path).close()
        return connect(path, read_only=True, memory_limit=memory_limit)
    return con


#: DuckDB's share of memory unless ARENAVOTES_MEMORY_LIMIT says otherwise (a DuckDB size: '1GB', '500MB')
MEMORY_LIMIT = "1GB"
#: DuckDB's share in ingest, scrub, dedup, categorize, rate and release, which stream through the workspace in batches of their
#: own: what they hold sits beside DuckDB's, and DuckDB keeps the pages they read cached up to its cap whatever
#: the cap is, so a 1 GB cap was 1 GB of each one's peak (dedup of 1M conversations: 2.68 GB PSS at 1 GB, 2.01
#: GB at 400 MB; their sorts and joins spill; release of 1M: 1.67 GB at 1 GB, 1.59 GB at 400 MB, its writes
#: 1.08 GB instead of 1.67). Release could not use it while the gate's verdict table had a key index, which
#: DuckDB holds whole (out of memory at 512 MB with 5.5M verdicts); it has none now (see pii.verdicts).
#: Categorize of 100k conversations with the learned labeler: 1.79 GB at 1 GB, 1.18 GB at 400 MB. Ingest too,
#: since battles lost their key index (which filled the cap inside an ingest's transaction): 5M battles 0.93 GB
#: PSS at 400 MB, 1.67 GB at 1 GB; 100k conversations 1.07 GB and 44 s at 400 MB, 1.47 GB and 40 s at 1 GB.
STREAM_MEMORY_LIMIT = "400MB"
#: The cap the last connection of this process was given: what an out-of-memory message reports.
applied_limit = MEMORY_LIMIT
#: Each open connection's cap (by ``id``), which :func:`release_cache` sets back.
_LIMITS: dict[int, str] = {}


def limit_memory(con: duckdb.DuckDBPyConnection, path: Path | None, limit: str | None = None) -> None:
    """Cap DuckDB's memory (``limit``, default :data:`MEMORY_LIMIT`; ``ARENAVOTES_MEMORY_LIMIT`` overrides it)
    and give it a spill folder beside the workspace database, so that big joins, sorts and inserts spill to
    disk instead of growing without bound (DuckDB's own default is 80% of the machine). One thread per core."""
    global applied_limit
    limit = os.environ.get("ARENAVOTES_MEMORY_LIMIT") or limit or MEMORY_LIMIT
    applied_limit = _LIMITS[id(con)] = limit
    try:
        con.execute(f"SET memory_limit = '{limit}'")
    except duckdb.Error as exc:
        raise UserError(
            f"ARENAVOTES_MEMORY_LIMIT={limit!r}: not a memory size ({str(exc).splitlines()[0]})",
            hint="use a size such as 2GB or 800MB",
        ) from None
    if path is not None:
        # spilled blocks hold texts before scrubbing: the folder is private like the database file
        spill = spill_folder_of(path)
        try:
            spill.mkdir(mode=0o700, exist_ok=True)
            os.chmod(spill, 0o700)
        except OSError:
            return  # a read-only place: DuckDB then keeps everything in memory
        con.execute(f"SET temp_directory = {sql_str(str(spill))}")


def spill_folder(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The private spill folder :func:`limit_memory` gave ``con`` (beside the workspace database), where a
    stage's own temporary files belong too; None for a connection without a private one: the caller's default
    (``TMPDIR``) then. What is checked is the property that matters, the folder's mode (0700, as
    :func:`limit_memory` makes it): DuckDB's own default for an in-memory connection is ``.tmp`` in the working
    directory, which may exist and be readable by others.

    >>> spill_folder(duckdb.connect()) is None
    True
    """
    (folder,) = con.execute("SELECT current_setting('temp_directory')").fetchall()[0]
    if not folder:
        return None
    try:
        mode = os.stat(folder).st_mode
    except OSError:
        return None
    return Path(folder) if stat.S_ISDIR(mode) and not mode & 0o077 else None


def make_private(path: Path) -> None:
    """Mode 0600 for the database file and its write-ahead log (when they exist and are ours)."""
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            if p.exists() and p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)
        except OSError:
            pass


def compact(path: Path) -> None:
    """Rewrite the database file so that no freed page keeps old values.

    DuckDB marks the blocks of replaced values free but does not erase them: after ``scrub`` replaced the
    raw texts, they were still readable in the file's free pages. A copy into a new file
    (``COPY FROM DATABASE``) holds only live data; it replaces the old file atomically (``os.replace``),
    so a crash leaves either the old or the new file, never half of one.
    """
    tmp = path.with_name(path.name + ".compact")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(":memory:")
    try:
        # uncapped, the copy of a 4.8 GB workspace took 9.7 GB; at 1 GB a 4.9 GB one took 1.19 GB of RSS and at
        # 400 MB 0.59 GB, in the same 25 s (4 December): the copy streams table by table
        limit_memory(con, path, STREAM_MEMORY_LIMIT)
        con.execute("ATTACH ? AS old (READ_ONLY)", [str(path)])
        con.execute("ATTACH ? AS new", [str(tmp)])
        con.execute("COPY FROM DATABASE old TO new")
        con.execute("DETACH new")
        con.execute("DETACH old")
    finally:
        con.close()
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def scratch() -> duckdb.DuckDBPyConnection:
    """An empty in-memory database (no canonical tables), e.g. to attach a release's parquet files."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


def has_temp_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the temporary table ``name`` exists on ``con`` (state a stage carries from batch to batch).

    >>> con = duckdb.connect()
    >>> has_temp_table(con, "_x"), con.execute("CREATE TEMP TABLE _x (a INT)") and has_temp_table(con, "_x")
    (False, True)
    """
    return bool(
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [name]).fetchall()[0][0]
    )


def register_arrow(con: duckdb.DuckDBPyConnection, name: str, data: object) -> None:
    """``data`` (an Arrow table or anything DuckDB reads as one) as the temporary table ``name``, until
    :func:`unregister_arrow`.

    Not ``con.register``: inside a transaction DuckDB keeps a registered Arrow object alive until COMMIT even
    after ``unregister``, so a file ingested in batches held every batch's records at once (9 GB at 1M
    conversations). A temporary table is DuckDB's own memory, capped by its memory limit and spilled beyond it.

    >>> import pyarrow as pa
    >>> con = duckdb.connect()
    >>> register_arrow(con, "_x", pa.table({"a": [1, 2]}))
    >>> con.sql("SELECT sum(a) FROM _x").fetchall()
    [(3,)]
    >>> unregister_arrow(con, "_x")
    """
    if not name.isidentifier():
        raise ValueError(f"not a table name: {name!r}")
    _arrow_source = data  # DuckDB reads it by this name (a replacement scan of the caller's locals)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _arrow_source")


def arrow_sql(
    con: duckdb.DuckDBPyConnection, sql: str, data: object, params: Sequence[object] = ()
) -> duckdb.DuckDBPyRelation:
    """The query ``sql`` (one SELECT) with ``data`` (an Arrow table, or anything DuckDB scans as one) readable as
    ``_arrow`` where it lies: no copy, and nothing of it left in DuckDB once the result is read.

    For a statement that reads a batch once, inside a stage's long transaction. A temporary table
    (:func:`register_arrow`) that is dropped there is kept, and spilled, until the transaction ends, for a
    rollback to restore it: categorize's batches left 2 GB of spill files at 1M conversations, and the tables'
    bookkeeping grew the memory outside DuckDB's cap batch by batch. ``con.register`` would keep the Arrow object
    itself alive until COMMIT.

    >>> import pyarrow as pa
    >>> arrow_sql(duckdb.connect(), "SELECT sum(a) FROM _arrow WHERE a > ?", pa.table({"a": [1, 2, 3]}), [1]).fetchall()
    [(5,)]
    """
    _arrow = data  # DuckDB finds it by this name (a replacement scan of this frame's locals), while binding
    return con.sql(sql, params=list(params) or None)


def arrow_execute(con: duckdb.DuckDBPyConnection, sql: str, data: object, params: Sequence[object] = ()) -> None:
    """Run the statement ``sql`` (an INSERT, say) with ``data`` readable as ``_arrow``, as :func:`arrow_sql`.

    >>> import pyarrow as pa
    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE t (a INTEGER)")
    >>> arrow_execute(con, "INSERT INTO t SELECT a FROM _arrow", pa.table({"a": [1, 2]}))
    >>> con.sql("SELECT count(*) FROM t").fetchall()
    [(2,)]
    """
    _arrow = data  # (see arrow_sql)
    con.execute(sql, list(params) or None)


def temp_table_from_arrow(con: duckdb.DuckDBPyConnection, name: str, data: object, columns: str = "*") -> None:
    """``CREATE TEMP TABLE name AS SELECT columns FROM data``: one copy of ``data`` into DuckDB, where
    :func:`register_arrow` followed by a copy would make two."""
    if not name.isidentifier():
        raise ValueError(f"not a table name: {name!r}")
    _arrow_source = data  # DuckDB reads it by this name (a replacement scan of the caller's locals)
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT {columns} FROM _arrow_source")


def unregister_arrow(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the temporary table of :func:`register_arrow`."""
    if not name.isidentifier():
        raise ValueError(f"not a table name: {name!r}")
    con.execute(f"DROP TABLE IF EXISTS temp.{name}")


#: what DuckDB can evict when its cap is lowered: cached pages of the database file and temporary tables
#: (spilled); anything else it holds -- an ART index of a key it checked, say -- stays pinned
_EVICTABLE = ("BASE_TABLE", "IN_MEMORY_TABLE", "EXTERNAL_FILE_CACHE")


def release_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Give back the memory of the pages DuckDB keeps cached (it holds what a scan read, up to its cap), before
    a step that holds much in Python: the cap is lowered to a few MB above what DuckDB cannot evict, which
    evicts the rest (temporary tables go to the spill folder and stay readable), and set back. Reading 1M
    prompts left 0.52 GB cached at a 400 MB cap; after this, 0.10 GB. Arrow's memory pool gives back what it
    kept of the exported batches too.

    The floor leaves room for pinned memory (an ART index loaded by an insert into a keyed table): a cap
    DuckDB cannot reach fails, and inside a transaction that failure would abort it.

    >>> con = connect(None)
    >>> release_cache(con)
    >>> con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] in ("953.6 MiB", "1.0 GiB")
    True
    """
    limit = _LIMITS.get(id(con), applied_limit)
    (pinned,) = con.execute(
        "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag NOT IN (SELECT unnest(?))",
        [list(_EVICTABLE)],
    ).fetchall()[0]
    con.execute(f"SET memory_limit = '{16_000_000 + 2 * int(pinned)}B'")
    con.execute(f"SET memory_limit = '{limit}'")
    # the Arrow batches DuckDB exported were freed into Arrow's pool, which keeps them (5M battles: 0.1-0.4 GB)
    pa.default_memory_pool().release_unused()


def create_voter_codes(
    con: duckdb.DuckDBPyConnection, table: str, where: str = "TRUE", params: Sequence[object] = ()
) -> None:
    """Temporary ``table`` (voter_id, code, h): the distinct voter ids of the battles ``where`` selects (alias
    ``b``), numbered from 0 in id order as UInt32, and DuckDB's 64-bit ``hash`` of each id. Stages that only need
    to know which votes share a voter, and which voter's id sorts first, join it (:func:`voter_code_join`)
    instead of holding millions of id strings (rate, dedup).

    >>> con = connect(None)
    >>> _ = con.execute("INSERT INTO battles (battle_id, source, model_a, model_b, winner, voter_id) "
    ...                 "VALUES ('1', 's', 'x', 'y', 'tie', 'w'), ('2', 's', 'x', 'y', 'tie', 'v')")
    >>> create_voter_codes(con, "codes")
    >>> con.sql("SELECT voter_id, code FROM codes ORDER BY code").fetchall()
    [('v', 0), ('w', 1)]
    >>> con.sql(f"SELECT b.battle_id, v.code FROM battles b {voter_code_join(con, 'codes')} ORDER BY 1").fetchall()
    [('1', 1), ('2', 0)]
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT voter_id, "
        "(row_number() OVER (ORDER BY voter_id) - 1)::UINTEGER AS code, hash(voter_id) AS h "
        f"FROM (SELECT DISTINCT voter_id FROM battles b WHERE {where} AND voter_id IS NOT NULL)",
        list(params) or None,
    )


def voter_code_join(con: duckdb.DuckDBPyConnection, table: str, alias: str = "v", battles: str = "b") -> str:
    """``LEFT JOIN`` of the codes ``table`` of :func:`create_voter_codes` (as ``alias``) to the battles (as
    ``battles``), on the ids' 64-bit hashes when no two ids of the table share one: the join's hash table then
    holds 12 bytes a voter instead of the id strings (1.5M voters: ~0.3 GB of DuckDB's memory at 5M battles).
    Two ids with one hash (about 1 in 10^7 at 1.5M voters) fall back to the join on the ids themselves, so a
    collision can never merge two voters (``tests/test_dedup.py``)."""
    (unique,) = con.execute(f"SELECT count(DISTINCT h) = count(*) FROM {table}").fetchall()[0]
    if unique:
        return (
            f"LEFT JOIN (SELECT h, code FROM {table}) {alias} "
            f"ON {battles}.voter_id IS NOT NULL AND {alias}.h = hash({battles}.voter_id) "
        )
    return f"LEFT JOIN {table} {alias} ON {alias}.voter_id = {battles}.voter_id "


def releasing(con: duckdb.DuckDBPyConnection, batches: Iterator[T]) -> Iterator[T]:
    """``batches`` as they come, then :func:`release_cache` once they are all read."""
    yield from batches
    release_cache(con)


_OPEN_TRANSACTIONS: dict[int, int] = {}


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All writes inside the block land together or not at all (rolled back on any exception).

    Blocks nest: an inner block joins the outer one, so a stage can put a library call that writes in a
    transaction of its own inside the stage's transaction (load -> compute -> write -> record the run).
    """
    key = id(con)
    if _OPEN_TRANSACTIONS.get(key):
        _OPEN_TRANSACTIONS[key] += 1
        try:
            yield
        finally:
            _OPEN_TRANSACTIONS[key] -= 1
        return
    con.execute("BEGIN TRANSACTION")
    _OPEN_TRANSACTIONS[key] = 1
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
    finally:
        _OPEN_TRANSACTIONS.pop(key, None)


#: DuckDB's optimizer that swaps a hash join's sides by their estimated rows (see :func:`joins_as_written`)
BUILD_SIDE_OPTIMIZER = "build_side_probe_side"


@contextmanager
def joins_as_written(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Queries planned inside the block build each hash join from the side the query writes on its right (the
    joined table of ``a LEFT JOIN b``, the subquery of ``x IN (SELECT ...)``), whatever DuckDB estimates.

    Why: DuckDB builds a join's hash table from the side it estimates smaller, and a filtered query is
    estimated at a fraction of its rows. Scrub's read of a run's texts joined with the stored verdicts was
    estimated at 17,596 rows for 439,924 texts (100k conversations), so DuckDB hashed every text before the
    first came out: the "stream" held all the texts, and a release of 1M conversations with long prompts ran
    out of its memory cap the same way. A stream that joins a small fixed-width table into long texts must
    probe with the texts. The setting is DuckDB's (global to the database), so it holds only while a query is
    planned: start the query (``to_arrow_reader``, ``execute``) inside the block and read it outside. It is
    set and restored through a cursor of its own.

    >>> con = connect(None)
    >>> with joins_as_written(con):
    ...     reader = con.sql("SELECT 1 AS x").to_arrow_reader(10)
    >>> reader.read_all().num_rows, con.execute("SELECT current_setting('disabled_optimizers')").fetchall()
    (1, [('',)])
    """
    setter = con.cursor()  # not ``con``: a reader started in the block holds its connection's result open
    try:
        ((before,),) = setter.execute("SELECT current_setting('disabled_optimizers')").fetchall()
        names = sorted({n.strip() for n in str(before).split(",") if n.strip()} | {BUILD_SIDE_OPTIMIZER})
        setter.execute(f"SET disabled_optimizers = {sql_str(', '.join(names))}")
        try:
            yield
        finally:
            setter.execute(f"SET disabled_optimizers = {sql_str(str(before))}")
    finally:
        setter.close()


def id_batches(
    con: duckdb.DuckDBPyConnection,
    ids_sql: str,
    params: Sequence[object] = (),
    size: int = 20_000,
    chars: int | None = None,
) -> list[tuple[str, str]]:
    """(first, last) id of consecutive batches of ``size`` distinct ids from ``ids_sql`` (a query of one
    column, ``id``), in id order. A stage reads ``... WHERE battle_id BETWEEN first AND last`` per batch: every
    battle's rows fall into exactly one batch, so a batch never splits a battle's turns, and only one batch of
    text is held at a time.

    ``chars``: ``ids_sql`` also gives each row a weight ``w`` (its text's length), and a batch closes early
    once its ids' weights reach ``chars``, so a batch holds at most ``chars`` characters plus one battle's,
    however long the texts are (20,000 battles of long answers can be gigabytes).

    >>> con = duckdb.connect()
    >>> id_batches(con, "SELECT unnest(['a', 'b', 'c', 'b']) AS id", size=2)
    [('a', 'b'), ('c', 'c')]
    >>> id_batches(con, "SELECT unnest(['a', 'b', 'c', 'd']) AS id, unnest([5, 1, 1, 1]) AS w", size=3, chars=4)
    [('a', 'a'), ('b', 'c'), ('d', 'd')]
    """
    if chars is None:  # no weights read, no running sum
        ids, c = f"SELECT DISTINCT id FROM ({ids_sql})", "0"
    else:
        ids = f"SELECT id, sum(w)::BIGINT AS w FROM ({ids_sql}) GROUP BY id"
        c = f"coalesce(sum(w) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) // {int(chars)}"
    return [
        (lo, hi)
        for lo, hi in con.sql(
            f"""SELECT min(id), max(id) FROM (
                    SELECT id, (row_number() OVER (ORDER BY id) - 1) // {int(size)} AS k, {c} AS c
                    FROM ({ids}))
                GROUP BY k, c ORDER BY k, c""",
            params=list(params) or None,
        ).fetchall()
    ]


def rowid_windows(
    con: duckdb.DuckDBPyConnection, table: str, batches: Sequence[tuple[str, str]]
) -> list[tuple[int, int]]:
    """For each (first, last) battle-id batch of :func:`id_batches`, the first and last ``rowid`` of ``table``'s
    rows with a battle id in it ((0, -1) for none), from one pass over the table's ids.

    Why: DuckDB keeps only an 8-byte prefix of a string column's min and max per row group, and battle ids share
    longer prefixes (``synth:0000...``, ``lmarena-140k:...``), so ``battle_id BETWEEN first AND last`` cannot skip
    a row group: every batch read its table's whole id column, and a stage of B batches read it B times (at 1M
    conversations, ~220 batches). A ``rowid`` range does skip row groups. A batch reads
    ``rowid BETWEEN lo AND hi AND battle_id BETWEEN first AND last``: the same rows whatever the table's order
    (the window of a table not in id order is only wider), and only the row groups the window touches when
    rows lie in id order, as ingest writes them.

    Rowids move only when a checkpoint compacts deleted rows: compute the windows inside the transaction that
    reads them, with no commit in between (categorize reads every batch of a source in one transaction).

    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a'), ('a'), ('b'), ('d')) v(battle_id)")
    >>> rowid_windows(con, "t", [("a", "a"), ("b", "c"), ("c", "c"), ("d", "z")])
    [(0, 1), (2, 2), (0, -1), (3, 3)]
    """
    if not batches:
        return []
    got = {
        k: (int(lo), int(hi))
        for k, lo, hi in con.execute(
            f"""
            WITH b AS (SELECT unnest($1) AS k, unnest($2) AS first, unnest($3) AS last)
            SELECT b.k, min(t.rowid), max(t.rowid)
            FROM (SELECT rowid, battle_id FROM {table}) t ASOF JOIN b ON t.battle_id >= b.first
            WHERE t.battle_id <= b.last GROUP BY b.k""",
            [list(range(len(batches))), [f for f, _ in batches], [last for _, last in batches]],
        ).fetchall()
    }
    return [got.get(k, (0, -1)) for k in range(len(batches))]


#: a rowid window that holds every row of a table (a batch read by its id range alone)
EVERY_ROW: tuple[int, int] = (0, 1 << 62)


def rowid_window_stream(
    con: duckdb.DuckDBPyConnection, table: str, batches: Sequence[tuple[str, str]]
) -> Iterator[tuple[int, int]]:
    """:func:`rowid_windows` of ``batches``, one batch at a time, for a reader whose caller may commit between
    batches: before each window is given out, ``table``'s last rowid is compared with the one the windows were
    computed at, and if it moved (a checkpoint compacted deleted rows: the rows after them move down) the
    windows of the batches left are computed again. The last live row moves whenever any live row does, and
    ``max(rowid)`` costs no read of the table's columns (4.4M rows: ~10 ms).

    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a'), ('b'), ('c')) v(battle_id)")
    >>> list(rowid_window_stream(con, "t", [("a", "a"), ("b", "c")]))
    [(0, 0), (1, 2)]
    """

    def last() -> object:
        return con.execute(f"SELECT max(rowid) FROM {table}").fetchall()[0][0]

    windows, mark = rowid_windows(con, table, batches), last()
    for i in range(len(batches)):
        now = last()
        if now != mark:
            windows[i:], mark = rowid_windows(con, table, batches[i:]), now
        yield windows[i]


def weights_sql(messages: str, battles: str = "true") -> str:
    """The (id, w) query of :func:`id_batches` for texts: each battle's characters in ``messages`` (``FROM
    <table> c WHERE ...``, a table of battle_id and content aliased ``c``), summed per battle before the
    battles are kept where ``battles`` (a condition on ``battle_id``) holds.

    Summed first so that no text enters a join: with the battles of a source joined to the answers, DuckDB
    built its hash table from the answers, texts and all, and took their lengths after the join (2M
    conversations: out of memory at 400 MB; summed first, 3 s within 60 MB).

    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE m AS SELECT * FROM (VALUES ('a', 'hi'), ('a', 'yo!'), ('b', NULL)) t(battle_id, content)")
    >>> con.sql(weights_sql("FROM m c", "battle_id <> 'c'") + " ORDER BY id").fetchall()
    [('a', 5), ('b', 0)]
    """
    return (
        f"SELECT battle_id AS id, w FROM (SELECT c.battle_id, sum(coalesce(length(c.content), 0))::BIGINT AS w "
        f"{messages} GROUP BY c.battle_id) WHERE {battles}"
    )


#: battles whose texts are read together (each battle's turns fall into one batch; only a batch is held)
TEXT_BATCH = 20_000
#: and at most about this many characters of text in a batch (20,000 arena prompts are ~10M characters)
TEXT_CHARS = 16_000_000


def prompt_batches(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str] | None = None, size: int | None = None
) -> Iterator[pl.DataFrame]:
    """(battle_id, text) of every battle with user turns (of ``sources``; default all), the turns joined with
    newlines in turn order, ``size`` battles (and about :data:`TEXT_CHARS` characters at most) at a time.

    Not one ``string_agg(... ORDER BY turn)`` over the table: DuckDB's ordered aggregates cannot spill, and
    over a million conversations' prompts that ran out of memory. Each batch reads ``conversations`` through its
    rowid window (:func:`rowid_window_stream`): by id range alone every batch read the table's whole id column
    (at 1M long prompts, 3.7% of dedup's samples against 1.3% at 100k).
    """
    kept, params = "true", []
    if sources is not None:
        kept, params = (
            "battle_id IN (SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?)))",
            [list(sources)],
        )
    ids = weights_sql("FROM prompts c", kept)
    batches = id_batches(con, ids, params, size or TEXT_BATCH, TEXT_CHARS)
    for (lo, hi), (rlo, rhi) in zip(batches, rowid_window_stream(con, "conversations", batches), strict=True):
        turns = frame(
            con,
            f"SELECT battle_id, turn, content FROM conversations WHERE rowid BETWEEN ? AND ? "
            f"AND battle_id BETWEEN ? AND ? AND {PROMPT_ROWS} AND {kept} ORDER BY battle_id, turn",
            [rlo, rhi, lo, hi, *params],
        )
        yield turns.group_by("battle_id", maintain_order=True).agg(text=pl.col("content").str.join(chr(10)))


def _large(t: pa.DataType) -> pa.DataType:
    if pa.types.is_string(t) or pa.types.is_string_view(t):
        return pa.large_string()
    if pa.types.is_binary(t) or pa.types.is_binary_view(t):
        return pa.large_binary()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.large_list(pa.field("item", _large(t.value_type)))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _large(f.type)) for f in t])
    return t


def large_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with the Arrow types Polars writes (64-bit offsets for strings, binaries and lists, no
    views): a release's files and manifest schemas do not depend on whether a config was streamed or held,
    and a cast to it copies a frame's strings into buffers of their own (:func:`own_buffers`).

    >>> large_schema(pa.schema([("s", pa.string_view()), ("l", pa.list_(pa.string())), ("n", pa.int8())]))
    s: large_string
    l: large_list<item: large_string>
      child 0, item: large_string
    n: int8
    """
    return pa.schema([pa.field(f.name, _large(f.type)) for f in schema])


def own_buffers(data: pl.DataFrame) -> pl.DataFrame:
    """``data`` with its string columns copied into buffers of their own, for a frame kept while more batches
    are read. A Polars string column cut out of a batch (a filter, a select, a group key) points into the
    batch's buffers and keeps all of them alive: dedup kept (battle_id, key) of each 20,000-prompt batch
    that way, 54 MB of columns that held 0.44 GB at a million conversations.

    >>> big = pl.DataFrame({"id": [f"battle-{i}" for i in range(3)], "text": ["x" * 100] * 3})
    >>> own_buffers(big.filter(pl.col("id") != "battle-1").select("id"))["id"].to_list()
    ['battle-0', 'battle-2']
    """
    table = data.to_arrow()
    out = pl.from_arrow(table.cast(large_schema(table.schema)))
    assert isinstance(out, pl.DataFrame)
    return out


#: Rows converted from Arrow at a time by :func:`frame` with ``categorical`` columns (1M rows of strings were
#: 0.4 GB of transient copies at 5M battles).
FRAME_BATCH_ROWS = 200_000


def frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = (), categorical: Sequence[str] = ()
) -> pl.DataFrame:
    """Run ``sql`` and return a Polars frame (through Arrow, no row loop).

    The ``categorical`` string columns (those of them the result has) become Polars Categoricals, batch by
    batch as the rows arrive: 4 bytes a row instead of the string (5M voter ids: 20 MB instead of 155 MB),
    and the strings of one batch at most held at a time.

    >>> frame(connect(None), "SELECT 'x' AS m, 1 AS n UNION ALL SELECT 'x', 2", categorical=["m"]).dtypes
    [Categorical, Int32]
    """
    if not categorical:
        out = pl.from_arrow(con.sql(sql, params=list(params) or None).to_arrow_table())
        assert isinstance(out, pl.DataFrame)
        return out
    parts: list[pl.DataFrame] = []
    rel = con.sql(sql, params=list(params) or None)
    wanted = [c for c in rel.columns if c in categorical]
    for batch in rel.to_arrow_reader(FRAME_BATCH_ROWS):
        # every column DuckDB exports shares the batch's release: a column kept as it is (a timestamp) would
        # keep the whole batch, strings included, alive until the end (5M battles: +1.3 GB); the columns that
        # are not cast get buffers of their own
        names = batch.schema.names
        own = [
            col if name in wanted else pa.concat_arrays([col]) for name, col in zip(names, batch.columns, strict=True)
        ]
        batch = pa.RecordBatch.from_arrays(own, schema=batch.schema)
        part = pl.from_arrow(batch)
        assert isinstance(part, pl.DataFrame)
        parts.append(  # (a DuckDB ENUM arrives as a Categorical already)
            part.with_columns(
                pl.col(c).cast(pl.String).cast(pl.Categorical) for c in wanted if part[c].dtype != pl.Categorical
            )
        )
    if parts:
        return _rechunked(parts)
    empty = pl.from_arrow(rel.limit(0).to_arrow_table())
    assert isinstance(empty, pl.DataFrame)
    return empty.with_columns(pl.col(c).cast(pl.String).cast(pl.Categorical) for c in wanted)


def _rechunked(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """``pl.concat(parts, rechunk=True)``, a column at a time, each column's parts let go once it is joined: the
    parts and the joined frame at once were twice the frame (5M battles: +0.3 GB at the load's peak).

    >>> _rechunked([pl.DataFrame({"a": [1], "b": ["x"]}), pl.DataFrame({"a": [2], "b": ["y"]})]).rows()
    [(1, 'x'), (2, 'y')]
    """
    columns = []
    for name in parts[0].columns:
        columns.append(pl.concat([p.get_column(name) for p in parts], rechunk=True))
        parts[:] = [p.drop(name) for p in parts]
    return pl.DataFrame(columns)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical tables and views if they do not exist yet; refuse a workspace whose tables
    lack columns of this version (made by an older arenavotes) instead of failing later mid-stage."""
    existing = {
        t
        for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
        ).fetchall()
    }
    _rename_old_columns(con)
    _rename_old_labelers(con)
    _add_new_columns(con)
    _rekey_gate_verdicts(con)
    _unkey_tables(con)
    for ddl in ALL_DDL:
        con.execute(ddl)
    con.execute(VIEWS_SQL)
    if existing:
        check_columns(con)
    con.execute("DELETE FROM workspace_schema")
    con.execute("INSERT INTO workspace_schema VALUES (?)", [schema_fingerprint()])


#: Bump when a migration of :func:`ensure_schema` is added or changed that alters no DDL and none of the tables
#: of renames and additions below: the fingerprint would not see it otherwise, and workspaces checked by the
#: code before would skip it.
MIGRATIONS_VERSION = 1


@functools.cache
def schema_fingerprint() -> str:
    """A digest of the schema this version makes and of the migrations it knows (and of the version itself).

    :func:`ensure_schema` stores it in the workspace's ``workspace_schema`` table once the workspace has been
    brought up to date and checked, so that the next :func:`connect` by the same version skips the migrations
    and the column check (~80 ms of every command, which matters to a whole-process ``rate`` of ~2 s). Another
    version (another digest) checks the workspace again, so an upgrade still migrates and an older workspace is
    still refused with a clear message.

    >>> len(schema_fingerprint()), schema_fingerprint() == schema_fingerprint()
    (64, True)
    """
    import hashlib
    import json

    from arenavotes import __version__
    from arenavotes.vocab import OLD_LABELER_PREFIXES

    parts = [
        __version__,
        MIGRATIONS_VERSION,
        ALL_DDL,
        VIEWS_SQL,
        RENAMED_COLUMNS,
        ADDED_COLUMNS,
        LABELER_TABLES,
        OLD_LABELER_PREFIXES,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _schema_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the workspace was last checked by this version (see :func:`schema_fingerprint`)."""
    try:
        rows = con.execute("SELECT fingerprint FROM workspace_schema").fetchall()
    except duckdb.CatalogException:  # a new or an older workspace
        return False
    return rows == [(schema_fingerprint(),)]


#: Columns renamed since earlier versions: (table, old name, new name); a workspace with the old name is
#: renamed in place when opened, so older workspaces keep working.
RENAMED_COLUMNS = (("battles", "judge_id", "voter_id"),)


def _old_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    have = {
        t
        for (t,) in con.execute(
            "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'main'"
        ).fetchall()
    }
    return [(t, old, new) for t, old, new in RENAMED_COLUMNS if f"{t}.{old}" in have and f"{t}.{new}" not in have]


def _rename_old_columns(con: duckdb.DuckDBPyConnection) -> None:
    for table, old, new in _old_columns(con):
        con.execute(f'ALTER TABLE {table} RENAME COLUMN "{old}" TO "{new}"')


#: Columns added since earlier versions, at the end of their table: (table, column, type, default); a
#: workspace without one gets it when opened, filled with the default (every older battle was text).
ADDED_COLUMNS = (
    ("battles", "arena", "VARCHAR", "'text'"),
    ("battles", "citations_a", "INTEGER", "NULL"),
    ("battles", "citations_b", "INTEGER", "NULL"),
)


def _missing_added(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
    have = {
        (t, c)
        for t, c in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
        ).fetchall()
    }
    tables = {t for t, _ in have}
    return [a for a in ADDED_COLUMNS if a[0] in tables and (a[0], a[1]) not in have]


def _add_new_columns(con: duckdb.DuckDBPyConnection) -> None:
    for table, column, type_, default in _missing_added(con):
        con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {type_} DEFAULT {default}")
        if default != "NULL":
            con.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL")


#: Tables with a ``labeler`` column (see :data:`arenavotes.vocab.OLD_LABELER_PREFIXES`).
LABELER_TABLES = ("prompt_labels", "leaderboards", "leaderboard_stats", "style_coefficients")


def _old_labelers(con: duckdb.DuckDBPyConnection) -> list[str]:
    from arenavotes.vocab import OLD_LABELER_PREFIXES

    tables = {
        t
        for (t,) in con.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'main' AND column_name = 'labeler'"
        ).fetchall()
    }
    like = " OR ".join(f"starts_with(labeler, '{old}')" for old, _ in OLD_LABELER_PREFIXES)
    return [
        t
        for t in LABELER_TABLES
        if t in tables and con.execute(f"SELECT EXISTS (SELECT 1 FROM {t} WHERE {like})").fetchall()[0][0]
    ]


def _rename_old_labelers(con: duckdb.DuckDBPyConnection) -> None:
    from arenavotes.vocab import OLD_LABELER_PREFIXES

    for table in _old_labelers(con):
        for old, new in OLD_LABELER_PREFIXES:
            con.execute(
                f"UPDATE {table} SET labeler = ? || substr(labeler, ?) WHERE starts_with(labeler, ?)",
                [new, len(old) + 1, old],
            )


#: Tables older workspaces kept a primary key on, and the DDL this version makes them with (no key).
#: ``battles.battle_id``: DuckDB held the key's index whole inside the transaction of an ingest, ~33 bytes a
#: battle (164 MB at 5M battles), and could not evict it. ``scrubbed.battle_id``: written a batch per
#: transaction, its index did not stay in memory, but it made the writes slower (2M battles in 20,000-battle
#: batches: 9.0 s with it, 5.5 s without; third stop of 6 December). This version keeps both unique itself:
#: ingest checks battle ids (:func:`arenavotes.ingest.ingest_file`), and scrub deletes a battle's row before it
#: inserts it again (:func:`arenavotes.pii.store.write_scrubbed`).
UNKEYED_TABLES: tuple[tuple[str, str], ...] = (("battles", BATTLES_DDL), ("scrubbed", SCRUBBED_DDL))


def _keyed_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Which of :data:`UNKEYED_TABLES` this workspace still keeps a primary key on."""
    return [
        t
        for (t,) in con.execute(
            "SELECT DISTINCT table_name FROM duckdb_constraints() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name IN (SELECT unnest(?)) AND constraint_type = 'PRIMARY KEY' "
            "ORDER BY 1",
            [[t for t, _ in UNKEYED_TABLES]],
        ).fetchall()
    ]


def _unkey_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Copy each table of :data:`UNKEYED_TABLES` an older workspace keeps a key on into one without the key, rows
    and column values unchanged."""
    ddl = dict(UNKEYED_TABLES)
    for table in _keyed_tables(con):
        with transaction(con):
            con.execute(ddl[table].replace(f"{table} (", f"{table}_unkeyed (", 1))
            con.execute(f"INSERT INTO {table}_unkeyed BY NAME SELECT * FROM {table}")
            con.execute(f"DROP TABLE {table}")
            con.execute(f"ALTER TABLE {table}_unkeyed RENAME TO {table}")


def _string_keyed_verdicts(con: duckdb.DuckDBPyConnection) -> bool:
    (n,) = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'main' "
        "AND table_name = 'gate_verdicts' AND column_name = 'key'"
    ).fetchall()[0]
    return bool(n)


def _rekey_gate_verdicts(con: duckdb.DuckDBPyConnection) -> None:
    """Older workspaces stored gate verdicts under one string key, ``'<gate version>:<ner|no-ner>:<sha256 hex>'``
    (a primary key, whose index DuckDB holds whole: 140 bytes a verdict); this version stores the gate part
    and a 16-byte digest without an index. The verdicts carry over, so nothing is analysed again."""
    if not _string_keyed_verdicts(con):
        return
    with transaction(con):
        con.execute(
            f"CREATE TABLE gate_verdicts_rekeyed AS SELECT {VERDICT_KEY_PARTS_SQL}, findings FROM gate_verdicts"
        )
        con.execute("DROP TABLE gate_verdicts")
        con.execute(GATE_VERDICTS_DDL)
        con.execute("INSERT INTO gate_verdicts SELECT * FROM gate_verdicts_rekeyed")
        con.execute("DROP TABLE gate_verdicts_rekeyed")


def check_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Every canonical table has the columns this version writes (see :data:`arenavotes.schema.ALL_DDL`)."""
    probe = duckdb.connect(":memory:")
    for ddl in ALL_DDL:
        probe.execute(ddl)
    want = probe.execute(
        "SELECT table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns GROUP BY 1"
    ).fetchall()
    probe.close()
    have = dict(
        con.execute(
            "SELECT table_name, list(column_name ORDER BY ordinal_position) FROM "
            "information_schema.columns WHERE table_schema = 'main' GROUP BY 1"
        ).fetchall()
    )
    for table, columns in want:
        if table in have and list(have[table]) != list(columns):
            missing = [c for c in columns if c not in have[table]]
            raise UserError(
                f"the workspace's table {table} was made by an older arenavotes (columns differ"
                + (f": missing {', '.join(missing)}" if missing else "")
                + ")",
                hint="create a new workspace ('arenavotes init DIR') and ingest the files again",
            )
