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

from arenavotes.dedup.fdr import bh
from arenavotes.dedup.flagging import BattleIds, empty, from_frame, row_ids
from arenavotes.dedup.voters import davidson_board, sums_by_key
from arenavotes.ratings.counts import PairCounts
from arenavotes.ratings.ties import outcome_probs_grads
from arenavotes.vocab import WINNERS

DETECTOR = "campaign/surge@1"
#: battles whose board probabilities are held at once
BLOCK = 1_000_000
_A_WON, _B_WON = WINNERS.index("model_a"), WINNERS.index("model_b")
_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US


def surges(
    battles: pl.DataFrame, fdr: float = 0.01, min_votes: int = 20, battle_ids: BattleIds | None = None
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Flags for battles on days when one of their models surged (see the module docstring), and stats.
    ``battle_ids``: the flagged rows' ids, for a frame without a ``battle_id`` column
    (:func:`~arenavotes.dedup.flagging.row_ids`)."""
    ids = row_ids(battles, battle_ids)
    # a filtered copy only when a battle has no time (a filter copies every column: 0.3 GB at 5M battles), and
    # then the filtered rows' positions in ``battles``, to name the flagged ones
    timed = None
    if battles["tstamp"].null_count():
        timed = np.flatnonzero(battles["tstamp"].is_not_null().to_numpy())
        b = battles.filter(pl.col("tstamp").is_not_null())
    else:
        b = battles
    if b.height == 0:
        return empty(), {"tested": 0, "windows_found": 0}
    c = PairCounts.from_battles(b)  # not prepare_counts: its memo would keep the frame alive
    cells = np.stack([c.win_i, c.win_j, c.tie + c.bothbad], axis=1)
    fit = davidson_board(c.i, c.j, cells, c.n_models)
    if fit is None:
        return empty(), {"tested": 0, "windows_found": 0}
    theta, phi, _ = fit
    # each battle twice, once per side, as numbers only (no ids, names or day strings: at 5M battles the
    # frames of strings were 3.5 GB); names and days become text for the few windows that surge
    coded = b.select(
        t=pl.col("tstamp").dt.convert_time_zone("UTC"),
        a=pl.col("model_a").cast(pl.Enum(list(c.models))).to_physical(),
        bb=pl.col("model_b").cast(pl.Enum(list(c.models))).to_physical(),
        o=pl.col("winner").cast(pl.Enum(WINNERS)).to_physical(),
    )
    a, bb, o = (coded[col].to_numpy() for col in ("a", "bb", "o"))
    n = len(o)
    # side a's residual and variance, a block of battles at a time (all at once, with the copies np.r_ made, were
    # +1.2 GB at 5M battles); side b's are their negation and the same variance, so they are not stored: a frame
    # of both sides' columns was 0.38 GB at 5M battles
    res, var = np.empty(n), np.empty(n)
    for lo in range(0, n, BLOCK):
        hi = min(lo + BLOCK, n)
        probs, _ = outcome_probs_grads("davidson", theta[a[lo:hi]] - theta[bb[lo:hi]], phi)
        expect = probs[:, 0] + 0.5 * probs[:, 2]
        var[lo:hi] = probs[:, 0] + 0.25 * probs[:, 2] - expect**2
        ob = o[lo:hi]
        res[lo:hi] = np.where(ob == _A_WON, 1.0, np.where(ob == _B_WON, 0.0, 0.5)) - expect
        del probs, expect
    won = (o == _A_WON, o == _B_WON)  # side a, side b
    decisive = won[0] | won[1]
    del o
    t_us = coded["t"].dt.epoch("us").to_numpy()
    del coded
    k = max(c.n_models, 1)
    sides = (a, bb)

    def window_of(h: int) -> np.ndarray:
        """Each battle's 24-hour window (its start, in days of microseconds since the epoch, UTC, offset by h hours);
        windows start at 00:00 (h=0) and at 12:00 (h=12), so that a burst across midnight falls in one of them."""
        return (t_us - h * _HOUR_US) // _DAY_US

    def both_sides(side_a: np.ndarray, side_b: np.ndarray | None = None) -> np.ndarray:
        """Side a's values then side b's (default: side a's negated), written into one array."""
        out = np.empty(2 * n)
        out[:n] = side_a
        if side_b is None:
            np.negative(side_a, out=out[n:])
        else:
            out[n:] = side_b
        return out

    def window_cells(h: int) -> pl.DataFrame:
        """Per (model, window): battles, wins and the sums of residuals and variances over both sides, side a's
        rows then side b's (in row order, see :func:`arenavotes.dedup.voters.sums_by_key`: a hash group-by changed
        the last bits of z from run to run). Keys count from 0 (the first window), so that they are counted into
        slots without a copy."""
        window = window_of(h)
        first = int(window.min())
        window -= first
        window *= k
        keys = np.empty(2 * n, dtype=np.int64)
        np.add(window, a, out=keys[:n])
        np.add(window, bb, out=keys[n:])
        del window
        keys, sums = sums_by_key(
            keys,
            {
                "n": None,
                "wins": lambda: both_sides(won[0], won[1]),
                "s": lambda: both_sides(res),
                "v": lambda: both_sides(var, var),
            },
        )
        off = h * _HOUR_US
        return pl.DataFrame(
            {
                "model": keys % k,
                "day": (keys // k + first) * _DAY_US + off,
                "n": sums["n"].astype(np.int64),
                "wins": sums["wins"].astype(np.int64),
                "s": sums["s"],
                "v": sums["v"],
            }
        )

    def found_sides(h: int, found: pl.DataFrame) -> pl.DataFrame:
        """The sides of battles in the windows ``found`` (model, day) of offset h: row, model, day, won, decisive."""
        off = h * _HOUR_US
        wanted = ((found["day"].to_numpy() - off) // _DAY_US) * k + found["model"].to_numpy()
        window = window_of(h)
        parts = []
        for side in (0, 1):
            r = np.flatnonzero(np.isin(window * k + sides[side], wanted))
            parts.append(
                pl.DataFrame(
                    {
                        "r": r.astype(np.uint32),
                        "model": sides[side][r].astype(np.int64),
                        "day": window[r] * _DAY_US + off,
                        "won": won[side][r],
                        "decisive": decisive[r],
                    }
                )
            )
        return pl.concat(parts)

    cells_frame = (
        pl.concat([window_cells(h) for h in (0, 12)])
        .filter(pl.col("n") >= min_votes)
        .with_columns(
            z=pl.col("s") / pl.col("v").clip(1e-12).sqrt(),
            name=pl.col("model").replace_strict(dict(enumerate(c.models)), return_dtype=pl.String),
            when=pl.from_epoch("day", time_unit="us").dt.strftime("%Y-%m-%d %H:%M"),
        )
        .sort("name", "when")
    )
    if cells_frame.height == 0:
        return empty(), {"tested": 0, "windows_found": 0}
    z = cells_frame["z"].to_numpy()
    from scipy.stats import norm  # here, not at import: see campaigns.logsumexp

    p = np.r_[norm.sf(z), norm.cdf(z)]  # up, then down
    rej = bh(p, fdr)
    n = cells_frame.height
    found = pl.concat(
        [
            cells_frame.filter(pl.Series(rej[:n])).with_columns(direction=pl.lit("up")),
            cells_frame.filter(pl.Series(rej[n:])).with_columns(direction=pl.lit("down")),
        ]
    ).select("model", "day", "name", "when", "direction", "z", "n", "wins", "s")
    stats = {"tested": 2 * n, "windows_found": found.height}
    if found.height == 0:
        return empty(), stats
    up = pl.col("direction") == "up"
    hit = pl.concat(
        [
            found_sides(h, found)
            .join(found, on=["model", "day"])
            .filter(pl.when(up).then("won").otherwise(pl.col("decisive") & ~pl.col("won")))
            for h in (0, 12)
        ]
    )
    r = hit["r"].to_numpy()
    hit = hit.with_columns(
        battle_id=ids(r if timed is None else timed[r]),
        score=pl.col("z"),
        reason=pl.format(
            "{} won {} of its {} battles in the 24 hours from {} UTC: {} points of score {} the board's expectation "
            "(z={}, BH q={} over {} model-windows and directions)",
            "name",
            "wins",
            "n",
            "when",
            pl.col("s").abs().round(1),
            pl.when(up).then(pl.lit("above")).otherwise(pl.lit("below")),
            pl.col("z").round(1),
            pl.lit(fdr),
            pl.lit(2 * n),
        ),
    )
    # one flag per battle: the strongest of the surges it took part in
    hit = hit.sort(pl.col("z").abs(), "when", "name", descending=[True, False, False])
    return from_frame(
        hit.unique("battle_id", keep="first", maintain_order=True).sort("battle_id"), "rating_surge", DETECTOR
    ), stats
