"""Repeated prompts: exact duplicates, LMArena's frequency cap, and near-duplicates (MinHash/LSH).

The key of a battle's prompt is its user turns joined with newlines, lower-cased, with runs of
white space collapsed (``normalise``), hashed with MD5.

* ``duplicate_prompt`` (prompts/exact@1, informational): every battle whose prompt key was already
  seen in an earlier battle (by time, then battle id); score = its occurrence number.
* ``prompt_capped`` (prompts/cap@1, excluded by default): LMArena's de-duplication -- prompts whose
  count is in the top ``1 - quantile`` of prompt counts (default: top 0.1%) keep ``cap`` (25) randomly
  chosen battles; the rest are flagged. The choice is seeded and does not depend on row order.
* ``near_duplicate_prompt`` (prompts/minhash@1, informational): battles whose prompt text has
  Jaccard similarity >= ``threshold`` (0.9) with an earlier, different text, on character 5-grams of
  the NFKC-normalised text (MinHash, 128 permutations, LSH candidates, exact Jaccard to decide);
  score = the similarity. On the 1,135 real 2023 arena prompts, word 3-grams at 0.7 merged many
  different questions sharing one English template; character 5-grams at 0.9 found only same-author
  edits of the same prompt (29 of 32 trivial edits, 3 with one parameter changed).

>>> import polars as pl
>>> normalise(pl.Series(["  Hello\\n  World "])).to_list()
['hello world']
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from arenavotes.dedup.flagging import empty, from_frame


def normalise(text: pl.Series) -> pl.Series:
    return text.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def keyed(battles: pl.DataFrame, prompt_text: pl.DataFrame) -> pl.DataFrame:
    """Battles with text, with ``key`` (MD5 of the normalised prompt) and ``norm`` (normalised text)."""
    t = prompt_text.with_columns(norm=normalise(prompt_text["text"])).filter(pl.col("norm") != "")
    t = t.with_columns(
        key=pl.col("norm").map_batches(
            lambda s: pl.Series([hashlib.md5(x.encode()).hexdigest() for x in s.to_list()]), return_dtype=pl.String
        )
    )
    return (
        battles.select("battle_id", "tstamp")
        .join(t.select("battle_id", "key", "norm"), on="battle_id")
        .sort(["tstamp", "battle_id"], nulls_last=True)
    )


def exact_duplicates(k: pl.DataFrame) -> pl.DataFrame:
    d = k.with_columns(
        occurrence=pl.int_range(1, pl.len() + 1).over("key"),
        count=pl.len().over("key"),
        first=pl.col("battle_id").first().over("key"),
    ).filter(pl.col("occurrence") > 1)
    if d.height == 0:
        return empty()
    return from_frame(
        d.with_columns(
            score=pl.col("occurrence").cast(pl.Float64),
            reason=pl.format("same prompt as {} (occurrence {} of {})", "first", "occurrence", "count"),
        ),
        "duplicate_prompt",
        "prompts/exact@1",
    )


def cap_frequent(
    k: pl.DataFrame, quantile: float = 0.999, cap: int = 25, seed: int = 0
) -> tuple[pl.DataFrame, dict[str, float]]:
    """LMArena's cap on over-represented prompts (see the module docstring) and what it removed."""
    counts = k.group_by("key").len()
    if counts.height == 0:
        return empty(), {"cutoff": 0.0, "prompts_capped": 0, "votes_flagged": 0, "share_flagged": 0.0}
    cutoff = float(np.quantile(counts["len"].to_numpy(), quantile))
    cap = cap or max(int(cutoff), 1)  # 0: keep the quantile's count, as FastChat's deduplication.py
    heavy = counts.filter((pl.col("len") > cutoff) & (pl.col("len") > cap))["key"]
    sub = k.filter(pl.col("key").is_in(heavy.implode()))
    if sub.height == 0:
        return empty(), {"cutoff": cutoff, "prompts_capped": 0, "votes_flagged": 0, "share_flagged": 0.0}
    # a seeded, order-free lottery: rank battles of a prompt by md5(seed:battle_id)
    lottery = [hashlib.md5(f"{seed}:{b}".encode()).hexdigest() for b in sub["battle_id"].to_list()]
    ranked = sub.with_columns(ticket=pl.Series(lottery)).with_columns(
        draw=pl.col("ticket").rank("ordinal").over("key"), count=pl.len().over("key")
    )
    out = ranked.filter(pl.col("draw") > cap)
    stats = {
        "cutoff": cutoff,
        "prompts_capped": int(heavy.len()),
        "votes_flagged": out.height,
        "share_flagged": out.height / max(k.height, 1),
    }
    return from_frame(
        out.with_columns(
            score=pl.col("count").cast(pl.Float64),
            reason=pl.format(
                "prompt asked {} times (top {}% of prompts): {} kept, this one not drawn",
                "count",
                pl.lit(f"{(1 - quantile) * 100:g}"),
                pl.lit(cap),
            ),
        ),
        "prompt_capped",
        "prompts/cap@1",
    ), stats


# --- near duplicates -------------------------------------------------------------------------

SHINGLE = 5  # character shingles (measured on real arena prompts: word 3-grams merge templates)
MAX_CHARS = 10_000  # LMArena's prompt key is cut at 10,000 characters too


