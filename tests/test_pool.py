"""The shared worker pool: same results, in chunk order, whatever the number of workers."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arenavotes.pool import Forked, WorkerPool


def _scaled(state: dict, chunk: list[int]) -> list[tuple[int, int]]:
    return [(state["factor"] * x, state["pid_seen"]) for x in chunk]


def _init(state: dict) -> None:
    state["pid_seen"] = os.getpid()


def _fail(state: dict, chunk: list[int]) -> int:
    raise ValueError(f"bad chunk {chunk}")


@pytest.mark.parametrize("fresh", [False, True])
def test_results_in_chunk_order_and_independent_of_workers(fresh: bool) -> None:
    chunks = [list(range(i, i + 5)) for i in range(0, 50, 5)]
    out = {}
    for workers in (1, 2):
        with WorkerPool(workers, {"factor": 3}, init=_init, fresh=fresh) as pool:
            res = pool.map(_scaled, chunks)
        out[workers] = [v for part in res for v, _ in part]
        pids = {pid for part in res for _, pid in part}
        # one process runs init once; two workers each ran init in their own process
        assert (pids == {os.getpid()}) if workers == 1 else (os.getpid() not in pids)
    assert out[1] == out[2] == [3 * x for x in range(50)]


def test_progress_and_reuse_across_maps() -> None:
    seen: list[list[int]] = []
    with WorkerPool(2, {"factor": 1}, init=_init) as pool:
        first = pool.map(_scaled, [[1], [2], [3]], progress=seen.append)
        second = pool.map(_scaled, [[4], [5]])
    assert seen == [[1], [2], [3]]
    assert [p[0][0] for p in first + second] == [1, 2, 3, 4, 5]


def test_a_worker_error_reaches_the_caller_and_the_pool_can_be_used_again() -> None:
    with pytest.raises(ValueError, match="bad chunk"), WorkerPool(2) as pool:
        pool.map(_fail, [[1], [2]])
    with WorkerPool(2, {"factor": 2}, init=_init) as pool:
        assert [p[0][0] for p in pool.map(_scaled, [[1], [2]])] == [2, 4]


_ORPHAN_TASKS = """
import os, time

def pid(state, chunk):
    time.sleep(0.2)
    return os.getpid()

def hang(state, chunk):
    time.sleep(600)
"""

_ORPHAN_SCRIPT = """
import sys
from arenavotes.pool import WorkerPool
from orphan_tasks import hang, pid

if __name__ == "__main__":
    with WorkerPool(2, fresh=sys.argv[1] == "fresh") as pool:
        pids = sorted(set(pool.map(pid, [[i] for i in range(8)])))
        print(" ".join(map(str, pids)), flush=True)
        pool.map(hang, [[1], [2]])
"""


@pytest.mark.parametrize("start", ["fork", "fresh"])
def test_workers_die_with_a_killed_parent(tmp_path, start: str) -> None:
    """An out-of-memory kill of a stage (SIGKILL, no cleanup) must not leave its workers running -- forked
    from the stage, or started by a fork server (``fresh``)."""
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "orphan_tasks.py").write_text(_ORPHAN_TASKS)
    (tmp_path / "orphan_main.py").write_text(_ORPHAN_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "orphan_main.py"), start], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert pids and proc.pid not in pids
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in pids if _running(p)]
    assert not alive, f"orphaned workers still running: {alive}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its reaper is dead already
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _fails(x: int) -> int:
    raise ValueError(f"bad {x}")


def _child_pid(_: int) -> int:
    return os.getpid()


@pytest.mark.parametrize("inline", [False, True])
def test_forked_gives_the_value_or_the_error_of_the_same_call_here(inline: bool) -> None:
    with Forked(sorted, [3, 1, 2], inline=inline) as job:
        assert job.result() == [1, 2, 3] and job.result() == [1, 2, 3]
    with pytest.raises(ValueError, match="bad 7"), Forked(_fails, 7, inline=inline) as job:
        job.result()
    with Forked(_child_pid, 0, inline=inline) as job:
        assert (job.result() == os.getpid()) is inline


def test_forked_reaps_a_child_whose_value_is_never_read() -> None:
    import time

    job = Forked(time.sleep, 600)
    pid = job._pid
    assert pid and _running(pid)
    job.close()
    assert not _running(pid)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


_FORKED_SCRIPT = """
import os, sys, time
from arenavotes.pool import Forked

def hang(path):
    open(path, "w").write(str(os.getpid()))
    time.sleep(600)

if __name__ == "__main__":
    with Forked(hang, sys.argv[1]) as job:
        job.result()
"""


def test_a_forked_child_dies_with_a_killed_parent(tmp_path) -> None:
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "forked_main.py").write_text(_FORKED_SCRIPT)
    marker = tmp_path / "child.pid"
    proc = subprocess.Popen([sys.executable, str(tmp_path / "forked_main.py"), str(marker)])
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(marker.read_text())
    assert child != proc.pid and _running(child)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(child), f"orphaned forked child still running: {child}"


@given(n=st.integers(0, 40_000), most=st.integers(1, 600), least=st.integers(1, 64), pieces=st.integers(1, 64))
def test_chunks_keep_order_and_one_size_set_by_the_count_alone(n: int, most: int, least: int, pieces: int) -> None:
    """Chunks are the items in order, all of one size but the last, the size within [least, most] (``most`` wins)
    and enough of them for every worker when the items allow: no argument says how many workers there are."""
    from arenavotes.pool import chunks_of

    items = list(range(n))
    chunks = chunks_of(items, most=most, least=least, pieces=pieces)
    assert [x for c in chunks for x in c] == items
    sizes = {len(c) for c in chunks[:-1]}
    assert len(sizes) <= 1 and all(len(c) > 0 for c in chunks)
    if chunks:
        size = len(chunks[0])
        assert size <= most and (size >= least or size in (n, most))
        assert len(chunks[-1]) <= size
        if least <= most and n >= pieces * least and -(-n // pieces) <= most:
            assert len(chunks) <= pieces
