"""Write the four ``_new_*`` relations that ingest moves into the workspace in one transaction.

``_new_battles`` (kept records, with ids and per-side style counts), ``_new_conversations``
(their messages), ``_new_labels`` (a view: category labels that came with the source) and
``_new_quarantine`` (every other record with its reason, raw text redacted and cut to
``max_raw_chars``). A battle's id is ``<source>:<source id>``, or for a record without one
``<source>:h<md5 of the redacted record>`` with ``.k`` for the k-th identical copy, so the same
file always gets the same ids.

>>> from arenavotes.ingest.formats import LMARENA_TAG_LABELS
>>> sorted({_label_root(label) for label in LMARENA_TAG_LABELS})
['category_tag', 'is_code', 'is_refusal', 'openai_moderation', 'toxic_chat_tag']
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa

import arenavotes.ingest.coerce as coerce
from arenavotes.db import has_temp_table, register_arrow, unregister_arrow
from arenavotes.ingest.containers import Staged
from arenavotes.ingest.formats import Format, Label
from arenavotes.ingest.redact import redact_nested, redact_rejects, redacted_record_sql
from arenavotes.ingest.sqlfields import native_field, record_keys, shared_accessor, sql_str
from arenavotes.ingest.style import markdown_counts, token_counts
from arenavotes.vocab import component_name

#: unreadable records of a file read in batches, held back unredacted until every batch's private values are
#: known (:func:`write_quarantine` with ``hold``, then :func:`write_held_quarantine`)
HELD_REJECTS = "_held_rejects"


def battle_ids(con: duckdb.DuckDBPyConnection, staged: Staged, fmt: Format, source: str) -> None:
    """``<source>:<source id>``, else ``<source>:h<md5 of the redacted record>[.k]`` for the k-th copy.

    The redacted record (voter ids replaced by pseudonyms) is built only where it is needed: for
    records without a source id and for quarantined records.
    """
    src = sql_str(source)
    # copies of an id-less record in earlier batches of the file count too (_seen_hashes: one row per hash and
    # batch, summed; no key index, which DuckDB could not evict)
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _seen_hashes (h VARCHAR, n BIGINT)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _ids AS
        SELECT _row, rec,
               CASE WHEN source_id IS NOT NULL THEN {src} || ':' || source_id
                    ELSE {src} || ':h' || substr(h, 1, 20)
                         || CASE WHEN k > 1 THEN '.' || k ELSE '' END END AS battle_id, h
        FROM (SELECT _row, source_id, rec, h,
                     row_number() OVER (PARTITION BY source_id IS NULL, h ORDER BY _row)
                     + coalesce((SELECT sum(n) FROM _seen_hashes p WHERE p.h = x.h), 0) AS k
              FROM (SELECT s._row, r.source_id,
                           CASE WHEN r.source_id IS NULL OR r.why IS NOT NULL
                                THEN {redacted_record_sql(staged, fmt)} END AS rec
                    FROM _stage s JOIN _r r USING (_row)) y,
                   LATERAL (SELECT CASE WHEN y.source_id IS NULL THEN md5(y.rec) END AS h) x)
    """)
    con.execute("""
        INSERT INTO _seen_hashes SELECT h, count(*) FROM _ids WHERE h IS NOT NULL GROUP BY h
    """)
    redact_nested(con, fmt)


