"""Comparison-graph checks: a Bradley-Terry rating exists only where models are comparable.

* Disconnected graph (two groups of models that never met, directly or through others): ratings
  in different groups are not comparable -> :class:`DisconnectedError` naming the groups.
* Connected but not strongly connected under the chosen tie policy (e.g. a model that never lost):
  the MLE is infinite -> :class:`InfiniteRatingError` (a kind of the same error), naming the models and
  the way out (a ridge).

>>> import numpy as np
>>> from arenavotes.ratings.counts import PairCounts
>>> c = PairCounts(("a", "b", "c", "d"), np.array([0, 2]), np.array([1, 3]), np.ones(2), np.ones(2),
...                np.zeros(2), np.zeros(2))
>>> components(c)
[['a', 'b'], ['c', 'd']]
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from arenavotes.errors import UserError
from arenavotes.ratings.counts import PairCounts


class DisconnectedError(UserError):
    pass


class InfiniteRatingError(DisconnectedError):
    """The graph is connected, but some model (or group) never lost or never won: the MLE is infinite, and
    a ridge makes it finite."""


def components(c: PairCounts, strong: bool = False, ties_count: bool = True) -> list[list[str]]:
    """Groups of models (largest first). ``strong``: i -> j when i beat (or, if ``ties_count``, tied) j."""
    k = c.n_models
    if strong:
        t = (c.tie + c.bothbad) if ties_count else 0.0
        beats_ij = (c.win_i + t) > 0
        beats_ji = (c.win_j + t) > 0
        rows = np.concatenate([c.i[beats_ij], c.j[beats_ji]])
        cols = np.concatenate([c.j[beats_ij], c.i[beats_ji]])
    else:
        keep = c.total > 0
        rows, cols = c.i[keep], c.j[keep]
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(k, k))
    n, labels = connected_components(graph, directed=strong, connection="strong")
    groups = [[c.models[m] for m in np.flatnonzero(labels == g)] for g in range(n)]
    return sorted(groups, key=lambda g: (-len(g), g))


def groups_by_battles(c: PairCounts) -> list[list[str]]:
    """The connected groups of models, the group with the most battles first (then by name): the order in
    which leaderboards number them (``component`` 1, 2, ...) and reports pick their main board."""
    per_model = dict(zip(c.models, c.battles_per_model().tolist(), strict=True))
    return sorted(components(c), key=lambda g: (-sum(per_model[m] for m in g), g))


def check_connected(c: PairCounts, *, ridge: float = 0.0, ties_count: bool = True) -> None:
    """Raise a clear error when the ratings would not exist (see the module docstring)."""
    groups = components(c)
    if len(groups) > 1:
        small = "; ".join(", ".join(g[:4]) + (" ..." if len(g) > 4 else "") for g in groups[1:4])
        raise DisconnectedError(
            f"the comparison graph has {len(groups)} disconnected groups of models: ratings across them are "
            f"not comparable (largest has {len(groups[0])} models; others: {small})",
            hint="rate each group separately (e.g. by --source) or collect battles that connect them",
        )
    if ridge > 0:
        return
    strong = components(c, strong=True, ties_count=ties_count)
    if len(strong) > 1:
        t = (c.tie + c.bothbad) if ties_count else np.zeros(len(c.i))
        k = c.n_models
        won = np.bincount(c.i, c.win_i + t, k) + np.bincount(c.j, c.win_j + t, k)
        lost = np.bincount(c.i, c.win_j + t, k) + np.bincount(c.j, c.win_i + t, k)
        never_lost = [c.models[m] for m in np.flatnonzero(lost == 0)]
        never_won = [c.models[m] for m in np.flatnonzero(won == 0)]
        parts = []
        if never_lost:
            parts.append(f"{', '.join(never_lost[:5])} never lost")
        if never_won:
            parts.append(f"{', '.join(never_won[:5])} never won")
        if not parts:
            parts.append(
                f"{', '.join(m for g in strong[1:] for m in g[:5])} never lost (or never won) against "
                "the rest as a group"
            )
        raise InfiniteRatingError(
            "; ".join(parts) + ", so the maximum-likelihood rating is infinite",
            hint="add a small ridge (--reg 0.01), rate a larger set of battles, or drop those models",
        )
