"""SQL over a release: documented views and recipes shipped in ``arenavotes/sql``.

Views (see ``sql/views.sql``): battles, conversations, leaderboard, flags, prompt_labels, model_pairs
(the win matrix), votes_by_day, categories. Each recipe file starts with a comment saying what it answers.

>>> sorted(recipes())[:3]
['category_sizes', 'daily_volume', 'flag_summary']
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import duckdb

from arenavotes.errors import UserError


def _text(name: str) -> str:
    return importlib.resources.files("arenavotes.sql").joinpath(name).read_text(encoding="utf-8")


_TYPES = {"string": "VARCHAR", "large_string": "VARCHAR", "string_view": "VARCHAR", "double": "DOUBLE",
          "float": "FLOAT", "int64": "BIGINT", "int32": "INTEGER", "bool": "BOOLEAN"}


def attach(con: duckdb.DuckDBPyConnection, release: Path) -> None:
    """Create the views over the parquet files of ``release`` (a config the release left empty gets an
    empty view with its columns, so every recipe runs)."""
    manifest = release / "manifest.json"
    if not manifest.exists():
        raise UserError(f"{release}: not a release folder", hint="build one with 'arenavotes release VERSION'")
    import json

    schemas = json.loads(manifest.read_text())["schemas"]
    root = str(release.resolve()).replace("'", "''")
    for config, columns in schemas.items():
        if not any((release / "data" / config).glob("*.parquet")):
            cols = ", ".join(f'NULL::{_TYPES.get(c["type"], "TIMESTAMPTZ" if c["type"].startswith("timestamp") else "VARCHAR")}'
                             f' AS "{c["name"]}"' for c in columns)
            con.execute(f"CREATE TABLE {config} AS SELECT {cols} WHERE false")
    statements = [st for st in _text("views.sql").replace("{root}", root).split(";\n") if st.strip()]
    for st in statements:
        name = st.split("VIEW", 1)[1].split()[0] if "CREATE OR REPLACE VIEW" in st else ""
        if name in schemas and not any((release / "data" / name).glob("*.parquet")):
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
