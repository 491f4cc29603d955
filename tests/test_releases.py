"""Releases: Hub layout loadable with `datasets` offline, reproducible to the byte, atomic, PII-gated, published.

The workspace the releases are built from is made once per module (ingest, scrub, dedup, categorize, rate);
every test gets its own copy of it (``ws``), so a test may change its data or leave releases behind without
another test seeing it, and the tests pass in any order and alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from conftest import DATA, first_conversations, run
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes.errors import UserError
from arenavotes.pii.gate import check_paths
from arenavotes.privacy import SECRET_FILE
from arenavotes.releases.build import CONFIGS, ReleaseSpec, build, read_manifest, verify
from arenavotes.workspace import Workspace

SETTINGS = "[pii]\nner = false\n"  # pattern recognizers only: fast; the CLI test below runs names too


def _gate(path: Path) -> list:
    return check_paths([path], ner=False)


@pytest.fixture(scope="module")
def built_ws(tmp_path_factory) -> Workspace:
    """The workspace every test starts from; tests use a copy of it (``ws``) and never change this one."""
    from arenavotes import provenance
    from arenavotes.categories import label
    from arenavotes.categories.store import load_features, replace_labels
    from arenavotes.dedup import detect
    from arenavotes.dedup.store import load_source, replace_flags
    from arenavotes.ingest import ingest_file
    from arenavotes.pii.scrub import scrub_texts
    from arenavotes.pii.store import findings_frame, unscrubbed, write_scrubbed

    w = Workspace.init(tmp_path_factory.mktemp("rel") / "ws")
    (w.path / "arenavotes.toml").write_text(SETTINGS)
    # a fixed key in the workspace's key file (setting $ARENAVOTES_SECRET would leak into other test modules)
    fd = os.open(w.path / SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(b"release-tests".hex() + "\n")
    with w.connect() as con:
        for src, path in [
            ("genai", DATA / "genai-arena-20240220" / "clean_battle_20240220.json.gz"),
            ("a100", DATA / "arena-conversations-100" / "conversations.jsonl.gz"),
        ]:
            ingest_file(con, path, key=w.secret(), source=src)
        msgs = unscrubbed(con, ["a100"])
        new, found = scrub_texts(msgs["content"].to_list(), workers=1, ner=False)
        write_scrubbed(con, msgs, new, findings_frame(msgs, found), "r", keep_raw=False)
        con.execute("INSERT INTO scrubbed SELECT battle_id, 'r' FROM battles WHERE source = 'genai'")
        provenance.record(con, ["genai", "a100"], "scrub", "r", "test")
        for src in ("genai", "a100"):
            b, t, a = load_source(con, src)
            replace_flags(con, src, detect(b, t, a, w.settings().dedup).flags, "d")
            provenance.record(con, [src], "dedup", "d", "test")
        p, m, a = load_features(con, ["a100"])
        rows = label(p, m, a)
        replace_labels(con, ["a100"], rows, rows["labeler"].unique().to_list())
        from arenavotes.ratings import RatingParams, store
        from arenavotes.ratings import leaderboard as lb

        battles = store.load_battles(con, ["genai"], anony_only=True)
        out = lb.build(battles, pl.DataFrame(schema=lb.LABEL_SCHEMA), RatingParams(compat="fastchat-2024"))
        store.write(con, "genai|anony", out, "rate")
    return w


@pytest.fixture
def ws(built_ws: Workspace, tmp_path: Path) -> Workspace:
    """This test's own copy of the built workspace (a few MB: copying takes milliseconds, building seconds)."""
    return Workspace.open(Path(shutil.copytree(built_ws.path, tmp_path / "ws")))


def _build(w: Workspace, version: str, **kw) -> Path:
    spec = ReleaseSpec(
        version,
        kw.pop("parent", None),
        ("a100", "genai"),
        kw.pop("exclude", ("duplicate_vote",)),
        release_date="2024-08-20",
        **kw,
    )
    with w.connect() as con:
        return build(con, w.path, spec, w.secret(), w.settings().to_dict(), gate=_gate)


