"""Growth of the whole pipeline with N: seconds, CPU seconds, peak memory and rows/s per stage, and the exponent.

Each stage runs as the real CLI in its own process on a workspace built from a synthetic log
(bench/synth.py: real arena texts, resampled votes). Peak memory is the highest summed PSS (proportional set
size) of the stage's process tree, the CLI and its workers, sampled every 100 ms: pages a forked worker shares
with its parent count once, where a sum of RSS would count them once per process. Beside ingest, the floor: a bare DuckDB
``CREATE TABLE AS SELECT * FROM read_json/read_parquet`` of the same file in the same run. The growth
exponent b is the least-squares slope of log(seconds) on log(N): 1.0 is linear. Run by hand; asserts nothing.

    .venv/bin/python bench/scale.py --conversations 10000,100000 --battles 1000000 [--figure docs/scale.png]
    .venv/bin/python bench/scale.py --conversations 1000000 --battles 5000000 > big.log   # slow: apart
    .venv/bin/python bench/scale.py --merge big.log --figure docs/scale.png   # both in one table and figure
    .venv/bin/python bench/scale.py --conversations 100000 --battles '' --family 10   # long prompts, fixed families

Goals (issue 17): every stage <= 2 GB at 100k and 1M conversations, <= 1 GB for 5M battles without text;
ingest <= 3x the DuckDB floor and >= 5,000 conversations/s per core; release <= 60 s at 100k.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "arenavotes")
PY = str(ROOT / ".venv" / "bin" / "python")

#: the text pipeline, in order: (stage, CLI arguments after the workspace)
TEXT_STAGES: list[tuple[str, list[str]]] = [
    ("ingest", ["ingest", "{file}", "--source", "synth", "--license", "cc-by-4.0"]),
    ("scrub --no-ner", ["scrub", "--no-ner"]),
    ("dedup", ["dedup"]),
    ("categorize", ["categorize"]),
    ("rate", ["rate", "--source", "synth"]),
    ("release", ["release", "v1", "--date", "2026-12-01"]),
]
BATTLE_STAGES: list[tuple[str, list[str]]] = [
    ("ingest", ["ingest", "{file}", "--source", "synth", "--license", "cc-by-4.0"]),
    ("dedup", ["dedup"]),
    ("rate", ["rate", "--source", "synth"]),
]


@dataclass
class Row:
    kind: str
    n: int
    stage: str
    seconds: float
    peak_gb: float
    ok: bool
    cpu: float | None = None  # user + system CPU seconds of the stage's process tree (None: an older table)


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, bool, str, float]:
    """Wall seconds, peak summed PSS of the process tree (GB), success, the last lines of stderr, and the CPU
    seconds (user + system) of the process and every descendant it waited for (its workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    root = psutil.Process(proc.pid)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:  # the stage just ended
                procs = []
            for p in procs:
                # proportional set size: pages a forked worker shares with its parent count once
                with contextlib.suppress(psutil.Error):
                    total += p.memory_full_info().pss
            peak = max(peak, total)
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    done.set()
    th.join()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak / 1e9, proc.returncode == 0, "\n".join(err.strip().splitlines()[-3:]), cpu


def floor(file: Path) -> tuple[float, float, bool, str, float]:
    reader = "read_parquet" if file.suffix == ".parquet" else "read_json_auto"
    code = f"import duckdb; con = duckdb.connect(); con.execute(\"CREATE TABLE t AS SELECT * FROM {reader}('{file}')\")"
    return measure([PY, "-c", code])


def run_pipeline(
    kind: str, n: int, work: Path, stages: list[tuple[str, list[str]]], names: bool, family: int = 0
) -> list[Row]:
    file = synth.log_in(work, kind, n, family)
    ws = work / f"ws-{kind}-{f'fam{family}-' if family else ''}{n}"
    shutil.rmtree(ws, ignore_errors=True)
    subprocess.run([CLI, "init", str(ws)], check=True, capture_output=True)
    if not names:  # pattern-only scrub, and a pattern-only release gate (the "gate without NER")
        toml = ws / "arenavotes.toml"
        toml.write_text(toml.read_text().replace("# ner = true", "ner = false"))
    rows = []
    secs, gb, ok, _, cpu = floor(file)
    rows.append(Row(kind, n, "(floor: bare DuckDB copy)", secs, gb, ok, cpu))
    print(f"  {kind} {n:,}: floor {secs:.1f} s", flush=True)
    plan = list(stages)
    if names:
        plan = [("scrub (names)", ["scrub"]) if s == "scrub --no-ner" else (s, a) for s, a in plan]
    for stage, args in plan:
        argv = [a.format(file=file) for a in args]
        cmd = [CLI, argv[0], "-w", str(ws), *argv[1:]]
        secs, gb, ok, err, cpu = measure(cmd, env={**os.environ, "ARENAVOTES_PROGRESS": "0"})
        rows.append(Row(kind, n, stage, secs, gb, ok, cpu))
        print(
            f"  {kind} {n:,}: {stage} {secs:.1f} s {cpu:.1f} CPU-s {gb:.2f} GB {'ok' if ok else 'FAILED: ' + err}",
            flush=True,
        )
    return rows


def exponent(points: list[tuple[int, float]]) -> float | None:
    pts = [(math.log(n), math.log(s)) for n, s in points if s > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def table(rows: list[Row]) -> str:
    out = [
        "| log | N | stage | seconds | CPU seconds | peak memory, PSS (GB) | rows/s | rows per CPU-second | growth b |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in ("conversations", "battles"):
        stages = list(dict.fromkeys(r.stage for r in rows if r.kind == kind))
        for stage in stages:
            mine = [r for r in rows if r.kind == kind and r.stage == stage]
            b = exponent([(r.n, r.seconds) for r in mine if r.ok])
            for r in mine:
                rate = f"{r.n / r.seconds:,.0f}" if r.ok else "failed"
                g = f"{b:.2f}" if b is not None and r is mine[-1] else ""
                cpu = f"{r.cpu:.1f}" if r.cpu is not None else ""
                per_cpu = f"{r.n / r.cpu:,.0f}" if r.ok and r.cpu else ""
                out.append(
                    f"| {kind} | {r.n:,} | {stage} | {r.seconds:.1f} | {cpu} | {r.peak_gb:.2f} | {rate} | {per_cpu} | {g} |"
                )
    return "\n".join(out)


def read_table(path: Path) -> list[Row]:
    """The rows of the table an earlier run printed (its ``|``-lines), to merge with this run's."""
    out = []
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) not in (7, 9) or cells[0] not in ("conversations", "battles"):
            continue
        if len(cells) == 7:  # a table of the scripts before the CPU columns
            kind, n, stage, secs, gb, rate, _ = cells
            cpu = ""
        else:
            kind, n, stage, secs, cpu, gb, rate, _, _ = cells
        # a cell may carry a note after its number ("1.75 (RSS)")
        num = [float(x.split()[0].replace(",", "")) for x in (secs, gb)]
        cpu_s = float(cpu.split()[0].replace(",", "")) if cpu else None
        out.append(Row(kind, int(n.replace(",", "")), stage, num[0], num[1], rate != "failed", cpu_s))
    return out


def figure(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for kind, marker in (("conversations", "o"), ("battles", "s")):
        for stage in dict.fromkeys(r.stage for r in rows if r.kind == kind):
            mine = sorted((r for r in rows if r.kind == kind and r.stage == stage and r.ok), key=lambda r: r.n)
            if len(mine) < 1:
                continue
            label = f"{stage} ({'text' if kind == 'conversations' else 'no text'})"
            ax1.plot([r.n for r in mine], [r.seconds for r in mine], marker=marker, label=label)
            sampled = [r for r in mine if r.peak_gb > 0]  # a merged row may carry no memory (not sampled)
            ax2.plot([r.n for r in sampled], [r.peak_gb for r in sampled], marker=marker, label=label)
    for ax, title in ((ax1, "wall seconds"), (ax2, "peak memory (PSS), GB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("battles (N)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    ax2.axhline(2, color="red", lw=0.8, ls="--")
    ax1.legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conversations", default="10000,100000", help="comma-separated N with text ('' for none)")
    ap.add_argument("--battles", default="1000000", help="comma-separated N without text ('' for none)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/arenavotes-scale"), help="where logs and workspaces go")
    ap.add_argument("--names", action="store_true", help="scrub and gate with name-finding (slow)")
    ap.add_argument(
        "--family",
        type=int,
        default=0,
        help="logs with text: near-copy families of about this many prompts, prompts ~2x longer (bench/synth.py)",
    )
    ap.add_argument("--figure", type=Path)
    ap.add_argument(
        "--merge",
        type=Path,
        nargs="*",
        default=[],
        help="outputs of earlier runs whose table rows join this run's (e.g. a slow 1M run made apart)",
    )
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = [r for log in args.merge for r in read_table(log)]
    for n in [int(x) for x in args.conversations.split(",") if x]:
        rows += run_pipeline("conversations", n, args.dir, TEXT_STAGES, args.names, args.family)
    for n in [int(x) for x in args.battles.split(",") if x]:
        rows += run_pipeline("battles", n, args.dir, BATTLE_STAGES, False)
    rows.sort(key=lambda r: (r.kind != "conversations", r.n))
    print(table(rows))
    if args.figure:
        figure(rows, args.figure)


if __name__ == "__main__":
    main()
