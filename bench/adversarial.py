"""Detection power against vote-rigging campaigns injected into real logs.

Logs: LLMFAO (real crowd-worker ids) and the Chatbot Arena 33k votes (honest synthetic voter ids,
heavy-tailed activity). Campaigns (`arenavotes.dedup.simulate.inject`): target-only and omnipresent
rigging (Min et al. 2025) and de-anonymise-then-vote (Huang et al. 2025), at `--share` of the log's
votes, from 1 or several attacker ids, with 95% model recognition. The target is the model at the
`--target-quantile` of the clean leaderboard (a weak model: rigging it up is what an attacker wants).

For every setting it prints: recall and precision of flagged campaign votes and voters (flag
`anomalous_voter`: Fisher and e-value detectors, FDR 1%), the false-positive rate among honest votes
(all, and "new": not already flagged on the clean log -- LLMFAO has real anomalous workers), and the
target's rating shift caused by the campaign: raw (rigged minus clean) and under the exclusion
policy (rigged-filtered minus clean-filtered), with the share of the shift the policy removes. Run by hand:

    .venv/bin/python bench/adversarial.py [--share 0.01] [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np
import polars as pl

from arenavotes import db
from arenavotes.config import DedupSettings
from arenavotes.dedup import voters
from arenavotes.dedup.simulate import honest_voter_ids, inject
from arenavotes.ingest import ingest_file
from arenavotes.ratings import RatingParams, rate

ROOT = Path(__file__).resolve().parents[1]


def load(name: str) -> pl.DataFrame:
    con = db.connect(None)
    path = {
        "llmfao": ROOT / "data/llmfao/crowd-comparisons.csv.gz",
        "arena-33k": ROOT / "data/chatbot-arena-33k-votes/human.jsonl.gz",
    }[name]
    ingest_file(con, path, key=b"bench")
    b = pl.from_arrow(
        con.sql("SELECT battle_id, tstamp, model_a, model_b, winner, voter_id FROM battles").to_arrow_table()
    )
    assert isinstance(b, pl.DataFrame)
    if name == "arena-33k":
        b = honest_voter_ids(b, n_voters=2000, seed=7)
    return b


def flagged(battles: pl.DataFrame, s: DedupSettings) -> set[str]:
    v = voters.prepare(battles)
    if v is None:
        return set()
    fisher, _ = voters.fisher_test(v, fdr=s.fdr, min_votes=s.min_votes, seed=s.seed)
    evalue, _ = voters.evalue_test(v, fdr=s.fdr, min_votes=s.min_votes, eps=s.evalue_eps)
    return set(fisher["battle_id"].to_list()) | set(evalue["battle_id"].to_list())


def standing(battles: pl.DataFrame, target: str) -> tuple[float, int]:
    r = rate(battles, RatingParams(ci="none", reg=1e-6))
    i = r.models.index(target)
    return float(r.rating[i]), int(r.rank[i])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--share", type=float, default=0.01)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--target-quantile", type=float, default=0.75)
    args = ap.parse_args()
    s = DedupSettings()
    header = (
        "log",
        "strategy",
        "attackers",
        "campaign votes",
        "vote recall",
        "vote precision",
        "voter recall",
        "honest FP rate",
        "of which new",
        "honest flagged on clean log",
        "rating shift raw",
        "rating shift filtered",
        "shift cut",
        "rank raw -> filtered (clean)",
    )
    rows = []
    for log in ("llmfao", "arena-33k"):
        clean = load(log)
        base = rate(clean, RatingParams(ci="none", reg=1e-6))
        order = np.argsort(-base.rating)
        target = base.models[order[int(args.target_quantile * (len(order) - 1))]]
        ratings = dict(zip(base.models, base.rating.tolist(), strict=True))
        clean_flags = flagged(clean, s)
        clean_rating, clean_rank = standing(clean, target)
        # the policy's effect on the clean log itself, so that the shift below is the campaign's alone
        clean_filtered_rating, _ = standing(clean.filter(~pl.col("battle_id").is_in(list(clean_flags))), target)
        for strategy in ("target_only", "omnipresent", "deanon"):
            for attackers in (1, 5):
                acc: dict[str, list[float]] = {
                    k: [] for k in ("n", "rec", "prec", "vrec", "fp", "newfp", "raw", "filt", "rr", "rf")
                }
                for seed in range(args.seeds):
                    rigged, ids = inject(
                        clean,
                        target=target,
                        strategy=strategy,
                        share=args.share,
                        attackers=attackers,
                        ratings=ratings,
                        seed=100 + seed,
                    )
                    campaign = set(ids)
                    hits = flagged(rigged, s)
                    honest = rigged.height - len(campaign)
                    caught = len(hits & campaign)
                    acc["n"].append(len(campaign))
                    acc["rec"].append(caught / max(len(campaign), 1))
                    acc["prec"].append(caught / max(len(hits), 1))
                    attacker_ids = set(rigged.filter(pl.col("battle_id").is_in(ids))["voter_id"].to_list())
                    flagged_voters = set(rigged.filter(pl.col("battle_id").is_in(list(hits)))["voter_id"].to_list())
                    acc["vrec"].append(len(attacker_ids & flagged_voters) / max(len(attacker_ids), 1))
                    acc["fp"].append(len(hits - campaign) / honest)
                    acc["newfp"].append(len(hits - campaign - clean_flags) / honest)
                    raw_rating, raw_rank = standing(rigged, target)
                    filt_rating, filt_rank = standing(rigged.filter(~pl.col("battle_id").is_in(list(hits))), target)
                    acc["raw"].append(raw_rating - clean_rating)
                    acc["filt"].append(filt_rating - clean_filtered_rating)
                    acc["rr"].append(raw_rank)
                    acc["rf"].append(filt_rank)
                m = {k: statistics.mean(v) for k, v in acc.items()}
                cut = 1 - abs(m["filt"]) / abs(m["raw"]) if m["raw"] else float("nan")
                rows.append(
                    (
                        log,
                        strategy,
                        attackers,
                        f"{m['n']:.0f}",
                        f"{m['rec']:.3f}",
                        f"{m['prec']:.3f}",
                        f"{m['vrec']:.2f}",
                        f"{m['fp']:.4f}",
                        f"{m['newfp']:.4f}",
                        f"{len(clean_flags) / clean.height:.4f}",
                        f"{m['raw']:+.1f}",
                        f"{m['filt']:+.1f}",
                        f"{cut:.0%}",
                        f"{m['rr']:.0f} -> {m['rf']:.0f} ({clean_rank})",
                    )
                )
        print(
            f"{log}: {clean.height:,} votes, {clean['voter_id'].n_unique():,} voters, target {target} "
            f"(rank {clean_rank} of {len(base.models)}, rating {clean_rating:.1f})"
        )
    widths = [max(len(h), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
