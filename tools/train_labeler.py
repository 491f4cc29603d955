"""Train the learned category labeler (``offline/learned@N``) from public labelled prompts, offline.

    .venv/bin/python tools/train_labeler.py --sources /path/to/labeler-sources [--out DIR] [--folds 5]

``--sources`` is a folder laid out as ``tools/labeler_sources.json`` lists it (each file as published,
checked against its sha256; where to get each one is in that manifest). The script

1. reads every source into rows (text, language, source, group, one label per category or unknown),
   with the category mapping of the manifest (LMArena's definitions: coding = asks for or about code;
   math = requires solving a math problem; creative_writing = asks for original creative text;
   instruction_following = explicit constraints on the output);
2. builds the labeler's features (``arenavotes.categories.textfeatures`` + the shipped encoder);
3. fits one L2 logistic regression per category (L-BFGS, seeded, no randomness besides the folds),
   weighting rows so that positives make up the prevalence LMArena reports for the category
   (``PREVALENCE``), so thresholds are tuned for arena traffic, not for the training mix;
4. cross-validates by *group* (a prompt and its translations or variants share a group, so no fold
   sees a translation of its test prompt) and picks each threshold that maximises the out-of-fold F1;
5. fits one head per LMArena hard-prompt criterion on the real arena prompts we labelled with LMArena's
   judge questions (``criteria_labels.csv``), and derives ``hard_prompt`` from their summed probabilities
   (the expected number of criteria met; LMArena: hard = 6 or more of 7);
6. writes ``head.npz``, ``labeler.json`` (thresholds, metrics, sources) and ``MODEL_CARD.md``.

Two runs on the same sources give byte-identical files. Arena-Hard v2.0 is never read.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.sparse import csr_matrix, diags, hstack

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from labeler_sources import CATEGORIES, CRITERIA, load_sources  # noqa: E402

from arenavotes.categories import learned  # noqa: E402
from arenavotes.categories.deterministic import detect_language  # noqa: E402
from arenavotes.categories.learned import column_sum  # noqa: E402
from arenavotes.categories.textfeatures import DENSE_NAMES, char_ngrams, dense  # noqa: E402
from arenavotes.embeddings.encoder import Encoder, from_folder  # noqa: E402

VERSION = 6
BITS = 17
#: share of arena prompts in each category, the weighting target (LMArena's 140k release for math,
#: creative writing and instruction following; coding: LMArena's is_code share of arena-2023 prompts)
PREVALENCE = {"coding": 0.25, "math": 0.08, "creative_writing": 0.085, "instruction_following": 0.18}
#: ridge on the weights, per category: chosen by out-of-fold F1 on the real arena prompts over the grid
#: below (``--search-l2`` runs the search again; 14 minutes on 2 cores)
L2 = {"coding": 1e-4, "math": 1e-4, "creative_writing": 1e-4, "instruction_following": 1e-5}
L2_GRID = (1e-5, 1e-4, 1e-3)
#: share of the training weight carried by the real arena prompts (the rest: the public benchmarks)
ARENA_SHARE = 0.5
#: the source of real arena prompts labelled by us (thresholds are tuned on its out-of-fold scores)
ARENA = "arena-2023"
#: real arena prompts that LMArena's pipeline chose as hard (Arena-Hard v0.1), labelled by us
HARD_SOURCE = "arena-hard-v0.1"
#: arena-2023 prompts translated by us into 18 languages, with their originals' labels
TRANSLATED = "arena-2023-translated"
#: share of the arena half's training weight carried by those translations (0: weighted as benchmark rows)
TRANSLATED_SHARE = 0.0
#: LMArena's seven hard-prompt criteria: one head each, learned from our labels of real arena prompts
#: (``criteria_labels.csv``: the arena-2023 prompts and Arena-Hard v0.1's, read against LMArena's judge questions)
CRITERIA_L2 = {c: 1e-3 for c in CRITERIA}
CRITERIA_L2_GRID = (1e-4, 1e-3, 1e-2)
#: ``hard_prompt`` is derived, as LMArena derives it from its judge's criteria (hard = 6 or more of 7): its score
#: is the expected number of criteria met (the sum of the seven probabilities), cut where the arena-2023 prompts
#: are marked hard out of fold as often as our labels mark them
HARD, HARD_MIN = "hard_prompt", 6
#: the encoder block and the structure block are scaled up so the ridge penalises them less per unit
EMB_SCALE, STRUCT_SCALE = 2.0, 1.0
#: the multilingual encoder (``learned@4``): its block follows the shared encoder's, scaled down so the ridge keeps
#: it from overriding the English-first block on English prompts (out of fold: at 2.0, arena-2023 math 0.800 and
#: coding 0.905; at 0.7, 0.823 and 0.907, seventh stop of 4 December)
SECOND_ENCODER, EMB2_SCALE = "e5-static", 0.7
LANGUAGE_GROUPS = {
    "English": "English",
    "Chinese": "Chinese",
    "ChineseT": "Chinese",
    "Japanese": "Japanese/Korean",
    "Korean": "Japanese/Korean",
    "Russian": "Cyrillic",
    "Ukrainian": "Cyrillic",
    "Bulgarian": "Cyrillic",
    "Serbian": "Cyrillic",
    "Arabic": "Arabic/Hebrew/Persian",
    "Hebrew": "Arabic/Hebrew/Persian",
    "Persian": "Arabic/Hebrew/Persian",
    "Hindi": "Indic/Thai/other scripts",
    "Bengali": "Indic/Thai/other scripts",
    "Telugu": "Indic/Thai/other scripts",
    "Thai": "Indic/Thai/other scripts",
    "Greek": "Indic/Thai/other scripts",
    # as CLD2 names them (``learned@6``: before, these four were counted as Latin-script)
    "Bangla": "Indic/Thai/other scripts",
    "Nepali": "Indic/Thai/other scripts",
    "Urdu": "Arabic/Hebrew/Persian",
    "Kazakh": "Cyrillic",
}


def language_group(language: str) -> str:
    if language in LANGUAGE_GROUPS:
        return LANGUAGE_GROUPS[language]
    return "unknown" if language == "unknown" else "other Latin-script"


def features(texts: list[str], encoder: Encoder, second: Encoder | None = None) -> csr_matrix:
    """The same blocks, in the same order and scale, as ``LearnedLabeler.probabilities`` reads (``second``: the
    multilingual encoder's block, after the shared encoder's, when the labeler has one)."""
    blocks = [char_ngrams(texts, BITS), csr_matrix(encoder.encode(texts) * EMB_SCALE)]
    if second is not None:
        blocks.append(csr_matrix(second.encode(texts) * EMB2_SCALE))
    blocks += [
        csr_matrix(dense(texts) * STRUCT_SCALE),
        csr_matrix(np.ones((len(texts), 1), dtype=np.float32)),
    ]
    return hstack(blocks, format="csr", dtype=np.float64)


def fit_logistic(X: csr_matrix, y: np.ndarray, w: np.ndarray, l2: float) -> np.ndarray:
    """argmin sum_i w_i logloss(x_i . beta, y_i) / sum w + l2/2 |beta|^2 (the intercept unpenalised)."""
    wn = w / w.sum()
    penal = np.ones(X.shape[1])
    penal[-1] = 0.0

    def f(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = X @ beta
        p = 1.0 / (1.0 + np.exp(-z))
        loss = float(wn @ (np.logaddexp(0.0, z) - y * z)) + 0.5 * l2 * float((penal * beta) @ beta)
        grad = X.T @ (wn * (p - y)) + l2 * penal * beta
        return loss, np.asarray(grad).ravel()

    res = minimize(f, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 200, "gtol": 1e-6})
    return np.asarray(res.x)


def row_weights(y: np.ndarray, prevalence: float, arena: np.ndarray, lang: np.ndarray) -> np.ndarray:
    """Weights that make the benchmarks look like arena traffic.

    Benchmark rows are balanced *per language*: within each language, positives carry ``prevalence`` of
    the language's weight and negatives the rest. Without this the head learns shortcuts such as "a short
    German question is math" (German comes mostly from MGSM) or "Vietnamese is instruction following" (from
    Marco-Bench-MIF). A language with one class only keeps just that class's share. Real arena rows
    (natural prevalence) together carry :data:`ARENA_SHARE` of the weight."""
    w = np.zeros(len(y))
    bench = ~arena
    n_bench = max(int(bench.sum()), 1)
    for language in np.unique(lang[bench]):
        m = bench & (lang == language)
        mass = m.sum() / n_bench
        pos = m & (y == 1)
        neg = m & (y != 1)
        if pos.any():
            w[pos] = mass * prevalence / pos.sum()
        if neg.any():
            w[neg] = mass * (1 - prevalence) / neg.sum()
    if bench.any():
        w[bench] *= (1 - ARENA_SHARE if arena.any() else 1.0) / w[bench].sum()
    if arena.any():
        w[arena] = (ARENA_SHARE if bench.any() else 1.0) / arena.sum()
    return w * len(y)


def arena_weights(
    y: np.ndarray, prevalence: float, arena: np.ndarray, lang: np.ndarray, translated: np.ndarray, share: float
) -> np.ndarray:
    """:func:`row_weights` with the translations of arena prompts (``translated``) moved into the arena half, where
    they carry ``share`` of its weight (the real arena prompts the rest). ``share`` 0: exactly :func:`row_weights`,
    the translations weighed as benchmark rows."""
    if share <= 0 or not translated.any():
        return row_weights(y, prevalence, arena, lang)
    w = row_weights(y, prevalence, arena | translated, lang)
    if arena.any():
        half = w[arena | translated].sum()
        w[translated] *= share * half / w[translated].sum()
        w[arena] *= (1 - share) * half / w[arena].sum()
    return w


#: the probability cuts a threshold is chosen from
CUT_GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)


def best_threshold(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """The probability cut with the largest weighted F1, and that F1."""
    best = (0.5, -1.0)
    for t in CUT_GRID:
        f = weighted_f1(p >= t, y == 1, w)[0]
        if f > best[1] + 1e-12:
            best = (float(t), f)
    return best


#: languages that take a category's main cut (chosen on the English arena prompts); any other detected language
#: takes the category's non-English cut where it has one (:func:`non_english_cut`)
MAIN_CUT_LANGUAGES = ("English", "unknown")
#: random halves (by group) of the translations that a non-English cut must win on the other half
CUT_SPLITS, CUT_WINS = 20, 16


def non_english_cut(
    p: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    bench: tuple[np.ndarray, np.ndarray, np.ndarray],
    main_cut: float,
    seed: int = 0,
) -> tuple[float | None, int]:
    """A category's cut for prompts in other languages, and the number of splits it won.

    The main cut is chosen where the labelled arena prompts are (English), and a request translated into
    another language scores lower than the same request in English (creative writing: a median positive of
    0.18 against 0.84), so one cut under-marks other languages. The cut for them maximises the mean of two
    out-of-fold F1s: on the translations of arena prompts (``p``, ``y`` their originals' labels, ``groups``
    which original) and on the public benchmarks' prompts in other languages (``bench`` = scores, labels,
    weights to LMArena's prevalence per language), which disagree where the translations alone would pull the
    cut too far. It is kept only if it is stable: chosen on a random half of the translations (whole groups),
    it beats ``main_cut`` on the other half in at least :data:`CUT_WINS` of :data:`CUT_SPLITS` splits; else
    None (the main cut serves every language).
    """
    if y.sum() < 20:
        return None, 0
    bp, by, bw = bench
    # the benchmarks' F1 at every cut, once (tens of thousands of rows; the splits only move the translations)
    bench_f1 = {float(c): weighted_f1(bp >= c, by == 1, bw)[0] for c in [*CUT_GRID, main_cut]}

    def objective(rows: np.ndarray, cut: float) -> float:
        translated = weighted_f1(p[rows] >= cut, y[rows] == 1, np.ones(int(rows.sum())))[0]
        return (translated + bench_f1[float(cut)]) / 2

    def best(rows: np.ndarray) -> float:
        return float(CUT_GRID[int(np.argmax([objective(rows, float(c)) for c in CUT_GRID]))])

    rng = np.random.default_rng(seed)
    distinct = np.unique(groups)
    wins = 0
    for _ in range(CUT_SPLITS):
        half = np.isin(groups, rng.permutation(distinct)[: len(distinct) // 2])
        wins += objective(~half, best(half)) > objective(~half, main_cut)
    return (best(np.ones(len(p), dtype=bool)) if wins >= CUT_WINS else None), wins


#: cuts tried on ``hard_prompt``'s score (the expected number of criteria met, 0-7)
HARD_GRID = np.round(np.arange(0.5, 7.0, 0.01), 2)


def non_english_share_cut(
    score: np.ndarray,
    gold: np.ndarray,
    translated: np.ndarray,
    bench: np.ndarray,
    groups: np.ndarray,
    main_cut: float,
    grid: np.ndarray,
    seed: int = 0,
) -> tuple[float | None, int]:
    """A criterion's (or ``hard_prompt``'s) cut for prompts in other languages, and the number of splits it won.

    Its main cut marks the English arena prompts as often as our labels do; translated into another language,
    the same prompts score lower (``learned@5`` marked 8.7% of the translations hard against 28.3% labelled),
    so one cut under-marks other languages. The cut for them, from ``grid``, minimises the mean of two gaps
    between the share marked and the share labelled: on the translations of arena prompts (rows ``translated``;
    ``groups``: which original) and on the benchmarks' labelled prompts in other languages (rows ``bench``,
    plainer than arena traffic, which keep the translations alone from pulling the cut too far). Kept only if
    stable, as :func:`non_english_cut`: chosen on a random half of the translations (whole groups), it beats
    ``main_cut`` on the other half in at least :data:`CUT_WINS` of :data:`CUT_SPLITS` splits; else None.
    """
    if gold[translated].sum() < 20:
        return None, 0
    cuts = [float(c) for c in grid]
    labelled = float(gold[bench].mean()) if bench.any() else 0.0
    bench_gap = {
        c: abs(float((score[bench] >= c).mean()) - labelled) if bench.any() else 0.0 for c in [*cuts, main_cut]
    }

    def objective(rows: np.ndarray, cut: float) -> float:
        return (abs(float((score[rows] >= cut).mean()) - float(gold[rows].mean())) + bench_gap[cut]) / 2

    def best(rows: np.ndarray) -> float:
        return cuts[int(np.argmin([objective(rows, c) for c in cuts]))]

    rng = np.random.default_rng(seed)
    distinct = np.unique(groups[translated])
    wins = 0
    for _ in range(CUT_SPLITS):
        half = np.isin(groups, rng.permutation(distinct)[: len(distinct) // 2])
        wins += objective(translated & ~half, best(translated & half)) < objective(translated & ~half, main_cut)
    return (best(translated) if wins >= CUT_WINS else None), wins


def weighted_f1(pred: np.ndarray, gold: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    tp = float(w[pred & gold].sum())
    fp = float(w[pred & ~gold].sum())
    fn = float(w[~pred & gold].sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return (2 * prec * rec / (prec + rec) if prec + rec else 0.0), prec, rec


def folds_of(groups: pl.Series, k: int) -> np.ndarray:
    """Fold of each row: by a hash of its group, so the split never depends on row order."""
    h = groups.hash(seed=0).to_numpy()
    return (h % np.uint64(k)).astype(np.int64)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "src/arenavotes/categories/data/learned")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--search-l2", action="store_true", help="search the ridge over L2_GRID per category")
    ap.add_argument("--encoder", type=Path, help="an encoder folder to try instead of the shipped one (experiments)")
    ap.add_argument(
        "--second-encoder",
        help=f"an encoder folder to use as the multilingual block instead of the shipped {SECOND_ENCODER} ('none': no block)",
    )
    ap.add_argument("--card-only", action="store_true", help="only write MODEL_CARD.md from --out's labeler.json")
    ap.add_argument(
        "--translated-share",
        type=float,
        default=TRANSLATED_SHARE,
        help="share of the arena half's weight carried by the translations of arena prompts (0: they weigh as benchmarks)",
    )
    ap.add_argument("--oof", type=Path, help="also write every row's out-of-fold score per category to this parquet")
    ap.add_argument(
        "--emb2-scale",
        action="append",
        default=[],
        metavar="CATEGORY=SCALE",
        help=f"the multilingual block's scale in one category's head (default {EMB2_SCALE}; experiments)",
    )
    ap.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="CATEGORY",
        help="train and report only these categories, no criteria, and write nothing but --oof (experiments)",
    )
    args = ap.parse_args()
    emb2_scale = {cat: float(s) for cat, _, s in (x.partition("=") for x in args.emb2_scale)}

    rows, manifest = load_sources(args.sources)
    if args.card_only:
        write_card(args.out, json.loads((args.out / "labeler.json").read_text(encoding="utf-8")), rows)
        return
    texts = rows["text"].to_list()
    print(f"{len(texts):,} prompts from {rows['source'].n_unique()} sources", file=sys.stderr)
    langs = [detect_language(t) for t in texts]
    rows = rows.with_columns(language=pl.Series(langs), lang_group=pl.Series([language_group(x) for x in langs]))
    enc = Encoder.load() if args.encoder is None else from_folder(args.encoder)
    second = (
        Encoder.load(SECOND_ENCODER)
        if args.second_encoder is None
        else None
        if args.second_encoder == "none"
        else from_folder(Path(args.second_encoder))
    )
    X = features(texts, enc, second)
    dims2 = 0 if second is None else second.dims
    encoders = [enc, *([] if second is None else [second])]
    fold = folds_of(rows["group"], args.folds)

    weights: dict[str, list[np.ndarray]] = {"w_char": [], "w_emb": [], "w_struct": [], "bias": []}
    scores: list[pl.DataFrame] = []  # (row, category, score, gold, threshold) out of fold, for --oof
    thresholds, metrics = {}, {}
    thresholds_other: dict[str, float] = {}  # category -> its cut for prompts in other languages, where it has one
    arena_all = (rows["source"] == ARENA).to_numpy()
    lang_all = rows["language"].to_numpy()
    for cat in args.only or CATEGORIES:
        known = rows[cat].is_not_null().to_numpy()
        y = rows[cat].fill_null(False).cast(pl.Int8).to_numpy().astype(np.float64)
        idx = np.flatnonzero(known)
        scale2 = emb2_scale.get(cat, EMB2_SCALE)
        Xk, yk, fk, ak = rescale_emb2(X[idx], enc.dims, dims2, scale2 / EMB2_SCALE), y[idx], fold[idx], arena_all[idx]
        lk = lang_all[idx]
        src = rows["source"].to_numpy()[idx]
        tk = src == TRANSLATED
        wk = arena_weights(yk, PREVALENCE[cat], ak, lk, tk, args.translated_share)
        best: tuple[float, float, np.ndarray] | None = None
        for l2 in L2_GRID if args.search_l2 else (L2[cat],):
            oof = out_of_fold(
                Xk,
                yk,
                fk,
                args.folds,
                l2,
                functools.partial(fold_row_weights, yk, PREVALENCE[cat], ak, lk, tk, args.translated_share),
            )
            score = (
                best_threshold(oof[ak], yk[ak], np.ones(int(ak.sum())))[1]
                if ak.any()
                else best_threshold(oof, yk, wk)[1]
            )
            print(f"  {cat} l2={l2}: out-of-fold F1 {score:.3f}", file=sys.stderr)
            if best is None or score > best[1] + 1e-9:
                best = (l2, score, oof)
        assert best is not None
        l2, _, oof = best
        # the threshold: best out-of-fold F1 on real arena prompts (their natural prevalence)
        t, _ = best_threshold(oof[ak], yk[ak], np.ones(int(ak.sum()))) if ak.any() else best_threshold(oof, yk, wk)
        # and for prompts in other languages, a cut of their own where the translations show a stable gain
        other = ~np.isin(lk, MAIN_CUT_LANGUAGES)
        tr = tk & other
        bench_other = other & ~ak & ~tk & (src != HARD_SOURCE)
        bench_w = row_weights(yk[bench_other], PREVALENCE[cat], np.zeros(int(bench_other.sum()), bool), lk[bench_other])
        t_other, wins = non_english_cut(
            oof[tr], yk[tr], rows["group"].to_numpy()[idx][tr], (oof[bench_other], yk[bench_other], bench_w), t
        )
        row_cut = np.where(other, t if t_other is None else t_other, t)
        pred, gold = oof >= row_cut, yk == 1
        scores.append(pl.DataFrame({"row": idx, "category": cat, "score": oof, "gold": gold, "threshold": row_cut}))
        # the public benchmarks' own rows (the translations of arena prompts are reported by source)
        bench = ~ak & ~tk
        bw = row_weights(yk[bench], PREVALENCE[cat], np.zeros(int(bench.sum()), dtype=bool), lk[bench])
        f1, prec, rec = weighted_f1(pred[bench], gold[bench], bw)
        by_group = {}
        lg = rows["lang_group"].to_numpy()[idx]
        for g in sorted(set(lg)):
            m = (lg == g) & bench
            if gold[m].sum() >= 5:
                by_group[g] = {
                    "f1": round(weighted_f1(pred[m], gold[m], row_weights(yk[m], PREVALENCE[cat], ak[m], lk[m]))[0], 3),
                    "positives": int(gold[m].sum()),
                    "rows": int(m.sum()),
                }
        by_source = {}
        for s in sorted(set(src)):
            m = src == s
            entry = {
                "rows": int(m.sum()),
                "positives": int(gold[m].sum()),
                "accuracy": round(float((pred[m] == gold[m]).mean()), 3),
            }
            if 0 < gold[m].sum() < m.sum():  # both classes present: F1 at the source's own prevalence
                f, p_, r_ = weighted_f1(pred[m], gold[m], np.ones(int(m.sum())))
                entry |= {"f1": round(f, 3), "precision": round(p_, 3), "recall": round(r_, 3)}
            by_source[s] = entry
        metrics[cat] = {
            "f1": round(f1, 3),
            "precision": round(prec, 3),
            "recall": round(rec, 3),
            "threshold": t,
            "non_english": {
                "threshold": t_other,
                "split_wins": f"{wins} of {CUT_SPLITS}",
                "translations_f1_main_cut": round(weighted_f1(oof[tr] >= t, yk[tr] == 1, np.ones(int(tr.sum())))[0], 3),
                "translations_f1": round(weighted_f1(pred[tr], gold[tr], np.ones(int(tr.sum())))[0], 3),
            },
            "l2": l2,
            "rows": len(idx),
            "positives": int(gold.sum()),
            "by_language_group": by_group,
            "by_source": by_source,
        }
        thresholds[cat] = t
        if t_other is not None:
            thresholds_other[cat] = t_other
        a = by_source.get(ARENA, {})
        print(
            f"{cat}: l2 {l2}, threshold {t} (other languages {t_other}, {wins} of {CUT_SPLITS} splits); "
            f"benchmarks F1 {f1:.3f}; arena F1 {a.get('f1')}",
            file=sys.stderr,
        )
        if not args.only:
            add_head(weights, fit_logistic(Xk, yk, wk, l2), enc.dims, dims2, scale2)

    if args.only:
        if args.oof is not None:
            keep = rows.select("text", "source", "language", "lang_group").with_row_index("row")
            pl.concat(scores).join(keep.with_columns(pl.col("row").cast(pl.Int64)), on="row").write_parquet(args.oof)
        return
    betas, crit_thresholds, crit_other, crit_metrics, hard, hard_scores = criteria_heads(
        rows, X, fold, args.folds, args.search_l2
    )
    if args.oof is not None:
        oof_rows = pl.concat([*scores, hard_scores], how="vertical_relaxed")
        keep = rows.select("text", "source", "language", "lang_group").with_row_index("row")
        oof_rows.join(keep.with_columns(pl.col("row").cast(pl.Int64)), on="row").write_parquet(args.oof)
    for beta in betas:
        add_head(weights, beta, enc.dims, dims2)
    thresholds |= crit_thresholds
    thresholds_other |= crit_other
    metrics |= crit_metrics | {HARD: hard}

    args.out.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.stack(v, axis=1).astype(np.float32) for k, v in weights.items()}
    arrays["bias"] = arrays["bias"].reshape(-1)
    # numpy writes every zip entry with the same fixed timestamp: the file is byte-identical run to run
    np.savez_compressed(args.out / "head.npz", **{k: arrays[k] for k in sorted(arrays)})
    meta = {
        "name": "learned",
        "version": VERSION,
        "encoder": enc.name,
        **({} if second is None else {"second_encoder": second.name}),
        # what the labeler checks the shipped encoders against when it loads (a folder that kept a shipped name
        # but holds other vectors is refused there, not misread)
        "encoder_digests": {e.name: e.digest for e in encoders},
        "bits": BITS,
        "categories": [*CATEGORIES, *CRITERIA],
        "thresholds": thresholds,
        # prompts whose detected language is not one of these take thresholds_other (where a category has one)
        "main_cut_languages": list(MAIN_CUT_LANGUAGES),
        "thresholds_other": thresholds_other,
        # hard_prompt: score = the sum of these heads' probabilities (expected criteria met), value = score >= cut
        # (and, for prompts in other languages, value = score >= cut_other, where training found a stable one)
        "derived": {
            HARD: {"sum_of": list(CRITERIA), "cut": hard["threshold"]}
            | ({} if hard["threshold_other"] is None else {"cut_other": hard["threshold_other"]})
        },
        "structure": list(DENSE_NAMES),
        "training": {
            "l2": L2,
            "l2_grid": list(L2_GRID),
            "arena_share": ARENA_SHARE,
            "prevalence": PREVALENCE,
            "criteria_l2": CRITERIA_L2,
            "folds": args.folds,
            "rows": len(texts),
        },
        "metrics": metrics,
        "sources": manifest,
    }
    (args.out / "labeler.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    write_card(args.out, meta, rows, encoders)
    print(f"wrote {args.out}", file=sys.stderr)


def out_of_fold(
    X: csr_matrix,
    y: np.ndarray,
    fold: np.ndarray,
    folds: int,
    l2: float,
    weights_of: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Each row's probability from the fit on the other folds (``weights_of(train_mask)``: the rows' weights)."""
    oof = np.zeros(len(y))
    for f in range(folds):
        tr, te = fold != f, fold == f
        beta = fit_logistic(X[tr], y[tr], weights_of(tr), l2)
        oof[te] = 1.0 / (1.0 + np.exp(-(X[te] @ beta)))
    return oof


