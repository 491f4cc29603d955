"""The Ray engines against the local one on the same workspace: seconds, and whether the outputs are identical.

For each stage that can run on Ray Data over parquet shards (``dedup``'s near-duplicate sketches,
``categorize``, ``embed``) and for ``scrub`` on Ray actors, the same ingested synthetic log (bench/synth.py:
real arena texts, resampled votes) is copied twice; one copy runs the stage with ``--engine local``, the
other with ``--engine ray`` (a local Ray started by the command, on every core of this machine), both through
the real CLI, in the pipeline's order. Then the tables each stage writes are compared row for row (run ids
aside). Run by hand; asserts nothing.

    .venv/bin/python bench/ray_engines.py --conversations 10000

On one machine Ray can only add its start-up and the shard round trip; the point of the engine is a cluster
(docs/scale.md, "Beyond one machine"), the point of this script is that the outputs do not change.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "arenavotes")

#: (stage, CLI arguments, the query of what it wrote)
STAGES = [
    ("scrub --no-ner", ["scrub", "--no-ner"], "SELECT * FROM conversations ORDER BY ALL"),
    ("dedup", ["dedup"], "SELECT * EXCLUDE (run_id) FROM flags ORDER BY ALL"),
    ("categorize", ["categorize"], "SELECT * FROM prompt_labels ORDER BY ALL"),
    ("embed", ["embed"], "SELECT encoder, text_hash, vector FROM embeddings ORDER BY ALL"),
]


def run(ws: Path, args: list[str]) -> float:
    t = time.perf_counter()
    done = subprocess.run(
        [CLI, args[0], "-w", str(ws), *args[1:]],
        capture_output=True,
        text=True,
        env={**os.environ, "ARENAVOTES_PROGRESS": "0"},
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} on {ws.name} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - t


def rows(ws: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(ws / "arena.duckdb"), read_only=True)
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=10_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/arenavotes-ray-bench"))
    a = ap.parse_args()
    a.dir.mkdir(parents=True, exist_ok=True)
    file = synth.log_in(a.dir, "conversations", a.conversations)
    base = a.dir / "base"
    shutil.rmtree(base, ignore_errors=True)
    subprocess.run([CLI, "init", str(base)], check=True, capture_output=True)
    run(base, ["ingest", str(file), "--source", "synth", "--license", "cc-by-4.0"])
    local, on_ray = a.dir / "local", a.dir / "ray"
    for ws in (local, on_ray):
        shutil.rmtree(ws, ignore_errors=True)
        shutil.copytree(base, ws)
    print(f"{a.conversations:,} synthetic conversations, {os.cpu_count()} cores\n")
    print("| stage | local s | ray s | rows written | identical |")
    print("|---|---|---|---|---|")
    for stage, args, query in STAGES:
        t_local = run(local, args)
        t_ray = run(on_ray, [*args, "--engine", "ray"])
        want, got = rows(local, query), rows(on_ray, query)
        print(
            f"| {stage} | {t_local:.1f} | {t_ray:.1f} | {len(want):,} | {'yes' if got == want else 'NO'} |", flush=True
        )


if __name__ == "__main__":
    main()
