"""Read-only SQL for users (``arenavotes sql``): only read statements, and a DuckDB that cannot touch files.

Two independent fences:

* :func:`check_query` parses the text with DuckDB's own parser and accepts only read statements (SELECT,
  including WITH/VALUES/FROM-first, DESCRIBE, SHOW, SUMMARIZE, and EXPLAIN of one of these); anything else
  (COPY, EXPORT, ATTACH, SET, PRAGMA, CALL, INSTALL/LOAD, CREATE, INSERT, ...) is refused, whatever its case,
  comments or position in a ``;`` chain.
* :func:`confine` uses DuckDB's own sandbox: ``allowed_paths``/``allowed_directories`` (only the release's
  verified files, plus what the user opted into with ``allow_read``), ``enable_external_access=false`` (no
  other file, no ATTACH, no extension install/load), extension autoload/autoinstall off, and finally
  ``lock_configuration=true`` so no statement can undo it. parquet, json and icu are statically linked in
  the DuckDB wheel, so autoloading is not needed.

:func:`open_workspace` and :func:`open_release` return such a connection; :func:`run_query` runs checked SQL.

>>> check_query("select 1; /* two */ FROM (values (2))")
['select 1;', ' /* two */ FROM (values (2))']
>>> check_query("COPY (select 1) TO 'x.csv'")
Traceback (most recent call last):
...
arenavotes.errors.UserError: SQL: COPY statements are not allowed here: only read statements (SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) (this SQL is read-only: it cannot change the workspace or touch files)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from arenavotes.db import sql_str
from arenavotes.errors import UserError
from arenavotes.privacy import SECRET_FILE
from arenavotes.workspace import DB_FILE

if TYPE_CHECKING:
    import pyarrow as pa

READ_STATEMENTS = "SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN"
_HINT = "this SQL is read-only: it cannot change the workspace or touch files"


def _refuse(what: str) -> UserError:
    return UserError(
        f"SQL: {what} statements are not allowed here: only read statements ({READ_STATEMENTS})", hint=_HINT
    )


def _statements(sql: str) -> list[duckdb.Statement]:
    try:
        return list(duckdb.extract_statements(sql))
    except duckdb.Error as exc:
        raise UserError(f"SQL: {str(exc).strip().splitlines()[0]}", hint=_HINT) from None


def _explained(query: str) -> list[str]:
    """What ``EXPLAIN [ANALYZE] [(options)] <statement>`` may explain: every reading of the text after
    EXPLAIN, with and without skipping ANALYZE and a parenthesised option list."""
    tokens = duckdb.tokenize(query)
    bounds = [pos for pos, _ in tokens] + [len(query)]
    words = [
        (query[bounds[i] : bounds[i + 1]].strip(), bounds[i])
        for i, (_, kind) in enumerate(tokens)
        if kind != duckdb.token_type.comment
    ]
    starts = {1}
    if len(words) > 1 and words[1][0].lower() == "analyze":
        starts.add(2)
    for i in list(starts):
        if i < len(words) and words[i][0].startswith("("):
            depth, j = 0, i
            while j < len(words):
                depth += words[j][0].count("(") - words[j][0].count(")")
                j += 1
                if depth <= 0:
                    break
            starts.add(j)
    return [query[words[i][1] :] for i in sorted(starts) if i < len(words)]


def _check(statement: duckdb.Statement, depth: int = 0) -> None:
    try:
        kind = statement.type
    except ValueError:  # a statement type the Python API does not know (e.g. UPDATE EXTENSIONS)
        raise _refuse("these") from None
    if kind == duckdb.StatementType.SELECT:
        return
    if kind == duckdb.StatementType.EXPLAIN and depth < 3:
        parsed = 0
        for text in _explained(statement.query):
            try:
                inner = list(duckdb.extract_statements(text))
            except (duckdb.Error, ValueError):
                continue  # not how DuckDB read it
            if len(inner) != 1:
                raise _refuse("EXPLAIN")
            _check(inner[0], depth + 1)
            parsed += 1
        if not parsed:
            raise _refuse("EXPLAIN")
        return
    raise _refuse(kind.name)


def check_query(sql: str) -> list[str]:
    """The statements of ``sql`` (their text, in order) if every one is a read statement; else
    :class:`UserError` naming the first statement type that is not."""
    statements = _statements(sql)
    if not statements:
        raise UserError("SQL: no statement", hint="write a SELECT")
    for st in statements:
        _check(st)
    return [st.query for st in statements]


def _sql_list(paths: Sequence[str]) -> str:
    return "[" + ", ".join(sql_str(p) for p in paths) + "]"


def confine(
    con: duckdb.DuckDBPyConnection,
    allowed_dirs: Sequence[Path] = (),
    *,
    allowed_files: Sequence[Path] = (),
    lock: bool = True,
) -> None:
    """Sandbox ``con``: it may read only ``allowed_files`` and the files below ``allowed_dirs`` (each
    resolved; a folder is matched with a trailing '/', so ``/r/v1`` does not admit ``/r/v10``), nothing
    else; no extension can be installed or loaded. With ``lock`` (the default) the configuration is then
    locked, so no statement can change it; pass ``lock=False`` to create views first, then :func:`lock`."""
    dirs = [str(Path(d).resolve()).rstrip("/") + "/" for d in allowed_dirs]
    files = [str(Path(f).resolve()) for f in allowed_files]
    try:
        if dirs:
            con.execute(f"SET allowed_directories = {_sql_list(dirs)}")
        if files:
            con.execute(f"SET allowed_paths = {_sql_list(files)}")
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        con.execute("SET allow_community_extensions = false")
        con.execute("SET enable_external_access = false")
    except duckdb.Error as exc:  # fail closed: a DuckDB without these settings is not used for user SQL
        raise UserError(f"cannot sandbox DuckDB {duckdb.__version__}: {exc}", hint="install duckdb>=1.1") from None
    if lock:
        lock_configuration(con)


def lock_configuration(con: duckdb.DuckDBPyConnection) -> None:
    """Lock the settings :func:`confine` made (no SET/RESET/PRAGMA can change them afterwards) and check them."""
    con.execute("SET lock_configuration = true")
    got = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration')"
        ).fetchall()
    )
    if got != {"enable_external_access": "false", "lock_configuration": "true"}:
        raise UserError(f"cannot sandbox DuckDB {duckdb.__version__}: settings are {got}", hint="install duckdb>=1.1")


def _forbidden(workspace: Path | None) -> list[Path]:
    if workspace is None:
        return []
    ws = Path(workspace).resolve()
    return [ws / SECRET_FILE, ws / DB_FILE, ws / f"{DB_FILE}.wal"]


def vet_allow_read(paths: Sequence[Path], workspace: Path | None) -> tuple[list[Path], list[Path]]:
    """The folders and files a user opted into reading (``--allow-read``), resolved; refuses any path that
    is, contains or links to the workspace secret or database, and a folder holding a symbolic link that
    leads outside it (DuckDB follows links below an allowed folder) or a hard link to those files."""
    forbidden = _forbidden(workspace)
    inodes = set()
    for f in forbidden:
        try:
            st = os.stat(f)
            inodes.add((st.st_dev, st.st_ino))
        except OSError:
            pass

    def bad(target: Path) -> bool:
        return any(f == target or f.is_relative_to(target) for f in forbidden)

    dirs: list[Path] = []
    files: list[Path] = []
    for p in paths:
        try:
            r = Path(p).resolve(strict=True)
        except (OSError, RuntimeError):
            raise UserError(f"--allow-read {p}: no such file or folder", hint="check the path") from None
        if bad(r):
            raise UserError(
                f"--allow-read {p}: is or contains the workspace secret or database",
                hint="allow only the folders with the files you want to query",
            )
        st = os.stat(r)
        if stat.S_ISDIR(st.st_mode):
            for top, subdirs, names in os.walk(r, followlinks=False):
                for name in subdirs + names:
                    q = Path(top) / name
                    lst = os.lstat(q)
                    if stat.S_ISLNK(lst.st_mode):
                        target = q.resolve()
                        if bad(target) or not target.is_relative_to(r):
                            raise UserError(
                                f"--allow-read {p}: {q} is a symbolic link to {target}, outside it",
                                hint="allow the files themselves, not a folder with links",
                            )
                    elif (lst.st_dev, lst.st_ino) in inodes:
                        raise UserError(
                            f"--allow-read {p}: {q} is a link to the workspace secret or database",
                            hint="allow only the folders with the files you want to query",
                        )
            dirs.append(r)
        else:
            if (st.st_dev, st.st_ino) in inodes:
                raise UserError(
                    f"--allow-read {p}: is the workspace secret or database",
                    hint="allow only the files you want to query",
                )
            files.append(r)
    return dirs, files


def open_workspace(workspace: Path, *, allow_read: Sequence[Path] = ()) -> duckdb.DuckDBPyConnection:
    """The workspace database, read-only and confined (no file access except ``allow_read``)."""
    from arenavotes import db

    dirs, files = vet_allow_read(allow_read, workspace)
    con = db.connect(Path(workspace) / DB_FILE, read_only=True)
    try:
        confine(con, dirs, allowed_files=files)
    except BaseException:
        con.close()
        raise
    return con


def open_release_of(workspace: Path, release: str, *, allow_read: Sequence[Path] = ()) -> duckdb.DuckDBPyConnection:
    """:func:`open_release` for ``release``: a version of the workspace's releases (checked with the
    workspace's key) or a folder (a release of the workspace, or a foreign one checked by its manifest only)."""
    from arenavotes.releases import release_dir
    from arenavotes.workspace import Workspace

    path = Path(release) if Path(release).is_dir() else release_dir(workspace) / release
    ours = (workspace / "arenavotes.toml").exists() and path.resolve().parent == release_dir(workspace).resolve()
    key = Workspace.open(workspace).secret() if ours else None
    return open_release(path, key=key, workspace=workspace, allow_read=allow_read)


