"""The ``arenavotes`` command group and the options its commands share.

Every command takes ``-w/--workspace DIR`` (default: the current folder). A user mistake prints
one line (``arenavotes: error: ...``) and exits with code 2; no traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from arenavotes import __version__, vocab
from arenavotes.stages.base import StageResult
from arenavotes.workspace import Workspace

WORKSPACE_HELP = "Workspace folder (holds arenavotes.toml and arena.duckdb); default: the current folder."


def workspace_option(f: Any) -> Any:
    return click.option(
        "-w",
        "--workspace",
        "workspace",
        type=click.Path(path_type=Path),
        default=Path("."),
        show_default=False,
        help=WORKSPACE_HELP,
    )(f)


#: Options several commands share, declared once.
def sources_option(help: str = "Only these sources (repeatable; default: all).") -> Any:
    return click.option("--source", "sources", multiple=True, metavar="NAME", help=help)


format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
exclude_option = click.option(
    "--exclude-flags",
    metavar="FLAGS",
    help="Comma-separated flags whose battles are left "
    "out ('none' keeps all; default: [dedup] exclude = " + ",".join(vocab.DEFAULT_EXCLUDE_FLAGS) + ").",
)


def stacked(*options: Any) -> Any:
    """One decorator that adds click ``options`` to a command, shown in ``--help`` in the order given (click
    applies decorators bottom-up, so they are applied in reverse)."""

    def apply(f: Any) -> Any:
        for option in reversed(options):
            f = option(f)
        return f

    return apply


def arena_options(f: Any) -> Any:
    """``--arena KIND`` and ``--mix-arenas``: which arena kind a board covers."""
    f = click.option(
        "--mix-arenas", is_flag=True, help="Rate battles of different arena kinds together (off: refused)."
    )(f)
    return click.option(
        "--arena",
        type=click.Choice(vocab.ARENA_KINDS),
        help="Only battles of this arena kind (needed when the sources hold several).",
    )(f)


def echo_result(result: StageResult) -> None:
    """Print a stage's summary lines."""
    for line in result.lines:
        click.echo(line)


def open_workspace(path: Path, create: bool = False) -> Workspace:
    if create and not (path / "arenavotes.toml").exists():
        click.echo(f"created workspace {path}", err=True)
        return Workspace.init(path)
    return Workspace.open(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="arenavotes")
def cli() -> None:
    """Clean, scrub, deduplicate, categorise, rate and publish LLM-arena vote logs.

    \b
    Quick start:
      arenavotes init myarena
      arenavotes ingest -w myarena battles.parquet clean_battle_20240220.json
      arenavotes sql -w myarena "select winner, count(*) from battles group by 1"
    """
