"""Ingest speed on the bundled real logs: wall time per file, median of N runs, fresh database each run.

Run by hand (never a timed test):  .venv/bin/python bench/ingest.py [--runs 3]
Goal (issue 2): the 135,634-row LMArena 140k file in <= 5 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from arenavotes import db
from arenavotes.ingest import ingest_file

ROOT = Path(__file__).resolve().parents[1]
FILES = [
    "data/lmarena-140k/battles.parquet",
    "data/chatbot-arena-33k-votes/human.jsonl.gz",
    "data/llmfao/crowd-comparisons.csv.gz",
    "data/genai-arena-20240220/clean_battle_20240220.json.gz",
    "data/arena-battles-2023-text/battles_with_prompts.jsonl.gz",
    "data/arena-conversations-100/conversations.jsonl.gz",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"{'file':58s} {'records':>9s} {'battles':>9s} {'median s':>9s} {'records/s':>10s}")
    for rel in FILES:
        times = []
        for _ in range(args.runs):
            con = db.connect(None)
            t0 = time.perf_counter()
            r = ingest_file(con, ROOT / rel, key=b"bench")
            times.append(time.perf_counter() - t0)
            con.close()
        med = statistics.median(times)
        print(f"{rel:58s} {r.rows_in:9,d} {r.kept:9,d} {med:9.2f} {r.rows_in / med:10,.0f}")


if __name__ == "__main__":
    main()
