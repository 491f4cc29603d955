"""The ``arenavotes`` command: thin commands over the library, each with an example.

Every command takes ``-w/--workspace DIR`` (default: the current folder). A user mistake prints
one line (``arenavotes: error: ...``) and exits with code 2; no traceback.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import duckdb
import polars as pl

from arenavotes import __version__, vocab
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
@click.option("--allow-same-file", is_flag=True, help="Ingest a file that another source already holds (its votes "
              "would count twice if both are rated together).")
@click.option("--license", "license_", metavar="ID", help="The source's licence for dataset cards (e.g. cc-by-4.0, mit).")
@click.option("--license-url", metavar="URL", help="Where the source's licence text is.")
@click.option("--citation", type=click.Path(path_type=Path, exists=True, dir_okay=False), metavar="FILE.bib",
              help="BibTeX to cite the source (shown on dataset cards).")
@click.option("--description", metavar="TEXT", help="One line on what the votes are, e.g. 'text-to-image arena votes'.")
def ingest(workspace: Path, files: Sequence[Path], format_name: str | None, container: str | None,
           source: str | None, maps: Sequence[str], replace: bool, allow_same_file: bool, license_: str | None,
           license_url: str | None, citation: Path | None, description: str | None) -> None:
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
                            mapping=mapping, replace=replace, settings=settings.ingest, allow_same_file=allow_same_file)
            why = ", ".join(f"{k} {v:,}" for k, v in sorted(r.quarantined.items()))
            verb = {"unchanged": "unchanged, skipped", "replaced": "replaced"}.get(r.status, "ingested")
            click.echo(f"{r.file}: {verb} as '{r.source}' ({r.format}): {r.rows_in:,} records -> "
                       f"{r.kept:,} battles, {r.quarantined_total:,} quarantined" + (f" ({why})" if why else ""))
            if license_ or license_url or citation or description:
                from arenavotes.provenance import set_source_meta

                set_source_meta(con, r.source, license=license_, license_url=license_url, description=description,
                                citation=citation.read_text(encoding="utf-8") if citation else None)


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
@click.option("--release", metavar="VERSION|DIR", help="Query a release (its parquet files) instead of the workspace.")
@click.option("--recipe", metavar="NAME", help="Run a shipped recipe (see --recipes) instead of QUERY.")
@click.option("--recipes", "list_recipes", is_flag=True, help="List the shipped SQL recipes.")
@click.option("--allow-read", "allow_read", multiple=True, type=click.Path(path_type=Path), metavar="PATH",
              help="Also let the SQL read this file or folder (never the workspace secret or database).")
def sql(workspace: Path, query: str | None, fmt: str, max_rows: int, release: str | None, recipe: str | None,
        list_recipes: bool, allow_read: Sequence[Path]) -> None:
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

    if list_recipes:
        for name, what in sorted(rsql.recipes().items()):
            click.echo(f"{name:18s} {what}")
        return
    if recipe:
        query = rsql.recipe(recipe)
    if release:
        from arenavotes.releases.build import release_dir

        path = Path(release) if Path(release).is_dir() else release_dir(workspace) / release
        ours = (workspace / "arenavotes.toml").exists() and path.resolve().parent == release_dir(workspace).resolve()
        key = Workspace.open(workspace).secret() if ours else None   # a foreign release: its own manifest only
        con = sqlsafe.open_release(path, key=key, workspace=workspace, allow_read=allow_read)
        with con:
            if query is not None:
                _run_sql(con, query, fmt, max_rows)
            else:
                _interactive(con, fmt, max_rows)
        return
    ws = Workspace.open(workspace)
    with sqlsafe.open_workspace(ws.path, allow_read=allow_read) as con:
        if query is not None:
            _run_sql(con, query, fmt, max_rows)
            return
        _interactive(con, fmt, max_rows)


def _run_sql(con: duckdb.DuckDBPyConnection, query: str, fmt: str, max_rows: int) -> None:
    from arenavotes.sqlsafe import run_query

    try:
        rel = run_query(con, query)
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
        sys.stdout.write(json.dumps(frame.to_dicts(), default=_jsonable, ensure_ascii=False, indent=1) + "\n")


def _jsonable(value: object) -> object:
    """JSON for what DuckDB returns beyond JSON's types: big integers and decimals as numbers, times as ISO."""
    import decimal

    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


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
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Rate these sources (repeatable).")
@click.option("--all-sources", is_flag=True, help="Rate every source together.")
@click.option("--scope", "--name", "name", metavar="NAME",
              help="Name of this set of leaderboards, its scope (default: sources and filters; --name: old spelling).")
