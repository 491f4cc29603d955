"""Database edges of prompt-to-leaderboard: the votes with their prompts' hashes, and the stored index.

The index lives in three tables of the workspace: ``p2l_prompts`` (scope, row, text_hash, battle_id: one
row per distinct prompt, with the first battle that asked it), ``p2l_cells`` (scope, row, cell, games, wins:
the votes each prompt got, by model pair) and ``p2l_meta`` (one row per scope: models, overall board,
chosen k and lam, the provenance it was built from). Prompt vectors are not copied: they are read from
``embeddings`` by hash.

>>> from arenavotes import db
>>> con = db.connect(None)
>>> load_index(con, "nothing") is None
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import polars as pl
from scipy.sparse import csr_matrix

from arenavotes.db import frame, prompt_batches, register_arrow, transaction, unregister_arrow
from arenavotes.embeddings import cache
from arenavotes.embeddings.encoder import Encoder
from arenavotes.p2l.index import Index
from arenavotes.ratings.store import battle_selection


def fingerprint(con: duckdb.DuckDBPyConnection, sources: Sequence[str], extra: object) -> str:
    """What the index was built from: the sources' ingest and stage runs (a re-ingest, scrub or dedup
    changes it) and ``extra`` (the selection and the encoder)."""
    rows = con.sql(
        "SELECT source, stage, ingest_run, run_id FROM source_stages WHERE source IN (SELECT unnest(?)) ORDER BY ALL",
        params=[list(sources)],
    ).fetchall()
    ingests = con.sql(
        "SELECT source, run_id FROM sources WHERE source IN (SELECT unnest(?)) ORDER BY ALL", params=[list(sources)]
    ).fetchall()
    return json.dumps([rows, ingests, extra], sort_keys=True, default=str)


def load_votes(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[str],
    *,
    exclude_flags: Sequence[str] = (),
    arena: str | None = None,
    anony_only: bool = False,
    encoder: Encoder | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(votes, prompts): the selected battles that have prompt text as (row, model_a, model_b, winner), and
    the distinct prompts as (row, text_hash, battle_id) in hash order, ``battle_id`` the first battle that
    asked it. New prompt texts are encoded on the way."""
    keyed = [b.select("battle_id", "text_hash") for b in cache.prompt_vectors(con, sources, encoder)]
    prompts = pl.concat(keyed) if keyed else pl.DataFrame(schema={"battle_id": pl.String, "text_hash": pl.String})
    where, args = battle_selection(sources, exclude_flags=exclude_flags, arena=arena, anony_only=anony_only)
    register_arrow(con, "_p2l_prompts", prompts.to_arrow())
    try:
        votes = frame(
            con,
            f"SELECT b.battle_id, p.text_hash, b.model_a, b.model_b, b.winner FROM battles b JOIN _p2l_prompts p USING (battle_id) "
            f"WHERE {where} AND b.winner IS NOT NULL ORDER BY b.battle_id",
            args,
        )
    finally:
        unregister_arrow(con, "_p2l_prompts")
    prompts = (
        votes.group_by("text_hash")
        .agg(pl.col("battle_id").min())
        .sort("text_hash")
        .with_row_index("row")
        .with_columns(pl.col("row").cast(pl.Int64))
    )
    votes = votes.join(prompts.select("text_hash", "row"), on="text_hash", how="left", maintain_order="left").select(
        "row", "model_a", "model_b", "winner"
    )
    return votes, prompts