def fold_row_weights(
    y: np.ndarray,
    prevalence: float,
    arena: np.ndarray,
    lang: np.ndarray,
    translated: np.ndarray,
    share: float,
    tr: np.ndarray,
) -> np.ndarray:
    """:func:`arena_weights` of the training rows ``tr`` of a fold."""
    return arena_weights(y[tr], prevalence, arena[tr], lang[tr], translated[tr], share)


def rescale_emb2(X: csr_matrix, dims: int, dims2: int, factor: float) -> csr_matrix:
    """``X`` (the blocks of :func:`features`) with the multilingual block's columns multiplied by ``factor``."""
    if not dims2 or factor == 1.0:
        return X
    d_char = 1 << BITS
    col = np.ones(X.shape[1])
    col[d_char + dims : d_char + dims + dims2] = factor
    return (X @ diags(col)).tocsr()


def add_head(
    weights: dict[str, list[np.ndarray]], beta: np.ndarray, dims: int, dims2: int = 0, scale2: float = EMB2_SCALE
) -> None:
    """Split a fitted ``beta`` (the blocks of :func:`features`) into the head's arrays, each block's scale folded in
    (the labeler reads unscaled features); ``dims2``: the second encoder's block, if any (``w_emb2``), at
    ``scale2``."""
    d_char = 1 << BITS
    weights["w_char"].append(beta[:d_char])
    weights["w_emb"].append(beta[d_char : d_char + dims] * EMB_SCALE)
    if dims2:
        weights.setdefault("w_emb2", []).append(beta[d_char + dims : d_char + dims + dims2] * scale2)
    weights["w_struct"].append(beta[d_char + dims + dims2 : -1] * STRUCT_SCALE)
    weights["bias"].append(beta[-1:])


