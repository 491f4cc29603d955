"""Attacks on `arenavotes sql`: it must stay read-only, touch no file, never show the workspace secret, and
read a release only after verifying it — while ordinary queries, DESCRIBE and every shipped recipe work."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import make_release, sha, snapshot, tables

from arenavotes import db, sqlsafe
from arenavotes.errors import UserError
from arenavotes.releases import sql as rsql
from arenavotes.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("ARENAVOTES_SECRET", raising=False)
    w = Workspace.init(tmp_path / "ws")
    key = w.secret()
    assert (w.path / ".arenavotes-secret").exists()
    with w.connect() as con:
        for name, table in tables().items():
            if name in ("battles", "conversations", "prompt_labels"):
                con.register("t", table)
                con.execute(f"INSERT INTO {name} SELECT * FROM t")
                con.unregister("t")
    make_release(w.path / "releases" / "v1", key)
    make_release(w.path / "releases" / "v10", key)
    return w


def secret_hex(w: Workspace) -> str:
    return (w.path / ".arenavotes-secret").read_text().strip()


def battles_in(w: Workspace) -> int:
    with duckdb.connect(str(w.db_path), read_only=True) as con:
        return int(con.sql("SELECT count(*) FROM battles").fetchall()[0][0])


def run(con: duckdb.DuckDBPyConnection, q: str) -> pa.Table | None:
    return sqlsafe.query_arrow(con, q)


# -- the statement check ---------------------------------------------------------------------------------

READS = [
    "select 1",
    "SELECT 1; select 2",
    "with a as (select 1 as x) select * from a",
    "values (1), (2)",
    "from (values (1))",
    "/* c */ SeLeCt 1 -- trailing",
    "describe select 1",
    "show tables",
    "summarize select 1",
    "explain select 1",
    "EXPLAIN ANALYZE select 1",
    "select current_setting('threads')",
    "show databases",
]

NOT_READS = [
    "ATTACH 'x.duckdb' AS w",
    "attach 'x.duckdb' as w (READ_ONLY)",
    "DETACH w",
    "USE memory",
    "CHECKPOINT",
    "COPY (SELECT 1) TO 'x.csv'",
    "copy battles to 'x.parquet' (format parquet)",
    "EXPORT DATABASE 'out'",
    "IMPORT DATABASE 'out'",
    "SET log_query_path = 'q.log'",
    "set profiling_output='p.json'",
    "SET threads = 1",
    "RESET threads",
    "SET lock_configuration = false",
    "PRAGMA enable_profiling",
    "pragma version",
    "CALL pragma_version()",
    "INSTALL httpfs",
    "LOAD httpfs",
    "FORCE INSTALL httpfs",
    "CREATE TABLE t (a INT)",
    "create view v as select 1",
    "create macro m() as 1",
    "CREATE SECRET (TYPE s3)",
    "INSERT INTO battles VALUES (1)",
    "UPDATE battles SET winner = 'tie'",
    "DELETE FROM battles",
    "DROP TABLE battles",
    "ALTER TABLE battles ADD c INT",
    "BEGIN",
    "VACUUM",
    "ANALYZE",
    "PREPARE p AS SELECT 1",
    "EXECUTE p",
    "SET VARIABLE x = 1",
    "UPDATE EXTENSIONS",
    "PIVOT battles ON winner",
    "select 1; COPY (select 1) TO 'x.csv'",
    "SELECT 1;/* hi */ cOpY battles TO 'x.csv'",
    "with x as (select 1) insert into battles select * from x",
    "EXPLAIN COPY (SELECT 1) TO 'x.csv'",
    "explain analyze copy (select 1) to 'x.csv'",
    "EXPLAIN /* c */ ANALYZE /* d */ DELETE FROM battles",
    "explain (format json) delete from battles",
    "select 1; attach 'x' as w; delete from w.battles",
]


@pytest.mark.parametrize("q", READS)
def test_read_statements_pass_the_check(q: str) -> None:
    assert sqlsafe.check_query(q)


@pytest.mark.parametrize("q", NOT_READS)
def test_every_other_statement_is_refused(q: str) -> None:
    with pytest.raises(UserError, match="not allowed here"):
        sqlsafe.check_query(q)


def test_nothing_to_run_is_an_error() -> None:
    with pytest.raises(UserError):
        sqlsafe.check_query("-- only a comment")
    with pytest.raises(UserError):
        sqlsafe.check_query("selec 1")


# -- attacks on both modes -------------------------------------------------------------------------------


def attacks(w: Workspace) -> list[str]:
    ws = str(w.path)
    other = ws + "/releases/v10/data/battles/train-00000-of-00001.parquet"
    return [
        f"ATTACH '{ws}/arena.duckdb' AS w; DELETE FROM w.battles",
        f"attach '{ws}/arena.duckdb' as w (read_only); select * from w.battles",
        "DELETE FROM battles",
        "INSERT INTO battles SELECT * FROM battles",
        "UPDATE battles SET winner = 'tie'",
        "CREATE TABLE t AS SELECT 1",
        "DROP VIEW battles",
        f"COPY (SELECT * FROM battles) TO '{ws}/out.csv'",
        f"copy battles to '{ws}/releases/v1/evil.parquet'",
        f"EXPORT DATABASE '{ws}/export'",
        f"SET log_query_path = '{ws}/q.log'; SELECT 1",
        f"SET profiling_output = '{ws}/p.json'",
        "PRAGMA enable_profiling",
        "SET enable_external_access = true",
        "RESET allowed_directories",
        "SET lock_configuration = false",
        "INSTALL httpfs",
        "LOAD httpfs",
        "select * from read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        f"select * from read_text('{ws}/.arenavotes-secret')",
        f"select content from read_blob('{ws}/.arenavotes-secret')",
        f"SELECT * FROM read_csv('{ws}/.arenavotes-secret', header=false)",
        f"select * from read_json('{ws}/releases/v1/manifest.json/../../../.arenavotes-secret')",
        f"SELECT * FROM read_text('{ws}/releases/v1/../../.arenavotes-secret')",
        f"select * from glob('{ws}/*')",
        "select * from glob('/etc/*')",
        f"select * from read_parquet('{other}')",
        f"select * from read_parquet('{ws}/releases/v1*/data/battles/*.parquet')",
        f"select * from read_text('{ws}/arena.duckdb')",
        "select getenv('HOME')",
        f"select * from query('copy (select 1) to ''{ws}/q.csv''')",
        "select 1; copy (select 1) to 'rel.csv'",
        f"/* x */ sElEcT 1 ; -- y\n CoPy (select 1) TO '{ws}/c.csv'",
        "CALL pragma_version()",
        "USE memory",
        "CHECKPOINT",
        f"IMPORT DATABASE '{ws}'",
        "DETACH memory",
        "select * from duckdb_secrets()",
    ]


@pytest.mark.parametrize("mode", ["release", "workspace"])
def test_attacks_fail_and_write_nothing(
    ws: Workspace, tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before, n, secret = snapshot(tmp_path), battles_in(ws), secret_hex(ws)
    for q in attacks(ws):
        con = (
            sqlsafe.open_release(ws.path / "releases" / "v1", key=ws.secret(), workspace=ws.path)
            if mode == "release"
            else sqlsafe.open_workspace(ws.path)
        )
        with con:
            with pytest.raises(UserError) as err:
                run(con, q)
            assert secret not in str(err.value), q
            # the connection still works and is still confined after the refusal
            assert run(con, "select count(*) AS n from battles").to_pylist() == [{"n": 3}]  # type: ignore[union-attr]
    assert snapshot(tmp_path) == before
    assert battles_in(ws) == n == 3


def test_the_sandbox_holds_without_the_statement_check(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a statement that slipped through the parser could not read or write outside the release."""
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    with sqlsafe.open_release(ws.path / "releases" / "v1", key=ws.secret(), workspace=ws.path) as con:
        for q in [
            f"ATTACH '{ws.path}/arena.duckdb' AS w",
            f"select * from read_text('{ws.path}/.arenavotes-secret')",
            "INSTALL httpfs",
            "LOAD httpfs",
            "SET enable_external_access = true",
            "RESET allowed_paths",
            f"SET allowed_directories = ['{ws.path}/']",
            f"SET log_query_path = '{ws.path}/q.log'",
            "select * from read_csv('/etc/passwd')",
            f"select * from glob('{ws.path}/*')",
        ]:
            with pytest.raises(duckdb.Error):
                con.execute(q).fetchall()
    with sqlsafe.open_workspace(ws.path) as con:
        for q in [
            f"select * from read_text('{ws.path}/.arenavotes-secret')",
            f"ATTACH '{ws.path}/x.duckdb' AS x",
            "DELETE FROM battles",
            "SET enable_external_access = true",
        ]:
            with pytest.raises(duckdb.Error):
                con.execute(q).fetchall()
    assert snapshot(tmp_path) == before


