"""The temporary DuckDB tables the near-duplicate detector works in, so that its memory does not grow with N.

The normalised prompt texts (:class:`DuckTexts`) and their MinHash sketches (:class:`SketchTable`) wait in
temporary tables of the stage's connection -- DuckDB's memory, capped and spilled to disk beyond the cap --
instead of Python. The LSH buckets that two or more prompts share are found by SQL, a band at a time
(:func:`shared_buckets`), and only the prompts in such a bucket, the candidates, come back to Python with
their lengths for the exact check (:func:`candidate_sketches`); their 8-bit signatures are read with their
texts, a block at a time (:meth:`DuckTexts.signatures_at`). Before, every distinct prompt's sketch was held in
Python: ~250 bytes a prompt with its key, 0.2 GB at a million conversations.

>>> import duckdb, polars as pl
>>> con = duckdb.connect()
>>> with SketchTable(con, 0.9) as sk:
...     sk.add(pl.Series(["k1", "k2"]), pl.Series(["the same old prompt text", "the same old prompt text"]))
...     _ = con.execute("CREATE TEMP TABLE u AS SELECT * FROM (VALUES ('k1', 0), ('k2', 1)) t(key, row)")
...     members, bucket, n_buckets = shared_buckets(con, "u", sk)
...     keys, chars = candidate_sketches(con, "u", sk, np.array([0, 1]))
>>> members.tolist(), n_buckets, keys.to_list(), chars.tolist()
([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 8, ['k1', 'k2'], [25, 25])
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from arenavotes.db import frame, register_arrow, unregister_arrow
from arenavotes.dedup.prompts import Sketches, index_type, spans

#: a bucket shared by more texts than this is a degenerate text: only its first texts (by row) are members
BUCKET_CAP = 200


#: the most characters of candidate texts :meth:`DuckTexts.arrange` sorts at once
ARRANGE_CHARS = 32_000_000


class DuckTexts:
    """The normalised prompt texts in a DuckDB temporary table, where they wait (spilled to disk beyond the
    memory limit) for the exact check of near-duplicate candidates. Use as a context manager (the table is
    dropped on exit).

    The exact check reads the candidates' texts a block at a time. Looking each block's keys up in the table
    of every text scanned that whole table per block (at 2M conversations it no longer fit in memory, so every
    block read the spill folder again: time grew with N squared). So :meth:`arrange` copies the candidates'
    texts once, in the order the blocks will ask for them, and :meth:`at` reads them by their number there:
    a block's texts are one run of rows, and DuckDB skips the row groups outside it.

    >>> with DuckTexts(duckdb.connect()) as t:
    ...     t.put(pl.Series(["k1", "k2", "k3"]), pl.Series(["one", "two", "three"]))
    ...     t.new(pl.Series(["k4", "k1"])).to_list()
    ...     t.arrange(pl.Series(["k3", "k1"]))
    ...     t.at(np.array([1, 0, 1])).to_list()
    ['k4']
    ['one', 'three', 'one']
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, name: str = "_dedup_texts") -> None:
        self.con, self.name = con, name
        self.arranged = f"{name}_arranged"

    def __enter__(self) -> DuckTexts:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {self.name} (key VARCHAR, norm VARCHAR)")
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS temp.{self.name}")
        self.con.execute(f"DROP TABLE IF EXISTS temp.{self.arranged}")

    def put(self, keys: pl.Series, norms: pl.Series) -> None:
        _put = pl.DataFrame({"key": keys, "norm": norms}).to_arrow()  # read by DuckDB under this name
        self.con.execute(f"INSERT INTO {self.name} SELECT key, norm FROM _put")

    def new(self, keys: pl.Series) -> pl.Series:
        """The ``keys`` (distinct) that were never put, in their order: the texts held are not read back."""
        register_arrow(self.con, "_texts_ask", pl.DataFrame({"key": keys}).with_row_index("i").to_arrow())
        try:
            got = frame(
                self.con,
                f"SELECT key FROM _texts_ask a WHERE NOT EXISTS (SELECT 1 FROM {self.name} t WHERE t.key = a.key) "
                "ORDER BY i",
            )
        finally:
            unregister_arrow(self.con, "_texts_ask")
        return got["key"] if got.height else pl.Series("key", [], pl.String)

    def arrange(self, keys: pl.Series, sketches: str | None = None, sizes: np.ndarray | None = None) -> None:
        """Copy the texts of ``keys`` (distinct, all put) in that order, numbered 0 .. len(keys) - 1, for
        :meth:`at`: one join over every text, instead of a scan of every text per block. With ``sketches`` (a
        :class:`SketchTable`'s table) their 8-bit signatures come along, for :meth:`signatures_at`.

        ``sizes`` (each text's length, in the order of ``keys``): if they add up to more than
        :data:`ARRANGE_CHARS`, the texts are joined unsorted and then sorted into place a piece of at most that
        many characters at a time (:meth:`_sort_in_pieces`). DuckDB's sort of many long strings at once cannot
        spill: 270,000 texts of 2.9 KB failed under a 400 MB cap, and so did dedup of a 1M log with long prompts."""
        register_arrow(self.con, "_texts_order", pl.DataFrame({"key": keys}).with_row_index("pos").to_arrow())
        sig, join = (", k.sig8", f"JOIN {sketches} k USING (key)") if sketches else ("", "")
        joined = f"SELECT o.pos::BIGINT AS pos, t.norm{sig} FROM _texts_order o JOIN {self.name} t USING (key) {join}"
        try:
            if sizes is None or float(np.sum(sizes)) <= ARRANGE_CHARS:
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE {self.arranged} AS {joined} ORDER BY o.pos")
            else:
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE _texts_unsorted AS {joined}")
                unregister_arrow(self.con, "_texts_order")
                self._sort_in_pieces(np.asarray(sizes))
        finally:
            unregister_arrow(self.con, "_texts_order")
            self.con.execute("DROP TABLE IF EXISTS temp._texts_unsorted")
        (n,) = self.con.execute(f"SELECT count(*) FROM {self.arranged}").fetchall()[0]
        if n != len(keys):
            raise ValueError(f"{len(keys) - n} of the {len(keys)} keys to arrange were never put (or put twice)")

    def _sort_in_pieces(self, sizes: np.ndarray) -> None:
        """Fill the arranged table from ``_texts_unsorted`` (``pos`` numbers its rows; ``sizes[pos]``: their
        lengths), one piece of positions of at most :data:`ARRANGE_CHARS` characters at a time, each sorted by
        DuckDB. The rows reach their pieces in one pass: the unsorted table is read in runs of rows (by rowid,
        which skips the other row groups) of about :data:`ARRANGE_CHARS` characters, and each run's rows are
        appended to their piece's Arrow file in the spill folder. A piece read straight from the unsorted table
        (``WHERE pos BETWEEN ...``) read every row group of it, whose positions come in any order: at 1M long
        prompts, 26 pieces read the 0.8 GB of candidate texts 26 times (10% of dedup, growing as N squared)."""
        from arenavotes.db import spill_folder
        from arenavotes.leftovers import private_tempdir

        pieces = spans(sizes, ARRANGE_CHARS)
        ends = np.array([hi for _, hi in pieces], dtype=np.int64)
        by_row = frame(self.con, "SELECT pos FROM _texts_unsorted ORDER BY rowid")["pos"].to_numpy()
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {self.arranged} AS FROM _texts_unsorted LIMIT 0")
        with private_tempdir(spill_folder(self.con), "arrange") as folder:
            files = [Path(folder) / f"{k}.arrow" for k in range(len(pieces))]
            writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
            try:
                for lo, hi in spans(sizes[by_row], ARRANGE_CHARS):
                    run = self.con.sql(
                        "SELECT * FROM _texts_unsorted WHERE rowid >= ? AND rowid < ?", params=[lo, hi]
                    ).to_arrow_table()
                    piece = np.searchsorted(ends, run.column("pos").to_numpy(), side="right")
                    order = np.argsort(piece, kind="stable")
                    run, piece = run.take(order), piece[order]
                    starts = np.flatnonzero(np.r_[True, piece[1:] != piece[:-1]])
                    for a, b in zip(starts.tolist(), np.r_[starts[1:], len(piece)].tolist(), strict=True):
                        k = int(piece[a])
                        if k not in writers:
                            writers[k] = pa.ipc.new_file(files[k], run.schema)
                        writers[k].write_table(run.slice(a, b - a))
            finally:
                for w in writers.values():
                    w.close()
            self.con.execute("DROP TABLE temp._texts_unsorted")
            for k in sorted(writers):
                with pa.memory_map(str(files[k])) as source:
                    _texts_piece = pa.ipc.open_file(source).read_all()  # mapped, and read by DuckDB by this name
                    self.con.execute(f"INSERT INTO {self.arranged} FROM _texts_piece ORDER BY pos")
                    del _texts_piece
                files[k].unlink()

    def at(self, pos: np.ndarray) -> pl.Series:
        """The texts numbered ``pos`` by :meth:`arrange`, in that order. Only the row groups between the
        smallest and the largest number are read, so ask for a run of numbers (a block's texts)."""
        if len(pos) == 0:
            return pl.Series("norm", [], pl.String)
        pos = np.asarray(pos, dtype=np.int64)
        found = frame(
            self.con,
            f"SELECT pos, norm FROM {self.arranged} WHERE pos BETWEEN ? AND ? AND pos IN (SELECT unnest(?))",
            [int(pos.min()), int(pos.max()), pos.tolist()],
        )
        return pl.DataFrame({"pos": pos}).join(found, on="pos", how="left", maintain_order="left")["norm"]

    def signatures_at(self, pos: np.ndarray, perms: int) -> np.ndarray:
        """(len(pos) x perms) 8-bit signatures of the texts numbered ``pos`` by :meth:`arrange` (given its
        ``sketches``), in that order; a run of numbers, as for :meth:`at`."""
        pos = np.asarray(pos, dtype=np.int64)
        if len(pos) == 0:
            return np.zeros((0, perms), dtype=np.uint8)
        found = self.con.sql(
            f"SELECT pos, sig8 FROM {self.arranged} WHERE pos BETWEEN ? AND ? ORDER BY pos",
            params=[int(pos.min()), int(pos.max())],
        ).to_arrow_table()
        sig = _blob_matrix(found.column("sig8"), perms)
        return sig[np.searchsorted(found.column("pos").to_numpy(), pos)]