@click.option("--anony-only", is_flag=True, help="Only votes cast while the models were hidden (FastChat's default).")
@click.option("--since", metavar="DATE", help="Only battles at or after DATE (UTC), e.g. 2024-05-01.")
@click.option("--until", metavar="DATE", help="Only battles before DATE (UTC).")
@click.option("--ties", type=click.Choice(vocab.TIE_POLICIES), help="Tie policy.")
@click.option("--bothbad", type=click.Choice(vocab.BOTHBAD_POLICIES), help="Both-bad votes: a tie, or dropped.")
@click.option("--ci", type=click.Choice(vocab.CI_METHODS), help="Interval method.")
@click.option("--rounds", type=int, help="Bootstrap rounds (default 1000).")
@click.option("--cluster-by", metavar="[" + "|".join(vocab.CLUSTER_UNITS) + "]", callback=lambda _c, _p, v: _unit(v),
              help="Clusters for --ci cluster.")
@click.option("--alpha", type=float, help="1 - confidence level (default 0.05).")
@click.option("--simultaneous", is_flag=True, help="Simultaneous intervals (Bonferroni / bootstrap max-t).")
@click.option("--anchor", metavar="MODEL=RATING", help="Pin one model's rating instead of mean 1000.")
@click.option("--reg", type=float, default=0.0, show_default=True, help="L2 ridge on strengths (0 = exact MLE).")
@click.option("--compat", type=click.Choice(vocab.COMPAT_MODES),
              help="Reproduce another tool's numbers.")
@click.option("--category", "categories", multiple=True, metavar="NAME", help="Only these categories (repeatable).")
@click.option("--no-categories", is_flag=True, help="Only the overall leaderboard.")
@click.option("--min-battles", type=int, help="Models with fewer battles are provisional (default 300).")
@click.option("--style/--no-style", default=True, show_default=True, help="Fit style-control coefficients "
              "where answer texts exist.")
@click.option("--seed", type=int, help="Random seed for bootstrap rounds (default 0).")
@click.option("--workers", type=int, default=0, help="Bootstrap processes (0 = all cores); results do not depend on it.")
@click.option("--exclude-flags", metavar="FLAGS", help="Comma-separated flags to leave out ('none' to keep all; "
              "default: [dedup] exclude = prompt_capped,duplicate_vote,identity_leak,anomalous_voter).")
