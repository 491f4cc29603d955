"""Shared set-up for the analysis notebooks: where the bundled data is, and a demo release to query.

The notebooks work on any release: set ``ARENAVOTES_RELEASE=/path/to/workspace/releases/v1`` to use
yours. Without it, ``demo_release()`` builds one from the bundled real data (once; cached in
``analysis/_build/``) by running the same commands a user would run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "data" / "README.md").exists())
DATA = ROOT / "data"
BUILD = ROOT / "analysis" / "_build"


def arenavotes(*args: str) -> str:
    """Run the arenavotes command line (the installed package) and return what it printed."""
    r = subprocess.run([sys.executable, "-m", "arenavotes", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"arenavotes {' '.join(args)} failed:\n{r.stderr}")
    return r.stdout


def _current(release: Path) -> bool:
    """Was the cached release built with this version's battle columns (else it is rebuilt)?"""
    import json

    import duckdb

    from arenavotes.schema import BATTLES_DDL

    con = duckdb.connect()
    con.execute(BATTLES_DDL)
    want = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns").fetchall()]
    con.close()
    manifest = json.loads((release / "manifest.json").read_text())
    return [c["name"] for c in manifest.get("schemas", {}).get("battles", [])] == want


def demo_release() -> Path:
    """A release folder: $ARENAVOTES_RELEASE, or v1 built from the bundled 2023 arena battles."""
    if os.environ.get("ARENAVOTES_RELEASE"):
        return Path(os.environ["ARENAVOTES_RELEASE"])
    ws = BUILD / "workspace"
    release = ws / "releases" / "v1"
    if (release / "manifest.json").exists() and _current(release):
        return release
    if ws.exists():
        import shutil

        shutil.rmtree(ws)
    arenavotes("init", str(ws))
    arenavotes(
        "ingest",
        "-w",
        str(ws),
        "--source",
        "arena-2023",
        str(DATA / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz"),
    )
    arenavotes(
        "ingest",
        "-w",
        str(ws),
        "--source",
        "genai-arena",
        str(DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz"),
    )
    for stage in ("scrub", "dedup", "categorize"):
        arenavotes(stage, "-w", str(ws))
    arenavotes("rate", "-w", str(ws), "--source", "arena-2023")
    arenavotes("release", "-w", str(ws), "v1")
    return release
