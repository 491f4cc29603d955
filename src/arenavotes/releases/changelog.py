"""CHANGELOG.md of a release against its parent: battles added and removed, models new and retired,
rank changes on each overall leaderboard.

The battles are compared in DuckDB over the two releases' Parquet files (anti-joins on ``battle_id``), so
memory does not grow with the releases: holding both id sets as Python sets took ~0.2 GB per million battles.

>>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
>>> root = Path(tempfile.mkdtemp())
>>> for v, ids in (("v1", ["a", "b"]), ("v2", ["b", "c", "d"])):
...     (root / v / "data/battles").mkdir(parents=True)
...     t = pa.table({"battle_id": ids, "model_a": ["x"] * len(ids), "model_b": [v] * len(ids)})
...     pq.write_table(t, root / v / "data/battles/train.parquet")
>>> class Spec: version, parent, sources = "v2", "v1", ["s"]
>>> text = changelog(Spec, root / "v2", root / "v1", {"rows": {"battles": 2}, "sources": ["s"]})
>>> [line for line in text.splitlines() if "added" in line or "removed" in line or "models" in line]
['- sources added: none', '- sources removed: none', '- battles added: 2', '- battles removed: 1', \
'- models new: v2', '- models retired: v1']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from arenavotes.db import scratch, sql_str

_NO_BATTLES = "SELECT NULL::VARCHAR AS battle_id, NULL::VARCHAR AS model_a, NULL::VARCHAR AS model_b WHERE false"


def _battles_sql(release: Path) -> str:
    """The release's battles (id and models) as a query; no rows when it has no battles file."""
    folder = release / "data/battles"
    if not any(folder.glob("*.parquet")):
        return _NO_BATTLES
    return f"SELECT battle_id, model_a, model_b FROM read_parquet({sql_str(str(folder / '*.parquet'))})"


def _leaderboard(release: Path) -> pl.DataFrame:
    folder = release / "data/leaderboard"
    return pl.read_parquet(folder) if folder.is_dir() else pl.DataFrame()


def changelog(spec: Any, release: Path, parent_dir: Path | None, parent_manifest: dict[str, Any] | None) -> str:
    """The changelog of the release written in ``release`` (its parquet files) against ``parent_dir``."""
    lines = [f"# Changes in {spec.version}", ""]
    con = scratch()
    try:
        con.execute(f"CREATE VIEW new_b AS {_battles_sql(release)}")
        models_new = {r[0] for r in con.sql(_MODELS.format(t="new_b")).fetchall()}
        if parent_dir is None or parent_manifest is None:
            (n,) = con.sql("SELECT count(*) FROM new_b").fetchall()[0]
            lines += ["First release: no parent.", "", f"- {n:,} battles, {len(models_new)} models"]
            return "\n".join(lines) + "\n"
        con.execute(f"CREATE VIEW old_b AS {_battles_sql(parent_dir)}")
        models_old = {r[0] for r in con.sql(_MODELS.format(t="old_b")).fetchall()}
        (added, removed) = con.sql(
            """SELECT (SELECT count(DISTINCT battle_id) FROM new_b ANTI JOIN old_b USING (battle_id)),
                      (SELECT count(DISTINCT battle_id) FROM old_b ANTI JOIN new_b USING (battle_id))"""
        ).fetchall()[0]
    finally:
        con.close()
    old_sources, new_sources = list(parent_manifest.get("sources", [])), list(spec.sources)
    lines += [
        f"Parent: {spec.parent} ({parent_manifest['rows']['battles']:,} battles).",
        "",
        f"- sources added: {', '.join(x for x in new_sources if x not in old_sources) or 'none'}",
        f"- sources removed: {', '.join(x for x in old_sources if x not in new_sources) or 'none'}",
        f"- battles added: {added:,}",
        f"- battles removed: {removed:,}",
        f"- models new: {', '.join(sorted(models_new - models_old)) or 'none'}",
        f"- models retired: {', '.join(sorted(models_old - models_new)) or 'none'}",
        "",
    ]
    lb_new, lb_old = _leaderboard(release), _leaderboard(parent_dir)
    if lb_new.height == 0 or lb_old.height == 0:
        lines.append(
            "No rank changes: " + ("this release" if lb_new.height == 0 else spec.parent) + " has no leaderboard."
        )
        return "\n".join(lines).rstrip() + "\n"
    lb_new = lb_new.filter(pl.col("category") == "overall")
    lb_old = lb_old.filter(pl.col("category") == "overall")
    for scope in sorted(set(lb_new["scope"]) & set(lb_old["scope"])):
        a = lb_old.filter(pl.col("scope") == scope).select("model", old="rank_ub")
        b = lb_new.filter(pl.col("scope") == scope).select("model", new="rank_ub")
        moved = a.join(b, on="model").filter(pl.col("old") != pl.col("new")).sort("new")
        lines.append(f"## Rank changes ({scope}, overall; LMArena-style rank)")
        lines.append("")
        if moved.height == 0:
            lines.append("none")
        for model, o, n in moved.iter_rows():
            lines.append(f"- {model}: {o} -> {n}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_MODELS = "SELECT DISTINCT m FROM (SELECT model_a AS m FROM {t} UNION ALL SELECT model_b FROM {t}) WHERE m IS NOT NULL"
