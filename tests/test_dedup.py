"""Duplicate and adversarial vote detectors: table-driven, property and known-answer tests."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import unicodedata
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import numpy as np
import polars as pl
import pytest
from conftest import DATA, run
from hypothesis import example, given, settings
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from arenavotes.config import DedupSettings
from arenavotes.dedup import detect, identity, prompts, voters, votes
from arenavotes.dedup.flagging import from_frame
from arenavotes.dedup.simulate import honest_voter_ids, inject
from arenavotes.ratings import RatingParams, rate
from arenavotes.ratings.simulate import simulate_battles

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _prompts_2023() -> tuple[pl.DataFrame, pl.DataFrame]:
    rows = [
        json.loads(x)
        for x in gzip.decompress(
            (DATA / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz").read_bytes()
        ).splitlines()
    ]
    b = pl.DataFrame(
        {
            "battle_id": [r["question_id"] for r in rows],
            "tstamp": [dt.datetime.fromtimestamp(r["tstamp"], dt.UTC) for r in rows],
        }
    )
    t = pl.DataFrame({"battle_id": [r["question_id"] for r in rows], "text": ["\n".join(r["turns"]) for r in rows]})
    return b, t


def test_exact_duplicates_and_the_frequency_cap() -> None:
    b = pl.DataFrame(
        {"battle_id": [f"b{i}" for i in range(60)], "tstamp": [T0 + dt.timedelta(minutes=i) for i in range(60)]}
    )
    text = ["hi"] * 40 + ["Hi  "] * 5 + [f"question {i}" for i in range(15)]
    k = prompts.keyed(b, pl.DataFrame({"battle_id": b["battle_id"], "text": text}))
    dup = prompts.exact_duplicates(k)
    assert dup.height == 44 and dup.filter(pl.col("battle_id") == "b1")["reason"][0].startswith("same prompt as b0")
    flags, stats = prompts.cap_frequent(k, quantile=0.9, cap=25, seed=3)
    assert stats["prompts_capped"] == 1 and flags.height == 45 - 25
    again, _ = prompts.cap_frequent(k.sample(fraction=1.0, shuffle=True, seed=1), quantile=0.9, cap=25, seed=3)
    assert set(again["battle_id"]) == set(flags["battle_id"])  # seeded, independent of row order
    other, _ = prompts.cap_frequent(k, quantile=0.9, cap=25, seed=4)
    assert set(other["battle_id"]) != set(flags["battle_id"])


def _exact_by_definition(k: pl.DataFrame) -> pl.DataFrame:
    """prompts/exact@1 as Polars gave it before the SQL (``k`` sorted by time, nulls last, then battle id)."""
    d = k.with_columns(
        occurrence=pl.int_range(1, pl.len() + 1).over("key"),
        count=pl.len().over("key"),
        first=pl.col("battle_id").first().over("key"),
    ).filter(pl.col("occurrence") > 1)
    return from_frame(
        d.with_columns(
            score=pl.col("occurrence").cast(pl.Float64),
            reason=pl.format("same prompt as {} (occurrence {} of {})", "first", "occurrence", "count"),
        ),
        "duplicate_prompt",
        "prompts/exact@1",
    )


def _cap_by_definition(k: pl.DataFrame, quantile: float, cap: int, seed: int) -> tuple[pl.DataFrame, dict]:
    """prompts/cap@1 as Polars gave it before the SQL."""
    counts = k.group_by("key").len()
    cutoff = float(np.quantile(counts["len"].to_numpy(), quantile))
    cap = cap or max(int(cutoff), 1)
    heavy = counts.filter((pl.col("len") > cutoff) & (pl.col("len") > cap))["key"]
    sub = k.filter(pl.col("key").is_in(heavy.implode()))
    lottery = [hashlib.md5(f"{seed}:{b}".encode()).hexdigest() for b in sub["battle_id"].to_list()]
    out = (
        sub.with_columns(ticket=pl.Series(lottery, dtype=pl.String))
        .with_columns(draw=pl.col("ticket").rank("ordinal").over("key"), count=pl.len().over("key"))
        .filter(pl.col("draw") > cap)
    )
    stats = {"cutoff": cutoff, "prompts_capped": heavy.len(), "votes_flagged": out.height}
    reason = pl.format(
        "prompt asked {} times (top {}% of prompts): {} kept, this one not drawn",
        "count",
        pl.lit(f"{(1 - quantile) * 100:g}"),
        pl.lit(cap),
    )
    flags = from_frame(
        out.with_columns(score=pl.col("count").cast(pl.Float64), reason=reason), "prompt_capped", "prompts/cap@1"
    )
    return flags, stats


def _duplicate_votes_by_definition(k: pl.DataFrame, window: float) -> pl.DataFrame:
    """votes/duplicate@1 as Polars gave it before the SQL."""
    b = k.filter(pl.col("voter_id").is_not_null() & pl.col("tstamp").is_not_null()).sort(
        ["voter_id", "tstamp", "battle_id"]
    )
    b = b.with_columns(lo=pl.min_horizontal("model_a", "model_b"), hi=pl.max_horizontal("model_a", "model_b"))
    group = ("voter_id", "lo", "hi", "key")
    b = b.with_columns(
        gap=(pl.col("tstamp") - pl.col("tstamp").shift(1)).dt.total_milliseconds().over(group) * 0.001,
        prev=pl.col("battle_id").shift(1).over(group),
    )
    d = b.filter(pl.col("gap").is_not_null() & (pl.col("gap") <= window))
    reason = pl.format("same voter, same models and prompt as {}, {} s earlier", "prev", pl.col("gap").round(1))
    return from_frame(d.with_columns(score=pl.col("gap"), reason=reason), "duplicate_vote", "votes/duplicate@1")


_IDS = st.text(alphabet="aAbZé中0_-:", min_size=1, max_size=4)


@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 40)),  # time (seconds; ties and nulls)
            st.sampled_from(["p", "q", "r", "s"]),  # prompt key
            st.one_of(st.none(), st.sampled_from(["v", "w", "V"])),  # voter
            st.sampled_from(["x", "y", "z"]),
            st.sampled_from(["x", "y", "z"]),
        ),
        max_size=40,
    ),
    ids=st.lists(_IDS, min_size=40, max_size=40, unique=True),
    quantile=st.sampled_from([0.5, 0.9, 0.999]),
    cap=st.integers(0, 4),
    seed=st.integers(0, 5),
    window=st.sampled_from([0.0, 1.5, 10.0, 3600.0]),
)
@settings(max_examples=60, deadline=None)
def test_repeat_detectors_in_sql_are_their_polars_definitions(
    rows: list[tuple], ids: list[str], quantile: float, cap: int, seed: int, window: float
) -> None:
    """The exact, cap and duplicate-vote detectors run as SQL over the workspace (dedup.keyed) flag exactly what
    their Polars definitions flag, reasons and scores to the bit: time ties broken by battle id bytes, missing
    times last, either model order, voters or times missing."""
    k = pl.DataFrame(
        {
            "battle_id": ids[: len(rows)],
            "tstamp": [None if r[0] is None else T0 + dt.timedelta(seconds=r[0]) for r in rows],
            "key": [r[1] for r in rows],
            "voter_id": [r[2] for r in rows],
            "model_a": [r[3] for r in rows],
            "model_b": [r[4] for r in rows],
        },
        schema={
            "battle_id": pl.String,
            "tstamp": pl.Datetime("us", "UTC"),
            "key": pl.String,
            "voter_id": pl.String,
            "model_a": pl.String,
            "model_b": pl.String,
        },
    )
    ordered = k.sort(["tstamp", "battle_id"], nulls_last=True)
    order = ["flag", "detector", "battle_id"]
    shuffled = k.sample(fraction=1.0, shuffle=True, seed=seed)  # the SQL does not depend on row order
    assert prompts.exact_duplicates(shuffled).sort(order).equals(_exact_by_definition(ordered).sort(order))
    got, stats = prompts.cap_frequent(shuffled, quantile=quantile, cap=cap, seed=seed)
    if k.height:
        want, want_stats = _cap_by_definition(ordered, quantile, cap, seed)
        assert got.sort(order).equals(want.sort(order))
        assert {s: stats[s] for s in want_stats} == want_stats
    keys = shuffled.select("battle_id", "key")
    assert (
        votes.duplicate_votes(shuffled.drop("key"), keys, window)
        .sort(order)
        .equals(_duplicate_votes_by_definition(ordered, window).sort(order))
    )


def test_near_duplicates_on_real_prompts() -> None:
    b, t = _prompts_2023()
    k = prompts.keyed(b, t)
    near = prompts.near_duplicates(k, threshold=0.9)
    assert 25 <= near.height <= 45
    assert (near["score"] >= 0.9).all() and (near["score"] < 1.0 + 1e-12).all()
    texts = dict(t.iter_rows())
    # a known real case: the same Cinderella prompt with a small edit
    assert any("cinderella" in texts[x].lower() for x in near["battle_id"])
    # near-duplicates are of *different* texts: no flagged battle shares its key with its representative
    assert near["reason"].str.contains("first asked in").all()


def _grams(text: str) -> set[str]:
    t = unicodedata.normalize("NFKC", text)[: prompts.MAX_CHARS]
    return {t[i : i + prompts.SHINGLE] for i in range(max(len(t) - prompts.SHINGLE + 1, 1))} if t else set()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="abcdeéß中 \u0301", max_size=40), min_size=2, max_size=6))
def test_columnar_shingles_and_jaccard_match_python_sets(texts: list[str]) -> None:
    """The numpy rolling hash and the sparse Jaccard give what Python sets of 5-grams give (any script,
    combining marks, texts shorter than a shingle)."""
    texts = [t for t in texts if t] or ["a", "b"]
    g = prompts.shingles(pl.Series(texts))
    sizes = dict(g.group_by("pid").len().iter_rows())
    for i, t in enumerate(texts):
        assert sizes.get(i, 0) == len(_grams(t))
    pairs = np.array([(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))])
    if len(pairs):
        got = prompts.jaccard_pairs(g, pairs)
        assert np.array_equal(prompts.jaccard_pairs(pl.concat([g, g]).reverse(), pairs), got)  # any order, repeats
        for (i, j), jac in zip(pairs, got, strict=True):
            a, b = _grams(texts[i]), _grams(texts[j])
            assert jac == pytest.approx(len(a & b) / len(a | b) if a | b else 0.0)


@given(
    st.lists(st.one_of(st.none(), st.text(alphabet="abcdé中 \u0301", max_size=60)), min_size=1, max_size=12),
    st.integers(1, 200),
)
@settings(deadline=None)
def test_signatures_do_not_depend_on_how_many_characters_are_sketched_together(
    texts: list[str | None], budget: int
) -> None:
    """Sketching a bounded number of characters at a time (the memory bound) gives each text the signature it
    gets alone, and every span of texts is within the budget unless it is one text."""
    series = pl.Series(texts, dtype=pl.String)
    whole = prompts.signatures(series, perms=16, batch_chars=10**9)
    assert np.array_equal(prompts.signatures(series, perms=16, batch_chars=budget), whole)
    alone = [prompts.signatures(series.slice(i, 1), perms=16) for i in range(len(texts))]
    assert np.array_equal(np.concatenate(alone), whole)
    lens = np.array([len(t or "") for t in texts])
    runs = prompts.spans(lens, budget)
    assert [i for lo, hi in runs for i in range(lo, hi)] == list(range(len(texts)))
    assert all(hi - lo == 1 or lens[lo:hi].sum() <= budget for lo, hi in runs)


def _with_near_copies() -> pl.DataFrame:
    """:func:`prompts.keyed` battles of the real 2023 prompts plus 400 near-copies of them (1-3 characters
    changed)."""
    _, t = _prompts_2023()
    rng = np.random.default_rng(3)
    base = [x for x in t["text"].to_list() if len(x) > 30]
    copies = []
    for _ in range(400):
        chars = list(base[int(rng.integers(len(base)))])
        for _ in range(int(rng.integers(1, 4))):
            chars[int(rng.integers(len(chars)))] = "#"
        copies.append("".join(chars))
    texts = t["text"].to_list() + copies
    ids = [f"x{i:05d}" for i in range(len(texts))]
    bb = pl.DataFrame(
        {"battle_id": ids, "tstamp": [None] * len(ids)},
        schema={"battle_id": pl.String, "tstamp": pl.Datetime("us", "UTC")},
    )
    return prompts.keyed(bb, pl.DataFrame({"battle_id": ids, "text": texts}))


@pytest.mark.parametrize("block", [20_000, 300])
def test_each_block_of_the_exact_check_reads_only_its_own_texts(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The candidates' texts and 8-bit signatures are copied once, in block order, and each block reads one run
    of them (DuckTexts has no lookup among every text any more): looking a block's keys up among every text
    scanned every text once per block (at 2M conversations, the spill folder once per block: time grew with N
    squared), and every candidate's signature was held through the whole check (640,503 at 2M: 82 MB). With
    300-character blocks most groups are bigger than a block: their texts are still read, and shingled, once
    (each sparse product had fetched and shingled its texts again). The flags are those of one block."""
    from arenavotes.dedup.tables import DuckTexts

    k = _with_near_copies()
    whole = prompts.near_duplicates(k, threshold=0.9)
    arranged: list[int] = []
    asked: list[np.ndarray] = []
    signed: list[np.ndarray] = []
    arrange, at, signatures_at = DuckTexts.arrange, DuckTexts.at, DuckTexts.signatures_at

    def counted_arrange(
        self: DuckTexts, keys: pl.Series, sketches: str | None = None, sizes: np.ndarray | None = None
    ) -> None:
        arranged.append(len(keys))
        arrange(self, keys, sketches, sizes)

    def counted_at(self: DuckTexts, pos: np.ndarray) -> pl.Series:
        asked.append(pos.copy())
        return at(self, pos)

    def counted_signatures(self: DuckTexts, pos: np.ndarray, perms: int) -> np.ndarray:
        signed.append(pos.copy())
        return signatures_at(self, pos, perms)

    monkeypatch.setattr(DuckTexts, "arrange", counted_arrange)
    monkeypatch.setattr(DuckTexts, "at", counted_at)
    monkeypatch.setattr(DuckTexts, "signatures_at", counted_signatures)
    spilled: list[int] = []
    spill = prompts.SpilledShingles.__init__

    def counted_spill(self: prompts.SpilledShingles, involved: np.ndarray, *args: Any) -> None:
        spilled.append(len(involved))
        spill(self, involved, *args)

    monkeypatch.setattr(prompts.SpilledShingles, "__init__", counted_spill)
    monkeypatch.setattr(prompts, "CHUNK_CHARS", block)
    cut = prompts.near_duplicates(k, threshold=0.9)
    assert (len(spilled) > 5) == (block == 300), spilled
    assert len(arranged) == 1 and len(asked) > 5, (arranged, len(asked))
    for pos in asked + signed:  # one run each, every text of it once
        assert sorted(pos.tolist()) == list(range(int(pos.min()), int(pos.max()) + 1))
    assert sorted(np.concatenate(asked).tolist()) == list(range(arranged[0]))  # disjoint, every candidate once
    assert sorted(np.concatenate(signed).tolist()) == list(range(arranged[0]))
    if block == 300:  # products of a few pairs skip other pairs than one block does: the same battles, other scores
        assert cut["battle_id"].sort().equals(whole["battle_id"].sort())
    else:
        assert cut.sort("battle_id").equals(whole.sort("battle_id"))


