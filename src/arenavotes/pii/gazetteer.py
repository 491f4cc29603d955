"""Gazetteer for the release gate: US census first names and common English words (generated data).

The lists live in ``arenavotes/pii/data/`` as plain text, one entry per line, each file with a header
(``#`` lines) naming its source and licence; they are read once, on first use:

* :func:`first_names` (``data/first_names.txt``): the first names of the 1990 US Census name lists (public
  domain) as shipped by the ``names`` 0.3.0 package on PyPI (MIT licence), title-cased, without names of under
  three letters and without those that are common lower-case English words in arena text ("Will", "May",
  "Mark", "Grant", "Hope"), 5,024 names;
* :func:`common_words` (``data/common_words.txt``): 7,200 lower-case words seen five or more times in the 2023
  arena prompts and arena-hard-v0.1 answers, minus the first names: a capitalised word whose lower case is
  here is not taken for a surname ("Mary Poppins" is a name, "Grace Period" is not).

``FIRST_NAMES`` and ``COMMON_WORDS`` are the same sets under their former names. The lists are data; the code
that uses them is in :mod:`arenavotes.pii.loose` and :mod:`arenavotes.pii.gate`.

>>> "Marta" in first_names() and "Will" not in first_names() and "the" in common_words()
True
>>> len(first_names()), len(common_words())
(5024, 7200)
"""

from __future__ import annotations

import functools
import importlib.resources


def read_list(name: str) -> frozenset[str]:
    """The entries of ``data/<name>``: one per line, ``#`` lines and blank lines skipped."""
    text = importlib.resources.files("arenavotes.pii").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return frozenset(s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#"))


@functools.cache
def first_names() -> frozenset[str]:
    return read_list("first_names.txt")


@functools.cache
def common_words() -> frozenset[str]:
    return read_list("common_words.txt")


def __getattr__(name: str) -> frozenset[str]:
    if name == "FIRST_NAMES":
        return first_names()
    if name == "COMMON_WORDS":
        return common_words()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
