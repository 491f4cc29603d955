"""Compatibility modes: reproduce other tools' published numbers on the same battles.

``fastchat-2024``
    FastChat's ``compute_elo_mle_with_tie`` as its Jan-Mar 2024 leaderboards (and GenAI-Arena) used it:
    every battle duplicated, a tie (and both-bad) is one win in the first copy and one loss in the second,
    design entries +-ln 10, no intercept, scikit-learn ``LogisticRegression`` defaults (L2 with C = 1,
    lbfgs, tol 1e-4, 100 iterations, loss averaged over rows), start at 0, rating = 1000 + 400 coef,
    llama-13b pinned to 800 when present. Reproduced with SciPy's L-BFGS-B on the same objective
    (aggregated rows, so no 2N x K design matrix): the early stop is part of the published numbers.
    FastChat kept battles of a model against itself; its design-matrix assignment made such a row a
    battle against a phantom at 0. They are accepted here too (ingest quarantines them, so a workspace
    run differs from a raw-file run by that row).
``arena-rank``
    LMArena's arena-rank 0.1.1 ``BradleyTerry`` with sandwich intervals: exact MLE (ties and both-bad
    as half wins), covariance ``(H + 1e-5 N I)^-1 G (H + 1e-5 N I)^-1``. arena-rank's own L-BFGS stops
    early (up to 16 points off the MLE for a model with 2 battles); this mode matches its fit run to
    convergence.
``evalica``
    evalica 0.4.2 ``bradley_terry`` (ties as half wins, converged MLE); :attr:`Ratings.scores` holds its
    strengths normalised to sum 1 (aligned with ``models``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from arenavotes.errors import UserError
from arenavotes.ratings.bt import ELO_SCALE
from arenavotes.ratings.core import COMPAT_FITS, RatingParams, Ratings, finish, fit_counts, prepare_counts, sandwich_cov
from arenavotes.ratings.graph import check_connected
from arenavotes.vocab import COMPAT_MODES

LN10 = float(np.log(10.0))


def rate_compat(battles: pl.DataFrame, params: RatingParams) -> Ratings:
    if params.compat == "fastchat-2024":
        return _fastchat(battles, params)
    if params.compat in ("arena-rank", "evalica"):
        base = dataclasses.replace(params, compat=None, ties="half", bothbad="tie", reg=0.0)
        c = prepare_counts(battles, base)
        check_connected(c)
        theta, _ = fit_counts(c, base)
        if params.compat == "arena-rank":
            cov = sandwich_cov(c, theta, base, None, ridge=1e-5 * float(c.total.sum()))
            r = finish(
                c,
                theta,
                dataclasses.replace(base, ci="sandwich"),
                cov=cov,
                boot_theta=None,
                extra=None,
                method="compat/arena-rank/sandwich",
            )
        else:
            r = finish(
                c,
                theta,
                dataclasses.replace(base, ci="none"),
                cov=None,
                boot_theta=None,
                extra=None,
                method="compat/evalica",
            )
            strength = np.exp(theta - theta.max())
            r = dataclasses.replace(r, scores=strength / strength.sum())
        return dataclasses.replace(r, params=params)
    raise UserError(f"unknown compatibility mode '{params.compat}'", hint=f"one of {', '.join(COMPAT_MODES)}")


def fastchat_2024_ratings(battles: pl.DataFrame, c_inv: float = 1.0) -> dict[str, float]:
    """Ratings exactly as FastChat's 2024 ``compute_elo_mle_with_tie`` (see the module docstring)."""
    b = battles.select("model_a", "model_b", "winner")
    models = pl.concat([b["model_a"], b["model_b"]]).unique(maintain_order=True).to_list()
    enum = pl.Enum(models)
    # rows of the duplicated design: (a, b, y, count); a tie gives one y=1 and one y=0 row
    g = (
        b.with_columns(
            a=pl.col("model_a").cast(enum).to_physical().cast(pl.Int64),
            bb=pl.col("model_b").cast(enum).to_physical().cast(pl.Int64),
        )
        .group_by("a", "bb", "winner")
        .len()
    )
    win_a = g["winner"] == "model_a"
    tie = g["winner"].is_in(["tie", "tie_bothbad", "tie (bothbad)", "both_bad"])
    ones = (2 * win_a.cast(pl.Int64) + tie.cast(pl.Int64)) * g["len"]
    zeros = 2 * g["len"] - ones
    a, bb = g["a"].to_numpy(), g["bb"].to_numpy()
    same = a == bb
    y1, y0 = ones.to_numpy().astype(float), zeros.to_numpy().astype(float)
    n_rows = float(2 * b.height)
    k = len(models)
    l2 = 1.0 / (c_inv * n_rows)

    def f(beta: np.ndarray) -> tuple[float, np.ndarray]:
        # z = ln10 (beta_a - beta_b); FastChat's self-battle row has only -ln10 at the model
        z = np.where(same, -LN10 * beta[bb], LN10 * (beta[a] - beta[bb]))
        loss = y1 * (np.logaddexp(0, z) - z) + y0 * np.logaddexp(0, z)
        r = (y1 + y0) / (1 + np.exp(-z)) - y1  # d loss / d z
        grad = LN10 * (np.bincount(a, np.where(same, 0, r), k) - np.bincount(bb, r, k))
        return float(loss.sum() / n_rows + 0.5 * l2 * beta @ beta), grad / n_rows + l2 * beta

    from scipy.optimize import minimize  # only the compat fits need it; imported here to keep start-up quick

    res = minimize(
        f,
        np.zeros(k),
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": 100, "maxls": 50, "gtol": 1e-4, "ftol": 64 * np.finfo(float).eps},
    )
    elo = 1000.0 + 400.0 * res.x
    if "llama-13b" in models:
        elo += 800.0 - elo[models.index("llama-13b")]
    return dict(zip(models, elo.tolist(), strict=True))


def _fastchat(battles: pl.DataFrame, params: RatingParams) -> Ratings:
    ratings = fastchat_2024_ratings(battles)
    clean = battles.filter(pl.col("model_a") != pl.col("model_b"))
    c = prepare_counts(clean, dataclasses.replace(params, bothbad="tie"))
    theta = np.array([(ratings[m] - 1000.0) / ELO_SCALE for m in c.models])
    cov = None
    if params.ci != "none":
        # intervals: the sandwich of the same (ridged, duplicated) objective at its optimum
        p = dataclasses.replace(params, compat=None, ties="half", bothbad="tie", reg=1.0 / LN10**2 / 2)
        cov = sandwich_cov(c, theta, p, None)
    params_used = dataclasses.replace(params, ci="sandwich" if cov is not None else "none")
    r = finish(
        c,
        theta,
        dataclasses.replace(params_used, compat=None, anchor=None),
        cov=cov,
        boot_theta=None,
        extra=None,
        method="compat/fastchat-2024",
    )
    # keep FastChat's own gauge (ratings as fitted, llama-13b at 800 when present)
    shift = np.array([ratings[m] for m in c.models]) - r.rating
    return dataclasses.replace(
        r, rating=r.rating + shift, ci_lower=r.ci_lower + shift, ci_upper=r.ci_upper + shift, params=params
    )


for _mode in COMPAT_MODES:
    COMPAT_FITS[_mode] = rate_compat
