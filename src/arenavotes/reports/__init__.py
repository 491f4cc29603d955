"""Monthly leaderboard reports: tables first, then figures from the tables, then documents.

``reports/<YYYY-MM>/`` (or ``reports/all/`` for sources without timestamps) holds ``tables/*.parquet``,
``figures/*.png|svg``, ``report.md`` (fit to be a section of a dataset card) and a self-contained
``report.html`` (figures embedded). Months are sliced by ``tstamp`` (UTC); ``--compare`` adds rank
changes, new and retired models and Kendall's tau against another month.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import importlib.resources
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import jinja2
import polars as pl

from arenavotes import __version__
from arenavotes.config import Settings
from arenavotes.errors import UserError
from arenavotes.ratings import RatingParams
from arenavotes.ratings.store import CAMPAIGN_FLAGS, load_battles, load_campaign_posteriors, load_labels
from arenavotes.reports.figures import draw_all
from arenavotes.reports.tables import ReportInput, build_tables
from arenavotes.summary import quality_counts
from arenavotes.vocab import CI_PROSE, TIE_PROSE

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CAPTIONS = {
    "forest": "Ratings with 95% intervals (Bradley-Terry, Elo scale); red: provisional.",
    "rank_changes": "Rank changes against the comparison month (green: up, red: down).",
    "battles_per_model": "Battles per model.",
    "battles_per_day": "Battles per day (UTC).",
    "win_rates": "Observed score of the row model against the column model (ties count one half).",
    "predicted": "Win probability predicted by the fitted ratings.",
    "category_ranks": "Rank of each model in each category (blank: too few battles in that category).",
    "style": "Style-control coefficients with 95% intervals.",
    "rank_spread": "Rank stability: 95% range of each model's rank over bootstrap rounds (bar) around its rank by rating (dot).",
    "quality_quarantine": "Records quarantined at ingest, by reason.",
    "quality_flags": "Battles flagged by the duplicate and adversarial detectors, by flag.",
    "quality_pii": "PII spans replaced by the scrubber, by type.",
    "robust_board": "Campaign-robust rating minus plain rating per model, with the robust board's 95% interval "
    "around the plain rating (red: the plain rating lies outside it).",
    "p2l_clusters": "Rating in each prompt cluster minus the overall rating (Elo points; clusters by k-means on "
    "prompt embeddings, boards shrunk toward the overall board).",
}


def month_bounds(month: str) -> tuple[str, str]:
    if not MONTH.match(month):
        raise UserError(f"'{month}' is not a month", hint="use YYYY-MM, e.g. 2024-07")
    y, m = int(month[:4]), int(month[5:])
    end = dt.date(y, m, calendar.monthrange(y, m)[1]) + dt.timedelta(days=1)
    return f"{y:04d}-{m:02d}-01", end.isoformat()


def report_params(settings: Settings) -> RatingParams:
    """The rating protocol of a report: the workspace's ``[ratings]`` settings (intervals ``none`` become
    sandwich intervals, since a report always shows intervals)."""
    st = settings.ratings
    return RatingParams.from_settings(st, ci=st.ci if st.ci != "none" else "sandwich")


def gather(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[str],
    month: str | None,
    compare: str | None,
    settings: Settings,
    exclude_flags: Sequence[str],
    arena: str | None = None,
) -> tuple[ReportInput, str | None]:
    """The report's inputs from the workspace; the second value is a note for sources without timestamps."""
    stamped = con.sql(
        "SELECT count(*) FILTER (WHERE tstamp IS NOT NULL), count(*) FROM battles WHERE source IN (SELECT unnest(?))",
        params=[list(sources)],
    ).fetchall()[0]
    note = None
    if month and stamped[0] == 0:
        note = (
            f"the selected sources have no timestamps, so no battle can be placed in {month}: "
            "this is a report over all their battles"
        )
        month, compare = None, None
    params = report_params(settings)
    by_prompt = params.ci == "cluster" and params.cluster_by == "prompt"
    since, until = month_bounds(month) if month else (None, None)
    battles = load_battles(
        con, sources, since=since, until=until, exclude_flags=exclude_flags, with_prompt_key=by_prompt, arena=arena
    )
    previous = None
    if compare:
        ps, pu = month_bounds(compare)
        previous = load_battles(con, sources, since=ps, until=pu, exclude_flags=exclude_flags, arena=arena)
        if previous.height == 0:
            note = f"no battles in {compare} for these sources, so there is no comparison"
            previous, compare = None, None
    labels = load_labels(con, sources)
    quality = quality_counts(con, sources, since, until, arena)  # before the exclusion policy
    campaign = None
    posteriors = load_campaign_posteriors(con, sources)
    if posteriors.height:
        # the robust board weighs campaign votes instead of leaving them out: load them back in
        kept = [f for f in exclude_flags if f not in CAMPAIGN_FLAGS]
        campaign = load_battles(con, sources, since=since, until=until, exclude_flags=kept, arena=arena).join(
            posteriors, on="battle_id", how="left"
        )
    from arenavotes.p2l.store import load_prompt_set

    prompts = load_prompt_set(con, sources, battles["battle_id"]) if battles.height else None
    st = settings.ratings
    return ReportInput(
        month or "all battles",
        battles,
        labels.filter(pl.col("battle_id").is_in(battles["battle_id"].implode())),
        previous,
        compare,
        quality,
        params,
        st.min_battles,
        st.min_category_battles,
        st.style_reg,
        campaign,
        prompts,
    ), note


