"""Near-duplicate prompts: speed, memory and agreement with the exact answer, against datasketch.

Prompts: the bundled real prompts (the 2023 arena battles and the 100 conversations), made into N distinct
texts by replacing a tenth of their words (at least two; 30% are two prompts pasted together), plus 5%
near-copies (1-3 characters changed) of texts already in the set, so that true near-duplicate pairs exist.

For each N it runs, each in its own process (peak RSS from the kernel):

* arenavotes: ``dedup.prompts.near_duplicates`` (character 5-grams, one-permutation MinHash with 128
  bins and optimal densification, LSH, exact Jaccard on the candidates) at Jaccard >= 0.9;
* datasketch (if installed, e.g. in .venv-bench): ``MinHash`` (128 permutations) of the same 5-gram sets
  and ``MinHashLSH(threshold=0.9)``, its usual use.

At the smallest N both are scored against the exact answer (all pairs, by a sparse product): recall and
precision of the flagged texts. Run by hand:

    .venv/bin/python bench/near_duplicates.py [--sizes 5000,27000,100000]
    .venv-bench/bin/python bench/near_duplicates.py   # adds datasketch
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]


def real_prompts() -> list[str]:
    rows = [
        json.loads(x)
        for x in gzip.decompress((ROOT / "data/arena-battles-2023-text/battles_with_prompts.jsonl.gz").read_bytes())
        .decode()
        .splitlines()
    ]
    texts = ["\n".join(r["turns"]) for r in rows]
    for line in gzip.decompress(
        (ROOT / "data/arena-conversations-100/conversations.jsonl.gz").read_bytes()
    ).splitlines():
        conv = json.loads(line)["conversation_a"]
        turns = eval(conv, {"__builtins__": {}}) if isinstance(conv, str) else conv
        texts.append("\n".join(t["content"] for t in turns if t["role"] == "user"))
    return [t for t in texts if len(t) >= 20]


def make_prompts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    pool = real_prompts()
    words = " ".join(pool).split()
    out: list[str] = []
    while len(out) < n:
        if out and rng.random() < 0.05:  # a near-copy of an earlier text
            chars = list(out[int(rng.integers(len(out)))])
            for _ in range(int(rng.integers(1, 4))):
                chars[int(rng.integers(len(chars)))] = chr(97 + int(rng.integers(26)))
            out.append("".join(chars))
            continue
        a = pool[int(rng.integers(len(pool)))]
        if rng.random() < 0.3:  # some prompts are two pasted together
            a += "\n" + pool[int(rng.integers(len(pool)))]
        toks = a.split()
        for _ in range(max(2, len(toks) // 10)):  # distinct texts: at least 2 and a tenth of the words replaced
            toks[int(rng.integers(len(toks)))] = words[int(rng.integers(len(words)))]
        out.append(" ".join(toks))
    return out


def run_arenavotes(texts: list[str]) -> set[int]:
    from arenavotes.dedup import prompts

    b = pl.DataFrame({"battle_id": [f"{i:07d}" for i in range(len(texts))]}).with_columns(
        tstamp=pl.lit(None, pl.Datetime("us", "UTC"))
    )
    k = prompts.keyed(b, pl.DataFrame({"battle_id": b["battle_id"], "text": texts}))
    flags = prompts.near_duplicates(k, threshold=0.9)
    return {int(x) for x in flags["battle_id"].to_list()}


def _grams(text: str) -> set[str]:
    import unicodedata

    t = unicodedata.normalize("NFKC", " ".join(text.lower().split()))[:10_000]
    return {t[i : i + 5] for i in range(max(len(t) - 4, 1))}


def run_datasketch(texts: list[str]) -> set[int]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.9, num_perm=128)
    flagged = set()
    for i, t in enumerate(texts):
        m = MinHash(num_perm=128)
        m.update_batch([g.encode() for g in _grams(t)])
        if lsh.query(m):
            flagged.add(i)  # a later text near an earlier one, as arenavotes flags it
        lsh.insert(str(i), m)
    return flagged


def exact(texts: list[str]) -> set[int]:
    """Texts with an earlier text at Jaccard >= 0.9 (all pairs), flagged as arenavotes flags them: every text of
    a cluster but its first."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    from arenavotes.dedup import prompts

    norm = prompts.normalise(pl.Series(texts))
    g = prompts.shingles(norm)
    n = len(texts)
    _, col = np.unique(g["h"].to_numpy(), return_inverse=True)
    a = sp.csr_matrix((np.ones(g.height), (g["pid"].to_numpy(), col)), shape=(n, int(col.max()) + 1))
    inter = (a @ a.T).tocoo()
    size = np.asarray(a.sum(axis=1)).ravel()
    m = inter.row < inter.col
    x, y, iv = inter.row[m], inter.col[m], inter.data[m]
    ok = iv / (size[x] + size[y] - iv) >= 0.9
    graph = sp.coo_matrix((np.ones(int(ok.sum())), (x[ok], y[ok])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    deg = np.bincount(np.r_[x[ok], y[ok]], minlength=n)
    first: dict[int, int] = {}
    out = set()
    for i in np.flatnonzero(deg > 0):
        if label[i] in first:
            out.add(int(i))
        else:
            first[label[i]] = int(i)
    return out


def child(tool: str, n: int) -> None:
    texts = make_prompts(n)
    t0 = time.perf_counter()
    found = run_arenavotes(texts) if tool == "arenavotes" else run_datasketch(texts)
    wall = time.perf_counter() - t0
    # VmHWM: this process's own peak (ru_maxrss would carry the parent's peak across exec)
    status = Path("/proc/self/status").read_text().splitlines()
    rss = next(int(x.split()[1]) for x in status if x.startswith("VmHWM")) / 1024
    chars = sum(len(t) for t in texts) / len(texts)
    print(json.dumps({"tool": tool, "n": n, "wall": wall, "rss_mb": rss, "flagged": sorted(found), "chars": chars}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="5000,27000,100000")
    ap.add_argument("--child", nargs=2, metavar=("TOOL", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    try:
        import datasketch  # noqa: F401

        tools = ["arenavotes", "datasketch"]
    except ImportError:
        tools = ["arenavotes"]
    sizes = [int(x) for x in args.sizes.split(",")]
    truth = exact(make_prompts(sizes[0]))
    print("| tool | prompts | wall (s) | prompts/s | peak RSS (MB) | flagged | recall vs exact | precision |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        for tool in tools:
            out = subprocess.run(
                [sys.executable, __file__, "--child", tool, str(n)], capture_output=True, text=True, check=True
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            found = set(r["flagged"])
            rec = prec = ""
            if n == sizes[0]:
                rec = f"{len(found & truth) / max(len(truth), 1):.4f}"
                prec = f"{len(found & truth) / max(len(found), 1):.4f}"
            print(
                f"| {tool} | {n:,} | {r['wall']:.1f} | {n / r['wall']:,.0f} | {r['rss_mb']:,.0f} | {len(found):,} | "
                f"{rec} | {prec} |"
            )
    print(
        f"(mean prompt length {r['chars']:,.0f} characters; exact answer at {sizes[0]:,} prompts: {len(truth):,} "
        "texts with an earlier near-copy)"
    )


if __name__ == "__main__":
    main()
