"""Cheap screens run over a whole batch of texts before Python's regexes run on each text.

A recognizer that needs, say, seven digits close together cannot fire on a text without them; asking that of
all texts at once in Arrow's RE2 engine (C++, no backtracking) and running the exact Python regex only where
the screen holds makes the pattern pass several times faster on arena texts, most of which hold no candidate
at all. A screen must be a *superset* of its recognizer: the tests compare the screened scan with the
unscreened one on real texts with PII planted in every shape.

RE2, not Python's ``re``: ``\\d``, ``\\s`` and ``\\b`` are ASCII there, so screens spell digits ``\\p{Nd}``
and whitespace :data:`WS` to cover every character Python's ``\\d`` and ``\\s`` match. Arrow, not Polars:
these run in forked worker processes, where Polars' thread pool (started in the parent) deadlocks.

>>> matches(["call 0049 30 27346468", "no digits"], r"\\p{Nd}(?:[ .()-]{0,2}\\p{Nd}){6}").tolist()
[True, False]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: every character Python's ``\s`` matches in a str pattern, as an RE2 class
WS = r"[\s\v\p{Z}\x{1c}-\x{1f}\x{85}]"


def text_array(texts: Sequence[str] | pa.Array) -> pa.Array:
    """The texts as one Arrow array, made once for several screens."""
    if isinstance(texts, pa.Array):
        return texts
    try:
        return pa.array(texts, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):
        # lone surrogates (from JSON escapes) cannot be UTF-8: screen a copy where they are U+FFFD, which no
        # screen matches either (neither is a digit, a letter or a space)
        return pa.array([t.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for t in texts], pa.string())


def matches(texts: Sequence[str] | pa.Array, regex: str) -> np.ndarray:
    """One bool per text: does ``regex`` (RE2) match somewhere in it."""
    if len(texts) == 0:
        return np.zeros(0, dtype=bool)
    arr = text_array(texts)
    return np.asarray(pc.match_substring_regex(arr, regex).to_numpy(zero_copy_only=False), dtype=bool)


def contains_any(texts: Sequence[str] | pa.Array, literals: Sequence[str]) -> np.ndarray:
    """One bool per text: does any of ``literals`` occur in it (case-sensitive)."""
    arr = text_array(texts)
    out = np.zeros(len(texts), dtype=bool)
    for lit in literals:
        out |= np.asarray(pc.match_substring(arr, lit).to_numpy(zero_copy_only=False), dtype=bool)
    return out
