"""Gate-only detectors, written apart from the scrubber's so that the release gate does not share its blind spots.

They are looser than :mod:`arenavotes.pii.patterns` (a false alarm costs a look at the release; a miss
publishes PII) and share no regular expression or validator with it:

* ``gate/dotted_quad@1`` -- any ``a.b.c.d`` that :class:`ipaddress.IPv4Address` accepts, whatever surrounds it,
  unless a version word ends right before it ("version", "ver", "v", "release", "build") or it is part of a
  longer dotted run;
* ``gate/email_shape@1`` -- any ``local@domain.tld`` token (``git@github.com``-style SSH remotes excepted);
* ``gate/luhn_run@1`` -- 13 to 19 digits, separated by any of space ``-`` ``.`` ``_`` ``/`` or nothing, Luhn-valid,
  first digit 2-6 (every card network);
* ``gate/phone_shape@1`` -- ``+``/``00`` international numbers, ``(415) 555 0199``-style and 3-3-4 runs, and
  three or more digit groups with 9 to 15 digits in all (not dates, times, years or decimals);
* ``gate/context_name@1`` -- capitalised words after "Dear", "Hi", "Hello", sign-offs ("Regards", "Sincerely",
  "Yours", "Cheers", "Best", "Thanks" ending a line or followed by a comma), "name is", "I am", "I'm", titles;
* ``gate/gazetteer@1`` -- a census first name (:mod:`arenavotes.pii.gazetteer`) followed by a capitalised word
  that is not a common English word ("Marta Kowalczyk", not "Grace Period").

>>> [(f.entity, f.recognizer) for f in find_loose("srv=10.1.2.3; ping me: Ann.Lee@corp.example")]
[('IP_ADDRESS', 'gate/dotted_quad@1'), ('EMAIL_ADDRESS', 'gate/email_shape@1')]
>>> [f.recognizer for f in find_loose("Best regards,\\nMarta Kowalczyk")]
['gate/context_name@1', 'gate/gazetteer@1']
>>> find_loose("version 1.2.3.4, 2023-12-04 15:30:00, pi = 3.14159, 1,234,567 rows")
[]
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from arenavotes.pii.gazetteer import common_words, first_names
from arenavotes.pii.patterns import Finding
from arenavotes.pii.screens import matches, text_array

#: the gate-only recognizers, ``kind/name@version`` like every recognizer
DOTTED_QUAD = "gate/dotted_quad@1"
EMAIL_SHAPE = "gate/email_shape@1"
LUHN_RUN = "gate/luhn_run@1"
PHONE_SHAPE = "gate/phone_shape@1"
CONTEXT_NAME = "gate/context_name@1"
GAZETTEER = "gate/gazetteer@1"
RECOGNIZERS = (DOTTED_QUAD, EMAIL_SHAPE, LUHN_RUN, PHONE_SHAPE, CONTEXT_NAME, GAZETTEER)

_QUAD = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)")
_VERSIONISH = re.compile(r"(?i)(?:\bversion|\bver|\bv|\brelease|\bbuild)[\s.:=_-]*$")
_MAIL = re.compile(
    r"[^\s@<>()\[\]{}\"',;:|`]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,}"
)
_SSH_REMOTE = re.compile(r"^git@(?:github|gitlab|bitbucket|codeberg)\.")
_DIGIT_RUN = re.compile(r"(?<![\w.])\d(?:[ \-._/]?\d){12,18}(?![\w])")
_PHONE = re.compile(
    r"(?<![\w.+/-])(?:(?:\+|00)\d{1,3}[ .\-/]?(?:\(\d{1,5}\)[ .\-/]?)?\d{1,5}(?:[ .\-/]?\d{1,6}+){1,5}"
    r"|\(\d{2,5}\)[ .\-]?\d{3,4}[ .\-]?\d{3,5}"
    r"|\d{2,5}[ .\-]\d{2,5}[ .\-]\d{2,5}(?:[ .\-]\d{2,5}){0,2})(?![\w])"
)
_DATEISH = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}|\d{1,2}[:.]\d{2}[:.]\d{2}")
_YEARS = re.compile(r"(?:(?:19|20)\d\d[ .\-]?){3,}")
_CAP = r"[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]+"
_CTX = re.compile(
    rf"(?:\b(?:Dear|Hi|Hello|Hey|Greetings)(?:\s*+,)?\s++(?:(?:Mr|Mrs|Ms|Dr|Prof|Miss)\.?\s++)?"
    rf"|(?im:^[^\S\n]*+[>*_-]*+[^\S\n]*+(?:sincerely|regards|yours|cheers|best|thanks|thank you|respectfully|cordially|"
    rf"warmly|love|best wishes|kind regards|best regards|warm regards|yours truly|yours sincerely|all the best)"
    rf"\s*+(?:,\s*+)?)"
    rf"|(?i:\bname\s+is\s+|\bi\s+am\s+|\bi['’]m\s+|\bcall\s+me\s+)"
    rf"|\b(?:Mr|Mrs|Ms|Dr|Prof|Miss)\.?\s+)({_CAP}(?:[ \t]+{_CAP})?)"
)
_CTX_SKIP = frozenset(
    str.split("""all everyone team sir madam world there folks guys friend friends colleagues hiring customer
