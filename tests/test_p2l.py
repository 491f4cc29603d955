"""Prompt-to-leaderboard: known answers on logs where the best model depends on the prompt's topic, the
fallback to the overall board where it does not, the arithmetic against the plain Bradley-Terry fit, and the
command through the real entry point (answers, files, errors, reuse of the stored index)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes.p2l import answers, index
from arenavotes.p2l.evaluate import evaluate
from arenavotes.p2l.fit import fit_queries
from arenavotes.ratings.bt import fit_logit
from tests.conftest import run

CODE = [
    "Write a Python function that {}",
    "How do I {} in JavaScript?",
    "Fix this bug: my Rust program fails when I {}",
    "Write a SQL query to {}",
]
CODE_TASKS = [
    "sorts a list",
    "parse a CSV file",
    "reverse a linked list",
    "merge two dicts",
    "read a JSON file",
    "count words in a file",
    "find duplicates in an array",
    "connect to a database",
    "compute a hash",
    "split a string by commas",
    "remove null values",
    "group rows by key",
]
POEM = [
    "Write a poem about {}",
    "Compose a short sonnet on {}",
    "Write a haiku about {}",
    "Tell me a whimsical story about {}",
]
POEM_TOPICS = [
    "the autumn rain",
    "a lonely lighthouse",
    "falling leaves",
    "the sea at night",
    "a cat's dream",
    "the first snow",
    "an old oak tree",
    "lost love",
    "the moon over the city",
    "a summer garden",
    "a dragon's lullaby",
    "the morning fog",
]
MODELS = ("coder", "poet", "generalist")


def topical_log(n: int, seed: int, effect: float = 1.4) -> list[dict[str, object]]:
    """Battles whose outcome depends on the topic: 'coder' is strong on code prompts, 'poet' on poems,
    'generalist' in between (strength differences of ``effect``, natural units); 0 makes it topic-free."""
    rng = np.random.default_rng(seed)
    rows = []
    for b in range(n):
        code = rng.random() < 0.5
        tmpl = (CODE if code else POEM)[rng.integers(4)]
        prompt = tmpl.format((CODE_TASKS if code else POEM_TOPICS)[rng.integers(12)])
        strength = {"coder": effect if code else -effect, "poet": -effect if code else effect, "generalist": 0.0}
        a, bb = rng.choice(MODELS, 2, replace=False)
        p = 1 / (1 + math.exp(strength[bb] - strength[a]))
        u = rng.random()
        winner = "tie" if u < 0.1 else ("model_a" if rng.random() < p else "model_b")
        rows.append({"id": f"b{b}", "model_a": str(a), "model_b": str(bb), "winner": winner, "prompt": prompt})
    return rows


@pytest.fixture(scope="module")
def topical_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("p2l")
    data = root / "log.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in topical_log(3000, seed=1)))
    ws = root / "ws"
    assert run("init", str(ws)).returncode == 0
    r = run("ingest", "-w", str(ws), "--source", "topical", str(data))
    assert r.returncode == 0, r.stderr
    return ws


# ---- arithmetic ------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_fit_with_a_weak_prior_is_the_plain_bradley_terry_fit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = 4
    i, j = np.array([0, 0, 0, 1, 1, 2]), np.array([1, 2, 3, 2, 3, 3])
    n = rng.integers(20, 60, len(i)).astype(float)
    w = np.clip(rng.binomial(n.astype(int), 0.5).astype(float), 1, n - 1)
    theta0 = rng.normal(0, 0.5, k)
    d, var = fit_queries(theta0, np.zeros(len(i), dtype=int), i, j, w, n, 1, lam=1e-9, tol=1e-12)
    mle = fit_logit(i, j, w, n, k, tol=1e-12)
    got = theta0 + d[0]
    assert np.allclose(got - got.mean(), mle - mle.mean(), atol=1e-5)
    assert np.all(var > 0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 150))
def test_queries_solved_together_equal_queries_solved_alone(seed: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    k = 5
    cells = 3 * m
    q = rng.integers(0, m, cells)
    i = rng.integers(0, k - 1, cells)
    j = i + 1 + rng.integers(0, k - 1 - i)
    n = rng.integers(1, 30, cells).astype(float)
    w = rng.binomial(n.astype(int), 0.6).astype(float)
    theta0 = rng.normal(0, 0.3, k)
    together, var = fit_queries(theta0, q, i, j, w, n, m, lam=3.0)
    for one in rng.choice(m, size=min(m, 4), replace=False):
        s = q == one
        alone, v1 = fit_queries(theta0, np.zeros(s.sum(), dtype=int), i[s], j[s], w[s], n[s], 1, lam=3.0)
        assert np.allclose(alone[0], together[one], atol=1e-9)
        assert np.allclose(v1[0], var[one], atol=1e-9)
    empty = np.setdiff1d(np.arange(m), q)
    assert not together[empty].any()


def test_strong_prior_is_the_board_and_sweeps_stay_finite() -> None:
    theta0 = np.array([0.2, -0.2])
    q, i, j = np.zeros(1, dtype=int), np.array([0]), np.array([1])
    d, _ = fit_queries(theta0, q, i, j, np.array([500.0]), np.array([500.0]), 1, lam=1e9)
    assert np.abs(d).max() < 1e-5
    d, _ = fit_queries(theta0, q, i, j, np.array([500.0]), np.array([500.0]), 1, lam=0.01)  # a clean sweep
    assert np.isfinite(d).all() and d[0, 0] > d[0, 1]


# ---- method: known answers --------------------------------------------------------------------------------


def _frame(rows: list[dict[str, object]]) -> tuple[pl.DataFrame, np.ndarray, list[str]]:
    from arenavotes.embeddings.encoder import Encoder

    df = pl.DataFrame(rows)
    prompts = sorted(set(df["prompt"].to_list()))
    row = {p: n for n, p in enumerate(prompts)}
    votes = df.select(
        pl.col("prompt").replace_strict(row, return_dtype=pl.Int64).alias("row"), "model_a", "model_b", "winner"
    )
    return votes, Encoder.load().encode(prompts), prompts


def test_topic_decides_the_prompt_board() -> None:
    votes, vecs, prompts = _frame(topical_log(3000, seed=2))
    ix = index.build(votes, vecs, prompts, encoder="t")
    assert math.isfinite(ix.lam), ix.tuning
    from arenavotes.embeddings.encoder import Encoder

    q = Encoder.load().encode(["Write a Python function that checks if a number is prime", "Write a poem about winter"])
    theta, _var, n_votes, rows = index.predict(ix, q)
    best = [ix.models[int(np.argmax(t))] for t in theta]
    assert best == ["coder", "poet"]
    assert (n_votes > 0).all() and rows.shape == (2, ix.k)
    overall = ix.models[int(np.argmax(ix.theta0))]
    assert abs(ix.theta0[ix.models.index("coder")] - ix.theta0[ix.models.index("poet")]) < 0.3, overall


def test_evaluation_finds_the_gain_and_none_where_there_is_none() -> None:
    votes, vecs, prompts = _frame(topical_log(3000, seed=3))
    r = evaluate(votes, vecs, prompts, folds=4, seed=0)
    p2l = r["methods"]["p2l"]
    assert p2l["gain"] > 0.10 and p2l["gain_interval"][0] > 0.05, r
    assert r["methods"]["p2l"]["brier"] < r["methods"]["board"]["brier"]
    # votes that ignore the prompt: P2L must not do worse than the board beyond noise
    votes, vecs, prompts = _frame(topical_log(3000, seed=4, effect=0.0))
    r = evaluate(votes, vecs, prompts, folds=4, seed=0)
    assert r["methods"]["p2l"]["gain_interval"][1] >= 0 and r["methods"]["p2l"]["gain"] > -0.01, r


def test_tiny_workspaces_fall_back_to_the_board() -> None:
    votes, vecs, prompts = _frame(topical_log(12, seed=5, effect=0.0))
    ix = index.build(votes, vecs, prompts, encoder="t")
    theta, _var, _, _ = index.predict(ix, vecs[:2])
    if not math.isfinite(ix.lam):
        assert np.array_equal(theta, np.tile(ix.theta0, (2, 1)))


def test_answers_rank_compare_and_route() -> None:
    theta = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 0.0]])
    var = np.full((3, 3), 1e-4)
    b = answers.boards(["c", "p", "t"], MODELS, theta, var, np.array([5.0, 5.0, 0.0]))
    assert b.filter(pl.col("id") == "c")["model"].to_list() == ["coder", "generalist", "poet"]
    assert b.filter(pl.col("id") == "t")["rank"].to_list() == [1, 1, 1]  # equal ratings: nobody clearly above
    c = answers.compare(MODELS, theta, var, current="coder", candidate="poet", ids=["c", "p", "t"])
    assert c["worst"][0]["id"] == "c" and 0 < c["interval"][0] <= c["win_rate"] <= c["interval"][1] < 1
    r = answers.route(MODELS, theta, ids=["c", "p", "t"])
    assert [x["model"] for x in r["choice"]][:2] == ["coder", "poet"] and r["win_rate_vs_best_single"] > 0.5
    r = answers.route(MODELS, theta, ids=["c", "p", "t"], costs={"coder": 5, "poet": 1, "generalist": 1}, max_cost=2)
    assert "coder" not in r["routes"] and r["mean_cost"] == 1


# ---- the command ------------------------------------------------------------------------------------------


def test_cli_prompt_boards_in_every_format(topical_ws: Path, tmp_path: Path) -> None:
    r = run("p2l", "-w", str(topical_ws), "Write a Python function that sorts a list of numbers")
    assert r.returncode == 0, r.stderr
    assert "p2l index 'topical'" in r.stderr and "prompts encoded" in r.stderr
    assert r.stdout.splitlines()[3].split()[1] == "coder", r.stdout
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        json.dumps({"id": "q-code", "prompt": "How do I merge two dicts in Python?"})
        + "\n"
        + json.dumps({"id": "q-poem", "prompt": "Write a haiku about the first snow"})
        + "\n"
    )
    r = run("p2l", "-w", str(topical_ws), "--prompts", str(prompts), "--format", "json")
    assert r.returncode == 0, r.stderr
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["id"] for o in objs] == ["q-code", "q-poem"]
    assert max(objs[0]["ratings"], key=objs[0]["ratings"].get) == "coder"
    assert max(objs[1]["ratings"], key=objs[1]["ratings"].get) == "poet"
    assert all(len(o["neighbours"]) == 5 and o["votes"] > 0 for o in objs)
    assert "p2l index" not in r.stderr  # the stored index was reused
    r = run("p2l", "-w", str(topical_ws), "--prompts", str(prompts), "--format", "csv")
    assert r.stdout.splitlines()[0] == "id,model,rating,lower,upper,rank,votes" and len(r.stdout.splitlines()) == 7


def test_cli_compare_route_and_evaluate(topical_ws: Path, tmp_path: Path) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        "".join(
            json.dumps({"id": f"c{n}", "prompt": f"Write a Python function that {t}"}) + "\n"
            for n, t in enumerate(CODE_TASKS)
        )
    )
    r = run("p2l", "-w", str(topical_ws), "--prompts", str(prompts), "--compare", "coder", "poet", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["win_rate"] < 0.35 and out["prompts"] == 12 and len(out["worst"]) == 5
    costs = tmp_path / "costs.csv"
    costs.write_text("model,cost\ncoder,0.02\npoet,0.001\ngeneralist,0.001\n")
    r = run("p2l", "-w", str(topical_ws), "--prompts", str(prompts), "--route", "--costs", str(costs))
    assert r.returncode == 0 and "coder: 12 prompts" in r.stdout, r.stdout + r.stderr
    r = run(
        "p2l", "-w", str(topical_ws), "--prompts", str(prompts), "--route", "--costs", str(costs), "--max-cost", "0.01"
    )
    assert "coder" not in r.stdout.split("single model")[1], r.stdout
    r = run("p2l", "-w", str(topical_ws), "--evaluate", "--folds", "3", "--format", "json")
    assert r.returncode == 0, r.stderr
    ev = json.loads(r.stdout)
    assert ev["methods"]["p2l"]["gain"] > 0.05 and ev["votes"] > 2500


@pytest.mark.parametrize(
    ("content", "args", "needle"),
    [
        ('{"id": "a", "prompt": "x"}\nnot json\n', (), "line 2: not JSON"),
        ('{"id": "a"}\n', (), "line 1: no 'prompt' field"),
        ('{"id": "a", "prompt": "x"}\n{"id": "a", "prompt": "y"}\n', (), "line 2: id 'a' appears twice"),
        ('{"id": "a", "prompt": 5}\n', (), "field 'prompt' is not a string"),
        ('{"id": "a", "prompt": "x"}\n', ("--compare", "coder", "gpt-9"), "candidate model 'gpt-9' is not a model"),
        ('{"id": "a", "prompt": "x"}\n', ("--max-cost", "1"), "--max-cost needs --costs"),
        ('{"id": "a", "prompt": "x"}\n', ("--evaluate",), "give no prompts"),
    ],
)
def test_cli_bad_input_is_one_line(
    topical_ws: Path, tmp_path: Path, content: str, args: tuple[str, ...], needle: str
) -> None:
    f = tmp_path / "p.jsonl"
    f.write_text(content)
    r = run("p2l", "-w", str(topical_ws), "--prompts", str(f), *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr


def test_index_is_rebuilt_when_the_votes_change(tmp_path: Path) -> None:
    data = tmp_path / "log.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in topical_log(400, seed=6)))
    ws = tmp_path / "ws"
    run("init", str(ws))
    run("ingest", "-w", str(ws), "--source", "s", str(data))
    assert "p2l index" in run("p2l", "-w", str(ws), "a poem").stderr
    assert "p2l index" not in run("p2l", "-w", str(ws), "a poem").stderr
    assert run("dedup", "-w", str(ws)).returncode == 0
    assert "p2l index" in run("p2l", "-w", str(ws), "a poem").stderr  # dedup ran: flags may exclude votes
    assert "p2l index" in run("p2l", "-w", str(ws), "a poem", "--rebuild").stderr
    r = run("sql", "-w", str(ws), "select count(*) from runs where stage = 'p2l'", "--format", "csv")
    assert r.stdout.splitlines()[1] == "3"


# ---- prompt clusters (the report's section) --------------------------------------------------------------


def test_clusters_find_the_topics_and_name_them_by_shared_words() -> None:
    from arenavotes.p2l.clusters import MIN_PROMPTS_PER_WORD, cluster_boards

    rows = topical_log(3000, seed=7)
    votes, vecs, prompts = _frame(rows)
    summary, ratings = cluster_boards(votes, vecs, prompts, clusters=4, seed=0)
    again = cluster_boards(votes, vecs, prompts, clusters=4, seed=0)
    assert summary.equals(again[0]) and ratings.equals(again[1])
    tops = set(summary["top_model"].to_list())
    assert {"coder", "poet"} <= tops, summary
    assert summary["prompts"].sum() == len(prompts) and summary["votes"].sum() == 3000
    for words in summary["keywords"].to_list():
        for w in filter(None, words.split(", ")):
            assert sum(w in p.lower() for p in prompts) >= MIN_PROMPTS_PER_WORD
    biggest = summary.row(0, named=True)
    assert biggest["kendall_tau"] < 1.0 and (biggest["riser"] or biggest["faller"])
    with pytest.raises(ValueError):
        cluster_boards(votes, vecs[:10], prompts)


def test_report_has_boards_by_prompt_cluster(topical_ws: Path) -> None:
    r = run("report", "-w", str(topical_ws), "--source", "topical")
    assert r.returncode == 0, r.stderr
    md = (topical_ws / "reports" / "all" / "report.md").read_text()
    section = md.split("## Leaderboards by prompt cluster")[1].split("\n## ")[0]
    assert "| coder |" in section and "| poet |" in section, section
    assert (topical_ws / "reports" / "all" / "figures" / "p2l_clusters.png").exists()
    t = pl.read_parquet(topical_ws / "reports" / "all" / "tables" / "p2l_clusters.parquet")
    assert t["prompts"].sum() > 0
    html = (topical_ws / "reports" / "all" / "report.html").read_text()
    assert "Leaderboards by prompt cluster" in html


def test_query_prompts_are_not_stored(topical_ws: Path) -> None:
    """A prompt asked of p2l is encoded in memory only: nothing of it reaches the workspace."""
    import hashlib

    secret = "Write a poem for my colleague Ximena Oyelaran-Quist, phone 555-0199"
    before = run("sql", "-w", str(topical_ws), "select count(*) from embeddings", "--format", "csv").stdout
    r = run("p2l", "-w", str(topical_ws), secret)
    assert r.returncode == 0, r.stderr
    after = run("sql", "-w", str(topical_ws), "select count(*) from embeddings", "--format", "csv").stdout
    assert before == after
    h = hashlib.sha256(secret.encode()).hexdigest()
    db_bytes = (topical_ws / "arena.duckdb").read_bytes()
    assert h.encode() not in db_bytes and b"Oyelaran" not in db_bytes


def test_search_and_fits_do_not_depend_on_their_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    from arenavotes.p2l import fit

    votes, vecs, prompts = _frame(topical_log(800, seed=8))
    ix = index.build(votes, vecs, prompts, encoder="t", tune_it=False)
    ix.k, ix.lam = 16, 10.0
    want = index.predict(ix, vecs[:40], exclude=np.arange(40))
    monkeypatch.setattr(index, "SEARCH_CELLS", 3 * ix.n_prompts)  # 3 queries a search chunk
    monkeypatch.setattr(fit, "CHUNK_CELLS", 2 * len(ix.models) ** 2)  # 2 queries a stacked system
    got = index.predict(ix, vecs[:40], exclude=np.arange(40))
    assert np.array_equal(got[2], want[2]) and np.array_equal(got[3], want[3])
    assert np.allclose(got[0], want[0], atol=1e-9) and np.allclose(got[1], want[1], atol=1e-9)