def criteria_heads(
    rows: pl.DataFrame, X: csr_matrix, fold: np.ndarray, folds: int, search: bool
) -> tuple[list[np.ndarray], dict[str, float], dict[str, float], dict[str, dict], dict, pl.DataFrame]:
    """One head per criterion on the prompts that carry our criteria labels, and the derived ``hard_prompt``:
    (coefficient vectors, thresholds, thresholds for other languages, metrics per criterion, hard_prompt's
    metrics, its out-of-fold scores).

    Each head reads the encoder and structure blocks only (its character n-gram weights are zero): on 2,000
    prompts n-grams learn topics by name. Rows are unweighted. A criterion's cut is where its out-of-fold
    probabilities mark the arena-2023 prompts as often as our labels do, so its prevalence on arena traffic
    matches the labels'; ``hard_prompt``'s cut on the summed probabilities is set the same way. Prompts in
    other languages take a cut of their own where it is stable (:func:`non_english_share_cut`)."""
    d_char = 1 << BITS
    src = rows["source"].to_numpy()
    idx = np.flatnonzero(rows.select(pl.all_horizontal(pl.col(c).is_not_null() for c in CRITERIA)).to_series())
    Xk, fk = X[idx][:, d_char:], fold[idx]
    parts = {"arena": src[idx] == ARENA, "arena_hard": src[idx] == HARD_SOURCE, "translated": src[idx] == TRANSLATED}
    parts["other"] = ~(parts["arena"] | parts["arena_hard"] | parts["translated"])
    arena = parts["arena"]
    lang = rows["lang_group"].to_numpy()[idx]
    # the rows that take the cuts for other languages, as the labeler decides it (the detected language)
    other = ~np.isin(rows["language"].to_numpy()[idx], MAIN_CUT_LANGUAGES)
    tr, bench = parts["translated"] & other, parts["other"] & other
    groups = rows["group"].to_numpy()[idx]
    ones = np.ones(len(idx))
    betas, thresholds, thresholds_other, metrics = [], {}, {}, {}
    oofs = np.zeros((len(idx), len(CRITERIA)))
    for j, cat in enumerate(CRITERIA):
        y = rows[cat].to_numpy()[idx].astype(np.float64)
        best: tuple[float, float, np.ndarray] | None = None
        for l2 in CRITERIA_L2_GRID if search else (CRITERIA_L2[cat],):
            oof = out_of_fold(Xk, y, fk, folds, l2, lambda tr: ones[tr])
            score = auc(oof[arena], y[arena])
            print(f"  {cat} l2={l2}: out-of-fold AUC {score:.3f}", file=sys.stderr)
            if best is None or score > best[1] + 1e-9:
                best = (l2, score, oof)
        assert best is not None
        l2, _, oof = best
        cut = prevalence_cut(oof[arena], y[arena] == 1)
        cut_other, wins = non_english_share_cut(oof, y == 1, tr, bench, groups, cut, CUT_GRID)
        row_cut = np.where(other, cut if cut_other is None else cut_other, cut)
        betas.append(np.r_[np.zeros(d_char), fit_logistic(Xk, y, ones, l2)])
        oofs[:, j] = oof
        thresholds[cat] = cut
        if cut_other is not None:
            thresholds_other[cat] = cut_other
        metrics[cat] = agreement(oof >= row_cut, y == 1, oof, parts, lang) | {
            "threshold": cut,
            "l2": l2,
            "non_english": _share_report(oof, y == 1, tr, bench, cut, cut_other, wins),
        }
        print(
            f"{cat}: l2 {l2}, cut {cut} (other languages {cut_other}, {wins} of {CUT_SPLITS} splits); "
            f"arena AUC {metrics[cat]['auc']}, F1 {metrics[cat]['f1']}",
            file=sys.stderr,
        )
    gold = rows.select(pl.sum_horizontal(CRITERIA)).to_series().to_numpy()[idx] >= HARD_MIN
    expected = column_sum(oofs, list(range(len(CRITERIA))))  # as LearnedLabeler.label sums them
    cut = prevalence_cut(expected[arena], gold[arena])
    cut_other, wins = non_english_share_cut(expected, gold, tr, bench, groups, cut, HARD_GRID)
    row_cut = np.where(other, cut if cut_other is None else cut_other, cut)
    hard = agreement(expected >= row_cut, gold, expected, parts, lang) | {
        "threshold": cut,
        "threshold_other": cut_other,
        "non_english": _share_report(expected, gold, tr, bench, cut, cut_other, wins),
    }
    print(
        f"{HARD}: cut {cut} criteria (other languages {cut_other}, {wins} of {CUT_SPLITS} splits); "
        f"arena AUC {hard['auc']}, F1 {hard['f1']}",
        file=sys.stderr,
    )
    scores = pl.DataFrame({"row": idx, "category": HARD, "score": expected, "gold": gold, "threshold": row_cut})
    return betas, thresholds, thresholds_other, metrics, hard, scores


