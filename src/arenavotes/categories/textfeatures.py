"""Language-independent features of a prompt for the learned category labeler: hashed character n-grams
and a few structural counts. Shared by the labeler at run time and by ``tools/train_labeler.py``, so the
two can never drift apart.

Why characters: the shipped sentence encoder is English-first (most Chinese tokens are unknown to it),
while character n-grams see every script the same way -- a Chinese, Russian or Vietnamese math problem
shares n-grams with the training prompts of its language, and code shares its punctuation in every
language. The n-grams are hashed (no vocabulary to ship), vectorised in numpy over the concatenated
code points of a batch (no Python loop per n-gram), and each row depends on its own text alone.

>>> X = char_ngrams(["def f(x): return x", "Write a poem", ""], bits=12)
>>> X.shape, bool(X[2].nnz == 0), round(float((X[0].multiply(X[0])).sum()), 6)
((3, 4096), True, 1.0)
>>> s = structure(["```python\\nprint(1)\\n```", "Solve 3x + 5 = 20", "写一首关于大海的诗"])
>>> s.shape, STRUCTURE_NAMES[0], float(s[0, 0]), float(s[2, STRUCTURE_NAMES.index("non_ascii")])
((3, 12), 'fence', 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix, vstack

#: n-gram lengths hashed (characters)
NGRAMS = (1, 2, 3, 4)
#: characters read from the start and from the end of a prompt (instructions often follow a pasted text)
HEAD, TAIL = 3000, 1000

_P = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def window(texts: Sequence[str | None]) -> list[str]:
    """The lower-cased part of each text the n-grams read: all of it, or its head and tail."""
    out = []
    for t in texts:
        t = (t or "").lower()
        out.append(t if len(t) <= HEAD + TAIL else t[:HEAD] + "\n" + t[-TAIL:])
    return out


#: code points hashed at a time: each costs a few hundred bytes of transient arrays at the peak (the n-gram
#: keys of all four lengths, their concatenation and the sparse conversion); with scipy's conversion, 2^17 held
#: a chunk to ~46 MB where 2^20 reached 254 MB (the labeler's largest batch of 2,048 real arena prompts, NumPy
#: allocations traced; the same speed); rows do not depend on it
CHUNK_CHARS = 1 << 17


def char_ngrams(texts: Sequence[str | None], bits: int = 17) -> csr_matrix:
    """(len(texts) x 2**bits) hashed character n-gram counts, log(1 + count), rows L2-normalised.

    Texts are hashed about :data:`CHUNK_CHARS` code points at a time, so the transient arrays stay small
    whatever the batch; every row depends on its own text alone, so chunking never changes a value."""
    parts = [_char_ngrams(chunk, bits) for chunk in _chunks(window(texts))]
    return parts[0] if len(parts) == 1 else csr_matrix(vstack(parts, format="csr"), dtype=np.float32)


def char_ngram_product(texts: Sequence[str | None], weights: np.ndarray, bits: int = 17) -> np.ndarray:
    """``char_ngrams(texts, bits) @ weights`` (float64), one chunk at a time: the batch's n-gram matrix is never
    held whole, so the labeler's memory does not depend on how long its prompts are. The same bits as the
    product of the whole matrix (a sparse row times a dense matrix is summed within the row).

    >>> w = np.arange(2 ** 10 * 2, dtype=np.float64).reshape(-1, 2)
    >>> texts = ["def f(x): return x", "Write a poem", ""]
    >>> bool(np.array_equal(char_ngram_product(texts, w, bits=10), char_ngrams(texts, bits=10) @ w))
    True
    """
    docs = window(texts)
    out = np.zeros((len(docs), weights.shape[1]), dtype=np.float64)
    lo = 0
    for chunk in _chunks(docs):
        out[lo : lo + len(chunk)] = np.asarray(_char_ngrams(chunk, bits) @ weights, dtype=np.float64)
        lo += len(chunk)
    return out


def _chunks(docs: list[str]) -> list[list[str]]:
    """``docs`` cut into consecutive runs of about :data:`CHUNK_CHARS` code points (at least one run)."""
    parts, lo, size = [], 0, 0
    for i, d in enumerate(docs):
        size += len(d) + 1
        if size >= CHUNK_CHARS:
            parts.append(docs[lo : i + 1])
            lo, size = i + 1, 0
    if lo < len(docs) or not parts:
        parts.append(docs[lo:])
    return parts


def _char_ngrams(docs: list[str], bits: int) -> csr_matrix:
    n_docs = len(docs)
    width = 1 << bits
    if not n_docs:
        return csr_matrix((0, width), dtype=np.float32)
    # one array of code points for the whole batch, a 0 between texts (never inside an n-gram)
    codes = np.frombuffer("\x00".join(docs).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=n_docs)
    doc_of = np.repeat(np.arange(n_docs), lengths + 1)[: len(codes)]
    seps = np.concatenate([[0], np.cumsum(codes == 0)])
    rows, cols = [], []
    h = np.zeros(len(codes), dtype=np.uint64)
    for n in range(1, max(NGRAMS) + 1):
        m = len(codes) - n + 1
        if m <= 0:
            break
        h = h[:m] * _P + codes[n - 1 : n - 1 + m]
        if n not in NGRAMS:
            continue
        ok = seps[n : n + m] - seps[:m] == 0  # no separator inside the n-gram
        keyed = (h[ok] + np.uint64(n)) * _MIX
        rows.append(doc_of[:m][ok])
        cols.append((keyed >> np.uint64(64 - bits)).astype(np.int64))
    # (doc, bucket) as one key; sorted and run-length encoded by Polars: the counts in CSR order, half the CPU
    # of scipy's COO -> CSR conversion (which sorts each row and then sums its duplicates), the same matrix
    key = pl.Series(np.concatenate(rows) * width + np.concatenate(cols) if rows else np.zeros(0, dtype=np.int64))
    runs = key.sort().rle()
    keys = runs.struct.field("value").to_numpy()
    doc = keys // width
    indptr = np.searchsorted(doc, np.arange(n_docs + 1)).astype(np.int32)
    data = np.log1p(runs.struct.field("len").to_numpy().astype(np.float32))
    counts = csr_matrix((data, (keys - doc * width).astype(np.int32), indptr), shape=(n_docs, width))
    counts.has_canonical_format = True  # sorted, no duplicates
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    scale = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
    return csr_matrix(counts.multiply(scale[:, None]), dtype=np.float32)


STRUCTURE_NAMES = (
    "fence",
    "code_lines",
    "braces",
    "math_symbols",
    "latex",
    "digits",
    "length",
    "lines",
    "questions",
    "list_items",
    "quotes",
    "non_ascii",
)

_CODE_LINE = (
    r"(?m)^\s*(?:def |class \w|import \w|from \w[\w.]* import|#include|public |private |function\b|const |let |"
    r"var |return\b|if\s*\(|for\s*\(|while\s*\(|SELECT\b|<\w+[ >]|\}|\w+\s*=\s*\S.*;\s*$)"
)
_MATH_SYMBOL = r"[=+\-*/^<>≤≥≠√∑∫π×÷%]|\d\s*[a-z]\b"


#: the rule labelers' verdicts, used as features (high precision where they fire; the head learns the rest)
RULE_NAMES = ("rule_math", "rule_creative", "rule_if_score", "rule_hard_score", "rule_is_code", "rule_code_task")


#: the rule labeler's four votes :func:`rule_votes` reads, as ``label_rules`` names the categories
_RULE_CATEGORIES = ("math", "creative_writing", "instruction_following", "hard_prompt")


def rule_scores(prompts: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """(text, math, creative_writing, instruction_following, hard_prompt): the votes of ``rows`` (what
    ``label_rules(prompts)`` returned) by the text they were read from, each text once: what :func:`rule_votes`
    takes as ``known`` instead of running the rules again on a text that the ``rules`` labeler just read.

    >>> from arenavotes.categories.rules import label_rules
    >>> p = pl.DataFrame({"battle_id": ["1", "2"], "prompt": ["Solve 3x + 5 = 20", "Solve 3x + 5 = 20"]})
    >>> rule_scores(p, label_rules(p)).rows()
    [('Solve 3x + 5 = 20', 1.0, 0.0, 0.0, 3.0)]
    """
    from arenavotes.categories.rules import READ_CHARS

    # keyed by the text the rules read; a missing prompt is left out (the rules read null, not "")
    return (
        prompts.filter(pl.col("prompt").is_not_null())
        .select("battle_id", text=pl.col("prompt").str.slice(0, READ_CHARS))
        .join(_wide(rows), on="battle_id", how="inner", maintain_order="left")
        .unique("text", keep="first", maintain_order=True)
        .select("text", *_RULE_CATEGORIES)
    )


def _wide(rows: pl.DataFrame) -> pl.DataFrame:
    """(battle_id, math, creative_writing, instruction_following, hard_prompt) of ``label_rules`` rows: the
    score where the category has one, else the value as 0/1."""
    if rows.is_empty():  # no column to pivot into
        return pl.DataFrame(schema={"battle_id": pl.String, **dict.fromkeys(_RULE_CATEGORIES, pl.Float64)})
    return (
        rows.filter(pl.col("category").is_in(_RULE_CATEGORIES))
        .with_columns(
            v=pl.when(pl.col("score").is_not_null()).then(pl.col("score")).otherwise(pl.col("value").cast(pl.Float64))
        )
        .pivot(on="category", index="battle_id", values="v")
        .select("battle_id", *_RULE_CATEGORIES)
    )


def rule_votes(texts: Sequence[str | None], known: pl.DataFrame | None = None) -> np.ndarray:
    """(len(texts) x len(RULE_NAMES)) float32 in [0, 1]: ``offline/rules@2``'s math, creative writing, its 0-5
    instruction score / 5 and 0-7 criteria count / 7 (the same in ``rules@1``: only the hard cut changed),
    and LMArena's ``is_code`` keywords and our programming-task phrase on the prompt alone.

    ``known``: :func:`rule_scores` of texts the rules already read; a text here whose part read (its first
    ``HEAD + TAIL`` characters) is one of them takes those votes (the rules are a function of the text, so the
    same values) instead of running the rules again."""
    from arenavotes.categories.deterministic import CODING_TASK, is_code_expr
    from arenavotes.categories.rules import label_rules

    ids = [str(i) for i in range(len(texts))]
    prompts = pl.DataFrame({"battle_id": ids, "prompt": [(x or "")[: HEAD + TAIL] for x in texts]})
    reused = (
        prompts.join(known.rename({"text": "prompt"}), on="prompt", how="inner").select("battle_id", *_RULE_CATEGORIES)
        if known is not None
        else _wide(pl.DataFrame())
    )
    todo = prompts.filter(~pl.col("battle_id").is_in(reused["battle_id"].implode()))
    wide = pl.concat([reused, _wide(label_rules(todo))]) if todo.height else reused
    code = prompts.select(
        "battle_id",
        rule_is_code=is_code_expr("prompt").fill_null(False).cast(pl.Float64),
        rule_code_task=pl.col("prompt").str.contains(CODING_TASK).fill_null(False).cast(pl.Float64),
    )
    out = (
        prompts.select("battle_id")
        .join(wide, on="battle_id", how="left", maintain_order="left")
        .join(code, on="battle_id", how="left", maintain_order="left")
        .select(
            rule_math=pl.col("math"),
            rule_creative=pl.col("creative_writing"),
            # times the inverse, as Polars divides a chunk of more than one row by a number: it divides a chunk of
            # one row exactly, so 3 / 5 was 0.6 or 0.6000000000000001 as the rows happened to be cut
            rule_if_score=pl.col("instruction_following") * (1 / 5),
            rule_hard_score=pl.col("hard_prompt") * (1 / 7),
            rule_is_code=pl.col("rule_is_code"),
            rule_code_task=pl.col("rule_code_task"),
        )
    )
    return out.fill_null(0.0).to_numpy().astype(np.float32)


def structure(texts: Sequence[str | None]) -> np.ndarray:
    """(len(texts) x len(STRUCTURE_NAMES)) float32 counts, squashed to [0, 1) so no feature dominates."""
    t = pl.Series("t", [(x or "")[: HEAD + TAIL] for x in texts], dtype=pl.String)
    df = pl.DataFrame(t).select(
        fence=pl.col("t").str.contains("```", literal=True).cast(pl.Float32),
        code_lines=pl.col("t").str.count_matches(_CODE_LINE),
        braces=pl.col("t").str.count_matches(r"[{};()\[\]]"),
        math_symbols=pl.col("t").str.count_matches(_MATH_SYMBOL),
        latex=pl.col("t").str.count_matches(r"\\[a-z]+|\$[^$\n]+\$"),
        digits=pl.col("t").str.count_matches(r"\d"),
        length=pl.col("t").str.len_chars(),
        lines=pl.col("t").str.count_matches("\n"),
        questions=pl.col("t").str.count_matches(r"[?？]"),
        list_items=pl.col("t").str.count_matches(r"(?m)^\s*(?:\d+[.)]|[-*•])\s+\S"),
        quotes=pl.col("t").str.count_matches(r"[\"“”«»「」]"),
        non_ascii=pl.col("t").str.count_matches(r"[^\x00-\x7f]") / pl.col("t").str.len_chars().clip(1),
    )
    out = df.select(pl.all().cast(pl.Float32)).to_numpy().astype(np.float32)
    scale = np.array([1, 5, 20, 10, 3, 20, 500, 10, 2, 3, 4, 1], dtype=np.float32)
    squashed = out / (out + scale)
    squashed[:, STRUCTURE_NAMES.index("fence")] = out[:, 0]
    squashed[:, STRUCTURE_NAMES.index("non_ascii")] = out[:, -1]
    return np.asarray(squashed, dtype=np.float32)


#: the dense block the labeler reads: structure, then the rules' votes
DENSE_NAMES = STRUCTURE_NAMES + RULE_NAMES


def dense(texts: Sequence[str | None], known: pl.DataFrame | None = None) -> np.ndarray:
    """:func:`structure` and :func:`rule_votes` side by side (len(texts) x len(DENSE_NAMES)); ``known`` as in
    :func:`rule_votes`."""
    return np.hstack([structure(texts), rule_votes(texts, known)])
