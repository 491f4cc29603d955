"""What a killed command leaves in the workspace, and its removal by the next command that writes there.

A stage that is killed (``kill -9``, the out-of-memory killer, a lost machine) runs no ``finally`` block, so
the files it was working in stay behind, and they hold texts as they were *before* ``scrub``:

* DuckDB's spill files in the private spill folder beside the database (``arena.duckdb.tmp/duckdb_temp_<pid>_*``:
  the blocks of a sort, a join or a temporary table that did not fit its memory cap). DuckDB removes a dead
  process's files only when a later connection spills again, so after a killed ingest or scrub they could
  outlive the scrub that cleaned the database;
* the stage's own work folders there (``arenavotes-<kind>-<pid>-*``, :func:`private_tempdir`: dedup's spilled
  shingles, ingest's UTF-8 copy of a file in another encoding);
* the parquet shards of ``--engine ray`` in the workspace's ``shards/<stage>-<pid>...`` folders (prompt texts).

:func:`sweep` removes them. :func:`arenavotes.db.connect` calls it whenever it opens a workspace database for
writing: DuckDB then holds the file's write lock, which no other process can hold at the same time, not even
a reader, so every such file named after another process is a dead one's. This process's own files are kept
(another connection of this process may be using them). A ``--shards`` folder of the user's choice is never
swept: it may be shared by other workspaces.

>>> import tempfile
>>> db = Path(tempfile.mkdtemp()) / "arena.duckdb"
>>> spill = db.with_name("arena.duckdb.tmp"); spill.mkdir()
>>> for name in ("duckdb_temp_999999999_0_storage_DEFAULT-0.tmp", f"duckdb_temp_{os.getpid()}_0_owner", "notes.txt"):
...     _ = (spill / name).write_text("x")
>>> [p.name for p in sweep(db)]
['duckdb_temp_999999999_0_storage_DEFAULT-0.tmp']
>>> sorted(p.name for p in spill.iterdir()) == sorted([f"duckdb_temp_{os.getpid()}_0_owner", "notes.txt"])
True
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

#: (folder beside the database, what a stale entry's whole name looks like, whether it is a folder): DuckDB's
#: spill files (``duckdb_temp_<pid>_<n>_owner``, ``..._storage_<size>-<n>.tmp``; DuckDB 1.4 and 2.0), this
#: package's work folders (:func:`private_tempdir`) and the Ray engines' shard folders
#: (:func:`arenavotes.raydata.shard_folder`); group 1 is the pid of the process that made it
_RULES: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    ("spill", re.compile(r"duckdb_temp_(\d+)_.+"), False),
    ("spill", re.compile(r"arenavotes-[a-z0-9]+-(\d+)-.+"), True),
    ("shards", re.compile(r"[a-z0-9]+-(\d+)(?:-[A-Za-z0-9_.]+)?"), True),
)


def spill_folder_of(db_path: Path) -> Path:
    """The private spill folder beside the database ``db_path`` (``arena.duckdb`` -> ``arena.duckdb.tmp``)."""
    return db_path.with_name(db_path.name + ".tmp")


def sweep(db_path: Path) -> list[Path]:
    """Remove what killed processes left beside the workspace database ``db_path`` (module docstring); the
    removed paths. Call it only while holding the database's write lock."""
    me = os.getpid()
    folders = {"spill": spill_folder_of(db_path), "shards": db_path.parent / "shards"}
    removed: list[Path] = []
    for where, pattern, is_dir in _RULES:
        try:
            entries = sorted(folders[where].iterdir())
        except OSError:  # no such folder (nothing spilled yet), or not ours to read
            continue
        for entry in entries:
            found = pattern.fullmatch(entry.name)
            if found is None or int(found.group(1)) == me or entry.is_symlink() or entry.is_dir() != is_dir:
                continue
            if is_dir:
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            if not entry.exists():
                removed.append(entry)
    return removed


def private_tempdir(folder: Path | None, kind: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder for a stage's work files, named so that :func:`sweep` finds it if the process is
    killed: in ``folder`` (the workspace's private spill folder, :func:`arenavotes.db.spill_folder`; ``None``:
    ``TMPDIR``), ``arenavotes-<kind>-<pid>-<random>``, mode 0700.

    >>> with private_tempdir(None, "demo") as d:
    ...     Path(d).name.startswith(f"arenavotes-demo-{os.getpid()}-"), oct(Path(d).stat().st_mode & 0o777)
    (True, '0o700')
    """
    if not re.fullmatch(r"[a-z0-9]+", kind):
        raise ValueError(f"kind must be lower-case letters and digits: {kind!r}")
    return tempfile.TemporaryDirectory(prefix=f"arenavotes-{kind}-{os.getpid()}-", dir=folder)