def _share_report(
    score: np.ndarray,
    gold: np.ndarray,
    translated: np.ndarray,
    bench: np.ndarray,
    cut: float,
    cut_other: float | None,
    wins: int,
) -> dict:
    """The shares marked and labelled, and F1, on the translations and on the benchmarks' prompts in other
    languages, at the main cut and at the cut those prompts take."""
    out: dict = {"threshold": cut_other, "split_wins": f"{wins} of {CUT_SPLITS}"}
    for name, rows in (("translations", translated), ("benchmarks", bench)):
        if not rows.any():
            continue
        out[name] = {"rows": int(rows.sum()), "labelled_share": round(float(gold[rows].mean()), 3)}
        for which, c in (("main_cut", cut), ("as_labelled", cut if cut_other is None else cut_other)):
            pred = score[rows] >= c
            out[name][which] = {
                "marked_share": round(float(pred.mean()), 3),
                "f1": round(weighted_f1(pred, gold[rows], np.ones(int(rows.sum())))[0], 3),
                "accuracy": round(float((pred == gold[rows]).mean()), 3),
            }
    return out


def prevalence_cut(score: np.ndarray, gold: np.ndarray) -> float:
    """The cut on ``score`` that marks as many rows as ``gold`` holds positives (rounded to 4 places)."""
    return round(float(np.quantile(score, 1 - gold.mean())), 4)