def methods_text(
    tables: dict[str, pl.DataFrame], sources: Sequence[str], exclude_flags: Sequence[str], note: str | None
) -> str:
    """The methods paragraph, written from the parameters the tables were computed with."""
    m = tables["methods"].row(0, named=True)
    level = round(100 * (1 - m["alpha"]))
    ci = CI_PROSE[m["ci"]] + (f" by {m['cluster_by']}" if m["ci"] == "cluster" else "")
    if m["ci"] != "sandwich":
        ci += f" ({m['rounds']} rounds, seed {m['seed']})"
    parts = [
        f"Bradley-Terry maximum likelihood on the Elo scale (400 points per factor of 10 in odds; mean rating "
        f"1000), fitted by Newton's method on vote counts per model pair; {TIE_PROSE[m['ties']]}"
        + ("; both-bad votes are left out" if m["bothbad"] == "drop" else "")
        + ".",
        f"{level}% intervals from {ci}. Rank = 1 + the number of models whose lower bound is above the model's "
        f"upper bound (LMArena's published rank); the rank range is the {level}% range of the model's rank over "
        f"{m['rounds']} bootstrap rounds (seed {m['seed']}).",
        f"Models with fewer than {m['min_battles']} battles are marked provisional; category leaderboards are "
        f"fitted on categories with at least {m['min_category_battles']} battles, with sandwich intervals.",
        (
            f"Style control: answer length in tokens, markdown headers, list items and bold spans as "
            f"(a - b) / (a + b + 1), standardised, fitted jointly with the ratings under an L2 penalty of "
            f"{m['style_reg']}."
            if "style" in tables
            else ""
        ),
        f"Battles carrying these flags were left out: {', '.join(exclude_flags) or 'none'}.",
        f"Sources: {', '.join(sources)}. arenavotes {__version__}.",
    ]
    if m["reg"] > 0:
        parts.append(
            f"Some model never won or never lost in this period, so the maximum-likelihood ratings do "
            f"not exist; a ridge of {m['reg']} on the strengths keeps them finite."
        )
    if note:
        parts.append(f"Note: {note}.")
    return " ".join(p for p in parts if p)


