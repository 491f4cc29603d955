"""Database edges of the dedup stage: read one source's battles and texts, replace its flags.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> flag_counts(con).height
0
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from arenavotes.db import (
    EVERY_ROW,
    TEXT_CHARS,
    create_voter_codes,
    frame,
    id_batches,
    prompt_batches,
    register_arrow,
    rowid_window_stream,
    transaction,
    unregister_arrow,
    voter_code_join,
    weights_sql,
)
from arenavotes.dedup.flagging import DEFAULT_EXCLUDE, FLAG_ROWS, prompted_table

#: "this source's battles" (one ``?``: the source), the condition the stage's per-source reads and writes share
OF_SOURCE = "battle_id IN (SELECT battle_id FROM battles WHERE source = ?)"

#: battles whose texts are read together (each battle's turns fall into one batch; only a batch is held)
BATCH = 20_000


#: Columns with few distinct values, held as Polars Categoricals (5M battles: 0.6 GB of strings less).
CATEGORICAL = ("source", "model_a", "model_b", "winner", "voter_id")


#: DuckDB's cap while the battles are loaded with their voter codes: what it caches of the scan is given back right
#: after (``release_cache``), and at 400 MB that cache was 0.2 GB of the load's peak at 5M battles (a join table
#: beyond the cap spills).
LOAD_MEMORY_LIMIT = "150MB"


#: The temporary table of :func:`voter_codes`.
VOTER_CODES = "_dedup_voters"


@contextlib.contextmanager
def voter_codes(con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """A temporary table numbering every voter id of the workspace in id order (UInt32 ``code`` from 0), for
    the loads below to give voters as numbers: no detector reads an id, only which votes share one and, for
    ties, which id sorts first (code order is id order). 1.5M ids held as a Polars Categorical were ~0.23 GB
    of dedup's peak at 5M battles, kept for the rest of the process."""
    create_voter_codes(con, VOTER_CODES)
    try:
        yield VOTER_CODES
    finally:
        con.execute(f"DROP TABLE IF EXISTS temp.{VOTER_CODES}")


def _battles(
    con: duckdb.DuckDBPyConnection, columns: str, where: str, params: Sequence[object], codes: str | None
) -> pl.DataFrame:
    """``columns`` of the battles ``where`` says, ``voter_id`` as a code of ``codes`` (:func:`voter_codes`) if
    given. In scan order either way: the join runs on one thread, whose output keeps the scan's order, so the
    detectors' sums run in the same order on every run; and under :data:`LOAD_MEMORY_LIMIT`."""
    if codes is None:
        columns = columns.replace("rowid", "rowid AS _rowid")
        return frame(con, f"SELECT {columns} FROM battles b {where}", params, CATEGORICAL)
    columns = ", ".join(
        "v.code AS voter_id" if c == "voter_id" else "b.rowid AS _rowid" if c == "rowid" else f"b.{c}"
        for c in columns.split(", ")
    )
    (threads, limit) = con.execute("SELECT current_setting('threads'), current_setting('memory_limit')").fetchall()[0]
    con.execute("SET threads = 1")
    con.execute(f"SET memory_limit = '{LOAD_MEMORY_LIMIT}'")
    try:
        return frame(
            con,
            f"SELECT {columns} FROM battles b {voter_code_join(con, codes)}{where}",
            params,
            tuple(c for c in CATEGORICAL if c != "voter_id"),
        )
    finally:
        con.execute(f"SET threads = {int(threads)}")
        con.execute(f"SET memory_limit = '{limit}'")


def load_battles(
    con: duckdb.DuckDBPyConnection, source: str, codes: str | None = None, rowid: bool = False, ids: bool = True
) -> pl.DataFrame:
    """The battles of one source, without text (:data:`CATEGORICAL` columns as Categoricals; voters as codes
    of ``codes``, :func:`voter_codes`, if given), in the order DuckDB scans them: the detectors sort where order
    matters (``tests/test_campaigns.py`` checks that any row order gives the same flags), and a sort by id of
    5M battles took DuckDB's whole 1 GB and 2 GB in all. ``rowid``: also each battle's DuckDB ``rowid``, as
    ``_rowid`` (for :func:`battle_id_lookup`). ``ids=False``: without ``battle_id`` (the stage names the rows it
    flags with :func:`battle_id_lookup`: the ids were 30 of 54 bytes a battle on the synthetic log)."""
    return _battles(
        con,
        ("battle_id, " if ids else "")
        + "tstamp, model_a, model_b, winner, voter_id, anony, tokens_a, tokens_b"
        + (", rowid" if rowid else ""),
        "WHERE source = ?",
        [source],
        codes,
    )


