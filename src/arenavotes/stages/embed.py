"""Stage ``embed``: encode every prompt of the chosen sources into the workspace's embedding cache, on this
machine or on a Ray cluster (Ray Data over parquet shards, merged back by hash), so that the stages that read
vectors (``p2l``; categories and near-duplicates to come) find them all cached.

Running it is optional: those stages encode what is missing themselves, on this machine.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from arenavotes.stages.base import Echo, StageResult, recorded, settings_hash
from arenavotes.workspace import Workspace


@dataclasses.dataclass(frozen=True)
class EmbedOptions:
    sources: tuple[str, ...] = ()  # default: all
    engine: str = "local"  # local | ray
    ray_address: str | None = None
    shards: Path | None = None  # a folder the Ray workers can read (default: WORKSPACE/shards)


def run_embed(ws: Workspace, options: EmbedOptions, echo: Echo | None = None) -> StageResult:
    from arenavotes.embeddings import cache
    from arenavotes.embeddings.encoder import Encoder
    from arenavotes.errors import UserError
    from arenavotes.sources import resolve_sources

    if options.engine not in ("local", "ray"):
        raise UserError(f"unknown engine '{options.engine}'", hint="local or ray")
    enc = Encoder.load()
    hash_ = settings_hash(ws.settings(), "embed", {"sources": list(options.sources), "encoder": enc.name})
    with ws.connect() as con:
        chosen = resolve_sources(con, options.sources, all_sources=not options.sources)
        with recorded(con, "embed", hash_, target=",".join(chosen)) as run:
            todo, battles, distinct = cache.missing_prompts(con, chosen, enc)
            if echo:
                echo(f"embed: {distinct:,} distinct prompts, {todo.height:,} not encoded yet ({options.engine})")
            if todo.height == 0:
                added = 0
            elif options.engine == "local":
                added = cache.ensure(con, todo, enc)
            else:
                from arenavotes.embeddings.ray_engine import encode_on_ray
                from arenavotes.raydata import shard_folder, write_shards

                with shard_folder(options.shards or ws.path / "shards", "embed", run.run_id) as folder:
                    write_shards(todo.to_arrow(), folder)
                    out = encode_on_ray(folder, enc.name, options.ray_address)
                    added = cache.merge_shards(con, out, enc)
                if added != todo.height:
                    raise UserError(f"Ray returned {added:,} of {todo.height:,} vectors; nothing was kept")
            run.rows_in, run.rows_out = distinct, added
            run.counts = {
                "battles_with_prompts": battles,
                "distinct_prompts": distinct,
                "encoded": added,
                "cached_before": distinct - todo.height,
                "encoder": enc.name,
                "engine": options.engine,
            }
    lines = (
        f"embedded {distinct:,} distinct prompts of {battles:,} battles with {enc.name}: {added:,} encoded "
        f"({options.engine}), {distinct - todo.height:,} already cached",
    )
    return StageResult("embed", (run.run_id,), hash_, tuple(chosen), distinct, added, run.counts, lines)
