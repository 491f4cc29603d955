"""The public prompt sets the learned category labeler is trained on, and how each maps to categories.

Every file is read as published; ``labeler_sources.tsv`` (beside this script) gives its origin
(repository @ commit : path) and sha256, and :func:`load_sources` refuses a file whose hash differs.
Licences: all permissive (MIT, Apache-2.0, CC-BY-4.0, ODC-By). CodeAlpaca (CC BY-NC) and KoMT-Bench
(LGPL-3.0) were found but are not used. Arena-Hard v2.0 is never read.

A label is True, False or None (unknown: the row does not train that category). Rows that are
translations or variants of one item share a ``group``, so cross-validation never tests a prompt on a
model that saw its translation.

``arena2023_labels.csv`` holds our own labels of the 1,135 real arena-2023 prompts (shipped in
``data/arena-battles-2023-text``), made by reading each prompt against LMArena's category definitions.
``criteria_labels.csv`` holds our labels of LMArena's seven hard-prompt criteria (guide:
``criteria_label_guide.md``, LMArena's judge questions verbatim) for the same arena-2023 prompts, Arena-Hard
v0.1's, a sample of the benchmarks' non-English prompts and the 100 held-out arena conversations (those are
never trained on: their text is in no source). They become the rows' ``criteria.<name>`` columns, matched by
the text's hash (``key``: the first 16 hex digits of its sha256); None on every other row.
"""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import json
import re
from pathlib import Path

import polars as pl

from arenavotes.ingest import file_sha256
from arenavotes.vocab import HARD_PROMPT_CRITERIA

HERE = Path(__file__).resolve().parent
CATEGORIES = ("coding", "math", "creative_writing", "instruction_following")
#: LMArena's seven hard-prompt criteria, as label columns (known only on the prompts of ``criteria_labels.csv``)
CRITERIA = tuple(f"criteria.{c}" for c in HARD_PROMPT_CRITERIA)

# A creative form in an English prompt (used only to label the English item of a parallel set, whose
# translations then share the label; never used at run time).
_CREATIVE = re.compile(
    r"(?i)\b(poem|poetry|haiku|sonnet|limerick|lyrics|song|rap|ballad|story|stories|fairy ?tale|fable|"
    r"screenplay|script for|play script|riddle|joke|limerick|rhyme|rhyming|fiction|narrative|tale|"
    r"diary entry|dialogue between|roleplay|role-play|pretend (?:you|to be))\b"
)

Row = dict[str, object]
#: the real arena-2023 prompts, shipped with the repository
_ARENA_2023 = "data/arena-battles-2023-text/battles_with_prompts.jsonl.gz"


def _row(text: str, source: str, group: str, **labels: bool | None) -> Row:
    out: Row = {"text": text, "source": source, "group": group}
    for c in CATEGORIES:
        out[c] = labels.get(c)
    return out


def _only(cat: str | None, unknown: tuple[str, ...] = ()) -> dict[str, bool | None]:
    """``cat`` True, the other categories False (except ``unknown`` ones)."""
    return {c: (c == cat) if c not in unknown else None for c in CATEGORIES}


def _jsonl(path: Path) -> list[dict]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    out = []
    for line in raw.decode("utf-8").splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # one malformed line in Marco-Bench-MIF zh_local, left out
    return out


