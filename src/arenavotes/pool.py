"""One worker-pool helper for every stage that spreads pure work over processes (bootstrap rounds,
PII analysis, the release gate).

A :class:`WorkerPool` runs ``fn(state, chunk)`` over chunks and returns the results in chunk order, so
output never depends on the number of workers. ``state`` is a dict the parent fills before the workers
start (forked workers inherit it without pickling: large arrays and matrices cost nothing to share);
``init(state)`` runs once per process to add what each process builds for itself (an NLP model, ...).
Workers use one BLAS thread each, or workers x BLAS threads would fight over the cores, and die with
their parent (Linux: ``PR_SET_PDEATHSIG``), so a killed stage leaves no orphans. With
``workers <= 1`` everything runs in this process, through the same code path.

``fresh=True`` starts the workers as new interpreters (``spawn``) instead of forking the stage's process: a
worker forked late shares the parent's heap (DuckDB's buffers, the batch in hand), and as the parent reuses those pages
each worker keeps a private copy of the old ones -- the two pattern-scrub workers of a million-conversation
scrub held 0.8 GB each that way. ``state`` is then pickled to each worker once (use it for small state), and
each worker imports what it runs (a second or two).

>>> def add(state, chunk):
...     return [state["base"] + x for x in chunk]
>>> with WorkerPool(1, {"base": 10}) as pool:
...     pool.map(add, [[1, 2], [3]])
[[11, 12], [13]]
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import multiprocessing as mp
import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

State = dict[str, Any]
#: The state of the pool whose workers are running (inherited by forked workers). One pool at a time.
_SHARED: State = {}


def chunks_of(items: Sequence[T], most: int = 512, least: int = 16, pieces: int = 32) -> list[list[T]]:
    """``items`` cut in order into chunks of one size: about ``pieces`` of them, each of ``least`` to ``most``
    items. The size depends on ``len(items)`` only, never on the number of workers (so neither does any result
    computed chunk by chunk), and a pass has enough chunks that no worker waits long for the last one: 1,965
    texts in fixed chunks of 512 were 4 chunks, and the two workers of a name-finding pass finished up to a
    chunk (~7 s) apart.

    >>> [len(c) for c in chunks_of(list(range(2000)))][:3], len(chunks_of(list(range(2000))))
    ([63, 63, 63], 32)
    >>> [len(c) for c in chunks_of(list(range(40)))], len(chunks_of(list(range(100_000))))
    ([16, 16, 8], 196)
    """
    size = min(most, max(least, -(-len(items) // pieces)))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def cpu_workers(limit: int = 8) -> int:
    """All cores, at most ``limit``: the default number of worker processes."""
    return max(1, min(os.cpu_count() or 1, limit))


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library (Linux), opened once: :class:`Forked` opens it before it forks, so that a child of a process
    with threads does not call the dynamic loader (a lock another thread may have held at the fork)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when its parent dies (an out-of-memory kill of the parent must not leave
    workers holding gigabytes); elsewhere a no-op. If the parent is already gone, leave now."""
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(AttributeError):
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _start_worker(init: Callable[[State], None] | None, parent: int) -> None:
    from threadpoolctl import threadpool_limits

    _die_with_parent(parent)

    threadpool_limits(limits=1)
    if init is not None:
        init(_SHARED)


def _start_fresh_worker(init: Callable[[State], None] | None, parent: int, state: State) -> None:
    """A worker started as a new interpreter: the parent's state arrives pickled."""
    _SHARED.update(state)
    _start_worker(init, parent)


def _call(task: tuple[Callable[[State, Any], Any], Any]) -> Any:
    fn, chunk = task
    return fn(_SHARED, chunk)


