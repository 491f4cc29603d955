"""Turn staged records into canonical battles, conversations, labels and quarantine rows.

Pure SQL over the temp tables that :func:`arenavotes.ingest.containers.stage_file` left in the
connection: nothing here reads files or touches the workspace tables. The result is three temp
tables (``_new_battles``, ``_new_conversations``, ``_new_quarantine``) and the temp view ``_new_labels`` that the
caller moves into the workspace in one transaction.

The pipeline is the same for every format; what differs per conversation shape or winner
encoding comes from the format's reader in :mod:`arenavotes.ingest.readers`. Redaction of raw
text lives in :mod:`~arenavotes.ingest.redact`, the ``_new_*`` tables are written by
:mod:`~arenavotes.ingest.outputs`. The temp tables, in the order they are built: ``_f`` (fields as
JSON, or as they are for a tabular file's typed columns: :class:`_Cols`), ``_voters`` (pseudonyms),
``_t`` (typed fields), ``_msgs``, ``_conv_stats``, ``_r`` (reasons), ``_ids``, then the four ``_new_*``
tables.

Every staged record ends in exactly one of ``_new_battles`` or ``_new_quarantine``; each
quarantined record gets the first reason that applies, in this order:

``not_a_vote`` (a log event that is not a vote, or a winner mapped to ``not_a_vote``), ``bad_type`` (a field of the wrong type),
``missing_model``, ``same_model``, ``model_mismatch`` (FastChat logs: a named battle whose logged
names are not the models that answered), ``missing_winner``, ``unknown_winner``, ``unknown_arena``, ``bad_conversation``,
``empty_prompt``, ``duplicate_id`` (the source id was seen earlier in the same file).

>>> import duckdb, pathlib, tempfile
>>> from arenavotes.ingest.coerce import install_macros
>>> from arenavotes.ingest.containers import stage_file
>>> from arenavotes.ingest.formats import get_format
>>> p = pathlib.Path(tempfile.mkdtemp()) / "v.jsonl"
>>> _ = p.write_text('{"num": 1, "model_a": "x", "model_b": "x", "winner": "model_a"}\\n')
>>> con = duckdb.connect(); install_macros(con)
>>> n = normalize(con, stage_file(con, p), get_format("arena-votes-33k"), source="s", key=b"k",
...               settings=IngestSettings(), run_id="r", file_label="v.jsonl")
>>> n.quarantined, con.sql("SELECT location, detail FROM _new_quarantine").fetchall()
({'same_model': 1}, [('line 1', 'model_a and model_b are both x')])
"""

from __future__ import annotations

import ast
import dataclasses
import json
import math

import duckdb
import pyarrow as pa

import arenavotes.ingest.coerce as coerce
from arenavotes.config import IngestSettings
from arenavotes.db import has_temp_table, register_arrow, unregister_arrow
from arenavotes.ingest.containers import Staged, encodable
from arenavotes.ingest.formats import Format
from arenavotes.ingest.images import find_images, write_images
from arenavotes.ingest.outputs import (
    HELD_REJECTS,
    battle_ids,
    write_battles,
    write_conversations,
    write_labels,
    write_quarantine,
)
from arenavotes.ingest.readers import reader_for, winner_reader
from arenavotes.ingest.redact import FILE_PRIVATE, PRIVATE_KEYS, private_keys, staged_private_values
from arenavotes.ingest.sqlfields import Accessor, field_accessor, native_field, record_keys, shared_accessor, sql_str
from arenavotes.privacy import hmac_params, hmac_sql
from arenavotes.schema import WINNER_ALIASES
from arenavotes.vocab import ARENA_ALIASES

__all__ = ["PRIVATE_KEYS", "Normalized", "field_accessor", "normalize", "record_keys"]

#: What each checked field must be, for the quarantine detail.
_EXPECTED = {
    "av_id": "a string or an integer",
    "av_str": "a string",
    "av_ts": "epoch seconds or an ISO-8601 time",
    "av_bool": "true/false",
    "av_int": "a whole number",
}
#: Fields whose JSON type is checked (field -> macro that must accept a present value).
_TYPED = {
    "id": "av_id",
    "model_a": "av_str",
    "model_b": "av_str",
    "voter": "av_id",
    "tstamp": "av_ts",
    "anony": "av_bool",
    "language": "av_str",
    "turn": "av_int",
}
#: Fields holding conversation text (JSON, or JSON / Python-repr strings embedded in a string).
_CONV_FIELDS = ("conversation_a", "conversation_b", "prompt", "response_a", "response_b")
#: Canonical fields that hold voter ids (their values never appear in a quarantine detail).
_PRIVATE_FIELDS = frozenset({"voter"})
#: Fields a tabular file's typed column may fill natively in ``_f`` (see :class:`_Cols`).
_NATIVE_FIELDS = (*_TYPED, "winner")


