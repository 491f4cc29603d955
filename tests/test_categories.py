"""Category labelers: known answers against LMArena's own labels, the judge protocol against a local stub."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import polars as pl
import pytest
from conftest import DATA, KEY

from arenavotes.categories import label
from arenavotes.categories.judge import Judge, MemoryCache
from arenavotes.categories.store import DuckDBCache, agreement, load_features, replace_labels
from arenavotes.errors import UserError
from arenavotes.ingest import ingest_file


@pytest.fixture
def arena100(con):
    ingest_file(con, DATA / "arena-conversations-100" / "conversations.jsonl.gz", key=KEY, source="a100")
    return con


def test_offline_labelers_match_lmarena_labels(arena100) -> None:
    con = arena100
    prompts, messages, answers = load_features(con, ["a100"])
    assert prompts.height == 100
    rows = label(prompts, messages, answers)
    replace_labels(con, ["a100"], rows, rows["labeler"].unique().to_list())
    table = agreement(con, ["a100"])
    assert table["category"].n_unique() == 2
    assert agreement(con, ["a100"], rows=1).equals(table)  # joined a category at a time: the same
    agree = {(c, ours): (a, n) for c, ours, _, n, a, _, _ in table.iter_rows()}
    assert agree["coding", "offline/coding@1"] == (1.0, 100)  # LMArena's is_code, every conversation
    assert agree["coding", "offline/learned@6"][1] == 100  # the learned head reads the prompt only
    gold = dict(con.sql("SELECT battle_id, language FROM battles").fetchall())
    lang = dict(
        rows.filter(pl.col("category").str.starts_with("language:")).select("battle_id", "category").iter_rows()
    )
    assert all(lang[b] == f"language:{gold[b]}" for b in gold)
    turns = dict(con.sql("SELECT battle_id, turns FROM battles").fetchall())
    multi = dict(rows.filter(pl.col("category") == "multi_turn").select("battle_id", "value").iter_rows())
    assert all(multi[b] == (turns[b] >= 2) for b in turns)
    long = rows.filter((pl.col("category") == "long_query") & pl.col("value"))
    assert long.height == 12  # >= 500 cl100k tokens over the user turns
    assert rows.select(pl.col("labeler").str.contains(r"^offline/[a-z_]+@\d+$").all()).item()


def test_a_text_is_detected_once_for_the_language_label_and_the_learned_cuts(arena100, monkeypatch) -> None:
    """The language labeler (first user message) and the learned labeler's cuts (whole prompt) share one CLD2
    call per distinct text in a batch; the labels equal each labeler run alone."""
    from arenavotes.categories import deterministic

    prompts, messages, answers = load_features(arena100, ["a100"])
    alone = pl.concat([label(prompts, messages, answers, only={n}) for n in ("language", "learned")])
    calls: list[str] = []
    real = deterministic.detect_language
    monkeypatch.setattr(deterministic, "detect_language", lambda t: calls.append(t) or real(t))
    both = label(prompts, messages, answers, only={"language", "learned"})
    assert both.sort("battle_id", "labeler", "category").equals(alone.sort("battle_id", "labeler", "category"))
    texts = set(prompts["first_user"]) | set(prompts["prompt"])
    assert sorted(calls) == sorted(texts)  # each distinct text once, though most prompts are their first message
    assert len(texts) < prompts["first_user"].n_unique() + prompts["prompt"].n_unique()


def test_battle_rows_for_ray_shards_give_the_same_labels_in_any_sharding(arena100) -> None:
    """What ``categorize --engine ray`` ships to its actors (one row per battle, see
    ``categories.ray_engine``) turns back into the same three frames: labelled in shards of any size, the
    rows equal labelling the frames whole (Ray itself is tested in tests/test_ray_engine.py)."""
    from arenavotes.categories.ray_engine import battle_rows, frames

    prompts, messages, answers = load_features(arena100, ["a100"])
    # a battle with messages but no prompt row, and one whose answers are missing, survive the trip
    messages = pl.concat([messages, pl.DataFrame({"battle_id": ["zz-no-prompt"], "content": ["orphan message"]})])
    answers = answers.filter(pl.col("battle_id") != prompts["battle_id"][0])
    want = label(prompts, messages, answers, only={"language", "coding", "refusal", "rules", "long_query"})
    rows = battle_rows(prompts, messages, answers)
    assert rows.num_rows == 101
    for size in (1, 7, 101):
        parts = [
            label(*frames(rows.slice(lo, size)), only={"language", "coding", "refusal", "rules", "long_query"})
            for lo in range(0, rows.num_rows, size)
        ]
        got = pl.concat(parts).sort("battle_id", "labeler", "category")
        assert got.equals(want)
    back = frames(rows)
    assert back[0].equals(prompts) and back[1].height == messages.height and back[2].height == answers.height


def test_prompt_only_sources_get_labels(con) -> None:
    ingest_file(con, DATA / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz", key=KEY, source="a23")
    prompts, messages, answers = load_features(con, ["a23"])
    rows = label(prompts, messages, answers)
    counted = rows.filter(pl.col("value")).group_by("labeler", "category").len()
    positives = {(lab, c): n for lab, c, n in counted.iter_rows()}
    assert positives["offline/language@1", "language:English"] == 1135 and answers.height == 0
    assert 100 < positives["offline/coding@1", "coding"] < 400
    assert 100 < positives["offline/learned@6", "coding"] < 400
    assert positives["offline/multi_turn@1", "multi_turn"] == prompts.filter(pl.col("user_turns") >= 2).height


class _Stub(BaseHTTPRequestHandler):
    calls = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls += 1
        system, prompt = body["messages"][0]["content"], body["messages"][1]["content"]
        if "fail" in prompt:
            self.send_response(500)
            self.end_headers()
            return
        if "seven criteria" in system:
            text = "[1, 2, 3, 4, 6, 7]" if "hard" in prompt else "[1]"
        elif "<score>" in system:
            text = "Several constraints. <score>5</score>"
        elif "math problem" in system:
            text = "<decision>yes</decision>" if "solve" in prompt else "<decision>no</decision>"
        else:
            text = "<decision>no</decision>"
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub_url():
    server = HTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_judge_protocol_and_cache(stub_url: str, con) -> None:
    prompts = pl.DataFrame({"battle_id": ["1", "2"], "prompt": ["a hard design question", "solve 2x = 4"]})
    judge = Judge(stub_url, "stub-model", "secret", DuckDBCache(con), workers=2)
    rows = judge.label(prompts)
    assert judge.calls == 8 and rows["labeler"].unique().sort().to_list()[0] == "judge/stub-model:creative_writing@1"
    got = {(b, c): v for b, _, c, v, _ in rows.iter_rows()}
    assert got[("1", "hard_prompt")] and not got[("2", "hard_prompt")]
    assert got[("2", "math")] and not got[("1", "math")]
    assert got[("1", "instruction_following")] and not got[("1", "criteria.creativity")]
    again = Judge(stub_url, "stub-model", None, DuckDBCache(con))
    assert again.label(prompts).equals(rows) and again.calls == 0  # every answer came from the cache


def test_judge_errors_are_user_errors(stub_url: str) -> None:
    judge = Judge(stub_url, "m", None, MemoryCache())
    with pytest.raises(UserError, match="HTTP 500"):
        judge.label(pl.DataFrame({"battle_id": ["1"], "prompt": ["please fail"]}), templates=["math"])
    with pytest.raises(UserError, match="judge endpoint"):
        Judge("http://127.0.0.1:9/v1", "m", None, MemoryCache(), timeout=2).label(
            pl.DataFrame({"battle_id": ["1"], "prompt": ["x"]}), templates=["math"]
        )


def test_categorize_cli(tmp_path: Path) -> None:
    from conftest import run

    ws = tmp_path / "w"
    assert (
        run(
            "ingest",
            "-w",
            str(ws),
            "--source",
            "a100",
            str(DATA / "arena-conversations-100" / "conversations.jsonl.gz"),
        ).returncode
        == 0
    )
    r = run("categorize", "-w", str(ws))
    assert r.returncode == 0, r.stderr
    assert "a100: 100 prompts labelled" in r.stdout and "15 languages" in r.stdout
    assert "coding    offline/coding@1   source/a100" in r.stdout and "1.00" in r.stdout
    r = run("categorize", "-w", str(ws), "--judge")
    assert r.returncode == 2 and "judge_url" in r.stderr


def test_the_stage_labels_in_batches_as_it_would_all_at_once(tmp_path: Path, monkeypatch) -> None:
    """``categorize`` reads and labels a source's battles 20,000 at a time (memory stays flat); labels depend
    on each battle alone, so batches of 7 give the same rows, counts and run record as one batch."""
    import sys

    import arenavotes.embeddings.cache  # noqa: F401  (loaded before the patch below, like every module the stage uses)
    from arenavotes import db, stages
    from arenavotes.categories import store
    from arenavotes.workspace import Workspace

    made: list[str] = []  # temporary tables made from Python data while the stage runs
    for name in ("register_arrow", "temp_table_from_arrow"):
        real = getattr(db, name)
        for module in [m for n, m in sys.modules.items() if n.startswith("arenavotes")]:
            if getattr(module, name, None) is real:  # also where it was imported by name
                monkeypatch.setattr(
                    module, name, lambda con, t, *a, _r=real, **k: made.append(t) or _r(con, t, *a, **k)
                )

    def run(folder: str, batch: int) -> tuple[list[tuple], dict]:
        monkeypatch.setattr(store, "BATCH", batch)
        ws = Workspace.init(tmp_path / folder)
        path = DATA / "arena-conversations-100" / "conversations.jsonl.gz"
        stages.run_ingest(ws, stages.IngestOptions((path,), source="a100", license="apache-2.0"))
        made.clear()
        result = stages.run_categorize(ws, stages.CategorizeOptions())
        with ws.connect(read_only=True) as c:
            rows = c.sql("SELECT * FROM prompt_labels ORDER BY ALL").fetchall()
        return rows, {"rows_in": result.rows_in, "rows_out": result.rows_out, "lines": result.lines, "made": len(made)}

    whole, whole_run = run("whole", 10_000)
    batched, batched_run = run("batched", 7)
    assert len(whole) > 1000 and whole == batched and whole_run == batched_run
    # and no batch leaves a temporary table inside the run's transaction (kept, and spilled, until its commit):
    # as many are made for 15 batches as for one
    assert whole_run["made"] == batched_run["made"]
    with Workspace.open(tmp_path / "batched").connect(read_only=True) as c:
        assert len(store.feature_batches(c, ["a100"], 7)) == 15


def test_agreement_compares_offline_labels_with_the_source_and_the_judge(con) -> None:
    """The offline labelers are measured against any label of the source's or of an LLM judge's that exists
    for the same battle and category (and never against each other)."""
    ingest_file(con, DATA / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz", key=KEY, source="a23")
    ids = [r[0] for r in con.sql("SELECT battle_id FROM battles ORDER BY battle_id LIMIT 4").fetchall()]
    rows = pl.DataFrame(
        {
            "battle_id": ids * 3,
            "labeler": ["offline/learned@6"] * 4 + ["judge/m:math@1"] * 4 + ["offline/rules@2"] * 4,
            "category": ["math"] * 12,
            "value": [True, True, False, False, True, False, False, False, True, True, True, True],
            "score": [None] * 12,
        },
        schema={
            "battle_id": pl.String,
            "labeler": pl.String,
            "category": pl.String,
            "value": pl.Boolean,
            "score": pl.Float64,
        },
    )
    replace_labels(con, ["a23"], rows, rows["labeler"].unique().to_list())
    got = {(ours, theirs): (n, a, p, r) for _, ours, theirs, n, a, p, r in agreement(con, ["a23"]).iter_rows()}
    assert got == {
        ("offline/learned@6", "judge/m:math@1"): (4, 0.75, 0.5, 1.0),
        ("offline/rules@2", "judge/m:math@1"): (4, 0.25, 0.25, 1.0),
    }
    # joined a category at a time (the bound on the join's memory) or all at once: the same table
    assert agreement(con, ["a23"], rows=1).equals(agreement(con, ["a23"]))
    assert agreement(con, ["none"]).height == 0


def test_ray_label_output_is_inserted_once_per_row(arena100, tmp_path: Path) -> None:
    """Ray's label files are merged into prompt_labels with each row once, even when a block's file was
    written twice (a retried task), and the counts the stage reports are those of the rows kept."""
    import pyarrow.parquet as pq

    from arenavotes.stages.categorize import _Tally

    prompts, messages, answers = load_features(arena100, ["a100"])
    rows = label(prompts, messages, answers, only={"language", "rules"})
    out = tmp_path / "out"
    out.mkdir()
    pq.write_table(rows.to_arrow(), out / "block-1.parquet")
    pq.write_table(rows.slice(0, 10).to_arrow(), out / "block-1-retried.parquet")
    tally = _Tally(arena100)
    tally.insert_parquet(out)
    got = pl.from_arrow(
        arena100.sql("SELECT * FROM prompt_labels WHERE labeler LIKE 'offline/%' ORDER BY ALL").to_arrow_table()
    )
    assert tally.rows == rows.height == got.height
    assert got.equals(rows.sort(got.columns))
    want = rows.filter(pl.col("value")).group_by("category", "labeler").len()
    assert dict(tally.positives) == {(c, lab): n for c, lab, n in want.iter_rows()}
