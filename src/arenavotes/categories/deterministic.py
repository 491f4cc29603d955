"""Deterministic prompt labelers: the same input always gives the same label, fast, no model files.

Each returns rows ``(battle_id, category, value, score)``; the stage adds the labeler name@version.

* ``language`` (language@1): LMArena's rule -- CLD2 on the *first* user message, reliable result
  first, best effort second, else ``unknown`` -- with language names as ICU displays them (table in
  ``data/cld2_language_names.json``, so no PyICU). Matches the labels of all 100 arena-100 and 1,135
  arena-2023 prompts. ``value`` is true, ``category`` is ``language:<Name>``.
* ``multi_turn`` (multi_turn@1): at least 2 user turns.
* ``long_query`` (long_query@1): at least 500 cl100k_base tokens over the user turns; ``short_query``: fewer
  than 5. ``score`` = the token count.
* ``code_present`` (code_present@1): the prompt holds code (a fence, or lines that look like code).
* ``coding`` (coding@1): LMArena's ``is_code`` tagger, which reads *every* message of both sides: a
  message is code if (after dropping ```plaintext / ```markdown blocks, and unless it mentions "ascii
  art") it has a fence, a programming keyword (python, c++, sql, git, dataframe, ...), a library
  import or an install command -- plus a programming-task phrase in the prompt, for sources that
  recorded no answers. Reproduces ``is_code`` on all 100 arena-100 conversations.
* ``refusal`` (refusal@1): an answer opens by declining ("I'm sorry, but I can't ...").

>>> import polars as pl
>>> p = pl.DataFrame({"battle_id": ["1"], "prompt": ["Bonjour, comment allez-vous aujourd'hui ?"],
...                   "first_user": ["Bonjour, comment allez-vous aujourd'hui ?"], "user_turns": [1],
...                   "user_tokens": [12]})
>>> language(p).rows()
[('1', 'language:French', True, None)]
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from collections.abc import Iterable

import polars as pl

LABEL_SCHEMA = {"battle_id": pl.String, "category": pl.String, "value": pl.Boolean, "score": pl.Float64}
#: A ``prompt_labels`` row as every labeler returns it (offline, judge).
LABEL_ROW_SCHEMA = {
    "battle_id": pl.String,
    "labeler": pl.String,
    "category": pl.String,
    "value": pl.Boolean,
    "score": pl.Float64,
}


@functools.lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    text = importlib.resources.files("arenavotes.categories").joinpath("data/cld2_language_names.json").read_text()
    return json.loads(text)


def detect_language(text: str | None) -> str:
    """LMArena's language of one text (see the module docstring)."""
    import pycld2

    if not text:
        return "unknown"
    try:
        data = text.encode("utf-8")
        reliable, _, top = pycld2.detect(data, bestEffort=False)
        if not reliable:
            reliable, _, top = pycld2.detect(data, bestEffort=True)
        if not reliable:
            return "unknown"
    except (pycld2.error, UnicodeEncodeError):
        return "unknown"
    code = top[0][1]
    return _language_names().get(code, top[0][0].title())


def detect_languages(texts: Iterable[str | None], memo: dict[str, str] | None = None) -> dict[str, str]:
    """:func:`detect_language` of each distinct text (``None`` as ""), reading and filling ``memo``: the
    ``language`` labeler and the learned labeler's cuts detect the same text once in a batch (a one-turn
    prompt is its own first message).

    >>> memo = {}
    >>> detect_languages(["Bonjour, comment allez-vous aujourd'hui ?", None], memo)
    {"Bonjour, comment allez-vous aujourd'hui ?": 'French', '': 'unknown'}
    >>> len(memo)
    2
    """
    memo = {} if memo is None else memo
    out = {}
    for t in dict.fromkeys(t or "" for t in texts):
        if t not in memo:
            memo[t] = detect_language(t)
        out[t] = memo[t]
    return out


def language(prompts: pl.DataFrame, memo: dict[str, str] | None = None) -> pl.DataFrame:
    """``language:<name>`` of each battle's first user message (LMArena's rule); ``memo`` as in
    :func:`detect_languages`."""
    # one CLD2 call per distinct first message (CLD2 runs at ~20k prompts/s; texts repeat a lot)
    names = detect_languages(prompts["first_user"].unique().to_list(), memo)
    out = prompts.select(
        "battle_id",
        category=pl.lit("language:")
        + pl.col("first_user").replace_strict(names, default="unknown", return_dtype=pl.String),
    )
    return out.with_columns(value=pl.lit(True), score=pl.lit(None, pl.Float64)).select(list(LABEL_SCHEMA))


def _flag(prompts: pl.DataFrame, category: str, value: pl.Expr, score: pl.Expr | None = None) -> pl.DataFrame:
    return prompts.select(
        "battle_id",
        category=pl.lit(category),
        value=value,
        score=(score if score is not None else pl.lit(None)).cast(pl.Float64),
    )


def multi_turn(prompts: pl.DataFrame) -> pl.DataFrame:
    return _flag(prompts, "multi_turn", pl.col("user_turns") >= 2, pl.col("user_turns"))


def long_query(prompts: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [
            _flag(prompts, "long_query", pl.col("user_tokens") >= 500, pl.col("user_tokens")),
            _flag(prompts, "short_query", pl.col("user_tokens") < 5, pl.col("user_tokens")),
        ]
    )


