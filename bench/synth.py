"""Realistic synthetic arena logs of any size, for the scale bench (bench/scale.py). Not a test fixture.

Texts are real: every prompt and answer is built from the bundled real arena texts (the 2023 battles'
prompts and the judge answers beside them, the 100 Chatbot Arena conversations in 15 languages). Each
synthetic text is a real text with one of its sentences swapped for a sentence of another real text of the
same kind, so texts are distinct but read like arena traffic (same lengths, languages, code, PII rate).
Model pairs, outcomes and category tags are resampled from LMArena's 140k battles; voters follow a
heavy-tailed activity curve like the real logs (a few very active voters, most with one or two votes);
timestamps spread over 30 days. Seeded: the same arguments write the same file.

    .venv/bin/python bench/synth.py conversations 100000 /tmp/conv-100k.jsonl
    .venv/bin/python bench/synth.py battles 1000000 /tmp/battles-1m.parquet

>>> pools = text_pools()
>>> len(pools["prompt"]) > 1000 and len(pools["answer"]) > 2000
True
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|\n+")


def text_pools() -> dict[str, list[str]]:
    """The real prompts and answers the synthetic texts are made of, with each prompt's language."""
    prompts: list[str] = []
    answers: list[str] = []
    langs: list[str] = []
    with gzip.open(DATA / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz", "rt") as fh:
        for line in fh:
            r = json.loads(line)
            prompts.append(r["turns"][0])
            langs.append(r.get("language") or "English")
            for judge in ("claude-2", "gpt-3.5-turbo"):
                for ans in r.get(judge) or []:
                    answers.extend(t for t in ans["turns"] if t)
    with gzip.open(DATA / "arena-conversations-100" / "conversations.jsonl.gz", "rt") as fh:
        for line in fh:
            r = json.loads(line)
            for side in ("conversation_a", "conversation_b"):
                for m in r[side]:
                    if not m["content"]:
                        continue
                    if m["role"] == "user":
                        if side == "conversation_a":
                            prompts.append(m["content"])
                            langs.append(r.get("language") or "English")
                    else:
                        answers.append(m["content"])
    return {"prompt": prompts, "answer": answers, "language": langs}


def _variants(texts: list[str], n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """``n`` texts, each a random real text with one sentence swapped for another text's sentence."""
    split = [_SENTENCE.split(t) for t in texts]
    donors = [s for parts in split for s in parts if len(s) > 20]
    base = rng.integers(0, len(texts), n)
    which = rng.random(n)
    donor = rng.integers(0, len(donors), n)
    out = []
    for b, w, d in zip(base.tolist(), which.tolist(), donor.tolist(), strict=True):
        parts = split[b]
        k = int(w * len(parts))
        out.append(" ".join([*parts[:k], donors[d], *parts[k + 1 :]]))
    return out, base


def _family_bases(texts: list[str], n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """``n`` bases for near-copy families of a fixed expected size: each a random real text followed by other
    real texts' sentences (at least as many characters as the text itself), so that two bases made of the same
    text share at most about half their 5-grams and are not near-copies of each other. Returns the bases and
    the real text each was made of."""
    donors = [s for t in texts for s in _SENTENCE.split(t) if len(s) > 20]
    of = rng.integers(0, len(texts), n)
    out = []
    for i in of.tolist():
        salt: list[str] = []
        while sum(map(len, salt)) < len(texts[i]):
            salt.append(donors[int(rng.integers(0, len(donors)))])
        out.append(" ".join([texts[i], *salt]))
    return out, of


def _voters(n: int, rng: np.random.Generator) -> np.ndarray:
    """Voter numbers with a heavy tail: up to n/3 voters; voter k's share falls like 1/sqrt(k), so the most
    active one casts 1/sqrt(n/3) of the votes (1.7% at 10k, 0.17% at 1M) and most cast one or two."""
    voters = max(1, n // 3)
    return rng.permutation(voters)[(voters * rng.random(n) ** 2).astype(np.int64)]


def _battles(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    src = duckdb.sql(
        f"SELECT model_a, model_b, winner, category_tag FROM '{DATA / 'lmarena-140k' / 'battles.parquet'}'"
    )
    real = src.arrow().read_all()
    pick = pa.array(rng.integers(0, real.num_rows, n))
    t = real.take(pick)
    ids = [f"{seed:04x}{i:012x}" for i in range(n)]
    t0 = 1_730_000_000.0
    return (
        t.append_column("question_id", pa.array(ids))
        .append_column("judge", pa.array([f"arena_user_{v}" for v in _voters(n, rng).tolist()]))
        .append_column("tstamp", pa.array(np.sort(t0 + rng.random(n) * 30 * 86400)))
    )


def write_battles(n: int, path: Path, seed: int = 0) -> Path:
    """Battles without text (LMArena 140k's columns plus voter and time) as parquet."""
    duckdb.from_arrow(_battles(n, seed)).write_parquet(str(path))
    return path


def write_conversations(n: int, path: Path, seed: int = 0, multi_turn: float = 0.1, family: int = 0) -> Path:
    """Battles with both conversations, in the Hub arena shape (conversation_a/b), as JSON lines.

    ``family``: 0 (default) varies the bundled real prompts themselves, so a bigger log holds more near-copies
    of each (about n / 2,000); ``family`` k varies n / k bases made of them (:func:`_family_bases`), so near-copy
    families keep about k prompts whatever n: a log whose duplicate structure does not change with its size."""
    pools = text_pools()
    rng = np.random.default_rng(seed + 1)
    t = _battles(n, seed).to_pylist()
    turns = 1 + (rng.random(n) < multi_turn)
    m = int(turns.sum())
    if family:
        bases, made_of = _family_bases(pools["prompt"], max(1, m // family), rng)
        prompts, base = _variants(bases, m, rng)
        base = made_of[base]
    else:
        prompts, base = _variants(pools["prompt"], m, rng)
    answers_a, _ = _variants(pools["answer"], m, rng)
    answers_b, _ = _variants(pools["answer"], m, rng)
    langs = pools["language"]
    k = 0
    with path.open("w", encoding="utf-8") as fh:
        for i, row in enumerate(t):
            conv_a: list[dict[str, str]] = []
            conv_b: list[dict[str, str]] = []
            lang = langs[int(base[k])]
            for _ in range(int(turns[i])):
                conv_a += [{"role": "user", "content": prompts[k]}, {"role": "assistant", "content": answers_a[k]}]
                conv_b += [{"role": "user", "content": prompts[k]}, {"role": "assistant", "content": answers_b[k]}]
                k += 1
            row.update(conversation_a=conv_a, conversation_b=conv_b, turn=int(turns[i]), anony=True, language=lang)
            fh.write(json.dumps(row, ensure_ascii=False))
            fh.write("\n")
    return path


def log_in(folder: Path, kind: str, n: int, family: int = 0) -> Path:
    """The synthetic log of ``n`` battles in ``folder``: ``conv-N.jsonl`` (``kind`` "conversations"; with
    ``family`` K, ``conv-famK-N.jsonl``: near-copy families of about K prompts) or ``battles-N.parquet`` (battles
    without text), written on first use, so the bench scripts share one file per N."""
    if kind == "conversations":
        path = folder / (f"conv-fam{family}-{n}.jsonl" if family else f"conv-{n}.jsonl")
        return path if path.exists() else write_conversations(n, path, family=family)
    path = folder / f"battles-{n}.parquet"
    return path if path.exists() else write_battles(n, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["conversations", "battles"])
    ap.add_argument("n", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--family", type=int, default=0, help="conversations: near-copy families of about this size")
    args = ap.parse_args()
    if args.kind == "conversations":
        write_conversations(args.n, args.out, args.seed, family=args.family)
    else:
        write_battles(args.n, args.out, args.seed)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:,.0f} MB)")


if __name__ == "__main__":
    main()
