"""The ``arenavotes`` command: thin commands over the library, each with an example.

Every command takes ``-w/--workspace DIR`` (default: the current folder). A user mistake prints
one line (``arenavotes: error: ...``) and exits with code 2; no traceback.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from arenavotes import __version__, vocab
from arenavotes.config import PiiSettings
from arenavotes.errors import UserError
from arenavotes.stages.base import StageResult
from arenavotes.stages.categorize import LABELER_CHOICES
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


def _echo(result: StageResult) -> None:
    """Print a stage's summary lines."""
    for line in result.lines:
        click.echo(line)


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
@click.option(
    "--container",
    type=click.Choice(["json-lines", "json-array", "csv", "parquet"]),
    help="How records are stored, if the file's start and suffix are misleading.",
)
@click.option("--source", metavar="NAME", help="Source name (default: the file name); one file per source.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Where a canonical field lives, e.g. --map model_a=left (nested: a.b). Repeatable.",
)
@click.option("--replace", is_flag=True, help="Replace a source that holds a different version of the file.")
@click.option(
    "--allow-same-file",
    is_flag=True,
    help="Ingest a file that another source already holds (its votes would count twice if both are rated together).",
)
@click.option(
    "--license", "license_", metavar="ID", help="The source's licence for dataset cards (e.g. cc-by-4.0, mit)."
)
@click.option("--license-url", metavar="URL", help="Where the source's licence text is.")
@click.option(
    "--citation",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    metavar="FILE.bib",
    help="BibTeX to cite the source (shown on dataset cards).",
)
@click.option("--description", metavar="TEXT", help="One line on what the votes are, e.g. 'text-to-image arena votes'.")
def ingest(
    workspace: Path,
    files: Sequence[Path],
    format_name: str | None,
    container: str | None,
    source: str | None,
    maps: Sequence[str],
    replace: bool,
    allow_same_file: bool,
    license_: str | None,
    license_url: str | None,
    citation: Path | None,
    description: str | None,
) -> None:
    """Read vote logs into canonical battles; rows that fail checks go to quarantine.

    \b
    Examples:
      arenavotes ingest -w myarena battles.parquet clean_battle_20240220.json
      arenavotes ingest -w myarena votes.csv --map model_a=left --map model_b=right --map winner=vote
    """
    from arenavotes.stages.ingest import IngestOptions, parse_map, run_ingest

    options = IngestOptions(
        tuple(files),
        format_name,
        container,
        source,
        parse_map(maps),
        replace,
        allow_same_file,
        license_,
        license_url,
        citation,
        description,
    )
    _echo(run_ingest(_open(workspace, create=True), options))


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
@sources_option("These sources (repeatable; needed when the workspace holds several, or --all-sources).")
@click.option("--all-sources", is_flag=True, help="Rate every source together.")
@click.option(
    "--scope",
    "--name",
    "name",
    metavar="NAME",
    help="Name of this set of leaderboards, its scope (default: sources and filters; --name: old spelling).",
)
@click.option("--anony-only", is_flag=True, help="Only votes cast while the models were hidden (FastChat's default).")
@click.option("--since", metavar="DATE", help="Only battles at or after DATE (UTC), e.g. 2024-05-01.")
@click.option("--until", metavar="DATE", help="Only battles before DATE (UTC).")
@click.option("--ties", type=click.Choice(vocab.TIE_POLICIES), help="Tie policy.")
@click.option("--bothbad", type=click.Choice(vocab.BOTHBAD_POLICIES), help="Both-bad votes: a tie, or dropped.")
@click.option("--ci", type=click.Choice(vocab.CI_METHODS), help="Interval method.")
@click.option("--rounds", type=int, help="Bootstrap rounds (default 1000).")
@click.option(
    "--cluster-by",
    metavar="[" + "|".join(vocab.CLUSTER_UNITS) + "]",
    callback=lambda _c, _p, v: _unit(v),
    help="Clusters for --ci cluster.",
)
@click.option("--alpha", type=float, help="1 - confidence level (default 0.05).")
@click.option("--simultaneous", is_flag=True, help="Simultaneous intervals (Bonferroni / bootstrap max-t).")
@click.option("--anchor", metavar="MODEL=RATING", help="Pin one model's rating instead of mean 1000.")
@click.option("--reg", type=float, default=0.0, show_default=True, help="L2 ridge on strengths (0 = exact MLE).")
@click.option("--compat", type=click.Choice(vocab.COMPAT_MODES), help="Reproduce another tool's numbers.")
@click.option("--category", "categories", multiple=True, metavar="NAME", help="Only these categories (repeatable).")
@click.option("--no-categories", is_flag=True, help="Only the overall leaderboard.")
@click.option("--min-battles", type=int, help="Models with fewer battles are provisional (default 300).")
@click.option(
    "--style/--no-style",
    default=True,
    show_default=True,
    help="Fit style-control coefficients where answer texts exist.",
)
@click.option("--seed", type=int, help="Random seed for bootstrap rounds (default 0).")
@click.option(
    "--workers", type=int, default=0, help="Bootstrap processes (0 = all cores); results do not depend on it."
)
@exclude_option
def rate(
    workspace: Path,
    sources: Sequence[str],
    all_sources: bool,
    name: str | None,
    anony_only: bool,
    since: str | None,
    until: str | None,
    ties: str | None,
    bothbad: str | None,
    ci: str | None,
    rounds: int | None,
    cluster_by: str | None,
    alpha: float | None,
    simultaneous: bool,
    anchor: str | None,
    reg: float,
    compat: str | None,
    categories: Sequence[str],
    no_categories: bool,
    min_battles: int | None,
    style: bool,
    seed: int | None,
    workers: int,
    exclude_flags: str | None,
) -> None:
    """Fit Bradley-Terry leaderboards (overall and per category) into the leaderboards table.

    \b
    Examples:
      arenavotes rate -w myarena --source lmarena-140k
      arenavotes rate -w myarena --source genai-arena --anony-only --compat fastchat-2024
      arenavotes rate -w myarena --source arena-2023 --ci cluster --cluster-by voter --rounds 200
    """
    from arenavotes.stages.rate import RateOptions, run_rate

    _echo(
        run_rate(
            Workspace.open(workspace),
            RateOptions(
                tuple(sources),
                all_sources,
                name,
                anony_only,
                since,
                until,
                ties,
                bothbad,
                ci,
                rounds,
                cluster_by,
                alpha,
                simultaneous,
                anchor,
                reg,
                compat,
                tuple(categories),
                no_categories,
                min_battles,
                style,
                seed,
                workers,
                exclude_flags,
            ),
        )
    )


