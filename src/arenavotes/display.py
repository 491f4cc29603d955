"""Plain-text tables for the terminal: the one way every command prints rows."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def text_table(rows: Sequence[tuple[object, ...]], header: tuple[str, ...]) -> str:
    """A plain-text table: integers with thousands separators and right-aligned, the rest left-aligned.

    >>> print(text_table([("a", 1200), ("bb", 3)], ("name", "n")))
    name      n
    ----  -----
    a     1,200
    bb        3
    """
    cells = [tuple(f"{c:,}" if isinstance(c, int) else ("" if c is None else str(c)) for c in r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    numeric = [all(isinstance(r[i], int) for r in rows) and bool(rows) for i in range(len(header))]

    def fmt(r: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(r, widths, numeric, strict=True)).rstrip()

    return "\n".join([fmt(header), fmt(tuple("-" * w for w in widths)), *(fmt(r) for r in cells)])


def board_table(frame: pl.DataFrame) -> str:
    """A leaderboard (rows of ``leaderboards``) ordered by rating, with both ranks: by rating, and LMArena's
    (1 + models clearly better); one section per group of models when the comparison graph splits."""
    parts = []
    groups = frame["component"].unique().sort().to_list()
    for g in groups:
        rows = []
        for r in (
            frame.filter(pl.col("component") == g)
            .sort(["rating", "model"], descending=[True, False])
            .iter_rows(named=True)
        ):
            ci = (
                f"{r['ci_lower'] - r['rating']:+.1f}/{r['ci_upper'] - r['rating']:+.1f}"
                if r["ci_lower"] is not None
                else ""
            )
            rows.append(
                (
                    r["rank"],
                    r["rank_ub"],
                    r["model"] + (" *" if r["provisional"] else ""),
                    f"{r['rating']:.1f}",
                    ci,
                    f"{int(r['rank_q025'])}-{int(r['rank_q975'])}" if r["rank_q025"] is not None else "",
                    int(r["battles"]),
                )
            )
        if len(groups) > 1:
            parts.append(f"group {g}" + (" (not comparable with the groups above)" if g != groups[0] else ""))
        parts.append(text_table(rows, ("rank", "rank_ub", "model", "rating", "95% CI", "rank range", "battles")))
    text = "\n".join(parts)
    text += "\nrank: by rating; rank_ub: 1 + the models whose interval lies wholly above (LMArena's rank)"
    if frame["provisional"].any():
        text += "\n* provisional: fewer battles than the minimum"
    return text


def write_frame(frame: pl.DataFrame, fmt: str) -> str:
    """``frame`` as CSV or JSON text (``fmt`` csv | json)."""
    import json

    if fmt == "csv":
        return frame.write_csv()
    return json.dumps(frame.to_dicts(), default=str, indent=1) + "\n"