def _screened_build(
    w: Workspace, spec: ReleaseSpec, *, streamed: bool = True, withheld: list[str] | None = None
) -> Path:
    """Build ``spec`` with the PII screen as the release stage runs it (verdicts cached in the workspace);
    ``streamed``: the texts read with their cached verdicts from one join, as the stage reads them."""
    from arenavotes.pii import verdicts
    from arenavotes.releases import build as build_mod

    with w.connect() as con:
        cache = verdicts.load(con)
        return build(
            con,
            w.path,
            spec,
            w.secret(),
            w.settings().to_dict(),
            gate=_gate,
            screen=lambda t: verdicts.screen(t, cache, threshold=0.7, ner=False),
            read_texts=(
                lambda cur, sql: verdicts.stream(con, cache, sql, ner=False, batch=build_mod.SCREEN_BATCH, cursor=cur)
            )
            if streamed
            else None,
            withheld_ids=withheld,
        )


def _hashes(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_layout_loads_with_datasets_and_duckdb(ws: Workspace, tmp_path: Path, monkeypatch) -> None:
    path = _build(ws, "v1")
    m = read_manifest(path)
    assert verify(path) == [] and set(m["schemas"]) == set(CONFIGS)
    assert m["rows"]["battles"] == 2060 + 100 - m["excluded_by_policy"]["battles"]
    assert m["quarantined_by_reason"] == {"same_model": 1}
    card = (path / "README.md").read_text()
    assert card.startswith("---\n") and "config_name: conversations" in card and "## PII handling" in card
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    for config in CONFIGS:
        if not m["rows"][config]:  # an empty config (here: images, shipped only when asked) has no files
            assert config in ("images", "message_images") and not (path / "data" / config).exists()
            assert f"config_name: {config}" not in card
            continue
        ds = datasets.load_dataset(str(path), config, cache_dir=str(tmp_path / "hf"))
        assert ds["train"].num_rows == m["rows"][config], config
    con = duckdb.connect()
    n = con.sql(f"SELECT count(*) FROM read_parquet('{path}/data/battles/*.parquet')").fetchall()[0][0]
    assert n == m["rows"]["battles"]


def test_rebuild_is_byte_identical_and_versions_are_immutable(ws: Workspace) -> None:
    path = _build(ws, "r1")
    first = _hashes(path)
    with pytest.raises(UserError, match="already exists"):
        _build(ws, "r1")
    shutil.rmtree(path)
    assert _hashes(_build(ws, "r1")) == first


def test_streamed_in_tiny_pieces_the_release_holds_the_same_rows(ws: Workspace, monkeypatch) -> None:
    """Configs are streamed from the workspace in pieces and texts screened in batches: cutting both into
    pieces of a few rows changes the row groups of the files, never their rows, the texts withheld, the
    manifest's counts or schemas, nor the byte-identity of a rebuild."""
    from arenavotes.releases import build as build_mod

    with ws.connect() as con:  # plant a doubted text so that the screen withholds a battle
        con.execute(
            "UPDATE conversations SET content = content || ' write to planted.person@example.com' "
            "WHERE battle_id = (SELECT max(battle_id) FROM conversations)"
        )

    def build_with(version: str, streamed: bool = False) -> tuple[Path, list[str]]:
        withheld: list[str] = []
        spec = ReleaseSpec(version, None, ("a100", "genai"), ("duplicate_vote",), release_date="2024-08-20")
        return _screened_build(ws, spec, streamed=streamed, withheld=withheld), withheld

    whole, withheld_whole = build_with("whole")
    monkeypatch.setattr(build_mod, "SCREEN_BATCH", 3)
    monkeypatch.setattr(build_mod, "ROW_GROUP_ROWS", {})
    monkeypatch.setattr(build_mod, "DEFAULT_ROW_GROUP_ROWS", 7)
    for version, streamed in (("pieces", False), ("streamed", True)):  # the verdicts 'whole' stored are reused
        pieces, withheld_pieces = build_with(version, streamed)
        assert withheld_whole == withheld_pieces and len(withheld_whole) == 1
        for config in ("battles", "conversations", "flags", "leaderboard", "prompt_labels"):
            a = pl.read_parquet(whole / "data" / config)
            b = pl.read_parquet(pieces / "data" / config)
            assert a.schema == b.schema and a.height == b.height > 0, config
            if config != "battles":  # voter ids are re-keyed per release version
                assert a.equals(b), config
            rows = pq.ParquetFile(next((pieces / "data" / config).glob("*.parquet"))).metadata.row_group(0).num_rows
            assert rows <= 7
    assert (
        pl.read_parquet(whole / "data/battles")
        .drop("voter_id")
        .equals(pl.read_parquet(pieces / "data/battles").drop("voter_id"))
    )
    m1, m2 = read_manifest(whole), read_manifest(pieces)
    for key in ("rows", "schemas", "withheld_by_pii_gate", "battles_by_arena", "time_span", "excluded_by_policy"):
        assert m1[key] == m2[key], key
    first = _hashes(pieces)
    shutil.rmtree(pieces)
    assert _hashes(build_with("streamed", streamed=True)[0]) == first


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.text("abc:é", max_size=3), max_size=40),
    dropped=st.lists(st.text("abc:é", max_size=3), max_size=12),
    batch=st.integers(1, 9),
    chunk=st.integers(1, 5),
)
def test_sorted_drop_is_the_set_filter(rows: list[str], dropped: list[str], batch: int, chunk: int) -> None:
    """SortedDrop on a stream sorted by battle id (a battle's rows may run across batches) keeps exactly the
    rows whose id is not dropped, in their order, whatever the batch and chunk sizes (ids in UTF-8 byte order,
    DuckDB's ORDER BY)."""
    import pyarrow as pa

    from arenavotes.releases.build import SortedDrop

    ids = sorted(rows, key=lambda x: x.encode())
    drop_ids = sorted(set(dropped), key=lambda x: x.encode())
    kind = pa.large_string() if batch % 2 else pa.string()  # the stream's strings may be of either width
    stream = pa.table({"battle_id": pa.array(ids, kind), "n": list(range(len(ids)))})
    keep = SortedDrop(pa.table({"battle_id": pa.array(drop_ids, pa.string())}).to_batches(max_chunksize=chunk))
    out = [keep(b) for b in stream.to_batches(max_chunksize=batch)]
    got = [(i, n) for b in out for i, n in zip(b.column(0).to_pylist(), b.column(1).to_pylist(), strict=True)]
    assert got == [(i, n) for n, i in enumerate(ids) if i not in set(drop_ids)]


