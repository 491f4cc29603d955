"""The database edges of the ratings: the battles and category labels a leaderboard is fitted on, and the
``leaderboards``, ``leaderboard_stats`` and ``style_coefficients`` rows it is written to and read from.

The fitting itself is pure and lives in :mod:`arenavotes.ratings.leaderboard`.

>>> from arenavotes import db
>>> load_battles(db.connect(None), ["s"]).height
0
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import duckdb
import polars as pl

from arenavotes.db import (
    create_voter_codes,
    frame,
    register_arrow,
    sql_str,
    transaction,
    unregister_arrow,
    voter_code_join,
)
from arenavotes.errors import UserError
from arenavotes.ratings.leaderboard import LABEL_SCHEMA, STYLE_COLUMNS, Boards


def _selection(
    sources: Sequence[str],
    *,
    anony_only: bool = False,
    since: str | None = None,
    until: str | None = None,
    exclude_flags: Sequence[str] = (),
    arena: str | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE clause (over ``battles b``) and its parameters that pick the battles to rate."""
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
    return " AND ".join(where), args


#: the public name of the battle selection ``rate`` uses (other stages pick the same battles)
battle_selection = _selection


@contextlib.contextmanager
def _selecting() -> Iterator[None]:
    """A query over :func:`_selection`'s battles, with a bad --since / --until (DuckDB cannot cast it) as a user
    error."""
    try:
        yield
    except duckdb.Error as exc:
        raise UserError(
            f"cannot select battles: {str(exc).splitlines()[0]}", hint="--since/--until take dates like 2024-05-01"
        ) from None


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, args: list[Any], categorical: Sequence[str] = ()) -> pl.DataFrame:
    """:func:`arenavotes.db.frame`, with a bad --since / --until as a user error."""
    with _selecting():
        return frame(con, sql, args, categorical)


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
    """Battles to rate (of one ``arena`` kind when given), in battle_id order; those carrying any of
    ``exclude_flags`` are left out (see :func:`excluded_counts`)."""
    where, args = _selection(
        sources, anony_only=anony_only, since=since, until=until, exclude_flags=exclude_flags, arena=arena
    )
    sql = (
        f"SELECT battle_id, source, tstamp, model_a, model_b, winner, voter_id, anony, "
        f"{', '.join(STYLE_COLUMNS)}, citations_a, citations_b, {_prompt_key(with_prompt_key)} AS prompt_key "
        f"FROM battles b WHERE {where} ORDER BY battle_id"
    )
    return _fetch(con, sql, args)


def _prompt_key(wanted: bool) -> str:
    if not wanted:
        return "NULL"
    return "(SELECT md5(string_agg(p.content, chr(10) ORDER BY p.turn)) FROM prompts p WHERE p.battle_id = b.battle_id)"


#: The columns a board may use besides the pair and outcome; :func:`load_rating_input` leaves out those that
#: are null in every selected battle (vote-only logs have no style columns: 14 doubles a battle).
OPTIONAL_COLUMNS: tuple[str, ...] = (*STYLE_COLUMNS, "citations_a", "citations_b")
#: Low-cardinality string columns, held as polars Categoricals.
CATEGORICAL_COLUMNS: tuple[str, ...] = ("model_a", "model_b", "winner", "voter_id")

_voter_tables = itertools.count()


@dataclasses.dataclass(frozen=True)
class VoterIds:
    """The voter ids of the integer voter codes of one :func:`load_rating_input`, looked up in the temporary
    table that numbered them (in id order), for the few voters a result names.

    >>> from arenavotes import db
    >>> con = db.connect(None)
    >>> _ = con.execute("CREATE TEMP TABLE v AS SELECT 'amy' AS voter_id, 0::UINTEGER AS code")
    >>> VoterIds(con, "v")([0, 0])
    ['amy', 'amy']
    """

    con: duckdb.DuckDBPyConnection
    table: str

    def __call__(self, codes: Sequence[int]) -> list[str]:
        found = dict(
            self.con.execute(
                f"SELECT code, voter_id FROM {self.table} WHERE code IN (SELECT unnest(?::UINTEGER[]))",
                [[int(c) for c in codes]],
            ).fetchall()
        )
        return [str(found[int(c)]) for c in codes]


class RatingInput(NamedTuple):
    battles: pl.DataFrame
    categories: pl.DataFrame  # (labeler, category, column, bit): which bit of which _labels column
    voter_names: VoterIds | None  # the ids of the battles' voter codes (None: voter_id holds the ids)


