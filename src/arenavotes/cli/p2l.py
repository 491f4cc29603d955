"""``arenavotes p2l``: a leaderboard for any prompt, the model-swap question, routing and the evaluation."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from arenavotes.cli.base import arena_options, cli, exclude_option, format_option, sources_option, workspace_option
from arenavotes.errors import UserError
from arenavotes.workspace import Workspace


@cli.command()
@workspace_option
@click.argument("prompt", required=False)
@click.option(
    "--prompts",
    "prompts_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="JSON lines with 'id' and 'prompt': answer every prompt of FILE.",
)
@sources_option("Index these sources' votes (repeatable; needed when the workspace holds several, or --all-sources).")
@click.option("--all-sources", is_flag=True, help="Index every source's votes together.")
@click.option("--scope", metavar="NAME", help="Name of the index (default: the sources and filters).")
@click.option("--anony-only", is_flag=True, help="Only votes cast while the models were hidden.")
@exclude_option
@arena_options
@format_option
@click.option("--limit", type=int, default=0, help="Models shown per prompt in the table (0 = all).")
@click.option(
    "--compare",
    nargs=2,
    metavar="CURRENT CANDIDATE",
    help="Predicted win rate of CANDIDATE over CURRENT on the prompts (mean, interval, spread, worst prompts).",
)
@click.option(
    "--route", is_flag=True, help="The best model per prompt, and routing's win rate vs the best single model."
)
@click.option(
    "--costs",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Cost per prompt of each model (CSV model,cost or JSON): --route reports costs.",
)
@click.option("--max-cost", type=float, help="With --route and --costs: only models costing at most this per prompt.")
@click.option("--evaluate", is_flag=True, help="Hold out prompts and compare P2L's log-loss with the boards'.")
@click.option("--folds", type=int, default=5, show_default=True, help="Folds of held-out prompts for --evaluate.")
@click.option("--rebuild", is_flag=True, help="Build the index again even if the stored one is current.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of tuning samples, folds and bootstrap.")
def p2l(
    workspace: Path,
    prompt: str | None,
    prompts_file: Path | None,
    sources: Sequence[str],
    all_sources: bool,
    scope: str | None,
    anony_only: bool,
    exclude_flags: str | None,
    arena: str | None,
    mix_arenas: bool,
    fmt: str,
    limit: int,
    compare: tuple[str, str] | None,
    route: bool,
    costs: Path | None,
    max_cost: float | None,
    evaluate: bool,
    folds: int,
    rebuild: bool,
    seed: int,
) -> None:
    """Prompt-to-leaderboard: every model's rating for a prompt, from the votes on similar prompts.

    The first call builds an index of the sources' prompts (encoded offline, cached in the workspace) and
    stores it; later calls reuse it until the sources change. Ratings are on the Elo scale of the overall
    board (mean 1000), shrunk toward it where few votes are near the prompt.

    \b
    Examples:
      arenavotes p2l -w myarena --source arena-2023 "Write a haiku about autumn"
      arenavotes p2l -w myarena --prompts my_prompts.jsonl --format json
      arenavotes p2l -w myarena --prompts my_prompts.jsonl --compare gpt-4-0613 claude-2.0
      arenavotes p2l -w myarena --prompts my_prompts.jsonl --route --costs costs.csv --max-cost 0.01
      arenavotes p2l -w myarena --source arena-2023 --evaluate
    """
    from arenavotes.stages.p2l import P2LOptions, build_index, run_evaluate

    ws = Workspace.open(workspace)
    options = P2LOptions(
        tuple(sources), all_sources, scope, anony_only, exclude_flags, arena, mix_arenas, rebuild, seed
    )
    if folds < 2:
        raise UserError(f"--folds must be at least 2, got {folds}")
    if evaluate:
        if prompt or prompts_file or compare or route:
            raise UserError("--evaluate measures the index on its own prompts: give no prompts with it")
        result = run_evaluate(ws, options, folds, echo=lambda s: click.echo(s, err=True))
        _print_evaluation(result, fmt)
        return
    if (prompt is None) == (prompts_file is None):
        raise UserError("give one PROMPT or --prompts FILE", hint='e.g. arenavotes p2l "Write a haiku about autumn"')
    if costs is not None and not route:
        raise UserError("--costs goes with --route")
    if max_cost is not None and costs is None:
        raise UserError("--max-cost needs --costs FILE")
    from arenavotes.p2l import answers
    from arenavotes.p2l.inputs import read_costs, read_prompts

    items = read_prompts(prompts_file) if prompts_file is not None else [("prompt", prompt or "")]
    cost_table = read_costs(costs) if costs is not None else None
    built = build_index(ws, options, echo=lambda s: click.echo(s, err=True))
    if built.result is not None:
        for line in built.result.lines:
            click.echo(line, err=True)
    from arenavotes.stages.p2l import score

    ids = [i for i, _ in items]
    theta, var, votes, near = score(built, [t for _, t in items])
    models = built.index.models
    if compare:
        out = answers.compare(models, theta, var, current=compare[0], candidate=compare[1], ids=ids, seed=seed)
        _print_compare(out, fmt)
        return
    if route:
        out = answers.route(models, theta, ids=ids, costs=cost_table, max_cost=max_cost)
        _print_route(out, fmt)
        return
    frame = answers.boards(ids, models, theta, var, votes)
    _print_boards(frame, ids, near, votes, fmt, limit, built.index.k)


def _print_boards(
    frame: Any, ids: Sequence[str], near: Sequence[Sequence[str]], votes: Any, fmt: str, limit: int, k: int
) -> None:
    import polars as pl

    from arenavotes.display import text_table, write_frame

    if fmt == "csv":
        sys.stdout.write(write_frame(frame.with_columns(pl.col("rating", "lower", "upper").round(2)), "csv"))
        return
    if fmt == "json":
        for n, pid in enumerate(ids):
            part = frame.filter(pl.col("id") == pid)
            obj = {
                "id": pid,
                "ratings": {m: round(r, 2) for m, r in part.select("model", "rating").iter_rows()},
                "intervals": {
                    m: [round(lo, 2), round(hi, 2)] for m, lo, hi in part.select("model", "lower", "upper").iter_rows()
                },
                "ranks": dict(part.select("model", "rank").iter_rows()),
                "votes": float(votes[n]),
                "neighbours": list(near[n]),
            }
            sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return
    for n, pid in enumerate(ids):
        part = frame.filter(pl.col("id") == pid)
        part = part.head(limit) if limit else part
        click.echo(
            f"{pid}: {votes[n]:,.0f} votes on the {k} nearest prompts (nearest battles: {', '.join(near[n][:3])})"
        )
        rows = [
            (
                int(r["rank"]),
                r["model"],
                f"{r['rating']:.1f}",
                f"{r['lower'] - r['rating']:+.1f}/{r['upper'] - r['rating']:+.1f}",
            )
            for r in part.iter_rows(named=True)
        ]
        click.echo(text_table(rows, ("rank", "model", "rating", "95% CI")))
        if n + 1 < len(ids):
            click.echo("")


def _print_compare(out: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(out) + "\n")
        return
    if fmt == "csv":
        sys.stdout.write("id,win_rate\n" + "".join(f"{w['id']},{w['win_rate']:.4f}\n" for w in out["worst"]))
        return
    lo, hi = out["interval"]
    pp = out["per_prompt"]
    click.echo(
        f"{out['candidate']} over {out['current']} on {out['prompts']} prompts: predicted win rate "
        f"{out['win_rate']:.3f} (95% interval {lo:.3f}-{hi:.3f}); per prompt p10 {pp['p10']:.3f}, "
        f"median {pp['p50']:.3f}, p90 {pp['p90']:.3f}; better on {100 * out['share_better']:.0f}% of prompts"
    )
    click.echo("where the switch is predicted to hurt most:")
    for w in out["worst"]:
        click.echo(f"  {w['id']}: {w['win_rate']:.3f}")


def _print_route(out: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(out) + "\n")
        return
    if fmt == "csv":
        sys.stdout.write("id,model\n" + "".join(f"{c['id']},{c['model']}\n" for c in out["choice"]))
        return
    click.echo(
        f"routing {out['prompts']} prompts: expected win rate {out['win_rate_vs_best_single']:.3f} against the best "
        f"single model, {out['best_single']}"
        + (
            f"; mean cost {out['mean_cost']:.4g} per prompt vs {out['best_single_cost']:.4g}"
            if "mean_cost" in out
            else ""
        )
    )
    for m, c in sorted(out["routes"].items(), key=lambda kv: (-kv[1], kv[0])):
        click.echo(f"  {m}: {c} prompts")


def _print_evaluation(result: dict[str, Any], fmt: str) -> None:
    from arenavotes.p2l.evaluate import summary_rows

    if fmt == "json":
        sys.stdout.write(json.dumps(result) + "\n")
        return
    rows = summary_rows(result)
    if fmt == "csv":
        keys = list(rows[0])
        sys.stdout.write(
            ",".join(keys)
            + "\n"
            + "".join(
                ",".join("" if r[k] is None else f'"{r[k]}"' if "," in str(r[k]) else str(r[k]) for k in keys) + "\n"
                for r in rows
            )
        )
        return
    from arenavotes.display import text_table

    click.echo(
        f"'{result['scope']}': {result['votes']:,} votes on {result['prompts']:,} held-out prompts "
        f"({result['folds']} folds by prompt, seed {result['seed']}; {result['skipped_votes']} votes of models "
        f"unseen in training skipped)"
    )
    click.echo(text_table([tuple("" if v is None else v for v in r.values()) for r in rows], tuple(rows[0])))
    chosen = ", ".join(f"k={c['k']} lam={c['lam']:g}" for c in result["chosen"])
    click.echo(f"chosen per fold: {chosen}")