def rate(workspace: Path, sources: Sequence[str], all_sources: bool, name: str | None, anony_only: bool,
         since: str | None, until: str | None, ties: str | None, bothbad: str | None, ci: str | None,
         rounds: int | None, cluster_by: str | None, alpha: float | None, simultaneous: bool, anchor: str | None,
         reg: float, compat: str | None, categories: Sequence[str], no_categories: bool, min_battles: int | None,
         style: bool, seed: int | None, workers: int, exclude_flags: str | None) -> None:
    """Fit Bradley-Terry leaderboards (overall and per category) into the leaderboards table.

    \b
    Examples:
      arenavotes rate -w myarena --source lmarena-140k
      arenavotes rate -w myarena --source genai-arena --anony-only --compat fastchat-2024
      arenavotes rate -w myarena --source arena-2023 --ci cluster --cluster-by voter --rounds 200
    """
    from arenavotes import provenance
    from arenavotes.ratings import leaderboard as lb
    from arenavotes.ratings.core import RatingParams
    from arenavotes.runs import new_run_id, record_run, utcnow
    from arenavotes.sources import resolve_sources

    ws = Workspace.open(workspace)
    st = ws.settings().ratings
    anchor_model, anchor_rating = None, 1000.0
    if anchor:
        anchor_model, sep, value = anchor.rpartition("=")
        try:
            anchor_rating = float(value)
        except ValueError:
            anchor_model = ""
        if not sep or not anchor_model:
            raise UserError(f"--anchor {anchor}: expected MODEL=RATING", hint="e.g. --anchor gpt-4-0613=1200")
    params = RatingParams.from_settings(
        st, ties=ties, bothbad=bothbad, ci=ci, rounds=rounds, cluster_by=cluster_by, alpha=alpha,
        simultaneous=simultaneous, anchor=anchor_model, anchor_rating=anchor_rating, reg=reg, seed=seed,
        workers=workers, compat=compat)
    exclude = _exclusion_policy(exclude_flags, ws.settings().dedup.exclude)
    started = utcnow()
    with ws.connect() as con:
        chosen = resolve_sources(con, sources, all_sources)
        scope = name or lb.scope_name(chosen, anony_only, since, until)
        excluded = lb.excluded_counts(con, chosen, exclude)
        battles = lb.load_battles(con, chosen, anony_only=anony_only, since=since, until=until,
                                  with_prompt_key=params.ci == "cluster" and params.cluster_by == "prompt",
                                  exclude_flags=exclude)
        if battles.height == 0:
            raise UserError("no battles match the selection", hint="check --source, --since/--until, --anony-only")
        labels = lb.load_labels(con, chosen) if not no_categories else pl.DataFrame(schema=lb.LABEL_SCHEMA)
        out = lb.build(battles, labels, params, min_battles=st.min_battles if min_battles is None else min_battles,
                       min_category_battles=st.min_category_battles, categories=categories or None,
                       style=style, style_reg=st.style_reg)
        run_id = new_run_id()
        n_excluded = lb.excluded_total(con, chosen, exclude)
        lb.write(con, scope, out, run_id, excluded=n_excluded)
        provenance.record(con, chosen, "rate", run_id, params.digest())
        n_boards = out.boards.select("labeler", "category").unique().height
        record_run(con, run_id, "rate", params.digest(), started=started, target=scope,
                   rows_in=battles.height, rows_out=out.boards.height,
                   counts={"leaderboards": n_boards, "skipped": out.skipped, "params": json.loads(params.to_json()),
                           "excluded_flags": list(exclude), "excluded_by_flag": excluded,
                           "excluded_battles": n_excluded, "sources": list(chosen)})
    overall = out.boards.filter(pl.col("category") == "overall")
    click.echo(f"rated '{scope}': {battles.height:,} battles, {overall.height} models, {n_boards} leaderboards "
               f"({lb.params_summary(params)})")
    n_groups = overall["component"].n_unique()
    if n_groups > 1 or any(k.startswith("overall, group") for k in out.skipped):
        sizes = overall.group_by("component").agg(pl.len(), (pl.col("battles").sum() // 2).alias("b")).sort("component")
        click.echo("  the models split into groups that never met, directly or through others; each group is rated "
                   "on its own and ratings compare only within a group: " + "; ".join(
                       f"group {g}: {n} models, {b:,} battles" for g, n, b in sizes.iter_rows()))
    if excluded:
        click.echo(f"  left out {n_excluded:,} flagged battles (" + ", ".join(f"{f} {n:,}" for f, n in excluded.items())
                   + "); --exclude-flags none keeps them")
    for cat, why in sorted(out.skipped.items()):
        click.echo(f"  no leaderboard for {cat}: {why}")
    if out.style.height:
        s = out.style.filter(pl.col("category") == "overall")
        if s.height:
            click.echo("  style coefficients (overall, logit per sd): " + ", ".join(
                f"{f} {c:+.3f} [{lo:+.3f}, {hi:+.3f}]" for f, c, lo, hi in s.select(
                    "feature", "coef", "ci_lower", "ci_upper").rows()))


def _unit(value: str | None) -> str | None:
    """``--cluster-by``: a cluster unit, or its old name (``judge`` for ``voter``)."""
    if value is None:
        return None
    unit = vocab.cluster_unit(value)
    if unit not in vocab.CLUSTER_UNITS:
        raise click.BadParameter(f"'{value}' is not {vocab.one_of(vocab.CLUSTER_UNITS)}")
    return unit


def _exclusion_policy(option: str | None, default: Sequence[str]) -> tuple[str, ...]:
    from arenavotes.vocab import ALL_FLAGS

    if option is None:
        return tuple(default)
    if option.strip().lower() == "none":
        return ()
    chosen = tuple(f.strip() for f in option.split(",") if f.strip())
    unknown = [f for f in chosen if f not in ALL_FLAGS]
    if unknown:
        raise UserError(f"--exclude-flags: unknown flag '{unknown[0]}'", hint=f"flags: {', '.join(ALL_FLAGS)}")
    return chosen


@cli.command()
@workspace_option
@click.option("--scope", "--name", "name", metavar="NAME",
              help="Which set of leaderboards: the scope given to 'arenavotes rate' (--name: old spelling).")
@click.option("--category", default="overall", show_default=True, help="Category, e.g. math, hard_prompt.")
@click.option("--labeler", help="Labeler of the category (e.g. source:lmarena-140k), when several have it.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--limit", type=int, default=0, help="Show the top N (0 = all).")
def leaderboard(workspace: Path, name: str | None, category: str, labeler: str | None, fmt: str, limit: int) -> None:
    """Print a leaderboard written by 'arenavotes rate'.

    \b
    Examples:
      arenavotes leaderboard -w myarena
      arenavotes leaderboard -w myarena --category math --format csv
    """
    from arenavotes.ratings.leaderboard import read_board

    ws = Workspace.open(workspace)
    with ws.connect(read_only=True) as con:
        scope, frame = read_board(con, name, category, labeler)
    if limit:
        frame = frame.head(limit)
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
        return
    if fmt == "json":
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, indent=1) + "\n")
        return
    click.echo(f"{scope} - {category}" + (f" [{labeler}]" if labeler else ""))
    click.echo(_render_board(frame))


