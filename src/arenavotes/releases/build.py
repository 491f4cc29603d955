"""Versioned, immutable, reproducible dataset releases in the Hugging Face Hub layout.

``releases/<version>/``::

    README.md                                 dataset card (YAML: license, configs, sizes, ...)
    data/<config>/train-00000-of-00001.parquet battles, conversations, leaderboard, flags, prompt_labels
    manifest.json                             versions, counts by reason, sha256 of every file, schemas
    CHANGELOG.md                              against the parent release

A build writes into ``releases/.tmp-<version>-<pid>/`` and renames it into place only after the PII
gate passed on its own files, so a killed build leaves no partial release (a stale temp folder is
removed by the next build). Nothing depends on the clock: the release date comes from the settings or
from the newest battle, and the same workspace and settings give byte-identical files. Voter ids are
re-keyed per release (``HMAC(HMAC(secret, "release:" + version), voter_id)``), so a release cannot be
joined to the workspace or to another release.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from arenavotes import __version__
from arenavotes.db import frame, large_schema, register_arrow, release_cache, unregister_arrow
from arenavotes.errors import UserError
from arenavotes.ingest import file_sha256
from arenavotes.privacy import hmac_params, hmac_sql
from arenavotes.provenance import missing_stages, source_meta
from arenavotes.releases import release_dir
from arenavotes.releases.card import licences_md, render_card
from arenavotes.releases.changelog import changelog
from arenavotes.releases.images import read_approved, release_images
from arenavotes.releases.integrity import write_signature
from arenavotes.sources import ids_of
from arenavotes.summary import quality_counts

CONFIGS = ("battles", "conversations", "leaderboard", "flags", "prompt_labels", "images", "message_images")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclasses.dataclass(frozen=True)
class ReleaseSpec:
    version: str
    parent: str | None
    sources: tuple[str, ...]
    exclude_flags: tuple[str, ...]
    license: str | None = None  # default: the sources' licence(s), see card.licence_fields
    pretty_name: str = "Arena votes"
    release_date: str | None = None  # YYYY-MM-DD; default: the day of the newest battle
    seed: int = 0
    report: Path | None = None  # a report folder (arenavotes report) to ship in reports/<name>/
    allow_missing: tuple[str, ...] = ()  # stages a source may lack (said on the card), see arenavotes.provenance
    images: Path | None = None  # the reviewed list of images to ship (releases.images); None: no images


def _check_version(version: str) -> None:
    if not VERSION_RE.match(version):
        raise UserError(
            f"release version '{version}' is not a valid name",
            hint="letters, digits, '.', '_' and '-' only, e.g. v1 or 2024.06",
        )


#: ``screen(texts) -> {text: findings}`` for the texts the PII gate would refuse (see pii.verdicts.screen)
Screen = Callable[[list[str]], dict[str, list[Any]]]

#: ``read_texts(cursor, sql)``: the texts of ``sql`` (one column ``text``) read through ``cursor`` in lists of
#: at most :data:`SCREEN_BATCH` (pii.verdicts.stream reads them with their cached verdicts in the same join)
TextReader = Callable[[duckdb.DuckDBPyConnection, str], Iterator[list[str]]]

#: distinct conversation texts handed to the screen at a time (a bound on memory, not on the result)
SCREEN_BATCH = 20_000


def _read_texts(cur: duckdb.DuckDBPyConnection, sql: str) -> Iterator[list[str]]:
    """The plain :data:`TextReader`."""
    for batch in cur.sql(sql).to_arrow_reader(SCREEN_BATCH):
        for start in range(0, batch.num_rows, SCREEN_BATCH):
            yield batch.column(0).slice(start, SCREEN_BATCH).to_pylist()


#: rows per Parquet row group (and per piece held in memory while writing); fixed, so that files are
#: byte-identical whatever batches DuckDB hands over. Texts get small groups, narrow tables large ones.
ROW_GROUP_ROWS = {"conversations": 20_000, "images": 256}
#: the narrow tables' row groups: a group is held whole until it is written (the 936k battles of a
#: 1M-conversation release are 0.21 GB of Arrow), so 131,072 rows, not 1M, keep that flat past 131k battles
DEFAULT_ROW_GROUP_ROWS = 1 << 17
#: zstd level of every Parquet file. Measured on a 100k-conversation release (one core, fourth stop of 5 December):
#: its conversations file took 12.3 CPU-s at level 9 (50.3 MB), 7.2 at 6 (52.4 MB) and 2.8 at 3 (58.6 MB), the
#: largest single cost of a release; 6 keeps the files within 4% of level 9's size
ZSTD_LEVEL = 6

#: what each config of a release holds, as SQL over the temporary tables of :func:`collect` (``_rel_battles``:
#: the released battles; ``_rel_voters``: voter id -> its release pseudonym; ``_rel_withheld``: battles whose
#: texts the gate doubts); ``?`` is the list of flags the policy excludes
QUERIES = {
    "battles": """SELECT b.* REPLACE (v.released AS voter_id) FROM battles b JOIN _rel_battles USING (battle_id)
                  LEFT JOIN _rel_voters v USING (voter_id) ORDER BY b.battle_id""",
    # the sources' conversations, sorted with no join before the sort: the battles whose texts are not released
    # are dropped as the sorted rows stream to the file (``_rel_conversation_drop``, :class:`SortedDrop`). A sort
    # behind a join ran out of a 250 MB cap at 2M conversations where the bare sort does not (fourth stop of 6
    # December); ``{sources}`` is a condition wide enough to hold every released battle (``sources.ids_of``)
    "conversations": """SELECT c.* FROM conversations c WHERE {sources} ORDER BY c.battle_id, c.side, c.msg""",
    "prompt_labels": """SELECT l.* FROM prompt_labels l JOIN _rel_battles USING (battle_id)
                        ORDER BY l.battle_id, l.labeler, l.category""",
    "flags": """SELECT f.battle_id, f.flag, f.detector, f.score, f.reason, f.flag IN (SELECT unnest(?)) AS excluded
                FROM flags f JOIN battles b USING (battle_id) WHERE b.source IN (SELECT unnest(?))
                ORDER BY f.battle_id, f.flag, f.detector""",
    # only leaderboards rated on released sources alone (the rate run records its sources; older runs: the
    # source list at the start of the scope name)
    "leaderboard": """SELECT l.* EXCLUDE (run_id) FROM leaderboards l LEFT JOIN runs r USING (run_id)
                      WHERE list_has_all(?::VARCHAR[], coalesce(
                          CAST(json_extract(r.counts, '$.sources') AS VARCHAR[]),
                          string_split(split_part(l.scope, '|', 1), ',')))
                      ORDER BY scope, labeler, category, rank, model""",
}


@dataclasses.dataclass
class Collected:
    """What :func:`collect` prepared: the configs to stream (SQL with its parameters, or a small frame), the
    counts the manifest reports, and the battles whose texts are withheld (for the caller's private record)."""

    queries: dict[str, tuple[str, list[Any]]]
    frames: dict[str, pl.DataFrame]
    counts: dict[str, Any]
    withheld_ids: list[str]
    #: config -> a temporary table of battle ids whose rows its query gives but the release leaves out
    drops: dict[str, str] = dataclasses.field(default_factory=dict)


def _refuse_missing(con: duckdb.DuckDBPyConnection, spec: ReleaseSpec) -> dict[str, list[str]]:
    src = list(spec.sources)
    missing = missing_stages(con, src)
    refused = {s: [st for st in stages if st not in spec.allow_missing] for s, stages in missing.items()}
    refused = {s: st for s, st in refused.items() if st}
    if refused:
        first = next(iter(refused))
        raise UserError(
            f"source '{first}' has not been through {', '.join(refused[first])} since it was ingested"
            + (f" (and {len(refused) - 1} more source(s) lack stages)" if len(refused) > 1 else ""),
            hint=f"run 'arenavotes {refused[first][0]} -w WS', or release anyway with "
            f"--allow-missing {','.join(sorted({x for v in refused.values() for x in v}))} "
            "(the card will say so)",
        )
    return missing


def _screen_texts(
    con: duckdb.DuckDBPyConnection, spec: ReleaseSpec, screen: Screen, read_texts: TextReader | None = None
) -> tuple[list[str], dict[str, Any]]:
    """Screen the texts of the release's sources, :data:`SCREEN_BATCH` at a time; returns the released battles
    whose texts the gate doubts and the counts by entity of the doubted texts they hold. The texts are read
    through a second cursor (the screen reads and stores cached verdicts through ``con`` meanwhile) with
    ``read_texts``, and only the doubted texts are kept.

    The texts are those of every battle of the sources, found by their ids' ``<source>:`` prefix, not joined
    with the released battles: a join holds a hash table of every released battle's id beside the verdicts'
    (one per text) in the same stream, and at 1M conversations the two ran out of a 150 MB cap where the
    verdicts' alone did not -- with a 400 MB cap that is about 2.5M conversations. The texts of battles a
    policy excludes are screened too (their verdicts are stored by scrub: read, not analysed again); what is
    withheld and counted is found among the released battles afterwards, in SQL."""
    doubted: dict[str, list[Any]] = {}
    cur = con.cursor()
    try:
        # every text, not DISTINCT ones: a text seen again is found in the cache. DISTINCT made DuckDB expect
        # fewer texts than cached verdicts, so the verdict join built its hash table from the texts: a release
        # of 1M conversations with long prompts ran out of its 400 MB cap there (the join is now planned as
        # written, the verdicts its hash table, whatever DuckDB expects: verdicts.stream, db.joins_as_written)
        sql = f"SELECT content AS text FROM conversations WHERE content IS NOT NULL AND {ids_of(spec.sources)}"
        for texts in (read_texts or _read_texts)(cur, sql):
            doubted.update(screen(texts))
    finally:
        cur.close()
    if not doubted:
        return [], {"battles": 0, "by_entity": {}}
    register_arrow(con, "_rel_doubted", pa.table({"content": pa.array(sorted(doubted), pa.string())}))
    try:
        rows = con.sql(
            """SELECT c.battle_id, c.content FROM conversations c JOIN _rel_battles USING (battle_id)
               WHERE c.content IN (SELECT content FROM _rel_doubted)"""
        ).fetchall()
    finally:
        unregister_arrow(con, "_rel_doubted")
    withheld = sorted({b for b, _ in rows})
    by_entity: dict[str, int] = {}
    for text in {t for _, t in rows}:  # the doubted texts of released battles
        for f in doubted[text]:
            by_entity[f.entity] = by_entity.get(f.entity, 0) + 1
    return withheld, {"battles": len(withheld), "by_entity": dict(sorted(by_entity.items()))}


def collect(
    con: duckdb.DuckDBPyConnection,
    spec: ReleaseSpec,
    secret: bytes,
    screen: Screen | None = None,
    read_texts: TextReader | None = None,
) -> Collected:
    """Prepare the release's configs in temporary tables of ``con`` (streamed to Parquet by :func:`build`)
    and count what the manifest reports.

    ``screen`` is the PII gate applied to the conversation texts before anything is written: the texts of a
    battle the gate still doubts are withheld from this release (its vote stays; counted in the manifest and
    said on the card; the texts stay in the workspace), so that the gate on the finished files finds nothing.
    """
    src = list(spec.sources)
    missing = _refuse_missing(con, spec)
    unscrubbed = con.sql(
        """SELECT count(DISTINCT c.battle_id) FROM conversations c JOIN battles b USING (battle_id)
           WHERE b.source IN (SELECT unnest(?)) AND c.battle_id NOT IN (SELECT battle_id FROM scrubbed)""",
        params=[src],
    ).fetchall()[0][0]
    if unscrubbed:
        raise UserError(
            f"{unscrubbed:,} battles with text are not scrubbed yet",
            hint="run 'arenavotes scrub' before releasing: releases carry scrubbed text only",
        )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _rel_excluded AS
           SELECT DISTINCT f.battle_id FROM flags f JOIN battles b USING (battle_id)
           WHERE b.source IN (SELECT unnest(?)) AND f.flag IN (SELECT unnest(?))""",
        [src, list(spec.exclude_flags)],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _rel_battles AS
           SELECT battle_id FROM battles WHERE source IN (SELECT unnest(?))
           AND battle_id NOT IN (SELECT battle_id FROM _rel_excluded)""",
        [src],
    )
    (n_battles,) = con.sql("SELECT count(*) FROM _rel_battles").fetchall()[0]
    (n_excluded,) = con.sql("SELECT count(*) FROM _rel_excluded").fetchall()[0]
    if n_battles == 0:
        raise UserError("no battles to release", hint="check --source and the exclusion policy")
    release_key = hmac.new(secret, f"release:{spec.version}".encode(), hashlib.sha256).digest()
    # each voter id -> HMAC(release key, voter id), 32 hex digits (a temporary table: dropped at the end)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _rel_voters AS
            SELECT voter_id, {hmac_sql("voter_id")} AS released
            FROM (SELECT DISTINCT voter_id FROM battles JOIN _rel_battles USING (battle_id)
                  WHERE voter_id IS NOT NULL)""",
        hmac_params(release_key),
    )
    ids, withheld = (
        _screen_texts(con, spec, screen, read_texts) if screen is not None else ([], {"battles": 0, "by_entity": {}})
    )
    # only the texts are withheld: the votes, labels and style counts carry no text, and the released
    # leaderboards stay reproducible from the released battles
    register_arrow(con, "_rel_withheld", pa.table({"battle_id": pa.array(ids, pa.string())}))
    # the battle ids the conversations query gives (one pass over the texts' ids), then those released and the
    # rest (excluded and withheld battles, and any row whose id only looks like a released source's): the rest
    # is dropped from the sorted stream as it is written. A released battle's id starts with its source's name
    # and ':', so it is among the ids the query gives
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _rel_conversation_ids AS
            SELECT DISTINCT c.battle_id FROM conversations c WHERE {ids_of(src, "c.battle_id")}"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _rel_conversation_battles AS SELECT battle_id FROM _rel_conversation_ids
           JOIN _rel_battles USING (battle_id) WHERE battle_id NOT IN (SELECT battle_id FROM _rel_withheld)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _rel_conversation_drop AS
           SELECT battle_id FROM _rel_conversation_ids EXCEPT SELECT battle_id FROM _rel_conversation_battles"""
    )
    con.execute("DROP TABLE temp._rel_conversation_ids")
    images, image_links, image_counts = release_images(
        con, "_rel_conversation_battles", read_approved(spec.images) if spec.images is not None else None
    )
    quality = {k: dict(sorted(v.iter_rows())) for k, v in quality_counts(con, src).items()}
    ingested = dict(
        con.sql(
            "SELECT source, rows_in FROM sources WHERE source IN (SELECT unnest(?)) ORDER BY 1", params=[src]
        ).fetchall()
    )
    counts = {
        "records_ingested": ingested,
        "quarantined_by_reason": quality["quarantine"],
        "flagged_by_flag": quality["flags"],
        "excluded_by_policy": {"flags": list(spec.exclude_flags), "battles": n_excluded},
        "pii_spans_removed_by_type": quality["pii"],
        "source_meta": source_meta(con, src),
        "stages_missing": {s: missing[s] for s in sorted(missing)},
        "withheld_by_pii_gate": withheld,
        "images": image_counts,
    }
    queries: dict[str, tuple[str, list[Any]]] = {
        "battles": (QUERIES["battles"], []),
        "conversations": (QUERIES["conversations"].format(sources=ids_of(src, "c.battle_id")), []),
        "prompt_labels": (QUERIES["prompt_labels"], []),
        "flags": (QUERIES["flags"], [list(spec.exclude_flags), src]),
        "leaderboard": (QUERIES["leaderboard"], [src]),
    }
    frames = {"images": images, "message_images": image_links}
    return Collected(queries, frames, counts, ids, {"conversations": "_rel_conversation_drop"})