@dataclasses.dataclass(frozen=True)
class _Cols:
    """How to read the ``j_<field>`` columns of ``_f``: JSON values, except the fields in ``natives`` (field ->
    DuckDB type id), which hold a tabular file's typed column as it is. The steps that read them ask here:
    :meth:`m` gives a macro's result (without JSON for a native column), :meth:`json` the JSON value.

    >>> cols = _Cols({"model_a": "varchar"})
    >>> cols.m("av_str", "model_a"), cols.m("av_str", "model_b"), cols.json("model_a", "s.")
    ("nullif(trim(j_model_a), '')", 'av_str(j_model_b)', 'to_json(s.j_model_a)')
    """

    natives: dict[str, str] = dataclasses.field(default_factory=dict)

    def json(self, name: str, table: str = "") -> str:
        col = f"{table}j_{name}"
        return f"to_json({col})" if name in self.natives else col

    def m(self, macro: str, name: str, table: str = "") -> str:
        if name in self.natives:
            return coerce.native_sql(macro, f"{table}j_{name}", self.natives[name])
        return f"{macro}({table}j_{name})"


@dataclasses.dataclass(frozen=True)
class Normalized:
    rows_in: int
    kept: int
    quarantined: dict[str, int]
    labels: int
    messages: int
    images: int = 0

    def plus(self, other: Normalized) -> Normalized:
        """The counts of two batches of one file together."""
        why = dict(self.quarantined)
        for reason, n in other.quarantined.items():
            why[reason] = why.get(reason, 0) + n
        return Normalized(
            self.rows_in + other.rows_in,
            self.kept + other.kept,
            dict(sorted(why.items())),
            self.labels + other.labels,
            self.messages + other.messages,
            self.images + other.images,
        )


#: Temp tables carried from one batch of a file to the next (see :func:`normalize`): the source ids kept so
#: far with their first row, how many id-less records of each content hash were seen, the private values
#: of every batch (:func:`note_private_values`) and the unreadable records held back until they are known.
CARRY_TABLES = ("_seen_ids", "_seen_hashes", FILE_PRIVATE, HELD_REJECTS)


def normalize(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    fmt: Format,
    *,
    source: str,
    key: bytes,
    settings: IngestSettings,
    run_id: str,
    file_label: str,
    batched: bool = False,
) -> Normalized:
    """Build the ``_new_*`` temp tables from ``_stage``/``_rejects`` (see the module docstring). ``batched``:
    one of several batches of a file, whose private values are noted for the whole file and whose unreadable
    records wait in ``_held_rejects`` (see :func:`~arenavotes.ingest.outputs.write_quarantine`)."""
    if batched and staged.staged and (staged.rejected or has_temp_table(con, HELD_REJECTS)):
        note_private_values(con, staged, fmt)  # from the first batch with an unreadable record on
    cols = _extract_fields(con, fmt, staged)
    _repair_python_repr(con)
    if fmt.conversation in ("messages", "webdev_messages"):
        _flatten_turns(con)
    if fmt.plain_text:
        _wrap_plain_text(con, fmt)
    _pseudonymise_voters(con, key, fmt.voter_prefix_strip, cols)
    if batched and staged.staged:  # the ids as the pseudonymiser read them (what a lone batch redacts with)
        _note_private(con, "SELECT DISTINCT raw FROM _voters WHERE raw IS NOT NULL")
    _typed(con, fmt, cols)
    _messages(con, fmt)
    refs = find_images(con, record_images=fmt.path("images") is not None)
    _reasons(con, fmt, settings, staged.unit, cols)
    battle_ids(con, staged, fmt, source)
    write_battles(con, source)
    write_conversations(con)
    images = write_images(con) if refs else 0
    write_labels(con, staged, fmt, source)
    held = write_quarantine(con, staged, fmt, source, file_label, run_id, settings.max_raw_chars, hold=batched)

    by_reason = dict(con.sql("SELECT reason, count(*) FROM _new_quarantine GROUP BY 1 ORDER BY 1").fetchall())
    for reason, n in held.items():
        by_reason[reason] = by_reason.get(reason, 0) + n
    by_reason = dict(sorted(by_reason.items()))
    kept = int(con.sql("SELECT count(*) FROM _new_battles").fetchall()[0][0])
    messages = int(con.sql("SELECT count(*) FROM _new_conversations").fetchall()[0][0])
    # the labels are a view (write_labels): the caller counts them as it moves or reads them (0 here)
    return Normalized(staged.staged + staged.rejected, kept, by_reason, 0, messages, images)


