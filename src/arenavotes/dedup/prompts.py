"""Repeated prompts: exact duplicates, LMArena's frequency cap, and near-duplicates (MinHash/LSH).

The key of a battle's prompt is its user turns joined with newlines, lower-cased, with runs of
white space collapsed (``normalise``), hashed with MD5.

* ``duplicate_prompt`` (prompts/exact@1, informational): every battle whose prompt key was already
  seen in an earlier battle (by time, then battle id); score = its occurrence number.
* ``prompt_capped`` (prompts/cap@1, excluded by default): LMArena's de-duplication -- prompts whose
  count is in the top ``1 - quantile`` of prompt counts (default: top 0.1%) keep ``cap`` (25) randomly
  chosen battles; the rest are flagged. The choice is seeded and does not depend on row order.
* ``near_duplicate_prompt`` (prompts/minhash@2, informational): battles whose prompt text has
  Jaccard similarity >= ``threshold`` (0.9) with an earlier, different text, on character 5-grams of
  the NFKC-normalised text (one-permutation MinHash with 128 bins, LSH candidates, exact Jaccard to
  decide); score = the best similarity checked. On the 1,135 real 2023 arena prompts, word 3-grams at
  0.7 merged many different questions sharing one English template; character 5-grams at 0.9 found only
  same-author edits of the same prompt (29 of 32 trivial edits, 3 with one parameter changed).
  Columnar throughout (``bench/near_duplicates.py``: ~9,000 prompts/s on one thread at 100k prompts).

>>> import polars as pl
>>> normalise(pl.Series(["  Hello\\n  World "])).to_list()
['hello world']
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import duckdb
import numpy as np
import polars as pl

from arenavotes.dedup.flagging import empty, from_frame
from arenavotes.dedup.keyed import cap_frequent as cap_sql
from arenavotes.dedup.keyed import exact_duplicates as exact_sql
from arenavotes.dedup.keyed import in_memory

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from arenavotes.dedup.tables import SketchTable

# scipy.sparse is imported in the functions that use it: it costs ~0.3 s of start-up that commands which
# only import this package for its constants (release, sql --release) should not pay


def normalise(text: pl.Series) -> pl.Series:
    return text.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def md5_hex(texts: pl.Series) -> pl.Series:
    """The MD5 of each text's UTF-8 bytes as 32 hex digits (what ``hashlib.md5(t.encode()).hexdigest()`` gives),
    computed by DuckDB over the Arrow buffer: no Python string or bytes object per text. A connection of its
    own per call (an in-memory database, a few ms), so that threads and forked workers share none.

    >>> md5_hex(pl.Series(["abc", None])).to_list()
    ['900150983cd24fb0d6963f7d28e17f72', None]
    """
    _texts = texts.rename("t").to_frame().to_arrow()  # read by DuckDB under this name (a replacement scan)
    with duckdb.connect(config={"threads": 1, "memory_limit": "256MB"}) as con:
        key = pl.from_arrow(con.sql("SELECT md5(t) AS key FROM _texts").to_arrow_table()["key"])
    assert isinstance(key, pl.Series)
    return key.cast(pl.String)


def key_texts(prompt_text: pl.DataFrame) -> pl.DataFrame:
    """(battle_id, key, norm) of the prompts with any text: ``norm`` the normalised text, ``key`` its MD5."""
    t = prompt_text.with_columns(norm=normalise(prompt_text["text"])).filter(pl.col("norm") != "")
    return t.select("battle_id", key=md5_hex(t["norm"]), norm="norm")


def keyed(battles: pl.DataFrame, prompt_text: pl.DataFrame) -> pl.DataFrame:
    """Battles with text, with ``key`` (MD5 of the normalised prompt) and ``norm`` (normalised text)."""
    return (
        battles.select("battle_id", "tstamp")
        .join(key_texts(prompt_text), on="battle_id")
        .sort(["tstamp", "battle_id"], nulls_last=True)
    )


def exact_duplicates(k: pl.DataFrame) -> pl.DataFrame:
    """``duplicate_prompt`` flags of :func:`keyed` battles ``k`` (:func:`arenavotes.dedup.keyed.exact_duplicates`,
    the SQL the stage runs over the workspace)."""
    with in_memory(k) as con:
        return exact_sql(con)


def cap_frequent(
    k: pl.DataFrame, quantile: float = 0.999, cap: int = 25, seed: int = 0
) -> tuple[pl.DataFrame, dict[str, float]]:
    """LMArena's cap on over-represented prompts (see the module docstring) and what it removed, over
    :func:`keyed` battles ``k`` (:func:`arenavotes.dedup.keyed.cap_frequent`)."""
    with in_memory(k) as con:
        return cap_sql(con, quantile=quantile, cap=cap, seed=seed)


# --- near duplicates -------------------------------------------------------------------------

CHUNK_CHARS = 8_000_000  # characters of the candidate pairs checked together (a bound on memory)
SKETCH_CHARS = 2_000_000  # characters sketched together (their shingle arrays: ~40 bytes a character at the peak)
SHINGLE = 5  # character shingles (measured on real arena prompts: word 3-grams merge templates)
MAX_CHARS = 10_000  # LMArena's prompt key is cut at 10,000 characters too


def _lsh_shape(threshold: float, perms: int) -> tuple[int, int]:
    """(bands, rows) with bands*rows = perms whose S-curve midpoint (1/b)^(1/r) is nearest the threshold."""
    return min(
        ((b, perms // b) for b in range(1, perms + 1) if perms % b == 0),
        key=lambda br: abs((1 / br[0]) ** (1 / br[1]) - threshold),
    )


def shingle_keys(texts: pl.Series, size: int = SHINGLE, seed: int = 1, batch_chars: int = 20_000_000) -> np.ndarray:
    """``pid << 32 | hash32`` of every character ``size``-gram of every text, in text order, repeats kept
    (a minimum does not care). A text shorter than ``size`` is one shingle.

    Columnar: the texts' code points go into one numpy array per batch (at most ``batch_chars``), a
    polynomial hash rolls over every window at once, and windows that cross a text's end are dropped.
    """
    parts = [keys for _, _, keys in _key_parts(texts, size, seed, batch_chars)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def _key_parts(texts: pl.Series, size: int, seed: int, batch_chars: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """(lo, hi, :func:`shingle_keys` of texts lo..hi-1) for consecutive runs of texts of at most ``batch_chars``
    characters once normalised (or one text)."""
    norm = texts.str.normalize("NFKC").str.slice(0, MAX_CHARS).fill_null("")
    lens = norm.str.len_chars().to_numpy().astype(np.int64)
    for lo, hi in spans(lens, batch_chars):
        yield lo, hi, _shingle_keys(norm[lo:hi].to_list(), lens[lo:hi], lo, size, seed)


def spans(lens: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Consecutive (lo, hi) runs of items whose ``lens`` add up to at most ``budget`` (an item longer than that
    alone): work on texts a bounded number of characters at a time, whatever their count.

    >>> spans(np.array([3, 3, 5, 1, 9]), 6)
    [(0, 2), (2, 4), (4, 5)]
    """
    cum = np.cumsum(lens)
    out: list[tuple[int, int]] = []
    lo = 0
    while lo < len(lens):
        hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + budget, side="right"))
        out.append((lo, max(hi, lo + 1)))
        lo = out[-1][1]
    return out