@settings(max_examples=20, deadline=None)
@given(cuts=st.lists(st.integers(1, 50), min_size=1, max_size=8), group=st.integers(20, 120))
def test_parquet_bytes_do_not_follow_the_batches_written(tmp_path_factory, cuts: list[int], group: int) -> None:
    """The same rows handed to the sink in batches of any sizes give the same file, byte for byte (the pages of
    a column chunk followed the chunks handed to the writer: a filter's smaller batches changed the bytes)."""
    import pyarrow as pa

    from arenavotes.releases.build import _ParquetSink

    # texts large enough that a row group's column outgrows a data page (1 MB) and the dictionary's limit
    table = pa.table(
        {
            "battle_id": [f"s:{i:04d}" for i in range(120)],
            "content": [f"text {i} " * (i % 7) + f"{i:05d}" * (i * 97 % 9000) for i in range(120)],
        }
    )
    folder = tmp_path_factory.mktemp("sink")
    files = []
    for name, sizes in (("whole", [120]), ("cut", cuts)):
        sink = _ParquetSink(folder / f"{name}.parquet", table.schema, group)
        start, k = 0, 0
        while start < table.num_rows:
            size = sizes[k % len(sizes)]
            sink.write(table.slice(start, size).combine_chunks().to_batches()[0])
            start, k = start + size, k + 1
        sink.close()
        files.append((folder / f"{name}.parquet").read_bytes())
    assert files[0] == files[1]


