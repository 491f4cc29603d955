"""Category labelers against labels we may use, and their speed. Prints tables; asserts nothing.

Labelled data (none of it was used to write or fit the labelers' thresholds except as stated in the
README): arena-conversations-100 (LMArena's own `language`, `is_code`, `turn`, `is_refusal` and
`category_tag.refusal_v0.2` on 100 real arena conversations, 15 languages), the 1,135 arena-2023 prompts
(`language`), and MT-Bench (80 prompts; category math -> math, coding -> coding, writing/roleplay ->
creative_writing -- a noisy mapping: a professional e-mail counts as "writing").

    .venv/bin/python bench/categories.py
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import polars as pl

from arenavotes.categories import deterministic as det
from arenavotes.categories import label
from arenavotes.categories.learned import LearnedLabeler
from arenavotes.categories.rules import label_rules
from arenavotes.embeddings.encoder import Encoder
from arenavotes.ingest.style import token_counts

ROOT = Path(__file__).resolve().parents[1]


def _lines(path: Path) -> list[dict]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(x) for x in raw.splitlines() if x.strip()]


def prompt_frame(ids: list[str], turns: list[list[str]]) -> pl.DataFrame:
    joined = ["\n".join(t) for t in turns]
    return pl.DataFrame(
        {
            "battle_id": ids,
            "prompt": joined,
            "first_user": [t[0] if t else "" for t in turns],
            "user_turns": [len(t) for t in turns],
            "user_tokens": [sum(c or 0 for c in token_counts(t)) for t in turns],
        }
    )


def f1(pred: list[bool], gold: list[bool]) -> tuple[float, float, float, int]:
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return (2 * prec * rec / (prec + rec) if prec + rec else 0.0), prec, rec, tp + fn


def _source_row(category: str, against: str, a: dict) -> tuple[str, ...]:
    """A table row from one source's out-of-fold numbers in the labeler's metrics (``by_source``)."""
    cells = (f"{a['f1']:.3f}", f"{a['precision']:.3f}", f"{a['recall']:.3f}", f"{a['positives']} / {a['rows']}")
    return (category, against, "F1", *cells)


def _recall_row(labeler: str, recall: float, n: int) -> tuple[str, ...]:
    """A row for the share of Arena-Hard v0.1's ``n`` prompts (all hard by LMArena) that ``labeler`` marks hard."""
    what = f"Arena-Hard v0.1 (all chosen as hard by LMArena), {labeler}"
    return ("hard_prompt", what, "recall", f"{recall:.3f}", "", f"{recall:.3f}", f"{n} / {n}")


