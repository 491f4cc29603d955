"""Shared fixtures: paths to the bundled real data and fresh workspaces/connections."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from arenavotes import db

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TEST_DATA = ROOT / "tests" / "data"
# the full public files (CI and developers have them beside the checkout; a user's clone may not)
SHARED = Path(os.environ.get("ARENAVOTES_SHARED_DATA", ROOT.parent / "shared" / "data"))

KEY = b"test-secret"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """An in-memory database with the canonical tables."""
    c = db.connect(None)
    yield c
    c.close()


def shared(path: str) -> Path:
    """A file of ../shared/data, or skip the test when that folder is absent (a user's clone)."""
    p = SHARED / path
    if not p.exists():
        pytest.skip(f"{p} not available")
    return p


EXE = shutil.which("arenavotes") or str(Path(sys.executable).parent / "arenavotes")


def run(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed ``arenavotes`` script, as a user runs it (a subprocess with a bare environment)."""
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, input=stdin, timeout=300,
                          env={"PATH": str(Path(EXE).parent), "HOME": str(cwd or Path.cwd())})
