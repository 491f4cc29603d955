"""How each conversation shape and each winner encoding is read: a registry of reader objects.

A :class:`~arenavotes.ingest.formats.Format` only *names* its conversation shape
(``Format.conversation``) and, for the 55k shape, its one-hot winner columns. The SQL that reads
them lives here, one :class:`Reader` per shape in :data:`READERS` and one :class:`WinnerReader`
per winner encoding, so :mod:`~arenavotes.ingest.normalize` runs the same pipeline for every
format and asks the reader for the parts that differ: which fields it reads another way, the
extra ``_f`` columns it needs, the SQL that unnests the messages into ``_msgs``, when the
conversation field has the wrong shape, and any extra quarantine rule (FastChat's
``model_mismatch``). Adding a shape means adding one entry here, not a branch in the pipeline.

>>> from arenavotes.ingest.formats import get_format
>>> reader_for(get_format("arena-battles-with-prompts")).name
'prompt_only'
>>> READERS["messages"].present
'av_present(j_conversation_a) OR av_present(j_conversation_b)'
>>> READERS[None].shape_problem, READERS[None].messages()
('NULL', [])
>>> winner_reader(get_format("arena-55k")).name, columns_checked(get_format("arena-55k"))
('one_hot', False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from arenavotes.ingest.coerce import native_sql
from arenavotes.ingest.formats import Format
from arenavotes.ingest.sqlfields import Accessor

#: SQL over ``_f`` for one canonical field (a reader's replacement for reading it by its path)
FieldSql = Callable[[Accessor], str]


def _no_messages() -> list[str]:
    return []


def _no_columns(f: Accessor) -> list[str]:
    return []


@dataclasses.dataclass(frozen=True)
class Reader:
    """The SQL pieces that read one conversation shape (see the module docstring).

    ``messages()`` returns SELECTs over ``_f`` yielding ``(_row, side, idx, m, role, content,
    problem)``, one row per message; no SELECTs means the shape carries no text.
    """

    name: str
    shape: str | None  # the Format.conversation value it reads
    list_fields: tuple[str, ...] = ()  # fields that must be lists when present
    present: str = "false"  # SQL over _f: does the record carry a conversation
    messages: Callable[[], list[str]] = _no_messages
    fields: Mapping[str, FieldSql] = dataclasses.field(default_factory=dict)  # fields not read by path
    columns: Callable[[Accessor], list[str]] = _no_columns  # extra ``_f`` columns ("<sql> AS <name>")
    extra_checks: tuple[str, ...] = ()  # more "WHEN ... THEN '<problem>'" clauses
    mismatch: str = ""  # an extra quarantine rule ("WHEN ... THEN [...]")
    reason_columns: tuple[str, ...] = ()  # ``_f`` columns that rule reads
    checks_columns: bool = True  # must a tabular file have the named columns?

    @property
    def shape_problem(self) -> str:
        """SQL for a record whose conversation field is present but not a list (NULL when fine)."""
        checks = [
            f"WHEN av_present(j_{n}) AND json_type(j_{n}) <> 'ARRAY' THEN '{n} is not a list'" for n in self.list_fields
        ]
        checks += self.extra_checks
        return f"CASE {' '.join(checks)} END" if checks else "NULL"


def _any_present(*fields: str) -> str:
    return " OR ".join(f"av_present(j_{n})" for n in fields)


#: WebDev arena answers: the text, then the generated code (``object.code``) as a fenced block
_WEBDEV_CONTENT = (
    "concat_ws(chr(10) || chr(10), av_content(json_extract(m, '$.content')), "
    "CASE WHEN json_type(json_extract(m, '$.object.code')) = 'VARCHAR' THEN "
    "'```' || coalesce(m ->> '$.object.file_path', '') || chr(10) || (m ->> '$.object.code') || chr(10) || '```' END)"
)


def _message_lists(content: str = "av_content(json_extract(m, '$.content'))") -> Callable[[], list[str]]:
    """``conversation_a/b``: lists of ``{role, content}`` objects (``content``: the SQL for a message's text)."""
    return lambda: _message_selects(content)


def _message_selects(content: str) -> list[str]:
    return [
        f"""
                SELECT _row, '{side}' AS side, i::INTEGER AS idx, m,
                       av_role(m ->> '$.role') AS role, {content} AS content,
                       CASE WHEN json_type(m) <> 'OBJECT' THEN 'message is a ' || lower(json_type(m))
                            WHEN av_role(m ->> '$.role') IS NULL THEN 'unknown role ' || coalesce(m ->> '$.role', 'missing')
                            WHEN NOT av_content_ok(json_extract(m, '$.content')) THEN 'content is a ' || lower(json_type(json_extract(m, '$.content')))
                       END AS problem
                FROM (SELECT _row, unnest(from_json(j_conversation_{side}, '["JSON"]')) AS m,
                             unnest(range(json_array_length(j_conversation_{side})::BIGINT)) AS i
                      FROM _f WHERE json_type(j_conversation_{side}) = 'ARRAY')"""
        for side in ("a", "b")
    ]


def _turn_lists(*sides: tuple[str, str, str, int]) -> Callable[[], list[str]]:
    """Lists of plain texts, one per turn: ``(side, _f column, role, offset of its first message)``."""

    def messages() -> list[str]:
        return [
            f"""
                SELECT _row, '{side}' AS side, (2 * i + {offset})::INTEGER AS idx, m,
                       '{role}' AS role, av_content(m) AS content,
                       CASE WHEN json_type(m) NOT IN ('VARCHAR', 'NULL') THEN 'turn is a ' || lower(json_type(m)) END
                           AS problem
                FROM (SELECT _row, unnest(from_json({col}, '["JSON"]')) AS m, unnest(range(json_array_length({col})::BIGINT)) AS i
                      FROM _f WHERE json_type({col}) = 'ARRAY')"""
            for side, col, role, offset in sides
        ]

    return messages


def _fastchat_states() -> list[str]:
    """FastChat ``states[i].messages``: ``[role, text]`` pairs, those before ``offset`` are the system prompt."""
    return [
        f"""
                SELECT _row, '{side}' AS side, (i - off)::INTEGER AS idx, m,
                       CASE WHEN (i - off) % 2 = 0 THEN 'user' ELSE 'assistant' END AS role,
                       av_content(json_extract(m, '$[1]')) AS content,
                       CASE WHEN json_type(m) <> 'ARRAY' THEN 'message is not a [role, text] pair'
                            WHEN NOT av_content_ok(json_extract(m, '$[1]')) THEN 'text is a ' || lower(json_type(json_extract(m, '$[1]')))
                       END AS problem
                FROM (SELECT _row, coalesce(av_int(j_offset_{side}), 0) AS off,
                             unnest(from_json(j_states_{side}, '["JSON"]')) AS m,
                             unnest(range(json_array_length(j_states_{side})::BIGINT)) AS i
                      FROM _f WHERE json_type(j_states_{side}) = 'ARRAY')
                WHERE i >= off"""
        for side in ("a", "b")
    ]


def _public_name(f: Accessor, i: int) -> str:
    """The model name the UI logged for side ``i`` ('' when anonymous; '<h3>Model A: x</h3>' in old UIs)."""
    return f"regexp_replace(coalesce({f('models', i)} ->> '$', ''), '^<h3>.*?: (.*)</h3>\\s*$', '\\1')"


def _fastchat_anony(f: Accessor) -> str:
    """FastChat's rule: anonymous if the logged selector is '' or 'Model A'."""
    return f"({_public_name(f, 0)} IN ('', 'Model A'))"


def _fastchat_model(i: int) -> FieldSql:
    """Side ``i``'s model: from the states when anonymous, else the states or the logged name."""

    def sql(f: Accessor) -> str:
        hidden = f"{f('states', i, 'model_name')}"
        return (
            f"CASE WHEN {_fastchat_anony(f)} THEN {hidden} "
            f"ELSE coalesce({hidden}, to_json(nullif({_public_name(f, i)}, ''))) END"
        )

    return sql


def _fastchat_columns(f: Accessor) -> list[str]:
    return [
        f"{f('states', 0, 'messages')} AS j_states_a",
        f"{f('states', 1, 'messages')} AS j_states_b",
        f"{f('states', 0, 'offset')} AS j_offset_a",
        f"{f('states', 1, 'offset')} AS j_offset_b",
        f"{_public_name(f, 0)} AS public_a",
        f"{_public_name(f, 1)} AS public_b",
    ]


READERS: dict[str | None, Reader] = {
    r.shape: r
    for r in (
        Reader("none", None),
        Reader(
            "messages",
            "messages",
            list_fields=("conversation_a", "conversation_b"),
            present=_any_present("conversation_a", "conversation_b"),
            messages=_message_lists(),
        ),
        Reader(
            "webdev_messages",
            "webdev_messages",
            list_fields=("conversation_a", "conversation_b"),
            present=_any_present("conversation_a", "conversation_b"),
            messages=_message_lists(_WEBDEV_CONTENT),
        ),
        Reader(
            "turn_lists",
            "turn_lists",
            list_fields=("prompt", "response_a", "response_b"),
            present=_any_present("prompt"),
            messages=_turn_lists(
                ("a", "j_prompt", "user", 0),
                ("a", "j_response_a", "assistant", 1),
                ("b", "j_prompt", "user", 0),
                ("b", "j_response_b", "assistant", 1),
            ),
        ),
        Reader(
            "prompt_only",
            "prompt_only",
            list_fields=("prompt",),
            present=_any_present("prompt"),
            messages=_turn_lists(("prompt", "j_prompt", "user", 0)),
        ),
        Reader(
            "fastchat_states",
            "fastchat_states",
            present="true",
            messages=_fastchat_states,
            # model names and anony come from the states and the logged selector, not from a path
            fields={
                "model_a": _fastchat_model(0),
                "model_b": _fastchat_model(1),
                "anony": lambda f: f"to_json({_fastchat_anony(f)})",
            },
            columns=_fastchat_columns,
            extra_checks=tuple(
                f"WHEN json_type(j_states_{s}) IS DISTINCT FROM 'ARRAY' THEN 'states[{i}].messages is not a list'"
                for i, s in enumerate("ab")
            ),
            # in a named battle the logged names must contain the names of the models that answered
            mismatch=(
                "WHEN anony = false AND (strpos(public_a, model_a) = 0 OR strpos(public_b, model_b) = 0) "
                "THEN ['model_mismatch', 'logged names ' || public_a || ' / ' || public_b "
                "|| ' do not match the answering models ' || model_a || ' / ' || model_b]"
            ),
            reason_columns=("public_a", "public_b"),
            # a record's fields live in nested states: a missing one is a per-record quarantine reason
            checks_columns=False,
        ),
    )
}


def reader_for(fmt: Format) -> Reader:
    """The reader of ``fmt``'s conversation shape."""
    try:
        return READERS[fmt.conversation]
    except KeyError:
        raise ValueError(
            f"format {fmt.name!r}: no reader for conversation {fmt.conversation!r} "
            f"(one of {', '.join(map(repr, READERS))})"
        ) from None


@dataclasses.dataclass(frozen=True)
class WinnerReader:
    """How the outcome is read: ``raw`` is SQL over ``_f`` for the winner as the file spells it."""

    name: str
    raw: str
    columns: Callable[[Format, Accessor], list[str]]  # extra ``_f`` columns it reads
    checks_columns: bool = True  # must a tabular file have the named columns?
    #: ``raw`` for a winner column read natively: (column SQL, DuckDB type id) -> SQL; None: the winner is
    #: always read as JSON
    native: Callable[[str, str], str] | None = None


def label_winner_sql(x: str, type_id: str) -> str:
    """:data:`LABEL_WINNER`'s ``raw`` for a typed column ``x`` of DuckDB type ``type_id`` read natively
    (:func:`~arenavotes.ingest.coerce.native_sql`): a string or integer as its text, a number or boolean as
    its JSON text, as the JSON route gives them.

    >>> label_winner_sql("w", "varchar")
    "nullif(trim(w), '')"
    """
    if type_id in ("double", "boolean"):
        return f"to_json({x})::VARCHAR"
    return native_sql("av_id", x, type_id)


#: a winner field: a string (or integer) label, or a number/boolean kept as its text
LABEL_WINNER = WinnerReader(
    "label",
    "coalesce(av_id(j_winner), CASE WHEN json_type(j_winner) IN ('DOUBLE', 'BOOLEAN') THEN j_winner::VARCHAR END)",
    lambda fmt, f: [],
    native=label_winner_sql,
)

#: three one-hot columns (``Format.winner_one_hot``): exactly one of them must be 1
ONE_HOT_WINNER = WinnerReader(
    "one_hot",
    "CASE WHEN (av_int(j_wa), av_int(j_wb), av_int(j_wt)) = (1, 0, 0) THEN 'model_a' "
    "WHEN (av_int(j_wa), av_int(j_wb), av_int(j_wt)) = (0, 1, 0) THEN 'model_b' "
    "WHEN (av_int(j_wa), av_int(j_wb), av_int(j_wt)) = (0, 0, 1) THEN 'tie' "
    "ELSE 'one-hot ' || coalesce(j_wa ->> '$', 'missing') || '/' || coalesce(j_wb ->> '$', 'missing')"
    " || '/' || coalesce(j_wt ->> '$', 'missing') END",
    lambda fmt, f: [
        f"{f(c)} AS {alias}" for c, alias in zip(fmt.winner_one_hot, ("j_wa", "j_wb", "j_wt"), strict=True)
    ],
    checks_columns=False,
)


def _score_winner(fmt: Format) -> WinnerReader:
    """``Format.winner_from``: one number (its side by ``high_wins``) or two per-side scores (the higher
    wins); inside ``tie_band`` a tie. A value that is no number stays as text (an unknown outcome)."""
    lo, hi = (repr(float(x)) for x in fmt.tie_band)
    if len(fmt.winner_from) == 2:
        value = "(av_num(j_ws2) - av_num(j_ws1))"
        low, high = "model_a", "model_b"
        text = (
            "CASE WHEN NOT av_present(j_ws1) AND NOT av_present(j_ws2) THEN NULL "
            "ELSE 'scores ' || coalesce(j_ws1 ->> '$', 'missing') || '/' || coalesce(j_ws2 ->> '$', 'missing') END"
        )
    else:
        value = "av_num(j_ws1)"
        high = fmt.high_wins
        low = "model_a" if high == "model_b" else "model_b"
        text = "CASE WHEN av_present(j_ws1) AND NOT av_blank(j_ws1) THEN j_ws1 ->> '$' END"
    raw = (
        f"CASE WHEN {value} IS NULL OR NOT isfinite({value}) THEN {text} "
        f"WHEN {value} < {lo} THEN '{low}' WHEN {value} > {hi} THEN '{high}' ELSE 'tie' END"
    )
    paths = [("winner_from", c) for c in fmt.winner_from]

    def columns(fmt: Format, f: Accessor) -> list[str]:
        return [
            f"{f(*tuple(int(p) if p.isdigit() else p for p in col.split('.')))} AS j_ws{i}"
            for i, (_, col) in enumerate(paths, start=1)
        ]

    return WinnerReader("score", raw, columns, checks_columns=False)


def winner_reader(fmt: Format) -> WinnerReader:
    if fmt.winner_from:
        return _score_winner(fmt)
    return ONE_HOT_WINNER if fmt.winner_one_hot else LABEL_WINNER


def columns_checked(fmt: Format) -> bool:
    """Must a tabular file carry the columns ``fmt`` names for model_a, model_b and winner?"""
    return reader_for(fmt).checks_columns and winner_reader(fmt).checks_columns