def render(
    tables: dict[str, pl.DataFrame],
    inp: ReportInput,
    figures: list[Path],
    sources: Sequence[str],
    note: str | None,
    exclude_flags: Sequence[str],
) -> tuple[str, str]:
    """report.md and report.html from the tables (Jinja2 templates in ``reports/templates``)."""
    board = tables["leaderboard"]
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: importlib.resources.files("arenavotes.reports").joinpath(f"templates/{name}").read_text()
        ),
        autoescape=jinja2.select_autoescape(["html.j2"]),
        keep_trailing_newline=True,
    )
    pngs = sorted({p.stem for p in figures if p.suffix == ".png"}, key=list(CAPTIONS).index)
    figs = [
        {
            "name": n,
            "caption": CAPTIONS[n],
            "png": base64.b64encode((figures[0].parent / f"{n}.png").read_bytes()).decode(),
        }
        for n in pngs
    ]
    cats = []
    if "category_leaderboards" in tables:
        for (cat, lab), g in tables["category_leaderboards"].group_by(["category", "labeler"], maintain_order=True):
            top = g.sort("rating", descending=True).head(5)
            cats.append(
                {
                    "category": cat,
                    "labeler": lab,
                    "models": g.height,
                    "battles": int(g["battles"].sum() // 2),
                    "top": [f"{m} ({r:.0f})" for m, r in top.select("model", "rating").iter_rows()],
                }
            )
        cats.sort(key=lambda c: (c["category"], c["labeler"]))
    comparison = tables["comparison"].row(0, named=True) if "comparison" in tables else None
    changes = tables.get("rank_changes")
    new = ", ".join(changes.filter(pl.col("status") == "new")["model"].to_list()) if changes is not None else ""
    retired = ", ".join(changes.filter(pl.col("status") == "retired")["model"].to_list()) if changes is not None else ""
    quality = [f"{inp.battles.height:,} battles rated after leaving out flags: {', '.join(exclude_flags) or 'none'}."]
    for name, what in (
        ("quality_quarantine", "quarantined at ingest (whole sources)"),
        ("quality_flags", "flagged"),
        ("quality_pii", "PII spans replaced"),
    ):
        if name in tables and tables[name].height:
            quality.append(f"{what}: " + ", ".join(f"{k} {v:,}" for k, v in tables[name].iter_rows()))
    span = ""
    if inp.battles["tstamp"].null_count() < inp.battles.height:
        first, last = inp.battles.select(
            pl.col("tstamp").min().dt.strftime("%Y-%m-%d"), pl.col("tstamp").max().dt.strftime("%Y-%m-%d").alias("last")
        ).row(0)
        span = f" from {first} to {last}"
    summary = (
        f"{inp.battles.height:,} battles between {board.height} models{span}. "
        f"Top: {board['model'][0]} ({board['rating'][0]:.1f})."
    )
    others = None
    if "other_groups" in tables:
        og = tables["other_groups"]
        rated = int(board["battles"].sum() // 2)
        n_groups = og["group"].n_unique()
        summary += (
            f" The models split into {n_groups + 1} groups that never met, directly or through others, so "
            f"ratings compare only within a group: the board below is the group with the most battles "
            f"({rated:,} battles); the other groups are rated on their own in 'Other groups of models'."
        )
        others = [
            {"group": g, "rows": grp.sort("rank", nulls_last=True).to_dicts(), "note": grp["note"].drop_nulls().first()}
            for (g,), grp in og.group_by(["group"], maintain_order=True)
        ]
    style_note = (
        None
        if "style" in tables
        else ("No style-control fit: these battles carry no answer texts (or fewer than 50 with all style features).")
    )
    robust = None
    if "robust_board" in tables:
        rb = tables["robust_board"]
        robust = {
            "rows": rb.sort(pl.col("difference").abs(), "model", descending=[True, False]).to_dicts(),
            "depends": rb.filter("depends")["model"].to_list(),
            "weight": float(rb["campaign_weight"].sum() / 2),
            "max_diff": rb.select(pl.col("difference").abs().max()).item() or 0.0,
        }
    clusters = None
    if "p2l_clusters" in tables:
        pc = tables["p2l_clusters"]
        clusters = {
            "rows": pc.to_dicts(),
            "n": pc.height,
            "min_tau": pc.select(pl.col("kendall_tau").min()).item(),
            "prompts": int(pc["prompts"].sum()),
        }
    ctx = {
        "clusters": clusters,
        "robust": robust,
        "title": inp.title,
        "scope": ", ".join(sources),
        "summary": summary,
        "leaderboard": board.to_dicts(),
        "min_battles": inp.min_battles,
        "level": round(100 * (1 - inp.params.alpha)),
        "figures": figs,
        "comparison": comparison,
        "new_models": new,
        "retired_models": retired,
        "categories": cats,
        "style": tables["style"].to_dicts() if "style" in tables else None,
        "style_note": style_note,
        "quality": quality,
        "methods": methods_text(tables, sources, exclude_flags, note),
        "others": others,
    }
    return env.get_template("report.md.j2").render(**ctx), env.get_template("report.html.j2").render(**ctx)


def build_report(
    con: duckdb.DuckDBPyConnection,
    workspace: Path,
    sources: Sequence[str],
    month: str | None,
    compare: str | None,
    settings: Settings,
    exclude_flags: Sequence[str],
    step: Callable[[str], None] | None = None,
    out: Path | None = None,
    arena: str | None = None,
) -> tuple[Path, str | None]:
    """Write ``out`` (default ``reports/<month or all>/``) and return it with the no-timestamp note (if any)."""
    say = step or (lambda _: None)
    say("reading battles")
    inp, note = gather(con, sources, month, compare, settings, exclude_flags, arena)
    folder = inp.title if inp.title != "all battles" else "all"
    out = out or workspace / "reports" / (folder + (f"-{arena}" if arena else ""))
    say(f"computing tables ({inp.battles.height:,} battles)")
    tables = build_tables(inp)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    for old in (*(out / "tables").glob("*.parquet"), *(out / "figures").glob("*.*")):
        old.unlink()  # a rerun must not keep figures of tables that are gone
    for name, t in tables.items():
        t.write_parquet(out / "tables" / f"{name}.parquet")
    say(f"drawing figures ({len(tables)} tables)")
    figures = draw_all(tables, out / "figures")
    say("writing documents")
    shown = [f"{s} ({arena} battles only)" for s in sources] if arena else sources
    md, html = render(tables, inp, figures, shown, note, exclude_flags)
    (out / "report.md").write_text(md, encoding="utf-8")
    (out / "report.html").write_text(html, encoding="utf-8")
    return out, note