class _ParquetSink:
    """Deterministic parquet written piece by piece: fixed compression, no pandas metadata, no timestamps in
    the file, row groups of a fixed number of rows (whatever the sizes of the batches written). No file is
    made for a config without rows (loaders reject empty parquet)."""

    def __init__(self, path: Path, schema: pa.Schema, rows_per_group: int) -> None:
        self.path, self.schema, self.rows_per_group = path, schema, rows_per_group
        self.rows = 0
        self._held: list[pa.RecordBatch] = []
        self._held_rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self._held.append(batch.cast(self.schema) if batch.schema != self.schema else batch)
        self._held_rows += batch.num_rows
        self.rows += batch.num_rows
        while self._held_rows >= self.rows_per_group:
            table = pa.Table.from_batches(self._held, self.schema)
            self._flush(table.slice(0, self.rows_per_group))
            rest = table.slice(self.rows_per_group)
            self._held = rest.combine_chunks().to_batches() if rest.num_rows else []
            self._held_rows = rest.num_rows

    def _flush(self, table: pa.Table) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(
                self.path,
                self.schema,
                compression="zstd",
                compression_level=ZSTD_LEVEL,
                use_dictionary=True,
                write_statistics=True,
                data_page_size=1 << 20,
                version="2.6",
                store_schema=False,
            )
        # one chunk a column: the pages a column chunk is cut into follow the chunks handed to the writer, so
        # the bytes would follow the batches DuckDB (or a filter) produced
        self._writer.write_table(table.combine_chunks(), row_group_size=self.rows_per_group)

    def close(self) -> None:
        if self._held_rows:
            self._flush(pa.Table.from_batches(self._held, self.schema))
            self._held, self._held_rows = [], 0
        if self._writer is not None:
            self._writer.close()


