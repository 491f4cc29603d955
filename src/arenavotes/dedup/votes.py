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

import polars as pl

from arenavotes.dedup.flagging import empty, from_frame


def _timed(battles: pl.DataFrame) -> pl.DataFrame:
    return battles.filter(pl.col("voter_id").is_not_null() & pl.col("tstamp").is_not_null()).sort(
        ["voter_id", "tstamp", "battle_id"]
    )


def duplicate_votes(battles: pl.DataFrame, keys: pl.DataFrame, window: float = 3600.0) -> pl.DataFrame:
    """``keys``: battle_id -> prompt key (see :func:`arenavotes.dedup.prompts.keyed`)."""
    b = _timed(battles.join(keys.select("battle_id", "key"), on="battle_id"))
    if b.height == 0:
        return empty()
    b = b.with_columns(lo=pl.min_horizontal("model_a", "model_b"), hi=pl.max_horizontal("model_a", "model_b"))
    b = b.with_columns(
        gap=(pl.col("tstamp") - pl.col("tstamp").shift(1)).dt.total_milliseconds().over("voter_id", "lo", "hi", "key")
        / 1000.0,
        prev=pl.col("battle_id").shift(1).over("voter_id", "lo", "hi", "key"),
    )
    d = b.filter(pl.col("gap").is_not_null() & (pl.col("gap") <= window))
    if d.height == 0:
        return empty()
    return from_frame(
        d.with_columns(
            score=pl.col("gap"),
            reason=pl.format("same voter, same models and prompt as {}, {} s earlier", "prev", pl.col("gap").round(1)),
        ),
        "duplicate_vote",
        "votes/duplicate@1",
    )


def fast_votes(battles: pl.DataFrame, min_seconds: float = 3.0, read_tokens_per_second: float = 50.0) -> pl.DataFrame:
    b = _timed(battles)
    if b.height == 0:
        return empty()
    tokens = (
        (pl.col("tokens_a").fill_null(0) + pl.col("tokens_b").fill_null(0)) if "tokens_a" in b.columns else pl.lit(0)
    )
    b = b.with_columns(
        gap=(pl.col("tstamp") - pl.col("tstamp").shift(1)).dt.total_milliseconds().over("voter_id") / 1000.0,
        need=pl.lit(min_seconds) + tokens / read_tokens_per_second,
    )
    d = b.filter(pl.col("gap").is_not_null() & (pl.col("gap") < pl.col("need")))
    if d.height == 0:
        return empty()
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


def daily_cap(battles: pl.DataFrame, cap: int = 50) -> pl.DataFrame:
    b = _timed(battles)
    if b.height == 0:
        return empty()
    b = b.with_columns(day=pl.col("tstamp").dt.convert_time_zone("UTC").dt.date()).with_columns(
        nth=pl.int_range(1, pl.len() + 1).over("voter_id", "day")
    )
    d = b.filter(pl.col("nth") > cap)
    if d.height == 0:
        return empty()
    return from_frame(
        d.with_columns(
            score=pl.col("nth").cast(pl.Float64),
            reason=pl.format("vote {} of this voter on {} (cap {})", "nth", "day", pl.lit(cap)),
        ),
        "daily_cap",
        "votes/daily-cap@1",
    )