def main() -> None:
    rows: list[tuple[str, ...]] = []
    conv = _lines(ROOT / "data/arena-conversations-100/conversations.jsonl.gz")
    ids = [c["question_id"] for c in conv]
    turns = [[m["content"] for m in c["conversation_a"] if m["role"] == "user"] for c in conv]
    p = prompt_frame(ids, turns)
    messages = pl.DataFrame(
        [
            (c["question_id"], m["content"])
            for c in conv
            for side in ("conversation_a", "conversation_b")
            for m in c[side]
        ],
        schema={"battle_id": pl.String, "content": pl.String},
        orient="row",
    )
    answers = pl.DataFrame(
        [
            (c["question_id"], s, next(m["content"] for m in c[f"conversation_{s}"] if m["role"] == "assistant"))
            for c in conv
            for s in "ab"
        ],
        schema={"battle_id": pl.String, "side": pl.String, "text": pl.String},
        orient="row",
    )
    out = label(p, messages, answers)

    def pred(category: str) -> list[bool]:  # the rule/deterministic labelers' (the learned one has its own row below)
        mine = out.filter((pl.col("category") == category) & ~pl.col("labeler").str.starts_with("offline/learned@"))
        d = dict(mine.select("battle_id", "value").iter_rows())
        return [bool(d.get(i, False)) for i in ids]

    lang = dict(out.filter(pl.col("category").str.starts_with("language:")).select("battle_id", "category").iter_rows())
    acc = sum(lang[i].removeprefix("language:") == c["language"] for i, c in zip(ids, conv, strict=True)) / len(conv)
    rows.append(("language", "arena-conversations-100 (LMArena's label)", "accuracy", f"{acc:.3f}", "", "", "100"))
    for cat, gold in (
        ("coding", [c["is_code"] for c in conv]),
        ("multi_turn", [c["turn"] >= 2 for c in conv]),
        ("refusal", [c["is_refusal"] for c in conv]),
        ("refusal", [bool(c["category_tag"].get("refusal_v0.2")) for c in conv]),
    ):
        f, pr, rc, n = f1(pred(cat), gold)
        what = (
            "is_refusal"
            if gold == [c["is_refusal"] for c in conv] and cat == "refusal"
            else (
                "category_tag refusal_v0.2"
                if cat == "refusal"
                else {"coding": "is_code", "multi_turn": "turn >= 2"}[cat]
            )
        )
        rows.append((cat, f"arena-conversations-100 ({what})", "F1", f"{f:.3f}", f"{pr:.3f}", f"{rc:.3f}", str(n)))

    a23 = _lines(ROOT / "data/arena-battles-2023-text/battles_with_prompts.jsonl.gz")
    p23 = prompt_frame([r["question_id"] for r in a23], [r["turns"] for r in a23])
    t0 = time.perf_counter()
    l23 = det.language(p23)
    t_lang = time.perf_counter() - t0
    ok = sum(c == "language:" + r["language"] for c, r in zip(l23["category"], a23, strict=True))
    rows.append(
        ("language", "arena-2023 prompts (LMArena's label)", "accuracy", f"{ok / len(a23):.3f}", "", "", str(len(a23)))
    )

    mt = [json.loads(x) for x in (ROOT / "tests/data/mt-bench/question.jsonl").read_text().splitlines()]
    pm = prompt_frame([str(q["question_id"]) for q in mt], [q["turns"] for q in mt])
    lm = label_rules(pm)
    msgs = pl.DataFrame({"battle_id": pm["battle_id"], "content": pm["prompt"]})
    lc = det.coding(msgs, pm)
    for cat, gold_cats, frame in (
        ("math", {"math"}, lm),
        ("coding", {"coding"}, lc),
        ("creative_writing", {"writing", "roleplay"}, lm),
    ):
        d = dict(frame.filter(pl.col("category") == cat).select("battle_id", "value").iter_rows())
        f, pr, rc, n = f1([bool(d[str(q["question_id"])]) for q in mt], [q["category"] in gold_cats for q in mt])
        rows.append(
            (
                cat,
                f"MT-Bench ({'/'.join(sorted(gold_cats))}; prompt only)",
                "F1",
                f"{f:.3f}",
                f"{pr:.3f}",
                f"{rc:.3f}",
                str(n),
            )
        )

    # the learned labeler: held out on arena-100 (not in its training data) against LMArena's is_code ...
    lab = LearnedLabeler.load()
    learned = lab.label(p)
    d = dict(learned.filter(pl.col("category") == "coding").select("battle_id", "value").iter_rows())
    f, pr, rc, n = f1([bool(d[i]) for i in ids], [c["is_code"] for c in conv])
    rows.append(
        (
            "coding",
            f"arena-conversations-100 (is_code), learned@{lab.version} on the prompt only",
            "F1",
            f"{f:.3f}",
            f"{pr:.3f}",
            f"{rc:.3f}",
            str(n),
        )
    )
    # ... and its cross-validated numbers, recorded by tools/train_labeler.py (hard_prompt has a recall instead:
    # its row is the Arena-Hard one below)
    for cat in lab.categories:
        m = lab.meta["metrics"][cat]
        if "f1" not in m:
            continue
        a = m["by_source"].get("arena-2023", {})
        if "f1" in a:
            what = f"arena-2023 prompts (our labels), learned@{lab.version}, {lab.meta['training']['folds']}-fold CV"
            rows.append(_source_row(cat, what, a))
        rows.append(
            (
                cat,
                f"public benchmarks, learned@{lab.version}, CV at LMArena's prevalence",
                "F1",
                f"{m['f1']:.3f}",
                f"{m['precision']:.3f}",
                f"{m['recall']:.3f}",
                f"{m['positives']:,} / {m['rows']:,}",
            )
        )

    # Arena-Hard v0.1: 500 real arena prompts that LMArena's pipeline chose as hard (its judge's criteria, then
    # topic clusters). Read from ../shared where present (not shipped: a user's clone skips these rows).
    hard_file = ROOT.parent / "shared/data/arena-hard-v0.1/question.jsonl"
    if hard_file.exists():
        ah = _lines(hard_file)
        pah = prompt_frame([r["uid"] for r in ah], [[r["prompt"]] for r in ah])
        hard = label_rules(pah).filter(pl.col("category") == "hard_prompt")
        rows.append(_recall_row("rules@2", float(hard["value"].mean() or 0.0), len(ah)))
        h = lab.meta["metrics"].get("hard_prompt")
        if h:
            rows.append(_recall_row(f"learned@{lab.version}, CV", h["recall"], h["positives"]))
        for cat in lab.categories:
            a = lab.meta["metrics"][cat]["by_source"].get("arena-hard-v0.1", {})
            if "f1" in a:
                rows.append(_source_row(cat, f"Arena-Hard v0.1 prompts (our labels), learned@{lab.version}, CV", a))
    # speed: every offline labeler on the 1,135 arena-2023 prompts repeated 20 times (22,700 prompts)
    big = pl.concat([p23.with_columns(battle_id=pl.col("battle_id") + f"-{k}") for k in range(20)])
    big_msgs = big.select("battle_id", content=pl.col("prompt"))
    big_ans = big.select("battle_id", side=pl.lit("a"), text=pl.col("prompt"))
    speeds = []
    big_vectors = Encoder.load().encode(big["prompt"].to_list())
    for name, fn in (
        (
            "deterministic (multi_turn, long_query, code_present, coding, refusal)",
            lambda: (
                det.multi_turn(big),
                det.long_query(big),
                det.code_present(big),
                det.coding(big_msgs, big),
                det.refusal(big_ans, big),
            ),
        ),
        (
            "language (CLD2)",
            lambda: det.language(big.with_columns(first_user=pl.col("first_user") + pl.col("battle_id"))),
        ),
        ("rules (math, creative, IF, hard + 7 criteria)", lambda: label_rules(big)),
        (f"learned@{lab.version} ({', '.join(lab.categories)}), encoding included", lambda: lab.label(big)),
        (f"learned@{lab.version}, vectors from the embedding cache", lambda: lab.label(big, big_vectors)),
    ):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        speeds.append((name, f"{big.height / dt:,.0f}"))
    header = ("category", "against", "metric", "value", "precision", "recall", "positives / n")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    f1_cats = [c for c in lab.categories if "f1" in lab.meta["metrics"][c]]
    groups = sorted({g for c in f1_cats for g in lab.meta["metrics"][c]["by_language_group"]})
    print(f"\nlearned@{lab.version}, F1 by language group (CV, benchmark rows; positives in brackets)\n")
    print("| language group | " + " | ".join(f1_cats) + " |\n|---|" + "---|" * len(f1_cats))
    for g in groups:
        cells = []
        for c in f1_cats:
            e = lab.meta["metrics"][c]["by_language_group"].get(g)
            cells.append(f"{e['f1']:.2f} ({e['positives']})" if e else "-")
        print(f"| {g} | " + " | ".join(cells) + " |")
    # the LLM-judge route: what one prompt costs in input tokens (LMArena's four questions, cl100k_base)
    from arenavotes.categories.judge import MAX_CHARS, TEMPLATES

    prompt_tokens = token_counts([t[:MAX_CHARS] for t in p23["prompt"].to_list()])
    system_tokens = sum(c or 0 for c in token_counts([t.system for t in TEMPLATES.values()]))
    mean_prompt = sum(c or 0 for c in prompt_tokens) / len(prompt_tokens)
    per_prompt = system_tokens + len(TEMPLATES) * mean_prompt
    print(
        f"\njudge route: {len(TEMPLATES)} questions per prompt; {per_prompt:,.0f} input tokens per arena-2023 prompt "
        f"on average ({system_tokens:,} of instructions + {len(TEMPLATES)} x {mean_prompt:,.0f} of prompt); "
        f"{per_prompt * 1e6 / 1e9:,.2f}B input tokens per million prompts"
    )
    print(f"\nlanguage on 1,135 prompts: {len(a23) / t_lang:,.0f} prompts/s (one process)")
    print("\n| labelers | prompts/s (one core, 22,700 arena prompts) |\n|---|---|")
    for name, v in speeds:
        print(f"| {name} | {v} |")


if __name__ == "__main__":
    main()
