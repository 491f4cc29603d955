"""Ingest raw vote logs into a workspace: canonical battles, conversations, labels, quarantine.

Nothing is lost: for every file, ``records = battles kept + rows quarantined`` and the counts
are recorded in ``runs`` and ``sources``. Re-ingesting an unchanged file is a no-op (its content
hash is recorded); a changed file under the same source name needs ``replace=True``.

The steps, one module each: :mod:`~.sniff` and :mod:`~.containers` (with :mod:`~.json_records`,
:mod:`~.csv_records` and :mod:`~.rejects`) stage the file's records; :mod:`~.formats` says where a
format's fields live and :mod:`~.readers` how its conversation shape and winner are read;
:mod:`~.normalize` (with :mod:`~.coerce`, :mod:`~.sqlfields`, :mod:`~.redact` and :mod:`~.outputs`)
turns them into canonical rows; this module moves those into the workspace in one transaction.

Batches are normalized outside that transaction, into ``_pending_*`` temporary tables, and the transaction
that deletes the source's old rows and inserts the pending ones is short. Inside one transaction DuckDB keeps
every temporary table that a batch created and dropped until the commit (a rollback could still need it): at
1M conversations that was 13.5 GB of spill files and memory growing with the file. A killed ingest leaves
nothing: temporary tables end with the process, and the workspace's tables were never touched.

>>> import tempfile, pathlib
>>> from arenavotes import db
>>> p = pathlib.Path(tempfile.mkdtemp()) / "v.jsonl"
>>> _ = p.write_text('{"num": 1, "model_a": "x", "model_b": "y", "winner": "model_a"}\\n'
...                  '{"num": 2, "model_a": "x", "model_b": "y", "winner": "draw"}\\n')
>>> con = db.connect(None)
>>> r = ingest_file(con, p, key=b"k")
>>> (r.format, r.rows_in, r.kept, r.quarantined)
('arena-votes-33k', 2, 1, {'unknown_winner': 1})
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import duckdb

from arenavotes.config import IngestSettings, Settings
from arenavotes.db import transaction
from arenavotes.errors import UserError
from arenavotes.ingest.coerce import install_macros
from arenavotes.ingest.containers import Staged, stage_batches, stage_file
from arenavotes.ingest.explain import no_format_error, refine
from arenavotes.ingest.formats import FORMATS, Format, detect, get_format
from arenavotes.ingest.mapping import ReadOptions, apply
from arenavotes.ingest.normalize import CARRY_TABLES, Normalized, normalize, note_private_values
from arenavotes.ingest.outputs import write_held_quarantine
from arenavotes.ingest.readers import columns_checked
from arenavotes.ingest.sniff import unopenable
from arenavotes.ingest.sqlfields import record_keys
from arenavotes.runs import new_run_id, record_run, utcnow

__all__ = ["FORMATS", "IngestReport", "ReadOptions", "default_source_name", "ingest_file", "read_file"]


@dataclasses.dataclass(frozen=True)
class IngestReport:
    file: str
    source: str
    format: str
    status: str  # ingested | unchanged | replaced
    rows_in: int
    kept: int
    quarantined: dict[str, int]
    labels: int = 0
    messages: int = 0
    run_id: str | None = None  # the run that wrote the source (None when the file was unchanged)

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())


def default_source_name(path: Path) -> str:
    """The file name without compression and data suffixes, made SQL- and path-friendly."""
    name = path.name
    for suffix in (".gz", ".jsonl", ".json", ".ndjson", ".csv", ".tsv", ".parquet"):
        name = name.removesuffix(suffix)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "source"


def check_source_name(source: str) -> None:
    """Refuse a source name that could make two sources' battle ids equal.

    A battle's id is ``<source>:<id in the source>``, and the workspace relies on that prefix for ids to be
    unique across sources (the battles table has no key index, which would grow with N and which DuckDB
    cannot evict). A ``:`` in the name would let source ``a`` with id ``b:c`` and source ``a:b`` with id
    ``c`` share ``a:b:c``.

    >>> check_source_name("arena-2023")
    >>> check_source_name("a:b")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    arenavotes.errors.UserError: source name 'a:b' contains ':', which separates a battle id's source from its id ...
    """
    if not source.strip() or ":" in source:
        what = "is empty" if not source.strip() else "contains ':', which separates a battle id's source from its id"
        raise UserError(
            f"source name {source!r} {what}",
            hint="name the source with letters, digits, '-', '_' or '.', e.g. --source arena-2024",
        )


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    key: bytes,
    source: str | None = None,
    format_name: str | None = None,
    container: str | None = None,
    mapping: Mapping[str, str] | None = None,
    read: ReadOptions | None = None,
    replace: bool = False,
    allow_same_file: bool = False,
    settings: IngestSettings | None = None,
    file_label: str | None = None,
    settings_hash: str | None = None,
    on_write: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None,
) -> IngestReport:
    """Ingest one file into the canonical tables of ``con`` (see the module docstring); the run is
    recorded with ``settings_hash`` (default: the hash of ``[ingest]``). ``on_write(con, source)`` runs
    inside the transaction that writes the source (e.g. to store its licence with it). ``read`` gives all
    reading options at once (:class:`~arenavotes.ingest.mapping.ReadOptions`); ``format_name``,
    ``container`` and ``mapping`` are shorthands for its first three."""
    settings = settings or IngestSettings()
    read = read or ReadOptions(format=format_name, container=container, fields=mapping or {})
    if read.format:
        get_format(read.format)  # fail before reading anything
    source = source or default_source_name(path)
    check_source_name(source)
    label = file_label or str(path)
    sha = _sha_or_error(path)
    options = read.options_json()
    if not allow_same_file:
        twin = con.execute(
            "SELECT source FROM sources WHERE sha256 = ? AND source <> ? ORDER BY 1 LIMIT 1", [sha, source]
        ).fetchall()
        if twin:
            raise UserError(
                f"{path}: the same file (sha256 {sha[:12]}...) is already ingested as source "
                f"'{twin[0][0]}'; ingesting it again as '{source}' would count its votes twice",
                hint="use that source, or pass --allow-same-file if the two sources really differ",
            )

    previous = con.execute(
        "SELECT sha256, options, format, rows_in, kept FROM sources WHERE source = ?", [source]
    ).fetchall()
    if previous:
        prev_sha, prev_options, prev_format, prev_in, prev_kept = previous[0]
        if prev_sha == sha and prev_options == options:
            counts = dict(
                con.execute(
                    "SELECT reason, count(*) FROM quarantine WHERE source = ? GROUP BY 1 ORDER BY 1", [source]
                ).fetchall()
            )
            return IngestReport(label, source, prev_format, "unchanged", prev_in, prev_kept, counts)
        if not replace:
            raise UserError(
                f"{path}: source '{source}' already holds another file's votes",
                hint="pass --source NAME for a new source, or --replace to replace it",
            )

    started = utcnow()
    run_id = new_run_id()
    install_macros(con)
    try:
        _drop_carry(con)
        _create_pending(con)
        # staged and normalized outside the transaction (see the module docstring); the CSV reader recovers
        # from DuckDB errors, which would abort an open transaction
        batches = stage_batches(con, path, read.container, read.csv)
        # several batches (the second is staged once the first is in): an unreadable record of any batch is
        # redacted at the end, with the voter ids of the whole file
        fmt, result = _read_into(
            con,
            path,
            read,
            batches,
            source=source,
            key=key,
            settings=settings,
            run_id=run_id,
            label=label,
        )
        with transaction(con):
            _delete_source(con, source)
            _insert_pending(con)
            if result.kept == 0 and result.rows_in > 0:
                raise _nothing_kept(con, path, fmt, source, result.rows_in, result.quarantined)
            _check_unique_ids(con, path, source)
            con.execute(
                "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    source,
                    label,
                    sha,
                    fmt.name,
                    options,
                    result.rows_in,
                    result.kept,
                    sum(result.quarantined.values()),
                    run_id,
                ],
            )
            record_run(
                con,
                run_id,
                "ingest",
                settings_hash or Settings(ingest=settings).section_hash("ingest"),
                started=started,
                target=label,
                rows_in=result.rows_in,
                rows_out=result.kept,
                counts={
                    "source": source,
                    "format": fmt.name,
                    "sha256": sha,
                    "kept": result.kept,
                    "quarantined": result.quarantined,
                    "labels": result.labels,
                    "messages": result.messages,
                    "images": result.images,
                },
            )
            if on_write is not None:
                on_write(con, source)
    finally:
        _drop_temp(con)
        _drop_carry(con)
        _drop_pending(con)
    status = "replaced" if previous else "ingested"
    return IngestReport(
        label,
        source,
        fmt.name,
        status,
        result.rows_in,
        result.kept,
        result.quarantined,
        result.labels,
        result.messages,
        run_id,
    )


def _read_into(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    read: ReadOptions,
    batches: Iterable[Staged],
    *,
    source: str,
    key: bytes,
    settings: IngestSettings,
    run_id: str,
    label: str,
) -> tuple[Format, Normalized]:
    """Normalize the ``batches`` of ``path`` (:func:`~arenavotes.ingest.containers.stage_batches`) into the
    pending tables (:data:`PENDING`; :func:`_insert_pending` moves them into the workspace); the counts
    are summed over the batches. Ids repeated across batches are found through the carried ``_seen_*``
    tables, exactly as within one batch. Unreadable records are written last, redacted with the voter ids
    of every batch (an id may be read in a later batch than the broken line that holds it): a file without
    one is read once; one whose first is in batch k reads its first k - 1 batches again for their ids (the
    ids of later batches are noted as they pass)."""
    fmt: Format | None = None
    totals = Normalized(0, 0, {}, 0, 0, 0)
    last: Staged | None = None
    first_held: int | None = None  # the first batch with an unreadable record
    for n, staged in enumerate(batches):
        if fmt is None and staged.staged:
            fmt = _choose_format(con, staged, read, path)  # from the first batch with a readable record
        part = normalize(
            con,
            staged,
            fmt or _choose_format(con, staged, read, path),
            source=source,
            key=key,
            settings=settings,
            run_id=run_id,
            file_label=label,
            batched=True,
        )
        assert part.rows_in == part.kept + sum(part.quarantined.values()), "records lost in ingest"
        con.execute(f"INSERT INTO {PENDING['battles']} SELECT * EXCLUDE (_row) FROM _new_battles")
        con.execute(f"INSERT INTO {PENDING['conversations']} SELECT * FROM _new_conversations")
        labels = con.execute(f"INSERT INTO {PENDING['prompt_labels']} SELECT * FROM _new_labels").fetchall()[0][0]
        part = dataclasses.replace(part, labels=int(labels))
        con.execute(f"INSERT INTO {PENDING['quarantine']} SELECT * FROM _new_quarantine")
        if part.images:
            con.execute(f"INSERT INTO {PENDING['message_images']} SELECT * FROM _new_message_images")
            for table, new in (("images", "_new_images"), ("image_data", "_new_image_data")):
                # an image shown in several batches is kept once (the workspace's copy, if any, wins later)
                con.execute(
                    f"INSERT INTO {PENDING[table]} SELECT * FROM {new} n "
                    f"WHERE n.image_id NOT IN (SELECT image_id FROM {PENDING[table]})"
                )
        totals = totals.plus(part)
        last = staged
        if first_held is None and staged.rejected:
            first_held = n
        _drop_temp(con)
    fmt = fmt or get_format("generic")
    if first_held:  # batches before the first unreadable record: their private values were not noted yet
        for n, staged in enumerate(stage_batches(con, path, read.container, read.csv)):
            if n >= first_held:
                break
            if staged.staged:
                note_private_values(con, staged, fmt)
        _drop_temp(con)
    if last is not None and write_held_quarantine(con, last, fmt, source, label, run_id, settings.max_raw_chars):
        con.execute(f"INSERT INTO {PENDING['quarantine']} SELECT * FROM _new_quarantine")
        _drop_temp(con)
    return fmt, totals


def read_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    read: ReadOptions,
    *,
    source: str,
    key: bytes,
    settings: IngestSettings,
    run_id: str,
    label: str,
    staged: Staged | None = None,
) -> tuple[Format, Normalized]:
    """Stage (unless ``staged`` says it is done) and normalize ``path`` into the ``_new_*`` temp tables of
    ``con``; nothing is written to the workspace tables (``formats --explain`` stops here)."""
    install_macros(con)
    staged = staged or stage_file(con, path, read.container, read.csv)
    fmt = _choose_format(con, staged, read, path)
    result = normalize(con, staged, fmt, source=source, key=key, settings=settings, run_id=run_id, file_label=label)
    assert result.rows_in == result.kept + sum(result.quarantined.values()), "records lost in ingest"
    labels = con.sql("SELECT count(*) FROM _new_labels").fetchall()[0][0]
    return fmt, dataclasses.replace(result, labels=int(labels))


def _nothing_kept(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: Format, source: str, rows_in: int, quarantined: Mapping[str, int]
) -> UserError:
    """The error for a non-empty file without a single usable battle (nothing is written then)."""
    why = ", ".join(f"{reason} {n:,}" for reason, n in sorted(quarantined.items(), key=lambda x: (-x[1], x[0])))
    first = con.execute(
        "SELECT location, reason, detail FROM quarantine WHERE source = ? ORDER BY row_number LIMIT 1", [source]
    ).fetchall()
    where = ""
    if first:
        location, reason, detail = first[0]
        where = f"; first: {location}: {reason}: {' '.join(str(detail or '').split())[:200]}"
    return UserError(
        f"{path}: none of its {rows_in:,} records is a usable battle (format '{fmt.name}'; quarantined: {why}){where}",
        hint="nothing was written; check --format and --map (see 'arenavotes formats'), or the file itself",
    )


def _sha_or_error(path: Path) -> str:
    try:
        return file_sha256(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise unopenable(path, exc) from None


#: canonical fields a generic file's column of the same name fills without --map
_SELF_NAMED = ("prompt", "response_a", "response_b", "conversation_a", "conversation_b", "arena")


def _choose_format(con: duckdb.DuckDBPyConnection, staged: Staged, read: ReadOptions, path: Path) -> Format:
    keys = record_keys(con, staged)
    mapped = set(read.fields) | ({"winner"} if read.winner_from else set())
    if read.format:
        fmt = get_format(read.format)
    elif {"model_a", "model_b"} <= mapped:  # the generic format reads a 'winner' column by default
        fmt = get_format("generic")
    else:
        if not keys:
            # nothing readable: every record (if any) is already in _rejects, so no format is needed
            return get_format("generic")
        try:
            fmt = refine(con, staged, detect(frozenset(keys)))
        except UserError as exc:
            if not (read.fields or read.winner_map or read.winner_from):
                raise no_format_error(con, staged, path, keys, read) from exc
            fmt = get_format("generic")  # the flags say how to read it
    # a generic file's own prompt / answer / conversation columns, and any file's 'arena' column, are read
    # without --map (unless the format or the flags say otherwise)
    named = _SELF_NAMED if fmt.name == "generic" else ("arena",)
    implicit = {n: n for n in named if n in keys and n not in read.fields and fmt.path(n) is None}
    if implicit and not (read.arena and "arena" in implicit):
        read = dataclasses.replace(read, fields={**implicit, **read.fields})
    fmt = apply(fmt, read)
    if staged.is_json:
        return fmt  # JSON records may each lack a key: that is a per-record quarantine reason
    wanted = [("winner_from", col.split(".")[0]) for col in fmt.winner_from]
    if columns_checked(fmt):
        wanted += [(name, str(where[0])) for name in ("model_a", "model_b", "winner") if (where := fmt.path(name))]
    for name, column in wanted:
        if column not in keys:
            raise UserError(
                f"{path}: format '{fmt.name}' expects a '{column}' column, found {sorted(keys)[:12]}",
                hint=f"map it with --map {name}=COLUMN" if name != "winner_from" else "check --winner-from",
            )
    return fmt


def _check_unique_ids(con: duckdb.DuckDBPyConnection, path: Path, source: str) -> None:
    """The battles table has no key index (see :func:`check_source_name`), so ingest checks that the source's
    new ids are unique before it commits. Ids repeated in the file were quarantined as ``duplicate_id``, and
    copies of a record without an id are numbered, so this fails only when a record's own id equals the id
    made for a record without one (``h`` and 20 hex digits of its hash), which a file can be written to do."""
    dup = con.execute(
        "SELECT battle_id, count(*) FROM battles WHERE source = ? GROUP BY ALL HAVING count(*) > 1 "
        "ORDER BY battle_id LIMIT 1",
        [source],
    ).fetchall()
    if dup:
        raise UserError(
            f"{path}: battle id '{dup[0][0]}' would be given to {dup[0][1]} records: a record's id equals the id "
            "made from the hash of a record without one; nothing was ingested",
            hint="give every record an id (--map id=COLUMN names the column), or give none an id",
        )


def _delete_source(con: duckdb.DuckDBPyConnection, source: str) -> None:
    tables = (
        "conversations",
        "prompt_labels",
        "flags",
        "pii_findings",
        "scrubbed",
        "conversations_raw",
        "message_images",
    )
    for table in tables:
        con.execute(
            f"DELETE FROM {table} WHERE battle_id IN (SELECT battle_id FROM battles WHERE source = ?)", [source]
        )
    con.execute("DELETE FROM battles WHERE source = ?", [source])
    con.execute("DELETE FROM quarantine WHERE source = ?", [source])
    con.execute("DELETE FROM sources WHERE source = ?", [source])


#: The workspace tables ingest writes, and the temporary table each one's new rows wait in until the commit.
PENDING = {
    t: f"_pending_{t}"
    for t in ("battles", "conversations", "prompt_labels", "quarantine", "message_images", "images", "image_data")
}


def _create_pending(con: duckdb.DuckDBPyConnection) -> None:
    """Empty pending tables with the columns of their workspace tables, without their keys and checks (the
    workspace tables check the rows when they are moved in)."""
    for table, pending in PENDING.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {pending} AS SELECT * FROM {table} LIMIT 0")


def _insert_pending(con: duckdb.DuckDBPyConnection) -> None:
    """The pending rows into the workspace tables, in the caller's transaction (images and their bytes that the
    workspace already holds are kept as they are)."""
    for table, pending in PENDING.items():
        conflict = " ON CONFLICT DO NOTHING" if table in ("images", "image_data") else ""
        con.execute(f"INSERT INTO {table} SELECT * FROM {pending}{conflict}")


def _drop_pending(con: duckdb.DuckDBPyConnection) -> None:
    for pending in PENDING.values():
        con.execute(f"DROP TABLE IF EXISTS {pending}")


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for view in ("_t", "_new_labels"):
        con.execute(f"DROP VIEW IF EXISTS {view}")
    for t in (
        "_stage",
        "_rejects",
        "_f",
        "_r",
        "_ids",
        "_msgs",
        "_msgs_in",
        "_conv_stats",
        "_voters",
        "_new_battles",
        "_new_conversations",
        "_new_quarantine",
        "_img",
        "_new_images",
        "_new_image_data",
        "_new_message_images",
    ):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _drop_carry(con: duckdb.DuckDBPyConnection) -> None:
    """The state carried from batch to batch of one file (ids seen, copies of id-less records)."""
    for t in CARRY_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {t}")