def _render_board(frame: pl.DataFrame) -> str:
    """The board ordered by rating, with both ranks: by rating, and LMArena's (1 + models clearly better);
    one section per group of models when the comparison graph splits."""
    from arenavotes.display import text_table

    parts = []
    groups = frame["component"].unique().sort().to_list()
    for g in groups:
        rows = []
        for r in frame.filter(pl.col("component") == g).sort(["rating", "model"], descending=[True, False]).iter_rows(
                named=True):
            ci = (f"{r['ci_lower'] - r['rating']:+.1f}/{r['ci_upper'] - r['rating']:+.1f}"
                  if r["ci_lower"] is not None else "")
            rows.append((r["rank"], r["rank_ub"], r["model"] + (" *" if r["provisional"] else ""), f"{r['rating']:.1f}",
                         ci, f"{int(r['rank_q025'])}-{int(r['rank_q975'])}" if r["rank_q025"] is not None else "",
                         int(r["battles"])))
        if len(groups) > 1:
            parts.append(f"group {g}" + (" (not comparable with the groups above)" if g != groups[0] else ""))
        parts.append(text_table(rows, ("rank", "rank_ub", "model", "rating", "95% CI", "rank range", "battles")))
    text = "\n".join(parts)
    text += "\nrank: by rating; rank_ub: 1 + the models whose interval lies wholly above (LMArena's rank)"
    if frame["provisional"].any():
        text += "\n* provisional: fewer battles than the minimum"
    return text


@cli.command()
@workspace_option
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only these sources (default: all).")
def dedup(workspace: Path, sources: Sequence[str]) -> None:
    """Flag repeated prompts, duplicate/fast/over-cap votes, identity leaks and anomalous voters.

    Nothing is deleted: flags go to the flags table; 'arenavotes rate' leaves out the flags in
    [dedup] exclude (default: prompt_capped, duplicate_vote, identity_leak, anomalous_voter).

    Example: arenavotes dedup -w myarena
    """
    from arenavotes import provenance
    from arenavotes.dedup import detect
    from arenavotes.dedup.store import flag_counts, load_source, replace_flags
    from arenavotes.runs import new_run_id, record_run, utcnow
    from arenavotes.sources import resolve_sources

    ws = Workspace.open(workspace)
    settings = ws.settings().dedup
    with ws.connect() as con:
        chosen = resolve_sources(con, sources, all_sources=not sources)
        for source in chosen:
            started = utcnow()
            battles, texts, answers = load_source(con, source)
            result = detect(battles, texts, answers, settings)
            run_id = new_run_id()
            replace_flags(con, source, result.flags, run_id)
            provenance.record(con, [source], "dedup", run_id, ws.settings().section_hash("dedup"))
            flagged = result.flags["battle_id"].n_unique()
            record_run(con, run_id, "dedup", ws.settings().section_hash("dedup"), started=started, target=source,
                       rows_in=battles.height, rows_out=flagged, counts=result.stats)
            skipped = [] if result.stats["voter_checks"] else ["no voter ids: voter checks skipped"]
            if result.stats["voter_checks"] and not result.stats["time_checks"]:
                skipped.append("no timestamps: duplicate/fast/daily checks skipped")
            if not result.stats["battles_with_prompt"]:
                skipped.append("no prompt texts: prompt checks skipped")
            click.echo(f"{source}: {battles.height:,} battles, {flagged:,} flagged"
                       + (f" ({'; '.join(skipped)})" if skipped else ""))
        counts = flag_counts(con, chosen, settings.exclude)
    if counts.height:
        click.echo(_render_flags(counts))


def _judge(ws: Workspace, con: duckdb.DuckDBPyConnection) -> Any:
    import os

    from arenavotes.categories.judge import Judge
    from arenavotes.categories.store import DuckDBCache

    st = ws.settings().categories
    if not st.judge_url or not st.judge_model:
        raise UserError("--judge needs an endpoint", hint="set [categories] judge_url and judge_model in arenavotes.toml")
    return Judge(st.judge_url, st.judge_model, os.environ.get(st.judge_key_env), DuckDBCache(con),
                 workers=st.judge_workers)


def _render_flags(counts: pl.DataFrame) -> str:
    from arenavotes.display import text_table

    rows = [(s, f, d, int(n), "excluded" if x else "kept") for s, f, d, n, x in counts.iter_rows()]
    return text_table(rows, ("source", "flag", "detector", "battles", "in ratings"))


