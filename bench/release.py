"""Time the last mile on the demo workspace: release (gate verdicts cold / as after scrub / warm) and
`publish --dry-run`. Run `make demo` first; prints a table, asserts nothing.

    .venv/bin/python bench/release.py [DEMO_DIR]

Targets (issue 11): demo release <= 15 s, dry run <= 3 s, progress on every step over 2 s.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "arenavotes")


def run(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([CLI, *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - t0


def main() -> None:
    demo = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "demo"
    if not (demo / "arena.duckdb").exists():
        sys.exit(f"{demo}: no workspace; run 'make demo' first")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        shutil.copytree(demo, ws, ignore=shutil.ignore_patterns("releases"))
        con = duckdb.connect(str(ws / "arena.duckdb"))
        scrub_time = con.execute("SELECT count(*) FROM gate_verdicts").fetchall()[0][0]
        con.execute("DELETE FROM gate_verdicts")
        con.close()
        rows.append(
            (
                "release, nothing cached (not even scrub's verdicts)",
                run("release", "-w", str(ws), "cold", "--report", "all", "--date", "2026-11-30"),
                "15 s",
            )
        )
        rows.append(
            (
                "release again, verdicts cached",
                run("release", "-w", str(ws), "warm", "--report", "all", "--date", "2026-11-30"),
                "15 s",
            )
        )
        rows.append(
            (
                "publish --dry-run to the Hub",
                run("publish", "-w", str(ws), "warm", "--to", "hf://datasets/o/n", "--dry-run"),
                "3 s",
            )
        )
        rows.append(
            ("publish to a local hub", run("publish", "-w", str(ws), "warm", "--to", str(Path(tmp) / "hub")), "-")
        )
    print(f"demo workspace {demo} ({scrub_time:,} gate verdicts after make demo)\n")
    print(f"| {'step':55s} | {'seconds':>8s} | goal |")
    print(f"|{'-' * 57}|{'-' * 10}|------|")
    for what, seconds, goal in rows:
        print(f"| {what:55s} | {seconds:8.1f} | {goal} |")
    print(
        "\nThe demo's own release (`make demo`) runs after scrub, which caches the gate's verdicts on the texts "
        "it wrote; its time is printed by make demo."
    )


if __name__ == "__main__":
    main()
