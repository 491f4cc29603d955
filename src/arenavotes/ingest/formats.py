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
    "arena",
    "images",
    "citations_a",
    "citations_b",
)
#: Older names of canonical fields that ``--map`` still accepts (``judge`` was the voter's field before 0.x).
FIELD_ALIASES = {"judge": "voter"}

Path = tuple[str | int, ...]


@dataclasses.dataclass(frozen=True)
class Label:
    """A category label carried by the source: SQL -> (value BOOLEAN, score DOUBLE), built from a typed field
    reader ``t(macro, *path)`` that gives the SQL of an ``av_*`` macro applied to a field of the record (by
    ``to_json`` or, for a typed column, without JSON: :func:`arenavotes.ingest.coerce.native_sql`)."""

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
    # winner values matched also by number (0 = 0.0) and case (--winner-map's own values)
    winner_map_loose: tuple[str, ...] = ()
    # the outcome from one numeric column (low favours model_a unless high_wins = 'model_a') or from two
    # per-side scores (the higher wins); values inside tie_band are ties
    winner_from: tuple[str, ...] = ()
    tie_band: tuple[float, float] = (0.0, 0.0)
    high_wins: str = "model_b"
    plain_text: bool = False  # prompt / response_* may be plain strings (one turn) as well as lists
    arena: str = "text"  # the arena kind of every battle (vocab.ARENA_KINDS) ...
    # ... unless this rule (SQL over the model_a column's SQL) says it per battle
    arena_rule: Callable[[str], str] | None = None
    # a format detected only as a refinement of another one with the same keys, when every sampled
    # record satisfies looks_like (SQL over field accessors)
    refines: str = ""
    looks_like: Callable[[Callable[..., str]], str] | None = None
    # canonical fields built from several of the record's fields (SQL over field accessors, as JSON)
    computed: Mapping[str, Callable[[Callable[..., str]], str]] = dataclasses.field(default_factory=dict)
    no_winner: str = "missing_winner"  # the quarantine reason of a record without a winner ('not_a_vote': no vote yet)
    looks_like_any: bool = False  # refine when any sampled record looks_like (not all)

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
        conversation, plain = self.conversation, self.plain_text
        if conversation is None and {"conversation_a", "conversation_b"} <= set(mapping):
            conversation = "messages"
        elif conversation is None and {"prompt", "response_a", "response_b"} <= set(mapping):
            conversation, plain = "turn_lists", True
        elif conversation is None and "prompt" in mapping:
            conversation, plain = "prompt_only", True
        return dataclasses.replace(
            self,
            paths=paths,
            private_keys=tuple(dict.fromkeys(private)),
            conversation=conversation,
            plain_text=plain,
            arena_rule=None if "arena" in mapping else self.arena_rule,
            computed={k: v for k, v in self.computed.items() if k not in mapping},
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
    return lambda t: t("av_bool", *path)


def _n(*path: str) -> Callable[[Callable[..., str]], str]:
    """A numeric score read from a nested path of the record."""
    return lambda t: t("av_num", *path)


def _criteria_count(t: Callable[..., str]) -> str:
    terms = [f"coalesce(({t('av_bool', 'category_tag', 'criteria_v0.1', c)})::INT, 0)" for c in HARD_PROMPT_CRITERIA]
    return "(" + " + ".join(terms) + ")"


def _criteria_known(t: Callable[..., str]) -> str:
    return f"({t('av_bool', 'category_tag', 'criteria_v0.1', 'specificity')}) IS NOT NULL"


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
#: FastChat's battle record fields, as its clean_battle files and the Hub arena datasets name them.
_FASTCHAT_FIELDS = {
    **_BASE,
    "id": ("question_id",),
    "voter": ("judge",),
    "tstamp": ("tstamp",),
    "anony": ("anony",),
    "language": ("language",),
    "turn": ("turn",),
}


def _citations(side: str) -> Callable[[Callable[..., str]], str]:
    """Search arena: the web sources side ``side`` cited, over all turns (``web_search_trace``: per turn, [marker, url] pairs)."""

    def sql(f: Callable[..., str]) -> str:
        trace = f(f"system_{side}_metadata", "web_search_trace")
        return f"to_json(len(flatten(from_json(coalesce({trace}, '[]'), '[[\"JSON\"]]'))))"

    return sql


_FASTCHAT_NON_VOTES = frozenset(
    {"chat", "upvote", "downvote", "flag", "share", "regenerate", "clear_history", "add_text", "load_demo"}
    # WildVision's with-safety tab: its own cleaner reads none of these as preference votes
    | {"leftvote_safety", "rightvote_safety", "tievote_safety", "bothbad_vote_safety"}
)
#: where the cursor was in a code-completion prompt (Copilot Arena: prefix + mark + suffix)
CURSOR_MARK = "<|cursor|>"

#: FastChat's two log shapes, each also the base of a more specific format below.
_FASTCHAT_CONV_LOG = Format(
    name="fastchat-conv-log",
    summary="FastChat raw conversation log (YYYY-MM-DD-conv.json): one JSON line per event, "
    "votes are leftvote/rightvote/tievote/bothbad_vote",
    requires=frozenset({"type", "states"}),
    paths={"winner": ("type",), "voter": ("ip",), "tstamp": ("tstamp",), "id": ("states", 0, "conv_id")},
    winner_map={"leftvote": "model_a", "rightvote": "model_b", "tievote": "tie", "bothbad_vote": "tie_bothbad"},
    non_votes=_FASTCHAT_NON_VOTES,
    conversation="fastchat_states",
    private_keys=("ip",),
    example="2024-02-20-conv.json",
)

_FASTCHAT_CLEAN_BATTLE = Format(
    name="fastchat-clean-battle",
    summary="FastChat clean_battle_*.json: a JSON list of {model_a, model_b, winner, judge, anony, "
    "tstamp, [turn, language]}",
    requires=frozenset({"model_a", "model_b", "winner", "judge", "tstamp"}),
    excludes=frozenset({"conversation_a", "turns", "category_tag"}),
    paths=_FASTCHAT_FIELDS,
    private_keys=("judge",),
    voter_prefix_strip="arena_user_",
    example="clean_battle_20240220.json",
)

FORMATS: tuple[Format, ...] = (
    _FASTCHAT_CONV_LOG,
    dataclasses.replace(
        _FASTCHAT_CONV_LOG,
        name="fastchat-vision-log",
        summary="FastChat / WildVision vision-arena conversation log: the conv-log shape whose user turns carry "
        "images ([text, [md5, ...]] in FastChat); *_safety votes are not preference votes",
        arena="vision",
        refines="fastchat-conv-log",
        looks_like=lambda f: (
            f"list_contains(list_transform(from_json(coalesce({f('states', 0, 'messages')}, '[]'), '[\"JSON\"]'), "
            "lambda x: json_type(json_extract(x, '$[1][1]')) = 'ARRAY'), true)"
        ),
        looks_like_any=True,
        example="vision-tmp-2024-07-01-conv.json",
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
    _FASTCHAT_CLEAN_BATTLE,
    dataclasses.replace(
        _FASTCHAT_CLEAN_BATTLE,
        name="genai-arena",
        summary="GenAI-Arena votes (FastChat clean_battle shape, imagenhub_* models): text-to-image battles, "
        "image-edit battles for the *_edition models",
        arena="text-to-image",
        arena_rule=lambda a: f"CASE WHEN ends_with({a}, '_edition') THEN 'image-edit' ELSE 'text-to-image' END",
        refines="fastchat-clean-battle",
        looks_like=lambda f: f"starts_with({f('model_a')} ->> '$', 'imagenhub_')",
        example="clean_battle_20240220.json (TIGER-AI-Lab/GenAI-Arena)",
    ),
    Format(
        name="search-arena",
        summary="LMArena search arena (lmarena-ai/search-arena-24k): messages_a/b, per-side system metadata with "
        "web-search traces (citations counted); a null winner is a conversation without a vote",
        requires=frozenset({"model_a", "model_b", "winner", "messages_a", "messages_b"}),
        paths={
            **_BASE,
            "voter": ("judge",),
            "tstamp": ("timestamp",),
            "turn": ("turn",),
            "language": ("languages", 0),
            "conversation_a": ("messages_a",),
            "conversation_b": ("messages_b",),
        },
        conversation="messages",
        private_keys=("judge",),
        arena="search",
        no_winner="not_a_vote",
        computed={"citations_a": _citations("a"), "citations_b": _citations("b")},
        example="search-arena-chat-24k.parquet",
    ),
    Format(
        name="vision-arena",
        summary="LMArena VisionArena battles: conversation_a/b as lists of turns, images (bytes) per conversation",
        requires=frozenset({"model_a", "model_b", "winner", "conversation_a", "images"}),
        paths={
            **_BASE,
            "id": ("question_id",),
            "voter": ("judge",),
            "tstamp": ("tstamp",),
            "language": ("language",),
            "turn": ("num_turns",),
            "conversation_a": ("conversation_a",),
            "conversation_b": ("conversation_b",),
            "images": ("images",),
        },
        conversation="messages",
        private_keys=("judge",),
        arena="vision",
        example="lmarena-ai/VisionArena-Battle/*.parquet",
    ),
    Format(
        name="wsdm-cup",
        summary="WSDM Cup 2025 multilingual Chatbot Arena (Kaggle): prompt/response_a/response_b as plain strings, "
        "winner model_a/model_b, language",
        requires=frozenset({"id", "prompt", "response_a", "response_b", "winner", "model_a", "model_b"}),
        excludes=frozenset({"winner_model_a"}),
        paths={
            **_BASE,
            "id": ("id",),
            "language": ("language",),
            "prompt": ("prompt",),
            "response_a": ("response_a",),
            "response_b": ("response_b",),
        },
        conversation="turn_lists",
        plain_text=True,
        example="train.parquet (wsdm-cup-multilingual-chatbot-arena)",
    ),
    Format(
        name="webdev-arena",
        summary="LMArena WebDev arena (webdev-arena-preference-10k): conversation_a/b whose answers carry the "
        "generated app (object.code, kept as a fenced block after the text)",
        requires=frozenset({"model_a", "model_b", "winner", "conversation_a"}),
        paths={
            **_BASE,
            "id": ("question_id",),
            "voter": ("judge",),
            "tstamp": ("tstamp",),
            "language": ("language",),
            "conversation_a": ("conversation_a",),
            "conversation_b": ("conversation_b",),
        },
        conversation="webdev_messages",
        private_keys=("judge",),
        arena="webdev",
        refines="arena-hf",
        looks_like=lambda f: (
            f"list_contains(list_transform(from_json(coalesce({f('conversation_a')}, '[]'), '[\"JSON\"]'), "
            "lambda x: json_type(json_extract(x, '$.object')) = 'OBJECT'), true)"
        ),
        example="webdev-arena-preference-10k/*.json",
    ),
    Format(
        name="arena-hf",
        summary="Hugging Face arena datasets: lmsys/chatbot_arena_conversations (33k), lmarena-ai "
        "arena-human-preference-100k/140k (conversation_a/b, category_tag, conv_metadata)",
        requires=frozenset({"model_a", "model_b", "winner"}),
        # plain-string prompt/answer columns are the generic reader's: this one would drop them unread
        excludes=frozenset({"turns", "num", "prompt", "response_a", "response_b"}),
        paths={
            **_FASTCHAT_FIELDS,
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
        paths={**_FASTCHAT_FIELDS, "prompt": ("turns",)},
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
        name="copilot-arena",
        summary="Copilot Arena code-completion votes (lmarena/copilot-arena sample CSV): the code before and "
        "after the cursor, two completions, acceptedIndex 0/1",
        requires=frozenset({"prefix", "completion_a", "completion_b", "acceptedIndex"}),
        paths={
            "model_a": ("model_a",),
            "model_b": ("model_b",),
            "winner": ("acceptedIndex",),
            "response_a": ("completion_a",),
            "response_b": ("completion_b",),
        },
        winner_map={"0": "model_a", "1": "model_b"},
        winner_map_loose=("0", "1"),
        conversation="turn_lists",
        plain_text=True,
        arena="code-completion",
        # the prompt is the code around the cursor: prefix, a cursor mark, suffix (one user turn)
        computed={
            "prompt": lambda f: (
                f"to_json(coalesce({f('prefix')} ->> '$', '') || '{CURSOR_MARK}' || coalesce({f('suffix')} ->> '$', ''))"
            )
        },
        example="copilot_arena_examples_v1.csv",
    ),
    Format(
        name="alpacaeval",
        summary="AlpacaEval-style judge annotations (annotations.json): generator_1/2, instruction, output_1/2, "
        "continuous preference in [1, 2] (exactly 1.5 is a tie)",
        requires=frozenset({"generator_1", "generator_2", "instruction", "output_1", "output_2", "preference"}),
        paths={
            "model_a": ("generator_1",),
            "model_b": ("generator_2",),
            "voter": ("annotator",),
            "prompt": ("instruction",),
            "response_a": ("output_1",),
            "response_b": ("output_2",),
        },
        winner_from=("preference",),
        tie_band=(1.5, 1.5),
        conversation="turn_lists",
        plain_text=True,
        example="results/<model>/weighted_alpaca_eval_gpt4_turbo/annotations.json",
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
        if fmt.name == "generic" or fmt.refines:
            continue
        if fmt.requires <= keys and not (fmt.excludes & keys):
            return fmt
    if {"model_a", "model_b", "winner"} <= keys:
        return next(f for f in FORMATS if f.name == "generic")
    raise UserError(
        f"no known format has the keys {sorted(keys)[:12]}",
        hint="pass --format generic with --map model_a=COL --map model_b=COL --map winner=COL",
    )
