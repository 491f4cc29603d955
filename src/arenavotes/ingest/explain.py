"""Errors that teach, and ``arenavotes formats --explain FILE``: what was detected, what a mapping makes of
the first records, and -- when nothing fits -- the closest known format and the exact flags that would
read the file.

The guesses come from column names (``generator_1`` reads as model_a, ``preference`` as the winner, ...)
and from the winner column's values (a handful of codes -> ``--winner-map``, many numbers ->
``--winner-from`` with a tie band). They are suggestions printed for the user to check, never applied
silently.

>>> guess_roles({"generator_1", "generator_2", "preference", "instruction", "output_1", "output_2"})
{'model_a': 'generator_1', 'model_b': 'generator_2', 'response_a': 'output_1', 'response_b': 'output_2', 'winner': 'preference', 'prompt': 'instruction'}
>>> closest_format({"model_a", "model_b", "winner", "conversation_a"}).name
'arena-hf'
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Iterable
from pathlib import Path

import duckdb

from arenavotes.errors import UserError
from arenavotes.ingest.containers import Staged
from arenavotes.ingest.formats import FORMATS, Format
from arenavotes.ingest.mapping import ReadOptions
from arenavotes.ingest.normalize import Normalized
from arenavotes.ingest.sqlfields import field_accessor
from arenavotes.vocab import WINNER_ALIASES

#: column-name pairs for the two sides, most specific first (compared lower-case, without _ - space)
_PAIR_NAMES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("model_a", "model_b"): (
        ("modela", "modelb"),
        ("model0", "model1"),
        ("model1", "model2"),
        ("modelleft", "modelright"),
        ("leftmodel", "rightmodel"),
        ("generator1", "generator2"),
        ("systema", "systemb"),
        ("modelx", "modely"),
        ("left", "right"),
    ),
    ("response_a", "response_b"): (
        ("responsea", "responseb"),
        ("response0", "response1"),
        ("response1", "response2"),
        ("output1", "output2"),
        ("outputa", "outputb"),
        ("answera", "answerb"),
        ("completiona", "completionb"),
        ("completion0", "completion1"),
        ("completion1", "completion2"),
    ),
}
#: column-name spellings of the other fields, most specific first
_ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "winner": (
        "winner",
        "preference",
        "vote",
        "choice",
        "label",
        "outcome",
        "result",
        "humanpreference",
        "acceptedindex",
        "preferred",
        "chosen",
        "selected",
    ),
    "prompt": ("prompt", "instruction", "question", "query", "turns", "input", "userprompt"),
    "voter": ("judge", "voter", "worker", "workerid", "annotator", "userid", "rater", "user"),
    "tstamp": ("tstamp", "timestamp", "time", "createdat", "date"),
    "id": ("id", "questionid", "battleid", "pairid"),
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess_roles(keys: Iterable[str]) -> dict[str, str]:
    """Which column most likely holds each canonical field (by name only; each column used once)."""
    by_norm = {_norm(k): k for k in sorted(keys)}
    used: set[str] = set()
    out: dict[str, str] = {}
    for (fa, fb), pairs in _PAIR_NAMES.items():
        for na, nb in pairs:
            if na in by_norm and nb in by_norm:
                out[fa], out[fb] = by_norm[na], by_norm[nb]
                used |= {by_norm[na], by_norm[nb]}
                break
    if "model_a" not in out:  # any other pair of columns that differ only by a/b, 1/2, 0/1 or left/right
        pair = _side_pair([k for k in sorted(keys) if k not in used])
        if pair:
            out["model_a"], out["model_b"] = pair
            used |= set(pair)
    for field, names in _ROLE_NAMES.items():
        for name in names:
            col = by_norm.get(name)
            if col is not None and col not in used:
                out[field] = col
                used.add(col)
                break
    if "winner" not in out:  # e.g. overall_preference
        cands = [k for k in sorted(keys) if k not in used and re.search(r"prefer|winner|vote", k.lower())]
        if cands:
            out["winner"] = sorted(cands, key=lambda k: ("overall" not in k.lower(), len(k)))[0]
    return out


_SIDES = (("a", "b"), ("1", "2"), ("0", "1"), ("left", "right"), ("x", "y"))


def _side_pair(keys: list[str]) -> tuple[str, str] | None:
    """Two column names equal but for one token naming the side (``answer_a_type`` / ``answer_b_type``)."""
    have = set(keys)
    for key in keys:
        tokens = re.split(r"([_\-\s]+)", key)
        for i, tok in enumerate(tokens):
            for one, two in _SIDES:
                if tok.lower() == one:
                    side = two if tok.islower() or tok.isdigit() else two.upper()
                    other = "".join([*tokens[:i], side, *tokens[i + 1 :]])
                    if other in have:
                        return key, other
    return None


def closest_format(keys: set[str] | frozenset[str]) -> Format:
    """The known format sharing most required keys with ``keys`` (ties: the first listed)."""
    scored = [
        (len(f.requires & keys) / max(len(f.requires), 1), -i, f)
        for i, f in enumerate(FORMATS)
        if f.name != "generic" and not f.refines
    ]
    best = max(scored, key=lambda t: (t[0], t[1]))
    return best[2] if best[0] > 0 else next(f for f in FORMATS if f.name == "generic")


def refine(con: duckdb.DuckDBPyConnection, staged: Staged, fmt: Format) -> Format:
    """A more specific format of the same shape when every sampled record looks like it (e.g. GenAI-Arena's
    ``imagenhub_*`` models in a FastChat clean_battle file)."""
    f = field_accessor(staged)
    for cand in FORMATS:
        if cand.refines != fmt.name or cand.looks_like is None:
            continue
        agg = "bool_or" if cand.looks_like_any else "bool_and"
        sql = (
            f"SELECT {agg}(coalesce({cand.looks_like(f)}, false)) FROM (SELECT * FROM _stage ORDER BY _row LIMIT 1000)"
        )
        if con.sql(sql).fetchall()[0][0]:
            return cand
    return fmt


def winner_values(con: duckdb.DuckDBPyConnection, staged: Staged, column: str, limit: int = 1000) -> list[str]:
    """Distinct values of ``column`` in the first ``limit`` records (as text), most frequent first."""
    f = field_accessor(staged)
    sql = (
        f"SELECT v FROM (SELECT coalesce({f(column)} ->> '$', {f(column)}::VARCHAR) AS v "
        f"FROM (SELECT * FROM _stage ORDER BY _row LIMIT {limit})) WHERE v IS NOT NULL "
        "GROUP BY v ORDER BY count(*) DESC, v LIMIT 50"
    )
    return [r[0] for r in con.sql(sql).fetchall()]


def winner_flags(values: list[str], column: str) -> list[str]:
    """Flags that would read a winner column with these values (a template where meaning is unknown)."""
    unknown = [v for v in values if v not in WINNER_ALIASES]
    if not unknown:
        return []
    numbers = []
    for v in values:
        try:
            numbers.append(float(v))
        except ValueError:
            break
    if len(numbers) == len(values) and len(values) > 6:
        lo, hi = min(numbers), max(numbers)
        mid = (lo + hi) / 2
        return ["--winner-from", column, "--tie-band", f"{mid:g}:{mid:g}"]
    return ["--winner-map", ",".join(f"{v}=?" for v in values[:8])]


def suggested_flags(con: duckdb.DuckDBPyConnection, staged: Staged, keys: set[str]) -> list[str]:
    """``--map``/``--winner-map``/``--winner-from`` flags that would likely read a file with ``keys``."""
    roles = guess_roles(keys)
    flags: list[str] = []
    for field, col in roles.items():
        if field == "winner" or col == field or (field == "voter" and col == "judge"):
            continue
        flags += ["--map", f"{field}={col}"]
    winner = roles.get("winner")
    if winner is None:
        flags += ["--map", "winner=COLUMN"]
    else:
        if winner != "winner":
            rest = winner_flags(winner_values(con, staged, winner), winner)
            flags += rest if rest and rest[0] == "--winner-from" else ["--map", f"winner={winner}", *rest]
        else:
            flags += winner_flags(winner_values(con, staged, winner), winner)
    for field in ("model_a", "model_b"):
        if field not in roles:
            flags += ["--map", f"{field}=COLUMN"]
    return flags


def no_format_error(
    con: duckdb.DuckDBPyConnection, staged: Staged, path: Path, keys: set[str], read: ReadOptions | None = None
) -> UserError:
    """The one-line error for a file no format recognises: the closest format and flags that would read it."""
    closest = closest_format(frozenset(keys))
    missing = sorted(closest.requires - keys)
    flags = suggested_flags(con, staged, keys)
    near = f"closest: '{closest.name}' (lacks {', '.join(missing)})" if missing else "map its columns"
    return UserError(
        f"{path}: no known format has the keys {sorted(keys)[:12]}; {near}",
        hint=f"try: arenavotes formats --explain {shlex.quote(str(path))} --format generic {shlex.join(flags)}",
    )


def suggest(con: duckdb.DuckDBPyConnection, staged: Staged, keys: set[str]) -> tuple[list[str], ReadOptions | None]:
    """The suggested flags and, when they are complete (no ``?`` or ``COLUMN`` left), the options they give."""
    flags = suggested_flags(con, staged, keys)
    if any("?" in f or "COLUMN" in f for f in flags):
        return flags, None
    fields: dict[str, str] = {}
    winner_from: tuple[str, ...] = ()
    band = None
    i = 0
    while i < len(flags):
        name, value = flags[i], flags[i + 1]
        if name == "--map":
            field, _, col = value.partition("=")
            fields[field] = col
        elif name == "--winner-from":
            winner_from = (value,)
        elif name == "--tie-band":
            lo, _, hi = value.partition(":")
            band = (float(lo), float(hi))
        i += 2
    return flags, ReadOptions(format="generic", fields=fields, winner_from=winner_from, tie_band=band)


def explain_file(path: Path, read: ReadOptions, rows: int = 5) -> list[str]:
    """What ingest would make of ``path`` with ``read``: container, format, the first ``rows`` records as
    battles or quarantine reasons, and the counts. Nothing is written anywhere."""
    from arenavotes import db
    from arenavotes.config import IngestSettings
    from arenavotes.display import text_table
    from arenavotes.ingest import read_file
    from arenavotes.ingest.coerce import install_macros
    from arenavotes.ingest.containers import stage_file
    from arenavotes.ingest.sqlfields import record_keys

    con = db.connect(None)
    install_macros(con)
    out: list[str] = []
    staged = stage_file(con, path, read.container, read.csv)
    keys = record_keys(con, staged)
    out.append(f"file: {path} ({staged.container}, {staged.staged + staged.rejected:,} records)")
    out.append(f"columns: {', '.join(sorted(keys)[:40])}" + (" ..." if len(keys) > 40 else ""))

    def attempt(options: ReadOptions) -> tuple[Format, Normalized]:
        return read_file(
            con,
            path,
            options,
            source="explain",
            key=b"explain",
            settings=IngestSettings(),
            run_id="explain",
            label=str(path),
            staged=staged,
        )

    try:
        fmt, result = attempt(read)
    except UserError as exc:
        out.append(f"not readable as given: {exc.message}")
        flags, guessed = suggest(con, staged, keys)
        out.append(f"suggested: {shlex.join(flags)}")
        if guessed is None:
            out.append("(replace each ? or COLUMN, then run --explain again)")
            return out
        # the guess keeps what was given about the file itself (container, dialect, arena)
        read = dataclasses.replace(guessed, container=read.container, csv=read.csv, arena=read.arena)
        fmt, result = attempt(read)
        out.append("with the suggested flags:")
    how = "given" if read.format else ("the flags'" if fmt.name == "generic" else "detected")
    out.append(f"format: {fmt.name} ({how}); arena: {fmt.arena if fmt.arena_rule is None else 'per battle'}")
    effective = read.flags()
    if effective:
        out.append(f"flags: {shlex.join(effective)}")
    first = con.sql(f"""
        SELECT r._row, coalesce(r.model_a, '') AS model_a, coalesce(r.model_b, '') AS model_b,
               coalesce(r.winner_raw, '') || ' -> ' || coalesce(r.winner, '?') AS winner, coalesce(r.arena, '?') AS arena,
               coalesce(left(replace(p.content, chr(10), ' '), 40), '') AS prompt,
               coalesce(r.why[1] || ': ' || left(r.why[2], 60), 'kept') AS result
        FROM _r r LEFT JOIN (SELECT _row, arg_min(content, idx) AS content FROM _msgs WHERE role = 'user' GROUP BY 1) p USING (_row)
        ORDER BY r._row LIMIT {int(rows)}
    """).fetchall()
    if first:
        out.append(f"first {len(first)} records:")
        out.append(
            text_table(
                [tuple(map(str, r)) for r in first],
                (staged.unit, "model_a", "model_b", "winner", "arena", "prompt", "result"),
            )
        )
    why = ", ".join(f"{k} {v:,}" for k, v in sorted(result.quarantined.items(), key=lambda x: (-x[1], x[0])))
    out.append(
        f"all records: {result.rows_in:,} -> {result.kept:,} battles, {result.rows_in - result.kept:,} quarantined"
        + (f" ({why})" if why else "")
    )
    if result.quarantined.get("unknown_winner"):
        values = [
            r[0]
            for r in con.sql(
                "SELECT DISTINCT winner_raw FROM _r WHERE why[1] = 'unknown_winner' ORDER BY 1 LIMIT 8"
            ).fetchall()
        ]
        out.append(f"unknown winner values: {', '.join(map(repr, values))} (map them with --winner-map VALUE=OUTCOME)")
    con.close()
    return out
