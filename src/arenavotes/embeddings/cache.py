"""The workspace's embedding table: every distinct text is encoded once per encoder, and kept.

Rows of ``embeddings`` are keyed by (encoder ``name@version``, sha256 of the text), not by battle: the same
prompt asked a thousand times is one row, a prompt that ``scrub`` rewrote gets a new row (its hash changed),
and a new encoder version never mixes with old vectors. Categories, near-duplicates and prompt-to-leaderboard
all read their vectors from here (:func:`prompt_vectors`), so a workspace encodes each text once; a small
batch looked up in a large table is encoded instead (:func:`vectors_for`), since a lookup scans the table.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> texts = pl.DataFrame({"text": ["Write a haiku", "Sort a list in Python", "Write a haiku"]})
>>> keyed = with_hashes(con, texts)
>>> ensure(con, keyed)   # two distinct texts encoded
2
>>> ensure(con, keyed)   # cached
0
>>> vectors(con, keyed["text_hash"]).shape
(3, 256)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from arenavotes.db import arrow_execute, arrow_sql, prompt_batches, transaction
from arenavotes.embeddings.encoder import Encoder


def with_hashes(con: duckdb.DuckDBPyConnection, texts: pl.DataFrame, column: str = "text") -> pl.DataFrame:
    """``texts`` with a ``text_hash`` column: sha256 (hex) of ``column``'s UTF-8 bytes (null text: of "")."""
    # each table below is read once, where it lies (arrow_sql): a temporary table would stay, spilled, until the end
    # of a stage's transaction
    data = texts.select(pl.col(column).fill_null("").alias("_t")).to_arrow()
    hashes = arrow_sql(con, "SELECT sha256(_t) AS h FROM _arrow", data).to_arrow_table().column("h")
    return texts.with_columns(text_hash=pl.Series(hashes.to_pylist() if len(hashes) == 0 else hashes, dtype=pl.String))


def cached(con: duckdb.DuckDBPyConnection, hashes: pl.Series, encoder: Encoder) -> set[str]:
    """The hashes among ``hashes`` that ``embeddings`` holds a vector of for ``encoder``."""
    want = pl.DataFrame({"text_hash": hashes.unique()}).to_arrow()
    sql = "SELECT text_hash FROM embeddings WHERE encoder = ? AND text_hash IN (SELECT text_hash FROM _arrow)"
    return {h for (h,) in arrow_sql(con, sql, want, [encoder.name]).fetchall()}


def vector_table(hashes: pa.Array | pa.ChunkedArray, vectors: np.ndarray) -> pa.Table:
    """(text_hash, vector) rows, the vector as a fixed-size list of float32: what the cache stores and the
    Ray engine's shards carry."""
    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1), pa.float32())
    return pa.table({"text_hash": hashes, "vector": pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])})


def ensure(
    con: duckdb.DuckDBPyConnection, texts: pl.DataFrame, encoder: Encoder | None = None, column: str = "text"
) -> int:
    """Encode the texts of ``texts`` (with ``text_hash``, see :func:`with_hashes`) that ``embeddings`` lacks
    for ``encoder`` and insert them; returns how many were encoded. Each distinct hash is encoded once."""
    enc = encoder or Encoder.load()
    distinct = _distinct(texts, column)
    todo = distinct.filter(~pl.col("text_hash").is_in(sorted(cached(con, distinct["text_hash"], enc))))
    if todo.height == 0:
        return 0
    _insert(con, vector_table(todo["text_hash"].to_arrow(), enc.encode(todo[column].fill_null("").to_list())), enc)
    return len(todo)


def _distinct(texts: pl.DataFrame, column: str) -> pl.DataFrame:
    """(``column``, text_hash) of each distinct hash of ``texts``, first occurrences in order."""
    return texts.select(column, "text_hash").unique("text_hash", keep="first", maintain_order=True)


def _insert(con: duckdb.DuckDBPyConnection, table: pa.Table, enc: Encoder) -> None:
    """Insert (text_hash, vector) rows the cache lacks for ``enc``."""
    with transaction(con):
        arrow_execute(
            con,
            "INSERT INTO embeddings SELECT ?, text_hash, vector::FLOAT[] FROM _arrow "
            "WHERE text_hash NOT IN (SELECT text_hash FROM embeddings WHERE encoder = ?)",
            table,
            [enc.name, enc.name],
        )


