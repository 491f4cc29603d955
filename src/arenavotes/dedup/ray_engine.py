"""Near-duplicate sketches on a Ray cluster with Ray Data (``dedup --engine ray``), over parquet shards.

:class:`RaySketches` stands in for :class:`~arenavotes.dedup.tables.SketchTable` in
:func:`arenavotes.dedup.repeats`: the distinct normalised prompts it is given are written as parquet shards
(key, norm) instead of being sketched here; when the near-duplicate check asks for the sketches, Ray Data
actors compute them (:meth:`Sketches.sketch <arenavotes.dedup.prompts.Sketches.sketch>`, a pure function of
each text) and the results are read back by key. The exact checks of the candidate pairs, and every other
detector, run here. The flags are those of the local engine (``tests/test_ray_engine.py``).

>>> import numpy as np, polars as pl
>>> sk = Sketches(0.9)
>>> table = sketch_table(pl.Series(["k1", "k2"]), *sk.sketch(pl.Series(["one prompt", "another prompt"])))
>>> keys, bands, sig8, chars = from_table(table)
>>> keys.to_list(), bands.shape, sig8.shape, chars.tolist()
(['k1', 'k2'], (2, 8), (2, 128), [11, 15])
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from arenavotes.dedup.prompts import Sketches
from arenavotes.dedup.tables import SketchTable
from arenavotes.raydata import iter_shards, map_shards, write_shards

#: prompts an actor sketches together
BATCH_ROWS = 20_000


def sketch_table(keys: pl.Series, bands: np.ndarray, sig8: np.ndarray, chars: np.ndarray) -> pa.Table:
    """Sketches as an Arrow table (key, bands: fixed-size list of uint64, sig8: fixed-size list of uint8, chars)."""
    return pa.table(
        {
            "key": keys.to_arrow(),
            "bands": pa.FixedSizeListArray.from_arrays(pa.array(bands.reshape(-1)), bands.shape[1]),
            "sig8": pa.FixedSizeListArray.from_arrays(pa.array(sig8.reshape(-1)), sig8.shape[1]),
            "chars": pa.array(chars),
        }
    )


def from_table(table: pa.Table) -> tuple[pl.Series, np.ndarray, np.ndarray, np.ndarray]:
    """(keys, bands, sig8, chars) back from :func:`sketch_table`."""
    table = table.combine_chunks()
    n = table.num_rows

    def matrix(name: str, dtype: type) -> np.ndarray:
        col = (
            table.column(name).chunk(0)
            if table.column(name).num_chunks
            else pa.array([], table.schema.field(name).type)
        )
        width = col.type.list_size
        return np.asarray(col.flatten().to_numpy(zero_copy_only=False), dtype=dtype).reshape(n, width)

    keys = _series(table.column("key"), "key")
    return keys, matrix("bands", np.uint64), matrix("sig8", np.uint8), table.column("chars").to_numpy().astype(np.int64)


def _series(column: pa.ChunkedArray | pa.Array, name: str) -> pl.Series:
    out = pl.from_arrow(column)
    assert isinstance(out, pl.Series)
    return out.cast(pl.String).rename(name)


class _SketchBatch:
    """A Ray Data actor: (key, norm) batches -> their sketches (:func:`sketch_table`)."""

    def __init__(self, threshold: float, perms: int, seed: int) -> None:
        self.sketches = Sketches(threshold, perms, seed)

    def __call__(self, batch: pa.Table) -> pa.Table:
        keys, norms = _series(batch.column("key"), "key"), _series(batch.column("norm"), "norm")
        return sketch_table(keys, *self.sketches.sketch(norms))


class RaySketches(SketchTable):
    """A :class:`~arenavotes.dedup.tables.SketchTable` whose texts are sketched on Ray: :meth:`add` writes them
    to ``folder``'s shards, and :meth:`flush` (before the table is first read) has them sketched and puts the
    results in the table (``address``: the cluster; default a local Ray)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        threshold: float = 0.9,
        perms: int = 128,
        seed: int = 1,
        *,
        folder: Path,
        address: str | None = None,
    ) -> None:
        super().__init__(con, threshold, perms, seed)
        self.folder, self.address = folder, address
        self._shards = 0

    def add(self, keys: pl.Series, norms: pl.Series) -> None:
        table = pa.table({"key": keys.to_arrow(), "norm": norms.to_arrow()})
        self._shards += len(write_shards(table, self.folder, first=self._shards))

    def flush(self) -> None:
        if self._shards:
            out = map_shards(
                self.folder,
                _SketchBatch,
                (self.threshold, self.perms, self.seed),
                address=self.address,
                batch_rows=BATCH_ROWS,
            )
            for part in iter_shards(out):
                self.put(*from_table(part))
            self.deduplicate()  # a retried task's output may be read twice
            self._shards = 0
