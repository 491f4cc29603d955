"""Database edges of the PII stage: read unscrubbed messages, write them back scrubbed.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> unscrubbed(con, ["none"]).height
0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import duckdb
import polars as pl

from arenavotes.db import EVERY_ROW, frame, register_arrow, transaction, unregister_arrow
from arenavotes.pii.patterns import Finding


def _chosen(
    sources: Sequence[str], rescan: bool, run_id: str | None, between: tuple[str, str] | None = None
) -> tuple[str, list[object]]:
    """The filter (over ``conversations c``) and parameters that choose a scrub run's battles: those of
    ``sources`` not scrubbed yet (all of them with ``rescan``), or those ``run_id`` scrubbed; ``between``: only
    the battle ids from the first to the last of it, a bound the subqueries take too, so that their hash tables
    hold one batch's ids and not every battle's and every scrubbed one's (one batch of a 100k workspace:
    0.06-0.11 -> 0.04 CPU-s; each table's id column is still read whole, see :func:`arenavotes.db.rowid_windows`)."""
    bound = "" if between is None else " AND battle_id BETWEEN ? AND ?"
    at: list[object] = [] if between is None else list(between)
    where = f"c.battle_id IN (SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?)){bound})"
    params: list[object] = [list(sources), *at]
    if run_id is not None:
        where += f" AND c.battle_id IN (SELECT battle_id FROM scrubbed WHERE run_id = ?{bound})"
        params += [run_id, *at]
    elif not rescan:
        where += f" AND c.battle_id NOT IN (SELECT battle_id FROM scrubbed WHERE true{bound})"
        params += at
    return where, params


def scrubbed_by(sources: Sequence[str], run_id: str) -> tuple[str, list[object]]:
    """The filter (over ``conversations c``) and parameters that choose the messages of ``sources`` that scrub
    run ``run_id`` scrubbed (for one query over all of them, not a batch's).

    >>> from arenavotes import db
    >>> where, params = scrubbed_by(["none"], "run-1")
    >>> db.connect(None).execute(f"SELECT count(*) FROM conversations c WHERE {where}", params).fetchall()
    [(0,)]
    """
    return _chosen(sources, False, run_id)


def run_texts(con: duckdb.DuckDBPyConnection, sources: Sequence[str], run_id: str) -> tuple[str, list[object]]:
    """The filter (over ``conversations c``) and parameters that choose the messages scrub run ``run_id``
    scrubbed, for its second pass (the gate's verdicts on them, read in one stream joined with the stored
    verdicts). When the run scrubbed every battle with text of its sources -- a first scrub, a rescan -- the
    messages are found by their ids' ``<source>:`` prefix alone; otherwise as :func:`scrubbed_by` finds them.

    Why: :func:`scrubbed_by` holds hash tables of the sources' battle ids and of the run's beside the verdicts'
    in the same stream, and at 1M conversations a scrub under a 150 MB cap ran out of memory there.

    >>> from arenavotes import db
    >>> con = db.connect(None)
    >>> run_texts(con, ["a"], "run-1")
    ("(starts_with(c.battle_id, 'a:'))", [])
    """
    from arenavotes.sources import ids_of

    prefixes = ids_of(sources, "c.battle_id")
    ((of_run,),) = con.execute("SELECT count(*) FROM scrubbed WHERE run_id = ?", [run_id]).fetchall()
    ((with_text,),) = con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT c.battle_id FROM conversations c WHERE {prefixes})"
    ).fetchall()
    if of_run == with_text:  # the run's battles are among these (a source's ids start with its name and ':')
        return prefixes, []
    where, params = scrubbed_by(sources, run_id)
    return f"{prefixes} AND {where}", params


def unscrubbed_ids(con: duckdb.DuckDBPyConnection, sources: Sequence[str], rescan: bool = False) -> list[str]:
    """Battles of ``sources`` with messages not scrubbed yet (all with ``rescan``), sorted."""
    where, params = _chosen(sources, rescan, None)
    return [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT battle_id FROM conversations c WHERE {where} ORDER BY 1", params
        ).fetchall()
    ]