#: ids a :class:`SortedDrop` takes from its table at a time
DROP_CHUNK = 20_000


class SortedDrop:
    """Leaves out the rows of a stream sorted by ``battle_id`` whose id is among ``ids`` (sorted, distinct, in the
    same byte order: DuckDB's ``ORDER BY`` of both), keeping the stream's order. It holds the ids in use: those
    from the current batch's first to its last, pulled from ``ids`` a chunk at a time.

    >>> drop = SortedDrop(pa.table({"battle_id": ["b", "d"]}).to_batches())
    >>> [drop(pa.record_batch({"battle_id": ids})).column(0).to_pylist() for ids in (["a", "b"], ["b", "c", "d"], ["e"])]
    [['a'], ['c'], ['e']]
    """

    def __init__(self, ids: Iterable[pa.RecordBatch]) -> None:
        self._chunks = iter(ids)
        self._held: pa.Array = pa.array([], pa.string())
        self._more = True

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if batch.num_rows == 0:
            return batch
        col = batch.column("battle_id")
        last = col[batch.num_rows - 1].cast(pa.string())  # a string, as the ids held: whatever width the stream's
        # pull ids until one lies beyond the batch's last (a battle's rows may go on into the next batch)
        while self._more and (len(self._held) == 0 or pc.less_equal(self._held[len(self._held) - 1], last).as_py()):
            chunk = next(self._chunks, None)
            if chunk is None:
                self._more = False
            elif chunk.num_rows:
                self._held = pa.concat_arrays([self._held, chunk.column(0).cast(pa.string())])
        upto = int(pc.sum(pc.less_equal(self._held, last)).as_py() or 0)
        if upto == 0:
            return batch
        wanted = self._held.slice(0, upto)
        self._held = self._held.slice(int(pc.sum(pc.less(self._held, last)).as_py() or 0))
        return batch.filter(pc.invert(pc.is_in(col, value_set=wanted.cast(col.type))))