def load_rating_input(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[str],
    *,
    anony_only: bool = False,
    since: str | None = None,
    until: str | None = None,
    with_prompt_key: bool = False,
    exclude_flags: Sequence[str] = (),
    arena: str | None = None,
    labels: bool = True,
    voter_codes: bool = True,
) -> RatingInput:
    """What ``rate`` fits on, lean: the battles, their categories and the ids of their voters.

    The battles (tstamp, model_a, model_b, winner, voter_id, and those optional columns that any selected
    battle has) come in battle_id order, without ids, strings as Categoricals. Each battle's positive category
    labels are bits of ``_labels0``, ``_labels1``, ... (UInt64, 64 categories a column), and the second frame
    says which: (labeler, category, column, bit), for every category of ``sources``. At 5M battles with 11
    categories this takes 0.2 GB, where ids and labels as strings took 2.5 GB.

    With ``voter_codes``, ``voter_id`` is a UInt32 code, numbered in voter id order (equal codes, equal ids;
    a lower code, an id that sorts first), and ``voter_names`` turns codes back into ids. 1.5M distinct voter
    ids held as a Polars Categorical took 0.19 GB that no step needs: only the voter a board names. Without it
    (a cluster bootstrap by voter numbers its clusters by id), ``voter_id`` is a Categorical of the ids.

    >>> from arenavotes import db
    >>> b, cats, names = load_rating_input(db.connect(None), ["s"])
    >>> b.height, b.schema["voter_id"], cats.columns
    (0, UInt32, ['labeler', 'category', 'column', 'bit'])
    """
    where, args = _selection(
        sources, anony_only=anony_only, since=since, until=until, exclude_flags=exclude_flags, arena=arena
    )
    with _selecting():  # the first query over the selection: a bad --since / --until fails here
        found = con.sql(
            f"SELECT {', '.join(f'count({c})' for c in OPTIONAL_COLUMNS)}, "
            "list(DISTINCT b.model_a) || list(DISTINCT b.model_b), list(DISTINCT b.winner) "
            f"FROM battles b WHERE {where}",
            params=args,
        ).fetchall()[0]
    present, (models, winners) = found[: len(OPTIONAL_COLUMNS)], found[len(OPTIONAL_COLUMNS) :]
    optional = [c for c, n in zip(OPTIONAL_COLUMNS, present, strict=True) if n]
    # the models and outcomes come as DuckDB ENUMs, which reach Polars as dictionary arrays, i.e. Categoricals
    # already: no strings per battle to export and cast (1M battles: ~0.1 s of a whole-process rate)
    cols = [
        "b.tstamp",
        _as_enum("b.model_a", models),
        _as_enum("b.model_b", models),
        _as_enum("b.winner", winners),
        "b.voter_id",
        *(f"b.{c}" for c in optional),
    ]
    if with_prompt_key:
        cols.append(f"{_prompt_key(True)} AS prompt_key")
    cats = _categories(con, sources) if labels else pl.DataFrame(schema=CATEGORY_BITS_SCHEMA)
    join, join_args = "", []
    if cats.height:
        words = range((cats.height + 63) // 64)
        cols += [f"coalesce(m._labels{n}, 0)::UBIGINT AS _labels{n}" for n in words]
        masks = ", ".join(
            f"bit_or(CASE WHEN c.word = {n} THEN (1::UBIGINT << c.bit) ELSE 0::UBIGINT END) AS _labels{n}"
            for n in words
        )
        join = (
            f"LEFT JOIN (SELECT l.battle_id, {masks} FROM prompt_labels l JOIN (SELECT unnest(?::VARCHAR[]) AS "
            "labeler, unnest(?::VARCHAR[]) AS category, unnest(?::INTEGER[]) AS word, unnest(?::INTEGER[]) AS bit) c "
            "USING (labeler, category) WHERE l.value GROUP BY l.battle_id) m USING (battle_id) "
        )
        join_args = [
            cats["labeler"].to_list(),
            cats["category"].to_list(),
            [n // 64 for n in range(cats.height)],  # the word of each category, as _categories numbers them
            cats["bit"].to_list(),
        ]
    names = None
    if voter_codes:
        names = VoterIds(con, f"rating_voters_{next(_voter_tables)}")
        with _selecting():
            create_voter_codes(con, names.table, where, args)
        cols[cols.index("b.voter_id")] = "v.code AS voter_id"
        join += voter_code_join(con, names.table)
    battles = _fetch(
        con,
        f"SELECT {', '.join(cols)} FROM battles b {join}WHERE {where} ORDER BY b.battle_id",
        join_args + args,
        [c for c in CATEGORICAL_COLUMNS if not (voter_codes and c == "voter_id")],
    )
    return RatingInput(battles, cats, names)


def _as_enum(column: str, values: Sequence[str] | None) -> str:
    """``column`` cast to a DuckDB ENUM of ``values`` (sorted, distinct), named as the column; the plain column
    when there are none (an empty selection).

    >>> _as_enum("b.model_a", ["y", "x's", "y"])
    "CAST(b.model_a AS ENUM('x''s', 'y')) AS model_a"
    """
    if not values:
        return column
    labels = ", ".join(sql_str(v) for v in sorted(set(values)))
    return f"CAST({column} AS ENUM({labels})) AS {column.split('.')[-1]}"


#: Which bit of which ``_labels`` column of :func:`load_rating_input`'s battles marks a category.
CATEGORY_BITS_SCHEMA: dict[str, pl.DataType] = {
    "labeler": pl.String(),
    "category": pl.String(),
    "column": pl.String(),
    "bit": pl.Int32(),
}


def _categories(con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> pl.DataFrame:
    """Every (labeler, category) with a positive label on a battle of ``sources``, numbered in that order."""
    found = con.sql(
        "SELECT DISTINCT labeler, category FROM prompt_labels WHERE value AND battle_id IN "
        "(SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?))) ORDER BY 1, 2",
        params=[list(sources)],
    ).fetchall()
    return pl.DataFrame(
        {
            "labeler": [str(lab) for lab, _ in found],
            "category": [str(cat) for _, cat in found],
            "column": [f"_labels{n // 64}" for n in range(len(found))],
            "bit": [n % 64 for n in range(len(found))],
        },
        schema=CATEGORY_BITS_SCHEMA,
    )


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


def load_labels(con: duckdb.DuckDBPyConnection, sources: Sequence[str], labeler: str | None = None) -> pl.DataFrame:
    """Positive category labels of the battles of ``sources``: (battle_id, labeler, category). ``rate`` takes
    them as row numbers instead (:func:`load_rating_input`)."""
    sql = (
        "SELECT battle_id, labeler, category FROM prompt_labels WHERE value AND battle_id IN "
        "(SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?)))"
    )
    args: list[Any] = [list(sources)]
    if labeler:
        sql += " AND labeler = ?"
        args.append(labeler)
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