# -- what still works --------------------------------------------------------------------------------------


def test_ordinary_queries_recipes_and_describe_work(ws: Workspace) -> None:
    with sqlsafe.open_release(ws.path / "releases" / "v1", key=ws.secret(), workspace=ws.path) as con:
        for name in rsql.recipes():
            assert run(con, rsql.recipe(name)) is not None, name
        win = run(con, rsql.recipe("win_rates"))
        assert win is not None and win.num_rows == 3
        assert run(con, "select winner, count(*) n from battles group by 1 order by 1").num_rows == 3  # type: ignore[union-attr]
        assert {r["column_name"] for r in run(con, "DESCRIBE battles").to_pylist()} >= {"battle_id", "winner"}  # type: ignore[union-attr]
        assert run(con, "select 1 as a; select 2 as b").to_pylist() == [{"b": 2}]  # type: ignore[union-attr]
        assert run(con, "SHOW TABLES").num_rows >= 8  # type: ignore[union-attr]
        assert run(con, "SUMMARIZE battles").num_rows > 0  # type: ignore[union-attr]
        assert run(con, "EXPLAIN SELECT * FROM model_pairs").num_rows > 0  # type: ignore[union-attr]
        assert run(con, "select count(*) n from flags").to_pylist() == [{"n": 0}]  # type: ignore[union-attr]
        readme = run(con, f"select content from read_text('{ws.path}/releases/v1/README.md')")
        assert readme is not None and "Arena votes" in readme.to_pylist()[0]["content"]
    with sqlsafe.open_workspace(ws.path) as con:
        assert run(con, "select count(*) n from battles; select count(*) n from conversations").to_pylist() == [
            {"n": 2}
        ]  # type: ignore[union-attr]
        assert run(con, "select current_setting('enable_external_access') v").to_pylist() == [{"v": False}]  # type: ignore[union-attr]
        assert run(con, "describe battles").num_rows > 10  # type: ignore[union-attr]