def _mt_bench(path: Path, source: str, vicuna: bool = False) -> list[Row]:
    """MT-Bench / Vicuna-bench shape: coding -> coding, math -> math, roleplay -> creative writing, writing
    -> creative if the English-style prompt names a creative form (else unknown), the rest negative.
    Only the first turn; instruction following unknown (many first turns carry format asks)."""
    rows = []
    for r in _jsonl(path):
        text = r["turns"][0]
        cat = str(r.get("category", "")).lower()
        qid = str(r["question_id"]).split("_")[0]
        group = f"{'vicuna' if vicuna else 'mtbench'}:{qid}"
        if cat in ("coding", "math"):
            labels = _only(cat, ("instruction_following",))
        elif cat in ("roleplay", "roluri"):
            labels = _only("creative_writing", ("instruction_following",))
        elif cat in ("writing", "scris"):
            labels = _only(None, ("creative_writing", "instruction_following"))
        elif cat == "fermi":
            labels = _only(None, ("math", "instruction_following"))
        elif cat == "extraction":
            labels = _only(None, ("instruction_following",))
        else:  # reasoning, stem, humanities; generic, knowledge, common-sense, counterfactual: plain questions
            labels = _only(None)
        rows.append(_row(text, source, group, **labels))
    return rows


def _ifeval(path: Path, source: str, creative_keys: set[int] | None) -> list[Row]:
    """IFEval-style prompts: instruction following; creative writing where the English item names a
    creative form (``creative_keys``) or unknown for items with no English parallel."""
    rows = []
    for r in _jsonl(path):
        key = int(r["key"])
        cw: bool | None = None if creative_keys is None else key in creative_keys
        labels = {"coding": None, "math": False, "creative_writing": cw, "instruction_following": True}
        rows.append(
            _row(r["prompt"], source, f"ifeval:{key}" if creative_keys is not None else f"{source}:{key}", **labels)
        )
    return rows