def scrub_batches(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], rescan: bool = False, size: int = 20_000
) -> tuple[list[tuple[str, str]], int]:
    """The id ranges a scrub run reads one at a time (at most ``size`` battles and about
    :data:`~arenavotes.db.TEXT_CHARS` characters each, see :func:`~arenavotes.db.id_batches`), and how many
    messages they hold. Nothing per battle is held in Python: a million battle ids as a list took ~0.16 GB.

    >>> from arenavotes import db
    >>> scrub_batches(db.connect(None), ["none"])
    ([], 0)
    """
    from arenavotes.db import TEXT_CHARS, id_batches

    where, params = _chosen(sources, rescan, None)
    todo = f"SELECT c.battle_id AS id, coalesce(length(c.content), 0) AS w FROM conversations c WHERE {where}"
    (total,) = con.execute(f"SELECT count(*) FROM ({todo})", params).fetchall()[0]
    return id_batches(con, todo, params, size=size, chars=TEXT_CHARS), int(total)


def batch_messages(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[str],
    first: str,
    last: str,
    *,
    rescan: bool = False,
    window: tuple[int, int] = EVERY_ROW,
) -> pl.DataFrame:
    """The messages of one of :func:`scrub_batches`' ranges (battles ``first`` to ``last``) that the run
    scrubs, in battle, side and position order, with the ``rowid`` each has now (``rid``:
    :func:`write_scrubbed` updates by it). ``window``: the range's rowids in ``conversations``
    (:func:`~arenavotes.db.rowid_window_stream`), the same rows read without a scan of every battle's id."""
    where, params = _chosen(sources, rescan, None, (first, last))
    return frame(
        con,
        f"""SELECT battle_id, side, msg, turn, role, content, c.rowid AS rid FROM conversations c
            WHERE c.rowid BETWEEN ? AND ? AND c.battle_id BETWEEN ? AND ? AND {where} ORDER BY 1, 2, 3""",
        [*window, first, last, *params],
    )


def interrupted_runs(con: duckdb.DuckDBPyConnection) -> int:
    """How many scrubbed battles belong to a scrub run that never finished (killed after some batches had
    committed): the texts they replaced may still sit in the database file's free pages."""
    return int(
        con.execute("SELECT count(*) FROM scrubbed WHERE run_id NOT IN (SELECT run_id FROM runs)").fetchall()[0][0]
    )