@cli.command()
@workspace_option
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only these sources.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def flags(workspace: Path, sources: Sequence[str], fmt: str) -> None:
    """Count flagged battles by source, flag and detector.

    Example: arenavotes flags -w myarena --format csv
    """
    from arenavotes.dedup.store import flag_counts

    ws = Workspace.open(workspace)
    with ws.connect(read_only=True) as con:
        counts = flag_counts(con, sources or None, ws.settings().dedup.exclude)
    if fmt == "csv":
        sys.stdout.write(counts.write_csv())
    elif fmt == "json":
        sys.stdout.write(json.dumps(counts.to_dicts(), indent=1) + "\n")
    elif counts.height:
        click.echo(_render_flags(counts))
    else:
        click.echo("no flags: run 'arenavotes dedup'")


@cli.command()
@workspace_option
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only these sources (default: all).")
@click.option("--labeler", "labelers", multiple=True,
              type=click.Choice(["language", "multi_turn", "long_query", "code_present", "coding", "refusal",
                                 "rules"]), help="Only these labelers (repeatable).")
@click.option("--judge", is_flag=True, help="Also ask the LLM judge of [categories] judge_url/judge_model "
              "(responses are cached in the workspace).")
def categorize(workspace: Path, sources: Sequence[str], labelers: Sequence[str], judge: bool) -> None:
    """Label prompts with categories offline (language, coding, multi_turn, long_query, math, ...).

    Writes prompt_labels rows with labeler 'arenavotes:<name>@<version>'; 'arenavotes rate' then
    builds one leaderboard per category. Battles without text are skipped.

    Example: arenavotes categorize -w myarena
    """
    from arenavotes import provenance
    from arenavotes.categories import LABELERS, label, labeler_name
    from arenavotes.categories.store import agreement, load_features, replace_labels
    from arenavotes.runs import new_run_id, record_run, utcnow
    from arenavotes.sources import resolve_sources

    ws = Workspace.open(workspace)
    chosen_labelers = set(labelers) if labelers else set(LABELERS)
    with ws.connect() as con:
        chosen = resolve_sources(con, sources, all_sources=not sources)
        for source in chosen:
            started = utcnow()
            prompts, messages, answers = load_features(con, [source])
            if prompts.height == 0:
                click.echo(f"{source}: no prompt texts, skipped")
                continue
            rows = label(prompts, messages, answers, only=chosen_labelers)
            names = [labeler_name(n) for n in chosen_labelers]
            if judge:
                judged = _judge(ws, con).label(prompts)
                rows = pl.concat([rows, judged])
                names += judged["labeler"].unique().to_list()
            replace_labels(con, [source], rows, names)
            counts = rows.filter(pl.col("value")).group_by("category").len().sort("category")
            cat_run = new_run_id()
            provenance.record(con, [source], "categorize", cat_run, ws.settings().section_hash())
            record_run(con, cat_run, "categorize", ws.settings().section_hash(), started=started, target=source,
                       rows_in=prompts.height, rows_out=rows.height,
                       counts={"labelers": sorted(labeler_name(n) for n in chosen_labelers),
                               "positives": dict(counts.iter_rows())})
            top = ", ".join(f"{c} {n:,}" for c, n in counts.iter_rows() if not c.startswith(("criteria.", "language:")))
            langs = counts.filter(pl.col("category").str.starts_with("language:")).height
            click.echo(f"{source}: {prompts.height:,} prompts labelled: {top}; {langs} languages")
        agree = agreement(con, chosen)
    if agree.height:
        from arenavotes.display import text_table

        click.echo("agreement with the labels that came with the source:")
        click.echo(text_table([(c, lab, int(n), f"{a:.2f}", "-" if p is None else f"{p:.2f}", "-" if r is None else f"{r:.2f}")
                           for c, lab, n, a, p, r in agree.iter_rows()],
                          ("category", "source labeler", "battles", "agreement", "precision", "recall")))


@cli.command()
@workspace_option
@click.option("--check", "check", multiple=True, type=click.Path(path_type=Path), metavar="PATH",
              help="Release gate: scan these files/folders (parquet, JSON, Markdown, ...); exit 2 on any finding.")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only these sources (default: all).")
