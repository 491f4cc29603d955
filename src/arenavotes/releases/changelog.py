"""CHANGELOG.md of a release against its parent: battles added and removed, models new and retired,
rank changes on each overall leaderboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl


def changelog(
    spec: Any, tables: dict[str, pl.DataFrame], parent_dir: Path | None, parent_manifest: dict[str, Any] | None
) -> str:
    lines = [f"# Changes in {spec.version}", ""]
    battles = tables["battles"]
    if parent_dir is None or parent_manifest is None:
        lines += [
            "First release: no parent.",
            "",
            f"- {battles.height:,} battles, {pl.concat([battles['model_a'], battles['model_b']]).n_unique()} models",
        ]
        return "\n".join(lines) + "\n"
    old_sources, new_sources = list(parent_manifest.get("sources", [])), list(spec.sources)
    added = [x for x in new_sources if x not in old_sources]
    removed = [x for x in old_sources if x not in new_sources]
    old = (
        pl.read_parquet(parent_dir / "data/battles", columns=["battle_id", "model_a", "model_b"])
        if (parent_dir / "data/battles").is_dir()
        else battles.clear()
    )
    new_ids, old_ids = set(battles["battle_id"]), set(old["battle_id"])
    models_new = set(battles["model_a"]) | set(battles["model_b"])
    models_old = set(old["model_a"]) | set(old["model_b"])
    lines += [
        f"Parent: {spec.parent} ({parent_manifest['rows']['battles']:,} battles).",
        "",
        f"- sources added: {', '.join(added) or 'none'}",
        f"- sources removed: {', '.join(removed) or 'none'}",
        f"- battles added: {len(new_ids - old_ids):,}",
        f"- battles removed: {len(old_ids - new_ids):,}",
        f"- models new: {', '.join(sorted(models_new - models_old)) or 'none'}",
        f"- models retired: {', '.join(sorted(models_old - models_new)) or 'none'}",
        "",
    ]
    if tables["leaderboard"].height == 0 or not (parent_dir / "data/leaderboard").is_dir():
        lines.append(
            "No rank changes: "
            + ("this release" if tables["leaderboard"].height == 0 else spec.parent)
            + " has no leaderboard."
        )
        return "\n".join(lines).rstrip() + "\n"
    lb_new = tables["leaderboard"].filter(pl.col("category") == "overall")
    lb_old = pl.read_parquet(parent_dir / "data/leaderboard").filter(pl.col("category") == "overall")
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