def adopt_interrupted(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Give the batches of killed scrub runs (see :func:`interrupted_runs`) to ``run_id``, the run that finished
    the job: their 'scrubbed' and finding rows then point at a recorded run."""
    for table in ("scrubbed", "pii_findings"):
        con.execute(f"UPDATE {table} SET run_id = ? WHERE run_id NOT IN (SELECT run_id FROM runs)", [run_id])


def messages_of(con: duckdb.DuckDBPyConnection, battle_ids: Sequence[str]) -> pl.DataFrame:
    """Every message of ``battle_ids``, in battle, side and position order."""
    return frame(
        con,
        """SELECT battle_id, side, msg, turn, role, content FROM conversations
           WHERE battle_id IN (SELECT unnest(?)) ORDER BY 1, 2, 3""",
        [list(battle_ids)],
    )


def unscrubbed(con: duckdb.DuckDBPyConnection, sources: Sequence[str], rescan: bool = False) -> pl.DataFrame:
    """Messages of ``sources`` not scrubbed yet (all with ``rescan``)."""
    return messages_of(con, unscrubbed_ids(con, sources, rescan))


def findings_frame(messages: pl.DataFrame, findings: list[list[Finding]]) -> pl.DataFrame:
    rows = [
        (b, s, t, r, f.entity, f.recognizer, f.score)
        for (b, s, t, r), fs in zip(
            messages.select("battle_id", "side", "turn", "role").iter_rows(), findings, strict=True
        )
        for f in fs
    ]
    raw = pl.DataFrame(
        rows,
        schema={
            "battle_id": pl.String,
            "side": pl.String,
            "turn": pl.Int32,
            "role": pl.String,
            "entity": pl.String,
            "recognizer": pl.String,
            "score": pl.Float64,
        },
        orient="row",
    )
    return (
        raw.group_by("battle_id", "side", "turn", "role", "entity", "recognizer")
        .agg(count=pl.len().cast(pl.Int32), max_score=pl.col("score").max())
        .sort("battle_id", "side", "turn", "entity")
    )


def _update_contents(con: duckdb.DuckDBPyConnection, changed: pl.DataFrame) -> None:
    """Set ``content`` to ``new`` for the messages of ``changed`` (battle_id, side, msg, new and, if read by
    :func:`batch_messages`, rid).

    By key alone the UPDATE's join read the keys of every message in the table for each batch (1M
    conversations: 0.18 CPU-s a batch, 222 batches); bounded by the batch's rowids as well it reads the row
    groups of the batch (0.012). Rowids move only when a checkpoint compacts deleted rows, and none can run
    between the batch's read and this write; should they have moved all the same, fewer rows match, and the
    UPDATE runs again by key alone (setting the same values on the rows already done)."""
    cols = ["battle_id", "side", "msg", "new"]
    keyed = """UPDATE conversations SET content = n.new FROM _new n
               WHERE conversations.battle_id = n.battle_id AND conversations.side = n.side
                 AND conversations.msg = n.msg"""
    register_arrow(con, "_new", changed.select(cols).to_arrow())
    try:
        if "rid" in changed.columns:
            lo, hi = changed["rid"].min(), changed["rid"].max()
            (done,) = con.execute(f"{keyed} AND conversations.rowid BETWEEN ? AND ?", [lo, hi]).fetchall()[0]
            if done == changed.height:
                return
        con.execute(keyed)
    finally:
        unregister_arrow(con, "_new")


def write_scrubbed(
    con: duckdb.DuckDBPyConnection,
    messages: pl.DataFrame,
    new_content: list[str | None],
    findings: pl.DataFrame,
    run_id: str,
    keep_raw: bool,
) -> None:
    changed = messages.with_columns(new=pl.Series(new_content, dtype=pl.String)).filter(
        pl.col("new").ne_missing(pl.col("content"))
    )
    with transaction(con):
        if keep_raw and changed.height:
            register_arrow(
                con, "_raw", changed.select("battle_id", "side", "msg", "turn", "role", "content").to_arrow()
            )
            con.execute("DELETE FROM conversations_raw WHERE battle_id IN (SELECT battle_id FROM _raw)")
            con.execute("INSERT INTO conversations_raw SELECT * FROM _raw")
            unregister_arrow(con, "_raw")
        if changed.height:
            _update_contents(con, changed)
        battles = messages.select("battle_id").unique()
        register_arrow(con, "_b", battles.to_arrow())
        # one row per battle without a key index (see db.UNKEYED_TABLES): a battle scrubbed again (--rescan)
        # loses its old row first; a first scrub has none to lose. (The bound skips row groups only where ids
        # differ within their first 8 bytes, all DuckDB keeps of a string's min/max; the scan is cheap anyway:
        # 2M battles written in 20,000-battle batches, 5.5 s with it against 9.0 s with the key)
        first, last = battles["battle_id"].min(), battles["battle_id"].max()
        con.execute(
            "DELETE FROM scrubbed WHERE battle_id BETWEEN ? AND ? AND battle_id IN (SELECT battle_id FROM _b)",
            [first, last],
        )
        con.execute("INSERT INTO scrubbed SELECT battle_id, ? FROM _b", [run_id])
        unregister_arrow(con, "_b")
        if findings.height:
            register_arrow(con, "_f", findings.with_columns(run_id=pl.lit(run_id)).to_arrow())
            con.execute(
                "INSERT INTO pii_findings SELECT battle_id, side, turn, role, entity, count, max_score, "
                "recognizer, run_id FROM _f"
            )
            unregister_arrow(con, "_f")


def scrub_quarantine(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], scrub: Callable[[list[str]], list[str]]
) -> int:
    """Scrub the ``raw`` and ``detail`` text of quarantined records of ``sources`` in place (they hold the same
    prompts and answers as battles do, at rest in the workspace); returns how many values changed.

    Placeholders never match again, so running it twice changes nothing the second time.
    """
    rows = frame(
        con, "SELECT rowid AS rid, raw, detail FROM quarantine WHERE source IN (SELECT unnest(?))", [list(sources)]
    )
    if rows.height == 0:
        return 0
    n = rows.height
    new = pl.Series(
        scrub(rows["raw"].fill_null("").to_list() + rows["detail"].fill_null("").to_list()), dtype=pl.String
    )
    out = rows.with_columns(  # a missing value stays missing
        new_raw=pl.when(pl.col("raw").is_not_null()).then(new[:n]),
        new_detail=pl.when(pl.col("detail").is_not_null()).then(new[n:]),
    )
    changed = out.filter(
        pl.col("new_raw").ne_missing(pl.col("raw")) | pl.col("new_detail").ne_missing(pl.col("detail"))
    )
    if changed.height:
        register_arrow(con, "_q", changed.select("rid", "new_raw", "new_detail").to_arrow())
        con.execute(
            "UPDATE quarantine SET raw = q.new_raw, detail = q.new_detail FROM _q q WHERE quarantine.rowid = q.rid"
        )
        unregister_arrow(con, "_q")
    return changed.height