def agreement(pred: np.ndarray, gold: np.ndarray, score: np.ndarray, parts: dict, lang: np.ndarray) -> dict:
    """Out-of-fold agreement with our labels: on the arena-2023 prompts (``parts["arena"]``: F1, precision,
    recall, accuracy, AUC, labelled and marked shares), the shares on Arena-Hard v0.1's prompts, F1, accuracy and
    shares on the arena-2023 prompts' translations (``translated``) and on the labelled benchmark prompts
    (``other``: non-English), and accuracy by language group over all of them."""
    arena, v01, other = parts["arena"], parts["arena_hard"], parts["other"]
    tr = parts["translated"]
    f1, prec, rec = weighted_f1(pred[arena], gold[arena], np.ones(int(arena.sum())))
    by_group = {
        str(g): {
            "accuracy": round(float((pred[m] == gold[m]).mean()), 3),
            "labelled_share": round(float(gold[m].mean()), 3),
            "marked_share": round(float(pred[m].mean()), 3),
            "rows": int(m.sum()),
        }
        for g in sorted(set(lang))
        if (m := lang == g).sum() >= 20
    }
    return {
        "f1": round(f1, 3),
        "precision": round(prec, 3),
        "recall": round(rec, 3),
        "accuracy": round(float((pred[arena] == gold[arena]).mean()), 3),
        "auc": round(auc(score[arena], gold[arena]), 3),
        "labelled_share": round(float(gold[arena].mean()), 3),
        "marked_share": round(float(pred[arena].mean()), 3),
        "rows": int(arena.sum()),
        "arena_hard_labelled_share": round(float(gold[v01].mean()), 3),
        "arena_hard_marked_share": round(float(pred[v01].mean()), 3),
        "arena_hard_rows": int(v01.sum()),
        "other_f1": round(weighted_f1(pred[other], gold[other], np.ones(int(other.sum())))[0], 3),
        "other_accuracy": round(float((pred[other] == gold[other]).mean()), 3) if other.any() else None,
        "other_auc": round(auc(score[other], gold[other]), 3) if 0 < gold[other].sum() < other.sum() else None,
        "other_rows": int(other.sum()),
        "translated_f1": round(weighted_f1(pred[tr], gold[tr], np.ones(int(tr.sum())))[0], 3),
        "translated_accuracy": round(float((pred[tr] == gold[tr]).mean()), 3) if tr.any() else None,
        "translated_labelled_share": round(float(gold[tr].mean()), 3) if tr.any() else None,
        "translated_marked_share": round(float(pred[tr].mean()), 3) if tr.any() else None,
        "translated_rows": int(tr.sum()),
        "by_language_group": by_group,
        "by_source": {},
    }


