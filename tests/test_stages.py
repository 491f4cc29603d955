"""The stage contract: every stage is one library call that records exactly one run per unit of work,
with one settings-hash rule, and whose writes land together with that run or not at all."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from conftest import CONV_SAMPLE, DATA, planted_workspace

from arenavotes import stages
from arenavotes.config import Settings
from arenavotes.stages.base import settings_hash
from arenavotes.workspace import Workspace

GENAI = DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz"
CONV = CONV_SAMPLE


@pytest.fixture(scope="module")
def piped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, stages.StageResult]]:
    """The whole pipeline through the library, on two small real sources (NER off to keep it quick)."""
    root = tmp_path_factory.mktemp("stages")
    ws = Workspace.init(root / "ws")
    ws.settings_path.write_text(ws.settings_path.read_text().replace("# ner = true", "ner = false"))
    out = {
        "ingest": stages.run_ingest(ws, stages.IngestOptions((GENAI,), source="genai", license="mit")),
        "ingest2": stages.run_ingest(ws, stages.IngestOptions((CONV,), source="conv", license="apache-2.0")),
        "scrub": stages.run_scrub(ws, stages.ScrubOptions(workers=1)),
        "dedup": stages.run_dedup(ws, stages.DedupOptions()),
        "categorize": stages.run_categorize(ws, stages.CategorizeOptions(("conv",))),
        "rate": stages.run_rate(
            ws, stages.RateOptions(("genai",), scope="g", style=False, no_categories=True, arena="text-to-image")
        ),
        "report": stages.run_report(ws, stages.ReportOptions(sources=("genai",), arena="text-to-image")),
        "release": stages.run_release(ws, stages.ReleaseOptions("v1", date="2026-11-30")),
    }
    out["publish"] = stages.run_publish(ws, stages.PublishOptions("v1", str(root / "hub")))
    return ws, out


def test_every_stage_records_its_runs_with_its_hash(piped: tuple[Workspace, dict[str, stages.StageResult]]) -> None:
    ws, results = piped
    with ws.connect(read_only=True) as con:
        runs = {
            r[0]: r[1:] for r in con.sql("select run_id, stage, settings_hash, rows_in, rows_out from runs").fetchall()
        }
    assert {stage for stage, *_ in runs.values()} == {
        "ingest",
        "scrub",
        "dedup",
        "categorize",
        "rate",
        "report",
        "release",
        "publish",
    }
    for name, result in results.items():
        assert result.run_ids, name
        for rid in result.run_ids:
            stage, hash_, _, _ = runs[rid]
            assert stage == result.stage and hash_ == result.settings_hash
        assert result.lines, name  # something to show
    # per-source stages: one run per source; counts add up to the result's
    assert len(results["dedup"].run_ids) == 2
    assert results["dedup"].rows_in == sum(runs[r][2] for r in results["dedup"].run_ids)
    assert results["release"].path is not None and (results["release"].path / "manifest.json").exists()
    assert results["report"].path is not None and (results["report"].path / "report.md").exists()


def test_stage_results_are_what_the_tables_hold(piped: tuple[Workspace, dict[str, stages.StageResult]]) -> None:
    ws, results = piped
    with ws.connect(read_only=True) as con:
        battles = con.sql("select count(*) from battles where source = 'genai'").fetchall()[0][0]
        quarantined = con.sql("select count(*) from quarantine where source = 'genai'").fetchall()[0][0]
        flagged = con.sql("select count(distinct battle_id) from flags").fetchall()[0][0]
        done = dict(con.sql("select source, list(stage order by stage) from source_stages group by 1").fetchall())
        near = [
            json.loads(c)["near_duplicate_check"]
            for (c,) in con.sql("select counts from runs where stage = 'dedup' order by target").fetchall()
        ]
        prompted = con.sql("select count(distinct battle_id) from conversations where role = 'user'").fetchall()
    # the near-duplicate check's work, over every source's prompts (at most one per battle with a prompt): the
    # same in each source's run
    assert near[0] == near[1] and 0 < near[0]["prompts"] <= prompted[0][0]
    ing = results["ingest"]
    assert ing.rows_out == battles and ing.rows_in == battles + quarantined
    assert results["dedup"].rows_out == flagged
    assert done == {"conv": ["categorize", "dedup", "scrub"], "genai": ["dedup", "rate", "scrub"]}
    manifest = json.loads((results["release"].path / "manifest.json").read_text())  # type: ignore[operator]
    assert results["release"].rows_out == manifest["rows"]["battles"]


def test_a_stage_that_fails_leaves_nothing_behind(
    piped: tuple[Workspace, dict[str, stages.StageResult]], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, _ = piped
    with ws.connect(read_only=True) as con:
        before = con.sql(
            "select (select count(*) from flags), (select count(*) from runs), "
            "(select max(finished) from source_stages)"
        ).fetchall()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("arenavotes.stages.base.record_run", broken)  # fails after the flags were replaced
    with pytest.raises(RuntimeError, match="disk full"):
        stages.run_dedup(ws, stages.DedupOptions(("genai",)))
    with ws.connect(read_only=True) as con:
        after = con.sql(
            "select (select count(*) from flags), (select count(*) from runs), "
            "(select max(finished) from source_stages)"
        ).fetchall()
    assert after == before


def test_one_settings_hash_rule() -> None:
    s = Settings()
    a = settings_hash(s, "dedup", stages.DedupOptions(("x",)))
    assert a == settings_hash(Settings(), "dedup", stages.DedupOptions(("x",)))
    assert a != settings_hash(s, "dedup", stages.DedupOptions(("y",)))  # options count
    changed = Settings.from_mapping({"dedup": {"daily_cap": 3}})
    assert a != settings_hash(changed, "dedup", stages.DedupOptions(("x",)))  # the stage's section counts
    assert settings_hash(changed, "scrub", None) == settings_hash(s, "scrub", None)  # other sections do not


def test_the_cli_is_one_stage_call_per_command() -> None:
    """Each stage command's body calls its run_<stage> once and holds no SQL or workspace logic."""
    import inspect

    from arenavotes import cli

    for stage in ("ingest", "scrub", "dedup", "categorize", "rate", "report", "release", "publish"):
        source = inspect.getsource(getattr(cli, stage).callback)
        assert source.count(f"run_{stage}(") == 1, stage
        assert "connect(" not in source and "SELECT" not in source.upper().replace("SELECTION", ""), stage