# -- --allow-read --------------------------------------------------------------------------------------------


def test_allow_read_opens_only_what_was_named(ws: Workspace, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "x.csv").write_text("a,b\n1,2\n")
    (tmp_path / "data2").mkdir()
    (tmp_path / "data2" / "y.csv").write_text("a\n9\n")
    with sqlsafe.open_workspace(ws.path, allow_read=[data]) as con:
        assert run(con, f"select * from read_csv('{data}/x.csv')").to_pylist() == [{"a": 1, "b": 2}]  # type: ignore[union-attr]
        with pytest.raises(UserError):  # /data does not admit /data2
            run(con, f"select * from read_csv('{tmp_path}/data2/y.csv')")
        with pytest.raises(UserError):
            run(con, f"copy (select 1) to '{data}/out.csv'")
    with sqlsafe.open_release(
        ws.path / "releases" / "v1", key=ws.secret(), workspace=ws.path, allow_read=[tmp_path / "data2" / "y.csv"]
    ) as con:
        assert run(con, f"select * from read_csv('{tmp_path}/data2/y.csv')").to_pylist() == [{"a": 9}]  # type: ignore[union-attr]
        with pytest.raises(UserError):
            run(con, f"select * from read_csv('{data}/x.csv')")
    assert sorted(p.name for p in data.iterdir()) == ["x.csv"]


def test_allow_read_refuses_the_secret_and_the_database(ws: Workspace, tmp_path: Path) -> None:
    secret = ws.path / ".arenavotes-secret"
    (tmp_path / "link-to-secret").symlink_to(secret)
    (tmp_path / "link-to-ws").symlink_to(ws.path, target_is_directory=True)
    sneaky = tmp_path / "sneaky"
    sneaky.mkdir()
    (sneaky / "s").symlink_to(secret)
    hard = tmp_path / "hard"
    hard.mkdir()
    os.link(secret, hard / "copy")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "etc").symlink_to("/etc", target_is_directory=True)
    for bad in [
        ws.path,
        secret,
        ws.db_path,
        tmp_path,
        tmp_path / "link-to-secret",
        tmp_path / "link-to-ws",
        tmp_path / "link-to-ws" / "releases" / ".." / ".arenavotes-secret",
        sneaky,
        hard,
        hard / "copy",
        outside,
        Path("/"),
    ]:
        with pytest.raises(UserError, match="allow-read"):
            sqlsafe.open_workspace(ws.path, allow_read=[bad])
        with pytest.raises(UserError, match="allow-read"):
            sqlsafe.open_release(ws.path / "releases" / "v1", key=None, workspace=ws.path, allow_read=[bad])
    with pytest.raises(UserError, match="no such file"):
        sqlsafe.open_workspace(ws.path, allow_read=[tmp_path / "missing"])
    # the release folder itself may be allowed: it holds no secret
    with sqlsafe.open_workspace(ws.path, allow_read=[ws.path / "releases"]) as con:
        assert run(
            con, f"select count(*) n from read_parquet('{ws.path}/releases/v10/data/battles/*.parquet')"
        ).to_pylist() == [{"n": 3}]  # type: ignore[union-attr]