def _field_sql(fmt: Format, f: Accessor, name: str) -> str:
    override = fmt.computed.get(name) or reader_for(fmt).fields.get(name)
    if override is not None:
        return override(f)
    path = fmt.path(name)
    if path is None:
        return "NULL::JSON"
    expr = f(*path)
    return f"av_embedded({expr})" if name in _CONV_FIELDS else expr


def _extract_fields(con: duckdb.DuckDBPyConnection, fmt: Format, staged: Staged) -> _Cols:
    """``_f``: each canonical field of each staged record, as JSON or (see :func:`_native_fields`) natively."""
    f, source = shared_accessor(staged)
    natives = _native_fields(fmt, staged)
    names = (*_TYPED, "winner", "arena", "images", "citations_a", "citations_b", *_CONV_FIELDS)
    cols = [f"{natives[n][0] if n in natives else _field_sql(fmt, f, n)} AS j_{n}" for n in names]
    extra = reader_for(fmt).columns(f) + winner_reader(fmt).columns(fmt, f)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _f AS SELECT _row, {', '.join(cols + extra)} FROM {source()}")
    return _Cols({n: type_id for n, (_, type_id) in natives.items()})


def _native_fields(fmt: Format, staged: Staged) -> dict[str, tuple[str, str]]:
    """The fields of ``_NATIVE_FIELDS`` that a tabular file holds in a column of a plain type
    (:func:`~arenavotes.ingest.sqlfields.native_field`), read where they are: field -> (SQL, type id).
    Fields the format computes or its reader reads, and a winner whose reader has no native route, stay JSON."""
    out = {}
    for name in _NATIVE_FIELDS:
        path = fmt.path(name)
        if path is None or fmt.computed.get(name) or reader_for(fmt).fields.get(name):
            continue
        if name == "winner" and winner_reader(fmt).native is None:
            continue
        found = native_field(staged, path)
        if found is not None:
            out[name] = found
    return out


def _repair_python_repr(con: duckdb.DuckDBPyConnection) -> None:
    """Conversation fields stored as Python ``repr`` strings (a real quirk of some exports) become JSON."""
    for name in _CONV_FIELDS:
        rows = con.sql(f"SELECT _row, j_{name} ->> '$' FROM _f WHERE json_type(j_{name}) = 'VARCHAR'").fetchall()
        fixed_rows, fixed_vals = [], []
        for row, text in rows:
            stripped = text.strip()
            if not stripped.startswith(("[", "{")):
                continue
            try:
                value = ast.literal_eval(stripped)
                if not isinstance(value, list | dict):
                    continue
                # ensure_ascii: a lone surrogate stays an escape (Arrow cannot hold it as text)
                fixed = json.dumps(value, ensure_ascii=not encodable(stripped))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            fixed_rows.append(row)
            fixed_vals.append(fixed)
        if fixed_rows:
            register_arrow(con, "_fix", pa.table({"_row": pa.array(fixed_rows, pa.int64()), "v": fixed_vals}))
            con.execute(f"UPDATE _f SET j_{name} = _fix.v::JSON FROM _fix WHERE _f._row = _fix._row")
            unregister_arrow(con, "_fix")


def _flatten_turns(con: duckdb.DuckDBPyConnection) -> None:
    """A conversation stored as a list of turns, each a list of messages (VisionArena), becomes one list."""
    for name in ("conversation_a", "conversation_b"):
        con.execute(f"""
            UPDATE _f SET j_{name} = to_json(flatten(from_json(j_{name}, '[["JSON"]]')))
            WHERE regexp_matches(j_{name}::VARCHAR, '^\\s*\\[\\s*\\[')  -- cheap test first: a list whose first item is a list
              AND json_type(j_{name}) = 'ARRAY' AND json_type(json_extract(j_{name}, '$[0]')) = 'ARRAY'
              AND NOT list_contains(list_transform(from_json(j_{name}, '["JSON"]'), lambda x: json_type(x) = 'ARRAY'), false)
        """)


