"""Turn staged records into canonical battles, conversations, labels and quarantine rows.

Pure SQL over the temp tables that :func:`arenavotes.ingest.containers.stage_file` left in the
connection: nothing here reads files or touches the workspace tables. The result is four temp
tables (``_new_battles``, ``_new_conversations``, ``_new_labels``, ``_new_quarantine``) that the
caller moves into the workspace in one transaction.

Every staged record ends in exactly one of ``_new_battles`` or ``_new_quarantine``; each
quarantined record gets the first reason that applies, in this order:

``not_a_vote`` (a log event that is not a vote), ``bad_type`` (a field of the wrong type),
``missing_model``, ``same_model``, ``model_mismatch`` (FastChat logs: a named battle whose logged
names are not the models that answered), ``missing_winner``, ``unknown_winner``, ``bad_conversation``,
``empty_prompt``, ``duplicate_id`` (the source id was seen earlier in the same file).
"""

from __future__ import annotations

import ast
import contextlib
import csv
import dataclasses
import io
import json
import re
from collections.abc import Callable

import duckdb
import pyarrow as pa

from arenavotes.config import IngestSettings
from arenavotes.ingest.containers import Staged, encodable
from arenavotes.ingest.formats import Format, Label, Path
from arenavotes.ingest.style import markdown_counts, token_counts
from arenavotes.privacy import pseudonym
from arenavotes.schema import WINNER_ALIASES

#: What each checked field must be, for the quarantine detail.
_EXPECTED = {
    "av_id": "a string or an integer", "av_str": "a string", "av_ts": "epoch seconds or an ISO-8601 time",
    "av_bool": "true/false", "av_int": "a whole number",
}
#: Fields whose JSON type is checked (field -> macro that must accept a present value).
_TYPED = {
    "id": "av_id", "model_a": "av_str", "model_b": "av_str", "voter": "av_id", "tstamp": "av_ts",
    "anony": "av_bool", "language": "av_str", "turn": "av_int",
}
_CONV_FIELDS = ("conversation_a", "conversation_b", "prompt", "response_a", "response_b")
#: Canonical fields that hold voter ids (their values never appear in a quarantine detail).
_PRIVATE_FIELDS = frozenset({"voter"})
#: Key names that hold voter ids, IPs or e-mail addresses in any format, at any depth of a record
#: (besides each format's own ``private_keys``); matched case-insensitively.
PRIVATE_KEYS = ("ip", "client_ip", "ip_address", "remote_addr", "judge", "judge_id", "user", "user_id",
                "username", "worker", "worker_id", "voter", "voter_id", "annotator", "annotator_id",
                "session_id", "email")


