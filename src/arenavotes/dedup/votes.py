"""Suspicious votes of one voter: repeats, votes faster than reading, and votes over a daily cap.

All need ``voter_id`` and ``tstamp``; a source without them gets no flags from here (the run
records that). Times are UTC.

* ``duplicate_vote`` (votes/duplicate@1, excluded by default): the same voter voting again on the
  same model pair (either order) and the same prompt within ``window`` seconds of their previous
  such vote; score = seconds since it.
* ``fast_vote`` (votes/fast@1, informational): a vote arriving sooner after the voter's previous vote
  than ``min_seconds`` plus the time to read both answers at ``read_tokens_per_second`` (when answer
  lengths are known); score = the gap in seconds.
* ``daily_cap`` (votes/daily-cap@1, informational): votes beyond the voter's ``cap``-th of a UTC day.

>>> import polars as pl, datetime as dt
>>> t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
>>> b = pl.DataFrame({"battle_id": ["1", "2"], "voter_id": ["v", "v"], "model_a": ["x", "y"],
...                   "model_b": ["y", "x"], "tstamp": [t0, t0 + dt.timedelta(seconds=30)],
...                   "tokens_a": [1000, 1000], "tokens_b": [1000, 1000]})
>>> print(fast_votes(b)["reason"][0])
30.0 s after the same voter's previous vote; reading both answers takes at least 43.0 s
"""

from __future__ import annotations

import numpy as np
import polars as pl

from arenavotes.dedup.flagging import BattleIds, empty, from_frame, row_ids
from arenavotes.dedup.keyed import duplicate_votes as duplicate_votes_sql
from arenavotes.dedup.keyed import in_memory
from arenavotes.dedup.voters import run_positions

_DAY_US = 86_400_000_000


def duplicate_votes(battles: pl.DataFrame, keys: pl.DataFrame, window: float = 3600.0) -> pl.DataFrame:
    """``keys``: battle_id -> prompt key (see :func:`arenavotes.dedup.prompts.keyed`); the SQL the stage runs over
    the workspace (:func:`arenavotes.dedup.keyed.duplicate_votes`), on frames."""
    k = battles.select("battle_id", "tstamp", "voter_id", "model_a", "model_b").join(
        keys.select("battle_id", "key"), on="battle_id"
    )
    with in_memory(k) as con:
        return duplicate_votes_sql(con, window=window)


