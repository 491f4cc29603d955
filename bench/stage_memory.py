"""One stage of the CLI on existing workspaces: wall, CPU and peak memory, for one or more code trees.

How the memory numbers of docs/scale.md's later stops were taken: the real CLI in a process of its own, the
peak summed PSS of its process tree (``scale.measure``), CPU as user + system of the tree. Each workspace is
run by each code tree in turn, ``--repeat`` rounds interleaved, so that a slow hour hits both alike. A stage
that writes (dedup replaces its flags, rate its boards) leaves the workspace as a fresh run would: the runs
are repeatable. ``--env NAME=VALUE`` sets a variable for every run (e.g. ``MALLOC_MMAP_THRESHOLD_=4194304``,
glibc's mmap threshold; see docs/scale.md). Run by hand, alone; asserts nothing::

    .venv/bin/python bench/stage_memory.py dedup /tmp/ws-1m /tmp/ws-2m --src src --src /tmp/old/src

Workspaces of 1M and 2M conversations: ``bench/synth.py conversations 2000000 log.jsonl``, then ``arenavotes
init``, ``ingest`` and the stages before the one measured (``bench/scale.py --dir`` leaves its workspaces
there too).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import PY, measure


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", help="the CLI command, e.g. dedup, rate, release")
    ap.add_argument("workspaces", nargs="+", type=Path)
    ap.add_argument("--src", action="append", type=Path, help="a src/ folder to run (default: this checkout's)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for every run")
    ap.add_argument("--args", default="", help="more arguments for the stage, as one string")
    args = ap.parse_args()
    trees = args.src or [Path(__file__).resolve().parents[1] / "src"]
    extra = dict(e.split("=", 1) for e in args.env)
    print("| workspace | code | round | wall s | CPU s | peak PSS GB | ok |\n|---|---|---|---:|---:|---:|---|")
    for round_ in range(1, args.repeat + 1):
        for ws in args.workspaces:
            for tree in trees:
                env = {**os.environ, **extra, "PYTHONPATH": str(tree.resolve()), "ARENAVOTES_PROGRESS": "0"}
                cmd = [PY, "-m", "arenavotes", args.stage, "-w", str(ws), *args.args.split()]
                wall, peak, ok, err, cpu = measure(cmd, env)
                print(f"| {ws} | {tree} | {round_} | {wall:.1f} | {cpu:.1f} | {peak:.2f} | {'yes' if ok else err} |")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