def _lsh_shape(threshold: float, perms: int) -> tuple[int, int]:
    """(bands, rows) with bands*rows = perms whose S-curve midpoint (1/b)^(1/r) is nearest the threshold."""
    return min(
        ((b, perms // b) for b in range(1, perms + 1) if perms % b == 0),
        key=lambda br: abs((1 / br[0]) ** (1 / br[1]) - threshold),
    )


def shingles(texts: pl.Series, size: int = SHINGLE, seed: int = 1) -> pl.DataFrame:
    """(pid, h): the hashed character ``size``-grams of each text (a shorter text is one shingle).

    Texts are exploded into one row per character and windows are built with shifts, so memory
    grows with the total number of characters (exploding a *slice* per position would copy each text
    once per position).
    """
    chars = (
        pl.DataFrame({"t": texts.str.normalize("NFKC").str.slice(0, MAX_CHARS)})
        .with_row_index("pid")
        .select("pid", c=pl.col("t").str.split(""))
        .explode("c")
        .with_columns(pos=pl.int_range(pl.len()).over("pid"), n=pl.len().over("pid"))
    )
    grams = chars.with_columns(
        g=pl.concat_str([pl.col("c"), *(pl.col("c").shift(-s).over("pid") for s in range(1, size))], ignore_nulls=True)
    )
    grams = grams.filter((pl.col("pos") <= pl.col("n") - size) | ((pl.col("n") < size) & (pl.col("pos") == 0)))
    return grams.select("pid", h=pl.col("g").hash(seed=seed)).unique().sort("pid", "h")


def minhash_signatures(grams: pl.DataFrame, n_texts: int, perms: int = 128, seed: int = 1) -> np.ndarray:
    """(texts x perms) MinHash signatures from :func:`shingles`.

    Permutations are multiply-shift hashes of the 32-bit shingle hash: ``(a h + b) >> 32`` in 64-bit
    arithmetic with odd ``a`` (a 2-universal family, no modulo on the hot path).
    """
    pid = grams["pid"].to_numpy()
    h = grams["h"].to_numpy().astype(np.uint64) & np.uint64(0xFFFFFFFF)
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << 63, perms, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 1 << 63, perms, dtype=np.uint64)
    sig = np.full((n_texts, perms), np.iinfo(np.uint64).max, dtype=np.uint64)
    if len(h) == 0:
        return sig
    starts = np.flatnonzero(np.r_[True, pid[1:] != pid[:-1]])
    shift = np.uint64(32)
    for lo in range(0, perms, 16):  # 16 permutations at a time keeps memory at 16 x shingles
        ph = (h[:, None] * a[None, lo : lo + 16] + b[None, lo : lo + 16]) >> shift
        sig[pid[starts], lo : lo + 16] = np.minimum.reduceat(ph, starts, axis=0)
    return sig


def near_duplicates(k: pl.DataFrame, threshold: float = 0.9, perms: int = 128, seed: int = 1) -> pl.DataFrame:
    """Flag battles whose prompt is a near-copy of an earlier, different prompt.

    Distinct normalised texts get MinHash signatures; LSH banding tuned to ``threshold - 0.1`` proposes
    pairs (so pairs just above the threshold are not missed), and the exact Jaccard similarity of
    their shingle sets decides.
    """
    uniq = k.group_by("key", maintain_order=True).agg(
        pl.col("norm").first(), pl.col("battle_id"), pl.col("tstamp").first()
    )
    if uniq.height < 2:
        return empty()
    grams = shingles(uniq["norm"], seed=seed)
    sig = minhash_signatures(grams, uniq.height, perms=perms, seed=seed)
    bands, rows = _lsh_shape(max(threshold - 0.1, 0.05), perms)
    cand: set[tuple[int, int]] = set()
    for band in range(bands):
        block = np.ascontiguousarray(sig[:, band * rows : (band + 1) * rows])
        _, inverse, counts = np.unique(
            block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel(),
            return_inverse=True,
            return_counts=True,
        )
        for g in np.flatnonzero(counts > 1):
            members = np.flatnonzero(inverse == g)[:200]  # a huge bucket is a degenerate text; cap its pairs
            cand.update((int(x), int(y)) for i, x in enumerate(members) for y in members[i + 1 :])
    if not cand:
        return empty()
    sets = dict(grams.group_by("pid").agg(pl.col("h")).iter_rows())
    pairs, sims = [], []
    for x, y in sorted(cand):  # exact Jaccard of the candidate pairs only
        sx, sy = set(sets[x]), set(sets[y])
        j = len(sx & sy) / len(sx | sy)
        if j >= threshold:
            pairs.append((x, y))
            sims.append(j)
    if not pairs:
        return empty()
    p, sim = np.array(pairs), np.array(sims)
    n = uniq.height
    graph = coo_matrix((np.ones(len(p)), (p[:, 0], p[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    best = np.zeros(n)
    np.maximum.at(best, p[:, 0], sim)
    np.maximum.at(best, p[:, 1], sim)
    u = uniq.with_columns(cluster=pl.Series(label), sim=pl.Series(best)).with_row_index("u")
    in_cluster = u.filter(pl.col("sim") > 0)
    # the earliest text of a cluster is its representative; battles of the other texts are flagged
    rep = (
        in_cluster.sort(["tstamp", "u"], nulls_last=True)
        .group_by("cluster", maintain_order=True)
        .agg(rep=pl.col("battle_id").first().list.first(), rep_u=pl.col("u").first())
    )
    out = (
        in_cluster.join(rep, on="cluster")
        .filter(pl.col("u") != pl.col("rep_u"))
        .explode("battle_id")
        .with_columns(
            score=pl.col("sim"),
            reason=pl.format(
                "near-copy in a cluster of prompts first asked in {} (Jaccard {} on character 5-grams)",
                "rep",
                pl.col("sim").round(2),
            ),
        )
    )
    return from_frame(out, "near_duplicate_prompt", "prompts/minhash@1") if out.height else empty()