@dataclasses.dataclass(frozen=True)
class Normalized:
    rows_in: int
    kept: int
    quarantined: dict[str, int]
    labels: int
    messages: int


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(name: str) -> str:
    """A column name as a quoted SQL identifier (any character allowed, ``"`` doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _json_path(path: Path) -> str:
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else '."' + str(p).replace('\\', '\\\\').replace('"', '\\"') + '"'
    return _sql_str(out)


def field_accessor(staged: Staged) -> Callable[..., str]:
    """``f('a', 0, 'b')`` -> SQL yielding that field of a staged record as JSON (NULL when absent)."""
    columns = set(staged.columns)

    def f(*path: str | int) -> str:
        if staged.is_json:
            return f"json_extract(_rec, {_json_path(path)})"
        head, rest = str(path[0]), path[1:]
        if head not in columns:
            return "NULL::JSON"
        base = f"to_json({_ident(head)})"
        return base if not rest else f"json_extract({base}, {_json_path(rest)})"

    return f


def record_keys(con: duckdb.DuckDBPyConnection, staged: Staged, sample: int = 1000) -> set[str]:
    """Top-level keys of the first ``sample`` staged records (column names for tabular files)."""
    if not staged.is_json:
        return set(staged.columns)
    rows = con.sql(
        f"SELECT DISTINCT unnest(json_keys(_rec::JSON)) FROM (SELECT _rec FROM _stage ORDER BY _row LIMIT {sample})"
    ).fetchall()
    return {r[0] for r in rows}


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
) -> Normalized:
    """Build the ``_new_*`` temp tables from ``_stage``/``_rejects`` (see the module docstring)."""
    f = field_accessor(staged)
    _extract_fields(con, fmt, f)
    _repair_python_repr(con)
    _pseudonymise_voters(con, key, fmt.voter_prefix_strip)
    _typed(con, fmt)
    _messages(con, fmt)
    _reasons(con, fmt, settings, staged.unit)
    _battle_ids(con, staged, fmt, source)
    _write_battles(con, source)
    _write_conversations(con)
    labels = _write_labels(con, staged, fmt, source, f)
    _write_quarantine(con, staged, fmt, source, file_label, run_id, settings.max_raw_chars)

    by_reason = dict(con.sql("SELECT reason, count(*) FROM _new_quarantine GROUP BY 1 ORDER BY 1").fetchall())
    kept = int(con.sql("SELECT count(*) FROM _new_battles").fetchall()[0][0])
    messages = int(con.sql("SELECT count(*) FROM _new_conversations").fetchall()[0][0])
    return Normalized(staged.staged + staged.rejected, kept, by_reason, labels, messages)


def _field_sql(fmt: Format, f: Callable[..., str], name: str) -> str:
    path = fmt.path(name)
    if fmt.conversation == "fastchat_states" and name in ("model_a", "model_b", "anony"):
        return _fastchat_models(f, name)
    if path is None:
        return "NULL::JSON"
    expr = f(*path)
    return f"av_embedded({expr})" if name in _CONV_FIELDS else expr


def _public_name(f: Callable[..., str], i: int) -> str:
    """The model name the UI logged for side ``i`` ('' when anonymous; '<h3>Model A: x</h3>' in old UIs)."""
    return f"regexp_replace(coalesce({f('models', i)} ->> '$', ''), '^<h3>.*?: (.*)</h3>\\s*$', '\\1')"


def _fastchat_models(f: Callable[..., str], name: str) -> str:
    """FastChat's rule: anonymous if the logged selector is '' or 'Model A'; names then come from states."""
    anony = f"({_public_name(f, 0)} IN ('', 'Model A'))"
    if name == "anony":
        return f"to_json({anony})"
    i = 0 if name == "model_a" else 1
    hidden = f"{f('states', i, 'model_name')}"
    return f"CASE WHEN {anony} THEN {hidden} ELSE coalesce({hidden}, to_json(nullif({_public_name(f, i)}, ''))) END"


def _extract_fields(con: duckdb.DuckDBPyConnection, fmt: Format, f: Callable[..., str]) -> None:
    cols = [f"{_field_sql(fmt, f, n)} AS j_{n}" for n in (*_TYPED, "winner", *_CONV_FIELDS)]
    extra = []
    if fmt.conversation == "fastchat_states":
        extra = [f"{f('states', 0, 'messages')} AS j_states_a", f"{f('states', 1, 'messages')} AS j_states_b",
                 f"{f('states', 0, 'offset')} AS j_offset_a", f"{f('states', 1, 'offset')} AS j_offset_b",
                 f"{_public_name(f, 0)} AS public_a", f"{_public_name(f, 1)} AS public_b"]
    if fmt.name == "arena-55k":
        extra = [f"{f('winner_model_a')} AS j_wa", f"{f('winner_model_b')} AS j_wb", f"{f('winner_tie')} AS j_wt"]
    con.execute(f"CREATE OR REPLACE TEMP TABLE _f AS SELECT _row, {', '.join(cols + extra)} FROM _stage")


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
            con.register("_fix", pa.table({"_row": pa.array(fixed_rows, pa.int64()), "v": fixed_vals}))
            con.execute(f"UPDATE _f SET j_{name} = _fix.v::JSON FROM _fix WHERE _f._row = _fix._row")
            con.unregister("_fix")


def _pseudonymise_voters(con: duckdb.DuckDBPyConnection, key: bytes, strip_prefix: str) -> None:
    raw = [r[0] for r in con.sql("SELECT DISTINCT av_id(j_voter) FROM _f WHERE av_id(j_voter) IS NOT NULL").fetchall()]
    ids = [pseudonym(r.removeprefix(strip_prefix) if strip_prefix else r, key) for r in raw]
    con.register("_voter_map", pa.table({"raw": pa.array(raw, pa.string()), "voter_id": pa.array(ids, pa.string())}))
    con.execute("CREATE OR REPLACE TEMP TABLE _voters AS SELECT * FROM _voter_map")
    con.unregister("_voter_map")


def _winner_case(fmt: Format) -> str:
    mapping = {**WINNER_ALIASES, **fmt.winner_map}
    whens = " ".join(f"WHEN {_sql_str(k)} THEN {_sql_str(v)}" for k, v in mapping.items())
    return f"CASE winner_raw {whens} END"


