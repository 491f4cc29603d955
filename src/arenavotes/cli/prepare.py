"""Commands that prepare the votes, each one stage call: ingest, scrub (and the release gate), dedup, categorize."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from arenavotes.cli.base import (
    cli,
    echo_result,
    open_workspace,
    sources_option,
    stacked,
    workspace_option,
)
from arenavotes.cli.readflags import read_flags, read_options_from
from arenavotes.config import PiiSettings
from arenavotes.errors import UserError
from arenavotes.stages.categorize import LABELER_CHOICES
from arenavotes.workspace import Workspace


@cli.command()
@workspace_option
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@read_flags
@click.option("--source", metavar="NAME", help="Source name (default: the file name); one file per source.")
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
    source: str | None,
    replace: bool,
    allow_same_file: bool,
    license_: str | None,
    license_url: str | None,
    citation: Path | None,
    description: str | None,
    **read: Any,
) -> None:
    """Read vote logs into canonical battles; rows that fail checks go to quarantine.

    \b
    Examples:
      arenavotes ingest -w myarena battles.parquet clean_battle_20240220.json
      arenavotes ingest -w myarena votes.csv --map model_a=left --map model_b=right --map winner=vote
      arenavotes ingest -w myarena sample.csv --map model_a=model_0 --map model_b=model_1 --winner-map 0=model_a,1=model_b
      arenavotes ingest -w myarena annotations.json --winner-from preference --tie-band 1.45:1.55 --arena text
    """
    from arenavotes.stages.ingest import IngestOptions, run_ingest

    options = IngestOptions(
        tuple(files),
        source=source,
        replace=replace,
        allow_same_file=allow_same_file,
        license=license_,
        license_url=license_url,
        citation=citation,
        description=description,
        read=read_options_from(read),
    )
    echo_result(run_ingest(open_workspace(workspace, create=True), options))


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
        echo_result(
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


#: --engine, --ray-address and --shards: the options of a stage that can run on Ray Data over parquet shards
#: (:mod:`arenavotes.raydata`)
ray_data_options = stacked(
    click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True),
    click.option("--ray-address", metavar="ADDR", help="Ray cluster address for --engine ray (default: a local Ray)."),
    click.option(
        "--shards",
        type=click.Path(path_type=Path, file_okay=False),
        metavar="DIR",
        help="Where --engine ray writes its parquet shards: a folder every Ray worker can read "
        "(default: WORKSPACE/shards).",
    ),
)


@cli.command()
@workspace_option
@sources_option()
@ray_data_options
def dedup(workspace: Path, sources: Sequence[str], engine: str, ray_address: str | None, shards: Path | None) -> None:
    """Flag repeated prompts, duplicate/fast/over-cap votes, identity leaks, anomalous voters and campaigns.

    Repeats are compared across every source of the workspace. Nothing is deleted: flags go to the
    flags table; 'arenavotes rate' leaves out the flags in
    [dedup] exclude (default: prompt_capped, duplicate_vote, identity_leak, anomalous_voter,
    campaign_voter). --engine ray computes the near-duplicate sketches on a Ray cluster (the same flags).

    \b
    Examples:
      arenavotes dedup -w myarena
      arenavotes dedup -w myarena --engine ray --ray-address ray://head:10001 --shards /shared/arenavotes
    """
    from arenavotes.stages.dedup import DedupOptions, run_dedup

    echo_result(run_dedup(Workspace.open(workspace), DedupOptions(tuple(sources), engine, ray_address, shards)))


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
@ray_data_options
def categorize(
    workspace: Path,
    sources: Sequence[str],
    labelers: Sequence[str],
    judge: bool,
    engine: str,
    ray_address: str | None,
    shards: Path | None,
) -> None:
    """Label prompts with categories offline (language, coding, multi_turn, long_query, math, ...).

    Writes prompt_labels rows with labeler 'offline/<name>@<version>'; 'arenavotes rate' then
    builds one leaderboard per category. Battles without text are skipped. --engine ray labels on a
    Ray cluster (the same labels; the judge runs here).

    \b
    Examples:
      arenavotes categorize -w myarena
      arenavotes categorize -w myarena --engine ray --ray-address ray://head:10001 --shards /shared/arenavotes
    """
    from arenavotes.stages.categorize import CategorizeOptions, run_categorize

    options = CategorizeOptions(tuple(sources), tuple(labelers), judge, engine, ray_address, shards)
    echo_result(run_categorize(Workspace.open(workspace), options))


@cli.command()
@workspace_option
@sources_option()
@ray_data_options
def embed(workspace: Path, sources: Sequence[str], engine: str, ray_address: str | None, shards: Path | None) -> None:
    """Encode every prompt into the workspace's embedding cache (offline encoder; optional: 'p2l' encodes
    what is missing itself). Each distinct text is encoded once; --engine ray spreads it over a Ray cluster.

    \b
    Examples:
      arenavotes embed -w myarena
      arenavotes embed -w myarena --engine ray --ray-address ray://head:10001 --shards /shared/arenavotes
    """
    from arenavotes.stages.embed import EmbedOptions, run_embed

    echo_result(
        run_embed(
            Workspace.open(workspace),
            EmbedOptions(tuple(sources), engine, ray_address, shards),
            echo=lambda s: click.echo(s, err=True),
        )
    )
