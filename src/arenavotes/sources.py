"""Which sources of a workspace a command works on.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> resolve_sources(con, [], all_sources=True)
Traceback (most recent call last):
...
arenavotes.errors.UserError: the workspace has no battles yet (run 'arenavotes ingest FILE...' first)
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from arenavotes.db import sql_str
from arenavotes.errors import UserError


def resolve_sources(con: duckdb.DuckDBPyConnection, sources: Sequence[str], all_sources: bool) -> list[str]:
    known = [r[0] for r in con.sql("SELECT source FROM sources ORDER BY 1").fetchall()]
    if not known:
        raise UserError("the workspace has no battles yet", hint="run 'arenavotes ingest FILE...' first")
    if all_sources:
        return known
    if not sources:
        if len(known) == 1:
            return known
        raise UserError(
            f"the workspace holds {len(known)} sources ({', '.join(known)}); rating them together "
            "would mix different arenas",
            hint="choose with --source NAME (repeatable) or --all-sources",
        )
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise UserError(f"unknown source '{unknown[0]}'", hint=f"sources: {', '.join(known)}")
    return sorted(set(sources))


def ids_of(sources: Sequence[str], column: str = "battle_id") -> str:
    """A SQL condition true for the battle ids (in ``column``) of ``sources``: a battle's id starts with its
    source's name and ``:`` (``schema.BATTLES_DDL``), so the ids are found by that prefix, with no hash table of
    every id. (A legacy source name holding ``:`` makes the condition wider, never narrower.)

    >>> ids_of(["a", "it's"], "c.battle_id")
    "(starts_with(c.battle_id, 'a:') OR starts_with(c.battle_id, 'it''s:'))"
    >>> ids_of([])
    '(false)'
    """
    return "(" + (" OR ".join(f"starts_with({column}, {sql_str(s + ':')})" for s in sources) or "false") + ")"
