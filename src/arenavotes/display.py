"""Plain-text tables for the terminal: the one way every command prints rows."""

from __future__ import annotations

from collections.abc import Sequence


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
