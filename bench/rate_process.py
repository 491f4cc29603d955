"""Whole-process rating speed: `arenavotes rate` as a user runs it (start-up, loading the battles from the
workspace, the fit with sandwich intervals, leave-one-voter-out influence, online Elo, writing the board)
against arena-rank 0.1.1 doing only its fit with intervals from a parquet file, each in a fresh process.

The battles come from `arenavotes.ratings.simulate` (Zipf popularity, ties and both-bad votes) with voter
ids; they are ingested once, untimed. arena-rank runs in `.venv-bench` (`make bench-ratings` builds it);
without it, its rows say so. Wall seconds and peak RSS of the child process, median of --repeat runs.

Usage: python bench/rate_process.py [--sizes 200:1000000] [--repeat 3]
Prints one table; never asserts anything.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from arenavotes.ratings.simulate import simulate_battles

ROOT = Path(__file__).resolve().parents[1]
BENCH_PY = ROOT / ".venv-bench" / "bin" / "python"
ARENA_RANK = """
import sys
import pandas as pd
from arena_rank.models.bradley_terry import BradleyTerry
from arena_rank.utils.data_utils import PairDataset
df = pd.read_parquet(sys.argv[1], columns=["model_a", "model_b", "winner"])
df["winner"] = df["winner"].replace({"tie_bothbad": "both_bad"})
ds = PairDataset.from_pandas(df)
out = BradleyTerry(n_competitors=len(ds.competitors)).compute_ratings_and_cis(ds, significance_level=0.05)
"""


def child(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in GB) of one child process (its own rusage, from wait4)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise RuntimeError(f"{cmd[0]} failed: {err.read().decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024 / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="200:1000000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "arenavotes")
    print(f"cores: {os.cpu_count()}; each run is a fresh process")
    print("| K | N | tool | wall s (median) | peak RSS GB |")
    print("|---|---|---|---|---|")
    for spec in args.sizes.split(","):
        k, n = (int(x) for x in spec.split(":"))
        battles = simulate_battles(k=k, n=n, seed=0)[0]
        rng = np.random.default_rng(0)
        battles = battles.with_columns(
            judge=pl.Series([f"v{v}" for v in rng.zipf(1.3, battles.height) % 50_000]),
            question_id=pl.Series([f"q{i}" for i in range(battles.height)]),
            tstamp=pl.Series(1.7e9 + np.arange(battles.height, dtype=float)),
            anony=pl.lit(True),
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "battles.parquet"
            battles.write_parquet(path)
            ws = Path(tmp) / "ws"
            subprocess.run([exe, "init", str(ws)], check=True, capture_output=True)
            subprocess.run([exe, "ingest", "-w", str(ws), "--source", "b", str(path)], check=True, capture_output=True)
            ours = [
                child([exe, "rate", "-w", str(ws), "--source", "b", "--scope", f"r{i}"]) for i in range(args.repeat)
            ]
            wall = statistics.median(w for w, _ in ours)
            print(
                f"| {k} | {n:,} | arenavotes rate (sandwich, LOO, online Elo) | {wall:.2f} | {max(r for _, r in ours):.2f} |"
            )
            if BENCH_PY.exists():
                peer = [child([str(BENCH_PY), "-c", ARENA_RANK, str(path)]) for _ in range(args.repeat)]
                pw = statistics.median(w for w, _ in peer)
                print(
                    f"| {k} | {n:,} | arena-rank 0.1.1 (fit + sandwich CI only) | {pw:.2f} | {max(r for _, r in peer):.2f} |"
                )
                print(f"| | | ratio arena-rank / arenavotes | {pw / wall:.1f}x | |")
            else:
                print(f"| {k} | {n:,} | arena-rank: not installed (make bench-ratings) | - | - |")


if __name__ == "__main__":
    main()