@click.option("--keep-raw", is_flag=True, help="Keep the original texts in conversations_raw (never released).")
@click.option("--rescan", is_flag=True, help="Scan battles that were scrubbed before, too.")
@click.option("--no-ner", is_flag=True, help="Pattern recognizers only (no names or places).")
@click.option("--workers", type=int, help="Worker processes (default: all cores); output does not depend on it.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--ray-address", metavar="ADDR", help="Ray cluster address for --engine ray (default: local).")
def scrub(workspace: Path, check: Sequence[Path], sources: Sequence[str], keep_raw: bool, rescan: bool,
          no_ner: bool, workers: int | None, engine: str, ray_address: str | None) -> None:
    """Replace PII in prompts and answers with typed placeholders; or, with --check, gate release files.

    \b
    Examples:
      arenavotes scrub -w myarena
      arenavotes scrub --check myarena/releases/v1
    """
    import time

    from arenavotes.config import PiiSettings

    settings = (Workspace.open(workspace).settings() if (workspace / "arenavotes.toml").exists() else None)
    st = settings.pii if settings else PiiSettings()      # --check works on any folder, with the defaults
    threshold, gate = st.threshold, st.gate_threshold
    ner = not no_ner and st.ner
    n_workers = workers if workers is not None else st.workers
    if check:
        from arenavotes.pii.gate import check_paths

        hits = check_paths(check, threshold=gate, ner=ner, workers=n_workers or 1)
        if not hits:
            click.echo(f"PII gate passed: no finding at score >= {gate} in {', '.join(map(str, check))}")
            return
        for h in hits[:200]:
            click.echo(f"{h.file}: {h.location}: {h.column or '-'}: {h.entity} ({h.recognizer}, score {h.score:.2f})")
        if len(hits) > 200:
            click.echo(f"... and {len(hits) - 200} more")
        raise UserError(f"PII gate failed: {len(hits)} finding(s) in {len({h.file for h in hits})} file(s)",
                        hint="scrub the workspace ('arenavotes scrub') and rebuild the files")
    from arenavotes import provenance
    from arenavotes.pii import verdicts as gate_cache
    from arenavotes.pii.scrub import scrub_texts
    from arenavotes.pii.store import findings_frame, scrub_quarantine, unscrubbed, write_scrubbed
    from arenavotes.runs import new_run_id, record_run, utcnow
    from arenavotes.sources import resolve_sources

    ws = Workspace.open(workspace)
    with ws.connect() as con:
        chosen = resolve_sources(con, sources, all_sources=not sources)
        quarantined = scrub_quarantine(con, chosen, lambda values: scrub_texts(
            values, workers=n_workers, ner=ner, threshold=threshold, engine=engine, ray_address=ray_address)[0])
        messages = unscrubbed(con, chosen, rescan)
        started, t0 = utcnow(), time.perf_counter()
        texts = [c if c is not None else "" for c in messages["content"].to_list()]
        bar = _progress(len(set(texts)), "distinct texts")
        new, findings = scrub_texts(texts, workers=n_workers, ner=ner, threshold=threshold, engine=engine,
                                    ray_address=ray_address, progress=bar.update if bar else None)
        if bar:
            bar.close()
        new_content = [n if c is not None else None for n, c in zip(new, messages["content"].to_list(), strict=True)]
        found = findings_frame(messages, findings)
        run_id = new_run_id()
        write_scrubbed(con, messages, new_content, found, run_id, keep_raw)
        provenance.record(con, chosen, "scrub", run_id, ws.settings().section_hash("pii"))
        # the release gate's verdicts on the scrubbed texts, now: the publisher learns at once what a release
        # would withhold, and the release does not analyse these texts again (verdicts cached by sha256)
        verdicts = gate_cache.load(con)
        doubted = gate_cache.screen([t for t in new_content if t], verdicts, threshold=gate, ner=ner,
                                    workers=n_workers or 2)
        gate_cache.save(con, verdicts)
        seconds = time.perf_counter() - t0
        by_entity = dict(found.group_by("entity").agg(pl.col("count").sum()).sort("entity").iter_rows())
        record_run(con, run_id, "scrub", ws.settings().section_hash("pii"), started=started, target=",".join(chosen),
                   rows_in=messages.height, rows_out=int(sum(by_entity.values())),
                   counts={"texts": messages.height, "distinct_texts": len(set(texts)), "spans_by_entity": by_entity,
                           "seconds": round(seconds, 2), "ner": ner, "keep_raw": keep_raw,
                           "quarantine_values_scrubbed": quarantined, "texts_the_gate_doubts": len(doubted)})
    if not keep_raw and (by_entity or quarantined):
        from arenavotes import db

        db.compact(ws.db_path)   # the replaced texts must not survive in the file's free pages
    spans = ", ".join(f"{e} {n:,}" for e, n in by_entity.items()) or "none"
    click.echo(f"scrubbed {messages.height:,} texts ({len(set(texts)):,} distinct) in {seconds:.1f} s: "
               f"{sum(by_entity.values()):,} spans replaced ({spans})"
               + (f"; {quarantined:,} quarantined values scrubbed too" if quarantined else ""))
    if doubted:
        click.echo(f"  the release gate still doubts {len(doubted):,} of these texts: releases will ship those battles' "
                   "votes without their texts (review them with SQL; 'arenavotes scrub --check' on a release)")