def _write_config(
    con: duckdb.DuckDBPyConnection,
    config: str,
    source: tuple[str, list[Any]] | pl.DataFrame,
    path: Path,
    drop: str | None = None,
) -> tuple[int, pa.Schema]:
    """Stream one config into ``path``; returns its rows and its schema. ``drop``: a temporary table of battle
    ids whose rows are left out of the query's (sorted by battle id), read whole before the query starts: two
    queries at once share DuckDB's cap, and the sort's floor (250 MB at 2M conversations) is most of it."""
    rows_per_group = ROW_GROUP_ROWS.get(config, DEFAULT_ROW_GROUP_ROWS)
    if isinstance(source, pl.DataFrame):
        table = source.to_arrow()
        sink = _ParquetSink(path, large_schema(table.schema), rows_per_group)
        for batch in table.to_batches():
            sink.write(batch)
    else:
        sql, params = source
        keep: Callable[[pa.RecordBatch], pa.RecordBatch] = lambda batch: batch  # noqa: E731
        if drop is not None:
            ids = con.sql(f"SELECT battle_id FROM {drop} ORDER BY battle_id").to_arrow_table()
            keep = SortedDrop(ids.to_batches(max_chunksize=DROP_CHUNK))
        reader = con.sql(sql, params=params or None).to_arrow_reader(min(rows_per_group, 100_000))
        sink = _ParquetSink(path, large_schema(reader.schema), rows_per_group)
        for batch in reader:
            sink.write(keep(batch))
    sink.close()
    return sink.rows, sink.schema


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )


