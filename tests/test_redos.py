"""No regular expression run on user text can be made to backtrack for long (ReDoS).

Prompts and answers are attacker-controlled: a text of blank lines or of long digit runs once made the
gate's closing-line name context take minutes (cubic in the run of newlines) and the phone patterns tens of
milliseconds per digit run (exponential in its length), enough to stall a scrub or a release gate with one
planted prompt. Every module-level regex of the modules that read text is run here on adversarial inputs
built from short units that the patterns like (digits, separators, whitespace, capitalised words, closing
words), as one long run and as many short runs, each followed by a character that makes the match fail. The
bound is generous (a linear scan takes well under a millisecond): it catches backtracking, not speed.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Iterator

import pytest

MODULES = [
    "arenavotes.pii.patterns",
    "arenavotes.pii.loose",
    "arenavotes.pii.names",
    "arenavotes.pii.engine",
    "arenavotes.pii.validators",
    "arenavotes.pii.code",
    "arenavotes.pii.gazetteer",
    "arenavotes.pii.gate",
    "arenavotes.pii.gate_files",
    "arenavotes.ingest.redact",
    "arenavotes.ingest.style",
    "arenavotes.categories.rules",
    "arenavotes.categories.deterministic",
    "arenavotes.dedup.prompts",
    "arenavotes.dedup.identity",
]
UNITS = ["0", "1 ", "0a", "1.", "12-", "1:", "+1 ", "(1)", "1,", "a", "Ab", "Aa ", "John ", "Dear ", "Mr ", " ",
         "\n", "\n ", "\t", "> ", "-\n", "a@", "a.", "a-", "/a", "ab:", "A", "x=", "<a>", "`", "#", "*", "aé "]  # fmt: skip
ENDS = ["", "!", "a", "@", "1", "-"]
BOUND = 0.5  # seconds per input; the regexes this test was written against took 2.4 s to minutes


def _regexes() -> Iterator[tuple[str, re.Pattern[str]]]:
    def walk(name: str, value: object, depth: int = 0) -> Iterator[tuple[str, re.Pattern[str]]]:
        if isinstance(value, re.Pattern):
            if isinstance(value.pattern, str):
                yield name, value
        elif depth < 2 and isinstance(value, list | tuple):
            for i, v in enumerate(value):
                yield from walk(f"{name}[{i}]", v, depth + 1)
        elif depth < 2 and isinstance(value, dict):
            for k, v in value.items():
                yield from walk(f"{name}[{k!r}]", v, depth + 1)

    for module in MODULES:
        for name, value in vars(importlib.import_module(module)).items():
            yield from walk(f"{module}.{name}", value)


REGEXES = dict(_regexes())


def _inputs() -> Iterator[str]:
    for unit in UNITS:
        for end in ENDS:
            yield unit * (1000 // len(unit)) + end  # one long run
            yield ((unit * (40 // len(unit)) + end + " ") * 60)[:2400]  # many runs


def test_regexes_were_found() -> None:
    assert len(REGEXES) > 40
    assert any("_CTX" in n for n in REGEXES) and any("_COMPILED" in n for n in REGEXES)


@pytest.mark.parametrize("name", sorted(REGEXES))
def test_no_catastrophic_backtracking(name: str) -> None:
    rx = REGEXES[name]
    for text in _inputs():
        t0 = time.perf_counter()
        for _ in rx.finditer(text):
            pass
        took = time.perf_counter() - t0
        assert took < BOUND, f"{name} took {took:.2f} s on {text[:12]!r}... ({len(text)} chars)"