def _unit(value: str | None) -> str | None:
    """``--cluster-by``: a cluster unit, or its old name (``judge`` for ``voter``)."""
    if value is None:
        return None
    unit = vocab.cluster_unit(value)
    if unit not in vocab.CLUSTER_UNITS:
        raise click.BadParameter(f"'{value}' is not {vocab.one_of(vocab.CLUSTER_UNITS)}")
    return unit


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
def dedup(workspace: Path, sources: Sequence[str]) -> None:
    """Flag repeated prompts, duplicate/fast/over-cap votes, identity leaks and anomalous voters.

    Nothing is deleted: flags go to the flags table; 'arenavotes rate' leaves out the flags in
    [dedup] exclude (default: prompt_capped, duplicate_vote, identity_leak, anomalous_voter).

    Example: arenavotes dedup -w myarena
    """
    from arenavotes.stages.dedup import DedupOptions, run_dedup

    _echo(run_dedup(Workspace.open(workspace), DedupOptions(tuple(sources))))


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
    "--labeler", "labelers", multiple=True, type=click.Choice(LABELER_CHOICES), help="Only these labelers (repeatable)."
)
@click.option(
    "--judge",
    is_flag=True,
    help="Also ask the LLM judge of [categories] judge_url/judge_model (responses are cached in the workspace).",
)
def categorize(workspace: Path, sources: Sequence[str], labelers: Sequence[str], judge: bool) -> None:
    """Label prompts with categories offline (language, coding, multi_turn, long_query, math, ...).

    Writes prompt_labels rows with labeler 'offline/<name>@<version>'; 'arenavotes rate' then
    builds one leaderboard per category. Battles without text are skipped.

    Example: arenavotes categorize -w myarena
    """
    from arenavotes.stages.categorize import CategorizeOptions, run_categorize

    _echo(run_categorize(Workspace.open(workspace), CategorizeOptions(tuple(sources), tuple(labelers), judge)))


