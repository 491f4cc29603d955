"""Unfenced code: find the lines of a text that are source code, so that NER does not read them.

Arena prompts paste code without Markdown fences, and the small English NER model reads identifiers
as people and places (``new Date()`` -> PERSON, ``struct Node`` -> LOCATION, ``# Sort the files`` ->
PERSON). A line is code when it has a strong signal:

* it starts with a keyword (``def``, ``class X``, ``import``, ``from x import``, ``return``, ``struct``,
  ``const``, ``let``, ``var``, ``#include``, ``function``, ``public``, ``fn``, ``func``, ``SELECT``...);
* it ends with ``;``, ``{``, ``}``, ``[``, ``(``, ``=>``, ``\\`` or (after an if/for/while/else/def-like head) ``:``;
* it has a call on an attribute (``go.Scatter(``, ``df.groupby(``), ``new X(``, ``x = ...`` assignments,
  ``=>``, ``->``, ``::``, ``===``, ``!=``, ``&&``, ``||``, or it is a lone call (``print(x)``);

and it is not a sentence of prose (eight or more words and more letters than code punctuation).
Comment lines (``#``, ``//``, ``/*``, ``*``, ``--``) and indented or bracket-only lines count as code
when they sit next to a code line (a block is grown up and down until it stops).

:func:`code_mask` returns a flag per line; :func:`blank_code_lines` blanks code lines to spaces with the
offsets unchanged, which is the view NER reads. Pattern recognizers still read the original text.

>>> t = "Fix this:\\nconst d = new Date();\\n# Sort the files\\nfiles.sort()\\nThanks, Maria Lopez"
>>> code_mask(t)
[False, True, True, True, False]
>>> blank_code_lines("x = 1\\nAsk Ana") == "     \\nAsk Ana"
True
"""

from __future__ import annotations

import re

_KEYWORD = re.compile(
    r"^\s*(?:def|class|import|from\s+[\w.]+\s+import|return|struct|enum|union|typedef|const|let|var|#include|"
    r"#define|#ifn?def|#endif|#pragma|#!|function|async\s+function|public|private|protected|static|final|"
    r"override|virtual|template|namespace|using|package|fn|func|impl|pub|mod|use|extern|elif|else|except|finally|"
    r"try|catch|switch|case|default|break|continue|yield|raise|throw|await|lambda|interface|export|module|"
    r"require|include|print|echo|printf|println|console\.\w+|System\.out|std::|SELECT|INSERT|UPDATE|DELETE|"
    r"CREATE|ALTER|DROP|WITH|WHERE|JOIN|GROUP\s+BY|ORDER\s+BY|FROM\s+\w+|@\w+|\$\s|>>>|\.\.\.\s|if\s*\(|"
    r"for\s*\(|while\s*\(|if\s+.*:$|for\s+\w+(?:\s*,\s*\w+)*\s+in\s+.*:$|while\s+.*:$|with\s+.*:$|"
    r"do\s*\{|else\s*\{|#\s*-\*-)(?=[\s(:{<;.]|$)"
)
_TRAILING = re.compile(r"(?:[;{}\[(\\,]|=>|\)\s*:|\):\s*#.*|\{\s*\}|->\s*\w+:)\s*$")
_SIGNAL = re.compile(
    r"[A-Za-z_]\w*\.[A-Za-z_]\w*\(|(?<![\w.])new\s+[A-Z]\w*\s*[(<{\[]|^\s*[\w.\[\]'\"]+\s*(?:[-+*/%|&^]|//|<<|>>)?="
    r"(?!=)\s*\S|=>|->|::|===|!==|!=|&&|\|\||\+\+|--\w|\w--|<\/?\w+[^>]*>|^\s*[A-Za-z_][\w.]*\([^)]*\)\s*;?$|"
    r"^\s*[)\]}]+[;,)]*\s*$|\b(?:None|null|nullptr|true|false|self|this)\b[.)\];,]"
)
_COMMENT = re.compile(r"^\s*(?:#|//|/\*|\*/|--|<!--|%|;;)|^\s+\*(?:\s|$)")
_BLANKISH = re.compile(r"^\s*$")
_PROSE_WORD = re.compile(r"[A-Za-z]{2,}")
_CODE_CHAR = re.compile(r"[=;{}()\[\]<>_.:#/*+\-&|!$@\\]")


def _strong(line: str) -> bool:
    if _BLANKISH.match(line):
        return False
    if _KEYWORD.match(line) or _TRAILING.search(line) or _SIGNAL.search(line):
        return not _prose(line)
    return False


def _prose(line: str) -> bool:
    """A sentence that merely mentions code ("Use df.groupby() to group the rows by city and then sort.")."""
    words = _PROSE_WORD.findall(line)
    if len(words) < 8:
        return False
    if line.rstrip().endswith((";", "{", "}")):
        return False
    return sum(len(w) for w in words) > 4 * len(_CODE_CHAR.findall(line))


def _weak(line: str) -> bool:
    """Lines that are code when next to code: comments, indented lines, closing brackets, decorators."""
    return bool(_COMMENT.match(line) or line.startswith(("    ", "\t")) or re.match(r"^\s*[)\]}>]", line))


def code_mask(text: str) -> list[bool]:
    """One flag per line of ``text`` (split on ``\\n``): True where the line looks like source code."""
    lines = text.split("\n")
    mask = [_strong(line) for line in lines]
    if not any(mask):
        return mask
    # grow blocks over weak lines next to code (blank lines do not break a block but are not marked)
    for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
        prev = False
        for i in order:
            line = lines[i]
            if mask[i]:
                prev = True
            elif _BLANKISH.match(line):
                continue
            elif prev and _weak(line) and not _prose(line):
                mask[i] = True
            else:
                prev = False
    return mask


def blank_code_lines(text: str) -> str:
    """``text`` with every code line replaced by spaces (same length, same offsets)."""
    if "\n" not in text and not _strong(text):
        return text
    lines = text.split("\n")
    mask = code_mask(text)
    return "\n".join(" " * len(line) if m else line for line, m in zip(lines, mask, strict=True))