def _winner_raw(fmt: Format) -> str:
    if fmt.name == "arena-55k":
        # exactly one of the three one-hot columns must be 1
        return ("CASE WHEN (av_int(j_wa), av_int(j_wb), av_int(j_wt)) = (1, 0, 0) THEN 'model_a' "
                "WHEN (av_int(j_wa), av_int(j_wb), av_int(j_wt)) = (0, 1, 0) THEN 'model_b' "
                "WHEN (av_int(j_wa), av_int(j_wb), av_int(j_wt)) = (0, 0, 1) THEN 'tie' "
                "ELSE 'one-hot ' || coalesce(j_wa ->> '$', 'missing') || '/' || coalesce(j_wb ->> '$', 'missing')"
                " || '/' || coalesce(j_wt ->> '$', 'missing') END")
    return "coalesce(av_id(j_winner), CASE WHEN json_type(j_winner) IN ('DOUBLE', 'BOOLEAN') THEN j_winner::VARCHAR END)"


def _typed(con: duckdb.DuckDBPyConnection, fmt: Format) -> None:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _t AS
        SELECT _f._row,
               {"av_id(j_id) || '/' || j.voter_id" if fmt.id_per_voter else "av_id(j_id)"} AS source_id,
               av_str(j_model_a) AS model_a, av_str(j_model_b) AS model_b,
               winner_raw, {_winner_case(fmt)} AS winner,
               j.voter_id, av_ts(j_tstamp) AS tstamp, av_bool(j_anony) AS anony,
               av_str(j_language) AS language, av_int(j_turn) AS turn,
               {", ".join(f"av_type(j_{n}) AS t_{n}, j_{n}::VARCHAR AS v_{n}" for n in _TYPED)},
               {", ".join(f"({m}(j_{n}) IS NULL AND av_present(j_{n}) AND NOT av_blank(j_{n})) AS bad_{n}"
                          for n, m in _TYPED.items())}
        FROM (SELECT *, {_winner_raw(fmt)} AS winner_raw FROM _f) _f
        LEFT JOIN _voters j ON j.raw = av_id(_f.j_voter)
    """)


def _messages(con: duckdb.DuckDBPyConnection, fmt: Format) -> None:
    """All messages of all staged records: ``_msgs(_row, side, idx, turn, role, content, problem)``."""
    kind = fmt.conversation
    parts: list[str] = []
    if kind == "messages":
        for side in ("a", "b"):
            parts.append(f"""
                SELECT _row, '{side}' AS side, i::INTEGER AS idx, m,
                       av_role(m ->> '$.role') AS role, av_content(json_extract(m, '$.content')) AS content,
                       CASE WHEN json_type(m) <> 'OBJECT' THEN 'message is a ' || lower(json_type(m))
                            WHEN av_role(m ->> '$.role') IS NULL THEN 'unknown role ' || coalesce(m ->> '$.role', 'missing')
                            WHEN NOT av_content_ok(json_extract(m, '$.content')) THEN 'content is a ' || lower(json_type(json_extract(m, '$.content')))
                       END AS problem
                FROM (SELECT _row, unnest(from_json(j_conversation_{side}, '["JSON"]')) AS m,
                             unnest(range(json_array_length(j_conversation_{side})::BIGINT)) AS i
                      FROM _f WHERE json_type(j_conversation_{side}) = 'ARRAY')""")
    elif kind == "fastchat_states":
        for side in ("a", "b"):
            parts.append(f"""
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
                WHERE i >= off""")
    elif kind in ("turn_lists", "prompt_only"):
        sides = [("prompt", "j_prompt", "user", 0)] if kind == "prompt_only" else [
            ("a", "j_prompt", "user", 0), ("a", "j_response_a", "assistant", 1),
            ("b", "j_prompt", "user", 0), ("b", "j_response_b", "assistant", 1)]
        for side, col, role, offset in sides:
            parts.append(f"""
                SELECT _row, '{side}' AS side, (2 * i + {offset})::INTEGER AS idx, m,
                       '{role}' AS role, av_content(m) AS content,
                       CASE WHEN json_type(m) NOT IN ('VARCHAR', 'NULL') THEN 'turn is a ' || lower(json_type(m)) END
                           AS problem
                FROM (SELECT _row, unnest(from_json({col}, '["JSON"]')) AS m, unnest(range(json_array_length({col})::BIGINT)) AS i
                      FROM _f WHERE json_type({col}) = 'ARRAY')""")
    if not parts:
        con.execute("CREATE OR REPLACE TEMP TABLE _msgs (_row BIGINT, side VARCHAR, idx INTEGER, turn INTEGER, "
                    "role VARCHAR, content VARCHAR, problem VARCHAR)")
        return
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _msgs AS
        SELECT _row, side, idx,
               sum(CASE WHEN role = 'user' THEN 1 ELSE 0 END) OVER (PARTITION BY _row, side ORDER BY idx)::INTEGER
                   AS turn,
               role, content, problem
        FROM ({" UNION ALL ".join(parts)})
    """)


