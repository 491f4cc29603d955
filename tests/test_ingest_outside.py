"""Logs nobody on the project wrote go in as they are: real outside files with flags only (the commands of
docs/ingest.md), and the named public arena formats on fixtures written from their published schemas."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import polars as pl
import pytest
from conftest import KEY, TEST_DATA, run

from arenavotes import db
from arenavotes.ingest import ingest_file
from arenavotes.ingest.mapping import ReadOptions

OUTSIDE = TEST_DATA / "outside"
SCHEMAS = TEST_DATA / "schemas"


def _counts(ws: Path, sql: str) -> list[str]:
    out = run("sql", "-w", str(ws), "--format", "csv", sql)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_copilot_arena_sample_is_detected_and_read_whole(tmp_path: Path) -> None:
    f = OUTSIDE / "copilot-arena" / "copilot_arena_examples_v1.csv"
    ws = tmp_path / "ws"
    out = run("ingest", "-w", str(ws), str(f))
    assert out.returncode == 0, out.stderr
    assert "(copilot-arena): 112 records -> 112 battles, 0 quarantined" in out.stdout
    rows = pl.read_csv(f, infer_schema=False)  # polars reads the 112 records too
    counts = _counts(ws, "SELECT arena, winner, count(*) FROM battles GROUP BY ALL ORDER BY ALL")
    want = rows["acceptedIndex"].value_counts().sort("acceptedIndex")["count"].to_list()
    assert counts == [
        "arena,winner,count_star()",
        f"code-completion,model_a,{want[0]}",
        f"code-completion,model_b,{want[1]}",
    ]
    # the record whose unquoted prefix ends in a bare CR is whole: its prompt starts with that prefix
    prompt = _counts(
        ws, "SELECT count(*) FROM prompts WHERE starts_with(content, 'from tkinter import*    ' || chr(13))"
    )
    assert prompt == ["count_star()", "1"]
    # CRLF line ends inside quoted fields are kept as they are
    crlf = _counts(ws, "SELECT count(*) > 0 FROM conversations WHERE strpos(content, chr(13) || chr(10)) > 0")
    assert crlf[-1] == "true"


def test_copilot_arena_generic_flags_give_the_same_battles(tmp_path: Path) -> None:
    f = OUTSIDE / "copilot-arena" / "copilot_arena_examples_v1.csv"
    ws = tmp_path / "ws"
    flags = [
        "--map", "prompt=prefix", "--map", "response_a=completion_a", "--map", "response_b=completion_b",
        "--map", "winner=acceptedIndex", "--winner-map", "0=model_a,1=model_b", "--arena", "code-completion",
        "--format", "generic",
    ]  # fmt: skip
    out = run("ingest", "-w", str(ws), str(f), *flags)
    assert out.returncode == 0 and "112 records -> 112 battles, 0 quarantined" in out.stdout, out.stderr


def test_alpacaeval_annotations(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    for name, ties in (("claude-2.1", 2), ("alpaca-7b", 3)):
        f = OUTSIDE / "alpacaeval" / name / "annotations.json"
        raw = json.loads(f.read_text())
        out = run("ingest", "-w", str(ws), "--source", name, str(f))
        assert out.returncode == 0, out.stderr
        assert f"(alpacaeval): {len(raw)} records -> {len(raw)} battles, 0 quarantined" in out.stdout
        want = {
            "model_a": sum(r["preference"] < 1.5 for r in raw),
            "model_b": sum(r["preference"] > 1.5 for r in raw),
            "tie": sum(r["preference"] == 1.5 for r in raw),
        }
        assert want["tie"] == ties
        got = _counts(ws, f"SELECT winner, count(*) FROM battles WHERE source = '{name}' GROUP BY 1 ORDER BY 1")
        assert got[1:] == [f"{k},{v}" for k, v in sorted(want.items())]
    # instruction and both outputs are the conversation
    assert _counts(ws, "SELECT count(DISTINCT side) FROM conversations")[-1] == "2"


def test_prd_with_flags_only(tmp_path: Path) -> None:
    f = OUTSIDE / "prd" / "experts_pairwise_human_preferences.jsonl"
    ws = tmp_path / "ws"
    out = run("ingest", "-w", str(ws), str(f))  # no format fits: the error names the flags
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "--map model_a=answer_a_type --map model_b=answer_b_type" in out.stderr
    assert "--map winner=overall_preference --winner-map '-1=?,1=?'" in out.stderr
    flags = [
        "--map", "model_a=answer_a_type", "--map", "model_b=answer_b_type", "--map", "prompt=question",
        "--map", "response_a=answer_a", "--map", "response_b=answer_b", "--map", "winner=overall_preference",
        "--winner-map", "-1=model_a,1=model_b",
    ]  # fmt: skip
    out = run("ingest", "-w", str(ws), str(f), *flags)
    assert out.returncode == 0, out.stderr
    assert "260 records -> 145 battles, 115 quarantined (same_model 115)" in out.stdout
    rows = [json.loads(line) for line in f.read_text().splitlines()]
    kept = [r for r in rows if r["answer_a_type"] != r["answer_b_type"]]
    got = _counts(ws, "SELECT winner, count(*) FROM battles GROUP BY 1 ORDER BY 1")
    assert got[1:] == [
        f"model_a,{sum(r['overall_preference'] == -1 for r in kept)}",
        f"model_b,{sum(r['overall_preference'] == 1 for r in kept)}",
    ]


@pytest.mark.parametrize(
    ("name", "fmt", "arena", "kept", "quarantined"),
    [
        ("search-arena", "search-arena", "search", 4, {"not_a_vote": 1}),
        ("vision-arena", "vision-arena", "vision", 4, {}),
        ("webdev-arena", "webdev-arena", "webdev", 5, {}),
        ("wsdm-cup", "wsdm-cup", "text", 5, {}),
        ("arena-55k", "arena-55k", "text", 5, {}),
    ],
)
def test_named_formats_from_their_published_schema(
    con, name: str, fmt: str, arena: str, kept: int, quarantined: dict[str, int]
) -> None:
    r = ingest_file(con, SCHEMAS / name / "fixture.jsonl", key=KEY)
    assert (r.format, r.kept, r.quarantined) == (fmt, kept, quarantined)
    assert con.sql("SELECT DISTINCT arena FROM battles").fetchall() == [(arena,)]
    assert con.sql("SELECT count(*) FROM conversations WHERE role = 'assistant'").fetchall()[0][0] >= kept


def test_search_arena_counts_citations_per_side(con) -> None:
    ingest_file(con, SCHEMAS / "search-arena" / "fixture.jsonl", key=KEY)
    rows = [json.loads(line) for line in (SCHEMAS / "search-arena" / "fixture.jsonl").read_text().splitlines()]
    want = sorted(
        (
            sum(len(t or []) for t in r["system_a_metadata"]["web_search_trace"] or []),
            sum(len(t or []) for t in r["system_b_metadata"]["web_search_trace"] or []),
        )
        for r in rows
        if r["winner"] is not None
    )
    assert sorted(con.sql("SELECT citations_a, citations_b FROM battles").fetchall()) == want


def test_webdev_answers_keep_the_generated_code(con) -> None:
    ingest_file(con, SCHEMAS / "webdev-arena" / "fixture.jsonl", key=KEY)
    texts = [t for (t,) in con.sql("SELECT content FROM conversations WHERE role = 'assistant'").fetchall()]
    assert texts and all("```" in t for t in texts)


def test_vision_arena_images_are_stored_once_by_hash(con) -> None:
    f = SCHEMAS / "vision-arena" / "fixture.jsonl"
    ingest_file(con, f, key=KEY)
    rows = [json.loads(line) for line in f.read_text().splitlines()]
    distinct = {img["bytes"] for r in rows for img in r["images"]}
    images = con.sql("SELECT image_id, mime, n_bytes FROM images ORDER BY 1").fetchall()
    assert len(images) == len(distinct) and all(m == "image/png" and n > 0 for _, m, n in images)
    assert con.sql("SELECT count(*) FROM image_data").fetchall()[0][0] == len(distinct)
    # never inline in the text
    assert con.sql("SELECT count(*) FROM conversations WHERE strpos(content, 'iVBOR') > 0").fetchall()[0][0] == 0
    # each battle's images are linked to the first user message of both sides
    links = con.sql("SELECT count(DISTINCT battle_id), min(msg), max(msg) FROM message_images").fetchall()[0]
    assert links == (len(rows), 1, 1)


def _png(seed: int) -> str:
    raw = b"\x89PNG\r\n\x1a\n" + bytes(8) + (seed + 1).to_bytes(4, "big") + (2).to_bytes(4, "big") + bytes([seed]) * 8
    return base64.b64encode(raw).decode()


def _vision_log(path: Path) -> Path:
    recs = []
    for i in range(4):
        url = f"data:image/png;base64,{_png(i)}"
        user = {
            "role": "user",
            "content": [{"type": "text", "text": f"what is {i}?"}, {"type": "image_url", "image_url": {"url": url}}],
        }
        recs.append(
            {
                "question_id": f"q{i}",
                "model_a": "m1",
                "model_b": "m2",
                "winner": "model_a",
                "conversation_a": [user, {"role": "assistant", "content": "a"}],
                "conversation_b": [user, {"role": "assistant", "content": "b"}],
            }
        )
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    return path


def test_images_ship_only_after_review(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    f = _vision_log(tmp_path / "vis.jsonl")
    assert run("ingest", "-w", str(ws), str(f), "--arena", "vision").returncode == 0
    assert run("scrub", "-w", str(ws), "--no-ner").returncode == 0
    out = run("images", "-w", str(ws))
    assert out.returncode == 0 and "vision" in out.stdout
    # without --include-images: no image, and the card says so
    out = run("release", "-w", str(ws), "v1", "--date", "2026-11-30", "--allow-missing", "dedup")
    assert out.returncode == 0, out.stderr
    assert not (ws / "releases" / "v1" / "data" / "images").exists()
    assert "ships none of them" in (ws / "releases" / "v1" / "README.md").read_text()
    # the review list approves nothing until a line is uncommented
    out = run("images", "-w", str(ws), "--review", str(tmp_path / "rev"))
    assert out.returncode == 0 and "4 images written" in out.stdout
    listed = (tmp_path / "rev" / "approved.txt").read_text().splitlines()
    ids = [line.split()[1] for line in listed if line.startswith("# sha256:")]
    assert len(ids) == 4 and "data:image/png;base64," in (tmp_path / "rev" / "index.html").read_text()
    out = run(
        "release",
        "-w",
        str(ws),
        "v2",
        "--date",
        "2026-11-30",
        "--allow-missing",
        "dedup",
        "--include-images",
        str(tmp_path / "rev" / "approved.txt"),
    )
    assert out.returncode == 0 and "images 0" in out.stdout, out.stderr
    approved = tmp_path / "approved.txt"
    approved.write_text(
        "\n".join(line.removeprefix("# ") if ids[0] in line or ids[2] in line else line for line in listed)
    )
    out = run(
        "release",
        "-w",
        str(ws),
        "v3",
        "--date",
        "2026-11-30",
        "--allow-missing",
        "dedup",
        "--allow-missing",
        "dedup",
        "--include-images",
        str(approved),
    )
    assert out.returncode == 0, out.stderr
    shipped = pl.read_parquet(ws / "releases" / "v3" / "data" / "images" / "*.parquet")
    assert sorted(shipped["image_id"].to_list()) == sorted([ids[0], ids[2]])
    manifest = json.loads((ws / "releases" / "v3" / "manifest.json").read_text())
    assert manifest["images"]["shipped"] == 2 and manifest["images"]["not_approved"] == 2
    links = pl.read_parquet(ws / "releases" / "v3" / "data" / "message_images" / "*.parquet")
    assert set(links["image_id"]) == set(shipped["image_id"])


def test_search_boards_control_for_citations() -> None:
    """On search battles the style-control fit adds the citation count; a true preference for citing more
    is found with the right sign."""
    import numpy as np

    from arenavotes.ratings.style import board_features, fit_style

    rng = np.random.default_rng(7)
    n = 3000
    models = ["s1", "s2", "s3", "s4"]
    a = rng.integers(0, 4, n)
    b = (a + rng.integers(1, 4, n)) % 4
    ca, cb = rng.integers(0, 8, n), rng.integers(0, 8, n)
    x = (ca - cb) / (ca + cb + 1)
    p = 1 / (1 + np.exp(-(1.2 * x)))
    win = np.where(rng.random(n) < p, "model_a", "model_b")
    frame = pl.DataFrame(
        {
            "model_a": [models[i] for i in a],
            "model_b": [models[i] for i in b],
            "winner": win,
            **{f"{f}_{s}": rng.integers(1, 50, n) for f in ("tokens", "headers", "lists", "bold") for s in "ab"},
            "citations_a": ca,
            "citations_b": cb,
        }
    )
    features = board_features(frame)
    assert features[-1] == "citations"
    fit = fit_style(frame, features=features)
    coef = dict(zip(fit.features, fit.coef, strict=True))
    assert coef["citations"] > 0.2 and abs(coef["tokens"]) < 0.1
    text_only = frame.with_columns(citations_a=pl.lit(None, pl.Int64))
    assert "citations" not in board_features(text_only)


def test_old_style_read_options_still_work(con) -> None:
    """ingest_file's format_name/container/mapping shorthands are the same as ReadOptions."""
    f = OUTSIDE / "prd" / "experts_pairwise_human_preferences.jsonl"
    mapping = {"model_a": "answer_a_type", "model_b": "answer_b_type", "winner": "overall_preference"}
    c2 = db.connect(None)
    r1 = ingest_file(con, f, key=KEY, read=ReadOptions(fields=mapping, winner_map={"-1": "a", "1": "b"}))
    with pytest.raises(Exception, match="none of its 260 records"):
        ingest_file(c2, f, key=KEY, mapping=mapping)  # without the winner map: unknown winners, refused
    assert r1.kept == 145


def test_parquet_image_structs_keep_their_exact_bytes(tmp_path: Path, con) -> None:
    """Hub image columns are parquet structs {bytes, path}: the bytes are stored exactly (same sha256)."""
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    pngs = [base64.b64decode(_png(i)) + bytes([92, 0, 255]) for i in range(3)]  # a backslash, NUL and 0xff too
    conv = [[{"role": "user", "content": "what?"}, {"role": "assistant", "content": "red"}]]
    table = pa.table(
        {
            "question_id": [f"q{i}" for i in range(3)],
            "model_a": ["a", "b", "a"],
            "model_b": ["b", "a", "c"],
            "winner": ["model_a", "tie", "model_b"],
            "conversation_a": [conv] * 3,
            "conversation_b": [conv] * 3,
            "images": [[{"bytes": p, "path": None}] for p in pngs],
        }
    )
    pq.write_table(table, tmp_path / "battles.parquet")
    r = ingest_file(con, tmp_path / "battles.parquet", key=KEY)
    assert (r.format, r.kept) == ("vision-arena", 3)
    stored = dict(con.sql("SELECT image_id, data FROM image_data").fetchall())
    assert stored == {"sha256:" + hashlib.sha256(p).hexdigest(): p for p in pngs}
