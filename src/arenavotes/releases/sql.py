"""SQL over a release: documented views and recipes shipped in ``arenavotes/sql``.

Views (see ``sql/views.sql``): battles, conversations, leaderboard, flags, prompt_labels, model_pairs
(the win matrix), votes_by_day, categories. Each recipe file starts with a comment saying what it answers.

>>> sorted(recipes())[:3]
['category_sizes', 'daily_volume', 'flag_summary']
"""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import duckdb

from arenavotes.db import sql_ident, sql_str
from arenavotes.errors import UserError
from arenavotes.releases.integrity import VerifiedRelease, verify_release


def _text(name: str) -> str:
    return importlib.resources.files("arenavotes.sql").joinpath(name).read_text(encoding="utf-8")


_TYPES = {
    "string": "VARCHAR",
    "large_string": "VARCHAR",
    "string_view": "VARCHAR",
    "double": "DOUBLE",
    "float": "FLOAT",
    "int64": "BIGINT",
    "int32": "INTEGER",
    "bool": "BOOLEAN",
}
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_PARQUET_GLOB = re.compile(r"read_parquet\('\{root\}/data/([a-z_][a-z0-9_]*)/\*\.parquet'\)")


def _sql_type(arrow_type: object) -> str:
    t = str(arrow_type)
    return _TYPES.get(t, "TIMESTAMPTZ" if t.startswith("timestamp") else "VARCHAR")


def attach(con: duckdb.DuckDBPyConnection, release: Path, verified: VerifiedRelease | None = None) -> None:
    """Create the views over the parquet files of ``release`` (a config the release left empty gets an
    empty view with its columns, so every recipe runs). The release is verified first
    (:func:`arenavotes.releases.integrity.verify_release`, unless ``verified`` is given): the views read
    exactly the parquet files its manifest lists, by name, never a glob over the folder."""
    if verified is None:
        verified = verify_release(release, None)
    root = verified.root.resolve()
    schemas = verified.manifest.get("schemas")
    if not isinstance(schemas, dict):
        raise UserError(f"{release}: its manifest has no schemas", hint="build the release again")
    parquet: dict[str, list[str]] = {}
    for rel in verified.files:
        parts = rel.split("/")
        if len(parts) == 3 and parts[0] == "data" and parts[2].endswith(".parquet"):
            parquet.setdefault(parts[1], []).append(str(root / rel))
    for config, columns in schemas.items():
        if not _NAME.match(str(config)) or not isinstance(columns, list):
            raise UserError(f"{release}: bad config name {config!r} in its manifest", hint="build the release again")
        if config not in parquet:
            cols = ", ".join(f"NULL::{_sql_type(c.get('type'))} AS {sql_ident(str(c.get('name')))}" for c in columns)
            con.execute(f"CREATE TABLE {config} AS SELECT {cols} WHERE false")

    def files_of(m: re.Match[str]) -> str:
        return "read_parquet([" + ", ".join(sql_str(f) for f in sorted(parquet.get(m.group(1), []))) + "])"

    # every read of the template names its files (quoted by sql_str); "{root}" is left only in its comment
    template = _PARQUET_GLOB.sub(files_of, _text("views.sql"))
    for st in [st for st in template.split(";\n") if st.strip()]:
        name = st.split("VIEW", 1)[1].split()[0] if "CREATE OR REPLACE VIEW" in st else ""
        if name in schemas and name not in parquet:
            continue
        con.execute(st)


def recipes() -> dict[str, str]:
    """Recipe name -> its first comment line (what it answers)."""
    out = {}
    for f in importlib.resources.files("arenavotes.sql").iterdir():
        if f.name.endswith(".sql") and f.name != "views.sql":
            first = f.read_text(encoding="utf-8").splitlines()[0]
            out[f.name.removesuffix(".sql")] = first.removeprefix("-- What it answers:").strip()
    return out


def recipe(name: str) -> str:
    if name not in recipes():
        raise UserError(f"unknown recipe '{name}'", hint=f"recipes: {', '.join(sorted(recipes()))}")
    return _text(f"{name}.sql")