def _conversation_shape_problem(fmt: Format) -> str:
    """SQL for a record whose conversation field is present but not a list."""
    fields = {"messages": ("conversation_a", "conversation_b"), "turn_lists": ("prompt", "response_a", "response_b"),
              "prompt_only": ("prompt",), "fastchat_states": ()}.get(fmt.conversation or "", ())
    checks = [f"WHEN av_present(j_{n}) AND json_type(j_{n}) <> 'ARRAY' THEN '{n} is not a list'" for n in fields]
    if fmt.conversation == "fastchat_states":
        checks += [f"WHEN json_type(j_states_{s}) IS DISTINCT FROM 'ARRAY' THEN 'states[{i}].messages is not a list'"
                   for i, s in enumerate("ab")]
    return f"CASE {' '.join(checks)} END" if checks else "NULL"


def _conversation_present(fmt: Format) -> str:
    """SQL: does the record carry a conversation at all (metadata-only records are fine)?"""
    fields = {"messages": ("conversation_a", "conversation_b"), "turn_lists": ("prompt",),
              "prompt_only": ("prompt",)}.get(fmt.conversation or "", ())
    if fmt.conversation == "fastchat_states":
        return "true"
    return " OR ".join(f"av_present(j_{n})" for n in fields) if fields else "false"


def _file_field(fmt: Format, field: str) -> str:
    """The name the file gives a canonical field (``judge`` for FastChat's voter), as a quarantine detail says it."""
    path = fmt.path(field)
    return ".".join(map(str, path)) if path else field


