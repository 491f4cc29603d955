"""Ingest of battles without text against DuckDB's floor, side by side in one run (issue 17: <= 3x).

Each measurement is a separate process, interleaved over ``--repeat`` rounds (median reported):

* ``floor, in memory``: the issue's floor, ``CREATE TABLE AS SELECT * FROM read_parquet(file)`` in memory;
* ``floor, to a file``: the same into a database file, as ingest writes one;
* ``our rows, copied``: the rows ingest writes (``battles`` and ``prompt_labels``, from a workspace this
  script ingested first) copied by DuckDB into a fresh database file: what writing the canonical tables
  costs with no parsing, checking, hashing or pseudonymising at all;
* ``arenavotes ingest``: the real CLI on a fresh workspace.

Run by hand, alone (the machine's load moves every number); asserts nothing::

    .venv/bin/python bench/ingest_floor.py --battles 1000000 [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "arenavotes")
PY = str(ROOT / ".venv" / "bin" / "python")


def timed(cmd: list[str]) -> float:
    """Wall seconds of ``cmd``; ``PYTHONPATH=DIR`` as its first word runs it on that source tree."""
    env = {**os.environ, "ARENAVOTES_PROGRESS": "0"}
    if cmd[0].startswith("PYTHONPATH="):
        env["PYTHONPATH"] = cmd.pop(0).split("=", 1)[1]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--battles", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/arenavotes-ingest-floor"))
    ap.add_argument("--also", type=Path, help="another arenavotes src/ folder to time beside (e.g. a checkout before)")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    file = synth.log_in(args.dir, "battles", args.battles)
    ws = args.dir / "ws"

    def ingest(src: Path | None = None) -> list[str]:
        shutil.rmtree(ws, ignore_errors=True)
        subprocess.run([CLI, "init", str(ws)], check=True, capture_output=True)
        cli = [f"PYTHONPATH={src}", PY, "-m", "arenavotes"] if src else [CLI]
        return [*cli, "ingest", "-w", str(ws), str(file), "--source", "synth", "--license", "cc-by-4.0"]

    subprocess.run(ingest(), check=True, capture_output=True)  # the rows to copy
    floor_db = args.dir / "floor.db"
    shutil.copy(ws / "arena.duckdb", args.dir / "ours.duckdb")
    out = args.dir / "copy.db"
    copy = (
        f"import duckdb, os\n"
        f"[os.remove(p) for p in ({str(out)!r}, {str(out) + '.wal'!r}) if os.path.exists(p)]\n"
        f"con = duckdb.connect({str(out)!r})\n"
        f"con.execute(\"ATTACH '{args.dir / 'ours.duckdb'}' AS s (READ_ONLY)\")\n"
        "con.execute('CREATE TABLE battles AS SELECT * FROM s.battles')\n"
        "con.execute('CREATE TABLE prompt_labels AS SELECT * FROM s.prompt_labels')\n"
    )

    def bare(db: str) -> list[str]:
        code = (
            f"import duckdb, os\n[os.remove(p) for p in ({db!r}, {db + '.wal'!r}) if os.path.exists(p)]\n"
            f"con = duckdb.connect({db!r})\n"
            f"con.execute(\"CREATE TABLE t AS SELECT * FROM read_parquet('{file}')\")\n"
        )
        return [PY, "-c", code]

    plans = {
        "floor, in memory": lambda: bare(":memory:"),
        "floor, to a file": lambda: bare(str(floor_db)),
        "our rows, copied": lambda: [PY, "-c", copy],
        "arenavotes ingest": ingest,
    }
    if args.also:
        plans[f"arenavotes ingest ({args.also})"] = lambda: ingest(args.also)
    times: dict[str, list[float]] = {k: [] for k in plans}
    for _ in range(args.repeat):
        for name, cmd in plans.items():
            times[name].append(timed(cmd()))
    base = statistics.median(times["floor, in memory"])
    size = file.stat().st_size / 1e6
    print(f"{args.battles:,} battles without text ({size:.1f} MB parquet), median of {args.repeat} interleaved runs")
    print("| measurement | seconds (median) | runs | x floor in memory |\n|---|---:|---|---:|")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| {name} | {med:.2f} | {' / '.join(f'{t:.2f}' for t in ts)} | {med / base:.1f}x |")


if __name__ == "__main__":
    main()