class SketchTable(Sketches):
    """:class:`~arenavotes.dedup.prompts.Sketches` held in a DuckDB temporary table: per distinct prompt its key,
    LSH band hashes ``b0`` ... (UBIGINT), 8-bit signature ``sig8`` (a BLOB of ``perms`` bytes) and length + 1
    ``chars``. Use as a context manager (the table is dropped on exit). :meth:`flush` is called before the
    table is read (a subclass that sketches elsewhere fills it there)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        threshold: float = 0.9,
        perms: int = 128,
        seed: int = 1,
        name: str = "_dedup_sketches",
    ) -> None:
        super().__init__(threshold, perms, seed)
        self.con, self.name = con, name

    def __enter__(self) -> SketchTable:
        bands = ", ".join(f"b{i} UBIGINT" for i in range(self.bands))
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {self.name} (key VARCHAR, {bands}, sig8 BLOB, chars BIGINT)")
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS temp.{self.name}")

    def add(self, keys: pl.Series, norms: pl.Series) -> None:
        """Sketch ``norms`` (normalised texts, distinct, not added before) under their ``keys``."""
        self.put(keys, *self.sketch(norms))

    def put(self, keys: pl.Series, bands: np.ndarray, sig8: np.ndarray, chars: np.ndarray) -> None:
        """Hold the :meth:`sketch` of the texts of ``keys``."""
        n = len(keys)
        blobs = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(self.perms), n, [None, pa.py_buffer(np.ascontiguousarray(sig8, dtype=np.uint8).tobytes())]
        )
        columns: dict[str, pa.Array] = {"key": keys.cast(pl.String).to_arrow()}
        columns.update({f"b{i}": pa.array(np.ascontiguousarray(bands[:, i])) for i in range(self.bands)})
        columns.update(sig8=blobs.cast(pa.binary()), chars=pa.array(np.asarray(chars, dtype=np.int64)))
        # read where it is (a replacement scan of this local), as DuckTexts.put does: copied into a temporary
        # table first, each batch was written twice, and with DuckDB's memory full of texts every copy evicted
        # texts to disk (1M sketches beside 2.9 GB of texts under a 400 MB cap: 35.2 s of puts, now 4.9 s;
        # with the texts' own puts, 48.3 -> 29.8 s)
        _sketch_put = pa.table(columns)  # read by DuckDB under this name
        self.con.execute(f"INSERT INTO {self.name} SELECT * FROM _sketch_put")

    def flush(self) -> None:
        """Make every added text's sketch readable from the table (here they are, at once)."""

    def deduplicate(self) -> None:
        """Keep one row per key: sketches merged from a cluster's output may hold a key twice (a retried task's
        file written twice); a sketch is a pure function of its text, so the copies are equal."""
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {self.name} AS SELECT * FROM {self.name} "
            "QUALIFY row_number() OVER (PARTITION BY key) = 1"
        )