def load_rows(root: Path) -> list[Row]:
    rows: list[Row] = []
    # math: word problems in many languages (the same problem across languages shares a group)
    for f in sorted((root / "mgsm").glob("mgsm__mgsm_*.tsv")):
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines()):
            rows.append(_row(line.split("\t")[0], "mgsm", f"mgsm:{i}", **_only("math")))
    for f in sorted((root / "msvamp").glob("*test_*.json")):
        for i, r in enumerate(_jsonl(f)[:300]):
            rows.append(_row(r["m_query"], "msvamp", f"msvamp:{i}", **_only("math")))
    for i, r in enumerate(_jsonl(root / "gsm8k/grade_school_math__data__test.jsonl")):
        rows.append(_row(r["question"], "gsm8k", f"gsm8k:{i}", **_only("math")))
    # math beyond word problems: competition problems (MATH), theorem applications (TheoremQA), science and
    # statistics calculations (SciBench), Chinese grade-school problems (CMATH) and exam problems (AGIEval:
    # Gaokao and SAT). Instruction following unknown: many say how to give the answer ("as a common fraction").
    hard_math = _only("math", ("instruction_following",))
    for i, r in enumerate(_jsonl(root / "math-competition/data__math__test.jsonl")):
        rows.append(_row(r["problem"], "math-competition", f"math:{i}", **hard_math))
    theorems = json.loads((root / "theoremqa/theoremqa_test.json").read_text(encoding="utf-8"))
    for r in theorems:
        if r.get("Picture") is None:  # a question about a figure the prompt does not hold is left out
            rows.append(_row(r["Question"], "theoremqa", f"theoremqa:{r['id']}", **hard_math))
    for f in sorted((root / "scibench").glob("dataset__original__*.json")):
        for i, r in enumerate(json.loads(f.read_text(encoding="utf-8"))):
            rows.append(
                _row(r["problem_text"].replace("\r\n", "\n"), "scibench", f"scibench:{f.stem}:{i}", **hard_math)
            )
    for i, r in enumerate(_jsonl(root / "cmath/datasets__cmath_dev.jsonl")):
        rows.append(_row(r["input"], "cmath", f"cmath:{i}", **_only("math")))
    # AGIEval: maths exam problems positive; biology, geography and history exam questions (recall and
    # reading, no calculation) negative for math, coding and creative writing
    for subject in (
        "gaokao-mathqa",
        "gaokao-mathcloze",
        "sat-math",
        "gaokao-biology",
        "gaokao-geography",
        "gaokao-history",
    ):
        labels = hard_math if "math" in subject else _only(None, ("instruction_following",))
        for i, r in enumerate(_jsonl(root / f"agieval/data__v1__{subject}.jsonl")):
            text = "\n".join(x for x in (r.get("passage"), r["question"], *(r.get("options") or [])) if x)
            rows.append(_row(text, "agieval", f"agieval:{subject}:{i}", **labels))
    # coding: function stubs with docstrings in 23 languages, and task descriptions
    code = _only("coding", ("math",))
    for r in _jsonl(root / "humaneval/data__HumanEval.jsonl.gz"):
        rows.append(_row(r["prompt"], "humaneval", f"he:{r['task_id'].split('/')[1]}", **code))
    for f in sorted((root / "humaneval-xl").glob("data__python__*.jsonl")):
        for r in _jsonl(f):
            rows.append(_row(r["prompt"], "humaneval-xl", f"hexl:{r['task_id'].split('/')[-1]}", **code))
    for r in _jsonl(root / "kr-humaneval/data__v1__KR_HumanEval.jsonl"):
        rows.append(_row(r["prompt"], "kr-humaneval", f"he:{r['task_id'].split('/')[1]}", **code))
    for r in _jsonl(root / "mbpp/data__mbpp.jsonl"):
        rows.append(_row(r["text"], "mbpp", f"mbpp:{r['task_id']}", **code))
    # instruction following (+ creative writing where the English item is creative)
    english = _jsonl(root / "marco-bench-mif/Marco-Bench-MIF__en.jsonl")
    creative = {int(r["key"]) for r in english if _CREATIVE.search(r["prompt"])}
    for f in sorted((root / "marco-bench-mif").glob("Marco-Bench-MIF__*.jsonl")):
        rows += _ifeval(f, "marco-bench-mif", creative)
    rows += _ifeval(root / "m-ifeval/data__en_input_data.jsonl", "m-ifeval", creative)
    for lang in ("es", "fr", "ja"):
        rows += _ifeval(root / f"m-ifeval/data__{lang}_input_data.jsonl", f"m-ifeval-{lang}", None)
    # general chat benchmarks in several languages
    rows += _mt_bench(root / "mt-bench-en/fastchat__llm_judge__data__mt_bench__question.jsonl", "mt-bench")
    for f in sorted((root / "mt-bench-x").glob("*question.jsonl")):
        rows += _mt_bench(f, "mt-bench-x")
    rows += _mt_bench(root / "mt-bench-pl/fastchat__llm_judge__data__mt_bench__question.jsonl", "mt-bench-pl")
    rows += _mt_bench(root / "mt-bench-ro/fastchat__llm_judge__data__mt_bench_ro__question.jsonl", "mt-bench-ro")
    rows += _mt_bench(root / "mt-bench-sv/fastchat__llm_judge__data__mt_bench__question.jsonl", "mt-bench-sv")
    rows += _mt_bench(
        root / "flexeval-ja-bench/flexeval__core__chat_dataset__chatbot_bench_datasets__mt-ja.jsonl", "mt-bench-ja"
    )
    for path, name in [
        (root / "vicuna-bench-en/fastchat__llm_judge__data__vicuna_bench__question.jsonl", "vicuna-bench"),
        (root / "mt-bench-sv/fastchat__llm_judge__data__vicuna_bench__question.jsonl", "vicuna-bench-sv"),
        (
            root / "flexeval-ja-bench/flexeval__core__chat_dataset__chatbot_bench_datasets__vicuna-ja.jsonl",
            "vicuna-bench-ja",
        ),
    ]:
        rows += _mt_bench(path, name, vicuna=True)
    for r in _jsonl(root / "mt-bench-ro/fastchat__llm_judge__data__cultura_bench_ro__question.jsonl"):
        cat = r["category"]
        labels = (
            _only("creative_writing", ("instruction_following",))
            if cat == "Roluri"
            else _only(
                None, ("creative_writing", "instruction_following") if cat == "Scris" else ("instruction_following",)
            )
        )
        rows.append(_row(r["turns"][0], "cultura-bench-ro", f"cultura:{r['question_id']}", **labels))
    for r in _jsonl(
        root / "flexeval-ja-bench/flexeval__core__chat_dataset__chatbot_bench_datasets__rakuda-v2-ja.jsonl"
    ):
        rows.append(_row(r["turns"][0], "rakuda-ja", f"rakuda:{r['question_id']}", **_only(None)))
    # general chat in 12 languages (5 prompts each: a harmful request, a greeting, advice, a role-play, "who
    # are you"): negatives, the role-play unknown for creative writing
    for i, text in enumerate(_jsonl(root / "oasst-eval-prompts/model_eval__manual__data__multilingual-60.jsonl")):
        labels = _only(None, ("creative_writing",) if i % 5 == 3 else ())
        rows.append(_row(str(text), "oasst-multilingual", f"oasst:{i % 5}", **labels))
    # Chinese: BELLE's evaluation prompts by class
    for i, r in enumerate(_jsonl(root / "belle-eval/eval__eval_set.json")):
        cls = r["class"]
        if cls == "code":
            labels = _only("coding", ("math", "instruction_following"))
        elif cls == "math":
            labels = _only("math", ("instruction_following",))
        elif cls == "generation":
            labels = _only(None, ("creative_writing", "instruction_following"))
        elif cls in ("open qa", "brainstorming", "closed qa"):
            labels = _only(None)
        else:
            labels = _only(None, ("instruction_following",))
        rows.append(_row(r["question"], "belle-eval", f"belle:{i}", **labels))
    # creative writing prompts
    eq = json.loads((root / "eqbench-creative/data__creative_writing_prompts.json").read_text(encoding="utf-8"))
    for k, v in sorted(eq.items()):
        text = v["writing_prompt"].replace("<SEED>", "").strip()
        rows.append(_row(text, "eqbench-creative", f"eq:{k}", **_only("creative_writing", ("instruction_following",))))
    # real arena prompts, labelled by us against LMArena's definitions
    labelled = HERE / "arena2023_labels.csv"
    if labelled.exists():
        labels = _arena2023_labels(labelled)  # the file is read once for the prompts and their translations
        rows += _arena2023(labels)
        rows += _arena2023_translated(labels, HERE / "arena2023_translations.jsonl")
    # real arena prompts that LMArena's pipeline selected as hard (Arena-Hard v0.1), labelled by us
    rows += _arena_hard(
        root / "arena-hard-v0.1/data__arena-hard-v0.1__question.jsonl", HERE / "arena_hard_v01_labels.csv"
    )
    return rows