def test_conversations_are_sorted_without_a_join_and_only_released_rows_are_written(ws: Workspace) -> None:
    """The conversations file is the bare sort of the sources' rows, filtered as it streams: rows whose id only
    looks like a released source's (no battle behind it) or belongs to an excluded battle are not written."""
    from arenavotes.releases.build import QUERIES
    from arenavotes.sources import ids_of

    with ws.connect() as con:
        con.execute(
            "INSERT INTO conversations VALUES ('a100:no-such-battle', 'a', 1, 1, 'user', 'an orphan row'), "
            "('a100~', 'a', 1, 1, 'user', 'not a source prefix')"
        )
        excluded = con.sql(
            "SELECT DISTINCT f.battle_id FROM flags f JOIN conversations c USING (battle_id) "
            "WHERE f.flag = 'duplicate_vote'"
        ).fetchall()
        plan = con.sql("EXPLAIN " + QUERIES["conversations"].format(sources=ids_of(["a100", "genai"], "c.battle_id")))
        assert "JOIN" not in str(plan.fetchall()).upper()
        want = con.sql(
            """SELECT count(*) FROM conversations c JOIN battles b USING (battle_id)
               WHERE b.source IN ('a100', 'genai') AND c.battle_id NOT IN
                 (SELECT battle_id FROM flags WHERE flag = 'duplicate_vote')"""
        ).fetchall()[0][0]
    path = _build(ws, "r1")
    conv = pl.read_parquet(path / "data" / "conversations")
    assert conv.height == want > 0
    assert not conv.filter(pl.col("battle_id").is_in(["a100:no-such-battle", "a100~"])).height
    assert not conv.filter(pl.col("battle_id").is_in([e[0] for e in excluded])).height
    assert conv.equals(conv.sort("battle_id", "side", "msg"))


def test_voter_ids_are_rekeyed_per_release(ws: Workspace) -> None:
    a = pl.read_parquet(_build(ws, "k1") / "data/battles")
    b = pl.read_parquet(_build(ws, "k2") / "data/battles")
    with ws.connect(read_only=True) as con:
        workspace_ids = {r[0] for r in con.sql("SELECT DISTINCT voter_id FROM battles").fetchall()}
    ids_a, ids_b = set(a["voter_id"].drop_nulls()), set(b["voter_id"].drop_nulls())
    assert ids_a and not (ids_a & workspace_ids) and not (ids_a & ids_b)
    assert a.select(pl.col("voter_id").n_unique()).item() == b.select(pl.col("voter_id").n_unique()).item()


def test_changelog_against_parent(ws: Workspace) -> None:
    _build(ws, "c1", exclude=())
    path = _build(ws, "c2", parent="c1", exclude=("duplicate_vote", "daily_cap"))
    text = (path / "CHANGELOG.md").read_text()
    assert "Parent: c1" in text

    def said(what: str) -> str:
        return text.split(f"- {what}: ")[1].split("\n")[0]

    old, new = (pl.read_parquet(ws.path / "releases" / v / "data/battles") for v in ("c1", "c2"))
    old_ids, new_ids = set(old["battle_id"]), set(new["battle_id"])
    assert int(said("battles removed").replace(",", "")) == len(old_ids - new_ids) > 0
    assert int(said("battles added").replace(",", "")) == len(new_ids - old_ids)
    models = [set(f["model_a"]) | set(f["model_b"]) for f in (old, new)]
    assert said("models new") == (", ".join(sorted(models[1] - models[0])) or "none")
    assert said("models retired") == (", ".join(sorted(models[0] - models[1])) or "none")


def test_planted_pii_refuses_the_release(ws: Workspace) -> None:
    with ws.connect() as con:
        con.execute(
            "UPDATE conversations SET content = content || ' reach me at leak.test@example.com' "
            "WHERE battle_id = (SELECT min(battle_id) FROM conversations)"
        )
    with pytest.raises(UserError, match="PII gate found"):
        _build(ws, "pii1")
    assert not (ws.path / "releases" / "pii1").exists()
    assert not list((ws.path / "releases").glob(".tmp-*"))


def test_a_killed_build_leaves_no_release(ws: Workspace) -> None:
    script = f"""
import os, signal
from pathlib import Path
from arenavotes.pii.gate import check_paths
from arenavotes.releases.build import ReleaseSpec, build
from arenavotes.workspace import Workspace
w = Workspace.open(Path({str(ws.path)!r}))
spec = ReleaseSpec("killed", None, ("a100", "genai"), (), release_date="2024-08-20")
with w.connect() as con:
    build(con, w.path, spec, w.secret(), {{}}, gate=lambda p: [],
          on_write=lambda rel: os.kill(os.getpid(), signal.SIGKILL) if rel.startswith("data/conversations") else None)
"""
    env = {k: v for k, v in os.environ.items() if k != "ARENAVOTES_SECRET"}  # the workspace's own key file
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert proc.returncode == -9
    root = ws.path / "releases"
    assert not (root / "killed").exists() and list(root.glob(".tmp-killed-*"))  # half-written, never renamed
    assert verify(_build(ws, "after-kill")) == []
    assert not list(root.glob(".tmp-*"))  # the next build cleaned up


