"""The database edges of the ratings: the battles and category labels a leaderboard is fitted on, and the
``leaderboards``, ``leaderboard_stats`` and ``style_coefficients`` rows it is written to and read from.

The fitting itself is pure and lives in :mod:`arenavotes.ratings.leaderboard`.

>>> from arenavotes import db
>>> load_battles(db.connect(None), ["s"]).height
0
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import duckdb
import polars as pl

from arenavotes.db import register_arrow, transaction, unregister_arrow
from arenavotes.errors import UserError
from arenavotes.ratings.leaderboard import LABEL_SCHEMA, STYLE_COLUMNS, Boards


def load_battles(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[str],
    *,
    anony_only: bool = False,
    since: str | None = None,
    until: str | None = None,
    with_prompt_key: bool = False,
    exclude_flags: Sequence[str] = (),
    arena: str | None = None,
) -> pl.DataFrame:
    """Battles to rate (of one ``arena`` kind when given); those carrying any of ``exclude_flags`` are
    left out (see :func:`excluded_counts`)."""
    where = ["source IN (SELECT unnest(?))"]
    args: list[Any] = [list(sources)]
    if arena:
        where.append("arena = ?")
        args.append(arena)
    if exclude_flags:
        where.append("battle_id NOT IN (SELECT battle_id FROM flags WHERE flag IN (SELECT unnest(?)))")
        args.append(list(exclude_flags))
    if anony_only:
        where.append("anony")
    if since:
        where.append("tstamp >= ?::TIMESTAMPTZ")
        args.append(since)
    if until:
        where.append("tstamp < ?::TIMESTAMPTZ")
        args.append(until)
    prompt = (
        "(SELECT md5(string_agg(p.content, chr(10) ORDER BY p.turn)) FROM prompts p WHERE p.battle_id = b.battle_id)"
        if with_prompt_key
        else "NULL"
    )
    sql = (
        f"SELECT battle_id, source, tstamp, model_a, model_b, winner, voter_id, anony, "
        f"{', '.join(STYLE_COLUMNS)}, citations_a, citations_b, {prompt} AS prompt_key "
        f"FROM battles b WHERE {' AND '.join(where)} "
        "ORDER BY battle_id"
    )
    try:
        frame = pl.from_arrow(con.sql(sql, params=args).to_arrow_table())
    except duckdb.Error as exc:  # bad --since / --until
        raise UserError(
            f"cannot select battles: {str(exc).splitlines()[0]}", hint="--since/--until take dates like 2024-05-01"
        ) from None
    assert isinstance(frame, pl.DataFrame)
    return frame


#: Flags of the campaign scan; their score is the voter's posterior probability of campaigning.
CAMPAIGN_FLAGS: tuple[str, ...] = ("campaign_voter", "campaign_suspect")


def load_campaign_posteriors(con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> pl.DataFrame:
    """battle_id -> ``campaign_p``, the campaign posterior of its voter (battles the scan gave none are absent)."""
    frame = pl.from_arrow(
        con.sql(
            "SELECT f.battle_id, max(f.score) AS campaign_p FROM flags f JOIN battles b USING (battle_id) "
            "WHERE b.source IN (SELECT unnest(?)) AND f.flag IN (SELECT unnest(?)) GROUP BY 1 ORDER BY 1",
            params=[list(sources), list(CAMPAIGN_FLAGS)],
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    return frame


def excluded_counts(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], exclude_flags: Sequence[str], arena: str | None = None
) -> dict[str, int]:
    """Battles of ``sources`` that the exclusion policy leaves out, by flag (a battle may count under several)."""
    if not exclude_flags:
        return {}
    rows = con.sql(
        "SELECT f.flag, count(DISTINCT f.battle_id) FROM flags f JOIN battles b USING (battle_id) "
        "WHERE b.source IN (SELECT unnest(?)) AND f.flag IN (SELECT unnest(?)) AND b.arena = coalesce(?, b.arena) "
        "GROUP BY 1 ORDER BY 1",
        params=[list(sources), list(exclude_flags), arena],
    ).fetchall()
    return {str(f): int(n) for f, n in rows}


def excluded_total(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], exclude_flags: Sequence[str], arena: str | None = None
) -> int:
    """Battles of ``sources`` that the exclusion policy leaves out (each counted once)."""
    if not exclude_flags:
        return 0
    return int(
        con.sql(
            "SELECT count(DISTINCT f.battle_id) FROM flags f JOIN battles b USING (battle_id) "
            "WHERE b.source IN (SELECT unnest(?)) AND f.flag IN (SELECT unnest(?)) AND b.arena = coalesce(?, b.arena)",
            params=[list(sources), list(exclude_flags), arena],
        ).fetchall()[0][0]
    )


def choose_arena(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], arena: str | None, mix: bool = False
) -> str | None:
    """The arena kind to rate: ``arena`` when given (it must occur in ``sources``); else None when the
    sources hold one kind (or ``mix`` is asked for); else a user error -- one board never mixes text
    votes with, say, image votes by accident."""
    kinds = dict(
        con.sql(
            "SELECT arena, count(*) FROM battles WHERE source IN (SELECT unnest(?)) GROUP BY 1 ORDER BY 2 DESC, 1",
            params=[list(sources)],
        ).fetchall()
    )
    listed = ", ".join(f"{k} ({n:,})" for k, n in kinds.items())
    if arena is not None:
        if arena not in kinds:
            raise UserError(
                f"--arena {arena}: the selected sources have no {arena} battles", hint=f"they hold: {listed}"
            )
        return arena
    if len(kinds) > 1 and not mix:
        raise UserError(
            f"the selected sources hold battles of {len(kinds)} arena kinds ({listed}); one board would mix them",
            hint=f"choose one with --arena {next(iter(kinds))} (or pass --mix-arenas to rate them together)",
        )
    return None


def load_labels(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], labeler: str | None = None, *, grouped: bool = False
) -> pl.DataFrame:
    """Positive category labels of the battles of ``sources``: (battle_id, labeler, category), or with
    ``grouped`` one row per labeler and category with the list of its battle ids (what
    :func:`arenavotes.ratings.leaderboard.build` works from; a third of the memory at 1M battles)."""
    sql = (
        "SELECT battle_id, labeler, category FROM prompt_labels WHERE value AND battle_id IN "
        "(SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?)))"
    )
    args: list[Any] = [list(sources)]
    if labeler:
        sql += " AND labeler = ?"
        args.append(labeler)
    if grouped:  # streamed and grouped here: DuckDB's list aggregate cannot spill (5M battles: out of memory)
        ids: dict[tuple[str, str], list[pl.Series]] = {}
        for batch in con.sql(sql, params=args).to_arrow_reader(1_000_000):
            part = pl.from_arrow(batch)
            assert isinstance(part, pl.DataFrame)
            for (lab, cat), g in part.group_by("labeler", "category"):
                ids.setdefault((str(lab), str(cat)), []).append(g["battle_id"])
        keys = sorted(ids)
        if not keys:
            return pl.DataFrame(schema=LABEL_SCHEMA)
        return pl.DataFrame(
            {
                "labeler": [k[0] for k in keys],
                "category": [k[1] for k in keys],
                "battle_id": pl.Series([pl.concat(ids[k]) for k in keys], dtype=pl.List(pl.String)),
            }
        )
    frame = pl.from_arrow(con.sql(sql, params=args).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame if frame.height else pl.DataFrame(schema=LABEL_SCHEMA)


def write(con: duckdb.DuckDBPyConnection, scope: str, out: Boards, run_id: str, excluded: int = 0) -> None:
    """Replace the scope's rows in leaderboards, leaderboard_stats and style_coefficients."""
    boards = out.boards.with_columns(scope=pl.lit(scope), run_id=pl.lit(run_id)).with_columns(
        pl.col("rank", "rank_ub", "rank_worst").cast(pl.Int32)
    )
    cols = [
        "scope",
        "labeler",
        "category",
        "component",
        "model",
        "rating",
        "ci_lower",
        "ci_upper",
        "rank",
        "rank_ub",
        "rank_worst",
        "rank_q025",
        "rank_q975",
        "battles",
        "provisional",
        "online_elo",
        "loo_max_change",
        "method",
        "params",
        "run_id",
    ]
    stats = out.stats.with_columns(
        scope=pl.lit(scope), run_id=pl.lit(run_id), excluded_flagged=pl.lit(excluded, pl.Int64)
    )
    scols = [
        "scope",
        "labeler",
        "category",
        "component",
        "battles",
        "models",
        "pairs_met",
        "pairs_possible",
        "components",
        "kendall_tau_vs_overall",
        "voters",
        "loo_max_change",
        "loo_worst_voter",
        "tie_parameter",
        "excluded_flagged",
        "run_id",
    ]
    try:
        with transaction(con):
            for t in ("leaderboards", "leaderboard_stats", "style_coefficients"):
                con.execute(f"DELETE FROM {t} WHERE scope = ?", [scope])
            register_arrow(con, "_lb", boards.select(cols).to_arrow())
            con.execute(f"INSERT INTO leaderboards SELECT {', '.join(cols)} FROM _lb")
            register_arrow(
                con,
                "_st",
                stats.select([pl.col(c) if c in stats.columns else pl.lit(None).alias(c) for c in scols]).to_arrow(),
            )
            con.execute(f"INSERT INTO leaderboard_stats SELECT {', '.join(scols)} FROM _st")
            if out.style.height:
                style = out.style.with_columns(scope=pl.lit(scope), run_id=pl.lit(run_id))
                register_arrow(con, "_sc", style.to_arrow())
                con.execute(
                    "INSERT INTO style_coefficients SELECT scope, labeler, category, component, feature, coef, "
                    "ci_lower, ci_upper, battles, reg, run_id FROM _sc"
                )
    finally:
        for v in ("_lb", "_st", "_sc"):
            with contextlib.suppress(duckdb.Error):
                unregister_arrow(con, v)