@cli.command()
@workspace_option
@click.option(
    "--check",
    "check",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Release gate: scan these files/folders (parquet, JSON, Markdown, ...); exit 2 on any finding.",
)
@sources_option()
@click.option("--keep-raw", is_flag=True, help="Keep the original texts in conversations_raw (never released).")
@click.option("--rescan", is_flag=True, help="Scan battles that were scrubbed before, too.")
@click.option("--no-ner", is_flag=True, help="Pattern recognizers only (no names or places).")
@click.option("--workers", type=int, help="Worker processes (default: all cores); output does not depend on it.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--ray-address", metavar="ADDR", help="Ray cluster address for --engine ray (default: local).")
def scrub(
    workspace: Path,
    check: Sequence[Path],
    sources: Sequence[str],
    keep_raw: bool,
    rescan: bool,
    no_ner: bool,
    workers: int | None,
    engine: str,
    ray_address: str | None,
) -> None:
    """Replace PII in prompts and answers with typed placeholders; or, with --check, gate release files.

    \b
    Examples:
      arenavotes scrub -w myarena
      arenavotes scrub --check myarena/releases/v1
    """
    from arenavotes.stages.scrub import ScrubOptions, check_files, run_scrub

    if check:
        settings = Workspace.open(workspace).settings().pii if (workspace / "arenavotes.toml").exists() else None
        _gate_report(
            check,
            check_files(check, settings, no_ner=no_ner, workers=workers),
            (settings or PiiSettings()).gate_threshold,
        )
        return
    bar = _Progress("distinct texts")
    try:
        _echo(
            run_scrub(
                Workspace.open(workspace),
                ScrubOptions(tuple(sources), keep_raw, rescan, no_ner, workers, engine, ray_address),
                progress=bar.update,
            )
        )
    finally:
        bar.close()


class _Progress:
    """A progress bar on stderr for long runs in a terminal (from 2,000 items); silent otherwise."""

    def __init__(self, unit: str) -> None:
        self.unit, self.bar = unit, None
        self.live = sys.stderr.isatty()

    def update(self, done: int, total: int) -> None:
        if self.bar is None and self.live and total >= 2000:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=" " + self.unit, file=sys.stderr)
        if self.bar is not None:
            self.bar.update(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _gate_report(paths: Sequence[Path], hits: Sequence[Any], threshold: float) -> None:
    """Print the release gate's findings (at most 200); a finding is a user error (exit code 2)."""
    if not hits:
        click.echo(f"PII gate passed: no finding at score >= {threshold} in {', '.join(map(str, paths))}")
        return
    for h in hits[:200]:
        click.echo(f"{h.file}: {h.location}: {h.column or '-'}: {h.entity} ({h.recognizer}, score {h.score:.2f})")
    if len(hits) > 200:
        click.echo(f"... and {len(hits) - 200} more")
    raise UserError(
        f"PII gate failed: {len(hits)} finding(s) in {len({h.file for h in hits})} file(s)",
        hint="scrub the workspace ('arenavotes scrub') and rebuild the files",
    )


@cli.command()
@workspace_option
@click.argument("version")
@click.option("--parent", metavar="VERSION", help="The release this one follows (for CHANGELOG.md).")
@sources_option()
@exclude_option
@click.option(
    "--license",
    "license_",
    metavar="ID",
    help="Licence of the release (default: the sources' licence when "
    "they share one, else 'other' with LICENSES.md listing each; see ingest --license).",
)
@click.option(
    "--allow-missing",
    metavar="STAGES",
    help="Release sources that have not been through these stages (comma-separated: scrub, dedup); the card says so.",
)
@click.option(
    "--pretty-name",
    "pretty_name",
    default="Arena votes",
    show_default=True,
    help="The dataset's display name (the card's pretty_name).",
)
@click.option(
    "--date",
    metavar="YYYY-MM-DD",
    help="Release date (default: the day of the newest battle, when every "
    "released battle has a timestamp; otherwise required).",
)
@click.option(
    "--report",
    "report_name",
    metavar="MONTH|DIR",
    help="Ship a report (reports/MONTH of the workspace, "
    "or a folder) in reports/ and as a section of the dataset card.",
)
def release(
    workspace: Path,
    version: str,
    parent: str | None,
    sources: Sequence[str],
    exclude_flags: str | None,
    license_: str | None,
    allow_missing: str | None,
    pretty_name: str,
    date: str | None,
    report_name: str | None,
) -> None:
    """Build releases/VERSION: parquet per config, dataset card, manifest, changelog; PII-gated.

    \b
    Examples:
      arenavotes release -w myarena v1
      arenavotes release -w myarena v2 --parent v1 --source lmarena-140k --report 2024-07
    """
    from arenavotes.stages.release import ReleaseOptions, run_release

    _echo(
        run_release(
            Workspace.open(workspace),
            ReleaseOptions(
                version, parent, tuple(sources), exclude_flags, license_, allow_missing, pretty_name, date, report_name
            ),
            step=lambda what: click.echo(f"  {what}", err=True),
        )
    )


@cli.command()
@workspace_option
@click.argument("version")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="hf://datasets/ORG/NAME | DIR",
    help="A Hugging Face dataset repo, or a local folder kept as a git repository (one commit and tag per version).",
)
@click.option("--dry-run", is_flag=True, help="Print the exact operations without doing them.")
def publish(workspace: Path, version: str, target: str, dry_run: bool) -> None:
    """Publish releases/VERSION to the Hugging Face Hub (token: $HF_TOKEN) or to a local hub folder.

    \b
    Examples:
      arenavotes publish -w myarena v1 --to hf://datasets/my-org/arena-votes --dry-run
      arenavotes publish -w myarena v1 --to ./hub/arena-votes
    """
    from arenavotes.stages.publish import PublishOptions, run_publish

    run_publish(Workspace.open(workspace), PublishOptions(version, target, dry_run), echo=click.echo)


