"""The shared text encoder and the workspace's embedding cache.

Promises: an embedding depends on its text alone (not on the batch, its size or order), to the last bit;
the shipped artifact is the one its model card describes; each distinct text is encoded once per encoder;
a rewritten text (scrub) gets a new row; vectors come back in the order asked.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes import db
from arenavotes.embeddings import cache
from arenavotes.embeddings.encoder import MAX_TOKENS, Encoder, data_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def enc() -> Encoder:
    return Encoder.load()


def real_prompts(n: int = 300) -> list[str]:
    with gzip.open(ROOT / "data" / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz", "rt") as f:
        return ["\n".join(json.loads(line)["turns"]) for line in f][:n]


def test_artifact_is_small_and_described(enc: Encoder) -> None:
    folder = data_dir()
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert size <= 30e6, size  # the limit for a shipped model
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert enc.name == "minilm-static@1" and enc.name in card
    assert "Apache" in (folder / "LICENSE").read_text(encoding="utf-8")
    assert enc.dims == 256 and enc.vectors.shape == (enc.tokenizer.get_vocab_size(), 256)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=300), min_size=1, max_size=12), st.integers(1, 5))
def test_embedding_depends_on_its_text_alone(enc: Encoder, texts: list[str], split: int) -> None:
    """Batches, their size and order never change a row, to the last bit."""
    whole = enc.encode(texts)
    for i, t in enumerate(texts):
        assert np.array_equal(enc.encode([t])[0], whole[i])
    rev = enc.encode(texts[::-1])[::-1]
    assert np.array_equal(rev, whole)
    cut = min(split, len(texts))
    assert np.array_equal(np.vstack([enc.encode(texts[:cut]), enc.encode(texts[cut:])]), whole)
    norms = np.linalg.norm(whole, axis=1)
    assert np.all((np.abs(norms - 1) < 1e-5) | (norms == 0))


def test_the_encoders_own_batches_do_not_change_a_row(enc: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    """``encode`` tokenizes :data:`~arenavotes.embeddings.encoder.BATCH` texts at a time (a memory bound): rows
    are the same to the last bit with batches of 3 as with one batch of all."""
    import arenavotes.embeddings.encoder as encoder_module

    texts = [f"Question {i}: how do I sort {i} items in Rust? " * (i % 4 + 1) for i in range(11)] + ["", "日本語"]
    whole = enc.encode(texts)
    monkeypatch.setattr(encoder_module, "BATCH", 3)
    assert np.array_equal(enc.encode(texts), whole)


def test_real_prompts_meaning_and_edge_cases(enc: Encoder) -> None:
    v = enc.encode(
        [
            "Write a Python function that sorts a list of numbers",
            "How can I sort an array in JavaScript?",
            "Write a poem about the autumn rain",
            "Compose a short poem about falling leaves",
            "",
            None,
            "🙂" * 50,
            "x" * 1_000_000,  # a pasted megabyte is cut, not a crash
        ]
    )
    assert v[0] @ v[1] > v[0] @ v[2] and v[2] @ v[3] > v[2] @ v[1]
    assert not v[4].any() and not v[5].any()
    assert np.isfinite(v).all()
    long = "word " * (MAX_TOKENS * 3)
    assert np.array_equal(enc.encode([long])[0], enc.encode(["word " * MAX_TOKENS + "other text " * 100])[0])


def test_rows_equal_model2vec_reference(enc: Encoder) -> None:
    """A golden file of model2vec's own embeddings (made by tools/build_encoder.py's check): the shipped
    encoder reproduces them."""
    gold = np.load(ROOT / "tests" / "data" / "encoder_golden.npz")
    texts = real_prompts(int(gold["n"]))
    ours = enc.encode(texts)
    cos = np.sum(ours[: len(gold["ref"])] * gold["ref"], axis=1)
    assert cos.min() >= 0.999


def test_cache_encodes_each_text_once_and_keeps_order(enc: Encoder) -> None:
    con = db.connect(None)
    texts = pl.DataFrame({"text": ["a poem", "sort a list", "a poem", None]})
    keyed = cache.with_hashes(con, texts)
    assert keyed["text_hash"][0] == hashlib.sha256(b"a poem").hexdigest()
    assert keyed["text_hash"][3] == hashlib.sha256(b"").hexdigest()
    assert cache.ensure(con, keyed, enc) == 3
    assert cache.ensure(con, keyed, enc) == 0
    assert con.sql("SELECT count(*) FROM embeddings").fetchall() == [(3,)]
    got = cache.vectors(con, keyed["text_hash"][::-1], enc)
    assert np.array_equal(got, enc.encode(["", "a poem", "sort a list", "a poem"]))
    with pytest.raises(KeyError):
        cache.vectors(con, ["0" * 64], enc)


def test_cache_follows_scrub_and_prompt_batches(tmp_path: Path) -> None:
    """The prompt of a battle is its user turns joined; a scrubbed (rewritten) prompt is a new row, the old
    row stays (content-addressed) and nothing is encoded twice."""
    from tests.conftest import run

    data = tmp_path / "b.jsonl"
    rows = [
        {"model_a": "x", "model_b": "y", "winner": "model_a", "prompt": ["Call me at 555-123-4567", "thanks"]},
        {"model_a": "x", "model_b": "y", "winner": "model_b", "prompt": "Write a poem"},
        {"model_a": "y", "model_b": "x", "winner": "tie", "prompt": "Write a poem"},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ws = tmp_path / "ws"
    assert run("init", str(ws)).returncode == 0
    assert run("ingest", "-w", str(ws), "--source", "s", str(data)).returncode == 0
    from arenavotes.workspace import Workspace

    w = Workspace.open(ws)
    with w.connect() as con:
        keyed = pl.concat(list(cache.prompt_vectors(con, ["s"])))
        assert sorted(keyed["text"].to_list()) == ["Call me at 555-123-4567\nthanks", "Write a poem", "Write a poem"]
        assert con.sql("SELECT count(*) FROM embeddings").fetchall() == [(2,)]
    assert run("scrub", "-w", str(ws), "--no-ner").returncode == 0
    with w.connect() as con:
        keyed = pl.concat(list(cache.prompt_vectors(con, ["s"])))
        assert not any("555-123-4567" in t for t in keyed["text"].to_list())
        assert con.sql("SELECT count(*) FROM embeddings").fetchall() == [(3,)]


def test_read_only_connections_encode_in_memory(tmp_path: Path, enc: Encoder) -> None:
    """A report over a read-only workspace (release --report) still gets vectors: cached ones are read, new
    ones are encoded in memory, and nothing is written."""
    path = tmp_path / "arena.duckdb"
    con = db.connect(path)
    cached = cache.with_hashes(con, pl.DataFrame({"text": ["a poem"]}))
    cache.ensure(con, cached, enc)
    con.close()
    ro = db.connect(path, read_only=True)
    assert not cache.writable(ro)
    both = cache.with_hashes(ro, pl.DataFrame({"text": ["sort a list", "a poem"]}))
    got = cache.vectors_for(ro, both, enc)
    assert np.array_equal(got, enc.encode(["sort a list", "a poem"]))
    assert ro.sql("SELECT count(*) FROM embeddings").fetchall() == [(1,)]


def test_a_batch_reads_the_cache_only_while_reading_is_cheaper_than_encoding(
    enc: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lookup scans the whole table, so ``vectors_for`` reads cached vectors only while the table has fewer
    than ``read_rows_per_text`` rows per text read, and encodes otherwise (the cache neither read nor written).
    The vectors are the same bits every way, duplicates included, in the order asked."""
    con = db.connect(None)
    prompts = real_prompts(60)
    texts = cache.with_hashes(con, pl.DataFrame({"text": prompts + prompts[:7]}))
    want = enc.encode(texts["text"].to_list())
    lookups = []
    real_vectors = cache.vectors
    monkeypatch.setattr(cache, "vectors", lambda *a, **k: lookups.append(len(a[1])) or real_vectors(*a, **k))
    rows = lambda: con.sql("SELECT count(*) FROM embeddings").fetchall()[0][0]  # noqa: E731

    assert np.array_equal(cache.vectors_for(con, texts, enc), want)  # cold: encoded, kept, not read back
    distinct = len(set(prompts))
    assert (rows(), lookups) == (distinct, [])
    assert np.array_equal(cache.vectors_for(con, texts, enc), want)  # warm: read, once per distinct text
    assert (rows(), lookups) == (distinct, [distinct])
    # ten distinct texts, nine of them cached: at 5 table rows per text a scan is not worth it (56 >= 5 x 10),
    # so they are encoded and nothing is written
    nine = list(dict.fromkeys(prompts))[:9]
    few = cache.with_hashes(con, pl.DataFrame({"text": [*nine, "a text the cache has never seen"]}))
    fresh = enc.encode(few["text"].to_list())
    assert distinct == 56 and np.array_equal(cache.vectors_for(con, few, enc, read_rows_per_text=5), fresh)
    assert (rows(), lookups) == (distinct, [distinct])
    # at 6 per text the ten are worth one (56 < 60), the nine cached ones are not (56 >= 54): encoded, the new
    # text kept
    assert np.array_equal(cache.vectors_for(con, few, enc, read_rows_per_text=6), fresh)
    assert (rows(), lookups) == (distinct + 1, [distinct])
    # and at 6 per text, with all ten cached now (57 < 60), they are read
    assert np.array_equal(cache.vectors_for(con, few, enc, read_rows_per_text=6), fresh)
    assert lookups == [distinct, 10]
    assert cache.vectors_for(con, texts.head(0), enc).shape == (0, enc.dims)


def test_embed_command_encodes_once_and_records_runs(tmp_path: Path) -> None:
    from tests.conftest import run

    ws = tmp_path / "ws"
    assert run("init", str(ws)).returncode == 0
    data = ROOT / "data" / "arena-conversations-100" / "conversations.jsonl.gz"
    assert run("ingest", "-w", str(ws), "--source", "a100", str(data)).returncode == 0
    first = run("embed", "-w", str(ws))
    assert first.returncode == 0 and "100 encoded (local), 0 already cached" in first.stdout, (
        first.stdout + first.stderr
    )
    second = run("embed", "-w", str(ws))
    assert "0 encoded (local), 100 already cached" in second.stdout
    r = run("sql", "-w", str(ws), "select rows_out from runs where stage = 'embed' order by started", "--format", "csv")
    assert r.stdout.split() == ["rows_out", "100", "0"]
    bad = run("embed", "-w", str(ws), "--engine", "spark")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