def battle_id_lookup(con: duckdb.DuckDBPyConnection, rowids: np.ndarray) -> Callable[[np.ndarray], pl.Series]:
    """Rows of a :func:`load_battles` frame (``rowids``: its ``_rowid`` column) -> their battle ids, read from
    the workspace when asked: the voter tests name only the battles they flag, and holding every id of 5M
    battles as Polars strings was ~0.19 GB of dedup's peak. The battles table is not written while the stage
    runs, so its rowids stay put.

    >>> from arenavotes import db
    >>> con = db.connect(None)
    >>> _ = con.execute("INSERT INTO battles (battle_id, source, model_a, model_b, winner) "
    ...                 "VALUES ('b1', 's', 'x', 'y', 'tie'), ('b2', 's', 'x', 'y', 'tie')")
    >>> rows = load_battles(con, "s", rowid=True)
    >>> battle_id_lookup(con, rows["_rowid"].to_numpy())(np.array([1, 0, 1])).to_list()
    ['b2', 'b1', 'b2']
    """
    compact = rowids.astype(np.uint32) if len(rowids) and int(rowids.max()) < 2**32 else rowids.astype(np.int64)

    def ids(rows: np.ndarray) -> pl.Series:
        want = pa.table({"pos": np.arange(len(rows), dtype=np.int64), "rid": compact[rows].astype(np.int64)})
        register_arrow(con, "_dedup_want", want)
        try:
            found = frame(con, "SELECT b.battle_id FROM _dedup_want w JOIN battles b ON b.rowid = w.rid ORDER BY w.pos")
        finally:
            unregister_arrow(con, "_dedup_want")
        if found.height != len(rows):
            raise RuntimeError(f"{len(rows) - found.height} battles changed while dedup ran; run dedup again")
        return found["battle_id"]

    return ids


def answer_batches(
    con: duckdb.DuckDBPyConnection, source: str, size: int | None = None, windowed: bool = True, models: bool = False
) -> Iterator[pl.DataFrame]:
    """(battle_id, side, text) of one source's answers: each side's assistant turns joined with newlines in
    turn order, ``size`` battles (and about :data:`~arenavotes.db.TEXT_CHARS` characters) at a time (see
    :func:`prompt_batches`). ``models``: also ``model``, the side's model (what the identity check compares the
    text with, so that the stage's battles frame needs no ids to join on).

    Each batch reads ``conversations`` and ``battles`` through its rowid windows
    (:func:`~arenavotes.db.rowid_windows`, computed when the first batch is asked for; ``windowed=False``: by
    id range alone, the same rows): by id range alone every batch read both tables' whole id columns (at 1M
    conversations, 13% of dedup's samples, growing faster than N). The windows follow the rows if a checkpoint
    moves them between batches (:func:`~arenavotes.db.rowid_window_stream`)."""
    kept = "c.role = 'assistant' AND c.side IN ('a', 'b') AND c.content IS NOT NULL"
    ids = weights_sql(f"FROM conversations c WHERE {kept}", OF_SOURCE)
    batches = id_batches(con, ids, [source], size or BATCH, TEXT_CHARS)
    everything = [EVERY_ROW] * len(batches)
    convs = rowid_window_stream(con, "conversations", batches) if windowed else everything
    battles = rowid_window_stream(con, "battles", batches) if windowed else everything
    # the batch's window of battles joined (a battle id is unique, checked by ingest), for each side's model
    model = ", CASE c.side WHEN 'a' THEN b.model_a ELSE b.model_b END AS model" if models else ""
    query = f"""SELECT c.battle_id, c.side, c.turn, c.content{model}
                FROM conversations c JOIN (SELECT battle_id, model_a, model_b FROM battles
                                           WHERE rowid BETWEEN ? AND ? AND battle_id BETWEEN ? AND ? AND source = ?) b
                USING (battle_id)
                WHERE c.rowid BETWEEN ? AND ? AND c.battle_id BETWEEN ? AND ? AND {kept}
                ORDER BY c.battle_id, c.side, c.turn"""
    per_side = [pl.col("content").str.join(chr(10)).alias("text"), *([pl.col("model").first()] if models else [])]
    for (lo, hi), (clo, chi), (blo, bhi) in zip(batches, convs, battles, strict=True):
        turns = frame(con, query, [blo, bhi, lo, hi, source, clo, chi, lo, hi])
        yield turns.group_by("battle_id", "side", maintain_order=True).agg(per_side)