def writable(con: duckdb.DuckDBPyConnection) -> bool:
    """Can the cache be written through ``con`` (a read-only workspace connection cannot)?"""
    rows = con.sql("SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return not (rows and rows[0][0])


#: Reading cached vectors costs a scan of the whole table (a columnar store reads every vector to pick a few);
#: encoding costs the same per text whatever the table holds. Measured on a 1M-conversation workspace (1.5M
#: cached rows, both encoders) for one batch of 20,000 battles (18,386 distinct prompts; one core,
#: second stop of 5 December): checking and reading 0.33-0.43 s (220-290 ns per table row), encoding 1.55-1.72 s
#: (85-93 us per prompt), the same bits. So reading n texts is the cheaper way while the table holds fewer than
#: about 320-380 rows per text: :func:`vectors_for` reads below this many table rows per text it needs and
#: encodes above it, and a batch never costs much more than encoding it, whatever the cache's size.
READ_ROWS_PER_TEXT = 300


def table_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Rows of ``embeddings`` (all encoders: a lookup scans them all)."""
    return int(con.sql("SELECT count(*) FROM embeddings").fetchall()[0][0])


def vectors_for(
    con: duckdb.DuckDBPyConnection,
    texts: pl.DataFrame,
    encoder: Encoder | None = None,
    column: str = "text",
    read_rows_per_text: int = READ_ROWS_PER_TEXT,
) -> np.ndarray:
    """Vectors of the rows of ``texts`` (with ``text_hash``), in order, each distinct text once.

    Cached texts are read from ``embeddings`` and the others encoded (and kept there when ``con`` can write),
    while reading is the cheaper way (the table has fewer than ``read_rows_per_text`` rows per text read, see
    :data:`READ_ROWS_PER_TEXT`); past that the batch is encoded whole and the cache neither read nor
    written. The vectors are the same either way: the encoder is a pure function of the text.
    """
    enc = encoder or Encoder.load()
    distinct = _distinct(texts, column)
    rows = table_rows(con)
    use_cache = distinct.height > 0 and rows < read_rows_per_text * distinct.height
    have = cached(con, distinct["text_hash"], enc) if use_cache and rows else set()
    in_cache = distinct["text_hash"].is_in(sorted(have)).to_numpy()
    # read the cached ones only if they alone are worth a scan; encode the rest
    read = in_cache if rows < read_rows_per_text * int(in_cache.sum()) else np.zeros_like(in_cache)
    out = np.zeros((distinct.height, enc.dims), dtype=np.float32)
    if read.any():
        out[read] = vectors(con, distinct.filter(pl.Series(read))["text_hash"], enc)
    if not read.all():
        out[~read] = enc.encode(distinct.filter(pl.Series(~read))[column].fill_null("").to_list())
        new = ~in_cache
        if use_cache and new.any() and writable(con):
            _insert(con, vector_table(distinct.filter(pl.Series(new))["text_hash"].to_arrow(), out[new]), enc)
    at = texts.select("text_hash").join(
        distinct.select("text_hash").with_row_index("_at"), on="text_hash", how="left", maintain_order="left"
    )
    return out[at["_at"].to_numpy()]


def vectors(
    con: duckdb.DuckDBPyConnection, hashes: pl.Series | Sequence[str], encoder: Encoder | None = None
) -> np.ndarray:
    """The cached vectors of ``hashes`` in their order, float32 (len x dims). A hash that was never encoded
    (:func:`ensure` first) raises KeyError."""
    enc = encoder or Encoder.load()
    want = pl.DataFrame({"text_hash": pl.Series(list(hashes), dtype=pl.String)}).with_row_index("i")
    got = arrow_sql(
        con,
        "SELECT w.i, e.vector FROM _arrow w JOIN embeddings e ON e.text_hash = w.text_hash AND e.encoder = ? ORDER BY w.i",
        want.to_arrow(),
        [enc.name],
    ).to_arrow_table()
    if got.num_rows != want.height:
        raise KeyError(f"{want.height - got.num_rows} texts have no {enc.name} embedding yet")
    flat = got.column("vector").combine_chunks().flatten().to_numpy()
    return np.ascontiguousarray(flat, dtype=np.float32).reshape(want.height, enc.dims)


def missing_prompts(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str] | None = None, encoder: Encoder | None = None
) -> tuple[pl.DataFrame, int, int]:
    """(text_hash, text) of the distinct prompt texts of ``sources`` that have no vector for ``encoder`` yet
    (in hash order), with the number of battles with prompts and of distinct prompts read."""
    enc = encoder or Encoder.load()
    parts, battles = [], 0
    for batch in prompt_batches(con, sources):
        battles += batch.height
        keyed = with_hashes(con, batch).unique("text_hash", keep="first")
        parts.append(keyed.select("text_hash", "text"))
    if not parts:
        return pl.DataFrame(schema={"text_hash": pl.String, "text": pl.String}), 0, 0
    distinct = pl.concat(parts).unique("text_hash", keep="first").sort("text_hash")
    have = cached(con, distinct["text_hash"], enc)
    return distinct.filter(~pl.col("text_hash").is_in(sorted(have))), battles, distinct.height


def merge_shards(con: duckdb.DuckDBPyConnection, folder: Path, encoder: Encoder | None = None) -> int:
    """Insert the vectors of the parquet shards in ``folder`` (text_hash, vector) that the cache lacks;
    returns how many rows were new. Idempotent: a shard merged twice adds nothing."""
    enc = encoder or Encoder.load()
    files = sorted(str(p) for p in folder.glob("*.parquet"))
    if not files:
        return 0
    before = con.execute("SELECT count(*) FROM embeddings WHERE encoder = ?", [enc.name]).fetchall()[0][0]
    with transaction(con):
        con.execute(
            "INSERT INTO embeddings SELECT ?, text_hash, vector FROM ("
            "  SELECT text_hash, any_value(vector::FLOAT[]) AS vector FROM read_parquet(?) GROUP BY text_hash"
            ") WHERE text_hash NOT IN (SELECT text_hash FROM embeddings WHERE encoder = ?) ORDER BY text_hash",
            [enc.name, files, enc.name],
        )
    after = con.execute("SELECT count(*) FROM embeddings WHERE encoder = ?", [enc.name]).fetchall()[0][0]
    return int(after - before)


def prompt_vectors(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str] | None = None, encoder: Encoder | None = None
) -> Iterator[pl.DataFrame]:
    """(battle_id, text, text_hash) of every battle with prompt text (of ``sources``), batch by batch, with
    each batch's new texts encoded into ``embeddings`` on the way (the prompt is the user turns joined with
    newlines, as dedup reads it)."""
    for batch in prompt_batches(con, sources):
        keyed = with_hashes(con, batch)
        ensure(con, keyed, encoder)
        yield keyed