def _progress(total: int, unit: str) -> Any:
    """A progress bar on stderr for long runs in a terminal; None otherwise."""
    if total < 2000 or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=" " + unit, file=sys.stderr)


@cli.command()
@workspace_option
@click.argument("version")
@click.option("--parent", metavar="VERSION", help="The release this one follows (for CHANGELOG.md).")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Sources to release (default: all).")
@click.option("--exclude-flags", metavar="FLAGS", help="Flags whose battles are left out (default: [dedup] "
              "exclude; 'none' keeps all).")
@click.option("--license", "license_", metavar="ID", help="Licence of the release (default: the sources' licence when "
              "they share one, else 'other' with LICENSES.md listing each; see ingest --license).")
@click.option("--allow-missing", metavar="STAGES", help="Release sources that have not been through these stages "
              "(comma-separated: scrub, dedup); the card says so.")
@click.option("--pretty-name", "pretty_name", default="Arena votes", show_default=True,
              help="The dataset's display name (the card's pretty_name).")
@click.option("--date", metavar="YYYY-MM-DD", help="Release date (default: the day of the newest battle, when every "
              "released battle has a timestamp; otherwise required).")
@click.option("--report", "report_name", metavar="MONTH|DIR", help="Ship a report (reports/MONTH of the workspace, "
              "or a folder) in reports/ and as a section of the dataset card.")
def release(workspace: Path, version: str, parent: str | None, sources: Sequence[str], exclude_flags: str | None,
            license_: str | None, allow_missing: str | None, pretty_name: str, date: str | None,
            report_name: str | None) -> None:
    """Build releases/VERSION: parquet per config, dataset card, manifest, changelog; PII-gated.

    \b
    Examples:
      arenavotes release -w myarena v1
      arenavotes release -w myarena v2 --parent v1 --source lmarena-140k --report 2024-07
    """
    import time

    from arenavotes.pii import verdicts as gate_cache
    from arenavotes.pii.gate import check_paths
    from arenavotes.provenance import REQUIRED_FOR_RELEASE
    from arenavotes.releases.build import ReleaseSpec, build, read_manifest
    from arenavotes.releases.integrity import gate_version
    from arenavotes.runs import new_run_id, record_run, utcnow
    from arenavotes.sources import resolve_sources

    ws = Workspace.open(workspace)
    settings = ws.settings()
    exclude = _exclusion_policy(exclude_flags, settings.dedup.exclude)
    with ws.connect() as con:
        chosen = resolve_sources(con, sources, all_sources=not sources)
        report = None
        if report_name:
            report = ws.path / "reports" / report_name
            if not report.exists():
                report = Path(report_name)
        allowed = tuple(x.strip() for x in (allow_missing or "").split(",") if x.strip())
        bad = [x for x in allowed if x not in REQUIRED_FOR_RELEASE]
        if bad:
            raise UserError(f"--allow-missing {bad[0]}: not a stage a release needs",
                            hint=", ".join(REQUIRED_FOR_RELEASE))
        if date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise UserError(f"--date {date}: expected YYYY-MM-DD")
        spec = ReleaseSpec(version, parent, tuple(chosen), exclude, license_, pretty_name, date,
                           settings.ratings.seed, report, allowed)
        pii = settings.pii
        workers = pii.workers or 2
        verdicts = gate_cache.load(con)
        withheld: list[str] = []
        started, t0 = utcnow(), time.perf_counter()

        def step(what: str) -> None:
            click.echo(f"  [{time.perf_counter() - t0:5.1f} s] {what}", err=True)

        try:
            path = build(con, ws.path, spec, ws.secret(), settings.to_dict(),
                         gate=lambda d: check_paths([d], threshold=pii.gate_threshold, ner=pii.ner, workers=workers,
                                                    cache=verdicts),
                         gate_version=gate_version(threshold=pii.gate_threshold, ner=pii.ner),
                         screen=lambda texts: gate_cache.screen(texts, verdicts, threshold=pii.gate_threshold,
                                                                ner=pii.ner, workers=workers),
                         withheld_ids=withheld, step=step)
        finally:
            gate_cache.save(con, verdicts)       # what the gate learned is kept even when it refused
        m = read_manifest(path)
        record_run(con, new_run_id(), "release", settings.section_hash(), started=started, target=version,
                   rows_in=None, rows_out=m["rows"]["battles"],
                   counts={"rows": m["rows"], "sources": list(chosen), "withheld_by_pii_gate": withheld,
                           "excluded_by_policy": m["excluded_by_policy"]})
    gone = m["withheld_by_pii_gate"]["battles"]
    click.echo(f"release {version} written to {path}: " + ", ".join(f"{c} {n:,}" for c, n in m["rows"].items())
               + f"; {m['excluded_by_policy']['battles']:,} flagged battles left out"
               + (f"; the texts of {gone:,} battles withheld because the PII gate doubts them (ids in the runs table: "
                  f"arenavotes sql \"select counts->'withheld_by_pii_gate' from runs where stage = 'release'\")"
                  if gone else "") + f"; PII gate passed in {time.perf_counter() - t0:.1f} s")


