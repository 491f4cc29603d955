"""Surges: a model winning (or losing) far more than the board predicts within a day -- a burst campaign's trace.

The campaign scan (:mod:`arenavotes.dedup.campaigns`) does not read timestamps; a campaign that casts its
votes in a burst leaves a second trace, in time. For every model and 24-hour window (from 00:00 and from 12:00
UTC, so that a burst across midnight falls whole into one) with at least ``min_votes`` of its battles, the residuals of its results against the board (Davidson fit on all votes: observed score
minus expected, ties one half) are summed and standardised, ``z = sum(score - E) / sqrt(sum Var)``, a
one-sided test per direction; Benjamini-Hochberg at ``fdr`` over every (model, window, direction) tested. The
battles of a surging window that went the surge's way get the informational flag ``rating_surge``
(campaign/surge@1; score = z): they are not left out of ratings, since honest voters voted on that day
too, but the flag says when to look. Needs timestamps; a source without them is skipped (the run says so).

A model that really changed (a new version behind the same name) surges as well: that is worth knowing
too, and the reason states the counts so that a reader can tell.

>>> import datetime as dt, polars as pl
>>> t0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
>>> day = [t0 + dt.timedelta(days=d % 10, minutes=d) for d in range(3000)]
>>> win = ["model_a" if (d // 10) % 2 else "model_b" for d in range(3000)]
>>> b = pl.DataFrame({"battle_id": [str(d) for d in range(3000)], "model_a": ["x", "y", "z"] * 1000,
...                   "model_b": ["y", "z", "x"] * 1000, "winner": win, "tstamp": day})
>>> burst = pl.DataFrame({"battle_id": [f"r{d}" for d in range(120)], "model_a": "x", "model_b": "y",
...                       "winner": "model_a", "tstamp": t0 + dt.timedelta(days=3, hours=1)})
>>> flags, stats = surges(pl.concat([b, burst]))
>>> flags["reason"].str.extract(r"^(\\S+ won \\d+)").unique().sort().to_list()  # x surged, y (its victim) sank
['x won 220', 'y won 100']
>>> stats["windows_found"]  # each in the windows from 00:00 and from 12:00 the day before
4
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from scipy.stats import norm

from arenavotes.dedup.fdr import bh
from arenavotes.dedup.flagging import empty, from_frame
from arenavotes.dedup.voters import davidson_board
from arenavotes.ratings.core import RatingParams, prepare_counts
from arenavotes.ratings.ties import outcome_probs_grads

DETECTOR = "campaign/surge@1"


def surges(battles: pl.DataFrame, fdr: float = 0.01, min_votes: int = 20) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Flags for battles on days when one of their models surged (see the module docstring), and stats."""
    b = battles.filter(pl.col("tstamp").is_not_null())
    if b.height == 0:
        return empty(), {"tested": 0, "windows_found": 0}
    c = prepare_counts(b, RatingParams())
    cells = np.stack([c.win_i, c.win_j, c.tie + c.bothbad], axis=1)
    fit = davidson_board(c.i, c.j, cells, c.n_models)
    if fit is None:
        return empty(), {"tested": 0, "windows_found": 0}
    theta, phi, _ = fit
    enum = pl.Enum(list(c.models))
    coded = b.select(
        "battle_id",
        "model_a",
        "model_b",
        "winner",
        t=pl.col("tstamp").dt.convert_time_zone("UTC"),
        a=pl.col("model_a").cast(enum).to_physical().cast(pl.Int64),
        bb=pl.col("model_b").cast(enum).to_physical().cast(pl.Int64),
    )
    probs, _ = outcome_probs_grads("davidson", theta[coded["a"].to_numpy()] - theta[coded["bb"].to_numpy()], phi)
    expect = probs[:, 0] + 0.5 * probs[:, 2]
    var = probs[:, 0] + 0.25 * probs[:, 2] - expect**2
    coded = coded.with_columns(
        res=(
            pl.when(pl.col("winner") == "model_a")
            .then(1.0)
            .when(pl.col("winner") == "model_b")
            .then(0.0)
            .otherwise(0.5)
            - pl.Series(expect)
        ),
        var=pl.Series(var),
    )
    one_side = ("battle_id", "t", "winner", "var")
    sides = pl.concat(
        [
            coded.select(*one_side, model="model_a", res="res", won=pl.lit("model_a")),
            coded.select(*one_side, model="model_b", res=-pl.col("res"), won=pl.lit("model_b")),
        ]
    )
    # 24-hour windows starting at 00:00 and at 12:00 UTC, so that a burst across midnight falls in one of them
    sides = pl.concat(
        [
            sides.with_columns(day=(pl.col("t") - pl.duration(hours=h)).dt.truncate("1d") + pl.duration(hours=h))
            for h in (0, 12)
        ]
    ).with_columns(day=pl.col("day").dt.strftime("%Y-%m-%d %H:%M"))
    cells_frame = (
        sides.group_by("model", "day")
        .agg(n=pl.len(), wins=(pl.col("winner") == pl.col("won")).sum(), s=pl.col("res").sum(), v=pl.col("var").sum())
        .filter(pl.col("n") >= min_votes)
        .with_columns(z=pl.col("s") / pl.col("v").clip(1e-12).sqrt())
        .sort("model", "day")
    )
    if cells_frame.height == 0:
        return empty(), {"tested": 0, "windows_found": 0}
    z = cells_frame["z"].to_numpy()
    p = np.r_[norm.sf(z), norm.cdf(z)]  # up, then down
    rej = bh(p, fdr)
    n = cells_frame.height
    found = pl.concat(
        [
            cells_frame.filter(pl.Series(rej[:n])).with_columns(direction=pl.lit("up")),
            cells_frame.filter(pl.Series(rej[n:])).with_columns(direction=pl.lit("down")),
        ]
    )
    stats = {"tested": 2 * n, "windows_found": found.height}
    if found.height == 0:
        return empty(), stats
    hit = sides.join(found.select("model", "day", "direction", "z", "n", "wins", "s"), on=["model", "day"]).filter(
        pl.when(pl.col("direction") == "up")
        .then(pl.col("winner") == pl.col("won"))
        .otherwise(pl.col("winner").is_in(["model_a", "model_b"]) & (pl.col("winner") != pl.col("won")))
    )
    hit = hit.with_columns(
        score=pl.col("z"),
        reason=pl.format(
            "{} won {} of its {} battles in the 24 hours from {} UTC: {} points of score {} the board's expectation "
            "(z={}, BH q={} over {} model-windows and directions)",
            "model",
            "wins",
            "n",
            "day",
            pl.col("s").abs().round(1),
            pl.when(pl.col("direction") == "up").then(pl.lit("above")).otherwise(pl.lit("below")),
            pl.col("z").round(1),
            pl.lit(fdr),
            pl.lit(2 * n),
        ),
    )
    # one flag per battle: the strongest of the surges it took part in
    hit = hit.sort(pl.col("z").abs(), "day", "model", descending=[True, False, False])
    return from_frame(
        hit.unique("battle_id", keep="first", maintain_order=True).sort("battle_id"), "rating_surge", DETECTOR
    ), stats
