"""`arenavotes report`: tables, figures and documents, checked as files and as a reader sees them in Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import matplotlib.image
import numpy as np
import polars as pl
import pytest
from conftest import DATA, run

SOURCES = [
    ("arena-2023", DATA / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz"),
    ("arena-conv-100", DATA / "arena-conversations-100" / "conversations.jsonl.gz"),
    ("llmfao", DATA / "llmfao" / "crowd-comparisons.csv.gz"),
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    w = tmp_path_factory.mktemp("report") / "arena"
    assert run("init", str(w)).returncode == 0
    toml = w / "arenavotes.toml"
    toml.write_text(toml.read_text().replace("[pii]", "[pii]\nner = false", 1))  # patterns only: fast
    for src, path in SOURCES:
        r = run("ingest", "-w", str(w), "--source", src, str(path))
        assert r.returncode == 0, r.stderr
    for stage in ("scrub", "dedup", "categorize"):
        r = run(stage, "-w", str(w))
        assert r.returncode == 0, r.stderr
    return w


@pytest.fixture(scope="module")
def month(ws: Path) -> Path:
    r = run("report", "-w", str(ws), "2023-06", "--compare", "2023-05", "--source", "arena-2023")
    assert r.returncode == 0, r.stderr
    assert "report written to" in r.stdout and "drawing figures" in r.stderr  # progress on stderr
    return ws / "reports" / "2023-06"


def test_month_report_holds_tables_figures_and_documents(ws: Path, month: Path) -> None:
    tables = {p.stem for p in (month / "tables").glob("*.parquet")}
    assert {
        "leaderboard",
        "rank_changes",
        "comparison",
        "battles_per_model",
        "battles_per_day",
        "win_rates",
        "predicted",
        "stability",
        "methods",
        "quality_quarantine",
        "quality_flags",
    } <= tables
    figures = {p.stem for p in (month / "figures").glob("*.png")}
    assert {
        "forest",
        "rank_changes",
        "battles_per_model",
        "battles_per_day",
        "win_rates",
        "predicted",
        "rank_spread",
        "quality_flags",
    } <= figures
    assert figures == {p.stem for p in (month / "figures").glob("*.svg")}
    md = (month / "report.md").read_text()
    for section in (
        "# Arena leaderboard report: 2023-06 (arena-2023)\n",
        "## Leaderboard",
        "## Compared with 2023-05",
        "## Style control",
        "## Data quality",
        "## Methods",
    ):
        assert section in md
    assert md.count("](figures/") == len(figures)


def test_month_is_sliced_by_timestamp_and_flags_are_left_out(ws: Path, month: Path) -> None:
    sql = (
        "select count(*) from battles where source = 'arena-2023' and tstamp >= '2023-06-01' and "
        "tstamp < '2023-07-01' and battle_id not in (select battle_id from flags where flag in "
        "('prompt_capped', 'duplicate_vote', 'identity_leak', 'anomalous_voter', 'campaign_voter'))"
    )
    expected = int(run("sql", "-w", str(ws), sql, "--format", "csv").stdout.split()[-1])
    board = pl.read_parquet(month / "tables" / "leaderboard.parquet")
    assert board["battles"].sum() == 2 * expected  # each battle counts for both models
    per_day = pl.read_parquet(month / "tables" / "battles_per_day.parquet")
    assert per_day["battles"].sum() == expected and per_day["day"].dt.month().unique().to_list() == [6]
    assert f"{expected:,} battles between {board.height} models" in (month / "report.md").read_text()


def test_comparison_lists_new_retired_and_tau(month: Path) -> None:
    cmp = pl.read_parquet(month / "tables" / "comparison.parquet").row(0, named=True)
    assert cmp["previous"] == "2023-05" and -1 <= cmp["kendall_tau"] <= 1 and cmp["common_models"] >= 10
    changes = pl.read_parquet(month / "tables" / "rank_changes.parquet")
    kept = changes.filter(pl.col("status") == "kept")
    assert kept.height == cmp["common_models"]
    assert (
        changes.filter(pl.col("status") == "new")["rank_prev"].null_count()
        == changes.filter(pl.col("status") == "new").height
    )


def test_methods_follow_the_settings(ws: Path, tmp_path: Path) -> None:
    w = tmp_path / "arena"
    shutil.copytree(ws, w, ignore=shutil.ignore_patterns("reports"))
    (w / "arenavotes.toml").write_text(
        (w / "arenavotes.toml")
        .read_text()
        .replace("[ratings]", '[ratings]\nties = "drop"\nalpha = 0.1\nci = "bootstrap"\nrounds = 60', 1)
    )
    r = run("report", "-w", str(w), "2023-06", "--source", "arena-2023")
    assert r.returncode == 0, r.stderr
    md = (w / "reports" / "2023-06" / "report.md").read_text()
    assert "ties are left out" in md and "90% intervals from a multinomial bootstrap" in md and "60 rounds" in md
    m = pl.read_parquet(w / "reports" / "2023-06" / "tables" / "methods.parquet").row(0, named=True)
    assert (m["ties"], m["alpha"], m["rounds"]) == ("drop", 0.1, 60)


def test_pngs_have_size_and_content(month: Path) -> None:
    pngs = sorted((month / "figures").glob("*.png"))
    assert len(pngs) >= 8
    for p in pngs:
        assert p.stat().st_size > 5_000, p
        img = matplotlib.image.imread(p)[..., :3]
        assert min(img.shape[:2]) >= 200, (p, img.shape)
        ink = (img < 0.9).any(axis=2).mean()  # share of pixels that are not white
        assert 0.01 < ink < 0.95 and float(np.std(img)) > 0.05, (p, ink)


def test_report_is_reproducible(ws: Path, month: Path) -> None:
    before = {p.relative_to(month): p.read_bytes() for p in month.rglob("*") if p.is_file()}
    r = run("report", "-w", str(ws), "2023-06", "--compare", "2023-05", "--source", "arena-2023")
    assert r.returncode == 0, r.stderr
    after = {p.relative_to(month): p.read_bytes() for p in month.rglob("*") if p.is_file()}
    assert before.keys() == after.keys()
    assert [k for k in before if before[k] != after[k]] == []


def test_source_without_timestamps_gets_a_note_and_a_whole_report(ws: Path) -> None:
    r = run("report", "-w", str(ws), "2024-01", "--source", "llmfao")
    assert r.returncode == 0, r.stderr
    assert "have no timestamps" in r.stdout
    md = (ws / "reports" / "all" / "report.md").read_text()
    assert "# Arena leaderboard report: all battles (llmfao)\n" in md and "have no timestamps" in md
    assert not (ws / "reports" / "all" / "figures" / "battles_per_day.png").exists()


def test_empty_comparison_month_is_said_not_hidden(ws: Path, tmp_path: Path) -> None:
    r = run(
        "report",
        "-w",
        str(ws),
        "2023-06",
        "--compare",
        "2022-06",
        "--source",
        "arena-2023",
        "--out",
        str(tmp_path / "r"),
    )
    assert r.returncode == 0, r.stderr
    assert "no battles in 2022-06" in r.stdout and "no battles in 2022-06" in (tmp_path / "r" / "report.md").read_text()
    assert not (tmp_path / "r" / "tables" / "comparison.parquet").exists()


def test_disconnected_month_rates_every_group_main_one_by_battles(ws: Path, tmp_path: Path) -> None:
    r = run("report", "-w", str(ws), "2024-07", "--source", "arena-conv-100", "--out", str(tmp_path / "r"))
    assert r.returncode == 0, r.stderr
    others = pl.read_parquet(tmp_path / "r" / "tables" / "other_groups.parquet")
    board = pl.read_parquet(tmp_path / "r" / "tables" / "leaderboard.parquet")
    assert others.height and not set(others["model"]) & set(board["model"])
    # the main board is the group with the most battles, not the most models
    main = int(board["battles"].sum())
    assert all(main >= int(g["battles"].fill_null(0).sum()) for _, g in others.group_by("group"))
    md = (tmp_path / "r" / "report.md").read_text()
    assert "## Other groups of models" in md and others["model"][0] in md
    assert board["rating"].is_sorted(descending=True)  # ordered by rating, both ranks shown
    assert "| rank | rank_ub | model |" in md


def test_style_coefficients_when_answers_exist(ws: Path) -> None:
    r = run("report", "-w", str(ws), "--source", "arena-conv-100")
    assert r.returncode == 0, r.stderr
    style = pl.read_parquet(ws / "reports" / "all" / "tables" / "style.parquet")
    assert set(style["feature"]) == {"tokens", "headers", "lists", "bold"}
    assert (style["ci_lower"] <= style["coef"]).all() and (style["coef"] <= style["ci_upper"]).all()
    assert (ws / "reports" / "all" / "figures" / "style.png").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("2023-13", "--source", "arena-2023"), "'2023-13' is not a month"),
        (("2022-01", "--source", "arena-2023"), "no battles in 2022-01"),
        (("2023-06", "--source", "nope"), "unknown source 'nope'"),
    ],
)
def test_user_errors_are_one_line(ws: Path, args: tuple[str, ...], needle: str) -> None:
    r = run("report", "-w", str(ws), *args)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


def _browser():
    """Headless Chromium through selenium and the system chromedriver (Debian: chromium, chromium-driver)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/lib/chromium/chromedriver" if Path("/usr/lib/chromium/chromedriver").exists() else None
    )
    if not (binary and driver):
        if os.environ.get("ARENAVOTES_REQUIRE_BROWSER"):
            pytest.fail("chromium and chromedriver are required (apt-get install chromium chromium-driver)")
        pytest.skip("chromium / chromedriver not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-extensions",
        "--no-first-run",
        "--window-size=1200,900",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(options=opts, service=Service(executable_path=driver))


def test_report_html_in_headless_chromium(month: Path) -> None:
    browser = _browser()
    try:
        browser.get((month / "report.html").resolve().as_uri())
        assert browser.execute_script("return document.readyState") == "complete"
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])"
        )
        rows = browser.execute_script("return document.querySelectorAll('#leaderboard tbody tr').length")
        title = browser.title
    finally:
        browser.quit()
    pngs = list((month / "figures").glob("*.png"))
    assert len(images) == len(pngs)
    assert [alt for alt, done, w, h in images if not (done and w > 0 and h > 0)] == []
    assert rows == pl.read_parquet(month / "tables" / "leaderboard.parquet").height
    assert title == "Arena leaderboard report: 2023-06 (arena-2023)"


