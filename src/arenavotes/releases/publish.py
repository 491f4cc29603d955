"""Publishing a release: to the Hugging Face Hub (a tag per version), or to a local hub folder kept as a
git repository with one commit and one tag per version (the same layout as on the Hub).

Publishing first verifies the release (:func:`arenavotes.releases.integrity.verify_release`: no symlink,
no file the manifest does not list, every sha256, and the workspace's signature when a key is given) and
copies exactly the manifest's files (plus ``manifest.json`` and ``manifest.sig``) into a private staging
folder while hashing them, so what was checked is what is published. The PII gate runs again on the staged
files unless the signed manifest records that the same gate version passed. ``dry_run`` returns the exact
operations and does nothing.

A local hub is a folder this command created: it holds a committed ``.arenavotes-hub`` marker. Publish
refuses a target that is, contains or lies inside the workspace or the release, a non-empty folder without
the marker, and a hub with uncommitted changes or files that neither the previous release's manifest nor
the marker explains; replacing a version removes only the files the previous manifest listed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from arenavotes.errors import UserError
from arenavotes.releases.integrity import MANIFEST, SIGNATURE, VerifiedRelease, verify_release

MARKER = ".arenavotes-hub"
_MARKER_TEXT = (
    "This folder is a dataset hub written by 'arenavotes publish': one commit and one tag per\n"
    "release version. Do not add other files; publish removes the files of the previous release.\n"
)


def publish_release(
    path: Path,
    target: str,
    *,
    dry_run: bool,
    gate: Callable[[Path], list[Any]],
    key: bytes | None = None,
    gate_version: str | None = None,
    workspace: Path | None = None,
) -> Iterator[str]:
    """Publish the release at ``path`` to ``target`` (``hf://datasets/ORG/NAME`` or a local folder).

    ``key``: the workspace secret; when given, the release must carry a valid ``manifest.sig``.
    ``gate_version``: the version of ``gate`` (see :func:`arenavotes.releases.integrity.gate_version`);
    the gate is skipped when the signed manifest says that version passed. ``workspace``: the workspace
    folder a local target must stay out of (default: the folder above ``releases/``)."""
    if workspace is None and path.parent.name == "releases":
        workspace = path.parent.parent
    if target.startswith("hf://"):
        repo_id = _hub_repo(target)
        hub: _LocalHub | None = None
    else:
        hub = _LocalHub.check(Path(target), [p for p in (workspace, path) if p is not None])
    with tempfile.TemporaryDirectory(prefix="arenavotes-publish-") as tmp:
        stage = Path(tmp) / "tree"
        verified = verify_release(path, key, stage_to=None if dry_run else stage)
        if not verified.gate_passed(gate_version):
            found = gate(path if dry_run else stage)
            if found:
                raise UserError(
                    f"refusing to publish {verified.version}: the PII gate found {len(found)} finding(s)",
                    hint="scrub the workspace and build a new release",
                )
        if hub is None:
            yield from _hub(stage, verified, target, repo_id, dry_run)
        else:
            yield from hub.publish(stage, verified, dry_run)


# -- the Hugging Face Hub ---------------------------------------------------------------------------------


def _hub_repo(target: str) -> str:
    parts = target.removeprefix("hf://").split("/")
    if len(parts) != 3 or parts[0] != "datasets" or not parts[1] or not parts[2]:
        raise UserError(f"--to {target}: expected hf://datasets/ORG/NAME")
    return f"{parts[1]}/{parts[2]}"


def _hub(stage: Path, verified: VerifiedRelease, target: str, repo_id: str, dry_run: bool) -> Iterator[str]:
    version = verified.version
    ops = [f"create dataset repo {repo_id} (if missing, private=False)"]
    ops += [f"upload {rel} ({verified.sizes[rel]:,} bytes)" for rel in verified.files]
    ops += [f"commit 'arenavotes release {version}' to {repo_id}@main", f"create tag {version} on that commit"]
    if dry_run:
        yield from (f"[dry run] {op}" for op in ops)
        return
    from huggingface_hub import CommitOperationAdd, HfApi

    token = os.environ.get("HF_TOKEN")
    if not token:
        raise UserError("publishing to the Hub needs a token", hint="set HF_TOKEN")
    api = HfApi(token=token)
    operations = [CommitOperationAdd(path_in_repo=rel, path_or_fileobj=str(stage / rel)) for rel in verified.files]
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        info = api.create_commit(
            repo_id, operations, commit_message=f"arenavotes release {version}", repo_type="dataset"
        )
        api.create_tag(repo_id, tag=version, revision=getattr(info, "oid", None), repo_type="dataset")
    except Exception as exc:
        raise UserError(
            f"publishing to {target} failed: {type(exc).__name__}: {str(exc).splitlines()[0]}",
            hint="check HF_TOKEN, the network and that the tag does not exist yet",
        ) from None
    yield from (f"done: {op}" for op in ops)


# -- a local hub folder -----------------------------------------------------------------------------------


def _git(repo: Path, *args: str, check: bool = True) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "arenavotes",
        "GIT_AUTHOR_EMAIL": "arenavotes@localhost",
        "GIT_COMMITTER_NAME": "arenavotes",
        "GIT_COMMITTER_EMAIL": "arenavotes@localhost",
    }
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        env.pop(name, None)
    cmd = [
        "git",
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "tag.gpgsign=false",
        "-c",
        "core.autocrlf=false",
        "-C",
        str(repo),
        *args,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and out.returncode != 0:
        raise UserError(f"git {' '.join(args)} in {repo} failed: {out.stderr.strip().splitlines()[-1:]}")
    return out.stdout if out.returncode == 0 else ""


def _is_within(a: Path, b: Path) -> bool:
    return a == b or a.is_relative_to(b)


class _LocalHub:
    """A local hub folder, checked before anything is written (see the module's docstring)."""

    def __init__(self, repo: Path, new: bool, tracked: list[str], tags: set[str], head: str = "") -> None:
        self.repo, self.new, self.tracked, self.tags, self.head = repo, new, tracked, tags, head

    @classmethod
    def check(cls, target: Path, protected: list[Path]) -> _LocalHub:
        repo = target.resolve()
        for p in protected:
            pr = p.resolve()
            if _is_within(repo, pr) or _is_within(pr, repo):
                raise UserError(
                    f"--to {target}: refusing to publish into {repo}, which is, contains or lies inside {pr}",
                    hint="publish to a new folder outside the workspace, e.g. ../hub",
                )
        try:
            st = os.lstat(repo)
        except FileNotFoundError:
            return cls(repo, True, [], set())
        if not stat.S_ISDIR(st.st_mode):
            raise UserError(f"--to {target}: exists and is not a folder", hint="choose a new folder")
        if not any(repo.iterdir()):
            return cls(repo, True, [], set())
        not_hub = UserError(
            f"--to {target}: {repo} is not empty and is not a hub written by 'arenavotes publish' "
            f"(no committed {MARKER})",
            hint="publish to a new or empty folder",
        )
        for name, want in ((MARKER, stat.S_ISREG), (".git", stat.S_ISDIR)):
            try:
                if not want(os.lstat(repo / name).st_mode):
                    raise not_hub
            except FileNotFoundError:
                raise not_hub from None
        top = _git(repo, "rev-parse", "--show-toplevel", check=False).strip()
        if not top or Path(top).resolve() != repo or not _git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False):
            raise not_hub
        tree: dict[str, str] = {}
        for entry in _git(repo, "ls-tree", "-r", "-z", "--full-tree", "HEAD").split("\0"):
            if entry:
                meta, name = entry.split("\t", 1)
                tree[name] = meta.split()[0]
        if MARKER not in tree:
            raise not_hub
        dirty = [
            e for e in _git(repo, "status", "--porcelain", "-z", "--untracked-files=all", "--ignored").split("\0") if e
        ]
        if dirty:
            raise UserError(
                f"--to {target}: the hub has uncommitted changes or files publish did not write: "
                f"{', '.join(e[3:] for e in dirty[:5])}",
                hint="commit or remove them (publish never deletes what it did not write)",
            )
        odd = sorted(n for n, mode in tree.items() if mode not in ("100644", "100755"))
        if odd:
            raise UserError(
                f"--to {target}: the hub holds links or submodules: {', '.join(odd[:5])}",
                hint="publish to a new folder",
            )
        previous: set[str] = set()
        if MANIFEST in tree:
            try:
                files = json.loads(_git(repo, "show", f"HEAD:{MANIFEST}"))["files"]
                previous = {str(f) for f in files}
            except (ValueError, KeyError, TypeError):
                raise UserError(
                    f"--to {target}: the hub's {MANIFEST} is unreadable", hint="publish to a new folder"
                ) from None
        unexplained = sorted(set(tree) - previous - {MANIFEST, SIGNATURE, MARKER})
        if unexplained:
            raise UserError(
                f"--to {target}: the hub holds files no published release wrote: {', '.join(unexplained[:5])}",
                hint="move them out (publish never deletes them)",
            )
        tags = set(_git(repo, "tag", "--list").split())
        head = _git(repo, "rev-parse", "--verify", "HEAD").strip()
        return cls(repo, False, sorted(set(tree) - {MARKER}), tags, head)

    def publish(self, stage: Path, verified: VerifiedRelease, dry_run: bool) -> Iterator[str]:
        version, repo = verified.version, self.repo
        if version in self.tags:
            raise UserError(f"{repo} already has a tag {version}", hint="publish a new version")
        ops = [f"init git repository {repo} (with {MARKER})" if self.new else f"use git repository {repo}"]
        if self.tracked:
            ops.append(f"remove the {len(self.tracked)} files of the previous release")
        ops += [
            f"write {len(verified.files)} files of release {version}: {', '.join(verified.files)}",
            f"commit 'arenavotes release {version}'",
            f"tag {version}",
        ]
        if dry_run:
            yield from (f"[dry run] {op}" for op in ops)
            return
        written: list[Path] = []
        created_repo = self.new and not repo.exists()
        try:
            repo.mkdir(parents=True, exist_ok=True)
            if self.new:
                _git(repo, "init", "-q", "-b", "main")
                _write_new(repo / MARKER, _MARKER_TEXT.encode(), written)
            for rel in self.tracked:
                _remove_file(repo, rel)
            for rel in verified.files:
                _copy_new(stage / rel, repo, rel, written)
            _git(repo, "add", "-A", "--", ".")
            _git(repo, "commit", "-q", "-m", f"arenavotes release {version}")
            _git(repo, "tag", version)
        except BaseException:
            self._undo(written, created_repo)
            raise
        yield from (f"done: {op}" for op in ops)

    def _undo(self, written: list[Path], created_repo: bool) -> None:
        """Put the hub back as it was: remove only what this run wrote, restore the previous commit."""
        for p in reversed(written):
            with contextlib.suppress(OSError):
                p.unlink()
            _rmdirs(p.parent, self.repo)
        if not self.new:
            _git(self.repo, "reset", "-q", "--hard", self.head, check=False)
        elif (self.repo / ".git").is_dir():
            shutil.rmtree(self.repo / ".git", ignore_errors=True)
        if created_repo:
            _rmdirs(self.repo, self.repo.parent)


def _safe_parent(repo: Path, rel: str, create: bool = False) -> Path:
    """``repo/rel`` after checking that no folder on the way is a link (so nothing is written outside)."""
    cur = repo
    for part in rel.split("/")[:-1]:
        cur = cur / part
        try:
            if not stat.S_ISDIR(os.lstat(cur).st_mode):
                raise UserError(f"{cur}: not a folder", hint="publish to a new folder")
        except FileNotFoundError:
            if not create:
                break
            cur.mkdir()
    return cur / rel.split("/")[-1]


def _write_new(dest: Path, data: bytes, written: list[Path]) -> None:
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    written.append(dest)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _copy_new(src: Path, repo: Path, rel: str, written: list[Path]) -> None:
    dest = _safe_parent(repo, rel, create=True)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    written.append(dest)
    with os.fdopen(fd, "wb") as out, open(src, "rb") as fh:
        shutil.copyfileobj(fh, out, 1 << 20)


def _remove_file(repo: Path, rel: str) -> None:
    """Remove one file of the previous release (never a folder, never through a link), then its folders
    if they became empty."""
    p = _safe_parent(repo, rel)
    try:
        if stat.S_ISREG(os.lstat(p).st_mode):
            p.unlink()
    except FileNotFoundError:
        return
    _rmdirs(p.parent, repo)


def _rmdirs(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``stop`` while they are empty."""
    while folder != stop and _is_within(folder, stop):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


__all__ = ["MARKER", "publish_release"]
