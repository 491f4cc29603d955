"""The project's vocabulary, defined once: outcome labels, tie policies, interval methods, cluster units,
compatibility modes and vote flags. Settings, ``RatingParams``, the CLI's choices and the reports' prose
all read these; nothing else spells them out.

Each vocabulary is a ``Literal`` type (for mypy) and a tuple of its values in display order (for checks,
``click.Choice`` and docs), kept equal by :func:`values`.

>>> TIE_POLICIES
('half', 'drop', 'rao-kupper', 'davidson')
>>> canonical_winner("tie (bothbad)")
'tie_bothbad'
"""

from __future__ import annotations

import typing
from typing import Literal

Winner = Literal["model_a", "model_b", "tie", "tie_bothbad"]
TiePolicy = Literal["half", "drop", "rao-kupper", "davidson"]
BothBadPolicy = Literal["tie", "drop"]
IntervalMethod = Literal["sandwich", "bootstrap", "cluster", "none"]
ClusterUnit = Literal["voter", "prompt"]
CompatMode = Literal["fastchat-2024", "arena-rank", "evalica"]
#: What was compared in a battle: LMArena's arenas (and GenAI-Arena's image editing).
ArenaKind = Literal["text", "vision", "text-to-image", "image-edit", "webdev", "search", "code-completion"]
Flag = Literal[
    "duplicate_prompt",
    "prompt_capped",
    "near_duplicate_prompt",
    "duplicate_vote",
    "fast_vote",
    "daily_cap",
    "identity_leak",
    "anomalous_voter",
    "position_bias_voter",
    "single_model_voter",
    "campaign_voter",
    "campaign_suspect",
    "rating_surge",
]


def values(literal: object) -> tuple[str, ...]:
    """The values of a ``Literal`` type, in the order written."""
    return tuple(typing.get_args(literal))


WINNERS: tuple[str, ...] = values(Winner)
TIE_POLICIES: tuple[str, ...] = values(TiePolicy)
BOTHBAD_POLICIES: tuple[str, ...] = values(BothBadPolicy)
CI_METHODS: tuple[str, ...] = values(IntervalMethod)
CLUSTER_UNITS: tuple[str, ...] = values(ClusterUnit)
COMPAT_MODES: tuple[str, ...] = values(CompatMode)
ARENA_KINDS: tuple[str, ...] = values(ArenaKind)
ALL_FLAGS: tuple[str, ...] = values(Flag)

#: LMArena's seven hard-prompt criteria (``criteria.<name>`` categories; a prompt meeting 6+ is a hard prompt),
#: in the order of their judge prompt.
HARD_PROMPT_CRITERIA: tuple[str, ...] = (
    "specificity",
    "domain_knowledge",
    "complexity",
    "problem_solving",
    "creativity",
    "technical_accuracy",
    "real_world",
)

#: Old names of cluster units still read from settings and the command line (the voter was once "judge").
CLUSTER_ALIASES: dict[str, str] = {"judge": "voter"}

#: Tie policies fitted as a binomial logit on (wins, battles) per pair; the others are three-outcome tie models.
LOGIT_TIE_POLICIES: tuple[str, ...] = ("half", "drop")

#: Flags excluded from ratings and releases unless the user says otherwise (``--exclude-flags``).
#: The others are informational: repeated prompts are legitimate votes by different people.
DEFAULT_EXCLUDE_FLAGS: tuple[str, ...] = (
    "prompt_capped",
    "duplicate_vote",
    "identity_leak",
    "anomalous_voter",
    "campaign_voter",
)

#: Spellings of the four outcomes found in real logs, mapped to the canonical label. Anything
#: else is quarantined as ``unknown_winner`` -- never guessed, never turned into a tie.
WINNER_ALIASES: dict[str, str] = {
    "model_a": "model_a",
    "model_b": "model_b",
    "tie": "tie",
    "tie_bothbad": "tie_bothbad",
    "tie (bothbad)": "tie_bothbad",
    "both_bad": "tie_bothbad",
    "bothbad": "tie_bothbad",
}

#: Other spellings of the arena kinds that logs use (lower case; ``_`` and spaces read as ``-``).
ARENA_ALIASES: dict[str, str] = {
    **{k: k for k in ARENA_KINDS},
    "chat": "text",
    "llm": "text",
    "image": "vision",
    "vision-chat": "vision",
    "multimodal": "vision",
    "t2i": "text-to-image",
    "image-generation": "text-to-image",
    "generation": "text-to-image",
    "image-editing": "image-edit",
    "edition": "image-edit",
    "editing": "image-edit",
    "web-dev": "webdev",
    "web": "webdev",
    "search-arena": "search",
    "copilot": "code-completion",
    "code": "code-completion",
    "autocomplete": "code-completion",
}


def canonical_arena(label: str) -> str | None:
    """The arena kind a log's spelling means, or None.

    >>> canonical_arena("Image_Generation"), canonical_arena("copilot"), canonical_arena("audio")
    ('text-to-image', 'code-completion', None)
    """
    return ARENA_ALIASES.get("-".join(label.strip().lower().replace("_", " ").split()))


#: How each tie policy enters the fit, as the report's methods paragraph says it.
TIE_PROSE: dict[str, str] = {
    "half": "ties and both-bad votes count as half a win for each side (FastChat / arena-rank)",
    "drop": "ties are left out",
    "rao-kupper": "ties follow the Rao-Kupper model",
    "davidson": "ties follow the Davidson model",
}
#: Where each interval method's intervals come from, as the report says it.
CI_PROSE: dict[str, str] = {
    "sandwich": "sandwich (robust) standard errors",
    "bootstrap": "a multinomial bootstrap of the votes",
    "cluster": "a cluster bootstrap",
    "none": "no intervals",
}


def component_name(kind: str, name: str, version: int | None = None) -> str:
    """The one naming scheme of every pluggable part -- PII recognizers, dedup detectors, category
    labelers: ``kind/name@version`` (``@version`` left out for data that came with a source).

    >>> component_name("offline", "rules", 1), component_name("pattern", "email", 1), component_name("source", "x")
    ('offline/rules@1', 'pattern/email@1', 'source/x')
    """
    return f"{kind}/{name}" + (f"@{version}" if version is not None else "")


#: Labeler names of earlier versions (``arenavotes:rules@1``, ``source:x``, ``judge:m:t@1``) as SQL
#: (pattern, replacement) pairs; workspaces that hold them are renamed when opened.
OLD_LABELER_PREFIXES: tuple[tuple[str, str], ...] = (
    ("arenavotes:", "offline/"),
    ("source:", "source/"),
    ("judge:", "judge/"),
)


def cluster_unit(name: str) -> str:
    """The cluster unit ``name`` stands for, old spellings included (unknown names are returned as given).

    >>> cluster_unit("judge"), cluster_unit("prompt")
    ('voter', 'prompt')
    """
    return CLUSTER_ALIASES.get(name, name)


def canonical_winner(label: str) -> str | None:
    """The canonical outcome for a known spelling, else ``None``."""
    return WINNER_ALIASES.get(label)


def one_of(vocabulary: tuple[str, ...]) -> str:
    """'a, b or c' for messages."""
    return ", ".join(vocabulary[:-1]) + " or " + vocabulary[-1] if len(vocabulary) > 1 else vocabulary[0]


assert set(TIE_PROSE) == set(TIE_POLICIES) and set(CI_PROSE) == set(CI_METHODS)
assert set(DEFAULT_EXCLUDE_FLAGS) <= set(ALL_FLAGS) and set(WINNER_ALIASES.values()) == set(WINNERS)
