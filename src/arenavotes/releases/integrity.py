"""Integrity of a release folder: exactly the files its manifest lists, unchanged, signed by the workspace.

A build writes ``manifest.json`` (sha256 of every file it wrote) and ``manifest.sig``: an HMAC-SHA256 of the
manifest's exact bytes under a key derived from the workspace secret (:func:`manifest_key`), so a manifest
re-hashed after the data was edited no longer verifies. :func:`verify_release` never follows a symlink,
refuses any file or folder the manifest does not list, checks the size (when the manifest records it) and
the sha256 of every listed file, and returns the exact list of files a consumer may read or publish.

>>> key = b"workspace secret"
>>> sig = sign_manifest(b'{"files": {}}', key)
>>> check_signature(b'{"files": {}}', sig, key), check_signature(b'{"files": {} }', sig, key)
(True, False)
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import hmac
import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from arenavotes.errors import UserError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
_KEY_CONTEXT = b"arenavotes-manifest-v1"
_CHUNK = 1 << 20
_HINT = "releases are immutable: build a new version"


def manifest_key(secret: bytes) -> bytes:
    """The signing key of release manifests, derived from the workspace secret (never the secret itself)."""
    return hmac.new(secret, _KEY_CONTEXT, hashlib.sha256).digest()


def sign_manifest(manifest_bytes: bytes, key: bytes) -> str:
    """The content of ``manifest.sig`` for ``manifest_bytes``; ``key`` is the workspace secret."""
    return hmac.new(manifest_key(key), manifest_bytes, hashlib.sha256).hexdigest()


def check_signature(manifest_bytes: bytes, signature: str, key: bytes) -> bool:
    return hmac.compare_digest(sign_manifest(manifest_bytes, key), signature.strip())


def write_signature(release: Path, key: bytes) -> Path:
    """Sign ``release/manifest.json`` (as written) into ``release/manifest.sig``; returns that path."""
    data = _read_nofollow(release / MANIFEST)
    out = release / SIGNATURE
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(sign_manifest(data, key) + "\n")
    return out


def gate_version(*, threshold: float, ner: bool) -> str:
    """What identifies a PII gate run: the code version and the settings that change its findings. A
    manifest records it as ``pii_gate = {"version": ..., "passed": true}``; publish re-runs the gate
    unless a signed manifest says the same gate passed."""
    from arenavotes import __version__

    return f"arenavotes-{__version__};threshold={threshold};ner={str(ner).lower()}"


@dataclasses.dataclass(frozen=True)
class VerifiedRelease:
    """A release whose files were checked. ``files``: the manifest's files (sorted relative POSIX paths),
    then ``manifest.json`` and, when present, ``manifest.sig`` — exactly what may be published."""

    root: Path
    manifest: dict[str, Any]
    manifest_bytes: bytes
    signed: bool
    files: tuple[str, ...]
    sizes: dict[str, int]

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    def gate_passed(self, version: str | None) -> bool:
        """True when the signed manifest records that the PII gate ``version`` passed."""
        gate = self.manifest.get("pii_gate")
        return (
            self.signed
            and version is not None
            and isinstance(gate, dict)
            and gate.get("version") == version
            and gate.get("passed") is True
        )


def _fail(release: Path, what: str) -> UserError:
    return UserError(f"release {release.name} was modified after it was built: {what}", hint=_HINT)


def _open_nofollow(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UserError(f"{path}: is a symbolic link", hint=_HINT) from None
        raise UserError(f"{path}: cannot be read ({exc.strerror})", hint=_HINT) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UserError(f"{path}: not a regular file", hint=_HINT)
    return fd


def _read_nofollow(path: Path) -> bytes:
    fd = _open_nofollow(path)
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def _check_relpath(release: Path, rel: object) -> str:
    """A manifest entry must be a plain relative POSIX path below the release (no '..', no absolute path)."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\x00" in rel:
        raise _fail(release, f"bad file name {rel!r} in {MANIFEST}")
    p = PurePosixPath(rel)
    if p.is_absolute() or p.as_posix() != rel or any(part in ("", ".", "..") for part in rel.split("/")):
        raise _fail(release, f"bad file name {rel!r} in {MANIFEST}")
    if rel in (MANIFEST, SIGNATURE):
        raise _fail(release, f"{MANIFEST} lists {rel}")
    return rel


def _walk(release: Path) -> tuple[set[str], set[str]]:
    """Every regular file and folder below ``release`` (relative POSIX paths), refusing symlinks and
    special files; nothing is followed."""
    files: set[str] = set()
    dirs: set[str] = set()
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(release / prefix if prefix else release) as it:
            for entry in it:
                rel = f"{prefix}{entry.name}"
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    raise _fail(release, f"{rel} is a symbolic link")
                if stat.S_ISDIR(st.st_mode):
                    dirs.add(rel)
                    stack.append(rel + "/")
                elif stat.S_ISREG(st.st_mode):
                    files.add(rel)
                else:
                    raise _fail(release, f"{rel} is not a regular file")
    return files, dirs


