"""SQL for reading the fields of staged records, whatever their container.

Every later step sees a record's fields as JSON values: :func:`field_accessor` gives SQL that
extracts one (nested) field from ``_stage``, from the ``_rec`` JSON text of a JSON container or
from a column of a tabular file, and NULL when the field is absent. The quoting helpers here
are the only place that turns names and values into SQL text.

>>> sql_str("it's")
"'it''s'"
>>> json_path(("states", 0, "model_name"))
'\\'$."states"[0]."model_name"\\''
>>> from pathlib import Path
>>> staged = Staged(Path("v.csv"), "csv", "row", ("left", "winner"), 0, 0)
>>> f = field_accessor(staged)
>>> f("left"), f("right"), f("left", "x")
('to_json("left")', 'NULL::JSON', 'json_extract(to_json("left"), \\'$."x"\\')')
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from arenavotes.ingest.containers import Staged
from arenavotes.ingest.formats import Path

#: ``f('a', 0, 'b')`` -> SQL yielding that field of a staged record as JSON (NULL when absent)
Accessor = Callable[..., str]


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A column name as a quoted SQL identifier (any character allowed, ``"`` doubled)."""
    return '"' + name.replace('"', '""') + '"'


def json_path(path: Path) -> str:
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else '."' + str(p).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return sql_str(out)


def field_accessor(staged: Staged) -> Accessor:
    """``f('a', 0, 'b')`` -> SQL yielding that field of a staged record as JSON (NULL when absent)."""
    columns = set(staged.columns)

    def f(*path: str | int) -> str:
        if staged.is_json:
            return f"json_extract(_rec, {json_path(path)})"
        head, rest = str(path[0]), path[1:]
        if head not in columns:
            return "NULL::JSON"
        base = f"to_json({ident(head)})"
        return base if not rest else f"json_extract({base}, {json_path(rest)})"

    return f


def record_keys(con: duckdb.DuckDBPyConnection, staged: Staged, sample: int = 1000) -> set[str]:
    """Top-level keys of the first ``sample`` staged records (column names for tabular files)."""
    if not staged.is_json:
        return set(staged.columns)
    rows = con.sql(
        f"SELECT DISTINCT unnest(json_keys(_rec::JSON)) FROM (SELECT _rec FROM _stage ORDER BY _row LIMIT {sample})"
    ).fetchall()
    return {r[0] for r in rows}