@cli.command()
@workspace_option
@click.argument("version")
@click.option("--to", "target", required=True, metavar="hf://datasets/ORG/NAME | DIR",
              help="A Hugging Face dataset repo, or a local folder kept as a git repository (one commit and tag per version).")
@click.option("--dry-run", is_flag=True, help="Print the exact operations without doing them.")
def publish(workspace: Path, version: str, target: str, dry_run: bool) -> None:
    """Publish releases/VERSION to the Hugging Face Hub (token: $HF_TOKEN) or to a local hub folder.

    \b
    Examples:
      arenavotes publish -w myarena v1 --to hf://datasets/my-org/arena-votes --dry-run
      arenavotes publish -w myarena v1 --to ./hub/arena-votes
    """
    from arenavotes.pii.gate import check_paths
    from arenavotes.releases.build import release_dir
    from arenavotes.releases.integrity import gate_version
    from arenavotes.releases.publish import publish_release

    ws = Workspace.open(workspace)
    path = release_dir(ws.path) / version
    st = ws.settings().pii
    for line in publish_release(path, target, dry_run=dry_run, key=ws.secret(), workspace=ws.path,
                                gate_version=gate_version(threshold=st.gate_threshold, ner=st.ner),
                                gate=lambda d: check_paths([d], threshold=st.gate_threshold, ner=st.ner,
                                                           workers=st.workers or 2)):
        click.echo(line)


@cli.command()
@workspace_option
@click.argument("month", required=False)
@click.option("--compare", metavar="YYYY-MM", help="Compare with another month (rank changes, Kendall's tau).")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Sources to report on (repeatable).")
@click.option("--all-sources", is_flag=True, help="Report on every source together.")
@click.option("--exclude-flags", metavar="FLAGS", help="Flags to leave out (default: [dedup] exclude).")
@click.option("--out", type=click.Path(path_type=Path), help="Folder to write (default: WORKSPACE/reports/MONTH or /all).")
def report(workspace: Path, month: str | None, compare: str | None, sources: Sequence[str], all_sources: bool,
           exclude_flags: str | None, out: Path | None) -> None:
    """Write reports/MONTH/: tables, figures (PNG, SVG), report.md and a self-contained report.html.

    Without MONTH (or for sources without timestamps) the report covers all battles.

    \b
    Examples:
      arenavotes report -w myarena 2023-07 --compare 2023-06 --source arena-2023
      arenavotes report -w myarena --source lmarena-140k --out site/lmarena
    """
    import time

    from arenavotes.reports import build_report
    from arenavotes.runs import new_run_id, record_run, utcnow
    from arenavotes.sources import resolve_sources

    ws = Workspace.open(workspace)
    settings = ws.settings()
    exclude = _exclusion_policy(exclude_flags, settings.dedup.exclude)
    t0 = time.perf_counter()

    def step(what: str) -> None:
        click.echo(f"  [{time.perf_counter() - t0:5.1f} s] {what}", err=True)

    started = utcnow()
    with ws.connect(read_only=True) as con:
        chosen = resolve_sources(con, sources, all_sources)
        folder, note = build_report(con, ws.path, chosen, month, compare, settings, exclude, step=step, out=out)
    with ws.connect() as con:       # every stage records a run
        tables = sorted(p.stem for p in (folder / "tables").glob("*.parquet"))
        record_run(con, new_run_id(), "report", settings.section_hash("ratings", "dedup"), started=started,
                   target=str(folder), rows_in=None, rows_out=len(tables),
                   counts={"sources": list(chosen), "month": month, "compare": compare, "tables": tables,
                           "excluded_flags": list(exclude), "note": note})
    if note:
        click.echo(f"note: {note}")
    figures = len(list((folder / "figures").glob("*.png")))
    click.echo(f"report written to {folder} ({figures} figures; report.md, report.html) in "
               f"{time.perf_counter() - t0:.1f} s")


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
        click.echo(f"arenavotes: internal error: {type(exc).__name__}: {message} (at {where}); this is a bug in "
                   "arenavotes, please report it (ARENAVOTES_DEBUG=1 shows the traceback)", err=True)
        return INTERNAL_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
