"""The workspace's cache of PII-gate verdicts: a text analysed once by a gate version is not analysed again.

Verdicts are a pure function of the text and :data:`arenavotes.pii.gate.GATE_VERSION` (and whether NER ran),
so they are stored under :func:`arenavotes.pii.gate.verdict_key` -- a sha256 of the text, never the text --
in the ``gate_verdicts`` table, as the key's gate part and the first 16 bytes of the hash (:func:`split_key`;
fixed-width keys and no index keep the lookups fast and DuckDB's memory free to evict at millions of
verdicts). A release build loads them, screens its texts, runs the gate on its files with the same cache,
and saves what it learned; the next release of mostly the same data costs little.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> from arenavotes.pii.gate import verdict_key
>>> cache = load(con)
>>> k, other = verdict_key("Dear Ann"), verdict_key("other")
>>> cache[k] = [Finding(5, 8, "PERSON", 0.9, "x@1")]
>>> save(con, cache)
>>> again = load(con)
>>> again.prefetch([k, other])
>>> again[k][0].entity, other in again
('PERSON', False)

A stage whose texts come from SQL reads them with their verdicts in one join (:func:`stream`) instead of a
lookup per batch: every lookup scans the whole table, so B batches of a workspace with V verdicts cost B x V.

>>> _ = con.execute("CREATE TABLE notes AS SELECT * FROM (VALUES ('Dear Ann'), ('new')) v(text)")
>>> fresh = load(con)
>>> [sorted(texts) for texts in stream(con, fresh, "SELECT text FROM notes", ner=True)]
[['Dear Ann', 'new']]
>>> k in fresh, verdict_key("new") in fresh, fresh.looked_up(verdict_key("new"))
(True, False, True)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from arenavotes.db import arrow_execute, arrow_sql, joins_as_written, sql_ident
from arenavotes.pii.gate import GATE_VERSION, cached_findings, gate_part, verdict_key
from arenavotes.pii.gate_files import Cell, KnownCells
from arenavotes.pii.patterns import Finding
from arenavotes.pool import WorkerPool
from arenavotes.schema import VERDICT_KEY_PARTS_SQL, digest_sql


class VerdictCache(dict[str, list[Finding]]):
    """A dict of verdicts that remembers which keys were added since it was loaded.

    Bound to a workspace (:func:`load`), it holds only what it was asked for, and once it holds more than
    :data:`HELD` verdicts it stores the new ones and forgets them all. Many texts are read with their stored
    verdicts in one join (:func:`stream`, :meth:`column_cells`), not looked up a batch at a time: a lookup
    (:meth:`prefetch`) scans the whole table, whatever few keys it asks for (the release gate once made one per
    20,000 cells: at 1M conversations, 375 lookups in a table of 5.3M verdicts, 180 CPU-s)."""

    def __init__(self, *args: object, con: duckdb.DuckDBPyConnection | None = None) -> None:
        super().__init__(*args)
        self.new: set[str] = set()
        self._con = con
        self._absent: set[str] = set()  # keys of the last :meth:`known` batch that have no stored verdict
        self._keys: dict[tuple[str, bool], str] = {}  # (text, ner) -> key, of the last :meth:`known` batch

    def __setitem__(self, key: str, value: list[Finding]) -> None:
        if key not in self:
            self.new.add(key)
        super().__setitem__(key, value)

    def _make_room(self) -> None:
        if self._con is not None and len(self) > HELD:
            save(self._con, self)
            self.clear()

    def looked_up(self, key: str) -> bool:
        """Whether ``key``'s verdict is held, or is known (from the last :meth:`known` batch) not to be stored."""
        return key in self or key in self._absent

    def key(self, text: str, ner: bool) -> str:
        """:func:`~arenavotes.pii.gate.verdict_key` of ``text``, from the last :meth:`known` batch if it is there
        (hashed by DuckDB in the same pass that read the texts)."""
        return self._keys.get((text, ner)) or verdict_key(text, ner)

    def known(
        self,
        keys: Sequence[str],
        findings: Sequence[str | None],
        texts: Sequence[str] = (),
        ner: bool = False,
    ) -> None:
        """Take the stored verdicts of a batch of ``keys`` as read elsewhere (``findings``: the stored JSON, or
        None where nothing is stored), so that :meth:`prefetch` asks the workspace nothing for them; ``texts``
        (aligned with ``keys``, with ``ner``): what :meth:`key` answers for them. Only the last batch's absent
        keys and texts are remembered: memory stays flat."""
        self._make_room()
        self._absent = set()
        self._keys = {(t, ner): k for t, k in zip(texts, keys, strict=False)}
        for k, v in zip(keys, findings, strict=True):
            if v is None:
                self._absent.add(k)
            elif k not in self:
                super().__setitem__(k, _parse(v))

    def prefetch(self, keys: Iterable[str]) -> None:
        """Read the stored verdicts of ``keys`` (those not held yet) from the workspace, in one query.

        A query scans the whole table (0.12-0.21 s for 5.4M verdicts, second stop of 6 December), so a stage
        with many texts reads them with their verdicts instead (:func:`stream`, :meth:`column_cells`); what is
        left to look up a batch at a time is a release's few small files."""
        if self._con is None:
            return
        self._make_room()
        todo = [k for k in dict.fromkeys(keys) if not self.looked_up(k)]
        if not todo:
            return
        rows = arrow_sql(
            self._con,
            f"SELECT q.key, g.findings::VARCHAR FROM ({_SPLIT} FROM _arrow) q "
            "JOIN gate_verdicts g ON g.gate = q.gate AND g.digest = q.digest",
            pa.table({"key": pa.array(todo, pa.string())}),
        ).fetchall()
        for k, v in rows:
            super().__setitem__(k, _parse(v))

    def column_cells(
        self,
        path: Path,
        column: str,
        *,
        ner: bool,
        batch: int = 20_000,
        cursor: duckdb.DuckDBPyConnection | None = None,
        window_bytes: int | None = None,
        window_rows: int | None = None,
    ) -> Iterator[KnownCells]:
        """The cells of the flat text column ``column`` of the Parquet file ``path`` that the release gate must
        judge, as :class:`~arenavotes.pii.gate_files.KnownCells` of at most ``batch``: each distinct non-empty
        value once, at its first row, with its stored verdict or none -- but for the values with a clean stored
        verdict, which do not come out (a clean verdict is all the gate would learn of them).

        Why: read in Python, each column's distinct values were remembered as 16-byte digests, and the stored
        verdicts were held the same way to look them up, so memory grew 16 bytes per distinct text and per
        verdict. Here DuckDB finds the first row of each distinct value (by digest) and leaves out the clean
        ones, into a temporary table of row numbers (:func:`open_sql`); then it reads the texts of those rows a
        window of file rows at a time (:func:`window_sql`, windows of at most ``window_bytes`` of the column and
        ``window_rows`` rows, :func:`row_windows`), so that what a query holds -- the window's open rows and
        their texts, sorted -- does not grow with the file. (In one query, the open rows' hash table and the
        sort of their texts grew with the file: the 2M-conversation release's 2M new battle ids ran out of the
        400 MB cap, and the gate read the column cell by cell instead, 213 s for that file against 71 s at 1M.)

        Raises (``duckdb.Error``, ``ValueError``) where DuckDB cannot read the column by its name, and the gate
        then reads it the slow way (:mod:`arenavotes.pii.gate_files`). ``cursor``: the cursor to read through
        (it stays open; the temporary table is its connection's, dropped at the end).
        """
        if self._con is None:
            raise ValueError("column_cells needs a workspace-bound cache (verdicts.load)")
        if any(c in str(path) for c in "*?[{"):  # DuckDB would read the path as a pattern of file names
            raise ValueError(f"{path}: a file name DuckDB reads as a pattern")
        with _reading(self._con, cursor, OPEN_ROWS) as cur:
            names = [
                r[0]
                for r in cur.execute(
                    "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)", [str(path)]
                ).fetchall()
            ]
            if [n for n in names if n.casefold() == column.casefold()] != [column] or any(
                n.casefold() == "file_row_number" for n in names
            ):  # renamed by DuckDB, or a column of the file's own in the place of the row numbers the query reads
                raise ValueError(f"{path}: DuckDB does not read the column {column!r} by that name alone")
            gate = gate_part(ner)
            windows = row_windows(path, column, window_bytes or WINDOW_BYTES, window_rows or WINDOW_ROWS)
            with joins_as_written(cur):
                cur.execute(f"CREATE OR REPLACE TEMP TABLE {OPEN_ROWS} AS {open_sql(column)}", [str(path), gate])
            for lo, hi in windows:
                ((n,),) = cur.execute(f"SELECT count(*) FROM {OPEN_ROWS} WHERE r BETWEEN ? AND ?", [lo, hi]).fetchall()
                if not n:
                    continue
                with joins_as_written(cur):
                    reader = cur.sql(window_sql(column), params=[str(path), gate, lo, hi]).to_arrow_reader(batch)
                for rows in reader:
                    self._make_room()
                    rs, texts = rows.column(0).to_pylist(), rows.column(1).to_pylist()
                    cells = [Cell(f"row {r + 1}", column, t) for r, t in zip(rs, texts, strict=True)]
                    yield KnownCells(cells, rows.column(2).to_pylist(), rows.column(3).to_pylist())