def write_battles(con: duckdb.DuckDBPyConnection, source: str) -> None:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _new_battles AS
        SELECT i.battle_id, {sql_str(source)} AS source, r.source_id, r.tstamp, r.model_a, r.model_b, r.winner,
               r.voter_id, r.anony, r.language, coalesce(r.msg_turns, r.turn) AS turns,
               NULL::INTEGER AS tokens_a, NULL::INTEGER AS tokens_b, NULL::INTEGER AS headers_a,
               NULL::INTEGER AS headers_b, NULL::INTEGER AS lists_a, NULL::INTEGER AS lists_b,
               NULL::INTEGER AS bold_a, NULL::INTEGER AS bold_b, r.arena, r.citations_a, r.citations_b, r._row
        FROM _r r JOIN _ids i USING (_row)
        WHERE r.why IS NULL
    """)
    _add_style(con)


def _add_style(con: duckdb.DuckDBPyConnection) -> None:
    """Fill the per-side style columns from the assistant messages of kept battles."""
    answers = (
        con.sql("""
        SELECT m._row, m.side, string_agg(m.content, chr(10) ORDER BY m.idx) AS text,
               list(m.content ORDER BY m.idx) AS parts
        FROM _msgs m JOIN _new_battles b USING (_row)
        WHERE m.role = 'assistant' AND m.side IN ('a', 'b') AND m.content IS NOT NULL
        GROUP BY 1, 2
    """)
        .arrow()
        .read_all()
    )
    if answers.num_rows == 0:
        return
    texts = answers.column("text").to_pylist()
    parts = answers.column("parts").to_pylist()
    flat = [p for ps in parts for p in ps]
    flat_tokens = token_counts(flat)
    tokens, pos = [], 0
    for ps in parts:
        tokens.append(sum(t or 0 for t in flat_tokens[pos : pos + len(ps)]))
        pos += len(ps)
    md = markdown_counts(texts)
    style = pa.table(
        {
            "_row": answers.column("_row"),
            "side": answers.column("side"),
            "tokens": pa.array(tokens, pa.int32()),
            "headers": pa.array(md["headers"], pa.int32()),
            "lists": pa.array(md["lists"], pa.int32()),
            "bold": pa.array(md["bold"], pa.int32()),
        }
    )
    register_arrow(con, "_style", style)
    for side in ("a", "b"):
        con.execute(f"""
            UPDATE _new_battles SET tokens_{side} = s.tokens, headers_{side} = s.headers,
                   lists_{side} = s.lists, bold_{side} = s.bold
            FROM _style s WHERE s._row = _new_battles._row AND s.side = '{side}'
        """)
    unregister_arrow(con, "_style")


def write_conversations(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _new_conversations AS
        SELECT b.battle_id, m.side, row_number() OVER (PARTITION BY m._row, m.side ORDER BY m.idx)::INTEGER AS msg,
               m.turn, m.role, m.content
        FROM _msgs m JOIN _new_battles b USING (_row)
        ORDER BY b._row, m.side, m.idx
    """)


