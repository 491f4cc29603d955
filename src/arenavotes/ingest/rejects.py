"""Records a reader could not read, collected per file before they reach the ``_rejects`` table.

Each container reader gathers its unreadable records (invalid UTF-8, malformed JSON, a bad CSV
line, ...) in a :data:`Rejects` column dict with a reason code, and then loads it as one Arrow
table. The raw text is kept, but first made storable: Arrow holds only valid UTF-8, so
undecodable bytes and lone surrogates are shown as backslash escapes.

>>> rejects = empty_rejects()
>>> reject(rejects, 3, "invalid_json", "not valid JSON", '{"a": ')
>>> rejects_table(rejects).to_pylist()
[{'_row': 3, 'reason': 'invalid_json', 'detail': 'not valid JSON', 'raw': '{"a": '}]
>>> printable("caf\\udce9")
'caf\\\\xe9'
"""

from __future__ import annotations

import pyarrow as pa

#: Columns of a reject dict: the record's position, reason code, human-readable detail, raw text.
Rejects = dict[str, list[object]]

#: The ``_rejects`` table's columns (``_unit`` names what ``_row`` counts: line, element or row).
REJECTS_COLUMNS = ("_row", "_unit", "reason", "detail", "raw")

#: SQL for an empty ``_rejects`` table (containers whose reader rejects nothing itself).
EMPTY_REJECTS = (
    "SELECT NULL::BIGINT AS _row, NULL::VARCHAR AS _unit, NULL::VARCHAR AS reason, "
    "NULL::VARCHAR AS detail, NULL::VARCHAR AS raw WHERE false"
)


def empty_rejects() -> Rejects:
    return {"_row": [], "reason": [], "detail": [], "raw": []}


def reject(rejects: Rejects, row: int, reason: str, detail: str, raw: str) -> None:
    rejects["_row"].append(row)
    rejects["reason"].append(reason)
    rejects["detail"].append(detail)
    rejects["raw"].append(printable(raw))


def rejects_table(rejects: Rejects) -> pa.Table:
    """The collected rejects as an Arrow table (``_row``, ``reason``, ``detail``, ``raw``)."""
    return pa.table(
        {
            "_row": pa.array(rejects["_row"], pa.int64()),
            "reason": pa.array(rejects["reason"], pa.string()),
            "detail": pa.array(rejects["detail"], pa.string()),
            "raw": pa.array(rejects["raw"], pa.string()),
        }
    )


def printable(text: str) -> str:
    """Text that Arrow can store: undecodable bytes and lone surrogates shown as backslash escapes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape" if _only_escaped_bytes(text) else "backslashreplace").decode(
            "utf-8", "backslashreplace"
        )


def _only_escaped_bytes(text: str) -> bool:
    return all(not ("\ud800" <= ch <= "\udfff") or "\udc80" <= ch <= "\udcff" for ch in text)


def encodable(text: str) -> bool:
    """Can ``text`` be written as UTF-8 (no lone surrogates from a `\\ud800` escape)?"""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def string_array(texts: list[str]) -> pa.Array:
    """Texts as an Arrow string array; lone surrogates (a '\\ud800' escape) stay JSON escapes."""
    try:
        return pa.array(texts, pa.string())
    except UnicodeEncodeError:
        return pa.array([t if encodable(t) else _escape_surrogates(t) for t in texts], pa.string())


def _escape_surrogates(text: str) -> str:
    return "".join(f"\\u{ord(ch):04x}" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
