"""Keep voter ids, IPs and e-mail addresses out of everything ingest writes besides the pseudonym.

Two kinds of text need redaction before they are stored: the raw record of a quarantined (or
id-less) battle, and the raw text of records that could not even be parsed. Readable records
are redacted as JSON: the values of private keys (:data:`PRIVATE_KEYS` plus the format's own,
matched case-insensitively at any depth) become ``"<redacted>"``, and the voter field keeps only
its pseudonym. Unreadable text is redacted by pattern: private keys with their values, IPv4/IPv6
and e-mail addresses, and any token equal to a voter id seen elsewhere in the same file.

>>> _redact_text('judge: "u7", from 10.0.0.1', _text_key_re(("judge",)), frozenset())
'judge: "<redacted>", from <ip>'
>>> _walk_redact({"a": {"IP": "1.2.3.4"}, "b": [{"user": {"x": 1}}]}, frozenset({"ip", "user"}), True)
{'a': {'IP': '<redacted>'}, 'b': [{'user': '<redacted>'}]}
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re

import duckdb
import pyarrow as pa

from arenavotes.db import has_temp_table, register_arrow, unregister_arrow
from arenavotes.ingest.containers import Staged
from arenavotes.ingest.formats import Format
from arenavotes.ingest.sqlfields import ident, json_path, sql_str

#: Key names that hold voter ids, IPs or e-mail addresses in any format, at any depth of a record
#: (besides each format's own ``private_keys``); matched case-insensitively.
PRIVATE_KEYS = (
    "ip",
    "client_ip",
    "ip_address",
    "remote_addr",
    "judge",
    "judge_id",
    "user",
    "user_id",
    "username",
    "worker",
    "worker_id",
    "voter",
    "voter_id",
    "annotator",
    "annotator_id",
    "session_id",
    "email",
)


def private_keys(fmt: Format) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*PRIVATE_KEYS, *fmt.private_keys]))


def _key_alternation(keys: tuple[str, ...]) -> str:
    return "|".join(re.escape(k) for k in keys)


def _scalar_re(keys: tuple[str, ...]) -> str:
    """RE2: a private key (any depth) and its scalar value in JSON text."""
    return rf'"((?i:{_key_alternation(keys)}))"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9][-+.eE0-9]*|true|false)'


def _container_re(keys: tuple[str, ...]) -> str:
    """RE2: a private key whose value is an object or a list (redacted in Python, see redact_nested)."""
    return rf'"(?i:{_key_alternation(keys)})"\s*:\s*[\[{{]'


def redacted_record_sql(staged: Staged, fmt: Format) -> str:
    """SQL for each staged record as JSON text with voter ids / IPs redacted.

    Scalar values of private keys are replaced at any depth (a regular expression over the JSON
    text: a key is always a whole JSON string token, so text inside strings cannot match); the
    judge field keeps its pseudonym. Private keys holding an object or a list are redacted
    afterwards by :func:`redact_nested`.
    """
    voter_path = fmt.path("voter")
    voter_head = str(voter_path[0]) if voter_path else None
    keys = private_keys(fmt)
    lowered = {k.lower() for k in keys}
    pseudo = "'pseudonym:' || coalesce(r.voter_id, '')"
    if staged.is_json:
        base = "_rec"
    else:
        items = []
        for c in staged.columns:
            value = "'<redacted>'" if c.lower() in lowered or c in fmt.private_keys else f"s.{ident(c)}"
            items.append(f"{ident(c)} := {value}")
        if not items:
            return "'{}'"
        base = f"to_json(struct_pack({', '.join(items)}))::VARCHAR"
    rec = f"regexp_replace({base}, {sql_str(_scalar_re(keys))}, '\"\\1\":\"<redacted>\"', 'g')::JSON"
    top = [k for k in fmt.private_keys if staged.is_json] + ([voter_head] if voter_head else [])
    for k in dict.fromkeys(top):
        if not staged.is_json and k not in staged.columns:
            continue
        value = pseudo if k == voter_head else "'<redacted>'"
        rec = (
            f"CASE WHEN json_exists({rec}, {json_path((k,))}) "
            f"THEN json_merge_patch({rec}, json_object({sql_str(k)}, {value})) ELSE {rec} END"
        )
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


def redact_nested(con: duckdb.DuckDBPyConnection, fmt: Format) -> None:
    """Redact private keys whose value is an object or a list (rare: done in Python, row by row)."""
    keys = private_keys(fmt)
    rows = con.sql(
        f"SELECT _row, rec FROM _ids WHERE rec IS NOT NULL AND regexp_matches(rec, {sql_str(_container_re(keys))})"
    ).fetchall()
    if not rows:
        return
    lowered = frozenset(k.lower() for k in keys)
    fixed = []
    for _, rec in rows:
        try:
            fixed.append(json.dumps(_walk_redact(json.loads(rec), lowered, False), ensure_ascii=False))
        except (ValueError, RecursionError):
            fixed.append(_WITHHELD)
    register_arrow(
        con, "_fix_ids", pa.table({"_row": pa.array([r[0] for r in rows], pa.int64()), "rec": _safe_strings(fixed)})
    )
    con.execute("UPDATE _ids SET rec = _fix_ids.rec FROM _fix_ids WHERE _ids._row = _fix_ids._row")
    unregister_arrow(con, "_fix_ids")


def _safe_strings(texts: list[str]) -> pa.Array:
    """Texts as an Arrow string array (lone surrogates escaped as backslash sequences)."""
    return pa.array([t.encode("utf-8", "backslashreplace").decode("utf-8") for t in texts], pa.string())


_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?"
    r")(?![\w:])"
)
# local part bounded (RFC 5321: 64): an unbounded `[...]+@` backtracks quadratically over a long run without '@'
_EMAIL = re.compile(r"[\w.+%-]{1,64}@[\w-]+(?:\.[\w-]+)+")
_TOKEN = re.compile(r"[^\s,;:\"'\[\]{}()=<>|\\/]+")


def _text_key_re(keys: tuple[str, ...]) -> re.Pattern[str]:
    """A private key and its (possibly broken) value in JSON-ish or Python-repr text."""
    alt = "|".join(re.escape(k) for k in keys)
    return re.compile(
        rf"""(["']?)({alt})\1(\s*[:=]\s*)(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[\[{{][^\]}}]*[\]}}]?|[^,}}\]\s]*)""",
        re.IGNORECASE,
    )


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


def staged_private_values(con: duckdb.DuckDBPyConnection, staged: Staged, keys: tuple[str, ...]) -> set[str]:
    """The values of the private keys ``keys`` in the staged records (raw, distinct, not empty)."""
    lowered = {k.lower() for k in keys}
    if staged.is_json:
        exprs = [f"json_extract_string(_rec, {json_path((k,))})" for k in keys]
    else:
        exprs = [f"{ident(c)}::VARCHAR" for c in staged.columns if c.lower() in lowered]
    if not exprs:
        return set()
    return {r[0] for r in con.sql(f"SELECT DISTINCT unnest([{', '.join(exprs)}]) AS v FROM _stage").fetchall() if r[0]}


#: private values of every batch of the file, when it is read in several (see ``ingest._read_into``)
FILE_PRIVATE = "_file_private"


def _known_private_values(con: duckdb.DuckDBPyConnection, staged: Staged, keys: tuple[str, ...]) -> frozenset[str]:
    """Raw voter ids seen in readable records of this file (to redact them in unreadable ones): this batch's,
    and those of the file's other batches when it is read in several (``_file_private``)."""
    values = {r[0] for r in con.sql("SELECT raw FROM _voters").fetchall() if r[0]}
    values |= staged_private_values(con, staged, keys)
    return _with_tokens(values | _file_private_values(con))


def _file_private_values(con: duckdb.DuckDBPyConnection) -> set[str]:
    if not has_temp_table(con, FILE_PRIVATE):
        return set()
    return {r[0] for r in con.sql(f"SELECT DISTINCT v FROM {FILE_PRIVATE}").fetchall()}


def _with_tokens(values: set[str]) -> frozenset[str]:
    """The values and their word-like parts of 3+ characters (a voter id inside a longer token)."""
    out = set()
    for v in values:
        v = v.strip()
        if v:
            out.add(v)
            out.update(t for t in _TOKEN.findall(v) if len(t) >= 3)
    return frozenset(out)


def redact_rejects(con: duckdb.DuckDBPyConnection, staged: Staged, fmt: Format, *, whole_file: bool = False) -> None:
    """Rewrite ``_rejects`` (records that could not be parsed) with private data redacted.

    A reject that is still JSON (e.g. an array instead of an object) is redacted key by key; a CSV
    line that splits into the header's field count loses its private columns; then IPv4/IPv6 and
    e-mail addresses, and any token equal to a voter id seen elsewhere in the file, are redacted.
    ``whole_file``: ``_rejects`` holds the unreadable records of every batch of a file read in several, and the
    private values of all its batches are in ``_file_private`` (the batch tables are gone).
    """
    rows = con.sql("SELECT _row, _unit, reason, detail, raw FROM _rejects").fetchall()
    if not rows:
        return
    keys = private_keys(fmt)
    lowered = frozenset(k.lower() for k in keys)
    key_re = _text_key_re(keys)
    known = _with_tokens(_file_private_values(con)) if whole_file else _known_private_values(con, staged, keys)
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
        out.append(
            (
                row,
                unit,
                reason,
                _redact_text(detail or "", key_re, known),
                _redact_text(text, key_re, known) if raw is not None else None,
            )
        )
    register_arrow(
        con,
        "_rej_fix",
        pa.table(
            {
                "_row": pa.array([r[0] for r in out], pa.int64()),
                "_unit": pa.array([r[1] for r in out], pa.string()),
                "reason": pa.array([r[2] for r in out], pa.string()),
                "detail": _safe_strings([str(r[3]) for r in out]),
                "raw": pa.array(
                    [None if r[4] is None else str(r[4]).encode("utf-8", "backslashreplace").decode() for r in out],
                    pa.string(),
                ),
            }
        ),
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _rejects AS SELECT * FROM _rej_fix")
    unregister_arrow(con, "_rej_fix")


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