def _battle_facts(con: duckdb.DuckDBPyConnection, spec: ReleaseSpec) -> tuple[str, str | None, list[str], dict]:
    """The release date, the time span, the languages and the battles by arena of the released battles."""
    span_row = frame(
        con,
        """SELECT min(tstamp) AS lo, max(tstamp) AS hi, count(*) FILTER (WHERE tstamp IS NULL) AS unstamped,
                  count(*) AS n FROM battles JOIN _rel_battles USING (battle_id)""",
    ).row(0, named=True)
    lo, hi, unstamped, n = span_row["lo"], span_row["hi"], span_row["unstamped"], span_row["n"]
    span = (
        f"{str(lo)[:10]} to {str(hi)[:10]}" + (f" ({unstamped:,} battles without timestamps)" if unstamped else "")
        if unstamped < n
        else None
    )
    if spec.release_date:
        date = spec.release_date
    elif unstamped == 0:
        date = str(hi)[:10]
    else:
        sources = [
            r[0]
            for r in con.sql(
                """SELECT DISTINCT source FROM battles JOIN _rel_battles USING (battle_id)
                   WHERE tstamp IS NULL ORDER BY 1"""
            ).fetchall()
        ]
        raise UserError(
            f"the release date cannot be read from the data: source(s) {', '.join(sources)} carry no timestamps",
            hint="pass --date YYYY-MM-DD",
        )
    languages = sorted(
        r[0]
        for r in con.sql(
            "SELECT DISTINCT language FROM battles JOIN _rel_battles USING (battle_id) WHERE language IS NOT NULL"
        ).fetchall()
    )
    by_arena = dict(
        sorted(
            con.sql(
                "SELECT arena, count(*) FROM battles JOIN _rel_battles USING (battle_id) GROUP BY arena"
            ).fetchall(),
            key=lambda kv: (-kv[1], str(kv[0])),
        )
    )
    return date, span, languages, by_arena