def shingles(texts: pl.Series, size: int = SHINGLE, seed: int = 1) -> pl.DataFrame:
    """(pid, h): the distinct hashed character ``size``-grams of each text (:func:`shingle_keys`, made unique),
    sorted. Made :data:`SKETCH_CHARS` characters at a time: only the distinct keys of all the texts are held,
    not every step's arrays over them.

    >>> shingles(pl.Series(["abcdef", "abc"])).group_by("pid").len().sort("pid").rows()
    [(0, 2), (1, 1)]
    """
    # a run's keys start with its texts' numbers, so the runs' distinct keys, one after another, are sorted; each
    # run is split into its two 32-bit halves at once (no 64-bit copy of all the keys)
    pids: list[np.ndarray] = []
    hashes: list[np.ndarray] = []
    for _, _, keys in _key_parts(texts, size, seed, SKETCH_CHARS):
        keys = _distinct(keys)
        pids.append((keys >> np.uint64(32)).astype(np.uint32))
        hashes.append((keys & np.uint64(0xFFFFFFFF)).astype(np.uint32))
        del keys
    empty = np.zeros(0, dtype=np.uint32)
    return pl.DataFrame(
        {"pid": np.concatenate(pids) if pids else empty, "h": np.concatenate(hashes) if hashes else empty}
    )