def _scrub_state(ws: Workspace) -> tuple[object, ...]:
    """What scrub leaves: the texts, the findings and how many battles are marked scrubbed."""
    with ws.connect(read_only=True) as con:
        return (
            con.sql("SELECT battle_id, side, msg, content FROM conversations ORDER BY 1, 2, 3").fetchall(),
            con.sql("SELECT battle_id, side, turn, entity, count FROM pii_findings ORDER BY ALL").fetchall(),
            con.sql("SELECT count(*) FROM scrubbed").fetchall(),
        )


def test_a_killed_scrub_keeps_whole_batches_and_the_next_run_finishes_the_job(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scrub commits batch by batch (a run's updates held until one COMMIT cannot spill). A run that dies
    after some batches leaves those battles scrubbed -- texts, findings and 'scrubbed' rows together -- and no
    run recorded, so a release still refuses the source; the next run scrubs only the rest, ends where one
    uninterrupted run ends, and rewrites the file so the replaced texts leave no trace in its free pages."""
    from arenavotes.pii import store
    from arenavotes.stages import scrub as scrub_stage

    planted = "zqx.planted.person@gmail.com"

    whole = planted_workspace(tmp_path / "whole", planted)
    stages.run_scrub(whole, stages.ScrubOptions(workers=1))

    ws = planted_workspace(tmp_path / "killed", planted)
    monkeypatch.setattr(scrub_stage, "BATCH_BATTLES", 10)
    real, calls = store.write_scrubbed, []

    def dies_on_the_third_batch(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # killed mid-run, after two batches committed
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "write_scrubbed", dies_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        stages.run_scrub(ws, stages.ScrubOptions(workers=1))
    with ws.connect(read_only=True) as con:
        assert con.sql("SELECT count(*) FROM scrubbed").fetchall() == [(20,)]
        assert con.sql("SELECT count(*) FROM runs WHERE stage = 'scrub'").fetchall() == [(0,)]
        assert con.sql(
            "SELECT count(*) FROM conversations WHERE content LIKE ?", params=[f"%{planted}%"]
        ).fetchall() == [(0,)]
        assert store.interrupted_runs(con) == 20
    monkeypatch.setattr(store, "write_scrubbed", real)
    second = stages.run_scrub(ws, stages.ScrubOptions(workers=1))
    assert second.counts["texts"] < _scrub_state(whole)[0].__len__()  # only the battles left
    assert _scrub_state(ws) == _scrub_state(whole)
    assert planted.encode() not in ws.db_path.read_bytes()
    with ws.connect(read_only=True) as con:  # the killed run's batches now belong to the run that finished
        assert store.interrupted_runs(con) == 0
        assert con.sql("SELECT count(DISTINCT run_id) FROM scrubbed").fetchall() == [(1,)]


def test_a_rescan_scrubs_every_battle_again_and_keeps_one_scrubbed_row_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--rescan`` scans battles scrubbed before: a secret planted in a scrubbed text after the first run is
    replaced, and each battle keeps one ``scrubbed`` row, the rescan's (the table has no key index to enforce it:
    write_scrubbed deletes before it inserts), in small batches as in one."""
    from arenavotes.stages import scrub as scrub_stage

    planted = "zqx.planted.person@gmail.com"
    ws = planted_workspace(tmp_path / "ws", planted)
    first = stages.run_scrub(ws, stages.ScrubOptions(workers=1))
    late = "late.planted.person@gmail.com"
    with ws.connect() as con:
        con.execute(
            "UPDATE conversations SET content = content || ? WHERE role = 'user' AND battle_id IN "
            "(SELECT DISTINCT battle_id FROM conversations ORDER BY 1 DESC LIMIT 3)",
            [f" mail {late}"],
        )
        (battles,) = con.sql("SELECT count(DISTINCT battle_id) FROM conversations").fetchall()[0]
    assert stages.run_scrub(ws, stages.ScrubOptions(workers=1)).counts["texts"] == 0  # nothing new to scrub
    monkeypatch.setattr(scrub_stage, "BATCH_BATTLES", 7)
    again = stages.run_scrub(ws, stages.ScrubOptions(workers=1, rescan=True))
    assert again.counts["texts"] >= first.counts["texts"]
    with ws.connect(read_only=True) as con:
        rows = con.sql("SELECT battle_id, count(*), any_value(run_id) FROM scrubbed GROUP BY 1").fetchall()
        assert len(rows) == battles and {n for _, n, _ in rows} == {1}
        assert {r for _, _, r in rows} == set(again.run_ids)
        assert con.execute(
            "SELECT count(*) FROM conversations WHERE content LIKE ? OR content LIKE ?", [f"%{planted}%", f"%{late}%"]
        ).fetchall() == [(0,)]


def test_scrub_batches_bounded_in_characters_end_where_one_batch_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scrub reads id ranges of at most BATCH_BATTLES battles and about TEXT_CHARS characters (no list of
    every battle id is held); however small the bound, each range is one battle or fits it, the ranges cover
    every message once, and the workspace ends as one batch leaves it."""
    from arenavotes import db
    from arenavotes.pii import store

    planted = "zqx.planted.person@gmail.com"
    whole = planted_workspace(tmp_path / "whole", planted)
    stages.run_scrub(whole, stages.ScrubOptions(workers=1))

    ws = planted_workspace(tmp_path / "small", planted)
    monkeypatch.setattr(db, "TEXT_CHARS", 3_000)
    with ws.connect(read_only=True) as con:
        ranges, total = store.scrub_batches(con, ["conv"])
        sizes = [
            con.execute(
                "SELECT count(DISTINCT battle_id), coalesce(sum(length(content)), 0), count(*) FROM conversations "
                "WHERE battle_id BETWEEN ? AND ?",
                [lo, hi],
            ).fetchall()[0]
            for lo, hi in ranges
        ]
        (messages,) = con.sql("SELECT count(*) FROM conversations").fetchall()[0]
        (longest,) = con.sql(
            "SELECT max(n) FROM (SELECT sum(length(content)) AS n FROM conversations GROUP BY battle_id)"
        ).fetchall()[0]
    assert len(ranges) > 3 and all(a <= b for a, b in ranges)
    assert all(hi < lo for (_, hi), (lo, _) in itertools.pairwise(ranges))  # disjoint, in order
    assert total == messages == sum(n for _, _, n in sizes)
    assert all(battles == 1 or chars <= 3_000 + longest for battles, chars, _ in sizes)
    stages.run_scrub(ws, stages.ScrubOptions(workers=1))
    assert _scrub_state(ws) == _scrub_state(whole)
    assert planted.encode() not in ws.db_path.read_bytes()


def test_rate_runs_blas_on_one_thread_and_gives_the_threads_back(
    piped: tuple[Workspace, dict[str, stages.StageResult]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``rate`` limits BLAS to one thread while it fits (its other core goes to the forked online Elo: measured
    faster) and restores the caller's setting afterwards."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from arenavotes.ratings import leaderboard

    ws, _ = piped
    seen: list[int] = []
    real = leaderboard.build

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
        return real(*args, **kwargs)

    monkeypatch.setattr(leaderboard, "build", spy)
    with threadpool_limits(limits=2, user_api="blas"):
        stages.run_rate(
            ws, stages.RateOptions(("genai",), scope="g1", style=False, no_categories=True, arena="text-to-image")
        )
        assert seen and set(seen) == {1}
        after = {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}
        assert after == {2}


def test_scrub_judges_for_the_gate_on_its_own_workers(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scrub's second pass (the release gate's verdicts) runs on the pool of its first: no second set of
    workers starts and loads the models again. The verdicts are those a gate pool of its own gives."""
    from arenavotes.pii import gate

    ws = Workspace.init(tmp_path / "ws")
    stages.run_ingest(ws, stages.IngestOptions((CONV,), source="conv", license="apache-2.0"))

    def no_second_pool(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("scrub started a second pool for the gate's verdicts")

    monkeypatch.setattr(gate, "gate_pool", no_second_pool)
    stages.run_scrub(ws, stages.ScrubOptions(workers=2, no_ner=True))
    monkeypatch.undo()
    from arenavotes.pii import verdicts

    with ws.connect() as con:
        texts = [r[0] for r in con.execute("SELECT DISTINCT content FROM conversations WHERE content <> ''").fetchall()]
        stored = verdicts.load(con)
        keys = [gate.verdict_key(t, ner=False) for t in texts]
        stored.prefetch(keys)
        assert len(texts) > 100 and all(k in stored for k in keys)
        with gate.gate_pool(1, False) as own:
            fresh = gate.gate_findings(texts, ner=False, pool=own)
        assert [stored[k] for k in keys] == [fresh[t] for t in texts]
