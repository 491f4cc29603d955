"""Commands that produce results, each one stage call: rate, report, release, publish."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import click

from arenavotes import vocab
from arenavotes.cli.base import (
    arena_options,
    cli,
    echo_result,
    exclude_option,
    sources_option,
    workspace_option,
)
from arenavotes.workspace import Workspace


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
@arena_options
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
    arena: str | None,
    mix_arenas: bool,
) -> None:
    """Fit Bradley-Terry leaderboards (overall and per category) into the leaderboards table.

    \b
    Examples:
      arenavotes rate -w myarena --source lmarena-140k
      arenavotes rate -w myarena --source genai-arena --anony-only --compat fastchat-2024
      arenavotes rate -w myarena --source arena-2023 --ci cluster --cluster-by voter --rounds 200
      arenavotes rate -w myarena --source genai-arena --arena text-to-image
    """
    from arenavotes.stages.rate import RateOptions, run_rate

    echo_result(
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
                arena=arena,
                mix_arenas=mix_arenas,
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
@click.argument("month", required=False)
@click.option("--compare", metavar="YYYY-MM", help="Compare with another month (rank changes, Kendall's tau).")
@sources_option("These sources (repeatable; needed when the workspace holds several, or --all-sources).")
@click.option("--all-sources", is_flag=True, help="Report on every source together.")
@exclude_option
@arena_options
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
    arena: str | None,
    mix_arenas: bool,
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
    echo_result(
        run_report(
            Workspace.open(workspace),
            ReportOptions(month, compare, tuple(sources), all_sources, exclude_flags, out, arena, mix_arenas),
            step=lambda what: click.echo(f"  [{time.perf_counter() - t0:5.1f} s] {what}", err=True),
        )
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
@click.option(
    "--include-images",
    "include_images",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    metavar="APPROVED.txt",
    help="Ship the images listed in this reviewed list (written by 'arenavotes images --review DIR'); default: none.",
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
    include_images: Path | None,
) -> None:
    """Build releases/VERSION: parquet per config, dataset card, manifest, changelog; PII-gated.

    \b
    Examples:
      arenavotes release -w myarena v1
      arenavotes release -w myarena v2 --parent v1 --source lmarena-140k --report 2024-07
    """
    from arenavotes.stages.release import ReleaseOptions, run_release

    echo_result(
        run_release(
            Workspace.open(workspace),
            ReleaseOptions(
                version,
                parent,
                tuple(sources),
                exclude_flags,
                license_,
                allow_missing,
                pretty_name,
                date,
                report_name,
                include_images,
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