def _reasons(con: duckdb.DuckDBPyConnection, fmt: Format, settings: IngestSettings, unit: str) -> None:
    non_votes = ", ".join(_sql_str(v) for v in sorted(fmt.non_votes)) or "NULL"
    # a private field's value is never echoed: its type says enough
    bad_type = " ".join(
        f"WHEN bad_{n} THEN ['bad_type', {_sql_str(_file_field(fmt, n) + ': ')} || t_{n} || "
        + ("' value'" if n in _PRIVATE_FIELDS else f"' ' || left(v_{n}, 40)")
        + f" || ' is not {_EXPECTED[m]}']"
        for n, m in _TYPED.items()
    )
    min_chars = settings.min_prompt_chars
    mismatch, public_cols = "", ""
    if fmt.conversation == "fastchat_states":
        # FastChat: in a named battle the logged names must contain the names of the models that answered
        mismatch = ("WHEN anony = false AND (strpos(public_a, model_a) = 0 OR strpos(public_b, model_b) = 0) "
                    "THEN ['model_mismatch', 'logged names ' || public_a || ' / ' || public_b "
                    "|| ' do not match the answering models ' || model_a || ' / ' || model_b]")
        public_cols = ", public_a, public_b"
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
                 {bad_type}
                 WHEN model_a IS NULL THEN ['missing_model', 'model_a is missing or empty']
                 WHEN model_b IS NULL THEN ['missing_model', 'model_b is missing or empty']
                 WHEN model_a = model_b THEN ['same_model', 'model_a and model_b are both ' || model_a]
                 {mismatch}
                 WHEN winner_raw IS NULL THEN ['missing_winner', 'winner is missing']
                 WHEN winner IS NULL THEN ['unknown_winner', 'winner ''' || winner_raw || ''' is not a known outcome']
                 WHEN shape_problem IS NOT NULL THEN ['bad_conversation', shape_problem]
                 WHEN c.problem IS NOT NULL THEN ['bad_conversation', c.problem]
                 WHEN has_conv AND coalesce(c.user_msgs, 0) = 0 THEN ['empty_prompt', 'the conversation has no user turn']
                 WHEN c.first_prompt_chars < {min_chars} THEN ['empty_prompt', 'the first user turn is blank']
               END AS why
        FROM _t t
        JOIN (SELECT _row, {_conversation_shape_problem(fmt)} AS shape_problem, {_conversation_present(fmt)} AS has_conv
                     {public_cols} FROM _f) s USING (_row)
        LEFT JOIN _conv_stats c USING (_row)
    """)
    # duplicate source ids: the first occurrence (by position in the file) is kept
    con.execute(f"""
        UPDATE _r SET why = ['duplicate_id', 'id ' || _r.source_id || ' already seen at {unit} ' || d.first_row]
        FROM (SELECT _row, first_value(_row) OVER (PARTITION BY source_id ORDER BY _row) AS first_row,
                     row_number() OVER (PARTITION BY source_id ORDER BY _row) AS k
              FROM _r WHERE why IS NULL AND source_id IS NOT NULL) d
        WHERE d._row = _r._row AND d.k > 1
    """)


def _private_keys(fmt: Format) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*PRIVATE_KEYS, *fmt.private_keys]))


def _key_alternation(keys: tuple[str, ...]) -> str:
    return "|".join(re.escape(k) for k in keys)


def _scalar_re(keys: tuple[str, ...]) -> str:
    """RE2: a private key (any depth) and its scalar value in JSON text."""
    return rf'"((?i:{_key_alternation(keys)}))"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9][-+.eE0-9]*|true|false)'


def _container_re(keys: tuple[str, ...]) -> str:
    """RE2: a private key whose value is an object or a list (redacted in Python, see _redact_nested)."""
    return rf'"(?i:{_key_alternation(keys)})"\s*:\s*[\[{{]'


def _redacted_record_sql(staged: Staged, fmt: Format) -> str:
    """SQL for each staged record as JSON text with voter ids / IPs redacted.

    Scalar values of private keys are replaced at any depth (a regular expression over the JSON
    text: a key is always a whole JSON string token, so text inside strings cannot match); the
    judge field keeps its pseudonym. Private keys holding an object or a list are redacted
    afterwards by :func:`_redact_nested`.
    """
    voter_path = fmt.path("voter")
    voter_head = str(voter_path[0]) if voter_path else None
    keys = _private_keys(fmt)
    lowered = {k.lower() for k in keys}
    pseudo = "'pseudonym:' || coalesce(r.voter_id, '')"
    if staged.is_json:
        base = "_rec"
    else:
        items = []
        for c in staged.columns:
            value = "'<redacted>'" if c.lower() in lowered or c in fmt.private_keys else f"s.{_ident(c)}"
            items.append(f"{_ident(c)} := {value}")
        if not items:
            return "'{}'"
        base = f"to_json(struct_pack({', '.join(items)}))::VARCHAR"
    rec = f"regexp_replace({base}, {_sql_str(_scalar_re(keys))}, '\"\\1\":\"<redacted>\"', 'g')::JSON"
    top = [k for k in fmt.private_keys if staged.is_json] + ([voter_head] if voter_head else [])
    for k in dict.fromkeys(top):
        if not staged.is_json and k not in staged.columns:
            continue
        value = pseudo if k == voter_head else "'<redacted>'"
        rec = (f"CASE WHEN json_exists({rec}, {_json_path((k,))}) "
               f"THEN json_merge_patch({rec}, json_object({_sql_str(k)}, {value})) ELSE {rec} END")
    return f"({rec})::VARCHAR"


def _walk_redact(value: object, keys: frozenset[str], replace_all: bool) -> object:
    """``value`` with the values of private keys (at any depth) replaced by '<redacted>'.

    ``replace_all=False`` replaces only object/list values (scalars were redacted in SQL, and the
    judge field's pseudonym must stay).
    """
    if isinstance(value, dict):
        out: dict[object, object] = {}
        for k, v in value.items():
            if str(k).lower() in keys and (replace_all or isinstance(v, dict | list)):
                out[k] = "<redacted>"
            else:
                out[k] = _walk_redact(v, keys, replace_all)
        return out
    if isinstance(value, list):
        return [_walk_redact(v, keys, replace_all) for v in value]
    return value


_WITHHELD = '{"<redacted>": "record withheld: private fields could not be redacted"}'


def _redact_nested(con: duckdb.DuckDBPyConnection, fmt: Format) -> None:
    """Redact private keys whose value is an object or a list (rare: done in Python, row by row)."""
    keys = _private_keys(fmt)
    rows = con.sql(f"SELECT _row, rec FROM _ids WHERE rec IS NOT NULL "
                   f"AND regexp_matches(rec, {_sql_str(_container_re(keys))})").fetchall()
    if not rows:
        return
    lowered = frozenset(k.lower() for k in keys)
    fixed = []
    for _, rec in rows:
        try:
            fixed.append(json.dumps(_walk_redact(json.loads(rec), lowered, False), ensure_ascii=False))
        except (ValueError, RecursionError):
            fixed.append(_WITHHELD)
    con.register("_fix_ids", pa.table({"_row": pa.array([r[0] for r in rows], pa.int64()),
                                       "rec": _safe_strings(fixed)}))
    con.execute("UPDATE _ids SET rec = _fix_ids.rec FROM _fix_ids WHERE _ids._row = _fix_ids._row")
    con.unregister("_fix_ids")


def _safe_strings(texts: list[str]) -> pa.Array:
    """Texts as an Arrow string array (lone surrogates escaped as backslash sequences)."""
    return pa.array([t.encode("utf-8", "backslashreplace").decode("utf-8") for t in texts], pa.string())


def _battle_ids(con: duckdb.DuckDBPyConnection, staged: Staged, fmt: Format, source: str) -> None:
    """``<source>:<source id>``, else ``<source>:h<md5 of the redacted record>[.k]`` for the k-th copy.

    The redacted record (voter ids replaced by pseudonyms) is built only where it is needed: for
    records without a source id and for quarantined records.
    """
    src = _sql_str(source)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _ids AS
        SELECT _row, rec,
               CASE WHEN source_id IS NOT NULL THEN {src} || ':' || source_id
                    ELSE {src} || ':h' || substr(md5(rec), 1, 20)
                         || CASE WHEN k > 1 THEN '.' || k ELSE '' END END AS battle_id
        FROM (SELECT _row, source_id, rec,
                     row_number() OVER (PARTITION BY source_id IS NULL,
                                        CASE WHEN source_id IS NULL THEN md5(rec) END ORDER BY _row) AS k
              FROM (SELECT s._row, r.source_id,
                           CASE WHEN r.source_id IS NULL OR r.why IS NOT NULL
                                THEN {_redacted_record_sql(staged, fmt)} END AS rec
                    FROM _stage s JOIN _r r USING (_row)))
    """)
    _redact_nested(con, fmt)


def _write_battles(con: duckdb.DuckDBPyConnection, source: str) -> None:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _new_battles AS
        SELECT i.battle_id, {_sql_str(source)} AS source, r.source_id, r.tstamp, r.model_a, r.model_b, r.winner,
               r.voter_id, r.anony, r.language, coalesce(r.msg_turns, r.turn) AS turns,
               NULL::INTEGER AS tokens_a, NULL::INTEGER AS tokens_b, NULL::INTEGER AS headers_a,
               NULL::INTEGER AS headers_b, NULL::INTEGER AS lists_a, NULL::INTEGER AS lists_b,
               NULL::INTEGER AS bold_a, NULL::INTEGER AS bold_b, r._row
        FROM _r r JOIN _ids i USING (_row)
        WHERE r.why IS NULL
    """)
    _add_style(con)


def _add_style(con: duckdb.DuckDBPyConnection) -> None:
    """Fill the per-side style columns from the assistant messages of kept battles."""
    answers = con.sql("""
        SELECT m._row, m.side, string_agg(m.content, chr(10) ORDER BY m.idx) AS text,
               list(m.content ORDER BY m.idx) AS parts
        FROM _msgs m JOIN _new_battles b USING (_row)
        WHERE m.role = 'assistant' AND m.side IN ('a', 'b') AND m.content IS NOT NULL
        GROUP BY 1, 2
    """).arrow().read_all()
    if answers.num_rows == 0:
        return
    texts = answers.column("text").to_pylist()
    parts = answers.column("parts").to_pylist()
    flat = [p for ps in parts for p in ps]
    flat_tokens = token_counts(flat)
    tokens, pos = [], 0
    for ps in parts:
        tokens.append(sum(t or 0 for t in flat_tokens[pos:pos + len(ps)]))
        pos += len(ps)
    md = markdown_counts(texts)
    style = pa.table({
        "_row": answers.column("_row"), "side": answers.column("side"),
        "tokens": pa.array(tokens, pa.int32()), "headers": pa.array(md["headers"], pa.int32()),
        "lists": pa.array(md["lists"], pa.int32()), "bold": pa.array(md["bold"], pa.int32()),
    })
    con.register("_style", style)
    for side in ("a", "b"):
        con.execute(f"""
            UPDATE _new_battles SET tokens_{side} = s.tokens, headers_{side} = s.headers,
                   lists_{side} = s.lists, bold_{side} = s.bold
            FROM _style s WHERE s._row = _new_battles._row AND s.side = '{side}'
        """)
    con.unregister("_style")


def _write_conversations(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _new_conversations AS
        SELECT b.battle_id, m.side, row_number() OVER (PARTITION BY m._row, m.side ORDER BY m.idx)::INTEGER AS msg,
               m.turn, m.role, m.content
        FROM _msgs m JOIN _new_battles b USING (_row)
        ORDER BY b._row, m.side, m.idx
    """)


def _write_labels(con: duckdb.DuckDBPyConnection, staged: Staged, fmt: Format, source: str,
                  f: Callable[..., str]) -> int:
    """Category labels that came with the source, as ``prompt_labels`` rows of labeler ``source:<name>``.

    The top-level keys the labels read are extracted once into ``_lab`` so that each label's
    SQL works on a small JSON value instead of re-reading the whole record.
    """
    keys = record_keys(con, staged)
    labels = [lab for lab in fmt.labels if _label_root(lab) in keys]
    if not labels:
        con.execute("CREATE OR REPLACE TEMP TABLE _new_labels (battle_id VARCHAR, labeler VARCHAR, "
                    "category VARCHAR, value BOOLEAN, score DOUBLE)")
        return 0
    # every leaf path the labels read becomes one column of _lab, extracted once
    paths: dict[tuple[str | int, ...], str] = {}

    def g(*path: str | int) -> str:
        return paths.setdefault(tuple(path), f"p{len(paths)}")

    exprs = [(lab, lab.value(g), lab.score(g) if lab.score else "NULL::DOUBLE") for lab in labels]
    cols = ", ".join(f"{f(*p)} AS {alias}" for p, alias in paths.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE _lab AS SELECT b._row, b.battle_id, {cols} "
                "FROM _stage s JOIN _new_battles b USING (_row)")

    selects = [f"""
            SELECT battle_id, {_sql_str('source:' + source)} AS labeler, {_sql_str(label.category)} AS category,
                   ({value})::BOOLEAN AS value, ({score})::DOUBLE AS score, _row
            FROM _lab""" for label, value, score in exprs]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _new_labels AS
        SELECT battle_id, labeler, category, value, score
        FROM ({" UNION ALL ".join(selects)}) WHERE value IS NOT NULL
        ORDER BY _row, category
    """)
    con.execute("DROP TABLE _lab")
    return int(con.sql("SELECT count(*) FROM _new_labels").fetchall()[0][0])


def _label_root(label: Label) -> str:
    """The top-level key a label reads (found by running its SQL builder on a probe accessor)."""
    m = re.search(r"@@(.+?)@@", label.value(_probe))
    assert m, f"label {label.category} reads no field"
    return m.group(1)


def _probe(*path: str | int) -> str:
    return f"@@{path[0]}@@"


_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:.])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
                   r"|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?"
                   r")(?![\w:])")
# local part bounded (RFC 5321: 64): an unbounded `[...]+@` backtracks quadratically over a long run without '@'
_EMAIL = re.compile(r"[\w.+%-]{1,64}@[\w-]+(?:\.[\w-]+)+")
_TOKEN = re.compile(r"[^\s,;:\"'\[\]{}()=<>|\\/]+")


def _text_key_re(keys: tuple[str, ...]) -> re.Pattern[str]:
    """A private key and its (possibly broken) value in JSON-ish or Python-repr text."""
    alt = "|".join(re.escape(k) for k in keys)
    return re.compile(
        rf"""(["']?)({alt})\1(\s*[:=]\s*)(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[\[{{][^\]}}]*[\]}}]?|[^,}}\]\s]*)""",
        re.IGNORECASE)


def _redact_text(text: str, key_re: re.Pattern[str], known: frozenset[str]) -> str:
    """Pattern redaction for text that could not be parsed: private keys, IPs, e-mails, known voter ids."""
    text = key_re.sub(lambda m: f'{m.group(1)}{m.group(2)}{m.group(1)}{m.group(3)}"<redacted>"', text)
    if "@" in text:
        text = _EMAIL.sub("<email>", text)
    text = _IPV4.sub("<ip>", text)
    text = _IPV6.sub(lambda m: "<ip>" if m.group(0).count(":") >= 2 else m.group(0), text)
    if known:
        text = _TOKEN.sub(lambda m: "<redacted>" if m.group(0) in known else m.group(0), text)
        for raw in known:
            if len(raw) >= 6 and raw in text:
                text = text.replace(raw, "<redacted>")
    return text


def _known_private_values(con: duckdb.DuckDBPyConnection, staged: Staged, keys: tuple[str, ...]) -> frozenset[str]:
    """Raw voter ids seen in readable records of this file (to redact them in unreadable ones)."""
    values = {r[0] for r in con.sql("SELECT raw FROM _voters").fetchall() if r[0]}
    lowered = {k.lower() for k in keys}
    if staged.is_json:
        exprs = [f"json_extract_string(_rec, {_json_path((k,))})" for k in keys]
    else:
        exprs = [f"{_ident(c)}::VARCHAR" for c in staged.columns if c.lower() in lowered]
    if exprs:
        values |= {r[0] for r in con.sql(f"SELECT DISTINCT unnest([{', '.join(exprs)}]) AS v FROM _stage").fetchall()
                   if r[0]}
    out = set()
    for v in values:
        v = v.strip()
        if v:
            out.add(v)
            out.update(t for t in _TOKEN.findall(v) if len(t) >= 3)
    return frozenset(out)


def _redact_rejects(con: duckdb.DuckDBPyConnection, staged: Staged, fmt: Format) -> None:
    """Rewrite ``_rejects`` (records that could not be parsed) with private data redacted.

    A reject that is still JSON (e.g. an array instead of an object) is redacted key by key; a CSV
    line that splits into the header's field count loses its private columns; then IPv4/IPv6 and
    e-mail addresses, and any token equal to a voter id seen elsewhere in the file, are redacted.
    """
    rows = con.sql("SELECT _row, _unit, reason, detail, raw FROM _rejects").fetchall()
    if not rows:
        return
    keys = _private_keys(fmt)
    lowered = frozenset(k.lower() for k in keys)
    key_re = _text_key_re(keys)
    known = _known_private_values(con, staged, keys)
    private_cols = [i for i, c in enumerate(staged.columns) if c.lower() in lowered or c in fmt.private_keys]
    delim = "\t" if any(x.lower() == ".tsv" for x in staged.path.suffixes) else ","
    out: list[tuple[object, ...]] = []
    for row, unit, reason, detail, raw in rows:
        text = raw or ""
        if staged.is_json:
            with contextlib.suppress(ValueError, RecursionError):
                text = json.dumps(_walk_redact(json.loads(text), lowered, True), ensure_ascii=False)
        elif staged.container == "csv" and private_cols:
            text = _redact_csv_line(text, delim, len(staged.columns), private_cols)
        out.append((row, unit, reason, _redact_text(detail or "", key_re, known),
                    _redact_text(text, key_re, known) if raw is not None else None))
    con.register("_rej_fix", pa.table({
        "_row": pa.array([r[0] for r in out], pa.int64()), "_unit": pa.array([r[1] for r in out], pa.string()),
        "reason": pa.array([r[2] for r in out], pa.string()), "detail": _safe_strings([str(r[3]) for r in out]),
        "raw": pa.array([None if r[4] is None else str(r[4]).encode("utf-8", "backslashreplace").decode()
                         for r in out], pa.string()),
    }))
    con.execute("CREATE OR REPLACE TEMP TABLE _rejects AS SELECT * FROM _rej_fix")
    con.unregister("_rej_fix")


def _redact_csv_line(text: str, delim: str, ncols: int, private_cols: list[int]) -> str:
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True))
    except csv.Error:
        return text
    if len(rows) != 1 or len(rows[0]) != ncols:
        return text
    fields = rows[0]
    for i in private_cols:
        fields[i] = "<redacted>"
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="").writerow(fields)
    return buf.getvalue()


def _write_quarantine(con: duckdb.DuckDBPyConnection, staged: Staged, fmt: Format, source: str,
                      file_label: str, run_id: str, max_chars: int) -> None:
    _redact_rejects(con, staged, fmt)
    cut = f"CASE WHEN {max_chars} > 0 AND length(x) > {max_chars} THEN left(x, {max_chars}) || ' [...]' ELSE x END"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _new_quarantine AS
        SELECT {_sql_str(source)} AS source, {_sql_str(file_label)} AS file, _row AS row_number,
               _unit || ' ' || _row AS location, reason, detail,
               (SELECT {cut} FROM (SELECT raw AS x)) AS raw, {_sql_str(run_id)} AS run_id
        FROM _rejects
        UNION ALL
        SELECT {_sql_str(source)}, {_sql_str(file_label)}, r._row, '{staged.unit} ' || r._row,
               r.why[1], r.why[2], (SELECT {cut} FROM (SELECT i.rec AS x)), {_sql_str(run_id)}
        FROM _r r JOIN _ids i USING (_row)
        WHERE r.why IS NOT NULL
        ORDER BY 3
    """)