def _drop_temporary(con: duckdb.DuckDBPyConnection) -> None:
    for t in (
        "_rel_excluded",
        "_rel_battles",
        "_rel_voters",
        "_rel_withheld",
        "_rel_conversation_ids",
        "_rel_conversation_battles",
        "_rel_conversation_drop",
    ):
        con.execute(f"DROP TABLE IF EXISTS temp.{t}")


def build(
    con: duckdb.DuckDBPyConnection,
    workspace: Path,
    spec: ReleaseSpec,
    secret: bytes,
    settings: dict[str, Any],
    gate: Callable[[Path], list[Any]],
    on_write: Callable[[str], None] | None = None,
    gate_version: str | None = None,
    screen: Screen | None = None,
    read_texts: TextReader | None = None,
    withheld_ids: list[str] | None = None,
    step: Callable[[str], None] | None = None,
) -> Path:
    """Build ``releases/<version>``; returns its path. ``gate`` scans a folder and returns findings.

    Every config is streamed from the workspace into its Parquet file in pieces of fixed size, so memory does
    not grow with the release. The manifest lists every file with its size and sha256, records that the gate
    passed (``pii_gate``, with the gate's version), and is signed with a key derived from the workspace secret
    (``manifest.sig``), so that ``publish`` can tell the exact files that passed the gate from anything added
    or edited later.
    """
    _check_version(spec.version)
    root = release_dir(workspace)
    final = root / spec.version
    if final.exists():
        raise UserError(
            f"release {spec.version} already exists at {final}", hint="releases are immutable: choose a new version"
        )
    if spec.parent and not (root / spec.parent / "manifest.json").exists():
        raise UserError(f"parent release {spec.parent} not found in {root}", hint="check --parent")
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(".tmp-*"):  # a build that was killed half-way
        shutil.rmtree(stale, ignore_errors=True)
    say = step or (lambda _: None)
    tmp = root / f".tmp-{spec.version}-{os.getpid()}"
    try:
        say("collecting tables and screening texts with the PII gate")
        got = collect(con, spec, secret, screen, read_texts)
        if withheld_ids is not None:
            withheld_ids.extend(got.withheld_ids)  # for the caller's private record; never in the release
        tmp.mkdir()
        files: dict[str, str] = {}
        rows: dict[str, int] = {}
        schemas: dict[str, list[dict[str, str]]] = {}
        say("writing parquet files")
        for config in CONFIGS:
            rel = f"data/{config}/train-00000-of-00001.parquet"
            source = got.frames[config] if config in got.frames else got.queries[config]
            rows[config], schema = _write_config(con, config, source, tmp / rel, got.drops.get(config))
            schemas[config] = [{"name": f.name, "type": str(f.type)} for f in schema]
            if rows[config] == 0:
                continue  # an empty config is left out of the files and the card
            files[rel] = file_sha256(tmp / rel)
            if on_write:
                on_write(rel)
        date, span, languages, by_arena = _battle_facts(con, spec)
        parent_manifest = json.loads((root / spec.parent / "manifest.json").read_text()) if spec.parent else None
        manifest: dict[str, Any] = {
            "version": spec.version,
            "parent": spec.parent,
            "release_date": date,
            "code_version": __version__,
            "seed": spec.seed,
            "sources": list(spec.sources),
            "rows": rows,
            "battles_by_arena": by_arena,
            **got.counts,
            "report": spec.report.resolve().name if spec.report is not None else None,
            "time_span": span,
            "settings": settings,
            "schemas": schemas,
        }
        card = render_card(spec, manifest, languages)
        if spec.report is not None:
            card += add_report(spec.report, tmp, files)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        (tmp / "CHANGELOG.md").write_text(
            changelog(spec, tmp, root / spec.parent if spec.parent else None, parent_manifest),
            encoding="utf-8",
        )
        (tmp / "LICENSES.md").write_text(licences_md(got.counts["source_meta"]), encoding="utf-8")
        for name in ("README.md", "CHANGELOG.md", "LICENSES.md"):
            files[name] = file_sha256(tmp / name)
        manifest["files"] = dict(sorted(files.items()))
        manifest["sizes"] = {rel: (tmp / rel).stat().st_size for rel in manifest["files"]}
        _write_manifest(tmp, manifest)
        say("running the PII gate on every file of the release")
        release_cache(con)  # the pages the configs were read from: the gate holds its own batches
        findings = gate(tmp)
        if findings:
            raise UserError(
                f"release {spec.version} refused: the PII gate found {len(findings)} finding(s) in its "
                f"files (first: {findings[0].file.replace(str(tmp) + '/', '')} {findings[0].location} "
                f"{findings[0].column} {findings[0].entity})",
                hint="run 'arenavotes scrub' (or --rescan) and build again",
            )
        if gate_version is not None:
            manifest["pii_gate"] = {"version": gate_version, "passed": True}
            _write_manifest(tmp, manifest)
        write_signature(tmp, secret)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        _drop_temporary(con)
    return final


