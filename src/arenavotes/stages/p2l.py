"""Stage ``p2l``: prompt-to-leaderboard over a workspace's votes.

``build_index`` builds (or reuses, when the sources' runs and the selection have not changed) the index of a
scope and records the build in ``runs``; ``score`` answers prompts from it; ``run_evaluate`` measures it on
held-out prompts. See :mod:`arenavotes.p2l` for the method.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from arenavotes.stages.base import Echo, StageResult, exclusion_policy, recorded, settings_hash
from arenavotes.workspace import Workspace

if TYPE_CHECKING:
    from arenavotes.p2l.index import Index


@dataclasses.dataclass(frozen=True)
class P2LOptions:
    sources: tuple[str, ...] = ()
    all_sources: bool = False
    scope: str | None = None  # default: the sources (and filters), as 'rate' names them
    anony_only: bool = False
    exclude_flags: str | None = None  # None: [dedup] exclude
    arena: str | None = None
    mix_arenas: bool = False
    rebuild: bool = False
    seed: int = 0


@dataclasses.dataclass
class Built:
    """A loaded index with its prompts (row, text_hash, battle_id), scope and whether this call built it."""

    index: Index
    prompts: pl.DataFrame
    scope: str
    result: StageResult | None


def _selection(ws: Workspace, options: P2LOptions, con: Any) -> tuple[list[str], str | None, str, tuple[str, ...]]:
    from arenavotes.ratings import leaderboard as lb
    from arenavotes.ratings import store as rstore
    from arenavotes.sources import resolve_sources

    chosen = resolve_sources(con, options.sources, options.all_sources)
    arena = rstore.choose_arena(con, chosen, options.arena, options.mix_arenas)
    scope = options.scope or lb.scope_name(chosen, options.anony_only, None, None, arena)
    exclude = exclusion_policy(options.exclude_flags, ws.settings().dedup.exclude)
    return chosen, arena, scope, exclude


def build_index(ws: Workspace, options: P2LOptions, echo: Echo | None = None) -> Built:
    """The index of the options' scope: the stored one if it was built from the same runs and selection
    (unless ``rebuild``), else a new one, stored and recorded."""
    from arenavotes.embeddings import cache
    from arenavotes.embeddings.encoder import Encoder
    from arenavotes.errors import UserError
    from arenavotes.p2l import index, store

    settings = ws.settings()
    enc = Encoder.load()
    with ws.connect() as con:
        chosen, arena, scope, exclude = _selection(ws, options, con)
        selection = {"anony_only": options.anony_only, "exclude": list(exclude), "arena": arena, "seed": options.seed}
        fp = store.fingerprint(con, chosen, {**selection, "encoder": enc.name, "index": index.VERSION})
        if not options.rebuild:
            found = store.load_index(con, scope, enc)
            if found is not None and found[2] == fp:
                return Built(found[0], found[1], scope, None)
        hash_ = settings_hash(settings, "p2l", {"sources": chosen, **selection})
        with recorded(con, "p2l", hash_, target=scope) as run:
            if echo:
                echo(f"p2l: building the index of '{scope}' (prompts encoded once, then cached)")
            before = con.sql("SELECT count(*) FROM embeddings WHERE encoder = ?", params=[enc.name]).fetchall()[0][0]
            votes, prompts = store.load_votes(
                con, chosen, exclude_flags=exclude, arena=arena, anony_only=options.anony_only, encoder=enc
            )
            if votes.height == 0:
                raise UserError(
                    f"'{scope}' has no votes with prompt text",
                    hint="prompt-to-leaderboard needs sources with prompts (see 'arenavotes status')",
                )
            encoded = con.sql("SELECT count(*) FROM embeddings WHERE encoder = ?", params=[enc.name]).fetchall()[0][0]
            vecs = cache.vectors(con, prompts["text_hash"], enc)
            ix = index.build(votes, vecs, prompts["text_hash"].to_list(), encoder=enc.name, seed=options.seed)
            store.save_index(con, scope, ix, prompts, fp, run.run_id)
            run.rows_in, run.rows_out = votes.height, prompts.height
            run.counts = {
                "votes": votes.height,
                "prompts": prompts.height,
                "models": len(ix.models),
                "encoded": int(encoded - before),
                "k": ix.k,
                "lam": ix.lam if np.isfinite(ix.lam) else None,
            }
        lam = f"{ix.lam:g}" if np.isfinite(ix.lam) else "inf (the overall board: no neighbourhood beat it)"
        lines = (
            f"p2l index '{scope}': {votes.height:,} votes on {prompts.height:,} distinct prompts, {len(ix.models)} "
            f"models; {int(encoded - before):,} prompts encoded ({enc.name}); k = {ix.k}, prior precision = {lam}",
        )
        result = StageResult(
            "p2l", (run.run_id,), hash_, tuple(chosen), votes.height, prompts.height, run.counts, lines
        )
        return Built(ix, prompts, scope, result)


def score(
    built: Built, texts: Sequence[str], neighbours: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[list[str]]]:
    """(theta, variance, votes, nearest battle ids) for each prompt text (see :func:`arenavotes.p2l.index.predict`;
    where the index uses the overall board, the board's own variances)."""
    from arenavotes.embeddings.encoder import Encoder
    from arenavotes.p2l.index import predict

    theta, var, votes, rows = predict(built.index, Encoder.load().encode(list(texts)))
    ids = built.prompts["battle_id"].to_numpy()
    near = [ids[r[:neighbours]].tolist() for r in rows]
    if not np.isfinite(built.index.lam):
        var = np.tile(board_variance(built.index), (len(texts), 1))
    return theta, var, votes, near


def board_variance(ix: Index) -> np.ndarray:
    """The overall board's variances (natural units^2): the diagonal of the inverse Fisher information of
    all the index's votes (mean-zero gauge)."""
    from arenavotes.ratings.bt import hessian, pinv_sum_zero, sigmoid

    k = len(ix.models)
    tot = np.asarray(ix.cells.sum(axis=0)).reshape(-1)
    cells = np.flatnonzero(tot.real > 0)
    i, j, n = cells // k, cells % k, tot.real[cells]
    p = sigmoid(ix.theta0[i] - ix.theta0[j])
    hess = hessian(i, j, n * p * (1 - p), k)
    return np.diag(pinv_sum_zero(hess)).copy()


def run_evaluate(ws: Workspace, options: P2LOptions, folds: int = 5, echo: Echo | None = None) -> dict[str, Any]:
    """Held-out-prompt evaluation of the scope's votes (see :mod:`arenavotes.p2l.evaluate`)."""
    from arenavotes.db import register_arrow, unregister_arrow
    from arenavotes.embeddings import cache
    from arenavotes.embeddings.encoder import Encoder
    from arenavotes.p2l import evaluate, store

    enc = Encoder.load()
    with ws.connect() as con:
        chosen, arena, scope, exclude = _selection(ws, options, con)
        votes, prompts = store.load_votes(
            con, chosen, exclude_flags=exclude, arena=arena, anony_only=options.anony_only, encoder=enc
        )
        vecs = cache.vectors(con, prompts["text_hash"], enc)
        register_arrow(con, "_p2l_first", prompts.select("row", "battle_id").to_arrow())
        try:
            labels = pl.from_arrow(
                con.sql(
                    "SELECT DISTINCT f.row, l.category FROM prompt_labels l JOIN _p2l_first f USING (battle_id) "
                    "WHERE l.value ORDER BY ALL"
                ).to_arrow_table()
            )
        finally:
            unregister_arrow(con, "_p2l_first")
    assert isinstance(labels, pl.DataFrame)
    if echo:
        echo(f"p2l: evaluating on '{scope}': {votes.height:,} votes, {prompts.height:,} prompts, {folds} folds")
    result = evaluate.evaluate(
        votes,
        vecs,
        prompts["text_hash"].to_list(),
        folds=folds,
        seed=options.seed,
        labels=labels if labels.height else None,
    )
    result["scope"] = scope
    result["encoder"] = enc.name
    return json.loads(json.dumps(result, default=float))
