"""Are the LLMFAO crowd workers that the default policy flags real anomalies, or false positives?

LLMFAO (dustalov/llmfao) had ~3 crowd workers judge each (prompt, model pair) item, and GPT-4 judged
the same items once. For the workers the default exclusion policy flags on the clean log, against the
workers it keeps, this prints:

* how many votes the policy removes, and from whom (workers, their votes, which detector);
* agreement with the other workers' majority on the same item (leave-one-out; items without a
  majority among the others are skipped) and with GPT-4's verdict (both decisive);
* the share of decisive votes for the side shown first, and the tie rate;
* replication: the log split in two by item id parity, every worker's Fisher p-value computed in each
  half on its own. A worker flagged by chance is unlikely to be anomalous again in the other half
  (both below 0.01: 1 in 10,000 for an honest worker); a real anomaly replicates.

    .venv/bin/python bench/llmfao_workers.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from arenavotes.config import DedupSettings
from arenavotes.dedup import detect, voters

ROOT = Path(__file__).resolve().parents[1]
WINNER = {"left": "model_a", "right": "model_b", "tie": "tie"}


def load() -> tuple[pl.DataFrame, pl.DataFrame]:
    crowd = pl.read_csv(ROOT / "data/llmfao/crowd-comparisons.csv.gz").with_row_index("row")
    gpt4 = pl.read_csv(ROOT / "data/llmfao/gpt4-crowd-comparisons.csv.gz").select("id", gpt4="winner")
    battles = crowd.select(
        battle_id=pl.col("row").cast(pl.String),
        item=pl.col("id"),
        model_a=pl.col("left"),
        model_b=pl.col("right"),
        winner=pl.col("winner").replace_strict(WINNER),
        voter_id=pl.col("worker").cast(pl.String),
        raw=pl.col("winner"),
    )
    return battles, gpt4


def agreement(battles: pl.DataFrame, gpt4: pl.DataFrame) -> pl.DataFrame:
    """Per vote: does it agree with the other workers' majority on its item, and with GPT-4?"""
    counts = battles.group_by("item").agg(
        *(pl.col("raw").eq(v).sum().alias(f"n_{v}") for v in ("left", "right", "tie"))
    )
    b = battles.join(counts, on="item").join(gpt4, left_on="item", right_on="id", how="left")
    # the others' counts: the item's counts minus this vote
    others = {v: pl.col(f"n_{v}") - (pl.col("raw") == v).cast(pl.Int64) for v in ("left", "right", "tie")}
    top = pl.max_horizontal(*others.values())
    unique_top = sum((e == top).cast(pl.Int64) for e in others.values()) == 1
    majority = pl.when(others["left"] == top).then(pl.lit("left")).when(others["right"] == top).then(pl.lit("right"))
    majority = majority.otherwise(pl.lit("tie"))
    return b.with_columns(
        agree_crowd=pl.when(unique_top & (top > 0)).then(pl.col("raw") == majority),
        agree_gpt4=pl.when(pl.col("raw").is_in(["left", "right"]) & pl.col("gpt4").is_in(["left", "right"])).then(
            pl.col("raw") == pl.col("gpt4")
        ),
    )


def half_pvalues(battles: pl.DataFrame, parity: int) -> dict[str, float]:
    half = battles.filter(pl.col("item") % 2 == parity)
    v = voters.prepare(half.drop("item", "raw"))
    assert v is not None
    _, p = voters.fisher_test(v, min_votes=5)
    return dict(zip(v.voters.tolist(), p.tolist(), strict=True))


def main() -> None:
    battles, gpt4 = load()
    s = DedupSettings()
    no_text = pl.DataFrame(schema={"battle_id": pl.String, "text": pl.String})
    no_answers = pl.DataFrame(schema={"battle_id": pl.String, "side": pl.String, "text": pl.String})
    flags = detect(battles.drop("item", "raw"), no_text, no_answers, s).flags
    excluded = flags.filter(pl.col("flag").is_in(list(s.exclude)))
    by_worker = (
        excluded.join(battles.select("battle_id", "voter_id"), on="battle_id")
        .group_by("voter_id")
        .agg(detectors=pl.col("detector").unique().sort().str.join(" + "))
    )
    b = agreement(battles, gpt4).join(by_worker, on="voter_id", how="left")
    b = b.with_columns(flagged=pl.col("detectors").is_not_null())
    p_odd, p_even = half_pvalues(battles, 1), half_pvalues(battles, 0)
    per_worker = (
        b.group_by("voter_id", "flagged", "detectors")
        .agg(
            votes=pl.len(),
            agree_crowd=pl.col("agree_crowd").mean(),
            agree_gpt4=pl.col("agree_gpt4").mean(),
            first_side=(pl.col("raw") == "left").sum() / pl.col("raw").is_in(["left", "right"]).sum(),
            ties=(pl.col("raw") == "tie").mean(),
        )
        .with_columns(
            p_odd=pl.col("voter_id").replace_strict(p_odd, default=None, return_dtype=pl.Float64),
            p_even=pl.col("voter_id").replace_strict(p_even, default=None, return_dtype=pl.Float64),
        )
        .with_columns(replicates=(pl.col("p_odd") < 0.01) & (pl.col("p_even") < 0.01))
        .sort(["votes", "voter_id"], descending=[True, False])
    )
    n = battles.height
    removed = b.filter("flagged").height
    print(
        f"LLMFAO: {n:,} votes by {battles['voter_id'].n_unique()} workers; the default policy "
        f"({', '.join(s.exclude)}) removes {removed:,} votes ({removed / n:.1%}) from "
        f"{per_worker.filter('flagged').height} workers\n"
    )
    summary = (
        b.group_by("flagged")
        .agg(
            workers=pl.col("voter_id").n_unique(),
            votes=pl.len(),
            agree_crowd=pl.col("agree_crowd").mean(),
            agree_gpt4=pl.col("agree_gpt4").mean(),
            first_side=(pl.col("raw") == "left").sum() / pl.col("raw").is_in(["left", "right"]).sum(),
            ties=(pl.col("raw") == "tie").mean(),
        )
        .sort("flagged", descending=True)
    )
    rep = per_worker.group_by("flagged").agg(
        tested=pl.col("p_odd").is_not_null() & pl.col("p_even").is_not_null(),
        replicate=pl.col("replicates"),
    )
    rep = rep.with_columns(
        tested=pl.col("tested").list.sum(),
        replicate=pl.col("replicate").list.eval(pl.element().fill_null(False)).list.sum(),
    )
    summary = summary.join(rep, on="flagged")
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        float_precision=3,
        tbl_rows=40,
        tbl_cols=20,
        tbl_width_chars=250,
        fmt_str_lengths=60,
    ):
        print("By group (agreement = share of votes agreeing; replicate = workers anomalous at p<0.01 in both halves):")
        print(summary)
        print("\nFlagged workers:")
        print(per_worker.filter("flagged").drop("flagged"))
        kept = per_worker.filter(~pl.col("flagged") & (pl.col("votes") >= 20))
        for col in ("agree_crowd", "agree_gpt4"):
            q = np.nanpercentile(kept[col].to_numpy().astype(float), [5, 50])
            print(f"kept workers with >= 20 votes ({kept.height}): {col} 5th percentile {q[0]:.3f}, median {q[1]:.3f}")


if __name__ == "__main__":
    main()
