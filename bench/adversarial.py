"""Detection power against vote-rigging campaigns injected into real logs, as curves.

Logs: LLMFAO (real crowd-worker ids) and the Chatbot Arena 33k votes (2,000 honest synthetic voter
ids with heavy-tailed activity). Campaigns (`arenavotes.dedup.simulate.inject`): target-only and
omnipresent rigging (Min et al. 2025), de-anonymise-then-vote (Huang et al. 2025) and a mix, at a
share of the log's votes, from 1 to 100 attacker ids whose volumes are drawn from the honest voters'
own activity, with 95% model recognition; variants with camouflage votes, a 24-hour burst (on
synthetic timestamps over 30 days in a seeded random order: neither log has any) and equal volumes. The target is the model
at the 75th percentile of the clean board (a weak model: rigging it up is what an attacker wants).

Every run goes through `arenavotes.dedup.detect` (all detectors) and the default exclusion policy.
Per setting (means over seeds): vote and voter recall of the rigging votes, the honest false-positive
rate (all honest votes flagged, and "new": not already flagged on the clean log -- LLMFAO has real
anomalous workers), the target's rating shift raw, under the exclusion policy and on the robust
board (`arenavotes.ratings.robust`), each against the clean log treated the same way, and the share of
the raw shift each removes. Writes the table (markdown) and `docs/adversarial-curves.png`. By hand:

    .venv/bin/python bench/adversarial.py [--seeds 3] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import polars as pl

from arenavotes import db
from arenavotes.config import DedupSettings
from arenavotes.dedup import detect
from arenavotes.dedup.simulate import honest_voter_ids, inject, synthetic_times
from arenavotes.ingest import ingest_file
from arenavotes.ratings import RatingParams, rate
from arenavotes.ratings.robust import robust_board
from arenavotes.ratings.store import CAMPAIGN_FLAGS

ROOT = Path(__file__).resolve().parents[1]
NO_TEXT = pl.DataFrame(schema={"battle_id": pl.String, "text": pl.String})
NO_ANSWERS = pl.DataFrame(schema={"battle_id": pl.String, "side": pl.String, "text": pl.String})
STRATEGIES = ("target_only", "omnipresent", "deanon", "mixed")


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


def policy(battles: pl.DataFrame, s: DedupSettings) -> tuple[set[str], pl.DataFrame, set[str], pl.DataFrame]:
    """Battles the default policy leaves out, the campaign posterior of every battle (for the robust board), and
    the battles the per-voter tests alone would leave out (what the policy caught before the campaign scan), and
    the ``rating_surge`` flags (informational: a model's day far above or below the board)."""
    flags = detect(battles, NO_TEXT, NO_ANSWERS, s).flags
    excluded = flags.filter(pl.col("flag").is_in(list(s.exclude)))
    out = set(excluded["battle_id"].to_list())
    per_voter = set(excluded.filter(pl.col("detector").str.starts_with("voters/"))["battle_id"].to_list())
    post = (
        flags.filter(pl.col("flag").is_in(CAMPAIGN_FLAGS)).group_by("battle_id").agg(campaign_p=pl.col("score").max())
    )
    return out, post, per_voter, flags.filter(pl.col("flag") == "rating_surge")


def standing(battles: pl.DataFrame, target: str) -> float:
    r = rate(battles, RatingParams(ci="none", reg=1e-6))
    return float(r.rating[r.models.index(target)])


def robust_standing(battles: pl.DataFrame, post: pl.DataFrame, target: str) -> float:
    b = battles.join(post, on="battle_id", how="left")
    board = robust_board(b, RatingParams(ci="sandwich", reg=1e-6), draws=0)
    return float(board.filter(pl.col("model") == target)["rating_robust"][0])


def settings_grid(quick: bool) -> list[dict[str, object]]:
    grid: list[dict[str, object]] = []
    for strategy in STRATEGIES:
        for attackers in (1, 5, 30, 100):
            grid.append({"strategy": strategy, "attackers": attackers, "share": 0.01})
    for share in (0.0025, 0.005, 0.02):
        for strategy in STRATEGIES:
            grid.append({"strategy": strategy, "attackers": 30, "share": share})
    grid += [
        {"strategy": "mixed", "attackers": 30, "share": 0.01, "camouflage": 0.5},
        {"strategy": "target_only", "attackers": 30, "share": 0.01, "camouflage": 0.5},
        {"strategy": "mixed", "attackers": 30, "share": 0.01, "timing": "burst"},
        {"strategy": "target_only", "attackers": 30, "share": 0.01, "timing": "burst"},
        {"strategy": "mixed", "attackers": 30, "share": 0.01, "volume": "equal"},
    ]
    if quick:
        grid = [g for g in grid if g["attackers"] == 30 and g["share"] == 0.01 and len(g) == 3]
    return grid


def run_log(log: str, seeds: int, quick: bool, s: DedupSettings) -> list[dict[str, object]]:
    # synthetic timestamps in a seeded random order: LLMFAO's rows are grouped by prompt, and time in row order
    # would make every "day" one prompt (a model's results differ by prompt, which is not a surge in time)
    clean = synthetic_times(load(log).sample(fraction=1.0, shuffle=True, seed=0)).sort("battle_id")
    base = rate(clean, RatingParams(ci="none", reg=1e-6))
    order = np.argsort(-base.rating)
    target = base.models[order[int(0.75 * (len(order) - 1))]]
    ratings = dict(zip(base.models, base.rating.tolist(), strict=True))
    clean_out, clean_post, _, clean_surge = policy(clean, s)
    clean_rating = standing(clean, target)
    clean_filtered = standing(clean.filter(~pl.col("battle_id").is_in(list(clean_out))), target)
    clean_robust = robust_standing(clean, clean_post, target)
    print(
        f"{log}: {clean.height:,} votes, {clean['voter_id'].n_unique():,} voters, target {target} "
        f"(rating {clean_rating:.1f}); the policy leaves out {len(clean_out) / clean.height:.1%} of the clean log; "
        f"rating_surge flags on the clean log: {clean_surge.height}"
    )
    rows = []
    for g in settings_grid(quick):
        acc: dict[str, list[float]] = {
            k: [] for k in ("n", "rec", "rec0", "vrec", "fp", "newfp", "raw", "filt", "rob", "surge", "surge_rec")
        }
        for seed in range(seeds):
            rigged, ids = inject(
                clean,
                target=target,
                ratings=ratings,
                volume=str(g.get("volume", "honest")),
                seed=100 + seed,
                strategy=str(g["strategy"]),
                attackers=int(g["attackers"]),  # type: ignore[call-overload]
                share=float(g["share"]),
                camouflage=float(g.get("camouflage", 0.0)),  # type: ignore[arg-type]
                timing=str(g.get("timing", "spread")),
            )
            campaign = set(ids)
            out, post, per_voter, surge = policy(rigged, s)
            target_up = surge.filter(
                pl.col("reason").str.starts_with(f"{target} won") & pl.col("reason").str.contains("above")
            )
            acc["surge"].append(float(target_up.height > 0))
            acc["surge_rec"].append(len(set(target_up["battle_id"].to_list()) & campaign) / len(campaign))
            honest = rigged.filter(~pl.col("voter_id").str.starts_with("attacker"))
            honest_ids = set(honest["battle_id"].to_list())
            attackers = set(rigged.filter(pl.col("battle_id").is_in(ids))["voter_id"].to_list())
            caught = set(rigged.filter(pl.col("battle_id").is_in(list(out)))["voter_id"].to_list())
            acc["n"].append(len(campaign))
            acc["rec"].append(len(out & campaign) / len(campaign))
            acc["rec0"].append(len(per_voter & campaign) / len(campaign))
            acc["vrec"].append(len(attackers & caught) / len(attackers))
            acc["fp"].append(len(out & honest_ids) / len(honest_ids))
            acc["newfp"].append(len((out & honest_ids) - clean_out) / len(honest_ids))
            acc["raw"].append(standing(rigged, target) - clean_rating)
            acc["filt"].append(standing(rigged.filter(~pl.col("battle_id").is_in(list(out))), target) - clean_filtered)
            acc["rob"].append(robust_standing(rigged, post, target) - clean_robust)
        m = {k: statistics.mean(v) for k, v in acc.items()}
        variant = ", ".join(f"{k} {v}" for k, v in g.items() if k not in ("strategy", "attackers", "share"))
        rows.append(
            {
                "log": log,
                **{k: g[k] for k in ("strategy", "attackers", "share")},
                "variant": variant or "-",
                "campaign votes": round(m["n"]),
                "vote recall": m["rec"],
                "per-voter tests alone": m["rec0"],
                "voter recall": m["vrec"],
                "honest FPR": m["fp"],
                "honest FPR new": m["newfp"],
                "target surge found": m["surge"],
                "surge recall": m["surge_rec"],
                "shift raw": m["raw"],
                "shift excluded": m["filt"],
                "shift robust": m["rob"],
                "cut excluded": 1 - abs(m["filt"]) / abs(m["raw"]) if m["raw"] else float("nan"),
                "cut robust": 1 - abs(m["rob"]) / abs(m["raw"]) if m["raw"] else float("nan"),
            }
        )
    return rows


def markdown(rows: list[dict[str, object]]) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 1 or v != v else f"{v:+.1f}"
        return str(v)

    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        vals = []
        for h in header:
            v = r[h]
            if h in ("vote recall", "voter recall", "per-voter tests alone", "target surge found", "surge recall"):
                vals.append(f"{v:.3f}")
            elif h.startswith("shift"):
                vals.append(f"{v:+.1f}")
            elif h.startswith("cut"):
                vals.append(f"{v:.0%}")
            elif h == "share":
                vals.append(f"{v:.2%}")
            else:
                vals.append(cell(v))
        lines.append("| " + " | ".join(vals) + " |")
    return "\n".join(lines)


def figure(rows: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logs = sorted({str(r["log"]) for r in rows})
    fig, axes = plt.subplots(len(logs), 3, figsize=(14, 4.2 * len(logs)), squeeze=False)
    for row, log in enumerate(logs):
        mine = [r for r in rows if r["log"] == log and r["variant"] == "-"]
        for colour, strategy in zip(("C0", "C1", "C2", "C3"), STRATEGIES, strict=True):
            by_att = sorted(
                (r for r in mine if r["strategy"] == strategy and r["share"] == 0.01), key=lambda r: r["attackers"]
            )
            by_share = sorted(
                (r for r in mine if r["strategy"] == strategy and r["attackers"] == 30), key=lambda r: r["share"]
            )
            xs = [r["attackers"] for r in by_att]
            axes[row][0].plot(xs, [r["vote recall"] for r in by_att], marker="o", color=colour, label=strategy)
            axes[row][1].plot(
                xs, [r["cut robust"] for r in by_att], marker="o", color=colour, label=f"{strategy} (robust)"
            )
            axes[row][1].plot(
                xs,
                [r["cut excluded"] for r in by_att],
                marker="x",
                ls="--",
                color=colour,
                label=f"{strategy} (excluded)",
            )
            axes[row][2].plot(
                [100 * r["share"] for r in by_share], [r["vote recall"] for r in by_share], marker="o", color=colour
            )
        axes[row][0].set(
            xscale="log", xlabel="attackers (1% campaign)", ylabel="vote recall", title=f"{log}: recall", ylim=(0, 1.05)
        )
        axes[row][1].set(
            xscale="log",
            xlabel="attackers (1% campaign)",
            ylabel="share of the rating shift removed",
            title=f"{log}: shift cut",
            ylim=(-0.2, 1.05),
        )
        axes[row][2].set(
            xscale="log",
            xticks=[0.25, 0.5, 1, 2],
            xticklabels=["0.25%", "0.5%", "1%", "2%"],
            xlabel="campaign share of votes (30 attackers)",
            ylabel="vote recall",
            title=f"{log}: recall by campaign size",
            ylim=(0, 1.05),
        )
        axes[row][2].minorticks_off()
        for ax in axes[row]:
            ax.axhline(0.9, color="grey", lw=0.8, ls=":")
            ax.grid(alpha=0.3)
        axes[row][0].legend(fontsize=8)
        axes[row][1].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="only the 1%%, 30-attacker settings")
    ap.add_argument("--figure", type=Path, default=ROOT / "docs/adversarial-curves.png")
    args = ap.parse_args()
    s = DedupSettings()
    t0 = time.perf_counter()
    rows = [r for log in ("llmfao", "arena-33k") for r in run_log(log, args.seeds, args.quick, s)]
    print(markdown(rows))
    if not args.quick:
        figure(rows, args.figure)
        print(f"figure: {args.figure}")
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