user users manager committee reader readers valued support sales here this that the it i you we they he she my our
your his her its a an and or so but if in on at to for of with from as is are was were be been being not no yes
please thanks thank regards best sincerely cheers yours truly kind warm sure great glad happy sorry going trying
looking writing working interested excited able unable new just also again now today still here's let""")
)
_GAZ = re.compile(r"(?<![\w'’-])([A-Z][a-z]+)(?=[ \t]+([A-Z][a-z'’-]+(?:-[A-Z][a-z]+)?)(?![\w'’-]))")


_DETERMINERS = frozenset(("the", "a", "an", "this", "that", "our", "their", "its", "these", "those"))


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def find_loose(text: str, names: bool = True) -> list[Finding]:
    """Every gate-only finding in ``text`` (overlaps kept: the gate reports entity types, not spans);
    ``names=False`` leaves out the two name detectors (the gate's ``ner=False``: no name detection of its own)."""
    return _loose(text, names, True, True)


#: RE2 screens (:mod:`~arenavotes.pii.screens`): a text without a match cannot hold a digit run of 13 digits or
#: more, or a phone shape of 9 digits or more (at most two of ``( ) . - /`` and spaces between two of its digits)
_RUN_SCREEN = r"\p{Nd}(?:[ \-._/]?\p{Nd}){12}"
_PHONE_SCREEN = r"\p{Nd}(?:[ .\-/()]{0,2}\p{Nd}){8}"


def find_loose_many(texts: Sequence[str], names: bool = True) -> list[list[Finding]]:
    """``[find_loose(t, names) for t in texts]``, with the digit-run and phone-shape scans screened for all
    texts at once first (most texts have neither).

    >>> texts = ["2 + 2 = 4", "ring +44 20 7946 0958", "card 4111 1111 1111 1111"]
    >>> find_loose_many(texts, names=False) == [find_loose(t, names=False) for t in texts]
    True
    """
    if not texts:
        return []
    arr = text_array(texts)
    runs = matches(arr, _RUN_SCREEN).tolist()
    phones = matches(arr, _PHONE_SCREEN).tolist()
    return [_loose(t, names, r, p) for t, r, p in zip(texts, runs, phones, strict=True)]


def _loose(text: str, names: bool, runs: bool, phones: bool) -> list[Finding]:
    out: list[Finding] = []
    if "." in text:
        for m in _QUAD.finditer(text):
            try:
                ipaddress.IPv4Address(m.group(0))
            except ValueError:
                continue
            if _VERSIONISH.search(text[max(0, m.start() - 12) : m.start()]):
                continue
            out.append(Finding(m.start(), m.end(), "IP_ADDRESS", 0.85, DOTTED_QUAD))
    if "@" in text:
        for m in _MAIL.finditer(text):
            if not _SSH_REMOTE.match(m.group(0)):
                out.append(Finding(m.start(), m.end(), "EMAIL_ADDRESS", 0.9, EMAIL_SHAPE))
    for m in _DIGIT_RUN.finditer(text) if runs else ():
        digits = re.sub(r"\D", "", m.group(0))
        if digits[0] in "23456" and _luhn_ok(digits) and not _DATEISH.search(m.group(0)):
            out.append(Finding(m.start(), m.end(), "CREDIT_CARD", 0.9, LUHN_RUN))
    for m in _PHONE.finditer(text) if phones else ():
        v = m.group(0)
        digits = re.sub(r"\D", "", v)
        if not 9 <= len(digits) <= 15 or len(set(digits)) < 3 or _DATEISH.search(v) or _YEARS.fullmatch(v):
            continue
        if not v.startswith(("+", "00", "(")) and re.fullmatch(r"\d+(?:\.\d+)+", v) and v.count(".") < 2:
            continue  # a decimal number
        out.append(Finding(m.start(), m.end(), "PHONE_NUMBER", 0.75, PHONE_SHAPE))
    if not names:
        return sorted(out, key=lambda f: (f.start, f.end))
    for m in _CTX.finditer(text):
        words = m.group(1).split()
        while words and words[-1].lower() in _CTX_SKIP:
            words.pop()
        if words and words[0].lower() not in _CTX_SKIP and not any(w.isupper() and len(w) > 3 for w in words):
            s = m.start(1)
            e = s + len(" ".join(words)) if len(words) > 1 else s + len(words[0])
            out.append(Finding(s, e, "PERSON", 0.8, CONTEXT_NAME))
    firsts, common = first_names(), common_words()
    for m in _GAZ.finditer(text):
        first, last = m.group(1), m.group(2)
        before = text[max(0, m.start() - 6) : m.start()].split()
        if before and before[-1].lower() in _DETERMINERS:
            continue  # "the Houston Rockets", "a Jordan Valley": places, teams, products
        if first in firsts and last.lower() not in common and last.lower() not in _CTX_SKIP:
            out.append(Finding(m.start(), m.end(2), "PERSON", 0.8, GAZETTEER))
    return sorted(out, key=lambda f: (f.start, f.end))