def test_least_agreement_is_the_binomial_quantile() -> None:
    """Known answer: the cut is the smallest count of agreeing bins that a pair at exactly the threshold shows
    with probability >= MISS (Binomial(n, J + (1 - J) / 256), summed here term by term)."""
    import math

    for threshold in (0.5, 0.8, 0.9, 0.97):
        for perms in (16, 128):
            got = prompts.least_agreement(threshold, perms)
            p = threshold + (1 - threshold) / 256
            for n in range(1, perms + 1):
                cdf, m = 0.0, 0
                for m in range(n + 1):  # m is the answer after the loop
                    cdf += math.comb(n, m) * p**m * (1 - p) ** (n - m)
                    if cdf >= prompts.MISS:
                        break
                assert round(got[n] * n) == m, (threshold, perms, n)
    assert round(prompts.least_agreement(0.9, 128)[128] * 128) == 97


@example(base="abcdefghijklm", extra="n", threshold=0.9)  # 9 and 10 shingles, one inside the other: J = 0.9 exactly
@example(base="aaaaaaaaaaaa", extra="b", threshold=0.5)  # repeats: 1 and 2 distinct shingles
@given(
    st.text(alphabet="abcdé中 ", min_size=0, max_size=60),
    st.text(alphabet="abcdé中 ", max_size=6),
    st.sampled_from([0.5, 0.8, 0.9, 0.95]),
)
@settings(deadline=None)
def test_the_size_bound_never_drops_a_pair_that_reaches_the_threshold(base: str, extra: str, threshold: float) -> None:
    """may_reach drops a pair only if its exact Jaccard (as the check computes it) is below the threshold: the
    texts share most shingles (a suffix added, a character changed), so many pairs sit at the bound."""
    texts = [base, base + extra, extra + base, base[: len(base) // 2] + extra + base[len(base) // 2 :]]
    texts = [t for t in texts if t] or ["a"]
    g = prompts.shingles(pl.Series(texts))
    pairs = np.array([(i, j) for i in range(len(texts)) for j in range(len(texts)) if i != j] or [(0, 0)])
    size = np.bincount(g["pid"].to_numpy(), minlength=len(texts))
    jac = prompts.jaccard_pairs(g, pairs)
    reach = prompts.may_reach(size, pairs, threshold)
    assert not (~reach & (jac >= threshold)).any()


def _pair_at(rng: np.random.Generator, shared: int, own: int) -> np.ndarray:
    """pid << 32 | hash keys of two sets with ``shared`` common members and ``own`` of each one's own."""
    h = rng.choice(2**32, size=shared + 2 * own, replace=False).astype(np.uint64)
    a = np.r_[h[:shared], h[shared : shared + own]]
    b = np.r_[h[:shared], h[shared + own :]]
    return np.r_[a, (np.uint64(1) << np.uint64(32)) | b]


def test_the_estimate_turns_away_pairs_below_the_threshold_and_keeps_those_at_it() -> None:
    """Pairs at exactly J = 0.9 (one-permutation MinHash, 128 bins, sets of 19 to 2,000 shingles: short ones
    fill their bins by copying) are all kept for the exact check; at J = 0.6 nearly all large ones are turned
    away (that is what the cut is for)."""
    rng = np.random.default_rng(7)
    kept, cut = 0, []
    for i in range(1500):
        own = int(rng.integers(1, 101))  # 18 own shared, own of each: J = 18 / 20
        at = prompts.minhash_signatures(_pair_at(rng, 18 * own, own), 2, seed=i)
        far = prompts.minhash_signatures(_pair_at(rng, 3 * own * 4, 4 * own), 2, seed=i)  # 12 / 20 = 0.6
        for sig, size, to in ((at, 19 * own, None), (far, 16 * own, cut)):
            keep, _ = prompts.worth_checking(
                (sig & np.uint64(0xFF)).astype(np.uint8),
                np.full(2, size + prompts.SHINGLE),
                np.array([[0, 1]]),
                0.9,
            )
            if to is None:
                kept += int(keep[0])
            elif size >= 400:
                to.append(bool(keep[0]))
    assert kept == 1500
    assert len(cut) > 500 and np.mean(cut) < 0.01


@pytest.mark.parametrize("pieces", [False, True])
def test_near_duplicates_agree_with_the_exact_answer(pieces: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real prompts plus near-copies (1-3 characters changed): every text the detector flags has an earlier
    text at Jaccard >= 0.9 (exact, all pairs), and it finds at least 95% of them -- also when the check is cut
    into the smallest pieces (a block per group, buckets a few pairs at a time, shingles per product)."""
    if pieces:
        monkeypatch.setattr(prompts, "CHUNK_CHARS", 300)
        monkeypatch.setattr(prompts, "MAX_PAIRS", 3)
    k = _with_near_copies()
    work: dict[str, int] = {}
    found = set(prompts.near_duplicates(k, threshold=0.9, work=work)["battle_id"])
    uniq = k.group_by("key", maintain_order=True).agg(pl.col("norm").first(), pl.col("battle_id"))
    g = prompts.shingles(uniq["norm"])
    n = uniq.height
    _, col = np.unique(g["h"].to_numpy(), return_inverse=True)
    a = sparse.csr_matrix((np.ones(g.height), (g["pid"].to_numpy(), col.ravel())), shape=(n, int(col.max()) + 1))
    inter = (a @ a.T).tocoo()  # all pairs, exactly
    size = np.asarray(a.sum(axis=1)).ravel()
    m = inter.row < inter.col
    x, y, iv = inter.row[m], inter.col[m], inter.data[m]
    ok = iv / (size[x] + size[y] - iv) >= 0.9
    _, label = connected_components(sparse.coo_matrix((np.ones(int(ok.sum())), (x[ok], y[ok])), shape=(n, n)))
    deg = np.bincount(np.r_[x[ok], y[ok]], minlength=n)
    seen: set[int] = set()
    truth: set[str] = set()
    for i in np.flatnonzero(deg > 0):  # every text of a cluster but its first
        if label[i] in seen:
            truth.update(uniq["battle_id"][int(i)].to_list())
        seen.add(int(label[i]))
    assert found <= truth
    assert len(found) >= 0.95 * len(truth) and len(truth) > 300
    # the work reported: every distinct prompt; candidates among them; pairs proposed >= checked >= similar; the
    # similar pairs are true ones, and at least a spanning forest of the clusters found
    flagged_texts = uniq.filter(pl.col("battle_id").list.eval(pl.element().is_in(list(found))).list.any()).height
    assert work["prompts"] == n
    assert flagged_texts <= work["candidates"] <= n
    assert work["candidate_pairs"] >= work["checked"] >= work["similar"]
    assert flagged_texts <= work["similar"] <= int(ok.sum())
    if pieces:  # the same battles as in one piece
        monkeypatch.undo()
        assert found == set(prompts.near_duplicates(k, threshold=0.9)["battle_id"])


def test_vote_detectors() -> None:
    b = pl.DataFrame(
        {
            "battle_id": ["1", "2", "3", "4"],
            "voter_id": ["v", "v", "v", "w"],
            "model_a": ["x", "y", "x", "x"],
            "model_b": ["y", "x", "z", "y"],
            "winner": ["model_a"] * 4,
            "tstamp": [T0, T0 + dt.timedelta(seconds=600), T0 + dt.timedelta(seconds=601), T0],
            "tokens_a": [200, 200, 200, 200],
            "tokens_b": [200, 200, 200, 200],
        }
    )
    keys = pl.DataFrame({"battle_id": ["1", "2", "3", "4"], "key": ["p", "p", "p", "p"]})
    dup = votes.duplicate_votes(b, keys, window=3600)
    assert dup["battle_id"].to_list() == ["2"]  # same voter, same pair (reversed), same prompt
    assert votes.duplicate_votes(b, keys, window=60).height == 0
    fast = votes.fast_votes(b, min_seconds=3, read_tokens_per_second=50)
    assert fast["battle_id"].to_list() == ["3"]  # 1 s after the previous vote; reading needs 11 s
    cap = votes.daily_cap(b, cap=2)
    assert cap["battle_id"].to_list() == ["3"]


@pytest.mark.parametrize(
    ("model", "answer", "leak"),
    [
        ("claude-3-opus", "I'm Claude, an AI assistant created by Anthropic.", True),
        ("gpt-4-0613", "I am ChatGPT, a large language model trained by OpenAI.", True),
        ("gemini-pro", "I am a large language model, trained by Google.", True),
        ("qwen-14b-chat", "我是通义千问，由阿里云开发的AI助手。", True),
        ("llama-2-70b-chat", "As an AI developed by Meta, I can't help with that.", True),
        ("mistral-medium", "I'm Mistral, a language model made by Mistral AI.", True),
        ("deepseek-v3", "I am DeepSeek-V3, an assistant.", True),
        ("palm-2", "Palm trees grow in tropical climates; date palms need heat.", False),
        ("gemini-pro", "In Google Sheets, use =SORT(A:A). Gemini is also a zodiac sign.", False),
        ("llama-2-13b-chat", "A llama is a domesticated South American camelid.", False),
        ("claude-2", "Claude Monet painted Water Lilies.", False),
        ("mistral-7b", "The mistral is a cold wind in southern France.", False),
        ("gpt-4", "Claude is a model made by Anthropic.", False),  # names another model, not itself
    ],
)
def test_identity_lexicon(model: str, answer: str, leak: bool) -> None:
    assert bool(identity.leaks(model, answer)) is leak


def test_identity_leaks_read_only_answers() -> None:
    b = pl.DataFrame({"battle_id": ["1", "2"], "model_a": ["gemini-pro", "gpt-4"], "model_b": ["gpt-4", "claude-2"]})
    # the user mentions Google; only answers are read, and only the answering model's own family counts
    answers = pl.DataFrame(
        {
            "battle_id": ["1", "1", "2"],
            "side": ["a", "b", "b"],
            "text": ["Open Google Sheets and ...", "I am ChatGPT, made by OpenAI.", "Sure."],
        }
    )
    f = identity.identity_leaks(b, answers)
    assert f["battle_id"].to_list() == ["1"] and "side b (gpt-4)" in f["reason"][0]
    # the stage's answers carry their side's model, and no battles are joined
    with_models = answers.with_columns(model=pl.Series(["gemini-pro", "gpt-4", "claude-2"]))
    assert identity.identity_leaks(None, with_models).equals(f)
    with pytest.raises(ValueError, match="model column"):
        identity.identity_leaks(None, answers)


_LEAK_PIECES = [
    "I'm Claude, an AI assistant created by Anthropic.",
    "I am ChatGPT, a large language model trained by OpenAI.",
    "I am GPT-3.5",
    "我是通义千问，由阿里云开发的AI助手。",
    "made by Mistral AI",
    "I am DeepSeek-V3",
    "I'm Command R+, built by Cohere",
    "developed by 01.AI",
    "Claude Monet painted Water Lilies.",
    "In Google Sheets, use =SORT(A:A).",
    "I am a large language model, trained by Google.",
    "DEEPSEEK",
    "\u212a",  # KELVIN SIGN: the patterns' case-insensitive k
    "\u017f",  # LATIN SMALL LETTER LONG S: their case-insensitive s
    "I'm Grok, from xAI",
    "created by Anthropic",
    "trained by Google DeepMind",
    "ı",
    " ",
    "\n",
    "a",
]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["claude-2", "gpt-4", "qwen-14b-chat", "mistral-7b", "deepseek-v3", "command-r", "yi-34b"]),
            st.lists(
                st.tuples(st.sampled_from(_LEAK_PIECES), st.sampled_from(["same", "upper", "lower", "swap"])),
                max_size=6,
            ),
        ),
        min_size=1,
        max_size=12,
    )
)
@example(
    [
        ("claude-2", [("created by Anthropic", "swap")]),
        ("qwen-14b-chat", [("我是通义千问，由阿里云开发的AI助手。", "same")]),
    ]
)
@settings(deadline=None, max_examples=150)
def test_identity_prefilter_never_hides_a_leak(rows: list[tuple[str, list[tuple[str, str]]]]) -> None:
    """The identity check runs each family's pattern only on answers that name one of its names or makers
    (a cheap regex first): the flags equal those of the patterns over every answer, whatever the casing
    (Unicode case folding included: the Kelvin sign is a case-insensitive k)."""
    case = {"same": str, "upper": str.upper, "lower": str.lower, "swap": str.swapcase}
    texts = ["".join(case[c](x) for x, c in pieces) for _, pieces in rows]
    ids = [str(i) for i in range(len(rows))]
    b = pl.DataFrame({"battle_id": ids, "model_a": [m for m, _ in rows], "model_b": ["gpt-4"] * len(rows)})
    answers = pl.DataFrame({"battle_id": ids, "side": ["a"] * len(rows), "text": texts})
    fast = identity.identity_leaks(b, answers)
    saved = dict(identity._PREFILTER)
    try:
        identity._PREFILTER.update(dict.fromkeys(saved))
        slow = identity.identity_leaks(b, answers)
    finally:
        identity._PREFILTER.update(saved)
    assert fast.sort("battle_id").equals(slow.sort("battle_id"))


def test_identity_prefilter_matches_the_kelvin_sign_like_the_pattern() -> None:
    """A leak spelled with a character that only case folding maps to a name's letter is still found."""
    b = pl.DataFrame({"battle_id": ["1"], "model_a": ["deepseek-v3"], "model_b": ["gpt-4"]})
    answers = pl.DataFrame({"battle_id": ["1"], "side": ["a"], "text": ["I am DeepSee\u212a-V3"]})
    assert identity.identity_leaks(b, answers)["battle_id"].to_list() == ["1"]


def test_voter_tests_hold_their_level_on_honest_voters() -> None:
    b, _ = simulate_battles(k=12, n=30_000, seed=3, voters=300)
    v = voters.prepare(b)
    assert v is not None
    fisher, p = voters.fisher_test(v)
    tested = np.bincount(v.v) >= 10
    assert abs(np.mean(p[tested] < 0.05) - 0.05) < 0.03  # p-values are ~uniform under the null
    evalue, log_e = voters.evalue_test(v)
    assert fisher.height == 0 and evalue.height == 0
    assert np.mean(log_e[tested] > np.log(20)) < 0.02  # Markov: P(E >= 20) <= 5%


@settings(max_examples=300, deadline=None)
@given(
    counts=st.lists(st.integers(0, 9), max_size=40),
    size=st.integers(1, 50),
    max_votes=st.none() | st.integers(1, 30),
)
def test_voter_blocks_hold_whole_voters_and_a_bounded_number_of_votes(
    counts: list[int], size: int, max_votes: int | None
) -> None:
    """Blocks follow each other, cover every voter and every vote once, hold at most ``size`` voters, and the
    votes of all but a block's last voter are at most ``max_votes``: a block is never bigger than the bound plus
    one voter's votes, whatever the number of voters."""
    v = np.repeat(np.arange(len(counts)), counts)
    blocks = list(voters.voter_blocks(v, len(counts), size, max_votes))
    assert [lo for lo, _, _ in blocks] == [0, *(hi for _, hi, _ in blocks[:-1])][: len(blocks)]
    assert (blocks[-1][1] if blocks else 0) == len(counts)
    for lo, hi, at in blocks:
        assert 0 < hi - lo <= size
        assert (at.start, at.stop) == (sum(counts[:lo]), sum(counts[:hi]))
        if max_votes is not None:
            assert sum(counts[lo : hi - 1]) <= max_votes


def test_voter_tests_are_the_same_in_blocks_of_any_number_of_votes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The voter tests hold a block of whole voters at a time, now bounded by votes too (``VOTE_BLOCK``): the
    probabilities, strengths, p-values, e-values and flags are the same to the last bit with blocks of 7 votes,
    of 500, or one block of everything."""
    b, truth = simulate_battles(k=10, n=12_000, seed=8, voters=100, theta_sd=1.5)
    strength = {f"model-{m:03d}": float(x) for m, x in enumerate(truth)}
    b = b.with_columns(battle_id=pl.format("b{}", pl.int_range(pl.len())))
    fan = pl.col("voter_id").is_in([f"v{x}" for x in (3, 17, 42, 77)])  # always the weaker model
    weaker_a = pl.col("model_a").replace_strict(strength) < pl.col("model_b").replace_strict(strength)
    b = b.with_columns(
        winner=pl.when(fan & weaker_a).then(pl.lit("model_a")).when(fan).then(pl.lit("model_b")).otherwise("winner")
    )

    def run_all() -> tuple[Any, ...]:
        v = voters.prepare(b)
        assert v is not None
        fisher, p = voters.fisher_test(v)
        evalue, log_e = voters.evalue_test(v)
        return (
            v.probs.tobytes(),
            v.theta.tobytes() if v.theta is not None else None,
            p.tobytes(),
            log_e.tobytes(),
            fisher.sort("battle_id").rows(),
            evalue.sort("battle_id").rows(),
            voters.position_bias(v).sort("battle_id").rows(),
            voters.single_model(v).sort("battle_id").rows(),
        )

    monkeypatch.setattr(voters, "VOTE_BLOCK", 10**9)
    whole = run_all()
    assert whole[4]  # the fans are flagged: the comparison covers flags, not only empty frames
    for block in (7, 500):
        monkeypatch.setattr(voters, "VOTE_BLOCK", block)
        assert run_all() == whole, block


def test_who_is_flagged_does_not_depend_on_pseudonyms_or_row_order() -> None:
    # voter ids are keyed pseudonyms: another workspace secret (or another row order) must flag the same votes
    b, truth = simulate_battles(k=10, n=12_000, seed=8, voters=100, theta_sd=1.5)
    strength = {f"model-{m:03d}": float(x) for m, x in enumerate(truth)}
    b = b.with_columns(battle_id=pl.format("b{}", pl.int_range(pl.len())))
    rng = np.random.default_rng(1)
    fans = [f"v{x}" for x in rng.choice(100, 8, replace=False)]  # always the weaker model
    fan = pl.col("voter_id").is_in(fans)
    weaker_a = pl.col("model_a").replace_strict(strength) < pl.col("model_b").replace_strict(strength)
    b = b.with_columns(
        winner=pl.when(fan & weaker_a)
        .then(pl.lit("model_a"))
        .when(fan)
        .then(pl.lit("model_b"))
        .otherwise(pl.col("winner"))
    )
    renamed = b.with_columns(voter_id=pl.lit("other-secret:") + pl.col("voter_id").str.reverse()).sample(
        fraction=1.0, shuffle=True, seed=4
    )
    flagged = []
    for frame in (b, renamed):
        v = voters.prepare(frame)
        assert v is not None
        fisher, p = voters.fisher_test(v)
        flagged.append((sorted(fisher["battle_id"].to_list()), np.sort(p)))
    assert flagged[0][0] == flagged[1][0] and len(flagged[0][0]) > 0
    assert np.allclose(flagged[0][1], flagged[1][1], rtol=1e-12, atol=0)  # sums in another order


def test_detectors_catch_rigging_campaigns() -> None:
    b, _ = simulate_battles(k=15, n=20_000, seed=5)
    b = honest_voter_ids(b, n_voters=800, seed=1)
    base = rate(b, RatingParams(ci="none"))
    target = base.models[int(np.argsort(-base.rating)[11])]
    ratings = dict(zip(base.models, base.rating.tolist(), strict=True))
    for strategy in ("target_only", "omnipresent", "deanon"):
        rigged, ids = inject(b, target=target, strategy=strategy, share=0.01, ratings=ratings, seed=2)
        out = detect(
            rigged,
            pl.DataFrame(schema={"battle_id": pl.String, "text": pl.String}),
            pl.DataFrame(schema={"battle_id": pl.String, "side": pl.String, "text": pl.String}),
            DedupSettings(),
        )
        hit = set(out.flags.filter(pl.col("flag") == "anomalous_voter")["battle_id"])
        assert len(hit & set(ids)) / len(ids) >= 0.9, strategy
        assert len(hit - set(ids)) / (rigged.height - len(ids)) <= 0.01, strategy


def test_position_and_single_model_voters() -> None:
    """Two planted voters, each caught by its own detector and only by it.

    'lazy' always picks the side shown first, over every ordered pair of models (each model wins exactly half
    of its battles with lazy: position bias, no favourite); 'fan' always picks model-003, shown first in half
    of the battles and second in the other half (a favourite, no position bias). A detector that found
    nothing, flagged honest voters, or answered the other question fails here.
    """
    b, _ = simulate_battles(k=8, n=6000, seed=8, voters=60)
    models = sorted(set(b["model_a"]) | set(b["model_b"]))
    pairs = [(x, y) for x in models for y in models if x != y]  # 56 ordered pairs
    lazy = pl.DataFrame(
        {
            "battle_id": [f"lazy{i}" for i in range(len(pairs))],
            "model_a": [x for x, _ in pairs],
            "model_b": [y for _, y in pairs],
            "winner": ["model_a"] * len(pairs),
            "voter_id": ["lazy"] * len(pairs),
        }
    )
    others = [m for m in models if m != "model-003"] * 6  # 42 battles, 21 per side
    fan = pl.DataFrame(
        {
            "battle_id": [f"fan{i}" for i in range(len(others))],
            "model_a": ["model-003" if i % 2 else m for i, m in enumerate(others)],
            "model_b": [m if i % 2 else "model-003" for i, m in enumerate(others)],
            "winner": ["model_a" if i % 2 else "model_b" for i in range(len(others))],
            "voter_id": ["fan"] * len(others),
        }
    )
    b = pl.concat([b, lazy, fan], how="diagonal_relaxed")
    v = voters.prepare(b)
    assert v is not None
    pos = voters.position_bias(v)
    assert set(pos["battle_id"]) == set(lazy["battle_id"])
    assert pos["reason"][0].startswith(f"picked the side shown first in {lazy.height} of {lazy.height}")
    one = voters.single_model(v)
    assert set(one["battle_id"]) == set(fan["battle_id"])
    assert (one["flag"] == "single_model_voter").all() and one["reason"][0].startswith(
        f"picked model-003 in {fan.height} of {fan.height} battles"
    )


def test_repeats_are_found_across_sources(tmp_path: Path) -> None:
    """An overlapping export ingested as a second source: its repeated prompt and repeated vote are flagged
    against the first source, also when only the second source is deduplicated."""
    a = pl.DataFrame(
        {
            "model_a": ["x", "y", "x"],
            "model_b": ["y", "z", "z"],
            "winner": ["model_a", "tie", "model_b"],
            "judge": ["v1", "v2", "v3"],
            "tstamp": [1700000000.0, 1700000100.0, 1700000200.0],
            "prompt": ["What is the capital of France?", "Write a poem about the sea", "Explain TCP handshakes"],
        }
    )
    b = pl.DataFrame(
        {
            "model_a": ["y", "x"],
            "model_b": ["x", "z"],
            "winner": ["model_b", "tie"],
            "judge": ["v1", "v9"],
            "tstamp": [1700000500.0, 1700009000.0],
            "prompt": ["What is the capital of France?", "Something else entirely, asked later"],
        }
    )
    a.write_csv(tmp_path / "a.csv")
    b.write_csv(tmp_path / "b.csv")
    ws = tmp_path / "ws"
    run("init", str(ws))
    run(
        "ingest",
        "-w",
        str(ws),
        str(tmp_path / "a.csv"),
        str(tmp_path / "b.csv"),
        "--format",
        "generic",
        "--map",
        "voter=judge",
    )
    for args in ((), ("--source", "b")):
        out = run("dedup", "-w", str(ws), *args)
        assert out.returncode == 0, out.stderr
        rows = run(
            "sql",
            "-w",
            str(ws),
            "select b.source, f.flag, f.reason from flags f join battles b using (battle_id) order by 2",
            "--format",
            "csv",
        ).stdout.splitlines()[1:]
        got = {(r.split(",")[0], r.split(",")[1]) for r in rows}
        assert got == {("b", "duplicate_prompt"), ("b", "duplicate_vote")}, rows
        assert all(",a:" in r or "as a:" in r for r in rows)  # the earlier battle is in source a


def test_the_stage_names_the_battles_it_flags_without_loading_their_ids(tmp_path: Path, monkeypatch) -> None:
    """The stage loads one source's battles without their ids and looks up only the rows its vote checks flag
    (or tie): its fast-vote, daily-cap and surge flags are those of the detectors on the whole frame, ids and
    all -- votes cast at the same moment by one voter (ordered by id), and battles without a time, included."""
    from arenavotes import dedup
    from arenavotes.dedup import store
    from arenavotes.stages.dedup import DedupOptions, run_dedup
    from arenavotes.workspace import Workspace

    t0 = 1714521600.0  # 2024-05-01 00:00 UTC
    k = np.arange(3000)
    log = pl.DataFrame(
        {
            "model_a": np.array(["x", "y", "z"])[k % 3],
            "model_b": np.array(["y", "z", "x"])[k % 3],
            "winner": np.where((k // 10) % 2 == 1, "model_a", "model_b"),
            "judge": [f"v{i % 300}" for i in k],
            "tstamp": t0 + (k % 10) * 86400.0 + k * 60.0,
        }
    )
    burst = pl.DataFrame(  # five voters, 24 votes each at one moment: a surge, and ties broken by battle id
        {
            "model_a": "x",
            "model_b": "y",
            "winner": "model_a",
            "judge": [f"r{i % 5}" for i in range(120)],
            "tstamp": t0 + 3 * 86400.0 + 3600.0,
        }
    )
    heavy = pl.DataFrame(  # one voter, 60 votes two seconds apart: fast, and over the daily cap
        {
            "model_a": "y",
            "model_b": "z",
            "winner": "tie",
            "judge": "heavy",
            "tstamp": t0 + 5 * 86400.0 + 2.0 * np.arange(60),
        }
    )
    rows = pl.concat([log, burst, heavy], how="vertical_relaxed").with_columns(
        tstamp=pl.when(pl.int_range(pl.len()) % 97 == 5).then(None).otherwise(pl.col("tstamp"))
    )
    rows.sample(fraction=1.0, shuffle=True, seed=1).write_csv(tmp_path / "votes.csv")
    ws = Workspace.init(tmp_path / "ws")
    out = run("ingest", "-w", str(ws.path), str(tmp_path / "votes.csv"), "--format", "generic", "--map", "voter=judge")
    assert out.returncode == 0, out.stderr
    settings = ws.settings().dedup
    with ws.connect() as con:
        battles, texts, answers = store.load_source(con, "votes")
        assert battles.height == rows.height and battles["tstamp"].null_count() > 0
        whole = dedup.repeats(store.load_repeat_battles(con), texts, settings)
        expected = dedup.detect(battles, texts, answers, settings, whole).flags
    assert {"fast_vote", "daily_cap", "rating_surge"} <= set(expected["flag"])
    seen: list[list[str]] = []
    detect_battles = dedup.detect_battles

    def spied(battles: pl.DataFrame, *args: Any, **kw: Any) -> Any:
        seen.append(battles.columns)
        return detect_battles(battles, *args, **kw)

    monkeypatch.setattr(dedup, "detect_battles", spied)  # as the stage imports it
    run_dedup(ws, DedupOptions())
    assert seen and all("battle_id" not in c for c in seen)
    with ws.connect() as con:
        got = pl.from_arrow(con.sql("SELECT battle_id, flag, detector, score, reason FROM flags").to_arrow_table())
    key = ["flag", "detector", "battle_id"]
    assert got.sort(key).equals(expected.select(got.columns).sort(key))


def test_streamed_dedup_flags_what_the_whole_frames_flag(tmp_path: Path, monkeypatch) -> None:
    """The stage reads prompts and answers a few battles at a time and keeps only keys and sketches; its flags
    must equal those of the detectors run on every text at once -- near-copies split over batches and sources,
    multi-turn prompts, identity leaks included."""
    from arenavotes import dedup
    from arenavotes.dedup import store
    from arenavotes.ingest import ingest_file
    from arenavotes.stages.dedup import DedupOptions, run_dedup
    from arenavotes.workspace import Workspace

    with gzip.open(DATA / "arena-conversations-100" / "conversations.jsonl.gz", "rt") as fh:
        rows = [json.loads(line) for line in fh]
    copies = []
    for i, r in enumerate(rows[:60]):  # a second source of near-copies (one character changed), asked later
        c = dict(r, question_id=f"copy{i}", tstamp=str(float(r["tstamp"]) + 86400))
        for side in ("conversation_a", "conversation_b"):
            turns = c[side] if isinstance(c[side], list) else __import__("ast").literal_eval(c[side])
            turns = [dict(t) for t in turns]
            turns[0]["content"] = turns[0]["content"] + (" ?" if i % 2 else "")
            if side == "conversation_a" and i % 7 == 0 and c["model_a"].startswith("claude"):
                turns[1]["content"] = "Hello! I'm Claude, an AI assistant made by Anthropic."
            c[side] = turns
        copies.append(c)
    (tmp_path / "copies.jsonl").write_text("\n".join(json.dumps(c) for c in copies))
    ws = Workspace.init(tmp_path / "ws")
    with ws.connect() as con:
        ingest_file(con, DATA / "arena-conversations-100" / "conversations.jsonl.gz", key=ws.secret(), source="a")
        ingest_file(con, tmp_path / "copies.jsonl", key=ws.secret(), source="b")
        # the reference: every text of every source in memory at once
        battles = store.load_repeat_battles(con)
        _, texts_a, _ = store.load_source(con, "a")
        _, texts_b, _ = store.load_source(con, "b")
        whole = dedup.repeats(battles, pl.concat([texts_a, texts_b]), ws.settings().dedup)
        expected = pl.concat(
            [dedup.detect(*store.load_source(con, s), ws.settings().dedup, whole).flags for s in ("a", "b")]
        )
    assert expected.filter(pl.col("flag") == "near_duplicate_prompt").height >= 20
    assert expected.filter(pl.col("flag") == "duplicate_prompt").height >= 20
    assert expected.filter(pl.col("flag") == "identity_leak").height >= 1
    monkeypatch.setattr(store, "BATCH", 3)
    through_python: list[str] = []
    replace = store.replace_flags

    def spied(con: Any, source: str, flags: pl.DataFrame, *args: Any, **kw: Any) -> None:
        through_python.extend(flags["flag"].to_list())
        replace(con, source, flags, *args, **kw)

    monkeypatch.setattr(store, "replace_flags", spied)
    result = run_dedup(ws, DedupOptions())
    assert not (ws.path / "shards").exists()  # the local engine writes no shards
    with ws.connect() as con:
        got = pl.from_arrow(con.sql("SELECT battle_id, flag, detector, score, reason FROM flags").to_arrow_table())
        recorded = [
            json.loads(c)["flags"] for (c,) in con.execute("SELECT counts FROM runs WHERE stage = 'dedup'").fetchall()
        ]
    key = ["battle_id", "flag", "detector"]
    assert got.sort(key).select(key).equals(expected.sort(key).select(key))
    assert got.sort(key)["reason"].to_list() == expected.sort(key)["reason"].to_list()
    # the repeats' flags went from DuckDB to the flags table without a trip through Python (at 2M conversations
    # ~1M of them, 0.14 GB a copy); the counts recorded and reported are still the table's
    assert "identity_leak" in through_python
    assert not {"duplicate_prompt", "near_duplicate_prompt", "prompt_capped", "duplicate_vote"} & set(through_python)
    assert result.rows_out == got["battle_id"].n_unique()
    by = got.group_by("flag", "detector").len()
    assert {k: v for c in recorded for k, v in c.items()} == {f"{f}|{d}": n for f, d, n in by.iter_rows()}
    with ws.connect() as con:  # the temporary tables are gone with the run
        assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_dedup%'").fetchall()[0][0]

    # --engine ray: the sketches computed from the shards (here by the actor class run in this process, two
    # prompts a call; Ray itself in tests/test_ray_engine.py) and read back by key give the same flags
    import pyarrow.parquet as pq

    from arenavotes.dedup import ray_engine

    def in_process(folder: Path, fn: type, args: tuple = (), **_: object) -> Path:
        actor, out = fn(*args), folder / "out"
        out.mkdir()
        for p in sorted((folder / "in").glob("*.parquet")):
            t = pq.read_table(p)
            for lo in range(0, t.num_rows, 2):
                pq.write_table(actor(t.slice(lo, 2)), out / f"{p.stem}-{lo}.parquet")
        return out

    monkeypatch.setattr(ray_engine, "map_shards", in_process)
    run_dedup(ws, DedupOptions(engine="ray", shards=tmp_path / "shards"))
    assert not any((tmp_path / "shards").rglob("*.parquet"))
    with ws.connect() as con:
        again = pl.from_arrow(con.sql("SELECT battle_id, flag, detector, score, reason FROM flags").to_arrow_table())
    assert again.sort(key).equals(got.sort(key))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=300)), max_size=30))
def test_prompt_keys_are_the_md5_of_the_utf8_text(texts: list[str | None]) -> None:
    """Keys hashed by DuckDB over the Arrow buffer are hashlib's MD5 of the UTF-8 bytes, in the same order,
    for any text (any script, combining marks, NUL, emoji); a missing text has no key."""
    import hashlib

    from arenavotes.dedup.prompts import md5_hex

    got = md5_hex(pl.Series(texts, dtype=pl.String)).to_list()
    assert got == [None if t is None else hashlib.md5(t.encode("utf-8", "surrogatepass")).hexdigest() for t in texts]


def test_ray_shard_folders_are_private_and_always_removed(tmp_path: Path) -> None:
    """The shards of --engine ray hold prompt texts: their folder is 0700 while it exists and is gone after the
    stage, also when the stage fails."""
    import pyarrow as pa

    from arenavotes.raydata import iter_shards, shard_folder, write_shards

    with shard_folder(tmp_path / "shards", "dedup") as folder:
        write_shards(pa.table({"text": ["secret prompt"] * 5}), folder, rows=2)
        assert folder.stat().st_mode & 0o777 == 0o700
        assert sum(t.num_rows for t in iter_shards(folder / "in")) == 5
    assert not folder.exists()
    with pytest.raises(RuntimeError), shard_folder(tmp_path / "shards", "embed", "r2") as failing:
        write_shards(pa.table({"text": ["secret prompt"]}), failing)
        raise RuntimeError("the stage failed")
    assert not failing.exists()


def test_spilled_shingles_go_to_the_workspace_spill_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A group of near-copies too big for a block writes its shingle hashes to a file: on a workspace's
    connection that file is in the workspace's private spill folder (mode 0700), not in TMPDIR; the flags are
    the same as in memory."""
    from arenavotes import db
    from arenavotes.dedup.tables import DuckTexts, SketchTable

    k = _with_near_copies()
    whole = prompts.near_duplicates(k, threshold=0.9)
    folders: list[Path | None] = []
    spill = prompts.SpilledShingles.__init__

    def spied(self: prompts.SpilledShingles, *args: Any) -> None:
        spill(self, *args)
        folders.append(Path(self._dir.name).parent)
        assert list(Path(self._dir.name).iterdir()) == []  # the mapped file already has no name

    monkeypatch.setattr(prompts.SpilledShingles, "__init__", spied)
    monkeypatch.setattr(prompts, "CHUNK_CHARS", 300)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").mkdir()
    con = db.connect(tmp_path / "w.duckdb")
    first = k.group_by("key", maintain_order=True).agg(pl.col("norm").first())
    with SketchTable(con, 0.9) as own, DuckTexts(con) as store:
        own.add(first["key"], first["norm"])
        store.put(first["key"], first["norm"])
        got = prompts.near_duplicates(k.drop("norm"), 0.9, 128, 1, own, store)
    con.close()
    assert folders and set(folders) == {tmp_path / "w.duckdb.tmp"}, folders
    assert (tmp_path / "w.duckdb.tmp").stat().st_mode & 0o777 == 0o700
    assert list((tmp_path / "elsewhere").iterdir()) == []
    assert got["battle_id"].sort().equals(whole["battle_id"].sort())
    # an in-memory connection's DuckDB default, '.tmp' in the working directory, is not taken even where it
    # exists, nor is a workspace spill folder that others can read
    import duckdb

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".tmp").mkdir(mode=0o755)
    assert db.spill_folder(duckdb.connect()) is None
    con = db.connect(tmp_path / "w.duckdb")
    assert db.spill_folder(con) == tmp_path / "w.duckdb.tmp"
    (tmp_path / "w.duckdb.tmp").chmod(0o755)
    assert db.spill_folder(con) is None
    con.close()


def test_sketches_held_twice_read_as_once() -> None:
    """Sketches merged from Ray's output may hold a key twice (a retried task's file written twice): after
    ``deduplicate`` the table gives the same buckets and candidates as sketching each text once."""
    import duckdb

    from arenavotes.dedup.tables import SketchTable, candidate_sketches, shared_buckets

    keys = pl.Series(["k1", "k2", "k3"])
    norms = pl.Series(["a prompt here, twice", "a prompt here, twice!", "a third one"])
    got = []
    for twice in (False, True):
        with duckdb.connect() as con, SketchTable(con, 0.9) as table:
            sketched = table.sketch(norms)
            table.put(keys, *sketched)
            if twice:
                table.put(keys.slice(1, 2), *(x[1:] for x in sketched))
                table.deduplicate()
            con.execute("CREATE TEMP TABLE r AS SELECT unnest(['k3', 'k2', 'k1']) AS key, unnest([0, 1, 2]) AS row")
            signed = con.sql(f"SELECT key, sig8, chars FROM {table.name} ORDER BY key").fetchall()
            got.append(
                (shared_buckets(con, "r", table), candidate_sketches(con, "r", table, np.array([0, 1, 2])), signed)
            )
    (b1, c1, s1), (b2, c2, s2) = got
    assert b1[2] == b2[2] and all((x == y).all() for x, y in zip(b1[:2], b2[:2], strict=True))
    assert c1[0].to_list() == c2[0].to_list() == ["k3", "k2", "k1"]
    assert (c1[1] == c2[1]).all()
    assert s1 == s2 and len(s1) == 3  # one signature per key, the same bytes


def _buckets_by_definition(bands: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(text, bucket) of every band bucket two or more texts share, numbered band by band in order of hash; the
    first ``cap`` texts by row of each (the numpy code that ran before the buckets moved to SQL)."""
    texts, ids, total = [], [], 0
    for band in range(bands.shape[1]):
        order = np.argsort(bands[:, band], kind="stable")
        sb = bands[order, band]
        starts = np.flatnonzero(np.r_[True, sb[1:] != sb[:-1]])
        sizes = np.diff(np.r_[starts, len(order)])
        shared = sizes >= 2
        st_, sz = starts[shared], np.minimum(sizes[shared], cap)
        offset = np.arange(int(sz.sum())) - np.repeat(np.cumsum(sz) - sz, sz)
        texts.append(order[np.repeat(st_, sz) + offset])
        ids.append(np.repeat(np.arange(total, total + len(st_)), sz))
        total += len(st_)
    return np.concatenate(texts), np.concatenate(ids), total


@settings(max_examples=40, deadline=None)
@given(
    hashes=st.lists(st.lists(st.integers(0, 5) | st.integers(0, 2**64 - 1), min_size=3, max_size=3), max_size=60),
    cap=st.integers(2, 5),
)
def test_shared_buckets_in_sql_are_the_numpy_definition(hashes: list[list[int]], cap: int) -> None:
    """The LSH buckets found by DuckDB (a band at a time, members only) are those of the in-memory definition:
    the same members in the same order, the same bucket numbers, the same cap, for any band hashes (full
    64-bit values included: they are unsigned in both)."""
    import duckdb
    import pyarrow as pa

    from arenavotes.dedup.tables import SketchTable, shared_buckets

    bands = np.array(hashes, dtype=np.uint64).reshape(-1, 3)
    n = len(bands)
    with duckdb.connect() as con, SketchTable(con, 0.9) as table:
        table.bands = 3
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table.name} (key VARCHAR, b0 UBIGINT, b1 UBIGINT, b2 UBIGINT)")
        keys = [f"k{i}" for i in range(n)]
        _bands = pa.table({"key": keys, **{f"b{i}": bands[:, i] for i in range(3)}})
        con.execute(f"INSERT INTO {table.name} SELECT * FROM _bands")
        perm = np.random.default_rng(n).permutation(n)  # rows are numbered apart from the table's order
        _rows = pa.table({"key": [keys[i] for i in perm], "row": np.arange(n)})
        con.execute("CREATE TEMP TABLE r AS SELECT * FROM _rows")
        members, bucket, total = shared_buckets(con, "r", table, cap=cap)
    want_m, want_b, want_total = _buckets_by_definition(bands[perm], cap)
    assert total == want_total
    assert members.tolist() == want_m.tolist() and bucket.tolist() == want_b.tolist()
    assert members.dtype == bucket.dtype == np.int32  # 4 bytes a membership: held through the whole check


def test_near_pairs_holds_no_copy_of_the_memberships_it_is_handed() -> None:
    """The memberships go to near_pairs in a list it empties: while a block is checked, neither the arrays
    the caller made nor any copy but near_pairs' reordered ones is alive (the caller's arrays, the link
    matrix and the sort order were held to the end: most of dedup's growth from 1M to 2M conversations)."""
    import gc
    import weakref

    texts = pl.Series(["the same old prompt text, one", "the same old prompt text, two", "something else"])
    members = np.array([0, 1, 0, 1], dtype=np.int32)
    bucket = np.array([0, 0, 1, 1], dtype=np.int32)
    handed = [weakref.ref(members), weakref.ref(bucket)]
    candidates = [members, bucket]
    del members, bucket
    alive: list[bool] = []

    def sig8(rows: np.ndarray) -> np.ndarray:
        gc.collect()
        alive.append(any(r() is not None for r in handed))
        sketches = prompts.Sketches(0.5)
        return sketches.sketch(texts.gather(rows))[1]

    chars = np.array([len(t) + 1 for t in texts])
    pairs, sim = prompts.near_pairs(candidates, 2, sig8, chars, lambda rows: texts.gather(rows), 0.5, seed=1)
    assert candidates == [] and alive == [False]
    assert pairs.tolist() == [[0, 1]] and 0.5 <= sim[0] < 1


def test_each_check_gets_its_pairs_as_narrow_positions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A block's candidate pairs reach the exact check as positions among the block's texts, in 4-byte
    integers, and no pair of text numbers outlives the call that makes them (they and two int64 copies were
    ~56 bytes a pair held through a check of up to MAX_PAIRS pairs); the flags are those of the exact answer."""
    import gc
    import weakref

    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    base = [" ".join("".join(rng.choice(letters, 6)) for _ in range(12)) for _ in range(30)]  # unrelated texts
    texts = pl.Series([t + suffix for t in base for suffix in ("", " !", " ?")])
    seen: list[tuple[np.dtype, int, int, bool]] = []
    verify = prompts._verify
    made: list[weakref.ref] = []
    clique_pairs = prompts._clique_pairs

    def made_pairs(members: np.ndarray, bucket: np.ndarray) -> np.ndarray:
        out = clique_pairs(members, bucket)
        made.append(weakref.ref(out))
        return out

    def spied(local: np.ndarray, involved: np.ndarray, *args: Any) -> Any:
        gc.collect()
        seen.append((local.dtype, int(local.max()), len(involved), any(r() is not None for r in made)))
        return verify(local, involved, *args)

    monkeypatch.setattr(prompts, "_clique_pairs", made_pairs)
    monkeypatch.setattr(prompts, "_verify", spied)
    ids = [f"b{i:02d}" for i in range(len(texts))]
    battles = pl.DataFrame({"battle_id": ids, "tstamp": pl.Series([None] * len(ids), dtype=pl.Datetime("us", "UTC"))})
    flags = prompts.near_duplicates(prompts.keyed(battles, pl.DataFrame({"battle_id": ids, "text": texts})), 0.8)
    assert seen and all(d == np.int32 and top < n and not alive for d, top, n, alive in seen)
    assert set(flags["battle_id"]) == {f"b{i:02d}" for i in range(len(texts)) if i % 3}


def _uniforms_by_definition(v: voters.Votes, seed: int) -> np.ndarray:
    """vote_uniforms as its docstring defines it, with a Polars window for "identical votes before it"."""
    m = np.uint64(len(v.models))
    key = ((v.i.astype(np.uint64) * m + v.j.astype(np.uint64)) * np.uint64(3) + v.obs.astype(np.uint64)) * np.uint64(
        2
    ) + v.a_is_i.astype(np.uint64)
    nth = pl.DataFrame({"v": v.v, "key": key}).select(pl.int_range(pl.len()).over("v", "key"))[:, 0].to_numpy()
    mix = voters._splitmix64
    salt = mix(np.array([seed], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        h = mix(mix(key ^ salt) + nth.astype(np.uint64))
    fingerprint = np.zeros(int(v.v.max()) + 1, dtype=np.uint64)
    for voter in np.unique(v.v):
        fingerprint[voter] = np.bitwise_xor.reduce(h[v.v == voter])
    x = mix(h ^ mix(fingerprint[v.v]))
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


@settings(max_examples=60, deadline=None)
@given(
    votes=st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(0, 2), st.booleans()), min_size=1, max_size=60
    ),
    seed=st.integers(0, 3),
)
def test_vote_uniforms_follow_their_definition(votes: list[tuple[int, int, int, bool]], seed: int) -> None:
    """The one-sort computation of vote_uniforms (repeats of a vote, voter fingerprints) gives the bits of the
    definition, whatever the repeats and voters."""
    v, i, obs, a_is_i = (np.array(c) for c in zip(*votes, strict=True))
    n = len(v)
    vs = voters.Votes(
        np.unique(v).astype(str),
        v,
        i,
        i + 1,
        obs,
        a_is_i,
        np.full((n, 3), 1 / 3),
        np.arange(n),
        ("m0", "m1", "m2", "m3", "m4"),
    )
    assert np.array_equal(voters.vote_uniforms(vs, seed), _uniforms_by_definition(vs, seed))


def _fast_by_definition(b: pl.DataFrame, min_seconds: float, rps: float) -> pl.DataFrame:
    t = b.filter(pl.col("voter_id").is_not_null() & pl.col("tstamp").is_not_null()).sort(
        ["voter_id", "tstamp", "battle_id"]
    )
    t = t.with_columns(
        gap=(pl.col("tstamp") - pl.col("tstamp").shift(1)).dt.total_milliseconds().over("voter_id") * 0.001,
        need=pl.lit(min_seconds) + (pl.col("tokens_a").fill_null(0) + pl.col("tokens_b").fill_null(0)) / rps,
    ).filter(pl.col("gap").is_not_null() & (pl.col("gap") < pl.col("need")))
    return t.select(
        "battle_id",
        score=pl.col("gap"),
        reason=pl.format(
            "{} s after the same voter's previous vote; reading both answers takes at least {} s",
            pl.col("gap").round(1),
            pl.col("need").round(1),
        ),
    )


def _daily_by_definition(b: pl.DataFrame, cap: int) -> pl.DataFrame:
    t = b.filter(pl.col("voter_id").is_not_null() & pl.col("tstamp").is_not_null()).sort(
        ["voter_id", "tstamp", "battle_id"]
    )
    t = t.with_columns(day=pl.col("tstamp").dt.convert_time_zone("UTC").dt.date()).with_columns(
        nth=pl.int_range(1, pl.len() + 1).over("voter_id", "day")
    )
    return t.filter(pl.col("nth") > cap).select(
        "battle_id",
        score=pl.col("nth").cast(pl.Float64),
        reason=pl.format("vote {} of this voter on {} (cap {})", "nth", "day", pl.lit(cap)),
    )


@settings(max_examples=200, deadline=None)
@example(rows=[("v1", 1, None), ("v1", 1, None), ("v1", 0, None), ("v1", 0, None)], categorical=False)  # two tie runs
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["v1", "v2", "v3"])),
            st.one_of(st.none(), st.integers(-5_000, 120_000)),  # ms around 23:59:58 (equal ones, midnight)
            st.one_of(st.none(), st.integers(0, 400)),
        ),
        min_size=1,
        max_size=40,
    ),
    categorical=st.booleans(),
)
def test_fast_and_daily_checks_follow_their_definition(
    rows: list[tuple[str | None, int | None, int | None]], categorical: bool
) -> None:
    """The numpy fast-vote and daily-cap checks flag what the Polars definitions (a sorted copy and windows)
    flag, with the same scores and reasons: votes at the same moment, votes without voter or time, days cut
    at UTC midnight, voter ids as strings or Categoricals."""
    base = dt.datetime(2024, 3, 1, 23, 59, 58, tzinfo=dt.UTC)
    b = pl.DataFrame(
        {
            "battle_id": [f"b{(k * 7919) % 1009}" for k in range(len(rows))],
            "voter_id": [r[0] for r in rows],
            "tstamp": [None if r[1] is None else base + dt.timedelta(milliseconds=r[1]) for r in rows],
            "tokens_a": [r[2] for r in rows],
            "tokens_b": [None if r[2] is None else r[2] // 2 for r in rows],
        },
        schema_overrides={"voter_id": pl.String, "tstamp": pl.Datetime("us", "UTC"), "tokens_a": pl.Int32},
    )
    if categorical:
        b = b.with_columns(pl.col("voter_id").cast(pl.Categorical))

    def same(got: pl.DataFrame, want: pl.DataFrame) -> None:
        assert got.select("battle_id", "score", "reason").sort("battle_id").equals(want.sort("battle_id"))

    same(votes.fast_votes(b, min_seconds=3, read_tokens_per_second=50), _fast_by_definition(b, 3, 50))
    for cap in (1, 2, 5):
        same(votes.daily_cap(b, cap=cap), _daily_by_definition(b, cap))
    # the stage's frame has no ids: the rows it flags (and those tied in voter and time) are named by a lookup,
    # asked for those rows alone
    asked: list[int] = []
    ids = b["battle_id"]

    def lookup(rows: np.ndarray) -> pl.Series:
        asked.extend(rows.tolist())
        return ids.gather(rows)

    without = b.drop("battle_id")
    fast = votes.fast_votes(without, min_seconds=3, read_tokens_per_second=50, battle_ids=lookup)
    same(fast, _fast_by_definition(b, 3, 50))
    rows = b.with_row_index("row").filter(pl.col("voter_id").is_not_null(), pl.col("tstamp").is_not_null())
    tied = rows.filter(pl.len().over("voter_id", "tstamp") > 1)["row"].to_list()
    flagged = rows.filter(pl.col("battle_id").is_in(fast["battle_id"].implode()))["row"].to_list()
    assert set(asked) <= set(tied) | set(flagged)
    for cap in (1, 2, 5):
        same(votes.daily_cap(without, cap=cap, battle_ids=lookup), _daily_by_definition(b, cap))


@settings(max_examples=60, deadline=None)
@given(
    keys=st.lists(st.integers(0, 40), min_size=1, max_size=80),
    spread=st.sampled_from([1, 1 << 20, 1 << 40]),
    min_rows=st.integers(0, 3),
    seed=st.integers(0, 9),
)
def test_sums_by_key_dense_and_sorted_routes_agree(keys: list[int], spread: int, min_rows: int, seed: int) -> None:
    """Keys in a narrow range are counted into slots, spread-out keys sorted: both give the same keys and the
    same bits of every sum (each key's rows added in row order), with or without a minimum of rows."""
    k = np.array(keys, dtype=np.int64) * spread
    x = np.random.default_rng(seed).normal(size=len(k)) * 1e3
    uniq, sums = voters.sums_by_key(k, {"x": x, "n": None, "parts": (x[:3], x[3:])}, min_rows)
    n = np.bincount(np.unique(k, return_inverse=True)[1])
    want = np.unique(k)[n >= min_rows]
    assert np.array_equal(uniq, want)
    for key, total, count in zip(uniq, sums["x"], sums["n"], strict=True):
        expected = 0.0
        for value in x[k == key]:
            expected += value
        assert total == expected and count == (k == key).sum()
    assert np.array_equal(sums["parts"], sums["x"])


@settings(max_examples=80, deadline=None)
@given(keys=st.lists(st.integers(-(2**40), 2**40), max_size=60), repeat=st.integers(1, 3))
def test_unique_inverse_is_numpys(keys: list[int], repeat: int) -> None:
    k = np.array(keys * repeat, dtype=np.int64)
    got, want = voters.unique_inverse(k), np.unique(k, return_inverse=True)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert got[0].dtype == want[0].dtype


def test_voter_codes_join_on_hashes_and_never_merge_two_voters() -> None:
    """Voter codes are joined on the ids' hashes, and on the ids themselves when two ids share a hash (forced
    here): either way every battle gets its own voter's code."""
    from arenavotes import db

    con = db.connect(None)
    ids = [f"voter-{n % 7}" if n % 5 else None for n in range(40)]
    con.execute(
        "INSERT INTO battles (battle_id, source, model_a, model_b, winner, voter_id) "
        "SELECT 'b' || i::VARCHAR, 's', 'x', 'y', 'tie', v FROM (SELECT unnest(range(40)) AS i, unnest(?) AS v)",
        [ids],
    )
    db.create_voter_codes(con, "codes")
    want = {i: sorted({x for x in ids if x}).index(v) if v else None for i, v in enumerate(ids)}

    def coded() -> dict[int, int | None]:
        rows = con.sql(f"SELECT b.battle_id, v.code FROM battles b {db.voter_code_join(con, 'codes')}").fetchall()
        return {int(b[1:]): c for b, c in rows}

    assert "hash(" in db.voter_code_join(con, "codes") and coded() == want
    con.execute("UPDATE codes SET h = 0")  # every id one hash
    assert "hash(" not in db.voter_code_join(con, "codes") and coded() == want


def test_duplicate_vote_scores_do_not_depend_on_how_the_rows_are_cut() -> None:
    """A duplicate vote 111.079 s after the first scores the same alone or beside others: Polars divides a chunk
    of one row by 1000.0 exactly and longer chunks by multiplying by 1/1000, so the score of the same gap was
    111.079 or 111.07900000000001 as DuckDB cut its result (the Ray twin of a workspace once differed so)."""
    import duckdb

    from arenavotes.dedup import keyed

    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    pair = [("b1", t0, "v", "x", "y", "k"), ("b2", t0 + dt.timedelta(seconds=111.079), "v", "y", "x", "k")]
    more = [(f"c{i}", t0 + dt.timedelta(seconds=i), "w", "x", "y", "k2") for i in range(3)]
    scores = []
    for rows in (pair, pair + more):
        with duckdb.connect() as con:
            con.execute(
                "CREATE TABLE k (battle_id VARCHAR, tstamp TIMESTAMPTZ, voter_id VARCHAR, model_a VARCHAR, "
                "model_b VARCHAR, key VARCHAR)"
            )
            con.executemany("INSERT INTO k VALUES (?, ?, ?, ?, ?, ?)", rows)
            flags = keyed.duplicate_votes(con, "k")
        scores.append(flags.filter(pl.col("battle_id") == "b2")["score"].to_list())
    assert scores[0] == scores[1] == [111079 * 0.001]


def test_flags_are_replaced_in_slices_within_one_transaction() -> None:
    """The stage hands its flags to DuckDB a slice at a time (bounded copies); the table gets every flag, in
    order, stamped with the run, and a slice that fails leaves the source's old flags whole."""
    from arenavotes import db
    from arenavotes.dedup.store import replace_flags

    con = db.connect(None)
    con.execute(
        """INSERT INTO battles (battle_id, source, model_a, model_b, winner, arena)
           SELECT 's:' || i::VARCHAR, 's', 'x', 'y', 'tie', 'text' FROM range(10) r(i)"""
    )
    flags = pl.DataFrame(
        {
            "battle_id": [f"s:{i}" for i in range(10)],
            "flag": ["fast_vote"] * 10,
            "detector": ["votes/fast@1"] * 10,
            "score": [float(i) for i in range(10)],
            "reason": [f"gap {i}" for i in range(10)],
        }
    )
    replace_flags(con, "s", flags, "r1", rows=3)
    got = db.frame(con, "SELECT * FROM flags")
    assert got.drop("run_id").equals(flags) and got["run_id"].to_list() == ["r1"] * 10
    broken = flags.with_columns(reason=pl.when(pl.col("score") == 7).then(None).otherwise(pl.col("reason")))
    with pytest.raises(Exception, match="NOT NULL"):
        replace_flags(con, "s", broken, "r2", rows=3)
    assert db.frame(con, "SELECT * FROM flags").equals(got)


def test_candidate_texts_arranged_in_pieces(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """DuckDB cannot spill a sort of many long strings (270,000 texts of 2.9 KB failed under 400 MB), so the
    candidates' texts are sorted into place a piece of bounded characters at a time: the same arranged table
    (texts and signatures, numbered in the given order) and the same flags as one sort. The rows reach their
    pieces through files in the spill folder (here TMPDIR), which are gone afterwards."""
    import tempfile

    import duckdb

    from arenavotes.dedup import tables
    from arenavotes.dedup.tables import DuckTexts, SketchTable

    assert prompts.spans(np.array([5, 1, 1, 7, 2]), 7) == [(0, 3), (3, 4), (4, 5)]
    k = _with_near_copies()
    first = k.group_by("key", maintain_order=True).agg(pl.col("norm").first())
    order = first.sample(fraction=1.0, shuffle=True, seed=3)
    sizes = order["norm"].str.len_chars().to_numpy() + 1

    def arranged(budget: int) -> list[tuple[object, ...]]:
        monkeypatch.setattr(tables, "ARRANGE_CHARS", budget)
        with duckdb.connect() as con, SketchTable(con, 0.9, 128, 1) as sk, DuckTexts(con) as store:
            sk.add(first["key"], first["norm"])
            store.put(first["key"], first["norm"])
            store.arrange(order["key"], sk.name, sizes)
            return con.sql(f"SELECT * FROM {store.arranged} ORDER BY rowid").fetchall()

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    whole, cut = arranged(10**12), arranged(2_000)
    assert len(prompts.spans(sizes, 2_000)) > 3 and not list(tmp_path.iterdir())
    assert len(whole) == order.height and [r[0] for r in cut] == list(range(order.height))
    assert cut == whole and [r[1] for r in whole] == order["norm"].to_list()
    flags = prompts.near_duplicates(k, threshold=0.9)
    monkeypatch.setattr(tables, "ARRANGE_CHARS", 10**12)
    assert flags.equals(prompts.near_duplicates(k, threshold=0.9))