def test_publish_to_a_local_hub_and_dry_run_to_the_hub(ws: Workspace, tmp_path: Path) -> None:
    from arenavotes.releases.publish import publish_release

    _build(ws, "p1")
    _build(ws, "p2", parent="p1")
    hub = tmp_path / "hub"
    for v in ("p1", "p2"):
        lines = list(publish_release(ws.path / "releases" / v, str(hub), dry_run=False, gate=_gate))
        assert lines[-1] == f"done: tag {v}"
    tags = subprocess.run(["git", "-C", str(hub), "tag"], capture_output=True, text=True).stdout.split()
    log = subprocess.run(["git", "-C", str(hub), "log", "--oneline"], capture_output=True, text=True).stdout
    assert tags == ["p1", "p2"] and len(log.splitlines()) == 2
    assert json.loads((hub / "manifest.json").read_text())["version"] == "p2"
    with pytest.raises(UserError, match="already has a tag p1"):
        list(publish_release(ws.path / "releases" / "p1", str(hub), dry_run=False, gate=_gate))
    ops = list(publish_release(ws.path / "releases" / "p1", "hf://datasets/org/arena", dry_run=True, gate=_gate))
    assert (
        ops[0].startswith("[dry run] create dataset repo org/arena")
        and ops[-1] == "[dry run] create tag p1 on that commit"
    )
    assert any("data/battles/train-00000-of-00001.parquet" in op for op in ops)


def test_release_cli_gate_and_sql(tmp_path: Path) -> None:
    w = tmp_path / "w"
    assert run("ingest", "-w", str(w), "--source", "a100", str(first_conversations(tmp_path, 25))).returncode == 0
    r = run("release", "-w", str(w), "v1")
    assert r.returncode == 2 and "has not been through scrub, dedup" in r.stderr
    assert run("scrub", "-w", str(w)).returncode == 0
    r = run("release", "-w", str(w), "v1")
    assert r.returncode == 2 and "has not been through dedup" in r.stderr
    assert run("dedup", "-w", str(w)).returncode == 0
    r = run("release", "-w", str(w), "v1")
    assert r.returncode == 0, r.stderr
    assert "PII gate passed" in r.stdout
    q = run("sql", "-w", str(w), "--release", "v1", "--recipe", "win_rates", "--format", "json")
    assert q.returncode == 0 and json.loads(q.stdout)[0]["battles"] > 0
    assert run("publish", "-w", str(w), "v1", "--to", "hf://datasets/o/n", "--dry-run").stdout.startswith("[dry run]")


def test_leaderboards_of_other_sources_stay_out(ws: Workspace) -> None:
    with ws.connect() as con:
        con.execute(
            "INSERT INTO leaderboards SELECT * REPLACE ('elsewhere' AS scope, 'rate-x' AS run_id) "
            "FROM leaderboards WHERE scope = 'genai|anony'"
        )
    board = pl.read_parquet(_build(ws, "s1") / "data/leaderboard")
    assert set(board["scope"]) == {"genai|anony"}


def test_a_report_ships_in_the_release_and_its_card(ws: Workspace, tmp_path: Path) -> None:
    from arenavotes.reports import build_report

    with ws.connect(read_only=True) as con:
        report, _ = build_report(con, ws.path, ["a100"], "2024-07", None, ws.settings(), ())
    path = _build(ws, "rep1", report=report)
    m = read_manifest(path)
    assert m["report"] == "2024-07" and verify(path) == []
    shipped = {f for f in m["files"] if f.startswith("reports/2024-07/")}
    assert "reports/2024-07/report.md" in shipped and "reports/2024-07/figures/forest.png" in shipped
    assert "reports/2024-07/tables/leaderboard.parquet" in shipped
    card = (path / "README.md").read_text()
    assert "## Arena leaderboard report: 2024-07 (a100)" in card and "### Leaderboard" in card
    assert "](reports/2024-07/figures/forest.png)" in card
    links = re.findall(r"\]\((reports/[^)]+)\)", card)
    assert links and all((path / link).exists() for link in links)
    with pytest.raises(UserError, match="not a report folder"):
        _build(ws, "rep2", report=tmp_path)