def add_report(report: Path, tmp: Path, files: dict[str, str]) -> str:
    """Copy a report folder (report.md, figures, tables) into ``reports/<name>/`` of the release and return
    report.md as a section of the dataset card (headings one level down, figure links from the repo root)."""
    if not (report / "report.md").exists():
        raise UserError(f"{report}: not a report folder (no report.md)", hint="write one with 'arenavotes report'")
    name = report.resolve().name
    for src in sorted(
        [
            report / "report.md",
            *report.glob("figures/*.png"),
            *report.glob("figures/*.svg"),
            *report.glob("tables/*.parquet"),
        ]
    ):
        rel = f"reports/{name}/{src.relative_to(report).as_posix()}"
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, tmp / rel)
        files[rel] = file_sha256(tmp / rel)
    md = (report / "report.md").read_text(encoding="utf-8")
    md = re.sub(r"^(#+) ", r"#\1 ", md, flags=re.M).replace("](figures/", f"](reports/{name}/figures/")
    return "\n" + md


def read_manifest(path: Path) -> dict[str, Any]:
    m = path / "manifest.json"
    if not m.exists():
        raise UserError(f"{path}: not a release (no manifest.json)", hint="build one with 'arenavotes release'")
    return json.loads(m.read_text())


def verify(path: Path) -> list[str]:
    """Files whose sha256 no longer matches the manifest (an empty list: intact)."""
    manifest = read_manifest(path)
    return [
        rel
        for rel, digest in manifest["files"].items()
        if not (path / rel).exists() or file_sha256(path / rel) != digest
    ]


__all__ = ["CONFIGS", "ReleaseSpec", "build", "read_manifest", "release_dir", "verify"]
