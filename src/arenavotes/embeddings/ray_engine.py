"""Encode texts on a Ray cluster with Ray Data, over parquet shards, merged back idempotently.

The texts to encode are written as parquet shards (``text_hash``, ``text``) to a folder the cluster's workers
can read (:func:`arenavotes.raydata.write_shards`); Ray Data reads them, encodes each batch in actors that
load the encoder once (:class:`_EncodeBatch`), and writes (``text_hash``, ``vector``) shards beside them; the
caller merges those into the cache by hash (:func:`arenavotes.embeddings.cache.merge_shards`), so a rerun or
a shard written twice changes nothing. An embedding depends on its text alone, so the vectors are those of
the local engine, bit for bit (``tests/test_ray_engine.py``).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from arenavotes.embeddings.cache import vector_table
from arenavotes.raydata import map_shards

#: texts per encoder call inside an actor
BATCH_ROWS = 2048


class _EncodeBatch:
    """A Ray Data actor: the encoder loaded once, then (text_hash, text) batches -> (text_hash, vector)."""

    def __init__(self, name: str) -> None:
        from arenavotes.embeddings.encoder import Encoder

        self.encoder = Encoder.load(name)

    def __call__(self, batch: pa.Table) -> pa.Table:
        texts = [t if t is not None else "" for t in batch.column("text").to_pylist()]
        return vector_table(batch.column("text_hash"), self.encoder.encode(texts))


def encode_on_ray(folder: Path, encoder_name: str, address: str | None = None) -> Path:
    """Encode the shards of ``folder/in`` on Ray (``address``: a cluster; default a local one) into
    ``folder/out``; returns that folder. ``encoder_name`` is ``name@version``: a worker whose arenavotes ships
    another version fails rather than mixing its vectors into this version's cache."""
    return map_shards(folder, _EncodeBatch, (encoder_name,), address=address, batch_rows=BATCH_ROWS)
