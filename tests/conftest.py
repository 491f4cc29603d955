"""Shared fixtures: paths to the bundled real data and fresh workspaces/connections."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import settings

from arenavotes import db, stages
from arenavotes.releases.build import CONFIGS
from arenavotes.releases.integrity import gate_version, write_signature
from arenavotes.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TEST_DATA = ROOT / "tests" / "data"
# the full public files (CI and developers have them beside the checkout; a user's clone may not)
SHARED = Path(os.environ.get("ARENAVOTES_SHARED_DATA", ROOT.parent / "shared" / "data"))

KEY = b"test-secret"
#: the bundled real sample with both answers of 100 conversations in 15 languages
CONV_SAMPLE = DATA / "arena-conversations-100" / "conversations.jsonl.gz"

# `make test` draws the same hypothesis examples on every run and machine (a red CI is reproducible and no run
# is red by the luck of its draw); `make fuzz` draws new ones each run, to find cases to pin with @example
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("fuzz", derandomize=False)
settings.load_profile(os.environ.get("ARENAVOTES_HYPOTHESIS", "repeatable"))


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """An in-memory database with the canonical tables."""
    c = db.connect(None)
    yield c
    c.close()


def shared(path: str) -> Path:
    """A file of ../shared/data, or skip the test when that folder is absent (a user's clone)."""
    p = SHARED / path
    if not p.exists():
        pytest.skip(f"{p} not available")
    return p


def planted_workspace(path: Path, planted: str, *, repeats: int = 0) -> Workspace:
    """A workspace at ``path`` holding the bundled arena-conversations-100 sample (names off, so stages are quick),
    with `` Write to <planted> for details.`` appended to the answers of its first five battles (the secret an
    attack test looks for); ``repeats`` of its last battles are given the first battle's question, as repeats for
    dedup to flag."""
    ws = Workspace.init(path)
    ws.settings_path.write_text(ws.settings_path.read_text().replace("# ner = true", "ner = false"))
    stages.run_ingest(ws, stages.IngestOptions((CONV_SAMPLE,), source="conv", license="apache-2.0"))
    with ws.connect() as con:
        con.execute(
            "UPDATE conversations SET content = content || ? WHERE role = 'assistant' AND battle_id IN "
            "(SELECT DISTINCT battle_id FROM conversations ORDER BY 1 LIMIT 5)",
            [f" Write to {planted} for details."],
        )
        if repeats:
            con.execute(
                "UPDATE conversations SET content = (SELECT content FROM conversations WHERE role = 'user' "
                "ORDER BY battle_id, side, msg LIMIT 1) WHERE role = 'user' AND battle_id IN "
                "(SELECT DISTINCT battle_id FROM conversations ORDER BY 1 DESC LIMIT ?)",
                [repeats],
            )
        con.execute("CHECKPOINT")
    return ws


EXE = shutil.which("arenavotes") or str(Path(sys.executable).parent / "arenavotes")


def first_conversations(tmp_path: Path, n: int) -> Path:
    """The first ``n`` records of the bundled arena-conversations-100 sample as a JSON-lines file: the CLI
    tests that run name-finding (a spaCy pass over every prompt and answer) keep their minutes down on a
    slice of the real file; the whole file is ingested, scrubbed and released by the demo and other tests."""
    import gzip

    out = tmp_path / f"conversations-{n}.jsonl"
    with gzip.open(CONV_SAMPLE, "rt", encoding="utf-8") as fh:
        out.write_text("".join(line for _, line in zip(range(n), fh, strict=False)), encoding="utf-8")
    return out


def run(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed ``arenavotes`` script, as a user runs it (a subprocess with a bare environment)."""
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        timeout=300,
        env={"PATH": str(Path(EXE).parent), "HOME": str(cwd or Path.cwd())},
    )


# -- a tiny release, made by hand (the SQL and publish safety tests attack it) ---------------------------

GATE = gate_version(threshold=0.7, ner=False)


# -- a tiny workspace and release, made by hand ----------------------------------------------------------


def tables() -> dict[str, pa.Table]:
    """The release configs with the workspace's columns (flags, leaderboard and images left empty)."""
    con = db.connect(None)
    con.execute("""INSERT INTO battles (battle_id, source, tstamp, model_a, model_b, winner, voter_id, anony, language)
                   VALUES ('s:1', 's', '2024-07-01 10:00:00+00', 'm1', 'm2', 'model_a', 'j1', true, 'English'),
                          ('s:2', 's', '2024-07-02 10:00:00+00', 'm2', 'm3', 'tie', 'j2', true, 'English'),
                          ('s:3', 's', '2024-07-02 11:00:00+00', 'm1', 'm3', 'model_b', 'j1', true, 'German')""")
    con.execute(
        "INSERT INTO conversations VALUES ('s:1', 'a', 1, 1, 'user', 'what is 2+2?'), "
        "('s:1', 'a', 2, 1, 'assistant', '4')"
    )
    con.execute(
        "INSERT INTO prompt_labels VALUES ('s:1', 'source/x', 'math', true, NULL), "
        "('s:2', 'source/x', 'math', false, NULL)"
    )
    out = {
        "battles": con.sql("SELECT * FROM battles ORDER BY battle_id").to_arrow_table(),
        "conversations": con.sql("SELECT * FROM conversations ORDER BY ALL").to_arrow_table(),
        "prompt_labels": con.sql("SELECT * FROM prompt_labels ORDER BY ALL").to_arrow_table(),
        "flags": con.sql(
            "SELECT battle_id, flag, detector, score, reason, true AS excluded FROM flags"
        ).to_arrow_table(),
        "leaderboard": con.sql("SELECT * EXCLUDE (run_id) FROM leaderboards").to_arrow_table(),
        "images": con.sql("SELECT i.*, d.data FROM images i JOIN image_data d USING (image_id)").to_arrow_table(),
        "message_images": con.sql("SELECT * FROM message_images").to_arrow_table(),
    }
    con.close()
    return out


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_release(
    path: Path, key: bytes | None, *, extra: dict[str, bytes] | None = None, gate: str | None = GATE
) -> Path:
    """A release folder as the build writes it: parquet per non-empty config, card, changelog, manifest with
    the sha256 and size of every file, and (with ``key``) manifest.sig."""
    path.mkdir(parents=True)
    files: dict[str, str] = {}
    t = tables()
    for config in CONFIGS:
        if t[config].num_rows:
            rel = f"data/{config}/train-00000-of-00001.parquet"
            (path / rel).parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(t[config], path / rel)
    (path / "README.md").write_text(f"# Arena votes {path.name}\n")
    (path / "CHANGELOG.md").write_text("first release\n")
    for rel, data in (extra or {}).items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_bytes(data)
    for p in sorted(path.rglob("*")):
        if p.is_file():
            files[p.relative_to(path).as_posix()] = sha(p)
    manifest = {
        "version": path.name,
        "files": files,
        "sizes": {r: (path / r).stat().st_size for r in files},
        "schemas": {c: [{"name": f.name, "type": str(f.type)} for f in t[c].schema] for c in CONFIGS},
        "rows": {c: t[c].num_rows for c in CONFIGS},
    }
    if gate is not None:
        manifest["pii_gate"] = {"version": gate, "passed": True}
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    if key is not None:
        write_signature(path, key)
    return path


def snapshot(root: Path) -> dict[str, str]:
    """Every file below ``root`` (hidden ones and .git too) with its sha256; links as their target."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = sha(p)
        else:
            out[rel] = "dir"
    return out