def _arena_hard(questions: Path, labels_file: Path) -> list[Row]:
    """Arena-Hard v0.1's 500 prompts (real Chatbot Arena prompts chosen by LMArena as hard), with our labels
    (``arena_hard_v01_labels.csv``, by uid; blank = unsure). They are also the positives of the learned
    hard-prompt head. Never v2.0: its prompts are kept for evaluation."""
    questions_by_uid = {r["uid"]: r for r in _jsonl(questions)}
    rows = []
    with labels_file.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            q = questions_by_uid[r["uid"]]
            # grouped by LMArena's topic cluster (two prompts each): no fold tests a prompt on its cluster twin
            rows.append(_row(q["prompt"], "arena-hard-v0.1", f"arena-hard:{q['cluster']}", **_read_labels(r)))
    return rows


@functools.cache
def _arena2023_prompts() -> dict[str, str]:
    """The shipped arena-2023 prompts by question id (all user turns joined), read once for both loaders."""
    return {r["question_id"]: "\n".join(r["turns"]) for r in _jsonl(HERE.parent / _ARENA_2023)}


def _arena2023_labels(labels_file: Path) -> dict[str, dict[str, bool | None]]:
    """Our labels of the arena-2023 prompts by question id, in the file's order (one row per prompt)."""
    with labels_file.open(encoding="utf-8") as fh:
        return {r["question_id"]: _read_labels(r) for r in csv.DictReader(fh)}


