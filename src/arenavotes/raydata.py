"""Ray Data over parquet shards: the engine behind ``--engine ray`` of ``embed``, ``categorize`` and ``dedup``.

A stage writes the rows to process as parquet shards into a folder the cluster's workers can read
(:func:`write_shards`), :func:`map_shards` runs a batch function on them in Ray Data actors -- each loads
what it needs (an encoder, a labeler) once -- and writes the results as parquet beside them, and the stage
merges those back into the workspace by key (:func:`iter_shards`, or DuckDB over the files), so a rerun or a
task that Ray retried changes nothing. The functions run are pure functions of each row, so the results are those of the local
engine whatever the sharding (``tests/test_ray_engine.py``). The shards hold texts: the caller removes the
folder when it is done (:func:`shard_folder`).

>>> import pyarrow as pa, tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as d:
...     paths = write_shards(pa.table({"k": [1, 2, 3]}), Path(d), rows=2)
...     [p.name for p in paths], [t.num_rows for t in iter_shards(Path(d) / "in")]
(['part-00000.parquet', 'part-00001.parquet'], [2, 1])
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

#: rows per input shard (a Ray Data block each)
SHARD_ROWS = 20_000


def write_shards(table: pa.Table, folder: Path, rows: int = SHARD_ROWS, first: int = 0) -> list[Path]:
    """``table`` as ``folder/in/part-NNNNN.parquet`` files of ``rows`` rows, numbered from ``first`` (a stage
    that exports batch by batch passes the number of shards written so far)."""
    out = folder / "in"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, lo in enumerate(range(0, table.num_rows, rows), start=first):
        p = out / f"part-{n:05d}.parquet"
        pq.write_table(table.slice(lo, rows), p)
        paths.append(p)
    return paths


def iter_shards(folder: Path) -> Iterator[pa.Table]:
    """The parquet files of ``folder`` one at a time (name order), for merges that must not hold them all."""
    for p in sorted(folder.glob("*.parquet")):
        yield pq.read_table(p)


@contextmanager
def shard_folder(base: Path, stage: str, tag: str = "") -> Iterator[Path]:
    """``base/<stage>-<pid>[-<tag>]``, private to this user (0700, like the workspace database: the shards hold
    prompt texts) and removed with everything in it on the way out, whether the stage finished or failed; if
    the process is killed instead, the next command that opens the workspace for writing removes it
    (:func:`arenavotes.leftovers.sweep`, in the workspace's own ``shards`` folder)."""
    folder = base / (f"{stage}-{os.getpid()}" + (f"-{tag}" if tag else ""))
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def connect(address: str | None) -> Any:
    """The ``ray`` module, connected to ``address`` (default: a local Ray, or the one already started)."""
    try:
        import ray
    except ImportError:
        from arenavotes.errors import UserError

        raise UserError("--engine ray needs Ray", hint="pip install 'arenavotes[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    import logging

    logging.getLogger("ray.data").setLevel(logging.WARNING)
    ray.data.DataContext.get_current().enable_progress_bars = False
    return ray


def map_shards(
    folder: Path, fn: type, args: tuple[Any, ...] = (), *, address: str | None = None, batch_rows: int = 2048
) -> Path:
    """Run ``fn`` (a class: built once per actor with ``args``, then called on pyarrow batches of at most
    ``batch_rows`` rows, returning a pyarrow table) over the shards of ``folder/in`` on Ray, writing the
    results to ``folder/out``; returns that folder."""
    ray = connect(address)
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    out = folder / "out"
    shards = len(list((folder / "in").glob("*.parquet")))
    # at least one block per actor, so that every actor gets work
    ds: Any = ray.data.read_parquet(str(folder / "in"), override_num_blocks=max(shards, cpus))
    ds = ds.map_batches(
        fn,
        fn_constructor_args=args,
        batch_size=batch_rows,
        batch_format="pyarrow",
        # actors take half a CPU each: with one CPU each they would hold every slot of the cluster and the
        # parquet read tasks that feed them could never be scheduled
        concurrency=cpus,
        num_cpus=0.5,
    )
    ds.write_parquet(str(out))
    return out
