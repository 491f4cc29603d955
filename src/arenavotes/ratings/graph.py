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

from typing import TYPE_CHECKING

import numpy as np

from arenavotes.errors import UserError

if TYPE_CHECKING:
    from arenavotes.ratings.counts import PairCounts


class DisconnectedError(UserError):
    pass


class InfiniteRatingError(DisconnectedError):
    """The graph is connected, but some model (or group) never lost or never won: the MLE is infinite, and
    a ridge makes it finite."""


def connected_labels(i: np.ndarray, j: np.ndarray, k: int) -> np.ndarray:
    """The connected group of each of ``k`` nodes given undirected edges ``(i, j)``, numbered 0, 1, ... in the
    order of each group's first node (the numbering of ``scipy.sparse.csgraph.connected_components``).

    Vectorised in numpy (each group's root hooked to its smallest neighbouring root, then paths halved until
    every node points at its root), so the ratings need no scipy at start-up; rounds grow with the log of the
    graph's diameter, each O(edges).

    >>> connected_labels(np.array([0, 3]), np.array([2, 4]), 5).tolist()
    [0, 1, 0, 2, 2]
    """
    root = np.arange(k)
    i, j = np.asarray(i, dtype=np.intp), np.asarray(j, dtype=np.intp)
    while True:
        ri, rj = root[i], root[j]
        low = np.minimum(ri, rj)
        hooked = root.copy()
        np.minimum.at(hooked, ri, low)
        np.minimum.at(hooked, rj, low)
        while True:  # point every node at its root
            up = hooked[hooked]
            if np.array_equal(up, hooked):
                break
            hooked = up
        if np.array_equal(hooked, root):
            break
        root = hooked
    return np.unique(root, return_inverse=True)[1].reshape(-1)


def _reaches_all(k: int, src: np.ndarray, dst: np.ndarray) -> bool:
    """Whether node 0 reaches every node along the directed edges ``src -> dst`` (breadth first, in numpy)."""
    seen = np.zeros(k, dtype=bool)
    seen[0] = True
    frontier = seen.copy()
    while frontier.any():
        step = np.zeros(k, dtype=bool)
        step[dst[frontier[src]]] = True
        frontier = step & ~seen
        seen |= frontier
    return bool(seen.all())


def _beats(c: PairCounts, ties_count: bool) -> tuple[np.ndarray, np.ndarray]:
    """Directed edges i -> j where i beat (or, if ``ties_count``, tied) j."""
    t = (c.tie + c.bothbad) if ties_count else 0.0
    beats_ij = (c.win_i + t) > 0
    beats_ji = (c.win_j + t) > 0
    return np.concatenate([c.i[beats_ij], c.j[beats_ji]]), np.concatenate([c.j[beats_ij], c.i[beats_ji]])


def components(c: PairCounts, strong: bool = False, ties_count: bool = True) -> list[list[str]]:
    """Groups of models (largest first). ``strong``: i -> j when i beat (or, if ``ties_count``, tied) j."""
    k = c.n_models
    if strong:
        from scipy.sparse import coo_matrix  # only when a graph is not strongly connected: an error's details
        from scipy.sparse.csgraph import connected_components

        rows, cols = _beats(c, ties_count)
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(k, k))
        n, labels = connected_components(graph, directed=True, connection="strong")
    else:
        keep = c.total > 0
        labels = connected_labels(c.i[keep], c.j[keep], k)
        n = int(labels.max(initial=-1)) + 1
    groups = [[c.models[m] for m in np.flatnonzero(labels == g)] for g in range(n)]
    return sorted(groups, key=lambda g: (-len(g), g))


def strongly_connected(c: PairCounts, ties_count: bool = True) -> bool:
    """Whether every model beat (or tied) its way to every other: each reaches all along "beat" edges and
    is reached by all (two breadth-first searches from the first model)."""
    rows, cols = _beats(c, ties_count)
    k = c.n_models
    return k <= 1 or (_reaches_all(k, rows, cols) and _reaches_all(k, cols, rows))


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
    if ridge > 0 or strongly_connected(c, ties_count):
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
