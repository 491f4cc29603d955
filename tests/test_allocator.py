"""The CLI's glibc malloc setting (arenavotes.allocator): made before any thread starts, observable, and a
user's own setting wins."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from arenavotes.allocator import settings

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's malloc only"
)
CAP = max(2, os.cpu_count() or 1)

# In a fresh interpreter: import the CLI, run one DuckDB query on 4x CAP threads (each new thread that allocates
# gets an arena of its own while there are fewer than the limit), then count the arenas malloc_info lists.
PROBE = f"""
import ctypes, os, tempfile
import arenavotes.cli
import duckdb
con = duckdb.connect()
con.execute("SET threads = {4 * CAP}")
con.execute("SELECT count(DISTINCT ((range * 7919) % 1000003)::VARCHAR || 'x') FROM range(3000000)").fetchall()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.fclose.argtypes = [ctypes.c_void_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
fd, path = tempfile.mkstemp()
os.close(fd)
fp = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, fp)
libc.fclose(fp)
print(open(path).read().count("<heap nr="))
os.remove(path)
"""


def _arenas(env: dict[str, str]) -> int:
    mine = ("ARENAVOTES_MALLOC", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES")
    base = {k: v for k, v in os.environ.items() if k not in mine}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**base, **env}, capture_output=True, text=True, check=True)
    return int(out.stdout)


@glibc
def test_the_cli_keeps_one_arena_per_core_and_a_users_setting_wins() -> None:
    assert _arenas({}) <= CAP
    # the breach this test exists to catch: with glibc's defaults the query's threads get an arena each
    assert _arenas({"ARENAVOTES_MALLOC": "default"}) > CAP
    assert _arenas({"MALLOC_ARENA_MAX": str(CAP + 1)}) == CAP + 1


def test_settings_leave_what_the_user_set() -> None:
    assert settings({}) == {"M_ARENA_MAX": CAP}
    assert settings({"MALLOC_ARENA_MAX": "1"}) == {}
    assert settings({"GLIBC_TUNABLES": "glibc.malloc.arena_max=8"}) == {}
    assert settings({"ARENAVOTES_MALLOC": "default"}) == {}
