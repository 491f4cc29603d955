"""Prompt-to-leaderboard, measured: held-out-prompt log-loss against the overall and per-category boards, and
the speed of the index build and of scoring prompts. Run by hand:

    .venv/bin/python bench/p2l.py                                  # the bundled real logs with prompts
    .venv/bin/python bench/p2l.py --workspace W --source S ...      # any workspace (e.g. AlpacaEval, below)
    .venv/bin/python bench/p2l.py --speed W --source S             # index build and 1,000 prompts scored

Each evaluation holds out prompts (5 folds by prompt, seed 0); the index of each fold is built and tuned on
the other folds only. The gain is 1 - log-loss(P2L) / log-loss(board), with a 95% bootstrap interval over
held-out prompts. AlpacaEval 2.0's public annotations (tatsu-lab/alpaca_eval, results/*/weighted_alpaca_eval_
gpt4_turbo/annotations.json; CC BY-NC 4.0, not shipped here) go in with
``arenavotes ingest --format alpacaeval`` after joining the files into one JSON list.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).parent / "arenavotes")
BUNDLED = [
    ("arena-2023", ROOT / "data" / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz"),
    ("arena-conv-100", ROOT / "data" / "arena-conversations-100" / "conversations.jsonl.gz"),
    ("copilot-arena", ROOT / "tests" / "data" / "outside" / "copilot-arena" / "copilot_arena_examples_v1.csv"),
]


def sh(*args: str) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([EXE, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {r.stderr}")
    return r


def evaluate(ws: Path, source: str, folds: int) -> dict[str, object]:
    t0 = time.perf_counter()
    r = sh("p2l", "-w", str(ws), "--source", source, "--evaluate", "--folds", str(folds), "--format", "json")
    out = json.loads(r.stdout)
    out["seconds"] = time.perf_counter() - t0
    return out


def speed(ws: Path, source: str, n_prompts: int = 1000, cold: bool = False) -> tuple[float, float, int]:
    """(index build seconds, seconds to score n_prompts prompts from a file, prompts indexed); ``cold``: empty
    the workspace's embedding cache first, so the build encodes every prompt."""
    import duckdb

    if cold:
        con = duckdb.connect(str(ws / "arena.duckdb"))
        con.execute("DELETE FROM embeddings")
        con.close()
    t0 = time.perf_counter()
    r = sh("p2l", "-w", str(ws), "--source", source, "--rebuild", "warm up")
    build = time.perf_counter() - t0
    indexed = int(r.stderr.split(" votes on ")[1].split(" distinct")[0].replace(",", ""))
    con = duckdb.connect(str(ws / "arena.duckdb"), read_only=True)
    texts = [t for (t,) in con.sql(f"SELECT content FROM prompts WHERE turn = 1 LIMIT {n_prompts}").fetchall()]
    con.close()
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "prompts.jsonl"
        f.write_text(
            "".join(json.dumps({"id": str(n), "prompt": "new: " + (t or "")}) + "\n" for n, t in enumerate(texts))
        )
        t0 = time.perf_counter()
        sh("p2l", "-w", str(ws), "--source", source, "--prompts", str(f), "--format", "json")
        score = time.perf_counter() - t0
    return build, score, indexed


def row(name: str, r: dict[str, object]) -> str:
    m = r["methods"]  # type: ignore[index]
    b, p = m["board"], m["p2l"]  # type: ignore[index]
    cat = m.get("category")  # type: ignore[union-attr]
    gi = p["gain_interval"]
    ch = ", ".join(f"{c['k']}/{c['lam']:g}" for c in r["chosen"])  # type: ignore[union-attr]
    cat_s = f"{100 * cat['gain']:+.2f}%" if cat else "-"
    return (
        f"| {name} | {r['votes']:,} | {r['prompts']:,} | {b['log_loss']:.4f} | {p['log_loss']:.4f} | "
        f"{100 * p['gain']:+.2f}% [{100 * gi[0]:+.2f}, {100 * gi[1]:+.2f}] | {cat_s} | "
        f"{b['brier']:.4f} / {p['brier']:.4f} | {ch} | {r['seconds']:.0f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", type=Path, help="evaluate this workspace's --source(s) instead of the bundled logs")
    ap.add_argument("--source", action="append", default=[], help="source of --workspace / --speed (repeatable)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--speed", type=Path, metavar="WS", help="time the index build and 1,000 prompts scored")
    ap.add_argument(
        "--cold", action="store_true", help="with --speed: empty WS's embedding cache first (a scratch WS!)"
    )
    a = ap.parse_args()
    if a.speed:
        for s in a.source:
            build, score, n = speed(a.speed, s, cold=a.cold)
            kind = "cold (every prompt encoded)" if a.cold else "warm (embeddings cached)"
            print(
                f"| {s} | {n:,} prompts indexed | build {build:.1f} s, {kind} | 1,000 prompts scored in {score:.1f} s |"
            )
        return
    print(
        "| log | votes | held-out prompts | board log-loss | P2L log-loss | P2L gain [95% CI] | category-board gain "
        "| Brier board / P2L | k/lam per fold | s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    if a.workspace:
        for s in a.source:
            print(row(s, evaluate(a.workspace, s, a.folds)), flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        sh("init", str(ws))
        for name, path in BUNDLED:
            sh("ingest", "-w", str(ws), "--source", name, str(path))
        sh("categorize", "-w", str(ws))
        for name, _ in BUNDLED:
            print(row(name, evaluate(ws, name, a.folds)), flush=True)


if __name__ == "__main__":
    main()