def read_board(
    con: duckdb.DuckDBPyConnection, scope: str | None, category: str, labeler: str | None
) -> tuple[str, pl.DataFrame]:
    scopes = [r[0] for r in con.sql("SELECT DISTINCT scope FROM leaderboards ORDER BY 1").fetchall()]
    if not scopes:
        raise UserError("no leaderboards yet", hint="run 'arenavotes rate' first")
    if scope is None:
        if len(scopes) > 1:
            raise UserError(f"several leaderboards: {', '.join(scopes)}", hint="choose one with --name")
        scope = scopes[0]
    if scope not in scopes:
        raise UserError(f"no leaderboard named '{scope}'", hint=f"names: {', '.join(scopes)}")
    sql = (
        "SELECT model, rating, ci_lower, ci_upper, rank, rank_ub, rank_worst, rank_q025, rank_q975, "
        "battles, provisional, online_elo, loo_max_change, method, category, labeler, component FROM leaderboards "
        "WHERE scope = ? AND category = ?"
    )
    args: list[Any] = [scope, category]
    if labeler is not None:
        sql += " AND labeler = ?"
        args.append(labeler)
    frame = pl.from_arrow(
        con.sql(sql + " ORDER BY labeler, component, rating DESC, model", params=args).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    if frame.height == 0:
        cats = [
            f"{c} [{lab}]" if lab else c
            for lab, c in con.execute(
                "SELECT DISTINCT labeler, category FROM leaderboards WHERE scope = ? ORDER BY 1, 2", [scope]
            ).fetchall()
        ]
        raise UserError(f"no '{category}' leaderboard in '{scope}'", hint=f"categories: {', '.join(cats)}")
    return scope, frame