def _hash_fd(fd: int, sink: Callable[[bytes], object] | None = None) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    while chunk := os.read(fd, _CHUNK):
        h.update(chunk)
        n += len(chunk)
        if sink is not None:
            sink(chunk)
    return h.hexdigest(), n


def _check_file(
    path: Path,
    rel: str,
    listed: dict[str, str],
    sizes_declared: dict[str, Any],
    manifest_bytes: bytes,
    stage_to: Path | None,
) -> int:
    """Hash one file (opened without following links), copying it to ``stage_to`` on the way; its size."""
    fd = _open_nofollow(path / rel)
    try:
        if stage_to is None:
            digest, size = _hash_fd(fd)
        else:
            dest = stage_to / rel
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(out, "wb") as fh:
                digest, size = _hash_fd(fd, fh.write)
    finally:
        os.close(fd)
    if rel == MANIFEST:
        if hashlib.sha256(manifest_bytes).hexdigest() != digest:
            raise _fail(path, f"{MANIFEST} changed while it was read")
    elif rel != SIGNATURE:
        declared = sizes_declared.get(rel)
        if (declared is not None and declared != size) or digest != listed[rel]:
            raise _fail(path, f"{rel} does not match its sha256 in {MANIFEST}")
    return size


def verify_release(path: Path, key: bytes | None, *, stage_to: Path | None = None) -> VerifiedRelease:
    """Check ``path`` against its manifest (and its signature when ``key``, the workspace secret, is given:
    a missing or wrong ``manifest.sig`` is refused). With ``stage_to``, every file is copied there while
    it is hashed (each file is read once, so what was checked is what was copied); a mismatch removes
    the staged copy. Raises :class:`UserError` naming the first problem."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise UserError(f"no release at {path}", hint="build it with 'arenavotes release VERSION'") from None
    if stat.S_ISLNK(st.st_mode):
        raise UserError(f"{path}: the release folder is a symbolic link", hint="use the release folder itself")
    if not stat.S_ISDIR(st.st_mode):
        raise UserError(f"{path}: not a release folder", hint="build one with 'arenavotes release VERSION'")
    try:
        os.lstat(path / MANIFEST)
    except FileNotFoundError:
        raise UserError(f"{path}: not a release (no {MANIFEST})", hint="build one with 'arenavotes release'") from None
    manifest_bytes = _read_nofollow(path / MANIFEST)
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        raise _fail(path, f"{MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict) or "version" not in manifest:
        raise _fail(path, f"{MANIFEST} has no version or file list")
    signed = False
    on_disk, dirs = _walk(path)
    if key is not None:
        if SIGNATURE not in on_disk:
            raise UserError(
                f"release {path.name} is not signed by this workspace (no {SIGNATURE})",
                hint="build it again with this version of arenavotes",
            )
        if not check_signature(manifest_bytes, _read_nofollow(path / SIGNATURE).decode("ascii", "replace"), key):
            raise _fail(path, f"{SIGNATURE} does not match {MANIFEST} (or the release was built by another workspace)")
        signed = True
    listed: dict[str, str] = {}
    for rel, digest in manifest["files"].items():
        listed[_check_relpath(path, rel)] = str(digest).lower()
    sizes_declared: dict[str, Any] = manifest["sizes"] if isinstance(manifest.get("sizes"), dict) else {}
    extra = sorted(on_disk - set(listed) - {MANIFEST, SIGNATURE})
    if extra:
        raise _fail(path, f"files not in its manifest: {', '.join(extra[:5])}")
    missing = sorted(set(listed) - on_disk)
    if missing:
        raise _fail(path, f"missing: {', '.join(missing[:5])}")
    parents = {str(PurePosixPath(rel).parents[i]) for rel in listed for i in range(len(PurePosixPath(rel).parts) - 1)}
    stray = sorted(dirs - parents)
    if stray:
        raise _fail(path, f"folders not in its manifest: {', '.join(stray[:5])}")
    publish = sorted(listed) + [MANIFEST] + ([SIGNATURE] if SIGNATURE in on_disk else [])
    if stage_to is not None:
        stage_to.mkdir(mode=0o700)
    sizes: dict[str, int] = {}
    try:
        for rel in publish:
            sizes[rel] = _check_file(path, rel, listed, sizes_declared, manifest_bytes, stage_to)
    except BaseException:
        if stage_to is not None:
            shutil.rmtree(stage_to, ignore_errors=True)
        raise
    return VerifiedRelease(path, manifest, manifest_bytes, signed, tuple(publish), sizes)


__all__ = [
    "MANIFEST",
    "SIGNATURE",
    "VerifiedRelease",
    "check_signature",
    "gate_version",
    "manifest_key",
    "sign_manifest",
    "verify_release",
    "write_signature",
]
