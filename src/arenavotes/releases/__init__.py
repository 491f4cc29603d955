"""Versioned releases: build, card, gate, integrity, publish."""

from pathlib import Path


def release_dir(workspace: Path) -> Path:
    """Where a workspace keeps its releases (``WORKSPACE/releases/VERSION``); here, not in ``build``, so that
    reading a release (``arenavotes sql --release``) does not import the release builder.

    >>> release_dir(Path("arena")).as_posix()
    'arena/releases'
    """
    return workspace / "releases"
