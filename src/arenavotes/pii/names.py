"""Context recognizer for person names: the words around a name say it is one.

The small English NER model misses names in letters and e-mails, where they matter most; these
contexts do not need it:

* salutations -- ``Dear Beatrix Lindqvist,``, ``Hi Marta``, ``Hello Dr. Okafor``;
* sign-offs followed by a name on the same or the next line -- ``Yours, Ignatius Fairbanks.``,
  ``Best regards,\\nMarta Kowalczyk``, ``Cheers,\\nBob``;
* introductions -- ``my name is Wei``, ``I am Priya Sharma`` / ``I'm Priya Sharma`` (two words), ``call me Jo``;
* titles -- ``Mr``, ``Mrs``, ``Ms``, ``Dr``, ``Prof`` (with or without a full stop) + capitalised words;
* signature and form lines -- ``Name: Lars Jensen``, ``Signed: ...``, ``From: ...``, ``-- Lars Jensen``.

A name word starts with an upper-case letter (any script with case), has no digits or code
punctuation, and is not a common English word or an addressee like "Team", "Sir" or "Hiring Manager".
Findings are PERSON spans over the name words only (not the title or the trigger), recognizer
``context/person@1``, score 0.85 (0.75 for a lone first name after a salutation or sign-off).

>>> t = "Dear Beatrix Lindqvist,\\nthanks.\\n\\nBest regards,\\nMarta Kowalczyk"
>>> [t[f.start:f.end] for f in find_names(t)]
['Beatrix Lindqvist', 'Marta Kowalczyk']
>>> find_names("Dear Hiring Manager, Hello World! Best practices: ...")
[]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from arenavotes.pii.patterns import Finding
from arenavotes.pii.screens import matches

VERSION = 1
RECOGNIZER = f"context/person@{VERSION}"
SCORE = 0.85
SINGLE_SCORE = 0.75

# words that follow a salutation, a sign-off or a title without being a name
_GENERIC = frozenset(
    str.split("""
