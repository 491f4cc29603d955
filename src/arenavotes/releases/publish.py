"""Publishing a release: to the Hugging Face Hub (a tag per version), or to a local hub folder kept as a
git repository with one commit and one tag per version (the same layout as on the Hub).

Publishing re-checks the release (sha256 of every file against its manifest) and runs the PII gate on
it again; ``dry_run`` returns the exact operations and does nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from arenavotes.errors import UserError
from arenavotes.releases.build import read_manifest, verify


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def publish_release(path: Path, target: str, *, dry_run: bool, gate: Callable[[Path], list[Any]]) -> Iterator[str]:
    if not path.exists():
        raise UserError(f"no release at {path}", hint="build it with 'arenavotes release VERSION'")
    manifest = read_manifest(path)
    version = manifest["version"]
    broken = verify(path)
    if broken:
        raise UserError(f"release {version} was modified after it was built: {', '.join(broken[:3])}",
                        hint="releases are immutable: build a new version")
    found = gate(path)
    if found:
        raise UserError(f"refusing to publish {version}: the PII gate found {len(found)} finding(s)",
                        hint="scrub the workspace and build a new release")
    files = _files(path)
    if target.startswith("hf://"):
        yield from _hub(path, target, version, files, dry_run)
    else:
        yield from _local(path, Path(target), version, files, dry_run)


def _hub(path: Path, target: str, version: str, files: list[Path], dry_run: bool) -> Iterator[str]:
    parts = target.removeprefix("hf://").split("/")
    if len(parts) != 3 or parts[0] != "datasets":
        raise UserError(f"--to {target}: expected hf://datasets/ORG/NAME")
    repo_id = f"{parts[1]}/{parts[2]}"
    ops = [f"create dataset repo {repo_id} (if missing, private=False)"]
    ops += [f"upload {f.relative_to(path)} ({f.stat().st_size:,} bytes)" for f in files]
    ops += [f"commit 'arenavotes release {version}' to {repo_id}@main", f"create tag {version} on that commit"]
    if dry_run:
        yield from (f"[dry run] {op}" for op in ops)
        return
    from huggingface_hub import HfApi

    token = os.environ.get("HF_TOKEN")
    if not token:
        raise UserError("publishing to the Hub needs a token", hint="set HF_TOKEN")
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=str(path),
                                 commit_message=f"arenavotes release {version}")
        api.create_tag(repo_id, tag=version, revision=getattr(info, "oid", None), repo_type="dataset")
    except Exception as exc:
        raise UserError(f"publishing to {target} failed: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                        hint="check HF_TOKEN, the network and that the tag does not exist yet") from None
    yield from (f"done: {op}" for op in ops)


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "arenavotes", "GIT_AUTHOR_EMAIL": "arenavotes@localhost",
           "GIT_COMMITTER_NAME": "arenavotes", "GIT_COMMITTER_EMAIL": "arenavotes@localhost"}
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise UserError(f"git {' '.join(args)} in {repo} failed: {out.stderr.strip().splitlines()[-1:]}")
    return out.stdout


def _local(path: Path, repo: Path, version: str, files: list[Path], dry_run: bool) -> Iterator[str]:
    ops = [f"init git repository {repo}" if not (repo / ".git").exists() else f"use git repository {repo}"]
    ops += [f"replace the tree with {len(files)} files of release {version}",
            f"commit 'arenavotes release {version}'", f"tag {version}"]
    if (repo / ".git").exists() and version in _git(repo, "tag", "--list").split():
        raise UserError(f"{repo} already has a tag {version}", hint="publish a new version")
    if dry_run:
        yield from (f"[dry run] {op}" for op in ops)
        return
    repo.mkdir(parents=True, exist_ok=True)
    if not (repo / ".git").exists():
        _git(repo, "init", "-q", "-b", "main")
    for old in repo.iterdir():
        if old.name != ".git":
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    for f in files:
        dest = repo / f.relative_to(path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", f"arenavotes release {version}")
    _git(repo, "tag", version)
    yield from (f"done: {op}" for op in ops)
