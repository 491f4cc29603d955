"""Category labelers against labels we may use, and their speed. Prints tables; asserts nothing.

Labelled data (none of it was used to write or fit the labelers' thresholds except as stated in the
README): arena-conversations-100 (LMArena's own `language`, `is_code`, `turn`, `is_refusal` and
`category_tag.refusal_v0.2` on 100 real arena conversations, 15 languages, and our labels of their prompts for
the four topics and the seven criteria: held out, never trained or tuned on), the 1,135 arena-2023 prompts
(`language`), and MT-Bench (80 prompts; category math -> math, coding -> coding, writing/roleplay ->
creative_writing -- a noisy mapping: a professional e-mail counts as "writing").

    .venv/bin/python bench/categories.py

The speeds are per core: the script pins itself to one CPU before Polars, tokenizers and tiktoken start
their thread pools (unpinned, their threads ran on the second core too and the labeler read ~1.5x faster).
"""

from __future__ import annotations

import os

if hasattr(os, "sched_setaffinity"):  # before the libraries size their thread pools
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

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
    return (category, against, "F1", *_fpr(a["f1"], a["precision"], a["recall"]), f"{a['positives']} / {a['rows']}")


def _fpr(f: float, p: float, r: float) -> tuple[str, str, str]:
    """F1, precision and recall as table cells."""
    return f"{f:.3f}", f"{p:.3f}", f"{r:.3f}"


def _recall_row(labeler: str, recall: float, n: int) -> tuple[str, ...]:
    """A row for the share of Arena-Hard v0.1's ``n`` prompts (all hard by LMArena) that ``labeler`` marks hard."""
    what = f"Arena-Hard v0.1 (all chosen as hard by LMArena), {labeler}"
    return ("hard_prompt", what, "recall", f"{recall:.3f}", "", f"{recall:.3f}", f"{n} / {n}")


