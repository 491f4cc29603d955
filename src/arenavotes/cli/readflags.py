"""The flags that say how to read a file, shared by ``ingest`` and ``formats --explain``.

>>> read_options_from({"maps": ("model_a=left",), "winner_maps": ("L=a",), "arena": "vision"}).flags()
['--map', 'model_a=left', '--winner-map', 'L=model_a', '--arena', 'vision']
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from arenavotes.cli.base import stacked
from arenavotes.ingest.containers import CONTAINERS
from arenavotes.ingest.mapping import HIGH_WINS, ReadOptions, load_preset, merge, parse_tie_band, parse_winner_map
from arenavotes.vocab import ARENA_KINDS

_OPTIONS: tuple[Callable[[Any], Any], ...] = (
    click.option("--format", "format_name", metavar="NAME", help="Skip auto-detection (see 'arenavotes formats')."),
    click.option(
        "--container",
        type=click.Choice(CONTAINERS),
        help="How records are stored, if the file's start and suffix are misleading.",
    ),
    click.option(
        "--map",
        "maps",
        multiple=True,
        metavar="FIELD=COLUMN",
        help="Where a canonical field lives, e.g. --map model_a=left (nested: a.b). Repeatable.",
    ),
    click.option(
        "--winner-map",
        "winner_maps",
        multiple=True,
        metavar="VALUE=OUTCOME,...",
        help="Coded winners, e.g. --winner-map 0=model_a,1=model_b,2=tie (outcomes: model_a, model_b, tie, "
        "tie_bothbad, not_a_vote; numbers match as numbers, text regardless of case).",
    ),
    click.option(
        "--winner-from",
        metavar="COLUMN|SCORE_A,SCORE_B",
        help="The outcome from a number (low favours model_a) or from two per-side scores (the higher wins).",
    ),
    click.option(
        "--tie-band",
        metavar="LO:HI",
        help="With --winner-from: values (or score differences) in [LO, HI] are ties; default 0:0.",
    ),
    click.option(
        "--high-wins",
        type=click.Choice(HIGH_WINS),
        help="With --winner-from COLUMN: the side a value above the band favours (default model_b).",
    ),
    click.option(
        "--arena",
        metavar="KIND",
        help=f"The arena kind of every battle in the file: {', '.join(ARENA_KINDS)} (default: the format's).",
    ),
    click.option("--csv-delimiter", metavar="CHAR", help="CSV field separator (default ',' or tab for .tsv)."),
    click.option("--csv-quote", metavar="CHAR", help='CSV quote character (default ").'),
    click.option("--csv-escape", metavar="CHAR", help="CSV escape character (default: a doubled quote)."),
    click.option(
        "--encoding", metavar="CODEC", help="Text encoding of the file (default utf-8), e.g. utf-16, latin-1."
    ),
    click.option(
        "--preset",
        type=click.Path(path_type=Path, dir_okay=False),
        metavar="FILE.toml",
        help="Reading options saved with 'arenavotes formats --explain FILE ... --save-preset'; flags override it.",
    ),
)

#: the keyword arguments the options above add to a command
READ_KWARGS = (
    "format_name",
    "container",
    "maps",
    "winner_maps",
    "winner_from",
    "tie_band",
    "high_wins",
    "arena",
    "csv_delimiter",
    "csv_quote",
    "csv_escape",
    "encoding",
    "preset",
)


def read_flags(f: Any) -> Any:
    """Add the reading flags to a click command."""
    return stacked(*_OPTIONS)(f)


def read_options_from(kwargs: dict[str, Any]) -> ReadOptions:
    """The :class:`ReadOptions` the flags in ``kwargs`` give (over the preset, when one is named)."""
    from arenavotes.stages.ingest import parse_map

    preset = kwargs.get("preset")
    base = load_preset(preset) if preset else ReadOptions()
    winner_from = kwargs.get("winner_from")
    band = kwargs.get("tie_band")
    return merge(
        base,
        format=kwargs.get("format_name"),
        container=kwargs.get("container"),
        fields=parse_map(kwargs.get("maps") or ()),
        winner_map=parse_winner_map(kwargs.get("winner_maps") or ()),
        winner_from=tuple(c.strip() for c in winner_from.split(",")) if winner_from else (),
        tie_band=parse_tie_band(band) if band else None,
        high_wins=kwargs.get("high_wins"),
        arena=kwargs.get("arena"),
        csv={
            "delimiter": _char(kwargs.get("csv_delimiter")),
            "quote": _char(kwargs.get("csv_quote")),
            "escape": _char(kwargs.get("csv_escape")),
            "encoding": kwargs.get("encoding"),
        },
    )


def _char(value: str | None) -> str | None:
    """``\\t`` and ``tab`` as a tab character (shells make a literal tab awkward)."""
    if value is None:
        return None
    return {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(value, value)