all everyone everybody team teams sir sirs madam madame mam maam ma'am world there folks guys gals friend friends
colleague colleagues reader readers customer customers user users manager managers hiring recruiter recruiters
committee board members member students student class future valued again back assistant ai chatbot bot gpt
chatgpt claude gemini bard llama copilot siri alexa human humans people person sales support admissions
admin administrator administrators editor editors team's staff employees employer employers applicant applicants
director directors officer officers professor doctor mr mrs ms miss dr prof hr it landlord tenant neighbour
neighbor neighbours neighbors client clients partner partners parents parent mom mum dad mother father son
daughter sister brother grandma grandpa honey dear darling sweetie love buddy pal mate boss coach
regards wishes thanks thank best kind warm warmest sincerely yours truly faithfully cheers respectfully cordially
the a an and or of to for in on with from by at as is are was be my your our their his her its this that these
those what which who how why when where here now then today tomorrow yesterday please just also not no yes ok
okay name names first last full middle surname company organization organisation university school department
address email phone title date subject re fwd fw signature signed sender recipient author contact
""")
)

_TITLE = r"(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Professor|Sir|Dame|Madam|Mme|Mlle|Herr|Frau|Sr|Sra|Srta)"
_WORD = r"[^\W\d_][\w'’.-]*"
_SEP = r"[ \t]+"

_SALUTATION = re.compile(r"(?<![\w-])(?:Dear|Hi|Hello|Hey|Hiya|Greetings|Attn|Attention)[ \t]*[:,]?[ \t]+")
_SIGNOFF = re.compile(
    r"(?im)^[ \t>*_-]*(?:(?:yours[ \t]+)?(?:sincerely|truly|faithfully|respectfully|cordially)(?:[ \t]+yours)?|"
    r"yours|(?:best|kind|warm|warmest|many|with[ \t]+(?:best|kind|warm))?[ \t]*regards|best(?:[ \t]+wishes)?|"
    r"all[ \t]+the[ \t]+best|cheers|thanks|many[ \t]+thanks|thank[ \t]+you|warmly|love|take[ \t]+care|"
    r"with[ \t]+(?:love|gratitude|thanks)|gratefully|respectfully[ \t]+yours)"
    r"[ \t]*(?:,[ \t]*(?:\n[ \t]*){0,2}|,?[ \t]*(?:\n[ \t]*){1,2})[ \t>*_]*"
)
_INTRO = re.compile(
    r"(?i)(?<![\w-])(?:my[ \t]+name[ \t]+is|my[ \t]+name's|name[ \t]+is|call[ \t]+me|"
    r"i[ \t]+am|i'm|i’m|signed|named)[ \t]*[:,]?[ \t]+"
)
_TITLED = re.compile(rf"(?<![\w-]){_TITLE}\.?{_SEP}")
_FIELD = re.compile(
    r"(?im)^[ \t>*_-]*(?:name|full[ \t]+name|signed|signature|from|author|sender|patient|client|"
    r"employee|applicant|contact(?:[ \t]+person)?|attn|regards)[ \t]*[:：][ \t]*"
)
_DASH_LINE = re.compile(r"(?m)^[ \t]*(?:--|—|–|~)[ \t]*\n?[ \t]*")
_NAME_WORDS = re.compile(
    rf"{_WORD}(?:{_SEP}(?:(?:van|von|de|del|della|da|di|du|der|den|la|le|bin|ibn|al|el|ben|y|dos|das)"
    rf"{_SEP})?{_WORD}){{0,3}}"
)


def _is_name_word(w: str) -> bool:
    core = w.strip(".'’-")
    return (
        len(core) >= 2
        and core[0].isupper()
        and core.lower() not in _GENERIC
        and not any(c.isdigit() or c == "_" for c in core)
        and not (core.isupper() and len(core) > 3)
    )  # "ERROR", "NOTE" -- but "Li", "Wu", "JR" pass


def _name_after(text: str, pos: int, *, min_words: int, line_end: bool) -> tuple[int, int, int] | None:
    """(start, end, words) of a run of name words starting at ``pos``, or None."""
    m = _NAME_WORDS.match(text, pos)
    if not m:
        return None
    words = m.group(0).split()
    keep = 0
    for i, w in enumerate(words):
        if _is_name_word(w):
            keep = i + 1
        elif w[:1].isupper() or i == len(words) - 1:
            break
    if keep < min_words:
        return None
    # cut to the kept words; drop a sentence-final full stop
    span = re.match(rf"\S+(?:{_SEP}\S+){{{keep - 1}}}", text[pos : m.end()])
    assert span is not None
    end = pos + len(span.group(0).rstrip(".,;:!?'’"))
    rest = text[end:].split("\n", 1)[0].strip(" \t.,;:!?)")
    if line_end and rest and not rest.startswith(("<", "(", "|")):
        return None  # a sign-off or signature name is the whole rest of its line
    return pos, end, keep


#: An RE2 regex every text with a context for a name matches (each context above, look-arounds dropped,
#: keywords case-blind, Turkish dotted and dotless i too): texts without one are not searched by
#: :func:`find_names_many`.
NAME_SCREEN = (
    r"(?i:\b(?:dear|hi|hello|hey|hiya|greetings|attn|attention)\b)"
    r"|(?im:^[ \t>*_-]*(?:yours|sincerely|truly|faithfully|respectfully|cordially|best|kind|warm|warmest|many|"
    r"with|regards|all|cheers|thanks|thank|warmly|love|take|gratefully|[ \t]*regards))"
    r"|(?i:\b(?:my[ \t]+name|name[ \t]+is|call[ \t]+me|[iİı][ \t]+am|[iİı]['’]m|signed|named))"
    rf"|\b{_TITLE}\.?[ \t]"
    r"|(?im:^[ \t>*_-]*(?:name|full|signed|signature|from|author|sender|patient|client|employee|applicant|"
    r"contact|attn|regards))"
    r"|(?m:^[ \t]*(?:--|—|–|~))"
)


def find_names_many(texts: Sequence[str]) -> list[list[Finding]]:
    """``[find_names(t) for t in texts]``, searching only the texts :data:`NAME_SCREEN` lets through (screened
    for all texts at once, :mod:`~arenavotes.pii.screens`).

    >>> find_names_many(["2 + 2 = 4", "Dear Ann Lee, thanks"]) == [[], find_names("Dear Ann Lee, thanks")]
    True
    """
    if not texts:
        return []
    hits = matches(texts, NAME_SCREEN).tolist()
    return [find_names(t) if hit else [] for t, hit in zip(texts, hits, strict=True)]


def find_names(text: str) -> list[Finding]:
    """PERSON findings from salutation, sign-off, introduction, title and signature contexts."""
    out: list[Finding] = []

    def add(hit: tuple[int, int, int] | None, single: float = SINGLE_SCORE) -> None:
        if hit:
            s, e, n = hit
            out.append(Finding(s, e, "PERSON", SCORE if n > 1 else single, RECOGNIZER))

    for m in _SALUTATION.finditer(text):
        pos = m.end()
        t = _TITLED.match(text, pos)
        add(_name_after(text, t.end() if t else pos, min_words=1, line_end=False), SCORE if t else SINGLE_SCORE)
    for m in _SIGNOFF.finditer(text):
        add(_name_after(text, m.end(), min_words=1, line_end=True))
    for m in _INTRO.finditer(text):
        low = m.group(0).lower()
        two = low.startswith(("i ", "i'", "i’", "named"))
        add(_name_after(text, m.end(), min_words=2 if two else 1, line_end=False), SCORE)
    for m in _TITLED.finditer(text):
        add(_name_after(text, m.end(), min_words=1, line_end=False), SCORE)
    for m in _FIELD.finditer(text):
        add(_name_after(text, m.end(), min_words=2, line_end=True))
    for m in _DASH_LINE.finditer(text):
        add(_name_after(text, m.end(), min_words=2, line_end=True))
    return _dedupe(out)


def _dedupe(found: list[Finding]) -> list[Finding]:
    kept: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start), -f.score)):
        if kept and f.start < kept[-1].end:
            continue
        kept.append(f)
    return kept
