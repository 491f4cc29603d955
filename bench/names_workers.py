"""Scrub with names on one worker against two (issue 17: >= 1.8x), on copies of one ingested workspace.

Each run is the real CLI (``scrub --workers N``) on a fresh copy of the same workspace, so no cached verdict
is reused. Wall seconds, CPU seconds of the whole process tree (workers included) and the core-seconds two
workers leave idle (2 x wall - CPU) are printed per run; ``--also SRC`` times another source tree (e.g. the
code before) in the same rounds, interleaved. Run by hand, alone; asserts nothing::

    .venv/bin/python bench/names_workers.py [--conversations 600] [--rounds 2] [--also /tmp/old/src]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")


def run(tree: Path, ws: Path, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds of ``scrub --workers`` run from source tree ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "ARENAVOTES_PROGRESS": "0"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cmd = [PY, "-m", "arenavotes", "scrub", "-w", str(ws), "--workers", str(workers)]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conversations", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--also", type=Path, help="another arenavotes src/ folder to time in the same rounds")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/arenavotes-names-workers"))
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    file = synth.log_in(args.dir, "conversations", args.conversations)
    base = args.dir / "base"
    shutil.rmtree(base, ignore_errors=True)
    cli = str(ROOT / ".venv" / "bin" / "arenavotes")
    subprocess.run([cli, "init", str(base)], check=True, capture_output=True)
    subprocess.run([cli, "ingest", "-w", str(base), str(file), "--source", "synth"], check=True, capture_output=True)
    trees = [ROOT / "src", *([args.also] if args.also else [])]
    print("| round | tree | 1 worker, wall s | 2 workers, wall s (CPU s) | idle core-s on 2 workers | speed-up |")
    print("|---|---|---|---|---|---|")
    for r in range(1, args.rounds + 1):
        for tree in trees:
            walls = {}
            for workers in (1, 2):
                ws = args.dir / "run"
                shutil.rmtree(ws, ignore_errors=True)
                shutil.copytree(base, ws)
                walls[workers] = run(tree, ws, workers)
            (w1, _), (w2, cpu2) = walls[1], walls[2]
            print(
                f"| {r} | {tree} | {w1:.1f} | {w2:.1f} ({cpu2:.1f}) | {2 * w2 - cpu2:.1f} | {w1 / w2:.2f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