def _arena2023(labels: dict[str, dict[str, bool | None]]) -> list[Row]:
    prompts = _arena2023_prompts()
    return [_row(prompts[q], "arena-2023", f"arena:{_h(prompts[q])}", **found) for q, found in labels.items()]


def _arena2023_translated(labels: dict[str, dict[str, bool | None]], translations: Path) -> list[Row]:
    """1,082 translations of arena-2023 prompts by us into 18 languages (``arena2023_translations.jsonl``: uid,
    language, prompt; 400 for ``learned@3``, 682 more for ``learned@4``), with the labels of their English
    original: a category or a criterion is a property of the task, not of its language. Each shares its original's group, so no fold tests a prompt on its translation.
    Their criteria labels are rows of ``criteria_labels.csv`` (source ``arena-2023-translated``), copied from the
    original's."""
    if not translations.exists():
        return []
    prompts = _arena2023_prompts()
    return [
        _row(r["prompt"], "arena-2023-translated", f"arena:{_h(prompts[r['uid']])}", **labels[r["uid"]])
        for r in _jsonl(translations)
    ]


def criteria_labels() -> pl.DataFrame:
    """``criteria_labels.csv``: (source, uid, key, criteria.<name> as booleans), one row per labelled prompt;
    ``key`` is :func:`text_key` of the prompt. A prompt labelled twice (five arena-2023 prompts are also in
    Arena-Hard v0.1) keeps its first row."""
    raw = pl.read_csv(HERE / "criteria_labels.csv", schema_overrides={"uid": pl.String, "key": pl.String})
    crit = raw.select(
        "source", "uid", "key", *[pl.col(c).cast(pl.Boolean).alias(f"criteria.{c}") for c in HARD_PROMPT_CRITERIA]
    )
    return crit.unique("key", keep="first", maintain_order=True)


def text_key(text: str) -> str:
    """The key a prompt's criteria labels are filed under: the first 16 hex digits of its text's sha256."""
    return _h(text)


def _read_labels(r: dict[str, str]) -> dict[str, bool | None]:
    """A row of our label files: 1 = True, 0 = False, blank (unsure) = None."""
    return {c: {"1": True, "0": False}.get(r[c]) for c in CATEGORIES}


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_hashes(root: Path) -> list[dict[str, str]]:
    """Each file's manifest row; raises if a file the loader reads is missing or differs."""
    out = []
    for line in (HERE / "labeler_sources.tsv").read_text(encoding="utf-8").splitlines():
        name, saved, repo, commit, path, digest = line.split("\t")
        f = root / name / saved
        if not f.exists():
            continue
        got = file_sha256(f)
        if got != digest:
            raise SystemExit(f"{f}: sha256 {got} differs from the manifest's {digest} ({repo}@{commit}:{path})")
        out.append({"source": name, "origin": f"{repo}@{commit[:12]}:{path}", "sha256": digest})
    return out


def load_sources(root: Path) -> tuple[pl.DataFrame, list[dict[str, str]]]:
    manifest = check_hashes(root)
    rows = load_rows(root)
    schema = {"text": pl.String, "source": pl.String, "group": pl.String, **{c: pl.Boolean for c in CATEGORIES}}
    df = pl.DataFrame(rows, schema=schema, orient="row")
    df = df.filter(pl.col("text").str.strip_chars().str.len_chars() > 0)
    # one row per distinct text (the same prompt in two sources keeps its first labels)
    df = df.unique("text", keep="first", maintain_order=True)
    crit = criteria_labels().drop("source", "uid")
    df = (
        df.with_columns(key=pl.col("text").map_elements(text_key, return_dtype=pl.String))
        .join(crit, on="key", how="left", maintain_order="left")
        .drop("key")
    )
    return df, manifest