# -- B: the release is verified before it is read --------------------------------------------------------


def _rehash(release: Path) -> None:
    m = json.loads((release / "manifest.json").read_text())
    m["files"] = {r: sha(release / r) for r in m["files"]}
    m["sizes"] = {r: (release / r).stat().st_size for r in m["files"]}
    (release / "manifest.json").write_text(json.dumps(m))


def test_a_tampered_release_is_not_read(ws: Workspace, tmp_path: Path) -> None:
    rel = ws.path / "releases" / "v1"
    battles = rel / "data/battles/train-00000-of-00001.parquet"
    original = battles.read_bytes()
    t = pq.read_table(battles).to_pylist()
    t[0]["winner"] = "model_b"
    pq.write_table(pa.Table.from_pylist(t, schema=pq.read_schema(battles)), battles)
    with pytest.raises(UserError, match=r"modified after it was built.*battles"):
        sqlsafe.open_release(rel, key=None)
    with pytest.raises(UserError, match="modified after it was built"):
        rsql.attach(db.scratch(), rel)
    _rehash(rel)  # the attacker re-hashes the manifest: the signature catches it
    with pytest.raises(UserError, match=r"manifest\.sig"):
        sqlsafe.open_release(rel, key=ws.secret(), workspace=ws.path)
    battles.write_bytes(original)
    (rel / "manifest.sig").unlink()
    with pytest.raises(UserError, match="not signed"):
        sqlsafe.open_release(rel, key=ws.secret(), workspace=ws.path)


@pytest.mark.parametrize("attack", ["extra_file", "extra_parquet", "symlink_file", "symlink_dir", "empty_dir"])
def test_files_the_manifest_does_not_list_are_refused(ws: Workspace, attack: str) -> None:
    rel = ws.path / "releases" / "v1"
    if attack == "extra_file":
        (rel / "extra.csv").write_text("email\nalice@example.com\n")
    elif attack == "extra_parquet":  # would be picked up by a glob over data/battles/
        pq.write_table(pa.table({"battle_id": ["x"]}), rel / "data/battles/train-00001.parquet")
    elif attack == "symlink_file":
        target = rel / "data/battles/train-00000-of-00001.parquet"
        target.unlink()
        target.symlink_to(ws.path / ".arenavotes-secret")
    elif attack == "symlink_dir":
        (rel / "data" / "more").symlink_to(ws.path, target_is_directory=True)
    else:
        (rel / "data" / "empty").mkdir()
    with pytest.raises(UserError, match="modified after it was built"):
        sqlsafe.open_release(rel, key=ws.secret(), workspace=ws.path)


def test_manifest_names_cannot_inject_sql(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rel = ws.path / "releases" / "v1"
    m = json.loads((rel / "manifest.json").read_text())
    m["schemas"][f"x AS SELECT 1; COPY (SELECT 1) TO '{tmp_path}/pwned.csv'; CREATE TABLE y"] = [
        {"name": "a", "type": "int64"}
    ]
    m["schemas"]["flags"] = [{"name": "a\" VARCHAR); COPY (SELECT 1) TO 'pwned2.csv'; --", "type": "int64"}]
    (rel / "manifest.json").write_text(json.dumps(m))
    (rel / "manifest.sig").unlink()
    with pytest.raises(UserError, match="bad config name"):
        sqlsafe.open_release(rel, key=None)
    del m["schemas"][next(k for k in m["schemas"] if k.startswith("x AS"))]
    (rel / "manifest.json").write_text(json.dumps(m))
    with sqlsafe.open_release(rel, key=None) as con:
        assert run(con, "select * from flags").column_names == ["a\" VARCHAR); COPY (SELECT 1) TO 'pwned2.csv'; --"]  # type: ignore[union-attr]
    assert not (tmp_path / "pwned.csv").exists() and not (tmp_path / "pwned2.csv").exists()


def test_the_view_template_reads_no_path_it_does_not_quote() -> None:
    """Every read in views.sql is a read_parquet glob that ``attach`` replaces with the manifest's files, each
    quoted as one SQL string: no release path is spliced into the SQL any other way ("{root}" stays only in
    the template's comment)."""
    text = rsql._text("views.sql")
    reads = text.count("read_parquet(")
    assert reads and len(rsql._PARQUET_GLOB.findall(text)) == reads
    rest = rsql._PARQUET_GLOB.sub("read_parquet([])", text)
    assert all("{root}" not in line for line in rest.splitlines() if not line.lstrip().startswith("--"))