def _voter_order(battles: pl.DataFrame, ids: BattleIds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of the battles with a voter and a time, ordered by voter, time and battle id, with each one's
    voter (as a number: the order of voters does not matter, only that a voter's votes are together) and time
    (microseconds since the epoch, UTC).

    Numbers only: a sorted copy of the battles, strings included, and a Polars window over it were 0.6-0.8 GB
    each for the fast and daily-cap checks at 5M battles. Battle ids are compared only where a voter voted
    twice at the same moment, and ``ids`` (:func:`~arenavotes.dedup.flagging.row_ids`) gives only theirs."""
    voter = pl.col("voter_id")
    dtype = battles.schema["voter_id"]
    if not (dtype.is_integer() or isinstance(dtype, pl.Categorical | pl.Enum)):
        voter = voter.cast(pl.String).cast(pl.Categorical)
    coded = battles.select(
        v=voter.to_physical().cast(pl.Int64),
        t=pl.col("tstamp").dt.epoch("us"),
        ok=pl.col("voter_id").is_not_null() & pl.col("tstamp").is_not_null(),
    )
    rows = np.flatnonzero(coded["ok"].to_numpy())
    v = coded["v"].to_numpy()[rows]
    t = coded["t"].to_numpy()[rows]
    del coded
    order = np.lexsort((t, v))
    rows, v, t = rows[order], v[order], t[order]
    del order
    same = np.flatnonzero((v[1:] == v[:-1]) & (t[1:] == t[:-1]))  # a vote cast at the moment of the one before
    if len(same):
        tied = np.unique(np.r_[same, same + 1])  # positions in a run of equal (voter, time)
        vt, tt = v[tied], t[tied]
        # a run starts after a gap in positions or where the voter or the time changes (two runs can touch)
        run = np.cumsum(np.r_[True, (np.diff(tied) != 1) | (vt[1:] != vt[:-1]) | (tt[1:] != tt[:-1])])
        ties = pl.DataFrame({"run": run, "row": rows[tied], "battle_id": ids(rows[tied])})
        rows[tied] = ties.sort(["run", "battle_id"])["row"].to_numpy()
    return rows, v, t


def _gaps(v: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since the same voter's previous vote (whole milliseconds, as Polars' ``total_milliseconds``),
    and where there is one."""
    has_prev = np.r_[False, v[1:] == v[:-1]]
    gap = np.zeros(len(t))
    # times 0.001, as Polars divides a chunk of more than one row by 1000.0 (a true division can differ in the last
    # bit, and Polars gives one for a chunk of one row: see arenavotes.dedup.keyed.duplicate_votes)
    gap[1:] = ((t[1:] - t[:-1]) // 1000) * 0.001
    return gap, has_prev


def fast_votes(
    battles: pl.DataFrame,
    min_seconds: float = 3.0,
    read_tokens_per_second: float = 50.0,
    battle_ids: BattleIds | None = None,
) -> pl.DataFrame:
    """Votes faster than reading (see the module docstring). ``battle_ids``: the flagged rows' ids, for a frame
    without a ``battle_id`` column (:func:`~arenavotes.dedup.flagging.row_ids`)."""
    ids = row_ids(battles, battle_ids)
    rows, v, t = _voter_order(battles, ids)
    if len(rows) == 0:
        return empty()
    gap, has_prev = _gaps(v, t)
    del v, t
    if "tokens_a" in battles.columns:
        tokens = battles.select((pl.col("tokens_a").fill_null(0) + pl.col("tokens_b").fill_null(0)).cast(pl.Float64))[
            :, 0
        ].to_numpy()[rows]
    else:
        tokens = np.zeros(len(rows))
    need = min_seconds + tokens / read_tokens_per_second
    del tokens
    hit = np.flatnonzero(has_prev & (gap < need))
    if len(hit) == 0:
        return empty()
    d = pl.DataFrame({"battle_id": ids(rows[hit]), "gap": gap[hit], "need": need[hit]})
    return from_frame(
        d.with_columns(
            score=pl.col("gap"),
            reason=pl.format(
                "{} s after the same voter's previous vote; reading both answers takes at least {} s",
                pl.col("gap").round(1),
                pl.col("need").round(1),
            ),
        ),
        "fast_vote",
        "votes/fast@1",
    )


def daily_cap(battles: pl.DataFrame, cap: int = 50, battle_ids: BattleIds | None = None) -> pl.DataFrame:
    """Votes beyond a voter's ``cap``-th of a UTC day. ``battle_ids``: as for :func:`fast_votes`."""
    ids = row_ids(battles, battle_ids)
    rows, v, t = _voter_order(battles, ids)
    if len(rows) == 0:
        return empty()
    day = t // _DAY_US  # the UTC date, as days since 1970-01-01
    del t
    nth = run_positions(np.r_[True, (v[1:] != v[:-1]) | (day[1:] != day[:-1])]) + 1  # the vote's number that day
    del v
    hit = np.flatnonzero(nth > cap)
    if len(hit) == 0:
        return empty()
    d = pl.DataFrame(
        {
            "battle_id": ids(rows[hit]),
            "nth": nth[hit],
            "day": pl.Series(day[hit]).cast(pl.Int32).cast(pl.Date),
        }
    )
    return from_frame(
        d.with_columns(
            score=pl.col("nth").cast(pl.Float64),
            reason=pl.format("vote {} of this voter on {} (cap {})", "nth", "day", pl.lit(cap)),
        ),
        "daily_cap",
        "votes/daily-cap@1",
    )