def _wrap_plain_text(con: duckdb.DuckDBPyConnection, fmt: Format) -> None:
    """A plain-string prompt or answer (not a list of turns) is one turn."""
    for name in ("prompt", "response_a", "response_b"):
        if fmt.path(name) is not None or name in fmt.computed:
            con.execute(f"UPDATE _f SET j_{name} = json_array(j_{name} ->> '$') WHERE json_type(j_{name}) = 'VARCHAR'")


def note_private_values(con: duckdb.DuckDBPyConnection, staged: Staged, fmt: Format) -> None:
    """Add the raw voter ids and private-key values of the staged batch to ``_file_private``: a file read in
    several batches redacts its unreadable records with the values of all its batches, as a whole file does."""
    f, records = shared_accessor(staged)
    voter = _field_sql(fmt, f, "voter")
    values = {r[0] for r in con.sql(f"SELECT DISTINCT av_id({voter}) FROM {records()}").fetchall() if r[0]}
    values |= staged_private_values(con, staged, private_keys(fmt))
    register_arrow(con, "_private_part", pa.table({"v": pa.array(sorted(values), pa.string())}))
    _note_private(con, "SELECT v FROM _private_part")
    unregister_arrow(con, "_private_part")


def _note_private(con: duckdb.DuckDBPyConnection, select: str) -> None:
    """Add the values ``select`` returns (one column) to ``_file_private``. A value of several batches is
    stored once per batch and read as a set: a key index would keep every distinct voter id of the file in
    memory, unevictable (5M battles, 1.5M voters: ~0.15 GB), where the plain table spills."""
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {FILE_PRIVATE} (v VARCHAR)")
    con.execute(f"INSERT INTO {FILE_PRIVATE} SELECT DISTINCT * FROM ({select})")


def _pseudonymise_voters(con: duckdb.DuckDBPyConnection, key: bytes, strip_prefix: str, cols: _Cols) -> None:
    """``_voters(raw, voter_id)``: each distinct raw voter id of the batch and its pseudonym (the HMAC of the
    id without the format's ``strip_prefix``), computed in DuckDB."""
    raw = cols.m("av_id", "voter")
    bare = f"CASE WHEN starts_with(raw, {sql_str(strip_prefix)}) THEN substr(raw, {len(strip_prefix) + 1}) ELSE raw END"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _voters AS
            SELECT raw, {hmac_sql(bare if strip_prefix else "raw")} AS voter_id
            FROM (SELECT DISTINCT {raw} AS raw FROM _f WHERE {raw} IS NOT NULL)""",
        hmac_params(key),
    )


def _winner_case(fmt: Format) -> str:
    """SQL for the canonical outcome of ``winner_raw``: the exact spelling first; values given with
    ``--winner-map`` also match as numbers (``0`` matches ``0.0``) and regardless of case and spaces."""
    mapping = {**WINNER_ALIASES, **fmt.winner_map}
    whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}" for k, v in mapping.items())
    exact = f"CASE winner_raw {whens} END"
    loose = [k for k in fmt.winner_map_loose if k in fmt.winner_map]
    numeric = {k: float(k) for k in loose if _is_number(k)}
    parts = [exact]
    if numeric:
        nwhens = " ".join(f"WHEN {v!r} THEN {sql_str(fmt.winner_map[k])}" for k, v in numeric.items())
        parts.append(f"CASE try_cast(trim(winner_raw) AS DOUBLE) {nwhens} END")
    if loose:
        lwhens = " ".join(f"WHEN {sql_str(k.strip().lower())} THEN {sql_str(fmt.winner_map[k])}" for k in loose)
        parts.append(f"CASE lower(trim(winner_raw)) {lwhens} END")
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _arena_case(fmt: Format, cols: _Cols) -> str:
    """SQL for a battle's arena kind: the record's own ``arena`` field when mapped (any spelling in
    ``vocab.ARENA_ALIASES``; NULL when unknown), else the format's rule or its kind."""
    default = fmt.arena_rule(cols.m("av_str", "model_a")) if fmt.arena_rule else sql_str(fmt.arena)
    if fmt.path("arena") is None:
        return default
    whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}" for k, v in ARENA_ALIASES.items())
    spelled = r"regexp_replace(lower(trim(coalesce(av_id(j_arena), ''))), '[_\s]+', '-', 'g')"
    return (
        f"CASE WHEN av_present(j_arena) AND NOT av_blank(j_arena) THEN (CASE {spelled} {whens} END) ELSE {default} END"
    )


