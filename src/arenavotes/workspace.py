"""A workspace: one folder with ``arenavotes.toml`` (settings) and ``arena.duckdb`` (all tables).

Releases and reports are written below it (``releases/<version>/``, ``reports/<YYYY-MM>/``).

>>> import tempfile
>>> ws = Workspace.init(Path(tempfile.mkdtemp()) / "myarena")
>>> sorted(p.name for p in ws.path.iterdir())
['.gitignore', 'arenavotes.toml']
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb

from arenavotes import db
from arenavotes.config import Settings, default_toml
from arenavotes.errors import UserError
from arenavotes.privacy import SECRET_FILE, load_secret

SETTINGS_FILE = "arenavotes.toml"
#: Parsed settings by file, with the (mtime, size) they were parsed at.
_SETTINGS: dict[Path, tuple[tuple[int, int] | None, Settings]] = {}
DB_FILE = "arena.duckdb"


@dataclasses.dataclass(frozen=True)
class Workspace:
    path: Path

    @property
    def settings_path(self) -> Path:
        return self.path / SETTINGS_FILE

    @property
    def db_path(self) -> Path:
        return self.path / DB_FILE

    @classmethod
    def init(cls, path: Path) -> Workspace:
        """Create the folder and a commented settings file; an existing workspace is left as it is."""
        if path.exists() and not path.is_dir():
            raise UserError(f"{path}: exists and is not a folder", hint="choose another workspace path")
        if not path.exists():
            path.mkdir(parents=True, mode=0o700)  # private: texts before release, pseudonyms, the key
        ws = cls(path)
        if not ws.settings_path.exists():
            ws.settings_path.write_text(default_toml(), encoding="utf-8")
        gitignore = path / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text(f"{SECRET_FILE}\n{DB_FILE}\n{DB_FILE}.wal\n{DB_FILE}.tmp/\n", encoding="utf-8")
        return ws

    @classmethod
    def open(cls, path: Path) -> Workspace:
        """An existing workspace (a folder with ``arenavotes.toml``)."""
        ws = cls(path)
        if not ws.settings_path.exists():
            raise UserError(
                f"{path}: not an arenavotes workspace (no {SETTINGS_FILE})",
                hint=f"run 'arenavotes init {path}' or pass -w DIR",
            )
        return ws

    def settings(self) -> Settings:
        """The workspace's settings, parsed once per version of the file (a command asks several times)."""
        try:
            st = self.settings_path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        cached = _SETTINGS.get(self.settings_path)
        if cached is None or cached[0] != stamp or stamp is None:
            cached = (stamp, Settings.load(self.settings_path))
            _SETTINGS[self.settings_path] = cached
        return cached[1]

    def secret(self) -> bytes:
        return load_secret(self.path, self.settings().privacy.secret_env)

    def connect(self, read_only: bool = False, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
        """The workspace database (see :func:`arenavotes.db.connect`; ``memory_limit``: DuckDB's cap)."""
        return db.connect(self.db_path, read_only=read_only, memory_limit=memory_limit)