def held_out_topic_rows(p: pl.DataFrame, conv: list[dict], lab: LearnedLabeler) -> list[tuple[str, ...]]:
    """The four topics on the 100 arena conversations, which no labeler was trained or tuned on, against our labels
    of their prompts (``tools/arena100_category_labels.csv``, read against LMArena's definitions with
    ``tools/category_label_guide.md``; blank = unsure, left out): learned@N and rules@2 as they label the prompts,
    in all, in English and in the other languages. These prompts are newer arena traffic (2024) than the
    arena-2023 prompts the cross-validated numbers come from."""
    gold = pl.read_csv(ROOT / "tools/arena100_category_labels.csv", schema_overrides={"uid": pl.String})
    english = {c["question_id"]: c["language"] == "English" for c in conv}
    outs = [(f"learned@{lab.version}", lab.label(p)), ("rules@2", label_rules(p))]
    rows = []
    for cat in ("coding", "math", "creative_writing", "instruction_following"):
        labelled = {u: bool(v) for u, v in gold.select("uid", cat).iter_rows() if v is not None}
        for labeler, out in outs:
            d = dict(out.filter(pl.col("category") == cat).select("battle_id", "value").iter_rows())
            if not d:
                continue
            for part, keep in (("", None), (", English", True), (", other languages", False)):
                ids = [i for i in labelled if keep is None or english[i] == keep]
                f, pr, rc, n = f1([bool(d.get(i, False)) for i in ids], [labelled[i] for i in ids])
                what = f"arena-conversations-100, held out{part} (our labels), {labeler}"
                rows.append((cat, what, "F1", *_fpr(f, pr, rc), f"{n} / {len(ids)}"))
    return rows


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
    # ... and its cross-validated numbers, recorded by tools/train_labeler.py (the criteria and hard_prompt: below)
    topics = [c for c in lab.categories if not c.startswith("criteria.")]
    for cat in topics:
        m = lab.meta["metrics"][cat]
        a = m["by_source"].get("arena-2023", {})
        if "f1" in a:
            what = f"arena-2023 prompts (our labels), learned@{lab.version}, {lab.meta['training']['folds']}-fold CV"
            rows.append(_source_row(cat, what, a))
        t = m["by_source"].get("arena-2023-translated", {})
        if "f1" in t:
            what = f"arena-2023 prompts in 18 other languages (our translations and labels), learned@{lab.version}, CV"
            rows.append(_source_row(cat, what, t))
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

    rows += held_out_topic_rows(p, conv, lab)

    # LMArena's seven criteria and hard_prompt against our criteria labels (tools/criteria_labels.csv): on the
    # arena-2023 prompts rules@2 as it labels them and learned@N out of fold (recorded by training); on the 100
    # held-out arena conversations (never trained on) both as they label them, by language too
    crit_labels = pl.read_csv(ROOT / "tools/criteria_labels.csv", schema_overrides={"uid": pl.String})
    learned_crit = lab.label(p).filter(
        pl.col("category").str.starts_with("criteria.") | (pl.col("category") == "hard_prompt")
    )
    english = {i: c["language"] == "English" for i, c in zip(ids, conv, strict=True)}
    for name, frame, learned_out in (
        ("arena-2023 prompts", p23, None),
        ("arena-conversations-100, held out", p, learned_crit),
    ):
        source = "arena-2023" if learned_out is None else "arena-conversations-100"
        gold = crit_labels.filter(pl.col("source") == source).drop("source", "key")
        criteria = [c for c in gold.columns if c != "uid"]
        gold = gold.with_columns(gold_hard=pl.sum_horizontal(criteria) >= 6)
        mine = frame.filter(pl.col("battle_id").is_in(gold["uid"].implode())).unique("battle_id")
        outs = [("rules@2", label_rules(mine))] + (
            [] if learned_out is None else [(f"learned@{lab.version}", learned_out)]
        )
        for labeler, out_ in outs:
            wide = (
                out_.filter(pl.col("category").str.starts_with("criteria.") | (pl.col("category") == "hard_prompt"))
                .pivot(on="category", index="battle_id", values="value")
                .join(gold, left_on="battle_id", right_on="uid")
            )
            for c in [*criteria, "gold_hard"]:
                col = "hard_prompt" if c == "gold_hard" else f"criteria.{c}"
                f, pr, rc, n = f1(wide[col].to_list(), wide[c].cast(pl.Boolean).to_list())
                rows.append(
                    (col, f"{name} (our criteria labels), {labeler}", "F1", *_fpr(f, pr, rc), f"{n} / {wide.height}")
                )
            if learned_out is not None:  # hard_prompt in English and in the other languages
                for lang_name, keep in (("English", True), ("other languages", False)):
                    part = wide.filter(pl.col("battle_id").replace_strict(english, return_dtype=pl.Boolean) == keep)
                    f, pr, rc, n = f1(part["hard_prompt"].to_list(), part["gold_hard"].to_list())
                    what = f"{name}, {lang_name} (our criteria labels), {labeler}"
                    rows.append(("hard_prompt", what, "F1", *_fpr(f, pr, rc), f"{n} / {part.height}"))
        if learned_out is None:
            for c in [*criteria, "hard_prompt"]:
                col = c if c == "hard_prompt" else f"criteria.{c}"
                m = lab.meta["metrics"].get(col)
                if m:
                    what = f"{name} (our criteria labels), learned@{lab.version}, CV (AUC {m['auc']:.3f})"
                    n_pos = round(m["labelled_share"] * m["rows"])
                    rows.append(
                        (col, what, "F1", *_fpr(m["f1"], m["precision"], m["recall"]), f"{n_pos} / {m['rows']}")
                    )

    # the four categories: a second blind reading of 100 arena-2023 prompts against our labels (both known)
    first = pl.read_csv(ROOT / "tools/arena2023_labels.csv", schema_overrides={"question_id": pl.String})
    again = pl.read_csv(ROOT / "tools/arena2023_labels_second_reading.csv", schema_overrides={"question_id": pl.String})
    pair = again.join(first, on="question_id", suffix="_first")
    for c in ("coding", "math", "creative_writing", "instruction_following"):
        known = pair.filter(pl.col(c).is_not_null() & pl.col(f"{c}_first").is_not_null())
        f, pr, rc, n = f1(known[c].cast(pl.Boolean).to_list(), known[f"{c}_first"].cast(pl.Boolean).to_list())
        rows.append(
            (
                c,
                "arena-2023 prompts: a second reading against the first",
                "F1",
                *_fpr(f, pr, rc),
                f"{n} / {known.height}",
            )
        )

    # how far two readings of the same prompts agree (a second LLM session, blind to the first): the ceiling
    # for any labeler measured against these labels
    second = pl.read_csv(ROOT / "tools/criteria_labels_second_reading.csv", schema_overrides={"uid": pl.String})
    for source in second["source"].unique(maintain_order=True):
        pair = second.filter(pl.col("source") == source).join(crit_labels, on=["source", "uid"], suffix="_first")
        for c in [*criteria, "hard_prompt"]:
            if c == "hard_prompt":
                got = (pair.select(pl.sum_horizontal(criteria) >= 6)).to_series().to_list()
                want = (pair.select(pl.sum_horizontal([f"{x}_first" for x in criteria]) >= 6)).to_series().to_list()
            else:
                got, want = pair[c].cast(pl.Boolean).to_list(), pair[f"{c}_first"].cast(pl.Boolean).to_list()
            f, pr, rc, n = f1(got, want)
            col = c if c == "hard_prompt" else f"criteria.{c}"
            rows.append(
                (col, f"{source}: a second reading against the first", "F1", *_fpr(f, pr, rc), f"{n} / {pair.height}")
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
            rows.append(_recall_row(f"learned@{lab.version}, CV", h["arena_hard_marked_share"], h["arena_hard_rows"]))
            rows.append(
                _recall_row("our criteria labels (6+ of 7)", h["arena_hard_labelled_share"], h["arena_hard_rows"])
            )
        for cat in topics:
            a = lab.meta["metrics"][cat]["by_source"].get("arena-hard-v0.1", {})
            if "f1" in a:
                rows.append(_source_row(cat, f"Arena-Hard v0.1 prompts (our labels), learned@{lab.version}, CV", a))
    # speed: every offline labeler on the 1,135 arena-2023 prompts repeated 20 times (22,700 prompts)
    big = pl.concat([p23.with_columns(battle_id=pl.col("battle_id") + f"-{k}") for k in range(20)])
    big_msgs = big.select("battle_id", content=pl.col("prompt"))
    big_ans = big.select("battle_id", side=pl.lit("a"), text=pl.col("prompt"))
    speeds = []
    big_vectors = {name: Encoder.load(name).encode(big["prompt"].to_list()) for name in lab.encoders}
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
        (
            f"learned@{lab.version}, its encoders' vectors ({', '.join(lab.encoders)}) from the embedding cache",
            lambda: lab.label(big, big_vectors),
        ),
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
    f1_cats = topics
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