class WorkerPool:
    """Processes that run ``fn(state, chunk)``; see the module docstring. Use as a context manager."""

    def __init__(
        self,
        workers: int,
        state: State | None = None,
        init: Callable[[State], None] | None = None,
        *,
        fresh: bool = False,
    ):
        self.workers = max(1, workers)
        self.fresh = fresh
        self.state: State = dict(state or {})
        self._init = init
        self._executor: ProcessPoolExecutor | None = None
        self._ready = False

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def map(
        self, fn: Callable[[State, T], R], chunks: Sequence[T], progress: Callable[[T], None] | None = None
    ) -> list[R]:
        """``[fn(state, c) for c in chunks]``, in worker processes when there are several workers and chunks."""
        if self.workers <= 1 or len(chunks) <= 1:
            if not self._ready and self._init is not None:
                self._init(self.state)
            self._ready = True
            out = []
            for c in chunks:
                out.append(fn(self.state, c))
                if progress:
                    progress(c)
            return out
        if self._executor is None and self.fresh:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=mp.get_context("spawn"),
                initializer=_start_fresh_worker,
                initargs=(self._init, os.getpid(), self.state),
            )
        elif self._executor is None:
            if _SHARED:
                raise RuntimeError("another WorkerPool is running in this process")
            _SHARED.update(self.state)
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=mp.get_context("fork"),
                initializer=_start_worker,
                initargs=(self._init, os.getpid()),
            )
        results = []
        for c, r in zip(chunks, self._executor.map(_call, [(fn, c) for c in chunks]), strict=True):
            results.append(r)
            if progress:
                progress(c)
        return results

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None
            if not self.fresh:
                _SHARED.clear()


class Forked(Generic[R]):
    """``fn(*args)`` in a forked child process while this one goes on; :meth:`result` waits for its value.

    For a pure-Python loop that would otherwise hold the interpreter lock against numpy work on another thread
    (``rate``'s online Elo beside leave-one-voter-out: on a thread, each slowed the other). The child inherits
    ``args`` without copying and runs only ``fn``: it must not use Polars, DuckDB or BLAS, whose thread pools a
    fork does not carry over (numpy arrays and Python objects are fine). The value comes back pickled through a
    pipe; an exception in the child is raised again here. The child dies with this process (Linux
    ``PR_SET_PDEATHSIG``). Where ``os.fork`` is missing, or off Linux (macOS frameworks are not fork-safe), or
    with ``inline=True``, ``fn`` runs here at once: the same value either way.

    >>> with Forked(sum, [1, 2, 3]) as job:
    ...     job.result()
    6
    """

    def __init__(self, fn: Callable[..., R], *args: Any, inline: bool = False) -> None:
        self._pid = 0
        self._fd = -1
        self._done = False
        self._value: R | None = None
        if inline or not hasattr(os, "fork") or not sys.platform.startswith("linux"):
            self._value, self._done = fn(*args), True
            return
        parent = os.getpid()
        _libc()  # opened here, not in the child
        read, write = os.pipe()
        with warnings.catch_warnings():  # Python >= 3.12 warns about forking a process with threads: see above
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: compute, write, leave without running the parent's exit handlers
            code = 0
            try:
                os.close(read)
                _die_with_parent(parent)
                try:
                    data = pickle.dumps((True, fn(*args)))
                except BaseException as exc:
                    data = _pickled_error(exc)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._fd = pid, read

    def result(self) -> R:
        """The child's value (waiting for it), or its exception."""
        if not self._done:
            with os.fdopen(self._fd, "rb") as inp:
                data = inp.read()
            self._fd = -1
            _, status = os.waitpid(self._pid, 0)
            self._pid = 0
            if not data:
                raise RuntimeError(f"a forked worker ended without a result (exit status {status})")
            ok, value = pickle.loads(data)
            if not ok:
                raise value
            self._value, self._done = value, True
        return self._value  # type: ignore[return-value]

    def close(self) -> None:
        """Stop and reap the child if its value was never read (e.g. the parent failed meanwhile)."""
        if self._pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = 0
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Forked[R]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _pickled_error(exc: BaseException) -> bytes:
    try:
        return pickle.dumps((False, exc))
    except Exception:
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