def load_source(con: duckdb.DuckDBPyConnection, source: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(battles, prompt texts, answers) of one source, whole (for tests and small workspaces; the stage
    streams the texts instead)."""
    battles = load_battles(con, source)
    empty_texts = pl.DataFrame(schema={"battle_id": pl.String, "text": pl.String})
    texts = pl.concat([empty_texts, *prompt_batches(con, [source])])
    empty_answers = pl.DataFrame(schema={"battle_id": pl.String, "side": pl.String, "text": pl.String})
    answers = pl.concat([empty_answers, *answer_batches(con, source)])
    return battles, texts, answers


#: The battles of every source that have a prompt: what the repeated-prompt and repeated-vote detectors compare
#: (:func:`arenavotes.dedup.repeats` reads this query in the workspace; both detectors only look at battles with a
#: prompt, so a log of votes without text has none).
REPEAT_BATTLES = (
    "SELECT battle_id, tstamp, voter_id, model_a, model_b FROM battles "
    "WHERE battle_id IN (SELECT battle_id FROM prompts)"
)


#: the temporary table where the stage's :func:`arenavotes.dedup.repeats` leaves its flags (and, in
#: :func:`~arenavotes.dedup.flagging.prompted_table` of it, the battles with a prompt) until each source's flags
#: are replaced
REPEAT_FLAGS = "_dedup_repeat_flags"


@contextlib.contextmanager
def repeat_flags(con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """:data:`REPEAT_FLAGS`'s name, its tables dropped on exit."""
    try:
        yield REPEAT_FLAGS
    finally:
        for table in (REPEAT_FLAGS, prompted_table(REPEAT_FLAGS)):
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def battles_with_prompt(con: duckdb.DuckDBPyConnection, repeats: str, source: str) -> int:
    """How many of ``source``'s battles have a prompt text, as :func:`arenavotes.dedup.repeats` (``into`` =
    ``repeats``) listed them."""
    (n,) = con.execute(f"SELECT count(*) FROM {prompted_table(repeats)} WHERE {OF_SOURCE}", [source]).fetchall()[0]
    return int(n)


def load_repeat_battles(con: duckdb.DuckDBPyConnection, codes: str | None = None) -> pl.DataFrame:
    """The battles of :data:`REPEAT_BATTLES` as a frame, in scan order (see :func:`load_battles`; the stage
    leaves them in the workspace, tests compare with a frame)."""
    return _battles(
        con,
        "battle_id, source, tstamp, model_a, model_b, voter_id",
        "WHERE b.battle_id IN (SELECT battle_id FROM prompts)",
        (),
        codes,
    )


def replace_flags(
    con: duckdb.DuckDBPyConnection,
    source: str,
    flags: pl.DataFrame,
    run_id: str,
    rows: int = FLAG_ROWS,
    repeats: str | None = None,
) -> None:
    """Replace the flags of ``source``'s battles with ``flags`` (stamped ``run_id``), in one transaction, and
    with those of its battles in ``repeats`` (a temporary table of flags of every source, sorted by flag,
    detector and battle id: :func:`arenavotes.dedup.repeats` ``into``) if given.

    ``rows`` flags at a time: an Arrow copy of every flag at once, with the run id as a column, and its copy in
    a temporary table were the stage's peak at 2M conversations (1.0M flags, reasons and all: +0.45 GB)."""
    with transaction(con):
        con.execute(f"DELETE FROM flags WHERE {OF_SOURCE}", [source])
        if repeats is not None:
            con.execute(
                f"""INSERT INTO flags SELECT r.battle_id, r.flag, r.detector, r.score, r.reason, ? FROM {repeats} r
                    WHERE r.{OF_SOURCE}
                    ORDER BY r.flag, r.detector, r.battle_id, r.score, r.reason""",
                [run_id, source],
            )
        for lo in range(0, flags.height, rows):
            # read by DuckDB under this name; not a temporary table, which the transaction would keep to its end
            _flag_slice = flags.slice(lo, rows).to_arrow()
            con.execute(
                "INSERT INTO flags SELECT battle_id, flag, detector, score, reason, ? FROM _flag_slice", [run_id]
            )


def source_flags(con: duckdb.DuckDBPyConnection, source: str) -> tuple[int, dict[str, int]]:
    """(battles flagged, flags by ``flag|detector``) of ``source`` in the ``flags`` table: what a dedup run
    records, counted where the flags are rather than in Python."""
    where = f"FROM flags WHERE {OF_SOURCE}"
    (flagged,) = con.execute(f"SELECT count(DISTINCT battle_id) {where}", [source]).fetchall()[0]
    by = con.execute(
        f"SELECT flag || '|' || detector, count(*) {where} GROUP BY flag, detector ORDER BY flag, detector", [source]
    ).fetchall()
    return int(flagged), {k: int(n) for k, n in by}


def flag_counts(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str] | None = None, exclude: Sequence[str] = DEFAULT_EXCLUDE
) -> pl.DataFrame:
    """Flagged battles by source, flag and detector, and whether the policy excludes them."""
    where, params = "", []
    if sources:
        where, params = "WHERE b.source IN (SELECT unnest(?))", [list(sources)]
    return frame(
        con,
        f"""
        SELECT b.source, f.flag, f.detector, count(*) AS battles, f.flag IN (SELECT unnest(?)) AS excluded
        FROM flags f JOIN battles b USING (battle_id) {where}
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        [list(exclude), *params],
    )