def shared_buckets(
    con: duckdb.DuckDBPyConnection, rows: str, sketches: SketchTable, cap: int = BUCKET_CAP
) -> tuple[np.ndarray, np.ndarray, int]:
    """(row, bucket) of every LSH band bucket that two or more distinct prompts share, and the number of such
    buckets. ``rows``: a table of (key, row), each distinct prompt's number. Buckets are numbered band by band,
    in order of their hash; a bucket's members come in row order, at most ``cap`` of them (the first). Only
    the members come to Python: the grouping of every prompt's band hashes runs in DuckDB, which spills.
    """
    sketches.flush()
    texts: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    total = 0
    for band in range(sketches.bands):
        got = con.sql(
            f"""WITH s AS (SELECT r.row, k.b{band} AS h FROM {rows} r JOIN {sketches.name} k USING (key))
                SELECT s.row, s.h FROM s WHERE s.h IN (SELECT h FROM s GROUP BY h HAVING count(*) >= 2)"""
        ).to_arrow_table()
        row = got.column("row").to_numpy().astype(np.int64)
        h = got.column("h").to_numpy().astype(np.uint64)
        order = np.lexsort((row, h))
        row, h = row[order], h[order]
        starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]]) if len(h) else np.zeros(0, np.int64)
        sizes = np.diff(np.r_[starts, len(h)])
        sz = np.minimum(sizes, cap)
        offset = np.arange(int(sz.sum())) - np.repeat(np.cumsum(sz) - sz, sz)
        # 4 bytes a membership where they fit: the memberships are held through the whole near-duplicate check
        kind = index_type(max(int(row.max(initial=0)) + 1, total + len(starts)))
        texts.append(row[np.repeat(starts, sz) + offset].astype(kind))
        ids.append(np.repeat(np.arange(total, total + len(starts), dtype=kind), sz))
        total += len(starts)
    if not texts:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), 0
    return np.concatenate(texts), np.concatenate(ids), total


