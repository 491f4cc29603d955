"""``scrub --engine ray``: the same findings and texts as the local process pool, on a local Ray cluster of
two workers (actors that load the analyzer once each). Pointing it at a real cluster is ``--ray-address``
(docs/scale.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import DATA

from arenavotes import stages
from arenavotes.workspace import Workspace

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    """One local Ray cluster of 2 worker slots for the module (starting one per test cost ~10 s each)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _twins(tmp_path: Path, path: Path) -> tuple[Workspace, Workspace]:
    """Two copies of one workspace with ``path`` ingested: one for the local engine, one for Ray."""
    base = Workspace.init(tmp_path / "base")
    stages.run_ingest(base, stages.IngestOptions((path,), source="s", license="apache-2.0"))
    return (
        Workspace.open(Path(shutil.copytree(base.path, tmp_path / "local"))),
        Workspace.open(Path(shutil.copytree(base.path, tmp_path / "ray"))),
    )


def _tables(ws: Workspace) -> dict[str, list[tuple]]:
    with ws.connect(read_only=True) as con:
        return {
            "conversations": con.sql("SELECT * FROM conversations ORDER BY ALL").fetchall(),
            "pii_findings": con.sql("SELECT * EXCLUDE (run_id) FROM pii_findings ORDER BY ALL").fetchall(),
        }


def test_scrub_texts_on_ray_equals_the_process_pool(cluster: None) -> None:
    from arenavotes.pii.scrub import scrub_texts

    texts = [f"User {i}: contact me at user{i}@example.org or +44 20 7946 {i:04d}; I'm John Smith." for i in range(40)]
    texts += ["Write a poem about the sea."] * 10
    assert scrub_texts(texts, engine="ray") == scrub_texts(texts, workers=1)
    # another configuration in the same session replaces the actors (a second set would wait forever for the
    # CPUs the first holds)
    assert scrub_texts(texts, engine="ray", ner=False) == scrub_texts(texts, workers=1, ner=False)
    assert scrub_texts(texts, engine="ray") == scrub_texts(texts, workers=1)


def test_scrub_on_a_two_worker_ray_cluster_equals_the_local_engine(tmp_path: Path, cluster: None) -> None:
    from arenavotes.pii import scrub

    local, on_ray = _twins(tmp_path, DATA / "arena-conversations-100" / "conversations.jsonl.gz")
    # pattern recognizers only, to keep the suite quick: the actors run the same Analyzer with NER on
    expected = stages.run_scrub(local, stages.ScrubOptions(workers=2, no_ner=True))
    try:
        result = stages.run_scrub(on_ray, stages.ScrubOptions(engine="ray", no_ner=True))
        assert len(scrub._RAY_ACTORS) == 1 and len(next(iter(scrub._RAY_ACTORS.values()))) == 2
    finally:
        for actors in scrub._RAY_ACTORS.values():
            for actor in actors:
                ray.kill(actor)
        scrub._RAY_ACTORS.clear()
    got, want = _tables(on_ray), _tables(local)
    assert want["pii_findings"] and got == want
    assert result.rows_in == expected.rows_in == 588
    assert {k: v for k, v in result.counts.items() if k != "seconds"} == {
        k: v for k, v in expected.counts.items() if k != "seconds"
    }