def auc(score: np.ndarray, gold: np.ndarray) -> float:
    """The chance that a positive outranks a negative (ties count half)."""
    gold = np.asarray(gold, dtype=bool)
    ranks = pl.Series(score).rank("average").to_numpy()
    n1, n0 = float(gold.sum()), float((~gold).sum())
    return float((ranks[gold].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


LICENCES = {
    "mgsm": "CC-BY-4.0",
    "msvamp": "MIT",
    "gsm8k": "MIT",
    "humaneval": "MIT",
    "humaneval-xl": "MIT",
    "kr-humaneval": "MIT",
    "mbpp": "CC-BY-4.0",
    "m-ifeval": "Apache-2.0",
    "marco-bench-mif": "Apache-2.0",
    "mt-bench-en": "Apache-2.0",
    "mt-bench-x": "Apache-2.0",
    "mt-bench-pl": "Apache-2.0",
    "mt-bench-ro": "Apache-2.0",
    "mt-bench-sv": "Apache-2.0",
    "vicuna-bench-en": "Apache-2.0",
    "flexeval-ja-bench": "Apache-2.0",
    "belle-eval": "ODC-By (data), Apache-2.0 (code)",
    "eqbench-creative": "MIT",
    "oasst-multilingual": "Apache-2.0",
    "math-competition": "MIT (MATH, Hendrycks et al.; copy in ZubinGou/math-evaluation-harness)",
    "theoremqa": "MIT",
    "scibench": "MIT",
    "cmath": "CC-BY-4.0 (data), MIT (code)",
    "agieval": "MIT (Gaokao and SAT sets)",
    "arena-hard-v0.1": "Apache-2.0 (prompts); labels ours",
    "arena-2023-translated": "Apache-2.0 (FastChat's prompts); translations and labels ours",
}


def source_counts(rows: pl.DataFrame) -> pl.DataFrame:
    return (
        rows.group_by("source")
        .agg(pl.len().alias("rows"), *[pl.col(c).sum().alias(c) for c in CATEGORIES])
        .sort("source")
    )


def licence_of(source: str) -> str:
    if source in LICENCES:
        return LICENCES[source]
    if source == ARENA:
        return "Apache-2.0 (FastChat); labels ours"
    if source.startswith(("mt-bench", "vicuna-bench", "cultura-bench", "rakuda", "m-ifeval")):
        return "Apache-2.0"
    raise KeyError(f"no licence recorded for source {source}")


def source_table(m: dict, categories: list[str], source: str) -> list[str]:
    """Markdown rows of each category's out-of-fold F1, precision and recall on one source's prompts."""
    lines = ["| category | F1 | precision | recall | positives of rows |", "|---|---|---|---|---|"]
    for c in categories:
        a = m[c]["by_source"].get(source, {})
        if "f1" in a:
            cells = f"{a['f1']:.3f} | {a['precision']:.3f} | {a['recall']:.3f} | {a['positives']} of {a['rows']}"
            lines.append(f"| {c} | {cells} |")
    return lines


#: prompts whose scores the model card reports as known misses or near misses (written for the card)
CARD_EXAMPLES = (
    ("coding", "How do I fix 'TypeError: cannot read properties of undefined' in my React component?"),
    (
        "coding",
        "Design a PostgreSQL schema and indexing strategy for a multi-tenant billing system that must write 10,000 "
        "invoices per second. Give the DDL and justify the partitioning.",
    ),
    ("math", "一个长方形的长是8厘米，宽是5厘米，它的面积是多少平方厘米？"),
    ("math", "Tìm giá trị nhỏ nhất của biểu thức x^2 - 4x + 7."),
    ("math", "Ein Kapital von 5000 Euro wird 3 Jahre lang mit 4 % Zinseszins angelegt. Wie hoch ist das Endkapital?"),
    ("math", "Un tren recorre 240 km en 3 horas. ¿Cuánto tardará en recorrer 400 km a la misma velocidad?"),
    ("instruction_following", "Écris un poème sur la mer."),
    ("creative_writing", "为什么天空是蓝色的？"),
    ("instruction_following", "What are the health benefits of green tea?"),
)


def write_card(folder: Path, meta: dict, rows: pl.DataFrame, encoders: list[Encoder] | None = None) -> None:
    """MODEL_CARD.md beside the labeler written to ``folder`` (after training, or alone with --card-only);
    ``encoders``: those it was trained on, when not the shipped ones."""
    card = model_card(meta, source_counts(rows), card_examples(folder, encoders))
    (folder / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def card_examples(folder: Path, encoders: list[Encoder] | None = None) -> list[tuple[str, str, float, float]]:
    """(category, prompt, score, cut) of :data:`CARD_EXAMPLES` under the labeler written to ``folder``, read
    through ``encoders`` (default: the shipped ones, which the labeler checks against its digests)."""
    lab = learned.from_folder(folder)
    texts = [t for _, t in CARD_EXAMPLES]
    probs = lab.probabilities(texts, {e.name: e.encode(texts) for e in encoders or []})
    cuts = lab.cuts(texts)
    out = []
    for (cat, text), row, cut in zip(CARD_EXAMPLES, probs, cuts, strict=True):
        j = lab.categories.index(cat)
        out.append((cat, text, float(row[j]), float(cut[j])))
    return out


def model_card(meta: dict, counts: pl.DataFrame, examples: list[tuple[str, str, float, float]]) -> str:
    """MODEL_CARD.md from the training run's own numbers and its weights' scores (nothing typed in by hand)."""
    m = meta["metrics"]
    lines = [
        f"# offline/learned@{meta['version']}: prompt categories, learned",
        "",
        "A linear head per category over four blocks of features of the prompt (all user turns joined):",
        f"the shared sentence encoder `{meta['encoder']}` (256-d, English-first), "
        + (
            f"the labeler's own multilingual encoder `{meta['second_encoder']}` (192-d, distilled from "
            "multilingual-e5-small; see its model card in `arenavotes/embeddings/data/`), "
            if meta.get("second_encoder")
            else ""
        )
        + "hashed character 1-4-grams "
        f"(2^{meta['bits']} buckets, log counts, L2-normalised; every script alike) and "
        f"{len(meta['structure'])} structural counts ({', '.join(meta['structure'])}).",
        "Trained by `tools/train_labeler.py` (L2 logistic regression, L-BFGS, "
        f"ridge per category from {meta['training']['l2_grid']}) on {meta['training']['rows']:,} public prompts; "
        f"the real arena prompts carry {meta['training']['arena_share']:.0%} of the weight. "
        "Runs offline on CPU; `score` is the probability and `value` is `score >= threshold` (a prompt in another",
        "language: its category's cut for other languages, below, where it has one).",
        "",
        "## Categories and definitions (LMArena's)",
        "",
        "- `coding`: the prompt asks for code or is about programming (code pasted without fences counts).",
        "- `math`: solving it needs mathematical work (word problems, equations, proofs); explaining a concept does not count.",
        "- `creative_writing`: asks for original creative text (story, poem, lyrics, screenplay, role-play, jokes).",
        "- `instruction_following`: states explicit constraints on the answer (length, format, words to use or avoid, style, order).",
        "",
        "## Cross-validated results",
        "",
        f"{meta['training']['folds']} folds by group (a prompt and its translations are never split). Benchmark rows are",
        "weighted so positives make up LMArena's prevalence of the category (`prevalence`) *within each language*",
        '(no "German questions are math" shortcut from MGSM); the ridge and the',
        "threshold are the ones with the largest out-of-fold F1 on the real arena prompts, the traffic the",
        "labeler is for. `F1 (benchmarks)` is out of fold on the public sets at that prevalence; the last column",
        "is the number to read for arena traffic.",
        "",
        "| category | F1 (benchmarks) | precision | recall | threshold | prevalence | rows | positives | F1 on real arena-2023 prompts |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    f1_cats = [c for c in meta["categories"] if c in CATEGORIES]
    for c in f1_cats:
        a = m[c]["by_source"].get("arena-2023", {})
        arena = (
            f"{a['f1']:.3f} (P {a['precision']:.2f}, R {a['recall']:.2f}, {a['positives']} of {a['rows']})"
            if "f1" in a
            else "-"
        )
        lines.append(
            f"| {c} | {m[c]['f1']:.3f} | {m[c]['precision']:.3f} | {m[c]['recall']:.3f} | {m[c]['threshold']} | "
            f"{meta['training']['prevalence'][c]} | {m[c]['rows']:,} | {m[c]['positives']:,} | {arena} |"
        )
    if any(m[c].get("non_english") for c in f1_cats):
        lines += [
            "",
            "### Cuts for prompts in other languages",
            "",
            "The thresholds above are chosen on the labelled arena prompts, which are English, and a request",
            "translated into another language scores lower than the same request in English. A prompt whose detected",
            "language (CLD2, as the `language` labeler) is neither English nor undetermined takes a category's cut for",
            "other languages where it has one. That cut maximises the mean of two out-of-fold F1s: on the translations",
            "of arena prompts, and on the public benchmarks' prompts in other languages (weighted to LMArena's",
            "prevalence in each language). It is kept only when a cut chosen that way on a random half of the",
            f"translations (whole groups) beats the main cut on the other half in at least {CUT_WINS} of {CUT_SPLITS}",
            "splits. F1 on the translations (out of fold; the same rows chose the cut, so slightly optimistic):",
            "",
            "| category | main cut | cut for other languages | splits won | F1 on translations, main cut | F1 on translations, as labelled |",
            "|---|---|---|---|---|---|",
        ]
        for c in f1_cats:
            ne = m[c].get("non_english") or {}
            cut = "- (the main cut)" if ne.get("threshold") is None else ne["threshold"]
            lines.append(
                f"| {c} | {m[c]['threshold']} | {cut} | {ne.get('split_wins', '-')} | "
                f"{ne.get('translations_f1_main_cut', '-')} | {ne.get('translations_f1', '-')} |"
            )
    lines += ["", "### Arena-Hard v0.1 prompts (real, hard; our labels), out of fold", ""]
    lines += source_table(m, f1_cats, HARD_SOURCE)
    lines += [
        "",
        "### The arena-2023 prompts in 18 other languages (our translations, their labels), out of fold",
        "",
    ]
    lines += source_table(m, f1_cats, TRANSLATED)
    lines += [
        "",
        "Below the same prompts in English (the first table): the multilingual block reads other languages only",
        "roughly (a static model; weakest for Chinese, Hebrew, Arabic, Vietnamese and Korean), the shared block is",
        "English-first, and the benchmarks in other languages are plainer than arena traffic. Categories still",
        "depend on the prompt being English, less than with `learned@3`.",
    ]
    lines += ["", "### F1 by language group (out of fold, benchmark rows)", ""]
    groups = sorted({g for c in f1_cats for g in m[c]["by_language_group"]})
    lines.append("| language group | " + " | ".join(f1_cats) + " |")
    lines.append("|---|" + "---|" * len(f1_cats))
    for g in groups:
        cells = []
        for c in f1_cats:
            e = m[c]["by_language_group"].get(g)
            cells.append(f"{e['f1']:.2f} ({e['positives']})" if e else "-")
        lines.append(f"| {g} | " + " | ".join(cells) + " |")
    h = m[HARD]
    lines += [
        "",
        "(positives in brackets; a group with fewer than 5 positives is left out.)",
        "",
        "## The seven criteria and hard prompts",
        "",
        "LMArena's judge answers seven questions about each prompt (`criteria_v0.1`: specificity, domain knowledge,",
        "complexity, problem-solving, creativity, technical accuracy, real-world application) and calls a prompt hard",
        "when it meets 6 or more. No public text carries LMArena's criteria labels, so we made them: LLM sessions",
        "working for the maintainers read each prompt and answered LMArena's seven questions, quoted verbatim",
        "(`tools/criteria_label_guide.md`, `tools/criteria_labels.csv`): the arena-2023 prompts, Arena-Hard v0.1's,",
        f"and {h['other_rows']} prompts sampled from the benchmarks' non-English ones (every source with such prompts,",
        f"round-robin over languages); the {h['translated_rows']} translations of arena-2023 prompts (`arena-2023-translated`)",
        "carry their originals' labels. Each `criteria.*` head is a logistic regression on those prompts (the encoder",
        "and the structural counts only: its character n-gram weights are zero, since on so few rows n-grams learn",
        "topics by name; rows unweighted; folds keep translations and Arena-Hard topic clusters together). A",
        "criterion's cut marks the arena-2023 prompts as often as the labels do. `hard_prompt` is derived as LMArena",
        "derives it: its `score` is the expected number of criteria met (the sum of the seven probabilities, 0-7)",
        f"and `value` is `score >= {h['threshold']}`, the cut that marks the arena-2023 prompts hard out of fold as",
        "often as the labels (6 or more) do.",
        "",
        "A prompt scores lower on every criterion in another language than the same prompt in English, so one cut",
        "under-marks other languages (`learned@5` marked 8.7% of the translations hard, against 28.3% labelled).",
        "A prompt whose detected language (CLD2 on the whole prompt, as for the categories' cuts) is neither",
        "English nor undetermined takes a cut for other languages, where a label has a stable one: the cut that",
        "minimises the mean of two gaps between the share marked and the share labelled, on the translations of",
        "arena prompts and on the benchmarks' labelled prompts in other languages (plainer than arena traffic: they",
        "keep the translations from pulling the cut too far), kept only when chosen on a random half of the",
        f"translations (whole groups) it beats the main cut on the other half in at least {CUT_WINS} of {CUT_SPLITS} splits.",
        "",
        "Out of fold, against our labels, as labelled (each prompt at its own language's cut): the arena-2023",
        "prompts (AUC to accuracy, and the shares), Arena-Hard v0.1's shares, the translations and the non-English",
        "benchmark prompts (`other`):",
        "",
        "| label | AUC | F1 | precision | recall | accuracy | labelled / marked (arena-2023) |"
        " labelled / marked (Arena-Hard v0.1) | translations: F1, labelled / marked | other: F1 / accuracy | cut |"
        " cut for other languages |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in [*[k for k in meta["categories"] if k.startswith("criteria.")], HARD]:
        e = m[c]
        ne = e.get("non_english", {})
        other_cut = "-" if ne.get("threshold") is None else ne["threshold"]
        lines.append(
            f"| {c} | {e['auc']:.3f} | {e['f1']:.3f} | {e['precision']:.3f} | {e['recall']:.3f} | {e['accuracy']:.3f} | "
            f"{e['labelled_share']:.1%} / {e['marked_share']:.1%} ({e['rows']}) | "
            f"{e['arena_hard_labelled_share']:.1%} / {e['arena_hard_marked_share']:.1%} ({e['arena_hard_rows']}) | "
            f"{e['translated_f1']:.3f}, {e['translated_labelled_share']:.1%} / {e['translated_marked_share']:.1%} "
            f"({e['translated_rows']}) | {e['other_f1']:.3f} / {e['other_accuracy']:.3f} ({e['other_rows']}) | "
            f"{e['threshold']} | {other_cut} ({ne.get('split_wins', '-')}) |"
        )
    lines += [
        "",
        "The cuts for other languages on the prompts that take them (detected language not English), at the main",
        "cut -> as labelled: labelled share, marked share, F1 and accuracy:",
        "",
        "| label | translations: labelled | marked | F1 | accuracy | benchmarks: labelled | marked | F1 | accuracy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in [*[k for k in meta["categories"] if k.startswith("criteria.")], HARD]:
        ne = m[c].get("non_english", {})
        cells = []
        for part in ("translations", "benchmarks"):
            q = ne.get(part)
            if q is None:
                cells += ["-"] * 4
                continue
            a, b = q["main_cut"], q["as_labelled"]
            cells += [
                f"{q['labelled_share']:.1%} ({q['rows']})",
                f"{a['marked_share']:.1%} -> {b['marked_share']:.1%}",
                f"{a['f1']:.3f} -> {b['f1']:.3f}",
                f"{a['accuracy']:.3f} -> {b['accuracy']:.3f}",
            ]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "`hard_prompt` by language group (out of fold, every labelled prompt; accuracy, and labelled / marked hard):",
        "",
        "| language group | rows | accuracy | labelled hard | marked hard |",
        "|---|---|---|---|---|",
        *[
            f"| {g} | {e['rows']} | {e['accuracy']:.3f} | {e['labelled_share']:.1%} | {e['marked_share']:.1%} |"
            for g, e in h["by_language_group"].items()
        ],
        "",
        "The labels are one LLM reading of LMArena's questions, not LMArena's judge: LMArena's 2025 traffic (the 140k",
        "release, no text) is 37.5% hard, and Arena-Hard v0.1, which LMArena's pipeline built from hard topic",
        "clusters, is labelled hard far less than all of it (the table).",
        "",
        "## Training data",
        "",
        "Every file is checked against the sha256 in `tools/labeler_sources.tsv` (repository @ commit : path).",
        "Labels follow from each source (a math benchmark's prompts are math, and not creative writing), with",
        "unknown where the source does not say; see `tools/labeler_sources.py` for each mapping.",
        "`arena-2023` are the 908 distinct real Chatbot Arena prompts shipped in `data/arena-battles-2023-text`",
        "(Apache-2.0), labelled by the arenavotes maintainers against LMArena's definitions",
        "(`tools/arena2023_labels.csv`; blank = unsure, left out of training). `arena-hard-v0.1` are the 500 real",
        "arena prompts of Arena-Hard v0.1 (Apache-2.0), labelled the same way (`tools/arena_hard_v01_labels.csv`,",
        "read prompt by prompt by LLM sessions working for the maintainers, with `tools/category_label_guide.md`).",
        "`arena-2023-translated` are 1,082 translations of arena-2023 prompts of 40 to 700 characters, made by",
        "such sessions (`tools/arena2023_translations.jsonl`): for `learned@3`, 400 prompts (a seeded sample) into",
        "Chinese, Spanish, Russian, Japanese, German, French, Korean and Arabic, 50 each; for `learned@4`, 682 more:",
        "every labelled math, creative-writing or instruction-following prompt into two more languages and every",
        "other prompt not yet translated into one, spread evenly over those eight and Portuguese, Vietnamese,",
        "Italian, Polish, Turkish, Hebrew, Persian, Ukrainian, Indonesian and Dutch. Each carries its original's",
        "labels (a category or a criterion belongs to the task, not to its language) and shares its original's fold.",
        "Arena-Hard v2.0 prompts were never read. CodeAlpaca (CC BY-NC) and KoMT-Bench (LGPL) were found and not used.",
        "",
        "| source | Licence | rows | coding | math | creative_writing | instruction_following |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in counts.iter_rows(named=True):
        lic = licence_of(r["source"])
        lines.append(
            f"| {r['source']} | {lic} | {r['rows']:,} | {r['coding']} | {r['math']} | {r['creative_writing']} | "
            f"{r['instruction_following']} |"
        )
    origins: dict[str, set[str]] = {}
    for f in meta["sources"]:
        origins.setdefault(f["source"], set()).add(f["origin"].split(":")[0])
    lines += ["", "Files read (sha256 of each in `tools/labeler_sources.tsv`):", ""]
    lines += [f"- `{name}`: {', '.join(sorted(o))}" for name, o in sorted(origins.items())]
    lines += [
        "",
        "## Known failure modes",
        "",
        "- Most positives come from benchmarks (word problems, function stubs, IFEval-style constraints); real",
        "  arena prompts are messier. The arena-2023 column above is the honest number for arena traffic, and it",
        "  is slightly optimistic: the ridge and the threshold were chosen on the same out-of-fold scores.",
        "- Known misses, near misses and false alarms of this version or earlier ones, scored by these weights when",
        "  this card was written (prompts written for the card, not from any training set). `learned@3` missed the",
        "  Chinese, Vietnamese and Spanish math problems (0.25, 0.10, 0.24 against a cut of 0.40) and scored the last",
        "  three 0.82, 0.30 and 0.12 (cuts 0.46, 0.29 and 0.46); the last one, a plain question, is a false alarm of",
        "  `learned@4` that `learned@3` did not raise:",
        "",
        "  | category | prompt | score | cut |",
        "  |---|---|---|---|",
        *[f"  | {c} | {t} | {sc:.2f} | {cut:.2f} |" for c, t, sc, cut in examples],
        "",
        "  Coding questions with no code and no language keyword are missed (coding positives are mostly",
        '  imperatives: function stubs, "write a program"; on sources with answers `coding@1`, LMArena\'s `is_code`',
        "  over the whole conversation, is the better coding label). Math word problems in languages whose only",
        "  math data is a benchmark sit near or below the cut. Instruction following over-fires on short",
        "  non-English creative requests (in most languages its training prompts are IFEval translations, which all",
        "  carry constraints). Creative writing has few non-English positives and a low cut.",
        "- Non-English general prompts (the negatives) are mostly Chinese, Japanese and European languages.",
        "- Instruction following is learned mostly from IFEval-style prompts; long system prompts with soft",
        "  requirements are borderline and LMArena's own judge scores them 0-5.",
        "- The shared encoder block is English-first (most Chinese tokens are unknown to it). The multilingual",
        "  block beside it is a static distillation: it finds the English original of a translation first among",
        "  908 prompts for 55.5% of the translations (minilm-static@1: 4.0%; the teacher itself: 94.4%), weakest",
        "  for Chinese (8%), Hebrew, Arabic, Vietnamese and Korean (24-36%). Its block is scaled down",
        "  (`EMB2_SCALE`): at full scale arena-2023 math fell to 0.800. In place of the shared encoder (tried for",
        "  `learned@1`) a multilingual encoder was worse on the real arena prompts.",
        "- The criteria heads learned from about 2,300 prompts; the real arena ones (arena-2023, Arena-Hard v0.1) are",
        "  all English, and the non-English ones are benchmark prompts, shorter and plainer than arena traffic.",
        "  Their reading of other languages rests on the two encoders and the structural counts.",
        "",
        "## Rebuild",
        "",
        "    .venv/bin/python tools/train_labeler.py --sources DIR",
        "",
        "with DIR holding the files of `tools/labeler_sources.tsv`. Two runs on one machine give byte-identical",
        "weights; with other library versions the thresholds and metrics repeat and the weights differ slightly.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