def _distinct(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort and a diff: numpy's hash-based unique is slower on these keys; Polars'
    parallel sort is 3x numpy's on the shingle keys of 30k texts)."""
    x = pl.Series(x).sort().to_numpy() if len(x) > 100_000 else np.sort(x)
    return x[np.r_[True, x[1:] != x[:-1]]] if len(x) else x


def _frame(keys: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame(
        {"pid": (keys >> np.uint64(32)).astype(np.uint32), "h": (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)}
    )


def _shingle_keys(texts: list[str], lens: np.ndarray, first: int, size: int, seed: int) -> np.ndarray:
    """``pid << 32 | hash32`` of every window of ``size`` code points (a text shorter than that: its whole)."""
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    ends = np.cumsum(lens)
    n = len(cps)
    with np.errstate(over="ignore"):
        # a 32-bit polynomial hash of every window; the last size-1 positions see a zero-padded tail
        padded = np.r_[cps, np.zeros(size, dtype=np.uint32)]
        h = padded[:n] + np.uint32(1)
        for s in range(1, size):
            h *= np.uint32(1_000_003)
            h += padded[s : s + n]
            h += np.uint32(1)
        keep = np.ones(n, dtype=bool)
        tail = (ends[:, None] - np.arange(1, size)[None, :]).ravel()  # windows that run past a text's end
        keep[tail[(tail >= 0) & (tail < n)]] = False
        short = np.flatnonzero((lens > 0) & (lens < size))
        if len(short):  # a short text is one shingle: its own hash
            at = ends[short] - lens[short]
            h[at] = np.array([_whole(texts[p]) for p in short], dtype=np.uint32)
            keep[at] = True
        pid = np.repeat(np.arange(first, first + len(lens), dtype=np.uint64), lens)[keep]
        mixed = mix64(h[keep].astype(np.uint64) ^ np.uint64(seed)) >> np.uint64(32)
    return (pid << np.uint64(32)) | mixed


def _whole(text: str) -> int:
    h = 0
    for i, c in enumerate(text):
        h = (h * 1_000_003 + ord(c) + 1) if i else ord(c) + 1
    return h & 0xFFFFFFFF


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: spreads the polynomial hash over all 64 bits."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def jaccard_pairs(grams: pl.DataFrame, pairs: np.ndarray) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of each (x, y) pair (a sparse product, no Python sets).

    >>> g = shingles(pl.Series(["abcdefg", "abcdefh", "zzzzzzz"]))
    >>> [round(float(j), 2) for j in jaccard_pairs(g, np.array([[0, 1], [0, 2]]))]
    [0.5, 0.0]
    """
    if len(pairs) == 0:
        return np.zeros(0)
    a, size = _shingle_matrix(grams, int(pairs.max()) + 1)
    return _jaccard(a, size, pairs)


def _shingle_matrix(grams: pl.DataFrame, rows: int = 0) -> tuple[csr_matrix, np.ndarray]:
    """(texts x distinct shingles sparse 0/1 matrix, shingles per text), at least ``rows`` rows.

    Columns are the distinct 32-bit shingle hashes renumbered densely in hash order, so that the indices are
    32-bit: a block of 8M characters of text was 0.27 GB with a column per possible hash (64-bit indices) and
    the 64-bit copies of ``pid`` and ``h`` made to build it, against ~0.15 GB renumbered.

    >>> a, size = _shingle_matrix(pl.DataFrame({"pid": [0, 0, 2], "h": [7, 9, 7]}, schema={"pid": pl.UInt32, "h": pl.UInt32}))
    >>> a.toarray().tolist(), size.tolist()
    ([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]], [2, 0, 1])
    """
    from scipy.sparse import csr_matrix

    pid = grams["pid"].to_numpy()
    h = grams["h"].to_numpy()
    if len(pid) > 1:  # shingles() gives them sorted by (pid, h) and distinct already; anything else is sorted here
        same = pid[1:] == pid[:-1]
        if not ((pid[1:] > pid[:-1]) | (same & (h[1:] > h[:-1]))).all():
            key = _distinct((pid.astype(np.uint64) << np.uint64(32)) | h.astype(np.uint64))
            pid, h = (key >> np.uint64(32)).astype(np.uint32), (key & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        del same
    n = max(int(pid.max()) + 1 if len(pid) else 0, rows)
    indptr = np.searchsorted(pid, np.arange(n + 1, dtype=pid.dtype)).astype(np.int64)
    size = np.diff(indptr)
    # dense column numbers in hash order keep each row's columns sorted, as its hashes were
    col = pl.Series(h).rank("dense").to_numpy().astype(np.int32) - 1 if len(h) else np.zeros(0, np.int32)
    width = int(col.max()) + 1 if len(col) else 1
    a = csr_matrix((np.ones(len(col), dtype=np.float32), col, indptr.astype(index_type(len(col)))), shape=(n, width))
    a.has_sorted_indices = True
    return a, size


def may_reach(size: np.ndarray, pairs: np.ndarray, threshold: float) -> np.ndarray:
    """Which ``pairs`` of shingle sets of sizes ``size`` can reach Jaccard ``threshold`` at all: the
    intersection is at most the smaller set and the union at least the larger, so J <= min / max. A lossless
    filter before the exact check, computed the way :func:`_jaccard` divides (rounding is monotone, so a pair
    whose bound rounds below the threshold has a similarity that rounds below it too). On a million synthetic
    conversations it spared 18% of the exact checks (every pair the check computed, recorded on the sixth stop of
    4 December).

    >>> may_reach(np.array([9, 10, 12]), np.array([[0, 1], [0, 2]]), 0.9).tolist()
    [True, False]
    """
    small = np.minimum(size[pairs[:, 0]], size[pairs[:, 1]])
    large = np.maximum(size[pairs[:, 0]], size[pairs[:, 1]])
    return np.where(large > 0, small / np.maximum(large, 1), 1.0) >= threshold


#: the chance that the 8-bit estimate turns away a pair whose similarity is exactly at the threshold
MISS = 1e-6


@functools.lru_cache(maxsize=16)
def least_agreement(threshold: float, perms: int, miss: float = MISS) -> np.ndarray:
    """``out[n]``: the smallest share of agreeing 8-bit bins that keeps a pair for the exact check when its
    signatures rest on ``n`` independent bins (n = 1 .. perms; ``out[0]`` = 0).

    Two 8-bit minima agree with probability p = J + (1 - J) / 256, so the agreeing bins of a pair at exactly
    the threshold are Binomial(n, p): a pair is dropped only if so few agree that such a pair would show as
    few with probability below ``miss``, and a more similar pair is dropped even more rarely. The caller
    takes n as the smaller text's shingle count, capped at ``perms``: a text with fewer shingles than bins
    fills the empty ones by copying (densification), so its bins are not independent and the bound widens
    (conservatively: measured, optimal densification keeps the spread near the binomial's even at 19 shingles).

    >>> cut = least_agreement(0.9, 128)
    >>> round(float(cut[128]) * 128), float(cut[3])
    (97, 0.0)
    """
    from scipy.special import bdtr, bdtrik

    p = threshold + (1 - threshold) / 256
    n = np.arange(1, perms + 1)
    # the inverse in m, then made exact on the integers
    m = np.clip(np.ceil(np.nan_to_num(bdtrik(miss, n.astype(np.float64), p), nan=0.0)), 0, n).astype(np.int64)
    m = np.where((m > 0) & (bdtr(np.maximum(m - 1, 0), n, p) >= miss), m - 1, m)
    m = np.where((m < n) & (bdtr(m, n, p) < miss), m + 1, m)
    return np.r_[0.0, m / n]


def worth_checking(
    sig8: np.ndarray, chars: np.ndarray, pairs: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """(which ``pairs`` the exact check should see, the share of their 8-bit bins that agree): those whose
    agreement is not too low for a pair at the threshold (:func:`least_agreement`), with the smaller text's
    shingle count (``chars`` is each text's length + 1) as the number of independent bins.

    >>> a = np.arange(16, dtype=np.uint8)
    >>> sig8 = np.stack([a, np.r_[a[:14], 99, 99], a + 100])  # 14 of 16 bins agree, none
    >>> keep, share = worth_checking(sig8, np.array([100, 100, 100]), np.array([[0, 1], [0, 2]]), 0.9)
    >>> keep.tolist(), share.tolist()
    ([True, False], [0.875, 0.0])
    """
    share = _agreement(sig8, pairs)
    trials = np.clip(np.minimum(chars[pairs[:, 0]], chars[pairs[:, 1]]) - SHINGLE, 1, sig8.shape[1])
    return share >= least_agreement(threshold, sig8.shape[1])[trials], share


def _jaccard(a: csr_matrix, size: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    inter = np.asarray(a[pairs[:, 0]].multiply(a[pairs[:, 1]]).sum(axis=1)).ravel()
    union = size[pairs[:, 0]] + size[pairs[:, 1]] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


def minhash_signatures(keys: np.ndarray, n_texts: int, perms: int = 128, seed: int = 1) -> np.ndarray:
    """(texts x perms) MinHash signatures from :func:`shingle_keys`, by one-permutation hashing with optimal
    densification (Li, Owen and Zhang 2012; Shrivastava 2017): one 64-bit hash per shingle, its top bits
    choose one of ``perms`` bins and the rest is the value, each bin keeps its minimum; an empty bin (a
    text with fewer shingles than bins) copies the bin that a fixed, seeded probe sequence points to, the
    same for every text, so that two signatures agree in a bin with probability equal to the Jaccard
    similarity. One hash per shingle instead of one per shingle and permutation.
    """
    if perms & (perms - 1) or not 1 < perms <= 1 << 16:
        raise ValueError("perms must be a power of two between 2 and 65536")
    bits = np.uint64(perms.bit_length() - 1)
    top = np.uint64(64) - bits
    empty = np.iinfo(np.uint64).max
    sig = np.full((n_texts, perms), empty, dtype=np.uint64)
    if len(keys) == 0:
        return sig
    pid = (keys >> np.uint64(32)).astype(np.int64)
    g = mix64((keys & np.uint64(0xFFFFFFFF)) ^ mix64(np.array([seed], dtype=np.uint64)))
    np.minimum.at(
        sig.reshape(-1), pid * perms + (g >> top).astype(np.int64), g & ((np.uint64(1) << top) - np.uint64(1))
    )
    filled = sig != empty
    has_any = filled.any(axis=1)
    r, c = np.nonzero(~filled & has_any[:, None])  # empty bins of texts with any shingle
    bins = np.arange(perms, dtype=np.uint64)
    attempt = 0
    while len(r):
        attempt += 1
        probe = (mix64(bins * np.uint64(0x9E3779B97F4A7C15) + np.uint64(attempt) + np.uint64(seed)) >> top).astype(
            np.int64
        )  # bin -> the bin it borrows from on this attempt, the same for every text
        src = probe[c]
        ok = filled[r, src]  # borrow only from bins that were filled by shingles
        sig[r[ok], c[ok]] = sig[r[ok], src[ok]]
        r, c = r[~ok], c[~ok]
    return sig


def signatures(texts: pl.Series, perms: int = 128, seed: int = 1, batch_chars: int = SKETCH_CHARS) -> np.ndarray:
    """MinHash signatures of ``texts``, about ``batch_chars`` characters at a time: only that many characters'
    shingles are ever held, so the memory this takes does not depend on how many or how long the texts are
    (a batch of 20,000 prompts could hold 20M characters, ~0.7 GB of shingle arrays at its peak)."""
    out = np.empty((len(texts), perms), dtype=np.uint64)
    for lo, hi, keys in _key_parts(texts, SHINGLE, seed, batch_chars):
        # the run's texts renumbered from 0: keys carry each text's number in their top 32 bits
        out[lo:hi] = minhash_signatures(keys - (np.uint64(lo) << np.uint64(32)), hi - lo, perms, seed)
    return out


def _clique_pairs(members: np.ndarray, bucket: np.ndarray) -> np.ndarray:
    """The distinct (x < y) pairs of texts sharing a bucket; ``members`` sorted by ``bucket``."""
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    sizes = np.diff(np.r_[starts, len(bucket)])
    out = [np.stack([members[starts[sizes == 2]], members[starts[sizes == 2] + 1]], axis=1)]  # the common case
    for st, sz in zip(starts[sizes > 2].tolist(), sizes[sizes > 2].tolist(), strict=True):
        group = members[st : st + sz]
        a, b = np.triu_indices(sz, 1)
        out.append(np.stack([group[a], group[b]], axis=1))
    pairs = np.sort(np.concatenate(out).astype(np.int64), axis=1)
    n = int(pairs.max()) + 1 if len(pairs) else 1
    codes = _distinct(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def band_hashes(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(texts x bands) one 64-bit hash per LSH band of the signatures: texts equal in a band share its hash."""
    out = np.zeros((len(sig), bands), dtype=np.uint64)
    for band in range(bands):
        for col in range(band * rows, (band + 1) * rows):
            out[:, band] = mix64(out[:, band] * np.uint64(0x100000001B3) ^ sig[:, col])
    return out


class TextStore(Protocol):
    """Where the normalised texts wait for the exact check (:class:`arenavotes.dedup.tables.DuckTexts`): the
    candidates' texts (and 8-bit signatures, from the table ``sketches``) are copied once in the order the check
    reads them (``arrange``), then read by their number in that order (``at``, ``signatures_at``)."""

    def arrange(self, keys: pl.Series, sketches: str | None = None, sizes: np.ndarray | None = None) -> None: ...

    def at(self, pos: np.ndarray) -> pl.Series: ...

    def signatures_at(self, pos: np.ndarray, perms: int) -> np.ndarray: ...


class Sketches:
    """How distinct prompt texts are sketched for the near-duplicate search: per text its LSH band hashes
    (they propose candidate pairs), an 8-bit signature (it estimates a pair's similarity, to order and prune
    the exact checks) and its length. 64 + 128 + 8 bytes a text at the defaults, against kilobytes of text.
    The sketches are held by :class:`arenavotes.dedup.tables.SketchTable`.

    >>> bands, sig8, chars = Sketches(threshold=0.9).sketch(pl.Series(["the same old prompt text", "hi"]))
    >>> bands.shape, sig8.shape, chars.tolist()
    ((2, 8), (2, 128), [25, 3])
    """

    def __init__(self, threshold: float = 0.9, perms: int = 128, seed: int = 1) -> None:
        self.threshold, self.perms, self.seed = threshold, perms, seed
        self.bands, self.rows = _lsh_shape(max(threshold - 0.1, 0.05), perms)

    def sketch(self, norms: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(band hashes, 8-bit signatures, lengths + 1) of ``norms``: a pure function of each text (and of
        this object's threshold, bins and seed), so it may run anywhere (``dedup --engine ray``)."""
        sig = signatures(norms, perms=self.perms, seed=self.seed)
        return (
            band_hashes(sig, self.bands, self.rows),
            (sig & np.uint64(0xFF)).astype(np.uint8),
            np.minimum(norms.str.len_chars().fill_null(0).to_numpy().astype(np.int64), MAX_CHARS) + 1,
        )


def index_type(n: int) -> type[np.signedinteger]:
    """The smallest of int32 and int64 that numbers ``n`` things.

    >>> index_type(10), index_type(2**31 + 1)
    (<class 'numpy.int32'>, <class 'numpy.int64'>)
    """
    return np.int32 if n < 2**31 else np.int64


def _linked(members: np.ndarray, bucket: np.ndarray, n: int, n_buckets: int) -> np.ndarray:
    """Connected-group label of each of ``n`` texts and ``n_buckets`` buckets (nodes ``n + bucket``), linked
    by the memberships; the link matrix is let go before the labels are used.

    >>> _linked(np.array([0, 1, 3]), np.array([0, 0, 1]), 4, 2).tolist()
    [0, 0, 1, 2, 0, 2]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nodes = n + n_buckets
    index = index_type(nodes)
    link = coo_matrix(
        (np.ones(len(members), dtype=np.int8), (members.astype(index), bucket.astype(index) + n)),
        shape=(nodes, nodes),
    )
    _, comp = connected_components(link, directed=False)
    return np.asarray(comp)


#: candidate pairs expanded from buckets at once (a group of near-copies with more is taken in pieces)
MAX_PAIRS = 2_000_000


def near_pairs(
    candidates: list[np.ndarray],
    n_buckets: int,
    sig8: Callable[[np.ndarray], np.ndarray],
    chars: np.ndarray,
    fetch: Callable[[np.ndarray], pl.Series],
    threshold: float,
    seed: int,
    chunk: int = 20_000,
    arrange: Callable[[np.ndarray], None] | None = None,
    spill: Path | None = None,
    work: dict[str, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(pairs of texts, their Jaccard similarity) of the candidates at or above ``threshold``.

    Texts are numbered 0 .. len(chars) - 1 (in the order of the prompts' rows); ``candidates``: ``[members,
    bucket]``, the texts of each shared LSH bucket (:func:`arenavotes.dedup.tables.shared_buckets`, renumbered),
    handed over: the list is emptied, so that only this function's reordered copies are held through the check
    (a few arrays a bucket membership: the caller's, the link matrix and the sort order, held to the end, were
    most of dedup's growth from 1M to 2M conversations); ``sig8(texts)``
    gives their 8-bit signatures, a block at a time, so that not every candidate's are held; ``chars`` their
    lengths + 1; ``fetch(texts)`` gives their normalised texts. The
    exact Jaccard of their shingle sets decides (:func:`_verify`). Candidates are taken a connected group at a
    time (texts linked through shared buckets), packed into blocks whose distinct texts hold at most
    :data:`CHUNK_CHARS` characters: each text's shingles are computed once, and a block's pairs are expanded
    only while it is checked (at a million copy-heavy prompts, all candidate pairs at once were 30M and
    gigabytes). ``arrange(texts)``, before the first ``fetch``, is told every candidate text in the order the
    blocks will fetch them (group by group): each block's texts are a run of it. ``spill``: the folder for
    the shingles of groups too big for a block (:class:`SpilledShingles`; default ``TMPDIR``). ``work``, if
    given, is filled with the check's work (:func:`_tally`): its cost follows these counts, and a log whose
    near-copies cluster more as it grows has more candidate pairs per prompt.
    """
    n = len(chars)
    bucket = candidates.pop()
    members = candidates.pop()
    if n_buckets == 0:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    comp = _linked(members, bucket, n, n_buckets)
    group = comp[n + bucket.astype(np.int64)]
    order = np.lexsort((bucket, group))
    members, bucket, group = members[order], bucket[order], group[order]
    del order
    texts = np.unique(members)
    work = work if work is not None else {}
    _tally(work, "candidates", len(texts))
    group_chars = np.bincount(comp[texts], chars[texts], minlength=int(comp.max()) + 1)
    if arrange is not None:
        arrange(texts[np.argsort(comp[texts], kind="stable")])
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    edges: list[np.ndarray] = []
    sims: list[np.ndarray] = []

    def check(lo: int, hi: int) -> None:
        # a huge group: its buckets in pieces of at most MAX_PAIRS pairs, one label across the pieces
        size = np.diff(np.r_[np.flatnonzero(np.r_[True, bucket[lo + 1 : hi] != bucket[lo : hi - 1]]), hi - lo])
        cuts = np.r_[0, np.cumsum(size)]
        pairs_upto = np.cumsum(size * (size - 1) // 2)
        involved = np.unique(members[lo:hi])
        sig = sig8(involved)
        label = np.arange(len(involved))
        # a group bigger than a block: its texts are shingled once, into a file, and each product reads its own
        big = chars[involved].sum() > CHUNK_CHARS
        spilled = SpilledShingles(involved, fetch, chars, seed, spill) if big else None
        try:
            piece = 0
            while piece < len(size):
                before = pairs_upto[piece - 1] if piece else 0
                nxt = max(int(np.searchsorted(pairs_upto, before + MAX_PAIRS, side="right")), piece + 1)
                a, b = lo + cuts[piece], lo + cuts[min(nxt, len(size))]
                # the piece's pairs as positions in ``involved``, in its index type: the text numbers go at once
                # (they and two int64 copies of the positions were ~56 bytes a pair held through the check)
                local = np.searchsorted(involved, _clique_pairs(members[a:b], bucket[a:b]))
                local = local.astype(index_type(len(involved)), copy=False)
                _tally(work, "candidate_pairs", len(local))
                e, sim, label = _verify(
                    local, involved, label, fetch, chars, sig, threshold, seed, chunk, spilled, work
                )
                del local
                edges.append(e)
                sims.append(sim)
                piece = nxt
        finally:
            if spilled is not None:
                spilled.close()

    lo, held = 0, 0.0
    for st in starts.tolist():  # one step per group, not per pair
        size = float(group_chars[comp[members[st]]])
        if held and held + size > CHUNK_CHARS:
            check(lo, st)
            lo, held = st, 0.0
        held += size
    check(lo, len(group))
    return np.concatenate(edges), np.concatenate(sims)


class SpilledShingles:
    """The shingle sets of a group of texts too big to hold as one matrix (more than :data:`CHUNK_CHARS`
    characters): computed once, a block's worth of texts at a time, and written as sorted 32-bit hashes to a
    temporary file in ``folder`` (the workspace's private spill folder; default ``TMPDIR``) read through a memory
    map (the file is unlinked once mapped); :meth:`matrix` builds any subset's sparse matrix from it. Before,
    each sparse product of such a group fetched and shingled its texts again (at 2M conversations, 8 groups of
    87M characters: 19% of the exact check, the shingles built 3.8x those at 1M).

    >>> texts = pl.Series(["the same old prompt", "the same old prompts", "tiny"])
    >>> s = SpilledShingles(np.arange(3), lambda rows: texts.gather(rows), np.array([20, 21, 5]), seed=1)
    >>> a, size = s.matrix(np.array([0, 2]))
    >>> size.tolist() == shingles(texts.gather([0, 2])).group_by("pid").len().sort("pid")["len"].to_list()
    True
    >>> s.close()
    """

    def __init__(
        self,
        involved: np.ndarray,
        fetch: Callable[[np.ndarray], pl.Series],
        chars: np.ndarray,
        seed: int,
        folder: Path | None = None,
    ) -> None:
        from arenavotes.leftovers import private_tempdir

        self._dir = private_tempdir(folder, "shingles")
        path = Path(self._dir.name) / "hashes.u32"
        counts = np.zeros(len(involved), dtype=np.int64)
        with path.open("wb") as out:
            for lo, hi in spans(chars[involved], CHUNK_CHARS):  # texts in the order they are arranged: runs
                grams = shingles(fetch(involved[lo:hi]), seed=seed)  # sorted by (pid, h), distinct
                counts[lo:hi] = np.bincount(grams["pid"].to_numpy(), minlength=hi - lo)
                out.write(np.ascontiguousarray(grams["h"].to_numpy(), dtype=np.uint32).tobytes())
        self.indptr = np.r_[0, np.cumsum(counts)]
        self.hashes: np.ndarray = (
            np.memmap(path, dtype=np.uint32, mode="r") if self.indptr[-1] else np.zeros(0, np.uint32)
        )
        with contextlib.suppress(OSError):  # mapped, the file needs no name: a killed run leaves nothing behind
            path.unlink()

    def matrix(self, rows: np.ndarray) -> tuple[csr_matrix, np.ndarray]:
        """(sparse 0/1 matrix, shingles per text) of the texts numbered ``rows`` (sorted, distinct) in the group,
        as :func:`_shingle_matrix` of their :func:`shingles` gives it."""
        start, lens = self.indptr[rows], self.indptr[rows + 1] - self.indptr[rows]
        at = np.repeat(start - (np.cumsum(lens) - lens), lens) + np.arange(int(lens.sum()))
        grams = pl.DataFrame(
            {"pid": np.repeat(np.arange(len(rows), dtype=np.uint32), lens), "h": np.asarray(self.hashes[at])}
        )
        return _shingle_matrix(grams, len(rows))

    def close(self) -> None:
        self.hashes = np.zeros(0, np.uint32)  # the map goes before its file
        self._dir.cleanup()


def _tally(work: dict[str, int], what: str, n: int) -> None:
    """Add ``n`` to ``work[what]``: the near-duplicate check's work, reported in the dedup run's counts
    (``candidates``: texts sharing a bucket with another; ``candidate_pairs``: the pairs their buckets
    propose; ``checked``: the pairs whose exact Jaccard was computed; ``similar``: those at the threshold).

    >>> work = {}; _tally(work, "checked", 3); _tally(work, "checked", 2); work
    {'checked': 5}
    """
    work[what] = work.get(what, 0) + int(n)


def _join(label: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Component labels (each node's smallest member) after adding ``edges`` to the components of ``label``.

    >>> _join(np.arange(4), np.array([[2, 3]])).tolist(), _join(np.array([0, 0, 2, 2]), np.array([[1, 3]])).tolist()
    ([0, 1, 2, 2], [0, 0, 0, 0])
    """
    n = len(label)
    nodes = np.arange(n)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix(
        (np.ones(n + len(edges), dtype=np.int8), (np.r_[nodes, edges[:, 0]], np.r_[label, edges[:, 1]])), shape=(n, n)
    )
    _, comp = connected_components(graph, directed=False)
    first = np.full(int(comp.max()) + 1, n)
    np.minimum.at(first, comp, nodes)
    return first[comp]


def _agreement(sig8: np.ndarray, pairs: np.ndarray, block: int = 65_536) -> np.ndarray:
    """The share of bins in which each pair's 8-bit signatures agree, ``block`` pairs at a time: a block of
    2M pairs compared at once held three pairs x bins arrays (~0.8 GB)."""
    out = np.empty(len(pairs))
    for lo in range(0, len(pairs), block):
        part = pairs[lo : lo + block]
        out[lo : lo + len(part)] = (sig8[part[:, 0]] == sig8[part[:, 1]]).mean(axis=1)
    return out


def _verify(
    local: np.ndarray,
    involved: np.ndarray,
    label: np.ndarray,
    fetch: Callable[[np.ndarray], pl.Series],
    chars: np.ndarray,
    sig8: np.ndarray,
    threshold: float,
    seed: int,
    chunk: int,
    spilled: SpilledShingles | None = None,
    work: dict[str, int] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs ``local`` (positions in ``involved``, the texts of the block) whose exact Jaccard reaches
    ``threshold``, as pairs of texts, their similarity, and ``label`` (components over ``involved``) with them
    joined. ``sig8``: the 8-bit signatures of ``involved``;
    ``spilled``: their shingle sets, if the block is bigger than :data:`CHUNK_CHARS` (else shingled here).
    ``work``: counts of the pairs checked and found similar are added to it (:func:`_tally`).

    A pair is dropped before any text is read if so few of its 8-bit bins agree that a pair at exactly the
    threshold would show as few with probability below :data:`MISS` (:func:`least_agreement`), and before
    its product if its sets' sizes alone keep it below the threshold (:func:`may_reach`, lossless). The
    rest are checked most similar first by the estimate, and a pair already joined through others is skipped:
    a dense cluster of m near-copies costs about m checks, not m squared. The shingles of the block's texts are computed once if they hold at most
    :data:`CHUNK_CHARS` characters, else per sparse product of at most that many pair sides.
    """
    none = np.zeros((0, 2), dtype=np.int64), np.zeros(0), label
    if len(local) == 0:
        return none
    held_chars = chars[involved]
    keep, share = worth_checking(sig8, held_chars, local, threshold)
    estimate = (share[keep] - 1 / 256) / (1 - 1 / 256)  # 8-bit minima agree by chance 1 time in 256
    del share
    local = local[np.flatnonzero(keep)[np.argsort(-estimate, kind="stable")]]  # one copy, not two
    del keep, estimate
    if len(local) == 0:
        return none
    held = None
    if spilled is None:
        held = _shingle_matrix(shingles(fetch(involved), seed=seed), len(involved))
    cells = np.cumsum(held_chars[local[:, 0]] + held_chars[local[:, 1]])
    edges: list[np.ndarray] = []
    sims: list[np.ndarray] = []
    start = 0
    while start < len(local):  # sparse products of at most CHUNK_CHARS pair sides and `chunk` pairs
        room = int(np.searchsorted(cells, (cells[start - 1] if start else 0) + CHUNK_CHARS, side="right"))
        end = min(max(room, start + 1), start + chunk, len(local))
        part = local[start:end]
        part = part[label[part[:, 0]] != label[part[:, 1]]]
        start = end
        if len(part) == 0:
            continue
        if held is not None:
            part = part[may_reach(held[1], part, threshold)]
            jac = _jaccard(*held, part) if len(part) else np.zeros(0)
        else:
            assert spilled is not None
            rows = np.unique(part)
            a, size = spilled.matrix(rows)
            local_part = np.searchsorted(rows, part)
            reach = may_reach(size, local_part, threshold)
            part = part[reach]
            jac = _jaccard(a, size, local_part[reach]) if reach.any() else np.zeros(0)
        if len(part) == 0:
            continue
        ok = jac >= threshold
        if work is not None:
            _tally(work, "checked", len(part))
            _tally(work, "similar", int(ok.sum()))
        if ok.any():
            edges.append(part[ok])
            sims.append(jac[ok])
            label = _join(label, part[ok])
    if not edges:
        return none
    return involved[np.concatenate(edges)], np.concatenate(sims), label


def near_duplicates(
    k: pl.DataFrame | str,
    threshold: float = 0.9,
    perms: int = 128,
    seed: int = 1,
    sketches: SketchTable | None = None,
    texts: TextStore | None = None,
    work: dict[str, int] | None = None,
) -> pl.DataFrame:
    """Flag battles whose prompt is a near-copy of an earlier, different prompt.

    Distinct normalised texts get MinHash signatures; LSH banding tuned to ``threshold - 0.1`` proposes
    pairs (so pairs just above the threshold are not missed), and the exact Jaccard similarity of
    their shingle sets decides. ``k``: :func:`keyed` battles. A streaming caller passes the ``sketches`` and
    ``texts`` it filled batch by batch (tables of one DuckDB connection, :mod:`arenavotes.dedup.tables`), and
    ``k`` as the name of a table of that connection (battle_id, tstamp, key); without them, ``k``'s ``norm``
    column is sketched here, in an in-memory database. Only the candidates -- prompts sharing a band bucket
    with another -- come back from the tables. ``work``, if given, receives the counts of the check's work
    (``prompts``: distinct prompts; the rest see :func:`_tally`).
    """
    if sketches is None or texts is None:
        import duckdb

        from arenavotes.dedup.tables import DuckTexts, SketchTable

        assert isinstance(k, pl.DataFrame), "a table name needs the sketches and texts of its connection"
        first = k.group_by("key", maintain_order=True).agg(pl.col("norm").first())
        with duckdb.connect() as con, SketchTable(con, threshold, perms, seed) as own, DuckTexts(con) as store:
            own.add(first["key"], first["norm"])
            store.put(first["key"], first["norm"])
            return near_duplicates(k.drop("norm"), threshold, perms, seed, own, store, work)
    from arenavotes.db import register_arrow, unregister_arrow

    con = sketches.con
    table = k if isinstance(k, str) else "_near_k"
    if not isinstance(k, str):
        register_arrow(con, table, k.select("battle_id", "tstamp", "key").to_arrow())
    try:
        # each distinct prompt's number: the order of its first battle by time, then battle id
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _near_rows AS
               SELECT key, (row_number() OVER (ORDER BY min(pos)) - 1)::BIGINT AS row FROM
                 (SELECT key, row_number() OVER (ORDER BY tstamp NULLS LAST, battle_id) AS pos FROM {table})
               GROUP BY key"""
        )
        if work is not None:
            _tally(work, "prompts", con.execute("SELECT count(*) FROM _near_rows").fetchall()[0][0])
        return _flag_near(con, table, sketches, texts, threshold, seed, work)
    finally:
        if not isinstance(k, str):
            unregister_arrow(con, table)
        con.execute("DROP TABLE IF EXISTS temp._near_rows")


def _flag_near(
    con: duckdb.DuckDBPyConnection,
    table: str,
    sketches: SketchTable,
    texts: TextStore,
    threshold: float,
    seed: int,
    work: dict[str, int] | None = None,
) -> pl.DataFrame:
    """The flags of :func:`near_duplicates` from the tables ``table`` (battle_id, tstamp, key) and
    ``_near_rows`` (key, row)."""
    from arenavotes.db import frame, register_arrow, spill_folder, unregister_arrow
    from arenavotes.dedup.tables import candidate_sketches, shared_buckets

    members, bucket, n_buckets = shared_buckets(con, "_near_rows", sketches)
    if n_buckets == 0:
        return empty()
    involved = np.unique(members)  # the candidates, numbered 0.. in row order below
    # their 8-bit signatures stay in DuckDB with their texts, read a block at a time (2M conversations: 640,503
    # candidates, 82 MB of signatures and 45 MB of keys held through the whole check)
    keys, chars = candidate_sketches(con, "_near_rows", sketches, involved)
    place = np.zeros(len(involved), dtype=np.int64)  # each candidate's number in the order of the blocks
    held_keys = [keys]
    del keys

    def arrange(order: np.ndarray) -> None:
        texts.arrange(held_keys.pop().gather(order), sketches.name, chars[order])  # the keys: not needed after
        place[order] = np.arange(len(order))

    candidates = [np.searchsorted(involved, members).astype(index_type(len(involved))), bucket]
    del members, bucket  # handed over: near_pairs holds its reordered copies only
    p, sim = near_pairs(
        candidates,
        n_buckets,
        lambda rows: texts.signatures_at(place[rows], sketches.perms),
        chars,
        lambda rows: texts.at(place[rows]),
        threshold,
        seed,
        arrange=arrange,
        spill=spill_folder(con),
        work=work,
    )
    if len(p) == 0:
        return empty()
    n = len(involved)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(p)), (p[:, 0], p[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    best = np.zeros(n)
    np.maximum.at(best, p[:, 0], sim)
    np.maximum.at(best, p[:, 1], sim)
    near = np.flatnonzero(best > 0)
    clustered = pl.DataFrame({"u": involved[near], "cluster": label[near], "sim": best[near]})
    register_arrow(con, "_near_want", clustered.select(row="u").to_arrow())
    try:
        battles = frame(
            con,
            f"""SELECT r.row AS u, k.battle_id, k.tstamp FROM _near_want w JOIN _near_rows r USING (row)
               JOIN {table} k USING (key) ORDER BY k.tstamp NULLS LAST, k.battle_id""",
        )
    finally:
        unregister_arrow(con, "_near_want")
    by_text = battles.group_by("u", maintain_order=True).agg(pl.col("battle_id"), pl.col("tstamp").first())
    in_cluster = clustered.join(by_text, on="u", how="left").sort("u")
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
    return from_frame(out, "near_duplicate_prompt", "prompts/minhash@2") if out.height else empty()