def open_release(
    release: Path, *, key: bytes | None, workspace: Path | None = None, allow_read: Sequence[Path] = ()
) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the views over ``release``, after :func:`verify_release` (with the
    signature when ``key``, the workspace secret, is given); it can read the release's verified files
    and ``allow_read`` only."""
    from arenavotes import db
    from arenavotes.releases import sql as rsql
    from arenavotes.releases.integrity import SIGNATURE, verify_release

    dirs, files = vet_allow_read(allow_read, workspace)
    verified = verify_release(release, key)
    root = release.resolve()
    con = db.scratch()
    try:
        confine(con, dirs, allowed_files=[root / f for f in verified.files if f != SIGNATURE] + files, lock=False)
        rsql.attach(con, release, verified=verified)
        lock_configuration(con)
    except BaseException:
        con.close()
        raise
    return con


def run_query(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyRelation | None:
    """Check ``sql`` (:func:`check_query`), bind each statement and return the last one's relation (what
    ``con.sql`` would give). DuckDB errors become :class:`UserError`."""
    rel = None
    try:
        for text in check_query(sql):
            rel = con.sql(text)
    except duckdb.Error as exc:
        raise UserError(f"SQL: {str(exc).strip().splitlines()[0]}", hint=_HINT) from None
    return rel


def query_arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table | None:
    """:func:`run_query` as a ``pyarrow.Table`` (``None`` for a statement without rows)."""
    rel = run_query(con, sql)
    if rel is None:
        return None
    try:
        return rel.to_arrow_table()
    except duckdb.Error as exc:
        raise UserError(f"SQL: {str(exc).strip().splitlines()[0]}", hint=_HINT) from None


__all__ = [
    "check_query",
    "confine",
    "lock_configuration",
    "open_release",
    "open_workspace",
    "query_arrow",
    "run_query",
    "vet_allow_read",
]
