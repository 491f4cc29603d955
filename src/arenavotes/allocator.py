"""glibc's malloc, set for a process that streams batches: one arena per core.

Why: DuckDB, the tokenizers, numpy and Python allocate through glibc's malloc. Every new thread that allocates
gets an arena of its own while there are fewer than 8 per core (16 on two cores), and each arena keeps what
was freed in it for its own reuse. A stage's threads (DuckDB's, Polars', the tokenizer's, BLAS's) fill
many, so memory freed by one batch's work sits in an arena the next batch's allocations may not use, and the
stage's memory drifts above what it holds. A process that imported the CLI and ran one DuckDB query on 8 threads
had 16 arenas; with the limit set before the imports, 2.

Measured on categorize (traced in process, the mean of each batch's peak over 60 batches of the synthetic 1M-
and 2M-conversation workspaces; docs/scale.md, seventh stop of 6 December): 1.13 -> 1.08 GB at 1M and
1.15 -> 1.09 GB at 2M, at the same speed (dedup of 1M battles 8.1-8.7 s before, 8.1-8.4 s with it). A fixed
1 MB mmap threshold took another 0.02 GB off categorize but cost dedup 25% more wall time in page faults,
so it is not set.

The CLI calls :func:`tune` first thing, before it imports anything that starts threads. A user's own setting
wins: ``MALLOC_ARENA_MAX`` or ``GLIBC_TUNABLES`` in the environment, or ``ARENAVOTES_MALLOC=default``, leave
glibc's defaults. Elsewhere than glibc (macOS, musl) it does nothing.

>>> tune({"ARENAVOTES_MALLOC": "default"})
{}
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Mapping

#: mallopt's parameter numbers (malloc.h) of the settings :func:`settings` names
PARAMETERS = {"M_ARENA_MAX": -8}


def settings(env: Mapping[str, str]) -> dict[str, int]:
    """The mallopt settings :func:`tune` makes under ``env`` (parameter name -> value).

    >>> settings({}) == {"M_ARENA_MAX": max(2, os.cpu_count() or 1)}
    True
    >>> settings({"MALLOC_ARENA_MAX": "4"})
    {}
    >>> settings({"GLIBC_TUNABLES": "glibc.malloc.arena_max=8"})
    {}
    """
    if env.get("ARENAVOTES_MALLOC") == "default" or "GLIBC_TUNABLES" in env or "MALLOC_ARENA_MAX" in env:
        return {}
    return {"M_ARENA_MAX": max(2, os.cpu_count() or 1)}


def tune(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """Apply :func:`settings` through glibc's ``mallopt``; returns what was set (nothing off glibc)."""
    wanted = settings(os.environ if env is None else env)
    if not wanted or platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return {}
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return {}
    return {name: value for name, value in wanted.items() if mallopt(PARAMETERS[name], value) == 1}
