"""The shared worker pool: same results, in chunk order, whatever the number of workers."""

from __future__ import annotations

import os

import pytest

from arenavotes.pool import WorkerPool


def _scaled(state: dict, chunk: list[int]) -> list[tuple[int, int]]:
    return [(state["factor"] * x, state["pid_seen"]) for x in chunk]


def _init(state: dict) -> None:
    state["pid_seen"] = os.getpid()


def _fail(state: dict, chunk: list[int]) -> int:
    raise ValueError(f"bad chunk {chunk}")


def test_results_in_chunk_order_and_independent_of_workers() -> None:
    chunks = [list(range(i, i + 5)) for i in range(0, 50, 5)]
    out = {}
    for workers in (1, 2):
        with WorkerPool(workers, {"factor": 3}, init=_init) as pool:
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