def test_embed_on_ray_data_equals_the_local_engine_and_merges_idempotently(tmp_path: Path, cluster: None) -> None:
    """``embed --engine ray``: parquet shards through Ray Data actors on a local two-worker cluster give the
    local engine's vectors bit for bit; merging the same shards again adds nothing; no shard is left behind."""
    from arenavotes.embeddings import cache
    from arenavotes.stages.embed import EmbedOptions, run_embed

    local, on_ray = _twins(tmp_path, DATA / "arena-conversations-100" / "conversations.jsonl.gz")
    assert run_embed(local, EmbedOptions()).rows_out == 100
    shards = tmp_path / "shards"
    r = run_embed(on_ray, EmbedOptions(engine="ray", shards=shards))
    assert r.rows_out == 100 and r.counts["engine"] == "ray"
    assert not any(shards.rglob("*.parquet"))  # the shards hold prompt texts: removed after the merge
    # merging the same output twice is idempotent (the merge is DuckDB's: no Ray needed to check it)
    import pyarrow.parquet as pq

    from arenavotes.embeddings.encoder import Encoder

    enc = Encoder.load()
    out = tmp_path / "out"
    out.mkdir()
    with on_ray.connect() as con:
        todo = cache.with_hashes(con, pl.DataFrame({"text": ["one more prompt", "and another"]}))
        vecs = enc.encode(todo["text"].to_list())
        table = cache.vector_table(todo["text_hash"].to_arrow(), vecs)
        pq.write_table(table, out / "part-0.parquet")
        pq.write_table(table, out / "part-1.parquet")  # the same rows twice, as a retried Ray task may write
        assert cache.merge_shards(con, out) == 2
        assert cache.merge_shards(con, out) == 0
        assert np.array_equal(cache.vectors(con, todo["text_hash"]), vecs)
        con.execute("DELETE FROM embeddings WHERE text_hash IN (SELECT unnest(?))", [todo["text_hash"].to_list()])

    def rows(ws: Workspace) -> list[tuple]:
        with ws.connect(read_only=True) as con:
            return con.sql("SELECT encoder, text_hash, vector FROM embeddings ORDER BY text_hash").fetchall()

    assert rows(on_ray) == rows(local) and len(rows(local)) == 100


def test_categorize_on_ray_data_equals_the_local_engine(tmp_path: Path, cluster: None) -> None:
    """``categorize --engine ray``: every offline labeler (the learned one too) run by Ray Data actors over
    parquet shards of the battles gives the local engine's label rows exactly; no shard is left behind."""
    from arenavotes.stages.categorize import CategorizeOptions, run_categorize

    local, on_ray = _twins(tmp_path, DATA / "arena-conversations-100" / "conversations.jsonl.gz")
    expected = run_categorize(local, CategorizeOptions())
    shards = tmp_path / "shards"
    result = run_categorize(on_ray, CategorizeOptions(engine="ray", shards=shards))
    assert shards.exists() and not any(shards.rglob("*.parquet"))  # shards hold prompt texts

    def labels(ws: Workspace) -> list[tuple]:
        with ws.connect(read_only=True) as con:
            return con.sql("SELECT * FROM prompt_labels ORDER BY ALL").fetchall()

    got, want = labels(on_ray), labels(local)
    assert len(want) > 1000 and got == want
    assert {r[1] for r in want} >= {"offline/learned@6", "offline/rules@2", "offline/language@1"}
    assert (result.rows_in, result.rows_out, result.lines[0]) == (
        expected.rows_in,
        expected.rows_out,
        expected.lines[0],
    )
    assert result.settings_hash == expected.settings_hash  # the engine changes where, never what


def _flags(ws: Workspace) -> list[tuple]:
    with ws.connect(read_only=True) as con:
        return con.sql("SELECT * EXCLUDE (run_id) FROM flags ORDER BY ALL").fetchall()


def test_dedup_on_ray_data_equals_the_local_engine(tmp_path: Path, cluster: None) -> None:
    """``dedup --engine ray``: the near-duplicate sketches computed by Ray Data actors over parquet shards of
    the distinct prompts give the local engine's flags exactly (near-duplicates among them); no shard is left."""
    from arenavotes.stages.dedup import DedupOptions, run_dedup

    local, on_ray = _twins(tmp_path, DATA / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz")
    expected = run_dedup(local, DedupOptions())
    shards = tmp_path / "shards"
    result = run_dedup(on_ray, DedupOptions(engine="ray", shards=shards))
    assert shards.exists() and not any(shards.rglob("*.parquet"))  # shards hold prompt texts
    got, want = _flags(on_ray), _flags(local)
    assert got == want and sum(1 for r in want if r[1] == "near_duplicate_prompt") >= 10
    assert result.counts == expected.counts and result.settings_hash == expected.settings_hash
