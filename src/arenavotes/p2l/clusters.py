"""How much the leaderboard changes across kinds of prompts: prompt clusters and a board for each.

Prompts are grouped by k-means on the shared encoder's vectors (seeded k-means++, cosine geometry); each
cluster's board is the Bradley-Terry fit of its votes with a prior toward the overall board (as a
prompt-to-leaderboard query whose neighbourhood is the cluster), so small clusters stay near the overall
board. Each cluster is named by words that many of its prompts use and the others use less (only words
found in at least :data:`MIN_PROMPTS_PER_WORD` prompts of the cluster, so no single prompt's words are shown).

>>> import numpy as np, polars as pl
>>> x = np.vstack([np.tile([1.0, 0.0], (30, 1)), np.tile([0.0, 1.0], (30, 1))]).astype(np.float32)
>>> labels = kmeans(x, 2, seed=0)
>>> sorted(np.bincount(labels).tolist())
[30, 30]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import polars as pl

from arenavotes.p2l.fit import fit_queries
from arenavotes.p2l.index import overall_board, pair_counts
from arenavotes.ratings.bt import ELO_SCALE

#: a word names a cluster only if this many of its prompts use it
MIN_PROMPTS_PER_WORD = 5
#: prior precision of a cluster's board toward the overall board (natural units: a prior sd of 55 Elo points)
CLUSTER_PRIOR = 10.0
#: clusters have at least this many prompts on average
MIN_CLUSTER_PROMPTS = 20
STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "you",
        "that",
        "this",
        "with",
        "are",
        "can",
        "what",
        "how",
        "your",
        "have",
        "from",
        "not",
        "but",
        "about",
        "was",
        "will",
        "which",
        "when",
        "there",
        "their",
        "they",
        "them",
        "then",
        "than",
        "into",
        "more",
        "some",
        "like",
        "just",
        "also",
        "would",
        "could",
        "should",
        "please",
        "give",
        "make",
        "write",
        "tell",
        "does",
        "each",
        "other",
        "only",
        "very",
        "any",
        "all",
        "has",
        "had",
        "its",
        "been",
        "being",
        "were",
        "who",
        "why",
        "where",
        "our",
        "out",
        "use",
        "using",
        "used",
        "one",
        "two",
        "get",
        "let",
        "want",
        "need",
        "know",
    ]
)
WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
#: longer runs of letters (a sentence in a script written without spaces) are not names
MAX_WORD = 20


def kmeans(x: np.ndarray, c: int, seed: int = 0, iters: int = 50) -> np.ndarray:
    """Cluster labels of the rows of ``x`` (unit vectors): k-means++ seeding, Lloyd steps, deterministic."""
    n = len(x)
    c = max(1, min(c, n))
    rng = np.random.default_rng(seed)
    centres = [int(rng.integers(n))]
    d2 = np.full(n, np.inf)
    for _ in range(1, c):
        d2 = np.minimum(d2, np.sum((x - x[centres[-1]]) ** 2, axis=1))
        total = float(d2.sum())
        centres.append(int(rng.choice(n, p=d2 / total)) if total > 0 else int(rng.integers(n)))
    mu = x[centres].astype(np.float64)
    labels = np.zeros(n, dtype=np.int64)
    for it in range(iters):
        new = np.argmax(x @ mu.T - 0.5 * np.sum(mu * mu, axis=1)[None, :], axis=1)
        if it and np.array_equal(new, labels):
            break
        labels = new
        for k in range(c):
            members = labels == k
            if members.any():
                mu[k] = x[members].mean(axis=0)
    # clusters numbered by size (largest first), ties by first member: the same data gives the same numbers
    sizes = np.bincount(labels, minlength=c)
    first = np.array([np.flatnonzero(labels == k)[0] if sizes[k] else n for k in range(c)])
    order = np.lexsort((first, -sizes))
    rename = np.empty(c, dtype=np.int64)
    rename[order] = np.arange(c)
    return rename[labels]


def keywords(texts: Sequence[str], labels: np.ndarray, top: int = 4) -> dict[int, list[str]]:
    """Words naming each cluster: used by many of its prompts (at least :data:`MIN_PROMPTS_PER_WORD`) and
    relatively fewer of the others, scored by the ratio of the two shares."""
    docs = [{w for w in WORD.findall((t or "").lower()) if len(w) <= MAX_WORD} - STOP for t in texts]
    total: Counter[str] = Counter(w for d in docs for w in d)
    n = max(len(docs), 1)
    out: dict[int, list[str]] = {}
    for k in np.unique(labels).tolist():
        members = np.flatnonzero(labels == k)
        inside: Counter[str] = Counter(w for i in members for w in docs[i])
        m = max(len(members), 1)
        scored = [
            ((cnt / m) / (total[w] / n), cnt, w)
            for w, cnt in inside.items()
            if cnt >= MIN_PROMPTS_PER_WORD and cnt / m >= 0.05
        ]
        scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
        out[int(k)] = [w for _, _, w in scored[:top]]
    return out


def cluster_boards(
    votes: pl.DataFrame,
    vectors: np.ndarray,
    texts: Sequence[str],
    *,
    clusters: int = 8,
    seed: int = 0,
    models: Sequence[str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(summary, ratings) of prompt clusters for ``votes`` (row, model_a, model_b, winner; ``row`` indexes
    ``vectors`` and ``texts``). ``summary``: cluster, prompts, votes, keywords, top model, Kendall's tau with
    the overall board, the biggest riser and faller; ``ratings``: cluster, model, rating, overall rating,
    difference. ``models``: the models shown (default all)."""
    p = len(texts)
    last = int(votes["row"].cast(pl.Int64).max() or 0) if votes.height else -1  # type: ignore[arg-type]
    if len(vectors) != p or last >= p:
        raise ValueError(f"{len(vectors)} vectors and {p} texts for votes on {last + 1} prompts")
    c = max(1, min(clusters, p // MIN_CLUSTER_PROMPTS))
    labels = kmeans(vectors, c, seed)
    names = tuple(
        sorted(set(votes["model_a"].cast(pl.String).to_list()) | set(votes["model_b"].cast(pl.String).to_list()))
    )
    k = len(names)
    counts = pair_counts(votes, names)
    theta0 = overall_board(counts, k)
    cl = counts.with_columns(cluster=pl.Series("cluster", labels).gather(counts["row"]))
    summed = cl.group_by("cluster", "i", "j").agg(pl.col("w", "n").sum()).sort("cluster", "i", "j")
    delta, _ = fit_queries(
        theta0,
        summed["cluster"].to_numpy().astype(np.int64),
        summed["i"].to_numpy(),
        summed["j"].to_numpy(),
        summed["w"].to_numpy(),
        summed["n"].to_numpy(),
        c,
        CLUSTER_PRIOR,
    )
    shown = [m for m in (models or names) if m in names]
    idx = np.array([names.index(m) for m in shown], dtype=np.int64)
    overall = 1000.0 + theta0 * ELO_SCALE
    ratings = 1000.0 + (theta0[None, :] + delta) * ELO_SCALE
    words = keywords(texts, labels)
    prompts_per = np.bincount(labels, minlength=c)
    votes_per = np.bincount(cl["cluster"].to_numpy(), cl["n"].to_numpy(), minlength=c)
    rows, summary = [], []
    rank0 = _ranks(overall[idx])
    for q in range(c):
        r = ratings[q, idx]
        rq = _ranks(r)
        move = rank0 - rq
        top = int(np.argmax(r))
        up, down = int(np.argmax(move)), int(np.argmin(move))
        summary.append(
            {
                "cluster": q + 1,
                "prompts": int(prompts_per[q]),
                "votes": round(float(votes_per[q])),
                "keywords": ", ".join(words.get(q, [])),
                "top_model": shown[top],
                "kendall_tau": _tau(r, overall[idx]),
                "riser": f"{shown[up]} (+{int(move[up])})" if move[up] > 0 else "",
                "faller": f"{shown[down]} ({int(move[down])})" if move[down] < 0 else "",
            }
        )
        for m, a, b in zip(shown, r, overall[idx], strict=True):
            rows.append(
                {"cluster": q + 1, "model": m, "rating": float(a), "overall": float(b), "difference": float(a - b)}
            )
    return pl.DataFrame(summary), pl.DataFrame(rows)


def _ranks(r: np.ndarray) -> np.ndarray:
    order = np.argsort(-r, kind="stable")
    out = np.empty(len(r), dtype=np.int64)
    out[order] = np.arange(1, len(r) + 1)
    return out


def _tau(a: np.ndarray, b: np.ndarray) -> float:
    from arenavotes.ratings.stability import kendall_tau

    return kendall_tau({str(i): v for i, v in enumerate(a.tolist())}, {str(i): v for i, v in enumerate(b.tolist())})[0]