def _typed(con: duckdb.DuckDBPyConnection, fmt: Format, cols: _Cols) -> None:
    source_id = cols.m("av_id", "id", "_f.")
    bad = ", ".join(
        f"({cols.m(m, n)} IS NULL AND {cols.m('av_present', n)} AND NOT {cols.m('av_blank', n)}) AS bad_{n}"
        for n, m in _TYPED.items()
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _t AS
        SELECT _f._row,
               {f"{source_id} || '/' || j.voter_id" if fmt.id_per_voter else source_id} AS source_id,
               {cols.m("av_str", "model_a")} AS model_a, {cols.m("av_str", "model_b")} AS model_b,
               winner_raw, {_winner_case(fmt)} AS winner,
               {_arena_case(fmt, cols)} AS arena, coalesce(av_id(j_arena), j_arena::VARCHAR) AS arena_raw,
               av_int(j_citations_a) AS citations_a, av_int(j_citations_b) AS citations_b,
               j.voter_id, {cols.m("av_ts", "tstamp")} AS tstamp, {cols.m("av_bool", "anony")} AS anony,
               {cols.m("av_str", "language")} AS language, {cols.m("av_int", "turn")} AS turn, {bad}
        FROM (SELECT *, {_winner_raw(fmt, cols)} AS winner_raw FROM _f) _f
        LEFT JOIN _voters j ON j.raw = {cols.m("av_id", "voter", "_f.")}
    """)


def _winner_raw(fmt: Format, cols: _Cols) -> str:
    """The winner as the file spells it (:class:`~arenavotes.ingest.readers.WinnerReader`), read natively from
    a typed column where the reader can."""
    reader = winner_reader(fmt)
    if "winner" in cols.natives and reader.native is not None:
        return reader.native("j_winner", cols.natives["winner"])
    return reader.raw


def _messages(con: duckdb.DuckDBPyConnection, fmt: Format) -> None:
    """All messages of all staged records: ``_msgs(_row, side, idx, turn, role, content, problem)``."""
    parts = reader_for(fmt).messages()
    if not parts:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _msgs (_row BIGINT, side VARCHAR, idx INTEGER, turn INTEGER, "
            "role VARCHAR, content VARCHAR, problem VARCHAR, m JSON)"
        )
        return
    # the messages are written to a table first, the message itself kept only where it can hold images (typed
    # parts, FastChat's [text, [md5...]]), and the turns numbered from that table: a window over the unnested
    # JSON held its whole input at once, and a 32 MB batch of long texts went past a 400 MB cap (each batch of
    # the same 20,000 conversations now ingests within 200 MB)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _msgs_in AS
        SELECT _row, side, idx, role, content, problem,
               CASE WHEN (json_type(m) = 'OBJECT' AND json_type(json_extract(m, '$.content')) = 'ARRAY')
                         OR (json_type(m) = 'ARRAY' AND json_type(json_extract(m, '$[1]')) = 'ARRAY') THEN m END AS m
        FROM ({" UNION ALL ".join(parts)})
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _msgs AS
        SELECT _row, side, idx,
               sum(CASE WHEN role = 'user' THEN 1 ELSE 0 END) OVER (PARTITION BY _row, side ORDER BY idx)::INTEGER
                   AS turn,
               role, content, problem, m
        FROM _msgs_in
    """)
    con.execute("DROP TABLE _msgs_in")


def _file_field(fmt: Format, field: str) -> str:
    """The name the file gives a canonical field (``judge`` for FastChat's voter), as a quarantine detail says it."""
    path = fmt.path(field)
    return ".".join(map(str, path)) if path else field


