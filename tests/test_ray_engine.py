"""``scrub --engine ray``: the same findings and texts as the local process pool, on a local Ray cluster of
two workers (actors that load the analyzer once each). Pointing it at a real cluster is ``--ray-address``
(docs/scale.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import DATA

from arenavotes import stages
from arenavotes.workspace import Workspace

ray = pytest.importorskip("ray")


def _tables(ws: Workspace) -> dict[str, list[tuple]]:
    with ws.connect(read_only=True) as con:
        return {
            "conversations": con.sql("SELECT * FROM conversations ORDER BY ALL").fetchall(),
            "pii_findings": con.sql("SELECT * EXCLUDE (run_id) FROM pii_findings ORDER BY ALL").fetchall(),
        }


def test_scrub_on_a_two_worker_ray_cluster_equals_the_local_engine(tmp_path: Path) -> None:
    from arenavotes.pii import scrub

    base = Workspace.init(tmp_path / "base")
    path = DATA / "arena-conversations-100" / "conversations.jsonl.gz"
    stages.run_ingest(base, stages.IngestOptions((path,), source="a100", license="apache-2.0"))
    local = Workspace.open(Path(shutil.copytree(base.path, tmp_path / "local")))
    on_ray = Workspace.open(Path(shutil.copytree(base.path, tmp_path / "ray")))
    # pattern recognizers only, to keep the suite quick: the actors run the same Analyzer with NER on
    expected = stages.run_scrub(local, stages.ScrubOptions(workers=2, no_ner=True))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)  # a local cluster: 2 worker slots
    try:
        result = stages.run_scrub(on_ray, stages.ScrubOptions(engine="ray", no_ner=True))
        assert len(scrub._RAY_ACTORS) == 1 and len(next(iter(scrub._RAY_ACTORS.values()))) == 2
    finally:
        scrub._RAY_ACTORS.clear()
        ray.shutdown()
    got, want = _tables(on_ray), _tables(local)
    assert want["pii_findings"] and got == want
    assert result.rows_in == expected.rows_in == 588
    assert {k: v for k, v in result.counts.items() if k != "seconds"} == {
        k: v for k, v in expected.counts.items() if k != "seconds"
    }