def test_the_report_records_a_run(ws: Path) -> None:
    r = run("report", "-w", str(ws), "--source", "arena-conv-100")
    assert r.returncode == 0, r.stderr
    q = run("sql", "-w", str(ws), "select stage, rows_out from runs where stage = 'report'", "--format", "csv")
    assert q.returncode == 0 and q.stdout.splitlines()[1].startswith("report,")


def test_rank_ranges_are_the_bootstrap_rounds_of_the_fit(ws: Path, month: Path) -> None:
    """The report's rank ranges come from the ratings package: bootstrap rounds drawn around the board's own fit,
    the very rounds a bootstrap fit with the report's parameters draws."""
    from arenavotes.ratings import RatingParams, rate
    from arenavotes.ratings.store import load_battles
    from arenavotes.workspace import Workspace

    board = pl.read_parquet(month / "tables" / "leaderboard.parquet")
    m = pl.read_parquet(month / "tables" / "methods.parquet").row(0, named=True)
    w = Workspace.open(ws)
    with w.connect(read_only=True) as con:
        battles = load_battles(
            con, ["arena-2023"], since="2023-06-01", until="2023-07-01", exclude_flags=w.settings().dedup.exclude
        )
    models = board["model"].implode()
    b = battles.filter(pl.col("model_a").is_in(models) & pl.col("model_b").is_in(models))
    params = RatingParams(
        ties=m["ties"],
        bothbad=m["bothbad"],
        ci="bootstrap",
        rounds=m["rounds"],
        alpha=m["alpha"],
        seed=m["seed"],
        reg=m["reg"],
    )
    r = rate(b, params)
    lo, hi = r.rank_quantiles()
    expected = pl.DataFrame({"model": list(r.models), "lo": lo, "hi": hi})
    got = board.join(expected, on="model")
    assert got.height == board.height and m["ci"] == "sandwich"
    assert got["rank_q025"].to_list() == got["lo"].to_list() and got["rank_q975"].to_list() == got["hi"].to_list()
    assert (got["rank_q975"] > got["rank_q025"]).any()
