"""Attacks on `arenavotes publish`: it must never delete what it did not write, never publish into the
workspace, and publish exactly the verified files of a signed release. No test touches the network."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import GATE, make_release, sha, snapshot

from arenavotes.errors import UserError
from arenavotes.releases.integrity import verify_release
from arenavotes.releases.publish import MARKER, publish_release
from arenavotes.workspace import Workspace


class Gate:
    """A PII gate that records its calls (and finds what it is told to)."""

    def __init__(self, findings: list[Any] | None = None) -> None:
        self.calls: list[Path] = []
        self.findings = findings or []

    def __call__(self, path: Path) -> list[Any]:
        self.calls.append(path)
        return self.findings


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("ARENAVOTES_SECRET", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    w = Workspace.init(tmp_path / "ws")
    with w.connect():
        pass
    make_release(w.path / "releases" / "v1", w.secret())
    make_release(w.path / "releases" / "v2", w.secret(), extra={"reports/2024-07/report.md": b"# report\n"})
    return w


def publish(
    w: Workspace,
    version: str,
    target: Path | str,
    *,
    dry_run: bool = False,
    gate: Gate | None = None,
    key: bool = True,
    workspace: Path | None = None,
) -> list[str]:
    return list(
        publish_release(
            w.path / "releases" / version,
            str(target),
            dry_run=dry_run,
            gate=gate or Gate(),
            key=w.secret() if key else None,
            gate_version=GATE,
            workspace=workspace,
        )
    )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def tracked(repo: Path) -> set[str]:
    return set(git(repo, "ls-files").split())


def release_files(w: Workspace, version: str) -> set[str]:
    m = json.loads((w.path / "releases" / version / "manifest.json").read_text())
    return set(m["files"]) | {"manifest.json", "manifest.sig"}


# -- C: the target ---------------------------------------------------------------------------------------


def test_publishing_into_the_workspace_is_refused(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ws-link").symlink_to(ws.path, target_is_directory=True)
    before = snapshot(tmp_path)
    for target in [
        ws.path,
        ws.path / "hub",
        ws.path / "releases",
        ws.path / "releases" / "v1",
        ws.path / "releases" / "v1" / "data",
        tmp_path,
        tmp_path / "ws-link",
        tmp_path / "ws-link" / "x",
        ws.path / "releases" / ".." / "hub",
    ]:
        for dry_run in (True, False):
            with pytest.raises(UserError, match="refusing to publish into"):
                publish(ws, "v1", target, dry_run=dry_run)
    monkeypatch.chdir(ws.path)  # arenavotes publish v1 --to . (with the default -w .)
    with pytest.raises(UserError, match="refusing to publish into"):
        publish(ws, "v1", ".")
    with pytest.raises(UserError, match="refusing to publish into"):  # the workspace inferred from the release
        list(publish_release(Path("releases/v1"), ".", dry_run=False, gate=Gate(), key=ws.secret()))
    assert snapshot(tmp_path) == before
    assert (ws.path / "arena.duckdb").exists() and (ws.path / ".arenavotes-secret").exists()


@pytest.mark.parametrize("kind", ["user_files", "user_git_repo", "file_target"])
def test_a_folder_publish_did_not_create_is_left_alone(ws: Workspace, tmp_path: Path, kind: str) -> None:
    target = tmp_path / "mine"
    if kind == "file_target":
        target.write_text("notes")
    else:
        target.mkdir()
        (target / "thesis.tex").write_text("years of work")
        (target / "sub").mkdir()
        (target / "sub" / "data.csv").write_text("a\n1\n")
        if kind == "user_git_repo":
            git(target, "init", "-q")
            git(target, "add", "-A")
            git(target, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-q", "-m", "mine")
    before = snapshot(tmp_path)
    with pytest.raises(UserError, match=r"not empty and is not a hub|not a folder"):
        publish(ws, "v1", target)
    with pytest.raises(UserError, match=r"not empty and is not a hub|not a folder"):
        publish(ws, "v1", target, dry_run=True)
    assert snapshot(tmp_path) == before


def test_a_hub_gets_exactly_the_release_and_versions_replace_only_their_files(ws: Workspace, tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    assert publish(ws, "v1", hub, dry_run=True)[0].startswith("[dry run] init git repository")
    assert not hub.exists()
    lines = publish(ws, "v1", hub)
    assert lines[-1] == "done: tag v1"
    assert tracked(hub) == release_files(ws, "v1") | {MARKER}
    assert {
        p.relative_to(hub).as_posix() for p in hub.rglob("*") if p.is_file() and ".git" not in p.parts
    } == release_files(ws, "v1") | {MARKER}
    for rel in release_files(ws, "v1"):
        assert sha(hub / rel) == sha(ws.path / "releases" / "v1" / rel)
    publish(ws, "v2", hub)
    assert tracked(hub) == release_files(ws, "v2") | {MARKER}
    assert git(hub, "tag").split() == ["v1", "v2"] and len(git(hub, "log", "--oneline").splitlines()) == 2
    with pytest.raises(UserError, match="already has a tag v1"):
        publish(ws, "v1", hub)
    empty = tmp_path / "empty"
    empty.mkdir()
    publish(ws, "v1", empty)  # an existing empty folder is fine
    assert tracked(empty) == release_files(ws, "v1") | {MARKER}


@pytest.mark.parametrize(
    "attack",
    ["untracked", "ignored", "modified", "committed_user_file", "no_marker", "marker_uncommitted", "symlink_committed"],
)
def test_a_hub_holding_anything_publish_did_not_write_is_refused(ws: Workspace, tmp_path: Path, attack: str) -> None:
    hub = tmp_path / "hub"
    publish(ws, "v1", hub)
    cfg = ["-c", "user.name=u", "-c", "user.email=u@x"]
    if attack == "untracked":
        (hub / "notes.txt").write_text("mine")
    elif attack == "ignored":
        (hub / ".git" / "info" / "exclude").write_text("*.bak\n")
        (hub / "precious.bak").write_text("mine")
    elif attack == "modified":
        (hub / "README.md").write_text("edited by hand")
    elif attack == "committed_user_file":
        (hub / "LICENSE").write_text("mine")
        git(hub, "add", "LICENSE")
        git(hub, *cfg, "commit", "-q", "-m", "add licence")
    elif attack == "no_marker":
        git(hub, "rm", "-q", MARKER)
        git(hub, *cfg, "commit", "-q", "-m", "rm marker")
    elif attack == "marker_uncommitted":
        (tmp_path / "plain").mkdir()
        hub = tmp_path / "plain"
        (hub / "data.csv").write_text("mine")
        git(hub, "init", "-q")
        (hub / MARKER).write_text("fake")
    else:
        (hub / "link").symlink_to("/etc/passwd")
        git(hub, "add", "link")
        git(hub, *cfg, "commit", "-q", "-m", "link")
    before = snapshot(tmp_path)
    with pytest.raises(UserError):
        publish(ws, "v2", hub)
    assert snapshot(tmp_path) == before


def test_a_failed_publish_leaves_the_hub_as_it_was(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import arenavotes.releases.publish as pub

    hub = tmp_path / "hub"
    publish(ws, "v1", hub)
    before = snapshot(hub)
    real = pub._git

    def failing(repo: Path, *args: str, check: bool = True) -> str:
        if args and args[0] == "commit":
            raise UserError("disk full")
        return real(repo, *args, check=check)

    monkeypatch.setattr(pub, "_git", failing)
    with pytest.raises(UserError, match="disk full"):
        publish(ws, "v2", hub)
    monkeypatch.setattr(pub, "_git", real)
    assert {k: v for k, v in snapshot(hub).items() if not k.startswith(".git/")} == {
        k: v for k, v in before.items() if not k.startswith(".git/")
    }
    assert git(hub, "status", "--porcelain") == ""
    new = tmp_path / "new"
    monkeypatch.setattr(pub, "_git", failing)
    with pytest.raises(UserError, match="disk full"):
        publish(ws, "v1", new)
    assert not new.exists()


# -- D: what is published ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attack",
    [
        "extra_gz",
        "extra_png",
        "extra_parquet",
        "symlink_to_secret",
        "listed_file_is_symlink",
        "rehashed_manifest",
        "tampered_parquet",
        "no_signature",
        "wrong_signature",
        "manifest_symlink",
        "path_traversal",
    ],
)
def test_a_release_changed_after_the_build_is_not_published(
    ws: Workspace, tmp_path: Path, attack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel = ws.path / "releases" / "v1"
    battles = rel / "data/battles/train-00000-of-00001.parquet"
    m = json.loads((rel / "manifest.json").read_text())
    if attack == "extra_gz":
        (rel / "extra.csv.gz").write_bytes(b"email\nalice@example.com\n")
    elif attack == "extra_png":
        (rel / "data" / "face.png").write_bytes(b"\x89PNG....")
    elif attack == "extra_parquet":
        pq.write_table(pa.table({"email": ["alice@example.com"]}), rel / "data/battles/train-00001.parquet")
    elif attack == "symlink_to_secret":
        (rel / "secret.txt").symlink_to(ws.path / ".arenavotes-secret")
    elif attack == "listed_file_is_symlink":
        copy = tmp_path / "copy.parquet"
        copy.write_bytes(battles.read_bytes())
        battles.unlink()
        battles.symlink_to(copy)  # same bytes, but a link: publish would follow it
    elif attack in ("rehashed_manifest", "tampered_parquet"):
        pq.write_table(pa.table({"battle_id": ["x"], "email": ["alice@example.com"]}), battles)
        if attack == "rehashed_manifest":
            m["files"] = {r: sha(rel / r) for r in m["files"]}
            m["sizes"] = {r: (rel / r).stat().st_size for r in m["files"]}
            (rel / "manifest.json").write_text(json.dumps(m))
    elif attack == "no_signature":
        (rel / "manifest.sig").unlink()
    elif attack == "wrong_signature":
        (rel / "manifest.sig").write_text("0" * 64 + "\n")
    elif attack == "manifest_symlink":
        (tmp_path / "m.json").write_text((rel / "manifest.json").read_text())
        (rel / "manifest.json").unlink()
        (rel / "manifest.json").symlink_to(tmp_path / "m.json")
    else:
        m["files"]["../arena.duckdb"] = sha(ws.db_path)
        (rel / "manifest.json").write_text(json.dumps(m))
    gate = Gate()
    hub = tmp_path / "hub"
    for target in (hub, "hf://datasets/org/arena"):
        for dry_run in (True, False):
            with pytest.raises(UserError):
                publish(ws, "v1", target, dry_run=dry_run, gate=gate)
    assert not hub.exists() and gate.calls == []


def test_the_gate_is_skipped_only_for_a_signed_manifest_of_the_same_gate(ws: Workspace, tmp_path: Path) -> None:
    gate = Gate()
    publish(ws, "v1", tmp_path / "a", dry_run=True, gate=gate)
    assert gate.calls == []  # signed, same gate version
    list(
        publish_release(
            ws.path / "releases" / "v1",
            str(tmp_path / "a"),
            dry_run=True,
            gate=gate,
            key=ws.secret(),
            gate_version="another-gate",
        )
    )
    assert len(gate.calls) == 1
    publish(ws, "v1", tmp_path / "a", dry_run=True, gate=gate, key=False)  # the signature is not checked
    assert len(gate.calls) == 2
    make_release(ws.path / "releases" / "nogate", ws.secret(), gate=None)
    publish(ws, "nogate", tmp_path / "b", gate=gate)
    assert len(gate.calls) == 3 and gate.calls[-1].name == "tree"  # the gate read the staged copy
    refusing = Gate(findings=["EMAIL in data/battles"])
    for target in (tmp_path / "c", "hf://datasets/org/arena"):
        with pytest.raises(UserError, match="PII gate found 1"):
            list(
                publish_release(
                    ws.path / "releases" / "v1", str(target), dry_run=False, gate=refusing, key=None, gate_version=GATE
                )
            )
    assert not (tmp_path / "c").exists()


def test_what_was_verified_is_what_is_published(ws: Workspace, tmp_path: Path) -> None:
    """A file swapped after verification (here: while the gate runs) does not reach the hub."""
    rel = ws.path / "releases" / "v1"
    battles = rel / "data/battles/train-00000-of-00001.parquet"
    original = battles.read_bytes()

    def swapping_gate(path: Path) -> list[Any]:
        battles.write_bytes(b"swapped: alice@example.com")
        return []

    hub = tmp_path / "hub"
    list(publish_release(rel, str(hub), dry_run=False, gate=swapping_gate, key=None, gate_version=GATE))
    assert (hub / "data/battles/train-00000-of-00001.parquet").read_bytes() == original


def test_verify_release_lists_exactly_the_manifest(ws: Workspace) -> None:
    v = verify_release(ws.path / "releases" / "v2", ws.secret())
    assert set(v.files) == release_files(ws, "v2") and v.signed and v.gate_passed(GATE)
    assert not verify_release(ws.path / "releases" / "v2", None).signed


# -- the Hub, offline ----------------------------------------------------------------------------------------


class FakeApi:
    calls: ClassVar[list[tuple[str, Any]]] = []

    def __init__(self, token: str | None = None) -> None:
        FakeApi.calls.append(("init", token))

    def create_repo(self, repo_id: str, **kw: Any) -> None:
        FakeApi.calls.append(("create_repo", repo_id))

    def create_commit(self, repo_id: str, operations: Any, **kw: Any) -> Any:
        ops = list(operations)
        FakeApi.calls.append(("create_commit", {op.path_in_repo: Path(op.path_or_fileobj).read_bytes() for op in ops}))

        class Info:
            oid = "abc123"

        return Info()

    def create_tag(self, repo_id: str, *, tag: str, revision: str | None = None, **kw: Any) -> None:
        FakeApi.calls.append(("create_tag", (tag, revision)))

    def upload_folder(self, **kw: Any) -> None:
        raise AssertionError("upload_folder would upload whatever lies in the folder")


def test_the_hub_gets_exactly_the_verified_files(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    FakeApi.calls = []
    ops = publish(ws, "v2", "hf://datasets/org/arena", dry_run=True)
    assert FakeApi.calls == []
    uploads = {op.split()[3] for op in ops if op.startswith("[dry run] upload ")}
    assert uploads == release_files(ws, "v2")
    lines = publish(ws, "v2", "hf://datasets/org/arena")
    assert lines[-1] == "done: create tag v2 on that commit"
    names = [c[0] for c in FakeApi.calls]
    assert names == ["init", "create_repo", "create_commit", "create_tag"]
    sent = FakeApi.calls[2][1]
    assert set(sent) == release_files(ws, "v2")
    assert all(data == (ws.path / "releases" / "v2" / name).read_bytes() for name, data in sent.items())
    assert FakeApi.calls[3][1] == ("v2", "abc123")
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(UserError, match="needs a token"):
        publish(ws, "v2", "hf://datasets/org/arena")
    with pytest.raises(UserError, match="expected hf://datasets/ORG/NAME"):
        publish(ws, "v2", "hf://models/org/arena")


def test_a_dry_run_of_a_10_mb_signed_release_does_not_scan_again(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dry run's speed comes from not re-running the gate on a signed, passed manifest (timed by hand in
    bench/release.py: 2.0 s on the demo; the project keeps timings out of tests)."""
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    big = pa.table({"blob": [os.urandom(1 << 20) for _ in range(10)]})
    rel = ws.path / "releases" / "big"
    make_release(rel, ws.secret())
    m = json.loads((rel / "manifest.json").read_text())
    (rel / "data/big").mkdir()
    pq.write_table(big, rel / "data/big/train.parquet", compression="none")
    m["files"]["data/big/train.parquet"] = sha(rel / "data/big/train.parquet")
    (rel / "manifest.json").write_text(json.dumps(m))
    (rel / "manifest.sig").unlink()
    from arenavotes.releases.integrity import write_signature

    write_signature(rel, ws.secret())
    gate = Gate()
    ops = list(
        publish_release(rel, "hf://datasets/org/arena", dry_run=True, gate=gate, key=ws.secret(), gate_version=GATE)
    )
    assert gate.calls == []
    assert any("data/big/train.parquet" in op for op in ops)


# -- end to end through the CLI ------------------------------------------------------------------------------


def test_cli_end_to_end(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from arenavotes.cli import main

    monkeypatch.chdir(ws.path)
    before = snapshot(ws.path)
    assert main(["sql", "--release", "v1", f"ATTACH '{ws.db_path}' AS w; DELETE FROM w.battles"]) != 0
    assert main(["sql", "--release", "v1", "select * from read_text('.arenavotes-secret')"]) != 0
    assert main(["sql", f"select * from read_text('{ws.path}/.arenavotes-secret')"]) != 0
    assert main(["publish", "v1", "--to", "."]) != 0
    assert main(["publish", "-w", str(ws.path), "v1", "--to", str(ws.path)]) != 0
    out = capsys.readouterr()
    assert (ws.path / ".arenavotes-secret").read_text().strip() not in out.out + out.err
    assert snapshot(ws.path) == before
    assert main(["sql", "--release", "v1", "--format", "json", "select count(*) AS n from battles"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 3}]
    assert main(["publish", "v1", "--to", str(tmp_path / "hub")]) == 0
    assert tracked(tmp_path / "hub") == release_files(ws, "v1") | {MARKER}