@contextlib.contextmanager
def _reading(
    con: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection | None, table: str
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor to read through -- ``cursor`` (it stays open), or a new one of ``con``'s, closed at the end --
    whose temporary table ``table`` is dropped at the end."""
    cur = cursor if cursor is not None else con.cursor()
    try:
        yield cur
    finally:
        try:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
        except duckdb.Error:
            pass  # a reader left open (the caller stopped early): the next user replaces the table
        finally:
            if cursor is None:
                cur.close()


#: the temporary table (of the reading cursor's connection) :meth:`VerdictCache.column_cells` keeps a column's
#: open rows in while it reads their texts
OPEN_ROWS = "_gate_open_rows"
#: a window of file rows :meth:`VerdictCache.column_cells` reads at once: at most this many bytes of the column
#: (uncompressed, by the file's metadata) ...
WINDOW_BYTES = 64 << 20
#: ... and at most this many rows
WINDOW_ROWS = 500_000


def open_sql(column: str) -> str:
    """The rows :meth:`VerdictCache.column_cells` must read (parameters ``$1`` the Parquet file, ``$2`` the gate
    part): row (0-based) and stored findings (NULL: none) of the first row of each distinct non-empty value of
    ``column``, but for the values with a clean stored verdict, in row order. Planned inside
    :func:`~arenavotes.db.joins_as_written`, the column's distinct digests are the hash table the stored verdicts
    probe; both the aggregate and the join spill."""
    c = sql_ident(column)
    return f"""
    WITH firsts AS (
        SELECT digest, min(r) AS r
        FROM (SELECT file_row_number AS r, {digest_sql(f"sha256({c})")} AS digest
              FROM read_parquet($1, file_row_number = true, hive_partitioning = false) WHERE {c} IS NOT NULL AND {c} <> '')
        GROUP BY digest)
    SELECT f.r, g.findings::VARCHAR AS findings
    FROM (SELECT digest, findings FROM gate_verdicts WHERE gate = $2) g RIGHT JOIN firsts f ON g.digest = f.digest
    WHERE g.findings IS NULL OR g.findings::VARCHAR <> '[]'
    ORDER BY f.r"""


def window_sql(column: str) -> str:
    """The texts of the open rows (:data:`OPEN_ROWS`) from file row ``$3`` to ``$4`` (parameters ``$1`` the file,
    ``$2`` the gate part): row, text, verdict key and stored findings, in row order. DuckDB skips the file's row
    groups outside the window, and the sorted table's; the window's open rows are the hash table the file's texts
    probe (planned inside :func:`~arenavotes.db.joins_as_written`)."""
    c = sql_ident(column)
    return f"""
    SELECT r, text, $2 || ':' || sha256(text) AS key, findings FROM (
        SELECT p.r, p.text, o.findings
        FROM (SELECT file_row_number AS r, {c} AS text
              FROM read_parquet($1, file_row_number = true, hive_partitioning = false)
              WHERE file_row_number BETWEEN $3 AND $4) p
        JOIN (SELECT r, findings FROM {OPEN_ROWS} WHERE r BETWEEN $3 AND $4) o ON o.r = p.r
        ORDER BY p.r)"""


def row_windows(path: Path, column: str, most_bytes: int, most_rows: int) -> list[tuple[int, int]]:
    """Consecutive ranges of the file's rows (0-based, inclusive) covering every row once, each holding at most
    ``most_bytes`` of ``column`` (uncompressed, as the file's metadata gives it per row group, spread evenly over
    the group's rows; every column's bytes where the column's own cannot be told apart) and ``most_rows`` rows,
    or a single row.

    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.parquet"
    >>> pq.write_table(pa.table({"t": ["a" * 100] * 10}), p, row_group_size=4)
    >>> row_windows(p, "t", 10**6, 3)
    [(0, 2), (3, 5), (6, 8), (9, 9)]
    """
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    leaves = [j for j in range(meta.num_columns) if meta.schema.column(j).path == column]
    sizes: list[tuple[int, int]] = []  # (rows, bytes) of each row group
    for i in range(meta.num_row_groups):
        g = meta.row_group(i)
        nbytes = g.column(leaves[0]).total_uncompressed_size if len(leaves) == 1 else g.total_byte_size
        sizes.append((g.num_rows, max(int(nbytes), 0)))
    out: list[tuple[int, int]] = []
    lo = at = 0  # the open window starts at row lo; rows before ``at`` are placed
    held = 0.0  # bytes in the open window
    for rows, nbytes in sizes:
        per_row = nbytes / rows if rows else 0.0
        end = at + rows
        while at < end:
            room_rows = most_rows - (at - lo)
            room_bytes = int((most_bytes - held) / per_row) if per_row else room_rows
            take = min(end - at, room_rows, room_bytes)
            if take <= 0 and at == lo:
                take = 1  # a single row larger than the window
            if take <= 0:
                out.append((lo, at - 1))
                lo, held = at, 0.0
                continue
            at += take
            held += take * per_row
        if at - lo >= most_rows or held >= most_bytes:
            out.append((lo, at - 1))
            lo, held = at, 0.0
    if at > lo:
        out.append((lo, at - 1))
    return out


def _parse(stored: str) -> list[Finding]:
    """A stored verdict (JSON) as findings; most texts hold nothing: their verdict is '[]'."""
    return [] if stored == "[]" else [Finding(*f) for f in json.loads(stored)]


def stream(
    con: duckdb.DuckDBPyConnection,
    cache: VerdictCache,
    texts_sql: str,
    params: Sequence[object] = (),
    *,
    ner: bool,
    batch: int = 20_000,
    cursor: duckdb.DuckDBPyConnection | None = None,
) -> Iterator[list[str]]:
    """The texts of ``texts_sql`` (a query of one column ``text``; NULL and empty texts are skipped) that the gate
    must look at -- those without a stored verdict or with findings in it, every row of them; never the texts
    whose stored verdict is clean -- in lists of at most ``batch``, each put in ``cache`` with its stored
    verdicts (or as known to have none) before it is yielded, so that :func:`screen` and
    :func:`~arenavotes.pii.gate.cached_findings` look nothing up.

    Why: a lookup (:meth:`VerdictCache.prefetch`) scans the whole ``gate_verdicts`` table, whatever few keys it
    asks for; one per batch made a scrub of N conversations cost ~N^2. Here it takes two passes over the texts
    (:func:`open_texts_sql`, :func:`stream_sql`):

    1. DuckDB finds the distinct texts' digests and joins them with the stored verdicts (the digests are the hash
       table, the verdicts stream through it; both spill), into a temporary table of the cursor's.
    2. The texts stream through a hash table of the digests left open (none stored, or doubted): in a release,
       a few thousand of millions, so the texts cost one hash each and the clean ones never reach Python. Where
       no stored verdict is clean (a first scrub), every text comes out, through a table of the doubted ones.

    Before, the texts streamed through a hash table of every stored verdict: at 2M conversations (10M verdicts)
    it outgrew the 400 MB cap and spilled with the texts (the screen's stream 38.4 s against 15.8 s uncapped), and
    every text came to Python. The texts are read through a cursor of their own, so the cache may store verdicts
    through ``con`` meanwhile; the stream reads the verdicts stored when it began (a text repeated later in the
    stream is found in the cache while it holds it, or analysed again: the same verdict). ``cursor``: the cursor
    to read through (one the caller registered the query's tables on; it stays open).
    """
    gate = gate_part(ner)
    with _reading(con, cursor, OPEN_TEXTS) as cur:
        with joins_as_written(cur):  # the texts' digests are the hash table and the verdicts probe it
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {OPEN_TEXTS} AS {open_texts_sql(texts_sql)}", [*params, gate])
        ((open_, clean),) = cur.execute(
            f"SELECT count(*) FILTER (WHERE NOT clean), count(*) FILTER (WHERE clean) FROM {OPEN_TEXTS}"
        ).fetchall()
        if open_:
            with joins_as_written(cur):  # the open digests are the hash table and the texts probe it
                reader = cur.sql(stream_sql(texts_sql, every=not clean), params=[gate, *params]).to_arrow_reader(batch)
            for rows in reader:
                texts = rows.column(0).to_pylist()
                cache.known(rows.column(1).to_pylist(), rows.column(2).to_pylist(), texts, ner)
                yield texts


#: the temporary table (of the reading cursor's connection) :func:`stream` keeps its texts' digests in, with
#: their stored findings (NULL: none stored) and whether those are clean
OPEN_TEXTS = "_gate_stream_digests"


def open_texts_sql(texts_sql: str) -> str:
    """The distinct digests of ``texts_sql``'s texts with their stored findings and whether those are clean
    (parameters: ``texts_sql``'s, then the gate part). Planned inside :func:`~arenavotes.db.joins_as_written`,
    the digests are the join's hash table and the stored verdicts stream through it."""
    return f"""
    WITH d AS (SELECT DISTINCT {digest_sql("sha256(text)")} AS digest
               FROM ({texts_sql}) WHERE text IS NOT NULL AND text <> '')
    SELECT d.digest, g.findings::VARCHAR AS findings, coalesce(g.findings::VARCHAR = '[]', false) AS clean
    FROM (SELECT digest, findings FROM gate_verdicts WHERE gate = ?) g RIGHT JOIN d ON g.digest = d.digest"""


def stream_sql(texts_sql: str, *, every: bool = False) -> str:
    """The query :func:`stream` reads (parameters: the gate part, then ``texts_sql``'s): the texts whose digest is
    open in :data:`OPEN_TEXTS` (``every``: all texts, with the doubted ones' findings), with their keys and stored
    findings. Planned inside :func:`~arenavotes.db.joins_as_written`, the digests are the join's hash table and
    the texts stream through it."""
    digests = (
        f"SELECT digest, findings FROM {OPEN_TEXTS} WHERE findings IS NOT NULL"
        if every
        else f"SELECT digest, findings FROM {OPEN_TEXTS} WHERE NOT clean"
    )
    return f"""SELECT t.text, ? || ':' || t.hex AS key, o.findings
               FROM (SELECT text, sha256(text) AS hex FROM ({texts_sql}) WHERE text IS NOT NULL AND text <> '') t
               {"LEFT JOIN" if every else "JOIN"} ({digests}) o ON o.digest = {digest_sql("t.hex")}"""


def split_key(key: str) -> tuple[str, bytes]:
    """The stored form of a :func:`~arenavotes.pii.gate.verdict_key`: its gate part and 16 bytes of its hash.

    >>> split_key("gate-9:ner:" + "ab" * 32)
    ('gate-9:ner', b'\\xab\\xab\\xab\\xab\\xab\\xab\\xab\\xab\\xab\\xab\\xab\\xab\\xab\\xab\\xab\\xab')
    """
    gate, _, hexdigest = key.rpartition(":")
    if not gate or len(hexdigest) != 64:
        raise ValueError(f"not a verdict key: {key!r}")
    return gate, bytes.fromhex(hexdigest[:32])


#: :func:`split_key` in SQL, over the ``key`` column of the Arrow table a query reads as ``_arrow``: the keys of a
#: release's texts are split by DuckDB, not one by one in Python (the gate's lookups were a quarter of a release)
_SPLIT = f"SELECT key, {VERDICT_KEY_PARTS_SQL}"


#: verdicts a workspace-bound cache holds at most before it stores and forgets them
HELD = 200_000


def load(con: duckdb.DuckDBPyConnection) -> VerdictCache:
    """The workspace's verdicts, read lazily (see :class:`VerdictCache`). Verdicts of other gate versions are
    dropped first: no run of this version reads them, and every lookup scans the table (a workspace that had
    scrubbed 1M conversations under two gate versions held 10.8M verdicts, half of them dead)."""
    prune(con)
    return VerdictCache(con=con)


def prune(con: duckdb.DuckDBPyConnection) -> int:
    """Delete the verdicts of gate versions other than :data:`~arenavotes.pii.gate.GATE_VERSION`; returns how
    many went."""
    (n,) = con.execute("DELETE FROM gate_verdicts WHERE NOT starts_with(gate, ?)", [f"{GATE_VERSION}:"]).fetchall()[0]
    return int(n)


def save(con: duckdb.DuckDBPyConnection, cache: VerdictCache) -> None:
    """Store the verdicts added since :func:`load` (keys and findings only: offsets, types, scores); a verdict
    already stored stays as it is (a verdict is a function of its key, so both say the same)."""
    if not cache.new:
        return
    keys = sorted(cache.new)
    # most texts hold nothing: their verdict is '[]' without a trip through json (a third of a save's time)
    findings = [
        json.dumps([[f.start, f.end, f.entity, f.score, f.recognizer] for f in found]) if (found := cache[k]) else "[]"
        for k in keys
    ]
    arrow_execute(
        con,
        f"INSERT INTO gate_verdicts SELECT gate, digest, findings FROM ({_SPLIT}, findings FROM _arrow) q "
        "WHERE NOT EXISTS (SELECT 1 FROM gate_verdicts g WHERE g.gate = q.gate AND g.digest = q.digest)",
        pa.table({"key": pa.array(keys, pa.string()), "findings": pa.array(findings, pa.string())}),
    )
    cache.new.clear()


def screen(
    texts: Iterable[str],
    cache: VerdictCache,
    *,
    threshold: float,
    ner: bool,
    workers: int = 1,
    pool: WorkerPool | None = None,
) -> dict[str, list[Finding]]:
    """The gate's findings at or above ``threshold`` for each distinct text that has any (cached verdicts reused;
    ``pool``: a :func:`~arenavotes.pii.gate.gate_pool` to analyse on, kept across calls)."""
    out = {}
    for t, found in cached_findings(texts, ner=ner, cache=cache, workers=workers, pool=pool).items():
        hits = [f for f in found if f.score >= threshold]
        if hits:
            out[t] = hits
    return out