def _reasons(con: duckdb.DuckDBPyConnection, fmt: Format, settings: IngestSettings, unit: str, cols: _Cols) -> None:
    non_votes = ", ".join(sql_str(v) for v in sorted(fmt.non_votes)) or "NULL"
    # a private field's value is never echoed: its type says enough
    bad_type = " ".join(
        f"WHEN bad_{n} THEN ['bad_type', {sql_str(_file_field(fmt, n) + ': ')} || av_type({cols.json(n, 's.')}) || "
        + ("' value'" if n in _PRIVATE_FIELDS else f"' ' || left({cols.json(n, 's.')}::VARCHAR, 40)")
        + f" || ' is not {_EXPECTED[m]}']"
        for n, m in _TYPED.items()
    )
    min_chars = settings.min_prompt_chars
    reader = reader_for(fmt)
    mismatch = reader.mismatch  # e.g. FastChat's model_mismatch
    reason_cols = "".join(f", {c}" for c in reader.reason_columns)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _conv_stats AS
        SELECT _row,
               min(CASE WHEN problem IS NOT NULL THEN side || ' message ' || (idx + 1) || ': ' || problem END) AS problem,
               count(*) FILTER (WHERE role = 'user') AS user_msgs,
               max(turn) FILTER (WHERE side IN ('a', 'prompt')) AS turns,
               arg_min(length(trim(coalesce(content, ''))), idx) FILTER (WHERE role = 'user' AND side IN ('a', 'prompt'))
                   AS first_prompt_chars
        FROM _msgs GROUP BY _row
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _r AS
        SELECT t.*, c.turns AS msg_turns, c.user_msgs IS NOT NULL AS has_text,
               CASE
                 WHEN winner_raw IN ({non_votes}) THEN ['not_a_vote', 'event type ' || winner_raw]
                 WHEN winner = 'not_a_vote' THEN ['not_a_vote', 'winner ''' || winner_raw || ''' is mapped to not_a_vote']
                 {bad_type}
                 WHEN model_a IS NULL THEN ['missing_model', 'model_a is missing or empty']
                 WHEN model_b IS NULL THEN ['missing_model', 'model_b is missing or empty']
                 WHEN model_a = model_b THEN ['same_model', 'model_a and model_b are both ' || model_a]
                 {mismatch}
                 WHEN winner_raw IS NULL THEN ['{fmt.no_winner}', 'winner is missing']
                 WHEN winner IS NULL THEN ['unknown_winner', 'winner ''' || winner_raw || ''' is not a known outcome']
                 WHEN arena IS NULL THEN ['unknown_arena', 'arena ''' || left(arena_raw, 40) || ''' is not an arena kind']
                 WHEN shape_problem IS NOT NULL THEN ['bad_conversation', shape_problem]
                 WHEN c.problem IS NOT NULL THEN ['bad_conversation', c.problem]
                 WHEN has_conv AND coalesce(c.user_msgs, 0) = 0 THEN ['empty_prompt', 'the conversation has no user turn']
                 WHEN c.first_prompt_chars < {min_chars} THEN ['empty_prompt', 'the first user turn is blank']
               END AS why
        FROM _t t
        JOIN (SELECT _row, {reader.shape_problem} AS shape_problem, {reader.present} AS has_conv,
                     {", ".join(f"j_{n}" for n in _TYPED)} {reason_cols} FROM _f) s USING (_row)
        LEFT JOIN _conv_stats c USING (_row)
    """)
    # duplicate source ids: the first occurrence (by position in the file) is kept, also when it was in an
    # earlier batch of the file (_seen_ids). No key index: the ids are unique by construction, and an index
    # is memory DuckDB cannot evict (5M ids: 164 MB, which made a 5M-battle ingest fail at a 400 MB cap); the
    # join with each batch is a hash join on the batch's side over a table that spills.
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _seen_ids (source_id VARCHAR, first_row BIGINT)")
    con.execute(f"""
        UPDATE _r SET why = ['duplicate_id', 'id ' || _r.source_id || ' already seen at {unit} ' || s.first_row]
        FROM _seen_ids s WHERE _r.why IS NULL AND s.source_id = _r.source_id
    """)
    con.execute(f"""
        UPDATE _r SET why = ['duplicate_id', 'id ' || _r.source_id || ' already seen at {unit} ' || d.first_row]
        FROM (SELECT _row, first_value(_row) OVER (PARTITION BY source_id ORDER BY _row) AS first_row,
                     row_number() OVER (PARTITION BY source_id ORDER BY _row) AS k
              FROM _r WHERE why IS NULL AND source_id IS NOT NULL) d
        WHERE d._row = _r._row AND d.k > 1
    """)
    con.execute("INSERT INTO _seen_ids SELECT source_id, _row FROM _r WHERE why IS NULL AND source_id IS NOT NULL")
