"""What ``arenavotes p2l`` answers, from fitted strengths: a leaderboard per prompt, the model-swap question
and routing. Pure functions over arrays (the strengths and variances of :func:`arenavotes.p2l.index.predict`).

>>> import numpy as np
>>> theta = np.array([[0.5, 0.0], [-0.2, 0.1]])     # two prompts, two models
>>> var = np.full((2, 2), 0.01)
>>> b = boards(["p1", "p2"], ("x", "y"), theta, var, np.array([10.0, 3.0]))
>>> b.filter(b["id"] == "p1").select("model", "rank").rows()
[('x', 1), ('y', 2)]
>>> c = compare(("x", "y"), theta, var, current="x", candidate="y", ids=["p1", "p2"], seed=0)
>>> round(c["win_rate"], 3), c["worst"][0]["id"]
(0.476, 'p1')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from arenavotes.errors import UserError
from arenavotes.ratings.bt import ELO_SCALE, normal_quantile, sigmoid

#: mean rating of the overall board on the Elo scale
BASE = 1000.0


def elo(theta: np.ndarray) -> np.ndarray:
    return BASE + theta * ELO_SCALE


def boards(
    ids: Sequence[str],
    models: Sequence[str],
    theta: np.ndarray,
    var: np.ndarray,
    votes: np.ndarray,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """One row per (prompt, model): rating, interval, rank and the votes behind the prompt, best first.

    ``rank`` is LMArena's: 1 + the number of models whose whole interval lies above this model's."""
    z = normal_quantile(1 - alpha / 2)
    sd = np.sqrt(np.maximum(var, 0.0))
    lo, hi = elo(theta - z * sd), elo(theta + z * sd)
    rank = 1 + (lo[:, None, :] > hi[:, :, None]).sum(axis=2)
    q, m = len(ids), len(models)
    out = pl.DataFrame(
        {
            "id": np.repeat(np.asarray(ids, dtype=object), m).tolist(),
            "model": list(models) * q,
            "rating": elo(theta).reshape(-1),
            "lower": lo.reshape(-1),
            "upper": hi.reshape(-1),
            "rank": rank.reshape(-1).astype(np.int64),
            "votes": np.repeat(votes, m),
        },
        schema_overrides={"id": pl.String, "model": pl.String},
    )
    order = pl.DataFrame({"id": list(ids)}).with_row_index("_q")
    return (
        out.join(order, on="id", how="left").sort("_q", "rating", "model", descending=[False, True, False]).drop("_q")
    )


def _index(models: Sequence[str], name: str, what: str) -> int:
    try:
        return list(models).index(name)
    except ValueError:
        raise UserError(f"{what} '{name}' is not a model of this index", hint="models: " + ", ".join(models)) from None


def compare(
    models: Sequence[str],
    theta: np.ndarray,
    var: np.ndarray,
    *,
    current: str,
    candidate: str,
    ids: Sequence[str],
    seed: int = 0,
    rounds: int = 1000,
    alpha: float = 0.05,
    worst: int = 5,
) -> dict[str, Any]:
    """The predicted win rate of ``candidate`` over ``current`` on the prompt set: its mean, an interval
    (bootstrap over prompts, each prompt's strength difference drawn from its posterior), the per-prompt
    spread and the prompts where the switch is predicted to hurt most."""
    a, b = _index(models, current, "current model"), _index(models, candidate, "candidate model")
    diff = theta[:, b] - theta[:, a]
    sd = np.sqrt(np.maximum(var[:, a] + var[:, b], 0.0))
    p = sigmoid(diff)
    rng = np.random.default_rng(seed)
    n = len(p)
    pick = rng.integers(0, n, size=(rounds, n))
    draws = sigmoid(diff[pick] + sd[pick] * rng.standard_normal((rounds, n))).mean(axis=1)
    lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    order = np.lexsort((np.asarray(ids, dtype=object).astype(str), p))[:worst]
    return {
        "current": current,
        "candidate": candidate,
        "prompts": n,
        "win_rate": float(p.mean()),
        "interval": [float(lo), float(hi)],
        "per_prompt": {
            q: float(v) for q, v in zip(("p10", "p50", "p90"), np.quantile(p, [0.1, 0.5, 0.9]), strict=True)
        },
        "share_better": float((p > 0.5).mean()),
        "worst": [{"id": str(ids[i]), "win_rate": float(p[i])} for i in order],
    }


def route(
    models: Sequence[str],
    theta: np.ndarray,
    *,
    ids: Sequence[str],
    costs: Mapping[str, float] | None = None,
    max_cost: float | None = None,
) -> dict[str, Any]:
    """The best model for each prompt, and the expected win rate of routing that way against the best single
    model (the one of highest mean strength over the prompt set). With ``costs`` (per prompt) and
    ``max_cost``, models that cost more are not used; the mean cost of both choices is reported."""
    allowed = np.ones(len(models), dtype=bool)
    if costs is not None:
        unknown = sorted(set(costs) - set(models))
        if unknown:
            raise UserError(f"costs name models this index does not have: {', '.join(unknown)}")
        if max_cost is not None:
            allowed = np.array([costs.get(m, np.inf) <= max_cost for m in models])
    elif max_cost is not None:
        raise UserError("--max-cost needs --costs FILE")
    if not allowed.any():
        raise UserError(f"no model costs at most {max_cost}")
    t = np.where(allowed[None, :], theta, -np.inf)
    best = np.argmax(t, axis=1)
    single = int(np.argmax(np.where(allowed, theta.mean(axis=0), -np.inf)))
    gain = sigmoid(theta[np.arange(len(theta)), best] - theta[:, single])
    out: dict[str, Any] = {
        "prompts": len(theta),
        "best_single": models[single],
        "win_rate_vs_best_single": float(gain.mean()),
        "routes": {m: int(c) for m, c in zip(models, np.bincount(best, minlength=len(models)), strict=True) if c},
        "choice": [{"id": str(i), "model": models[b]} for i, b in zip(ids, best, strict=True)],
    }
    if costs is not None:
        price = np.array([costs.get(m, np.nan) for m in models])
        out["mean_cost"] = float(np.mean(price[best]))
        out["best_single_cost"] = float(price[single])
    return out