def test_parent_without_leaderboard_and_the_card_a_hub_user_reads(ws: Workspace, tmp_path: Path, monkeypatch) -> None:
    """Reproducers: --parent of a release without leaderboard raised FileNotFoundError; the card stamped
    cc-by-4.0 over other licences, pointed to a data/README.md it did not ship, had no default config and no
    BibTeX, and the changelog omitted added sources."""
    from arenavotes.provenance import set_source_meta

    with ws.connect() as con:
        set_source_meta(
            con,
            "a100",
            license="apache-2.0",
            citation="@misc{a100, title = {Arena 100}}",
            description="Chatbot Arena conversations",
        )
        set_source_meta(con, "genai", license="mit", description="image generation arena votes")
    spec_a = ReleaseSpec("nolb", None, ("a100",), ("duplicate_vote",), release_date="2024-08-20")
    with ws.connect() as con:
        build(con, ws.path, spec_a, ws.secret(), ws.settings().to_dict(), gate=_gate)
    assert read_manifest(ws.path / "releases" / "nolb")["rows"]["leaderboard"] == 0
    path = _build(ws, "withlb", parent="nolb")
    log = (path / "CHANGELOG.md").read_text()
    assert "sources added: genai" in log and "has no leaderboard" in log
    card = (path / "README.md").read_text()
    assert "license: other" in card and "license_link: LICENSES.md" in card and "default: true" in card
    assert "data/README.md" not in card and "```bibtex" in card and "@misc{a100" in card
    assert "image generation arena votes" in card and "between LLMs" not in card
    assert "`genai`: mit" in (path / "LICENSES.md").read_text()
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    ds = datasets.load_dataset(str(path), cache_dir=str(tmp_path / "hf"))  # no config: the default
    assert ds["train"].num_rows == read_manifest(path)["rows"]["battles"]


def test_release_date_needs_timestamps_or_date(ws: Workspace) -> None:
    """Reproducer: a card was dated 2024-08-19 (another source's newest vote) for data without timestamps."""
    with ws.connect() as con:
        con.execute("UPDATE battles SET tstamp = NULL WHERE source = 'genai'")
    spec = ReleaseSpec("nodate", None, ("a100", "genai"), ())
    with ws.connect() as con, pytest.raises(UserError, match="carry no timestamps"):
        build(con, ws.path, spec, ws.secret(), ws.settings().to_dict(), gate=_gate)


def test_texts_of_battles_a_release_leaves_out_are_neither_withheld_nor_counted(ws: Workspace) -> None:
    """The screen reads every text of the release's sources (by their ids' prefix), so a doubted text in a battle
    the policy excludes, or in a source left out, must change nothing: the same battles withheld and the same
    counts by entity as without it."""

    def release(version: str) -> dict:
        spec = ReleaseSpec(version, None, ("a100",), ("duplicate_vote",), release_date="2024-08-20")
        return read_manifest(_screened_build(ws, spec))["withheld_by_pii_gate"]

    with ws.connect() as con:
        con.execute(
            "UPDATE conversations SET content = content || ' mail planted.person@example.com' "
            "WHERE battle_id = (SELECT min(battle_id) FROM battles WHERE source = 'a100')"
        )
    before = release("before")
    assert before["battles"] >= 1 and before["by_entity"].get("EMAIL_ADDRESS", 0) >= 1
    with ws.connect() as con:
        left_out = con.execute("SELECT max(battle_id) FROM battles WHERE source = 'a100'").fetchall()[0][0]
        con.execute(
            "INSERT INTO flags VALUES (?, 'duplicate_vote', 'test@1', 1.0, 'planted for the test', 'd')", [left_out]
        )
        con.execute(
            "UPDATE conversations SET content = content || ' card 4111 1111 1111 1111, call +44 20 7946 0958' "
            "WHERE battle_id = ?",
            [left_out],
        )
        genai = con.execute("SELECT min(battle_id) FROM battles WHERE source = 'genai'").fetchall()[0][0]
        con.execute(
            "INSERT INTO conversations (battle_id, side, msg, turn, role, content) "
            "VALUES (?, 'a', 1, 1, 'user', 'card 4111 1111 1111 1111, mail other.person@example.com')",
            [genai],
        )
    assert release("after") == before