@cli.command()
@workspace_option
@click.argument("month", required=False)
@click.option("--compare", metavar="YYYY-MM", help="Compare with another month (rank changes, Kendall's tau).")
@sources_option("These sources (repeatable; needed when the workspace holds several, or --all-sources).")
@click.option("--all-sources", is_flag=True, help="Report on every source together.")
@exclude_option
@click.option(
    "--out", type=click.Path(path_type=Path), help="Folder to write (default: WORKSPACE/reports/MONTH or /all)."
)
def report(
    workspace: Path,
    month: str | None,
    compare: str | None,
    sources: Sequence[str],
    all_sources: bool,
    exclude_flags: str | None,
    out: Path | None,
) -> None:
    """Write reports/MONTH/: tables, figures (PNG, SVG), report.md and a self-contained report.html.

    Without MONTH (or for sources without timestamps) the report covers all battles.

    \b
    Examples:
      arenavotes report -w myarena 2023-07 --compare 2023-06 --source arena-2023
      arenavotes report -w myarena --source lmarena-140k --out site/lmarena
    """
    from arenavotes.stages.report import ReportOptions, run_report

    t0 = time.perf_counter()
    _echo(
        run_report(
            Workspace.open(workspace),
            ReportOptions(month, compare, tuple(sources), all_sources, exclude_flags, out),
            step=lambda what: click.echo(f"  [{time.perf_counter() - t0:5.1f} s] {what}", err=True),
        )
    )


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


INTERNAL_ERROR = 3


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI, turning user errors into one line and exit code 2.

    Anything else is a bug of ours: it is also printed as one line (exit code 3) naming where it happened,
    and ``ARENAVOTES_DEBUG=1`` shows the traceback. The test suite treats exit code 3 as a failure.
    """
    import os

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
    except Exception as exc:
        if os.environ.get("ARENAVOTES_DEBUG"):
            raise
        import traceback

        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        click.echo(
            f"arenavotes: internal error: {type(exc).__name__}: {message} (at {where}); this is a bug in "
            "arenavotes, please report it (ARENAVOTES_DEBUG=1 shows the traceback)",
            err=True,
        )
        return INTERNAL_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
