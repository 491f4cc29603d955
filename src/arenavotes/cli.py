"""The ``arenavotes`` command: thin commands over the library, each with an example.

Every command takes ``-w/--workspace DIR`` (default: the current folder). A user mistake prints
one line (``arenavotes: error: ...``) and exits with code 2; no traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import duckdb

from arenavotes import __version__
from arenavotes.errors import UserError
from arenavotes.workspace import Workspace

WORKSPACE_HELP = "Workspace folder (holds arenavotes.toml and arena.duckdb); default: the current folder."


def workspace_option(f: Any) -> Any:
    return click.option("-w", "--workspace", "workspace", type=click.Path(path_type=Path), default=Path("."),
                        show_default=False, help=WORKSPACE_HELP)(f)


def _open(path: Path, create: bool = False) -> Workspace:
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
def formats() -> None:
    """List the log formats that ingest recognises.

    Example: arenavotes formats
    """
    from arenavotes.ingest.formats import FORMATS

    for fmt in FORMATS:
        click.echo(f"{fmt.name:28s} {fmt.summary}")
        if fmt.example:
            click.echo(f"{'':28s} e.g. {fmt.example}")


@cli.command()
@workspace_option
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "format_name", metavar="NAME", help="Skip auto-detection (see 'arenavotes formats').")
@click.option("--container", type=click.Choice(["json-lines", "json-array", "csv", "parquet"]),
              help="How records are stored, if the file's start and suffix are misleading.")
@click.option("--source", metavar="NAME", help="Source name (default: the file name); one file per source.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
              help="Where a canonical field lives, e.g. --map model_a=left (nested: a.b). Repeatable.")
@click.option("--replace", is_flag=True, help="Replace a source that holds a different version of the file.")
def ingest(workspace: Path, files: Sequence[Path], format_name: str | None, container: str | None,
           source: str | None, maps: Sequence[str], replace: bool) -> None:
    """Read vote logs into canonical battles; rows that fail checks go to quarantine.

    \b
    Examples:
      arenavotes ingest -w myarena battles.parquet clean_battle_20240220.json
      arenavotes ingest -w myarena votes.csv --map model_a=left --map model_b=right --map winner=vote
    """
    from arenavotes.ingest import ingest_file

    if source and len(files) > 1:
        raise UserError("--source names one file's source; give one file per call")
    mapping = _parse_map(maps)
    ws = _open(workspace, create=True)
    settings = ws.settings()
    key = ws.secret()
    with ws.connect() as con:
        for path in files:
            r = ingest_file(con, path, key=key, source=source, format_name=format_name, container=container,
                            mapping=mapping, replace=replace, settings=settings.ingest)
            why = ", ".join(f"{k} {v:,}" for k, v in sorted(r.quarantined.items()))
            verb = {"unchanged": "unchanged, skipped", "replaced": "replaced"}.get(r.status, "ingested")
            click.echo(f"{r.file}: {verb} as '{r.source}' ({r.format}): {r.rows_in:,} records -> "
                       f"{r.kept:,} battles, {r.quarantined_total:,} quarantined" + (f" ({why})" if why else ""))


def _parse_map(maps: Sequence[str]) -> dict[str, str]:
    out = {}
    for m in maps:
        field, sep, column = m.partition("=")
        if not sep or not field:
            raise UserError(f"--map {m}: expected FIELD=COLUMN", hint="e.g. --map model_a=left")
        out[field.strip()] = column.strip()
    return out


@cli.command()
@workspace_option
@click.argument("query", required=False)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--max-rows", type=int, default=40, show_default=True, help="Rows shown by --format table.")
def sql(workspace: Path, query: str | None, fmt: str, max_rows: int) -> None:
    """Run read-only SQL over the workspace; with no QUERY, open an interactive prompt.

    \b
    Tables: battles, conversations, quarantine, prompt_labels, runs, sources; view: prompts.
    Example: arenavotes sql -w myarena "select winner, count(*) from battles group by 1"
    """
    ws = Workspace.open(workspace)
    with ws.connect(read_only=True) as con:
        if query is not None:
            _run_sql(con, query, fmt, max_rows)
            return
        _interactive(con, fmt, max_rows)


def _run_sql(con: duckdb.DuckDBPyConnection, query: str, fmt: str, max_rows: int) -> None:
    try:
        rel = con.sql(query)
        if rel is None:
            return
        if fmt == "table":
            rel.show(max_rows=max_rows, max_width=200)
            return
        table = rel.arrow().read_all()
    except duckdb.Error as exc:
        raise UserError(f"SQL: {str(exc).strip().splitlines()[0]}",
                        hint="the workspace is read-only here; tables: battles, conversations, quarantine, "
                             "prompt_labels, runs, sources") from None
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
    else:
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, ensure_ascii=False, indent=1) + "\n")


def _interactive(con: duckdb.DuckDBPyConnection, fmt: str, max_rows: int) -> None:
    click.echo("arenavotes SQL (read-only). End statements with ';'. .tables lists tables, .quit leaves.",
               err=True)
    buffer: list[str] = []
    while True:
        try:
            line = input("sql> " if not buffer else "...> ")
        except EOFError:
            click.echo("", err=True)
            return
        stripped = line.strip()
        if not buffer and stripped in (".quit", ".exit", "\\q"):
            return
        if not buffer and stripped == ".tables":
            _run_sql(con, "SELECT table_name, table_type FROM information_schema.tables ORDER BY 1", fmt, max_rows)
            continue
        buffer.append(line)
        if stripped.endswith(";"):
            try:
                _run_sql(con, "\n".join(buffer), fmt, max_rows)
            except UserError as exc:
                click.echo(f"error: {exc}", err=True)
            buffer = []


@cli.command()
@workspace_option
def status(workspace: Path) -> None:
    """Summarise the workspace: sources, battles, models, quarantined rows by reason.

    Example: arenavotes status -w myarena
    """
    from arenavotes.summary import workspace_summary

    ws = Workspace.open(workspace)
    with ws.connect(read_only=True) as con:
        click.echo(workspace_summary(con))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI, turning user errors into one line and exit code 2."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="arenavotes", standalone_mode=False)
    except UserError as exc:
        click.echo(f"arenavotes: error: {exc}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