def write_labels(con: duckdb.DuckDBPyConnection, staged: Staged, fmt: Format, source: str) -> None:
    """Category labels that came with the source, as ``prompt_labels`` rows of labeler ``source/<name>``: the
    temp view ``_new_labels``, computed once by the statement that moves it (LMArena's tags give 11 rows per
    record: as a temp table they were written twice, 1.7 s per million records before the insert's 2.3 s).

    The leaf paths the labels read are extracted once per record so that each label's SQL works on a small
    value instead of re-reading the whole record.
    """
    keys = record_keys(con, staged)
    labels = [lab for lab in fmt.labels if _label_root(lab) in keys]
    if not labels:
        con.execute(
            "CREATE OR REPLACE TEMP VIEW _new_labels AS SELECT NULL::VARCHAR AS battle_id, NULL::VARCHAR AS labeler, "
            "NULL::VARCHAR AS category, NULL::BOOLEAN AS value, NULL::DOUBLE AS score WHERE false"
        )
        return
    # every leaf path the labels read becomes one column, extracted once: natively where the file's column
    # type allows (coerce.native_sql), else as JSON
    paths: dict[tuple[str | int, ...], str] = {}
    natives: dict[str, tuple[str, str]] = {}  # alias -> (SQL, type id)

    def t(macro: str, *path: str | int) -> str:
        alias = paths.setdefault(tuple(path), f"p{len(paths)}")
        found = native_field(staged, path)
        if found is not None:
            natives[alias] = found
            return coerce.native_sql(macro, alias, found[1])
        return f"{macro}({alias})"

    exprs = [(lab, lab.value(t), lab.score(t) if lab.score else "NULL::DOUBLE") for lab in labels]
    fx, records = shared_accessor(staged)
    cols = ", ".join(f"{natives[alias][0] if alias in natives else fx(*p)} AS {alias}" for p, alias in paths.items())
    # one pass: the leaf paths extracted once per record, each label's value and score computed from them
    # (shared sub-expressions once per record), then one row per label by unnesting a list of structs
    wide = ", ".join(
        f"({value})::BOOLEAN AS v{i}, ({score})::DOUBLE AS s{i}" for i, (_, value, score) in enumerate(exprs)
    )
    rows = ", ".join(
        f"{{'category': {sql_str(label.category)}, 'value': v{i}, 'score': s{i}}}"
        for i, (label, _, _) in enumerate(exprs)
    )
    labeler = sql_str(component_name("source", source))
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _new_labels AS
        SELECT battle_id, {labeler} AS labeler, l.category, l.value, l.score
        FROM (SELECT battle_id, unnest([{rows}]) AS l
              FROM (SELECT battle_id, {wide}
                    FROM (SELECT b.battle_id, {cols} FROM {records()} s JOIN _new_battles b USING (_row))))
        WHERE l.value IS NOT NULL
    """)


def _label_root(label: Label) -> str:
    """The top-level key a label reads (found by running its SQL builder on a probe accessor)."""
    m = re.search(r"@@(.+?)@@", label.value(_probe))
    assert m, f"label {label.category} reads no field"
    return m.group(1)


def _probe(macro: str, *path: str | int) -> str:
    return f"@@{path[0]}@@"


def write_quarantine(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    fmt: Format,
    source: str,
    file_label: str,
    run_id: str,
    max_chars: int,
    *,
    hold: bool = False,
) -> dict[str, int]:
    """``_new_quarantine``: the batch's unreadable records (``_rejects``, redacted) and its readable records
    that were refused (``_r.why``). ``hold``: a batch of a file read in several keeps its unreadable records
    back in ``_held_rejects``, unredacted, until every batch's voter ids are known
    (:func:`write_held_quarantine`); returns their counts by reason, which are in no ``_new_quarantine`` yet."""
    held: dict[str, int] = {}
    if hold:
        held = dict(con.sql("SELECT reason, count(*) FROM _rejects GROUP BY 1").fetchall())
        if held:
            con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {HELD_REJECTS} AS SELECT * FROM _rejects LIMIT 0")
            con.execute(f"INSERT INTO {HELD_REJECTS} SELECT * FROM _rejects")
            con.execute("DELETE FROM _rejects")
    else:
        redact_rejects(con, staged, fmt)
    _quarantine_table(con, staged, source, file_label, run_id, max_chars, with_refused=True)
    return held


def write_held_quarantine(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    fmt: Format,
    source: str,
    file_label: str,
    run_id: str,
    max_chars: int,
) -> int:
    """``_new_quarantine`` from the unreadable records every batch of a file held back (``write_quarantine``
    with ``hold``), redacted with the voter ids of the whole file (``_file_private``); ``staged`` is any batch
    of the file. Returns how many."""
    if not has_temp_table(con, HELD_REJECTS):
        return 0
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rejects AS SELECT * FROM {HELD_REJECTS} ORDER BY _row")
    redact_rejects(con, staged, fmt, whole_file=True)
    _quarantine_table(con, staged, source, file_label, run_id, max_chars, with_refused=False)
    return int(con.sql("SELECT count(*) FROM _new_quarantine").fetchall()[0][0])


def _quarantine_table(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    source: str,
    file_label: str,
    run_id: str,
    max_chars: int,
    *,
    with_refused: bool,
) -> None:
    cut = f"CASE WHEN {max_chars} > 0 AND length(x) > {max_chars} THEN left(x, {max_chars}) || ' [...]' ELSE x END"
    refused = f"""
        UNION ALL
        SELECT {sql_str(source)}, {sql_str(file_label)}, r._row, '{staged.unit} ' || r._row,
               r.why[1], r.why[2], (SELECT {cut} FROM (SELECT i.rec AS x)), {sql_str(run_id)}
        FROM _r r JOIN _ids i USING (_row)
        WHERE r.why IS NOT NULL"""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _new_quarantine AS
        SELECT {sql_str(source)} AS source, {sql_str(file_label)} AS file, _row AS row_number,
               _unit || ' ' || _row AS location, reason, detail,
               (SELECT {cut} FROM (SELECT raw AS x)) AS raw, {sql_str(run_id)} AS run_id
        FROM _rejects {refused if with_refused else ""}
        ORDER BY 3
    """)
