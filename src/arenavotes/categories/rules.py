"""Rule-based labelers for LMArena's LLM-judged categories: math, creative writing, instruction
following and the seven hard-prompt criteria. Offline, vectorised regular expressions.

LMArena labels these with an LLM judge (``arenavotes.categories.judge`` speaks that protocol to an
endpoint you provide). These rules approximate it without any service; their measured F1 is in the
README (bench/categories.py) and is well below the judge's -- use them as a cheap, reproducible
first cut, and the judge where you can. Versioned as ``rules@<version>``.

* ``math``: a mathematical task -- a strong term (solve, probability, integral, prove, ...) with numbers
  or symbols, or several formula-like spans; not code, not a long document. (LMArena: "requires
  solving a math problem"; explaining a concept is not math.)
* ``creative_writing``: a creative form (poem, story, lyrics, screenplay, joke, role-play, ...) asked
  for with a writing verb, and not a business genre (email, report, summary, ...).
* ``instruction_following``: ``score`` 0-5 counts kinds of explicit constraint (length, format,
  prohibitions, requirements, order/style, enumerated steps, a long prompt); ``value`` = score >= 3.
  (LMArena's judge scores 0-5 and uses >= 4; these cues are coarser, so the cut is one lower.)
* ``hard_prompt``: ``value`` = at least :data:`HARD_MIN_CRITERIA` (4) of the 7 ``criteria.*`` below hold;
  ``score`` = how many. LMArena's judge calls a prompt hard at 6 of its 7 criteria, but these keyword
  criteria fire far less often than the judge's (on the arena-2023 prompts: domain knowledge 31% here
  against 81% in LMArena's 140k labels, problem solving 24% against 68%, creativity 16% against 53%), so
  6 of ours marked only 1.9% of the arena-2023 prompts hard. ``rules@2`` calibrates the cut to
  LMArena's reported ~20% of prompts: at 4, 19.7% of the arena-2023 prompts are hard. Which prompts agree
  with LMArena's is unmeasured (no public text carries its criteria labels).

>>> import polars as pl
>>> p = pl.DataFrame({"battle_id": ["1", "2"], "prompt": ["Solve for x: 3x + 5 = 20", "Write a haiku about rain"]})
>>> out = label_rules(p).filter(pl.col("value") & ~pl.col("category").str.starts_with("criteria."))
>>> out.select("battle_id", "category").sort("battle_id").rows()
[('1', 'math'), ('2', 'creative_writing')]
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from arenavotes.categories.deterministic import LABEL_SCHEMA
from arenavotes.categories.wordscan import with_columns as scan_by_script

_TECH = (
    r"(?i)\b(?:python|javascript|typescript|java|kotlin|golang|rust|ruby|php|scala|haskell|c\+\+|c#|sql|mysql|"
    r"postgres(?:ql)?|bash|powershell|html|css|react|node\.?js|django|flask|pandas|numpy|pytorch|tensorflow|"
    r"docker|kubernetes|linux|git|api|regex|json|yaml|excel formula|vba)\b"
)
_SYNTAX = (
    r"(?m)```|^\s*(?:def |class \w+|import \w|from \w[\w.]* import|#include|public (?:static |class )|"
    r"function \w+\s*\(|const \w+\s*=|let \w+\s*=|var \w+\s*=|SELECT .+ FROM|CREATE TABLE)"
)

_MATH_SYMBOLS = (
    r"\$[^$\n]{1,200}\$|\\(?:frac|int|sum|sqrt|lim|prod|cdot|infty|mathbb|partial)|"
    r"\d\s*[x×*/^+\-]\s*\d+\s*[=+\-*/^]|[a-z]\s*\^\s*\d|\bf\(x\)|[=≤≥<>]\s*-?\d|∫|√|π|∑|≠"
)
_MATH_STRONG = (
    r"(?i)\b(?:solve|calculate|compute|probability|probabilities|expected value|integral|integrate|"
    r"derivative|differentiate|equation|equations|inequality|prove|proof|theorem|lemma|prime numbers?|"
    r"divisible|factorial|eigen\w*|polynomial|quadratic|logarithm|modulo|standard deviation|variance|"
    r"compound interest|combinatorics|permutations?|combinations?|geometry|trigonometr\w*|percentage|"
    r"ratio)\b|посчитай|вычисли|вероятност|уравнен|докажи|计算|概率|方程|证明|計算|確率|証明|"
    r"(?i:berechne|wahrscheinlichkeit|calcula|probabilidad|calculez|probabilité)"
)
_MATH_WEAK = (
    r"(?i)\b(?:how many|how much|how long|sum|product|average|mean|median|total|minimum|maximum|smallest|"
    r"largest|area|volume|radius|angle|triangle|speed|distance|digits?|integers?|numbers?|fraction|"
    r"decimal)\b|сколько|多少|いくつ"
)

_CW_FORM = (
    r"(?i)\b(?:poem|poetry|poems|haiku|sonnet|limerick|verse|stanza|lyrics|song|rap|ballad|story|stories|"
    r"short story|fairy ?tale|fable|novel|fan ?fic(?:tion)?|fiction|screenplay|script for a|monologue|"
    r"dialogue between|narrative|chapter|scene|roleplay|role-play|role play|pretend (?:you|to)|joke|jokes|"
    r"pun|riddle|parody|satire|ode|tale|myth|legend)\b|стих|рассказ|сказк|песн|诗|故事|小说|歌词|物語|詩|"
    r"(?i:gedicht|geschichte|poema|cuento|poème|histoire)"
)
_CW_VERB = (
    r"(?i)\b(?:write|compose|create|craft|imagine|invent|continue|tell me|generate|make up|pretend)\b|"
    r"напиши|сочини|придумай|写|創作|書いて|(?i:schreib|escribe|écris)"
)
_CW_NEG = (
    r"(?i)\b(?:email|e-mail|cover letter|resume|cv|report|summary|summari[sz]e|essay on|article about|"
    r"business|marketing|proposal|documentation|translate|grammar)\b"
)

_IF_CUES = (
    r"(?i)\b(?:in|with|using|under|within|at most|at least|no more than|exactly|fewer than|less than|up to)\s+"
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred)\s+"
    r"(?:words?|sentences?|paragraphs?|lines?|characters?|bullet points?|items?|points?|steps?|tokens?)\b",
    r"(?i)\b(?:format|formatted|json|yaml|csv|markdown|table|bullet(?:ed)? (?:list|points)|numbered list|"
    r"headings?|template|code block|xml)\b",
    r"(?i)\b(?:do not|don't|never|avoid|without using|must not|should not|refrain from)\b",
    r"(?i)\b(?:must|should|make sure|ensure|be sure to|remember to|required?|requirements?)\b",
    r"(?i)\b(?:start(?:s|ing)? with|begin(?:s|ning)? with|end(?:s|ing)? with|in (?:all )?(?:capital|uppercase|"
    r"lowercase) letters|in the style of|in the tone of|tone|persona|as if you (?:are|were))\b",
    r"(?m)^\s*(?:\d+[.)]|[-*•])\s+\S",
)

_HARD = {
    "specificity": r"(?i)\b(?:write|create|design|implement|generate|provide|give me|list|calculate|solve|draft|"
    r"build|plan|convert|fix|optimi[sz]e|explain how)\b",
    "domain_knowledge": (
        r"(?i)\b(?:algorithm|theorem|protocol|quantum|neural|molecul\w*|enzyme|statute|"
        r"legal|tax|finance|financial|medical|clinical|diagnos\w*|physics|chemistry|biology|"
        r"econom\w*|statistic\w*|regression|database|compiler|kernel|network|cryptograph\w*|"
        r"architecture|engineering|circuit|genom\w*|pharmac\w*|accounting|derivative|integral)\b|" + _TECH[4:]
    ),
    "complexity": r"(?i)\b(?:and then|step[- ]by[- ]step|multiple|several|each|compare|trade-?offs?|first.*then|"
    r"considering|constraints?|requirements?|edge cases?)\b",
    "problem_solving": r"(?i)\b(?:solve|design|optimi[sz]e|debug|fix|plan|strategy|approach|figure out|how (?:can|do|"
    r"would|should) (?:i|we)|analy[sz]e|troubleshoot|implement|improve)\b",
    "creativity": r"(?i)\b(?:creative|novel|original|unique|invent|imagine|design|brainstorm|story|poem|ideas?|"
    r"innovative|new way)\b",
    "technical_accuracy": (
        r"(?i)\b(?:exact|precise|accurate|correct|calculate|compute|prove|derive|code|function|"
        r"formula|equation|syntax|specification|numeric\w*|units?)\b|" + _MATH_SYMBOLS
    ),
    "real_world": r"(?i)\b(?:my|our|company|business|customers?|clients?|users?|team|project|production|budget|"
    r"market|job|work|manager|application|app|website|real[- ]world|practical)\b",
}


#: characters of a prompt the rules read (the start: a pasted document's tail is not the task)
READ_CHARS = 12_500

#: criteria (of 7) that make a prompt hard; calibrated to LMArena's prevalence, see the module docstring
HARD_MIN_CRITERIA = 4


def _features(rx: Callable[[str], str]) -> dict[str, pl.Expr]:
    """The per-prompt counts and cues the rules read, each pattern spelled ``rx(pattern)`` (see
    :func:`arenavotes.categories.wordscan.with_columns`)."""

    def n(pattern: str) -> pl.Expr:
        return pl.col("t").str.count_matches(rx(pattern))

    def has(pattern: str) -> pl.Expr:
        return pl.col("t").str.contains(rx(pattern))

    return {
        "syntax": has(_SYNTAX),
        "tech": has(_TECH),
        "nchar": pl.col("t").str.len_chars(),
        "sym": n(_MATH_SYMBOLS),
        "strong": n(_MATH_STRONG),
        "weak": n(_MATH_WEAK),
        "nums": n(r"\d+(?:[.,]\d+)?"),
        "form": n(_CW_FORM),
        "verb": n(_CW_VERB),
        "neg": n(_CW_NEG),
        "if_score": pl.sum_horizontal([has(c).cast(pl.Int32) for c in _IF_CUES])
        + (pl.col("t").str.len_chars() > 400).cast(pl.Int32),
        **{f"c_{k}": has(v) for k, v in _HARD.items()},
    }


def label_rules(prompts: pl.DataFrame) -> pl.DataFrame:
    """Rows (battle_id, category, value, score) for math, creative_writing, instruction_following,
    hard_prompt and the seven criteria.* from ``prompts`` (battle_id, prompt)."""
    p = prompts.select("battle_id", t=pl.col("prompt").str.slice(0, READ_CHARS))
    p = scan_by_script(p, "t", _features)
    p = p.with_columns(
        code=pl.col("syntax") | pl.col("tech"),
        c_complexity=pl.col("c_complexity") | (pl.col("nchar") > 600),
        if_score=pl.col("if_score").clip(0, 5),
    )
    math = (
        ~pl.col("code")
        & (pl.col("nchar") <= 4000)
        & (
            (pl.col("sym") >= 2)
            | ((pl.col("strong") >= 1) & ((pl.col("nums") >= 1) | (pl.col("sym") >= 1) | (pl.col("weak") >= 1)))
            | ((pl.col("weak") >= 2) & (pl.col("nums") >= 2))
            | ((pl.col("weak") >= 1) & (pl.col("nums") >= 3))
        )
    )
    creative = ~pl.col("syntax") & (
        ((pl.col("form") >= 1) & (pl.col("verb") >= 1) & (pl.col("neg") == 0)) | (pl.col("form") >= 3)
    )
    crit = [f"c_{k}" for k in _HARD]
    p = p.with_columns(hard_n=pl.sum_horizontal([pl.col(c).cast(pl.Int32) for c in crit]))
    parts = [
        p.select("battle_id", category=pl.lit("math"), value=math, score=pl.lit(None, pl.Float64)),
        p.select("battle_id", category=pl.lit("creative_writing"), value=creative, score=pl.lit(None, pl.Float64)),
        p.select(
            "battle_id",
            category=pl.lit("instruction_following"),
            value=pl.col("if_score") >= 3,
            score=pl.col("if_score").cast(pl.Float64),
        ),
        p.select(
            "battle_id",
            category=pl.lit("hard_prompt"),
            value=pl.col("hard_n") >= HARD_MIN_CRITERIA,
            score=pl.col("hard_n").cast(pl.Float64),
        ),
        *(
            p.select(
                "battle_id", category=pl.lit(f"criteria.{k}"), value=pl.col(f"c_{k}"), score=pl.lit(None, pl.Float64)
            )
            for k in _HARD
        ),
    ]
    return pl.concat(parts).select(list(LABEL_SCHEMA))
