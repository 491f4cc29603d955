"""Rating speed against the named peers, measured side by side in one run on the same synthetic data.

Peers: arena-rank 0.1.1 (LMArena), evalica 0.4.2, choix (dense ILSR). They are not arenavotes
dependencies; `make bench-ratings` builds `.venv-bench` with them (arena-rank pins numpy 2.3.3 and
JAX) and runs this script there. Data: `arenavotes.ratings.simulate` -- Zipf model popularity,
13% ties (40% of them both-bad). Times are wall seconds, median of --repeat runs (bootstraps: one run).

Usage: python bench/ratings.py [--sizes 100:100000,250:1000000,250:5000000] [--peer-boot-max 1000000]
Prints one table; never asserts anything.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import polars as pl

from arenavotes.ratings import RatingParams, rate
from arenavotes.ratings.simulate import simulate_battles


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# --- peers ------------------------------------------------------------------------------------


def arena_rank_fit(pdf):  # type: ignore[no-untyped-def]
    from arena_rank.models.bradley_terry import BradleyTerry
    from arena_rank.utils.data_utils import PairDataset

    ds = PairDataset.from_pandas(pdf)
    return BradleyTerry(n_competitors=len(ds.competitors)).compute_ratings_and_cis(ds, significance_level=0.05)


def arena_rank_boot(pdf, rounds: int):  # type: ignore[no-untyped-def]
    from arena_rank.models.bradley_terry import BradleyTerry
    from arena_rank.utils.data_utils import PairDataset

    ds = PairDataset.from_pandas(pdf)
    return BradleyTerry(n_competitors=len(ds.competitors)).compute_ratings_and_cis(
        ds, significance_level=0.05, ci_method="bootstrap", num_bootstrap=rounds
    )


def evalica_fit(xs, ys, ws):  # type: ignore[no-untyped-def]
    import evalica

    return evalica.bradley_terry(xs, ys, ws)


def evalica_boot(xs, ys, ws, rounds: int):  # type: ignore[no-untyped-def]
    import evalica

    rng = np.random.default_rng(0)
    n = len(xs)
    wins = np.array(ws, dtype=object)
    for _ in range(rounds):
        take = rng.integers(0, n, n)
        evalica.bradley_terry(xs.iloc[take], ys.iloc[take], wins[take].tolist())


def choix_fit(counts: np.ndarray):  # type: ignore[no-untyped-def]
    import choix

    return choix.ilsr_pairwise_dense(counts, alpha=1e-6)


def choix_boot(counts: np.ndarray, rounds: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    flat = counts.ravel()
    total = int(flat.sum())
    for _ in range(rounds):
        choix_fit(rng.multinomial(total, flat / flat.sum()).reshape(counts.shape).astype(float))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100:100000,250:1000000,250:5000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--peer-boot-max",
        type=int,
        default=1_000_000,
        help="run the peers' 100-round bootstraps only up to this N (they take minutes)",
    )
    args = ap.parse_args()
    print(
        f"cores: {os.cpu_count()}; arena-rank's bootstrap runs with the spawn start method (fork deadlocks "
        "with JAX); arenavotes runs first, before any peer starts a thread pool"
    )
    header = ("K", "N", "tool", "fit+CI s", "100 boot s", "1000 boot s")
    sizes = [tuple(int(x) for x in spec.split(":")) for spec in args.sizes.split(",")]
    data = {(k, n): simulate_battles(k=k, n=n, seed=0)[0] for k, n in sizes}
    ours: dict[tuple[int, int], tuple[float, float, float]] = {}
    for (k, n), battles in data.items():
        fit = timed(lambda b=battles: rate(b, RatingParams(ci="sandwich")), args.repeat)
        b100 = timed(lambda b=battles: rate(b, RatingParams(ci="bootstrap", rounds=100)))
        b1000 = timed(lambda b=battles: rate(b, RatingParams(ci="bootstrap", rounds=1000)))
        ours[(k, n)] = (fit, b100, b1000)
    rows: list[tuple[object, ...]] = []
    for (k, n), battles in data.items():
        rows.append((k, n, "arenavotes (sandwich / multinomial bootstrap)", *ours[(k, n)]))
        rows.extend(_peers(k, n, battles, args))
    _print(header, rows)


def _peers(k: int, n: int, battles: pl.DataFrame, args: argparse.Namespace) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    pdf = battles.select("model_a", "model_b", pl.col("winner").replace({"tie_bothbad": "both_bad"})).to_pandas()
    try:
        ar_fit = timed(lambda: arena_rank_fit(pdf), args.repeat)
        ar_boot = timed(lambda: arena_rank_boot(pdf, 100)) if n <= args.peer_boot_max else None
        rows.append((k, n, "arena-rank 0.1.1 (sandwich / bootstrap)", ar_fit, ar_boot, None))
    except ImportError:
        rows.append((k, n, "arena-rank 0.1.1: not installed (make bench-ratings)", None, None, None))
    try:
        import evalica
        import pandas as pd

        code = {
            "model_a": evalica.Winner.X,
            "model_b": evalica.Winner.Y,
            "tie": evalica.Winner.Draw,
            "both_bad": evalica.Winner.Draw,
        }
        ws = [code[w] for w in pdf["winner"]]
        xs, ys = pd.Series(pdf["model_a"]), pd.Series(pdf["model_b"])
        ev_fit = timed(lambda: evalica_fit(xs, ys, ws), args.repeat)
        ev_boot = timed(lambda: evalica_boot(xs, ys, ws, 100)) if n <= args.peer_boot_max else None
        rows.append((k, n, "evalica 0.4.2 (fit, no CI / row resampling)", ev_fit, ev_boot, None))
    except ImportError:
        rows.append((k, n, "evalica: not installed", None, None, None))
    try:
        names = sorted(set(battles["model_a"]) | set(battles["model_b"]))
        idx = {m: i for i, m in enumerate(names)}

        def dense() -> np.ndarray:
            m = np.zeros((k, k))
            a = pdf["model_a"].map(idx).to_numpy()
            c = pdf["model_b"].map(idx).to_numpy()
            w = pdf["winner"].to_numpy()
            np.add.at(m, (a[w == "model_a"], c[w == "model_a"]), 1.0)
            np.add.at(m, (c[w == "model_b"], a[w == "model_b"]), 1.0)
            tie = (w == "tie") | (w == "both_bad")
            np.add.at(m, (a[tie], c[tie]), 0.5)
            np.add.at(m, (c[tie], a[tie]), 0.5)
            return m

        ch_fit = timed(lambda: choix_fit(dense()), args.repeat)
        counts = dense()
        ch_boot = timed(lambda: choix_boot(counts * 2, 100))
        rows.append((k, n, "choix (dense ILSR incl. counting, no CI / resampled counts)", ch_fit, ch_boot, None))
    except ImportError:
        rows.append((k, n, "choix: not installed", None, None, None))
    return rows


def _print(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    def cell(v: object) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.2f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    table = [tuple(cell(v) for v in r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")


if __name__ == "__main__":
    mp.set_start_method("spawn", force=True)  # arena-rank's JAX pool deadlocks under fork
    main()
