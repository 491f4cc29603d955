"""Commands that look at a workspace or a release: init, formats, status, sql, leaderboard, flags."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from arenavotes.cli.base import (
    cli,
    format_option,
    sources_option,
    workspace_option,
)
from arenavotes.cli.readflags import read_flags, read_options_from
from arenavotes.errors import UserError
from arenavotes.workspace import Workspace


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    """Create a workspace folder with a commented arenavotes.toml.

    Example: arenavotes init myarena
    """
    ws = Workspace.init(directory)
    ws.secret()  # create the pseudonym key now, with 0600 permissions
    click.echo(f"workspace ready: {ws.path} (settings: {ws.settings_path})")


@cli.command()
@click.option(
    "--explain",
    "explain",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Show what ingest would make of FILE with the flags below (nothing is written).",
)
@read_flags
@click.option("--rows", type=int, default=5, show_default=True, help="With --explain: records to show.")
@click.option(
    "--save-preset",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="OUT.toml",
    help="Save the reading flags as a preset for 'ingest --preset'.",
)
def formats(explain: Path | None, rows: int, save_preset: Path | None, **read: Any) -> None:
    """List the log formats that ingest recognises, or explain how one file would be read.

    \b
    Examples:
      arenavotes formats
      arenavotes formats --explain sample.csv
      arenavotes formats --explain sample.csv --map model_a=model_0 --map model_b=model_1 \\
          --winner-map 0=model_a,1=model_b --save-preset copilot.toml
    """
    from arenavotes.ingest.formats import FORMATS
    from arenavotes.ingest.mapping import ReadOptions, preset_text

    options = read_options_from(read)
    if explain is None:
        if save_preset is not None or options != ReadOptions():
            raise UserError(
                "--save-preset and the reading flags go with --explain FILE",
                hint="arenavotes formats --explain FILE ...",
            )
        for fmt in FORMATS:
            click.echo(f"{fmt.name:28s} {fmt.summary}")
            if fmt.example:
                click.echo(f"{'':28s} e.g. {fmt.example}")
        return
    from arenavotes.ingest.explain import explain_file

    for line in explain_file(explain, options, rows):
        click.echo(line)
    if save_preset is not None:
        save_preset.write_text(preset_text(options), encoding="utf-8")
        click.echo(f"preset saved to {save_preset} (use: arenavotes ingest --preset {save_preset} FILE...)")


@cli.command()
@workspace_option
def status(workspace: Path) -> None:
    """Summarise the workspace: sources, battles, models, quarantined rows by reason.

    Example: arenavotes status -w myarena
    """
    from arenavotes.display import text_table
    from arenavotes.provenance import STAGES, stage_table
    from arenavotes.summary import workspace_summary

    ws = Workspace.open(workspace)
    with ws.connect(read_only=True) as con:
        click.echo(workspace_summary(con))
        stages = stage_table(con)
    if stages.height:
        click.echo("\nstages each source went through since its last ingest ([settings hash]):")
        click.echo(text_table(stages.rows(), ("source", *STAGES)))


@cli.command()
@workspace_option
@click.argument("query", required=False)
@format_option
@click.option("--max-rows", type=int, default=40, show_default=True, help="Rows shown by --format table.")
@click.option("--release", metavar="VERSION|DIR", help="Query a release (its parquet files) instead of the workspace.")
@click.option("--recipe", metavar="NAME", help="Run a shipped recipe (see --recipes) instead of QUERY.")
@click.option("--recipes", "list_recipes", is_flag=True, help="List the shipped SQL recipes.")
@click.option(
    "--allow-read",
    "allow_read",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Also let the SQL read this file or folder (never the workspace secret or database).",
)
def sql(
    workspace: Path,
    query: str | None,
    fmt: str,
    max_rows: int,
    release: str | None,
    recipe: str | None,
    list_recipes: bool,
    allow_read: Sequence[Path],
) -> None:
    """Run read-only SQL over the workspace or a release; with no QUERY, open an interactive prompt.

    \b
    Workspace tables: battles, conversations, quarantine, prompt_labels, flags, leaderboards, runs, sources, ...
    Release views: battles, conversations, leaderboard, flags, prompt_labels, model_pairs, votes_by_day, categories.
    Examples:
      arenavotes sql -w myarena "select winner, count(*) from battles group by 1"
      arenavotes sql -w myarena --release v1 --recipe win_rates
    """
    from arenavotes import sqlsafe
    from arenavotes.releases import sql as rsql
    from arenavotes.sqlshell import interactive, print_query

    if list_recipes:
        for name, what in sorted(rsql.recipes().items()):
            click.echo(f"{name:18s} {what}")
        return
    if recipe:
        query = rsql.recipe(recipe)
    if release:
        con = sqlsafe.open_release_of(workspace, release, allow_read=allow_read)
    else:
        con = sqlsafe.open_workspace(Workspace.open(workspace).path, allow_read=allow_read)
    with con:
        if query is not None:
            print_query(con, query, fmt, max_rows)
        else:
            interactive(con, fmt, max_rows, say=lambda s: click.echo(s, err=True))


@cli.command()
@workspace_option
@click.option(
    "--scope",
    "--name",
    "name",
    metavar="NAME",
    help="Which set of leaderboards: the scope given to 'arenavotes rate' (--name: old spelling).",
)
@click.option("--category", default="overall", show_default=True, help="Category, e.g. math, hard_prompt.")
@click.option("--labeler", help="Labeler of the category (e.g. source/lmarena-140k), when several have it.")
@format_option
@click.option("--limit", type=int, default=0, help="Show the top N (0 = all).")
def leaderboard(workspace: Path, name: str | None, category: str, labeler: str | None, fmt: str, limit: int) -> None:
    """Print a leaderboard written by 'arenavotes rate'.

    \b
    Examples:
      arenavotes leaderboard -w myarena
      arenavotes leaderboard -w myarena --category math --format csv
    """
    from arenavotes.display import board_table, write_frame
    from arenavotes.ratings.store import read_board

    with Workspace.open(workspace).connect(read_only=True) as con:
        scope, frame = read_board(con, name, category, labeler)
    frame = frame.head(limit) if limit else frame
    if fmt != "table":
        sys.stdout.write(write_frame(frame, fmt))
        return
    click.echo(f"{scope} - {category}" + (f" [{labeler}]" if labeler else ""))
    click.echo(board_table(frame))


@cli.command()
@workspace_option
@sources_option()
@format_option
def flags(workspace: Path, sources: Sequence[str], fmt: str) -> None:
    """Count flagged battles by source, flag and detector.

    Example: arenavotes flags -w myarena --format csv
    """
    from arenavotes.dedup.store import flag_counts
    from arenavotes.display import write_frame
    from arenavotes.stages.dedup import flag_table

    ws = Workspace.open(workspace)
    with ws.connect(read_only=True) as con:
        counts = flag_counts(con, sources or None, ws.settings().dedup.exclude)
    if fmt != "table":
        sys.stdout.write(write_frame(counts, fmt))
    else:
        click.echo(flag_table(counts) if counts.height else "no flags: run 'arenavotes dedup'")


@cli.command()
@workspace_option
@sources_option()
@click.option(
    "--review",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Write DIR/index.html (every image, to look at) and DIR/approved.txt (the list to approve for a release).",
)
def images(workspace: Path, sources: Sequence[str], review: Path | None) -> None:
    """Count the images in the conversations, or write the review sheet a release with images needs.

    \b
    Examples:
      arenavotes images -w myarena
      arenavotes images -w myarena --review review/ && $EDITOR review/approved.txt
      arenavotes release -w myarena v2 --include-images review/approved.txt
    """
    from arenavotes.display import text_table
    from arenavotes.releases.images import write_review
    from arenavotes.sources import resolve_sources

    ws = Workspace.open(workspace)
    with ws.connect(read_only=True) as con:
        chosen = resolve_sources(con, sources, all_sources=not sources)
        rows = con.sql(
            """SELECT b.source, b.arena, count(DISTINCT m.image_id) AS images,
                      count(DISTINCT m.image_id) FILTER (WHERE d.image_id IS NOT NULL) AS with_bytes,
                      count(DISTINCT m.battle_id) AS battles
               FROM message_images m JOIN battles b USING (battle_id) LEFT JOIN image_data d USING (image_id)
               WHERE b.source IN (SELECT unnest(?)) GROUP BY ALL ORDER BY 1, 2""",
            params=[chosen],
        ).fetchall()
        if review is not None:
            shown, missing = write_review(con, chosen, review)
            click.echo(
                f"{shown:,} images written to {review / 'index.html'}; approve them in {review / 'approved.txt'}"
                + (f" ({missing:,} more were logged without their bytes and cannot be shipped)" if missing else "")
            )
            return
    if not rows:
        click.echo("no images in the conversations of these sources")
        return
    click.echo(text_table([tuple(map(str, r)) for r in rows], ("source", "arena", "images", "with bytes", "battles")))
