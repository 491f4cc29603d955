"""Encode texts on a Ray cluster with Ray Data, over parquet shards, merged back idempotently.

The texts to encode are written as parquet shards (``text_hash``, ``text``) to a folder the cluster's workers
can read; Ray Data reads them, encodes each batch in actors that load the encoder once
(:class:`_EncodeBatch`), and writes (``text_hash``, ``vector``) shards beside them; the caller merges those
into the cache by hash (:func:`arenavotes.embeddings.cache.merge_shards`), so a rerun or a shard written
twice changes nothing. An embedding depends on its text alone, so the vectors are those of the local engine,
bit for bit (``tests/test_ray_engine.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from arenavotes.embeddings.cache import vector_table

#: texts per input shard (a Ray Data block each)
SHARD_ROWS = 20_000
#: texts per encoder call inside an actor
BATCH_ROWS = 2048


def write_shards(texts: pa.Table, folder: Path, rows: int = SHARD_ROWS) -> list[Path]:
    """``texts`` (text_hash, text) as ``folder/in/part-NNNNN.parquet`` files of ``rows`` rows."""
    out = folder / "in"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, lo in enumerate(range(0, texts.num_rows, rows)):
        p = out / f"part-{n:05d}.parquet"
        pq.write_table(texts.slice(lo, rows), p)
        paths.append(p)
    return paths


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
    ``folder/out``; returns that folder."""
    try:
        import ray
    except ImportError:
        from arenavotes.errors import UserError

        raise UserError("--engine ray needs Ray", hint="pip install 'arenavotes[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    import logging

    logging.getLogger("ray.data").setLevel(logging.WARNING)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    out = folder / "out"
    shards = len(list((folder / "in").glob("*.parquet")))
    # at least one block per actor, so that every actor gets work
    ds: Any = ray.data.read_parquet(str(folder / "in"), override_num_blocks=max(shards, cpus))
    ds = ds.map_batches(
        _EncodeBatch,
        fn_constructor_args=(encoder_name,),
        batch_size=BATCH_ROWS,
        batch_format="pyarrow",
        # actors take half a CPU each: with one CPU each they would hold every slot of the cluster and the
        # parquet read tasks that feed them could never be scheduled
        concurrency=cpus,
        num_cpus=0.5,
    )
    ds.write_parquet(str(out))
    return out
