"""A killed command leaves nothing private behind once the next command opens the workspace for writing.

A process killed with SIGKILL runs no clean-up: DuckDB's spill files, the stages' work folders and the Ray
shards stay, and they hold texts as they were before ``scrub``. The attack: plant an address, kill a process
that has spilled it every way a stage does, then run ``scrub`` through the real entry point and look for the
address in every byte of every file of the workspace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import planted_workspace

from arenavotes import stages
from arenavotes.leftovers import sweep
from arenavotes.workspace import Workspace

PLANTED = "zqx.killed.person@gmail.com"

# what a stage holds when it is killed: DuckDB spilling the texts it reads (a sort, a join, a temporary table
# over its memory cap), a work folder of its own (dedup's shingles, ingest's UTF-8 copy) and Ray shards
KILLED = """
import os, signal, sys
from pathlib import Path

import pyarrow as pa

from arenavotes.db import spill_folder
from arenavotes.leftovers import private_tempdir
from arenavotes.raydata import shard_folder, write_shards
from arenavotes.workspace import Workspace

ws, planted = Workspace.open(Path(sys.argv[1])), sys.argv[2]
con = ws.connect(memory_limit="16MB")
con.execute(
    "CREATE TEMP TABLE held AS SELECT content || r AS t FROM conversations, range(3000) AS s(r) WHERE content LIKE ?",
    ["%" + planted + "%"],
)
shards, tmp = shard_folder(ws.path / "shards", "categorize", "a1b2"), private_tempdir(spill_folder(con), "shingles")
write_shards(pa.table({"text": [planted]}), shards.__enter__())
(Path(tmp.__enter__()) / "hashes.u32").write_text(planted)  # (both held: the kill, not a clean-up, ends them)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _planted(tmp_path: Path) -> Workspace:
    return planted_workspace(tmp_path / "ws", PLANTED, repeats=5)


def _files(ws: Workspace) -> list[Path]:
    return sorted(p for p in ws.path.rglob("*") if p.is_file())


def test_a_killed_run_leaves_no_private_text_once_scrub_has_run(tmp_path: Path) -> None:
    ws = _planted(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "ARENAVOTES_MEMORY_LIMIT"}
    killed = subprocess.run([sys.executable, "-c", KILLED, str(ws.path), PLANTED], capture_output=True, env=env)
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    beside = [p for p in _files(ws) if p.parent != ws.path]  # not the database, its log, key or settings
    spilled = [p for p in beside if p.name.startswith("duckdb_temp_") and p.stat().st_size]
    assert spilled, "the killed process did not spill: the attack tests nothing"
    assert {p.relative_to(ws.path).parts[0] for p in beside} == {"arena.duckdb.tmp", "shards"}
    assert sum(PLANTED.encode() in p.read_bytes() for p in beside) >= 2  # the shard and the work file at least

    # the next command, through the real entry point
    done = subprocess.run(
        [sys.executable, "-m", "arenavotes", "scrub", "-w", str(ws.path), "--workers", "1"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    holding = [p for p in _files(ws) if PLANTED.encode() in p.read_bytes()]
    assert holding == []
    assert not any((ws.path / "shards").iterdir())
    assert not any((ws.path / "arena.duckdb.tmp").iterdir())


def test_only_a_writer_sweeps_and_only_what_dead_processes_left(tmp_path: Path) -> None:
    """A reader may run beside nothing but other readers, so it sweeps nothing; a writer holds the only lock,
    so what other processes named is dead, but its own process's files, the user's files and a ``--shards``
    folder elsewhere stay."""
    ws = Workspace.init(tmp_path / "ws")
    ws.connect().close()
    spill, shards, elsewhere = ws.path / "arena.duckdb.tmp", ws.path / "shards", tmp_path / "my-shards"
    me, dead = os.getpid(), 4_194_399  # above Linux's largest pid: no process has it
    stale = [
        spill / f"duckdb_temp_{dead}_0_storage_DEFAULT-0.tmp",
        spill / f"duckdb_temp_{dead}_0_owner",
        spill / f"arenavotes-shingles-{dead}-x1y2" / "hashes.u32",
        spill / f"arenavotes-utf8-{dead}-z9" / "votes.csv",
        shards / f"dedup-{dead}" / "in" / "part-00000.parquet",
        shards / f"categorize-{dead}-0f3a" / "out" / "part-00000.parquet",
    ]
    kept = [
        spill / f"duckdb_temp_{me}_0_owner",
        spill / f"arenavotes-shingles-{me}-a1" / "hashes.u32",
        spill / "notes.txt",
        shards / f"dedup-{me}" / "in" / "part-00000.parquet",
        shards / "my data" / "keep.txt",
        elsewhere / f"dedup-{dead}" / "in" / "part-00000.parquet",
    ]
    for p in stale + kept:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(PLANTED)
    ws.connect(read_only=True).close()
    assert all(p.exists() for p in stale + kept)
    ws.connect().close()
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)
    assert sweep(ws.db_path) == []  # nothing left to sweep


# a stage killed half-way through its transaction: categorize after two batches of labels, dedup after it
# replaced a source's flags (both inside the run's one transaction, before its commit)
KILLED_STAGE = """
import os, signal, sys
from pathlib import Path

from arenavotes import stages
from arenavotes.categories import store
from arenavotes.dedup import store as flags
from arenavotes.stages import categorize
from arenavotes.workspace import Workspace

ws, stage = Workspace.open(Path(sys.argv[1])), sys.argv[2]
calls = []

def dying(real):
    def call(*args, **kwargs):
        real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 2 or stage == "dedup":
            os.kill(os.getpid(), signal.SIGKILL)
    return call

if stage == "categorize":
    store.BATCH = 20
    categorize._Tally.insert = dying(categorize._Tally.insert)
    stages.run_categorize(ws, stages.CategorizeOptions())
else:
    flags.replace_flags = dying(flags.replace_flags)
    stages.run_dedup(ws, stages.DedupOptions())
"""


def test_a_stage_killed_inside_its_transaction_leaves_the_workspace_as_it_was(tmp_path: Path) -> None:
    """SIGKILL, not an exception: no rollback runs in the process, and the next open recovers the database from
    what was committed. The labels, flags and runs are those of the last whole run, and nothing is left
    beside the database."""
    ws = _planted(tmp_path)
    stages.run_categorize(ws, stages.CategorizeOptions())
    stages.run_dedup(ws, stages.DedupOptions())

    def state() -> tuple[object, ...]:
        with ws.connect(read_only=True) as con:
            return tuple(
                con.sql(q).fetchall()
                for q in (
                    "SELECT * FROM prompt_labels ORDER BY ALL",
                    "SELECT * FROM flags ORDER BY ALL",
                    "SELECT run_id, stage FROM runs ORDER BY ALL",
                    "SELECT * FROM source_stages ORDER BY ALL",
                )
            )

    before = state()
    assert before[0] and before[1]
    env = {k: v for k, v in os.environ.items() if k != "ARENAVOTES_MEMORY_LIMIT"}
    for stage in ("categorize", "dedup"):
        killed = subprocess.run([sys.executable, "-c", KILLED_STAGE, str(ws.path), stage], capture_output=True, env=env)
        assert killed.returncode == -9, killed.stderr.decode()[-2000:]
        ws.connect().close()  # the next command: recovery, and the sweep
        assert state() == before, stage
    assert [p for p in _files(ws) if p.parent != ws.path] == []