_CODE_LINES = (
    r"(?m)^\s*(?:def |class \w+|import \w|from \w[\w.]* import|#include|public (?:static |class )|"
    r"function \w+\s*\(|const \w+\s*=|let \w+\s*=|var \w+\s*=|SELECT .+ FROM|CREATE TABLE|<\?php|#!/)"
    r"|\w+\([^()\n]*\)\s*\{\s*$|;\s*$"
)


def code_present(prompts: pl.DataFrame) -> pl.DataFrame:
    lines = pl.col("prompt").str.count_matches(_CODE_LINES)
    return _flag(prompts, "code_present", pl.col("prompt").str.contains("```", literal=True) | (lines >= 2), lines)


# LMArena's is_code tagger (FastChat code_tagger.py, Jun 2024 - Feb 2025), as facts: keywords and patterns.
_FC_WORDS = (
    "git",
    "github",
    "dataframe",
    "nginx",
    "pip",
    "python",
    "c++",
    "cpp",
    "java",
    "javascript",
    "typescript",
    "html",
    "css",
    "sql",
    "bash",
    "powershell",
    "matlab",
    "golang",
    "linux",
    "ubuntu",
)
_FC_SUBSTRINGS = (
    "import pandas",
    "import numpy",
    "import torch",
    "jax",
    "tensorflow",
    "pytorch",
    "keras",
    "scikit-learn",
    "sklearn",
    " apt-get ",
)
_FC_PATTERNS = (
    r"from \w+ import \w+",
    r"conda install \w+",
    r"pip install -r \w+",
    r"conda install -c \w+ \w+",
    r"#include <\w+>",
    r"import \w+ as \w+",
    r"#include \"\w+\.h\"",
)


def is_code_expr(col: str) -> pl.Expr:
    text = pl.col(col).str.replace_all(r"(?s)```(?:plaintext|markdown)[^\n]*\n.*?(?:```|$)", "")
    words = "|".join(w.replace("+", r"\+") for w in _FC_WORDS)
    word_hit = text.str.to_lowercase().str.contains(rf"(?:^|[^\w+#.])(?:{words})(?:$|[^\w+#])")
    sub_hit = pl.any_horizontal([text.str.contains(s, literal=True) for s in _FC_SUBSTRINGS])
    pat_hit = text.str.contains("|".join(f"(?:{p})" for p in _FC_PATTERNS))
    fence = text.str.contains("```", literal=True)
    ascii_art = text.str.to_lowercase().str.contains("ascii art", literal=True)
    return ~ascii_art & (fence | word_hit | sub_hit | pat_hit)


CODING_TASK = (
    r"(?i)\b(?:write|give|create|make|generate|implement|fix|debug|optimi[sz]e|refactor|convert|rewrite)"
    r"\b(?:\s+\S+){0,5}?\s+(?:code|function|program|class|method|regex|sql query|script|snippet|"
    r"algorithm)\b|\bsource code\b|\bstack ?trace\b|\bsyntax error\b|\bunit tests?\b|\bin (?:python|java"
    r"|javascript|typescript|c\+\+|c#|rust|go|golang|ruby|php|sql|bash|haskell|kotlin|swift)\b"
)


def coding(messages: pl.DataFrame, prompts: pl.DataFrame, answered: pl.Series | None = None) -> pl.DataFrame:
    """``messages``: battle_id, content -- every message of both sides (user and assistant).

    Battles whose only text is the prompt (no answers recorded) also count as coding when the
    prompt asks for a program ("implement a function ...", "... in Rust"): LMArena's tagger sees the
    answers' code blocks, which such sources lack. ``score`` is 1 for the tagger, 2 for the fallback.
    """
    per = (
        messages.filter(pl.col("content").is_not_null())
        .with_columns(hit=is_code_expr("content"))
        .group_by("battle_id")
        .agg(pl.col("hit").any())
    )
    out = prompts.select("battle_id", "prompt").join(per, on="battle_id", how="left")
    no_answers = pl.lit(True) if answered is None else ~pl.col("battle_id").is_in(answered.implode())
    task = no_answers & pl.col("prompt").str.contains(CODING_TASK)
    value = pl.col("hit").fill_null(False) | task
    score = pl.when(pl.col("hit").fill_null(False)).then(1.0).when(task).then(2.0)
    return out.select("battle_id", category=pl.lit("coding"), value=value, score=score)


_REFUSAL = (
    r"(?i)^\W*(?:I'?m sorry|I am sorry|sorry,|I apologi[sz]e|I'?m afraid|unfortunately,? I|I cannot|"
    r"I can'?t|I can ?not|I won'?t|I will not|I'?m (?:not able|unable)|I am (?:not able|unable)|"
    r"As an AI(?: language model)?,? I (?:cannot|can'?t|am not able|do not|don'?t)|"
    r"I must (?:decline|refuse)|I do not feel comfortable|I don'?t feel comfortable)"
)


def refusal(answers: pl.DataFrame, prompts: pl.DataFrame) -> pl.DataFrame:
    """``answers``: battle_id, side, text (first assistant turn of that side). Value: any side refused."""
    per = (
        answers.with_columns(hit=pl.col("text").str.contains(_REFUSAL))
        .group_by("battle_id")
        .agg(pl.col("hit").any(), pl.col("hit").sum().alias("n"))
    )
    out = prompts.select("battle_id").join(per, on="battle_id", how="inner")
    return out.select("battle_id", category=pl.lit("refusal"), value=pl.col("hit"), score=pl.col("n").cast(pl.Float64))
