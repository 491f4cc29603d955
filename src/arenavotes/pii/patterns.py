"""Pattern recognizers: structured PII and secrets by regular expression plus a validator.

Each has an entity type, a name and a version (recognizer ``pattern/credit_card@1``) and, where a checksum
exists, validates it (Luhn for cards, ISO 7064 mod 97 for IBANs, the ipaddress module for IPs,
SSN area/group/serial rules). A cheap literal pre-check skips a pattern when the text cannot match.
They work in any script: they look for digits, ASCII punctuation and fixed prefixes, not words.
What surrounds a value is data on its pattern too, in the one registry :data:`PATTERNS`: the regex group that
is the value (``ssn: 078-05-1120``), a :class:`Context` of words just before it that rules it out (a version
word before an IP address) or raises its score (a phone word before a number), and a check a value must pass
without that context (a bare number must be phone-shaped).

Gaps of presidio's defaults that these close: Mastercard 2-series (2221-2720), phones with ``001-``
prefixes, dots or ``x123`` extensions, street addresses, URLs with credentials, and API keys.

>>> [(f.entity, f.start, f.end) for f in find("mail me at jane.doe@example.org or +1 (415) 555-0199")]
[('EMAIL_ADDRESS', 11, 31), ('PHONE_NUMBER', 35, 52)]
>>> find("pip install numpy==1.26.4; print(3.14159)")
[]
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence

import numpy as np

from arenavotes.pii.screens import WS, contains_any, matches, text_array
from arenavotes.pii.validators import btc, card, iban, ip_address, phone_number, phone_shaped, ssn


@dataclasses.dataclass(frozen=True)
class Finding:
    start: int
    end: int
    entity: str
    score: float
    recognizer: str


@dataclasses.dataclass(frozen=True)
class Context:
    """Words right before a value (searched in the ``window`` characters before it) that change its verdict:
    with them the value scores ``score``, or, if ``score`` is None, is not PII at all."""

    regex: re.Pattern[str]
    window: int
    score: float | None = None

    def precedes(self, text: str, start: int) -> bool:
        return self.regex.search(text[max(0, start - self.window) : start]) is not None


@dataclasses.dataclass(frozen=True)
class Pattern:
    entity: str
    name: str
    regex: str
    score: float
    needs: tuple[str, ...] = ()  # literal pre-check: at least one must occur (case-sensitive)
    validate: Callable[[str], bool] | None = None
    version: int = 1
    flags: int = 0
    group: int = 0  # the regex group that is the value (0: the whole match)
    context: Context | None = None  # words before the value that rescore it or rule it out
    bare: Callable[[str], bool] | None = None  # without its context, a value must also pass this
    #: an RE2 regex every text with a valid finding matches (no look-arounds: a superset of the regex plus what
    #: its validator needs); texts are screened with it (:mod:`~arenavotes.pii.screens`) before Python's regex runs
    prefilter: str | None = None

    @property
    def recognizer(self) -> str:
        return f"pattern/{self.name}@{self.version}"


#: an explicit version word right before a dotted quad ("version 1.2.3.4", "v1.2.3.4"); whole words only, so
#: "server 198.51.100.7" and "Kyiv 203.0.113.5" are still addresses
VERSION_WORDS = Context(re.compile(r"(?i)(?<![^\W\d_])(?:version|ver\.?|release|build|v)\s*$"), 16)
#: a phone word shortly before a number: a phone number for sure
PHONE_WORDS = Context(
    re.compile(
        r"(?i)(?:phone|tel\b|tel\.|call|mobile|cell|fax|whatsapp|contact|number|reach|"
        r"text me|dial|ring|hotline|电话|電話|телефон|teléfono|téléphone|telefon|handy)"
        r"[^\n]{0,30}$"
    ),
    30,
    score=0.75,
)

_B = r"(?<![\w@.+-])"  # not glued to a word, an address or a number before
_E = r"(?![\w@-])"

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "PRIVATE_KEY",
        "private_key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)",
        1.0,
        ("PRIVATE KEY",),
    ),
    Pattern("API_KEY", "anthropic_key", r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{32,}", 1.0, ("sk-ant-",)),
    Pattern("API_KEY", "openai_key", r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}", 0.95, ("sk-",)),
    Pattern(
        "API_KEY",
        "aws_access_key",
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
        1.0,
        ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "A3T"),
    ),
    Pattern(
        "API_KEY", "aws_secret_key", r"(?i)aws_?secret_?access_?key\s*[:=]\s*['\"]?[A-Za-z0-9/+=]{40}", 1.0, ("ecret",)
    ),
    Pattern(
        "API_KEY",
        "github_token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
        1.0,
        ("gh", "github_pat_"),
    ),
    Pattern("API_KEY", "google_api_key", r"\bAIza[0-9A-Za-z_-]{35}", 1.0, ("AIza",)),
    Pattern(
        "API_KEY",
        "slack_token",
        r"\bxox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/]+",
        1.0,
        ("xox", "hooks.slack.com"),
    ),
    Pattern("API_KEY", "stripe_key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}", 1.0, ("_live_", "_test_")),
    Pattern("API_KEY", "huggingface_token", r"\bhf_[A-Za-z0-9]{34,}", 1.0, ("hf_",)),
    Pattern("API_KEY", "jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{10,}", 0.95, ("eyJ",)),
    Pattern(
        "URL_CREDENTIALS", "url_credentials", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]+:[^\s/@]+@[^\s/]+", 1.0, ("://",)
    ),
    Pattern(
        "EMAIL_ADDRESS",
        "email",
        r"\b(?!git@(?:github\.com|gitlab\.com|bitbucket\.org)\b)[A-Za-z0-9._%+-]{1,64}@"
        r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}\b",
        1.0,
        ("@",),
    ),
    Pattern(
        "CREDIT_CARD",
        "credit_card",
        _B + r"\d(?:[ -]?\d){12,18}" + _E,
        1.0,
        (),
        card,
        prefilter=r"\p{Nd}(?:[ -]?\p{Nd}){12}",
    ),
    Pattern(
        "IBAN_CODE",
        "iban",
        r"\b(?:[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}|[a-z]{2}\d{2}(?:[ ]?[a-z0-9]){11,30})\b",
        1.0,
        (),
        iban,
        prefilter=r"[A-Za-z]{2}\p{Nd}{2}(?:[ ]?[A-Za-z0-9]){11}",
    ),
    Pattern(
        "US_SSN",
        "us_ssn",
        _B + r"\d{3}([- ])\d{2}\1\d{4}" + _E,
        0.85,
        ("-", " "),
        ssn,
        prefilter=r"\p{Nd}{3}[- ]\p{Nd}{2}[- ]\p{Nd}{4}",
    ),
    Pattern(
        "US_SSN",
        "us_ssn_context",
        r"(?i)\b(?:ssn|social security(?: number| no\.?| #)?)\s*[:#]?\s*(\d{9}|\d{3}-\d{2}-\d{4})\b",
        1.0,
        (),
        ssn,
        group=1,
        prefilter=r"(?i)ssn|social security",
    ),
    Pattern("CRYPTO", "eth_address", r"\b0x[a-fA-F0-9]{40}\b", 0.9, ("0x",)),
    Pattern(
        "CRYPTO",
        "btc_address",
        r"\b(?:bc1[ac-hj-np-z02-9]{11,71}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})\b",
        1.0,
        (),
        btc,
        version=2,  # bc1 addresses need their bech32 checksum
        prefilter=r"bc1[ac-hj-np-z02-9]{11}|[13][a-km-zA-HJ-NP-Z1-9]{25}",
    ),
    Pattern(
        "IP_ADDRESS",
        "ipv4",
        _B + r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)" + r"(?!\w|\.\w)",
        0.9,
        (".",),
        ip_address,
        version=2,
        context=VERSION_WORDS,
        prefilter=r"\p{Nd}\.\p{Nd}{1,3}\.\p{Nd}{1,3}\.\p{Nd}",
    ),  # @2: "server 1.2.3.4", "IP: 1.2.3.4." found
    Pattern(
        "IP_ADDRESS",
        "ipv6",
        r"(?<![\w:.])(?=[0-9a-fA-F:]*:[0-9a-fA-F]*:)[0-9a-fA-F:]{2,39}(?![\w:.])",
        0.9,
        (":",),
        ip_address,
        context=VERSION_WORDS,
        prefilter=r":[0-9a-fA-F]*:",
    ),
    Pattern(
        "PHONE_NUMBER",
        "phone",
        _B + r"(?:\+\d{1,3}[ .-]?|00\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}+(?:[ .-]?\d{1,8}+){0,5}"
        r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?" + _E,
        0.6,
        (),
        phone_number,
        context=PHONE_WORDS,
        bare=phone_shaped,
        prefilter=r"\p{Nd}(?:[ .()-]{0,2}\p{Nd}){6}",  # validators.phone: 7 digits at least, at most ") " between two
    ),
    Pattern(
        "STREET_ADDRESS",
        "street_address",
        r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Z][a-z]+\.?\s+){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|"
        r"Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq)\.?"
        r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*\w+)?(?:,\s*[A-Z][A-Za-z .]+(?:,\s*[A-Z]{2})?"
        r"(?:\s+\d{5}(?:-\d{4})?)?)?",
        0.8,
        (),
        prefilter=rf"\p{{Nd}}[A-Za-z]?{WS}+(?:[A-Z][a-z]+\.?{WS}+){{1,4}}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|"
        r"Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq)",
    ),
)

_COMPILED = [(p, re.compile(p.regex, p.flags)) for p in PATTERNS]


def find(text: str) -> list[Finding]:
    """All validated pattern findings in ``text``, overlaps resolved (longest, then highest score)."""
    return _find(text, _COMPILED)


def find_many(texts: Sequence[str]) -> list[list[Finding]]:
    """``[find(t) for t in texts]``, several times faster: each pattern's literal needs and prefilter are
    checked on all texts at once (:mod:`~arenavotes.pii.screens`), and Python's regex runs only where they hold.

    >>> find_many(["no digits here", "call +44 20 7946 0958"]) == [find("no digits here"), find("call +44 20 7946 0958")]
    True
    """
    if not texts:
        return []
    arr = text_array(texts)
    masks = []
    for p, _ in _COMPILED:
        mask = np.ones(len(texts), dtype=bool)
        if p.needs:
            mask &= contains_any(arr, p.needs)
        if p.prefilter is not None and mask.any():
            mask &= matches(arr, p.prefilter)
        masks.append(mask)
    hits = np.stack(masks, axis=1)
    out: list[list[Finding]] = [[] for _ in texts]
    for i in np.flatnonzero(hits.any(axis=1)).tolist():
        out[i] = _find(texts[i], [pc for pc, hit in zip(_COMPILED, hits[i], strict=True) if hit])
    return out


def _find(text: str, compiled: Sequence[tuple[Pattern, re.Pattern[str]]]) -> list[Finding]:
    out: list[Finding] = []
    for p, rx in compiled:
        if p.needs and not any(n in text for n in p.needs):
            continue
        for m in rx.finditer(text):
            s, e = m.span(p.group)
            value = text[s:e]
            if p.validate is not None and not p.validate(value):
                continue
            score = p.score
            if p.context is not None and p.context.precedes(text, s):
                if p.context.score is None:
                    continue  # "version 1.2.3.4", "v1.2.3.4"
                score = p.context.score
            elif p.bare is not None and not p.bare(value):
                continue
            out.append(Finding(s, e, p.entity, score, p.recognizer))
    return resolve(out)


def resolve(findings: list[Finding]) -> list[Finding]:
    """Drop findings covered by a longer (or equally long, higher-scoring) one; sort by position."""
    ordered = sorted(findings, key=lambda f: (-(f.end - f.start), -f.score, f.start))
    kept: list[Finding] = []
    for f in ordered:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)