def candidate_sketches(
    con: duckdb.DuckDBPyConnection, rows: str, sketches: SketchTable, wanted: np.ndarray
) -> tuple[pl.Series, np.ndarray]:
    """(keys, lengths + 1) of the prompts numbered ``wanted`` (sorted, distinct) in ``rows``. Their 8-bit
    signatures stay in DuckDB: the check reads them with the texts, a block at a time
    (:meth:`DuckTexts.signatures_at`)."""
    register_arrow(con, "_sketch_want", pa.table({"row": np.asarray(wanted, dtype=np.int64)}))
    try:
        got = con.sql(
            f"""SELECT r.row, r.key, k.chars FROM _sketch_want w
                JOIN {rows} r USING (row) JOIN {sketches.name} k USING (key) ORDER BY r.row"""
        ).to_arrow_table()
    finally:
        unregister_arrow(con, "_sketch_want")
    if got.num_rows != len(wanted):
        raise ValueError("a key was never sketched")
    keys = pl.Series("key", got.column("key").combine_chunks()).cast(pl.String)
    return keys, got.column("chars").to_numpy().astype(np.int64)


def _blob_matrix(column: pa.ChunkedArray, width: int) -> np.ndarray:
    """(rows x width) uint8 matrix of a column of ``width``-byte blobs, without a Python object per row."""
    blobs = column.combine_chunks().cast(pa.large_binary())  # one buffer of bytes, 64-bit offsets
    start = np.frombuffer(blobs.buffers()[1], dtype=np.int64)[blobs.offset : blobs.offset + len(blobs) + 1]
    data = np.frombuffer(blobs.buffers()[2], dtype=np.uint8) if len(blobs) else np.zeros(0, np.uint8)
    return data[start[0] : start[-1]].reshape(len(blobs), width)
