"""Known vote-log formats: where each canonical field lives in a record, and how to recognise one.

A :class:`Format` is declarative: paths to fields, the spellings of the outcome, the kind of
conversation it carries and the labels that come with it. :func:`detect` picks a format from
the keys of the first records; ``--format NAME`` overrides it and ``--map field=path`` moves any
field (which is all a generic CSV / JSON lines / parquet file needs).

>>> get_format("llmfao").winner_map["left"]
'model_a'
>>> detect({"model_a", "model_b", "winner", "judge", "tstamp", "anony"}).name
'fastchat-clean-battle'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from arenavotes.errors import UserError
from arenavotes.vocab import HARD_PROMPT_CRITERIA

#: Canonical fields a format maps (``--map`` accepts these names).
FIELDS = (
    "id",
    "model_a",
    "model_b",
    "winner",
    "voter",
    "tstamp",
    "anony",
    "language",
    "turn",
    "conversation_a",
    "conversation_b",
    "prompt",
    "response_a",
    "response_b",
)
#: Older names of canonical fields that ``--map`` still accepts (``judge`` was the voter's field before 0.x).
FIELD_ALIASES = {"judge": "voter"}

Path = tuple[str | int, ...]


@dataclasses.dataclass(frozen=True)
class Label:
    """A category label carried by the source: SQL over field accessors -> (value BOOLEAN, score DOUBLE)."""

    category: str
    value: Callable[[Callable[..., str]], str]
    score: Callable[[Callable[..., str]], str] | None = None


@dataclasses.dataclass(frozen=True)
class Format:
    """Where the canonical fields of one log format live.

    ``conversation`` is one of
      ``None``         no text;
      ``"messages"``   ``conversation_a/b`` are lists of ``{role, content}`` (may be JSON or Python-repr strings);
      ``"turn_lists"`` ``prompt`` is a list of user turns, ``response_a/b`` lists of answers (55k shape);
      ``"prompt_only"`` ``prompt`` is a list of user turns, no answers;
      ``"fastchat_states"`` FastChat conversation-log states (``[role, text]`` pairs after ``offset``);
    each shape is read by its entry of :data:`arenavotes.ingest.readers.READERS`.
    """

    name: str
    summary: str
    requires: frozenset[str]
    excludes: frozenset[str] = frozenset()
    paths: Mapping[str, Path] = dataclasses.field(default_factory=dict)
    winner_map: Mapping[str, str] = dataclasses.field(default_factory=dict)
    non_votes: frozenset[str] = frozenset()  # winner values that mark a record that is not a vote
    winner_one_hot: tuple[str, ...] = ()  # 1/0 columns "model_a won", "model_b won", "tie" (55k), not a winner field
    conversation: str | None = None
    labels: tuple[Label, ...] = ()
    private_keys: tuple[str, ...] = ()  # top-level keys holding voter ids/IPs (redacted in raw text)
    voter_prefix_strip: str = ""  # e.g. FastChat's 'arena_user_' before an IP
    id_per_voter: bool = False  # the id names an item every voter votes on: id/voter_id
    example: str = ""

    def path(self, field: str) -> Path | None:
        return self.paths.get(field)

    def with_map(self, mapping: Mapping[str, str]) -> Format:
        """This format with fields moved by ``--map field=column[.nested.key]``."""
        check_map(mapping)
        paths = dict(self.paths)
        private = list(self.private_keys)
        for field, column in mapping.items():
            if not column:
                paths.pop(field, None)
                continue
            paths[field] = tuple(int(p) if p.isdigit() else p for p in column.split("."))
            if field == "voter":
                private.append(column.split(".")[0])
        conversation = self.conversation
        if conversation is None and {"conversation_a", "conversation_b"} <= set(mapping):
            conversation = "messages"
        elif conversation is None and {"prompt", "response_a", "response_b"} <= set(mapping):
            conversation = "turn_lists"
        elif conversation is None and "prompt" in mapping:
            conversation = "prompt_only"
        return dataclasses.replace(
            self, paths=paths, private_keys=tuple(dict.fromkeys(private)), conversation=conversation
        )


def canonical_map(mapping: Mapping[str, str]) -> dict[str, str]:
    """``--map`` entries with old field names renamed (``judge=worker`` -> ``voter=worker``), then checked.

    >>> canonical_map({"judge": "worker"})
    {'voter': 'worker'}
    """
    out = {FIELD_ALIASES.get(field, field): column for field, column in mapping.items()}
    check_map(out)
    return out


def check_map(mapping: Mapping[str, str]) -> None:
    """Reject ``--map`` entries that name no canonical field."""
    for field, column in mapping.items():
        if field not in FIELDS:
            raise UserError(f"--map {field}={column}: unknown field '{field}'", hint=f"fields: {', '.join(FIELDS)}")


def _b(*path: str) -> Callable[[Callable[..., str]], str]:
    """A boolean label read from a nested path of the record."""
    return lambda f: f"av_bool({f(*path)})"


def _n(*path: str) -> Callable[[Callable[..., str]], str]:
    """A numeric score read from a nested path of the record."""
    return lambda f: f"av_num({f(*path)})"


def _criteria_count(f: Callable[..., str]) -> str:
    terms = [f"coalesce(av_bool({f('category_tag', 'criteria_v0.1', c)})::INT, 0)" for c in HARD_PROMPT_CRITERIA]
    return "(" + " + ".join(terms) + ")"


def _criteria_known(f: Callable[..., str]) -> str:
    return f"av_bool({f('category_tag', 'criteria_v0.1', 'specificity')}) IS NOT NULL"


#: LMArena ``category_tag`` (arena-human-preference-100k/140k): hard prompt = at least 6 of the 7
#: criteria; creative writing / instruction following / math as tagged (``if`` already means score >= 4).
LMARENA_TAG_LABELS: tuple[Label, ...] = (
    Label(
        "hard_prompt",
        lambda f: f"CASE WHEN {_criteria_known(f)} THEN {_criteria_count(f)} >= 6 END",
        lambda f: f"CASE WHEN {_criteria_known(f)} THEN {_criteria_count(f)}::DOUBLE END",
    ),
    Label("math", _b("category_tag", "math_v0.1", "math")),
    Label("creative_writing", _b("category_tag", "creative_writing_v0.1", "creative_writing")),
    Label("instruction_following", _b("category_tag", "if_v0.1", "if"), _n("category_tag", "if_v0.1", "score")),
    *(Label(f"criteria.{c}", _b("category_tag", "criteria_v0.1", c)) for c in HARD_PROMPT_CRITERIA),
    Label("refusal", _b("category_tag", "refusal_v0.2")),
    Label("coding", _b("is_code")),
    Label("refusal_answer", _b("is_refusal")),
    Label("moderation_flagged", _b("openai_moderation", "flagged")),
    Label("toxic", _b("toxic_chat_tag", "roberta-large", "flagged")),
)

_BASE = {"model_a": ("model_a",), "model_b": ("model_b",), "winner": ("winner",)}

FORMATS: tuple[Format, ...] = (
    Format(
        name="fastchat-conv-log",
        summary="FastChat raw conversation log (YYYY-MM-DD-conv.json): one JSON line per event, "
        "votes are leftvote/rightvote/tievote/bothbad_vote",
        requires=frozenset({"type", "states"}),
        paths={"winner": ("type",), "voter": ("ip",), "tstamp": ("tstamp",), "id": ("states", 0, "conv_id")},
        winner_map={"leftvote": "model_a", "rightvote": "model_b", "tievote": "tie", "bothbad_vote": "tie_bothbad"},
        non_votes=frozenset(
            {"chat", "upvote", "downvote", "flag", "share", "regenerate", "clear_history", "add_text", "load_demo"}
        ),
        conversation="fastchat_states",
        private_keys=("ip",),
        example="2024-02-20-conv.json",
    ),
    Format(
        name="arena-55k",
        summary="lmsys-arena-human-preference-55k (Kaggle/HF): prompt/response_a/response_b as JSON "
        "strings, winner_model_a/_b/_tie one-hots",
        requires=frozenset({"model_a", "model_b", "winner_model_a", "winner_model_b", "winner_tie"}),
        paths={
            **_BASE,
            "id": ("id",),
            "prompt": ("prompt",),
            "response_a": ("response_a",),
            "response_b": ("response_b",),
        },
        conversation="turn_lists",
        winner_one_hot=("winner_model_a", "winner_model_b", "winner_tie"),
        example="train.csv",
    ),
    Format(
        name="fastchat-clean-battle",
        summary="FastChat clean_battle_*.json: a JSON list of {model_a, model_b, winner, judge, anony, "
        "tstamp, [turn, language]}",
        requires=frozenset({"model_a", "model_b", "winner", "judge", "tstamp"}),
        excludes=frozenset({"conversation_a", "turns", "category_tag"}),
        paths={
            **_BASE,
            "id": ("question_id",),
            "voter": ("judge",),
            "tstamp": ("tstamp",),
            "anony": ("anony",),
            "language": ("language",),
            "turn": ("turn",),
        },
        private_keys=("judge",),
        voter_prefix_strip="arena_user_",
        example="clean_battle_20240220.json",
    ),
    Format(
        name="arena-hf",
        summary="Hugging Face arena datasets: lmsys/chatbot_arena_conversations (33k), lmarena-ai "
        "arena-human-preference-100k/140k (conversation_a/b, category_tag, conv_metadata)",
        requires=frozenset({"model_a", "model_b", "winner"}),
        excludes=frozenset({"turns", "num"}),
        paths={
            **_BASE,
            "id": ("question_id",),
            "voter": ("judge",),
            "tstamp": ("tstamp",),
            "anony": ("anony",),
            "language": ("language",),
            "turn": ("turn",),
            "conversation_a": ("conversation_a",),
            "conversation_b": ("conversation_b",),
        },
        conversation="messages",
        labels=LMARENA_TAG_LABELS,
        private_keys=("judge",),
        example="arena-human-preference-140k/*.parquet",
    ),
    Format(
        name="arena-battles-with-prompts",
        summary="Chatbot Arena battles with user prompts (2023 JSON lines: question_id, judge, turns, ...)",
        requires=frozenset({"model_a", "model_b", "winner", "turns"}),
        paths={
            **_BASE,
            "id": ("question_id",),
            "voter": ("judge",),
            "tstamp": ("tstamp",),
            "anony": ("anony",),
            "language": ("language",),
            "turn": ("turn",),
            "prompt": ("turns",),
        },
        conversation="prompt_only",
        private_keys=("judge",),
        example="battles_with_prompts.jsonl",
    ),
    Format(
        name="arena-votes-33k",
        summary="Chatbot Arena 33k votes as JSON lines (num, question_id, model_a, model_b, winner); "
        "also the LLM-judge files of the same battles",
        requires=frozenset({"num", "model_a", "model_b", "winner"}),
        paths={**_BASE, "id": ("num",)},
        example="human.jsonl",
    ),
    Format(
        name="llmfao",
        summary="LLMFAO-style pairwise CSV: winner left/right/tie with model names in left/right",
        requires=frozenset({"left", "right", "winner"}),
        paths={"model_a": ("left",), "model_b": ("right",), "winner": ("winner",), "voter": ("worker",), "id": ("id",)},
        winner_map={"left": "model_a", "right": "model_b"},
        private_keys=("worker",),
        id_per_voter=True,
        example="crowd-comparisons.csv",
    ),
    Format(
        name="generic",
        summary="any CSV / JSON lines / JSON list / parquet with model_a, model_b, winner columns; "
        "move fields with --map field=column",
        requires=frozenset(),
        paths={
            **_BASE,
            "id": ("id",),
            "voter": ("judge",),
            "tstamp": ("tstamp",),
            "anony": ("anony",),
            "language": ("language",),
            "turn": ("turn",),
        },
        private_keys=("judge",),
        example="votes.csv --map model_a=left_model --map model_b=right_model",
    ),
)

_BY_NAME = {f.name: f for f in FORMATS}


def get_format(name: str) -> Format:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UserError(f"unknown format '{name}'", hint=f"one of: {', '.join(_BY_NAME)}") from None


def detect(keys: set[str] | frozenset[str]) -> Format:
    """The first (most specific) format whose required keys are all present and excluded keys absent."""
    for fmt in FORMATS:
        if fmt.name == "generic":
            continue
        if fmt.requires <= keys and not (fmt.excludes & keys):
            return fmt
    raise UserError(
        f"no known format has the keys {sorted(keys)[:12]}",
        hint="pass --format generic with --map model_a=COL --map model_b=COL --map winner=COL",
    )