def save_index(
    con: duckdb.DuckDBPyConnection, scope: str, ix: Index, prompts: pl.DataFrame, fp: str, run_id: str
) -> None:
    """Replace ``scope``'s stored index (``prompts``: row, text_hash, battle_id as :func:`load_votes` gave)."""
    c = ix.cells.tocoo()
    cells = pl.DataFrame(
        {"row": c.row.astype(np.int32), "cell": c.col.astype(np.int32), "games": c.data.real, "wins": c.data.imag}
    )
    with transaction(con):
        for table in ("p2l_cells", "p2l_prompts", "p2l_meta"):
            con.execute(f"DELETE FROM {table} WHERE scope = ?", [scope])
        register_arrow(con, "_p2l_cells", cells.to_arrow())
        register_arrow(con, "_p2l_rows", prompts.select("row", "text_hash", "battle_id").to_arrow())
        try:
            con.execute(
                "INSERT INTO p2l_cells SELECT ?, row, cell, games, wins FROM _p2l_cells ORDER BY row, cell", [scope]
            )
            con.execute(
                "INSERT INTO p2l_prompts SELECT ?, row, text_hash, battle_id FROM _p2l_rows ORDER BY row", [scope]
            )
        finally:
            unregister_arrow(con, "_p2l_cells")
            unregister_arrow(con, "_p2l_rows")
        con.execute(
            "INSERT INTO p2l_meta VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                scope,
                ix.encoder,
                fp,
                json.dumps(list(ix.models)),
                json.dumps(ix.theta0.tolist()),
                ix.k,
                ix.lam if math.isfinite(ix.lam) else None,
                json.dumps(ix.tuning, sort_keys=True),
                ix.n_prompts,
                round(ix.n_votes),
                run_id,
            ],
        )


def load_index(
    con: duckdb.DuckDBPyConnection, scope: str, encoder: Encoder | None = None
) -> tuple[Index, pl.DataFrame, str] | None:
    """(index, prompts, fingerprint) of ``scope`` (prompts: row, text_hash, battle_id), or None if none was
    built."""
    rel = con.sql("SELECT * FROM p2l_meta WHERE scope = ?", params=[scope])
    meta = rel.fetchall()
    if not meta:
        return None
    m: dict[str, Any] = dict(zip(rel.columns, meta[0], strict=True))
    prompts = frame(con, "SELECT row, text_hash, battle_id FROM p2l_prompts WHERE scope = ? ORDER BY row", [scope])
    cells = frame(con, "SELECT row, cell, games, wins FROM p2l_cells WHERE scope = ? ORDER BY row, cell", [scope])
    models = tuple(json.loads(m["models"]))
    k = len(models)
    data = cells["games"].to_numpy() + 1j * cells["wins"].to_numpy()
    shape = (prompts.height, max(k * k, 1))
    mat = csr_matrix((data, (cells["row"].to_numpy(), cells["cell"].to_numpy())), shape=shape)
    enc = encoder or Encoder.load()
    hashes = prompts["text_hash"].to_list()
    vecs = cache.vectors(con, hashes, enc) if hashes else np.zeros((0, enc.dims), dtype=np.float32)
    lam = m["lam"] if m["lam"] is not None else math.inf
    theta0 = np.asarray(json.loads(m["theta0"]), dtype=np.float64)
    ix = Index(models, theta0, tuple(hashes), vecs, mat, m["encoder"], int(m["k"]), lam, json.loads(m["tuning"]))
    return ix, prompts, str(m["fingerprint"])


#: distinct prompts a report clusters at most (those of smallest hash: a fixed pseudo-random sample)
REPORT_PROMPTS = 50_000


def load_prompt_set(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], battle_ids: pl.Series, limit: int = REPORT_PROMPTS
) -> tuple[pl.DataFrame, np.ndarray, list[str]] | None:
    """((battle_id, row), vectors, texts) of the prompts of ``battle_ids`` (at most ``limit`` distinct prompts,
    those of smallest hash), new ones encoded into the cache (in memory only when ``con`` is read-only); None
    when none of them has prompt text."""
    wanted = pl.DataFrame({"battle_id": battle_ids.cast(pl.String)})
    parts = [cache.with_hashes(con, b.join(wanted, on="battle_id", how="semi")) for b in prompt_batches(con, sources)]
    keyed = pl.concat(parts) if parts else pl.DataFrame()
    if keyed.height == 0:
        return None
    distinct = keyed.unique("text_hash", keep="first").sort("text_hash").head(limit).with_row_index("row")
    rows = keyed.join(distinct.select("text_hash", pl.col("row").cast(pl.Int64)), on="text_hash", how="inner")
    vectors = cache.vectors_for(con, distinct)
    return rows.select("battle_id", "row").sort("battle_id"), vectors, distinct["text"].fill_null("").to_list()
