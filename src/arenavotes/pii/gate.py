"""The release gate: scan the exact files a release would publish, independently of the scrub pass.

What it runs on every string (:func:`gate_findings`): the scrubber's own detectors (patterns, the context
recognizer of names, NER on the scrubber's view) PLUS detectors the scrubber does not have
(:mod:`arenavotes.pii.loose`: looser structural patterns, context names and a census first-name gazetteer,
written apart from the scrubber's) and NER over the full text (the scrubber blanks code and lines without
a name candidate; the gate does not). So a blind spot of the scrubber is not one of the gate.

What it reads (:func:`check_paths`, file by file and batch by batch, so memory does not grow with the release):
every cell :mod:`arenavotes.pii.gate_files` reads -- Parquet (every text-bearing type, big integers, metadata),
JSON, JSON lines, CSV/TSV, SVG text and attributes, PNG text chunks, ``.gz`` files by what they hold, Markdown
and any other text in blocks of lines. Pixels are not and cannot be scanned: report figures are drawn from
report tables, which ship beside them and are scanned. Other raster formats (JPEG, GIF, WebP, ...) cannot be
read and fail the gate.

A file the gate cannot read -- bad JSON or Parquet, a corrupt gzip or PNG, text that is not UTF-8, a binary
file of an unknown kind -- fails the gate with an ``UNREADABLE`` finding naming the file (and what could be
decoded is scanned all the same). Findings at or above the threshold are reported with the file, row (or
line), column (or JSON path), entity type and recognizer -- never the value. Typed placeholders
(``<PERSON>``) never match.

``ner=False`` (fast, for tests) leaves out every name detector that needs NER or is the gate's own (the
gazetteer, the gate's context names, full-text NER); the scrubber's context recognizer of names still runs.
Verdicts depend on the text and :data:`GATE_VERSION` only: a caller may cache them under
:func:`verdict_key` (``check_paths(..., cache={})``) and scan the next release in a fraction of the time.
``workers`` > 1 analyses on a :class:`arenavotes.pool.WorkerPool` (:func:`gate_pool`); verdicts do not depend
on it.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "card.md"
>>> _ = p.write_text("Contact: <EMAIL_ADDRESS>\\nor jane@example.org\\n")
>>> sorted({(f.location, f.entity) for f in check_paths([p], ner=False)})
[('line 2', 'EMAIL_ADDRESS')]
>>> t = "Dear Marta Kowalczyk, ping 10.0.0.7."
>>> sorted({f.recognizer for f in gate_findings([t])[t]})
['context/person@1', 'gate/context_name@1', 'gate/dotted_quad@1', 'gate/gazetteer@1', 'pattern/ipv4@2']
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from pathlib import Path

from arenavotes.errors import UserError
from arenavotes.pii.engine import _LATIN_CAP, Analyzer, _engines, _name_score, _ner_view, is_name_false_positive
from arenavotes.pii.gate_files import RASTER_UNREADABLE, Cell, ColumnReader, KnownCells, Unreadable, items
from arenavotes.pii.gazetteer import common_words, first_names
from arenavotes.pii.loose import find_loose_many
from arenavotes.pii.patterns import Finding
from arenavotes.pool import State, WorkerPool, chunks_of

#: Bump when any detector the gate runs changes (cached verdicts of another version are not reused).
GATE_VERSION = "gate-2+patterns-ipv4@2+btc@2+context-person@1+loose@1+spacy-ner@2"
FULL_NER_RECOGNIZER = "gate/spacy-full-text@1"
READER = "gate/reader@1"
UNREADABLE = "UNREADABLE"
BATCH = 20_000  # cells analysed together (a bound on memory per file)
_CHUNK = 512


@dataclasses.dataclass(frozen=True)
class GateFinding:
    file: str
    location: str  # 'row 17' / 'line 3' / 'text 2' / 'file'
    column: str  # column name or JSON path ('' for text lines; the reason for UNREADABLE)
    entity: str
    recognizer: str
    score: float


# ---------------------------------------------------------------------------------------------- verdicts


def gate_part(ner: bool = True) -> str:
    """The gate part of a verdict key: the gate's version and whether NER ran (``gate_verdicts.gate``).

    >>> gate_part(False) == GATE_VERSION + ":no-ner"
    True
    """
    return f"{GATE_VERSION}:{'ner' if ner else 'no-ner'}"


def verdict_key(text: str, ner: bool = True) -> str:
    """Cache key of a verdict: :func:`gate_part` and sha256 of the text (not the text)."""
    return f"{gate_part(ner)}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _full_text_names(texts: Sequence[str]) -> list[list[Finding]]:
    """NER over the whole text, code and all, where the scrubber's view differs from the text."""
    out: list[list[Finding]] = [[] for _ in texts]
    views = {i: _ner_view(t) for i, t in enumerate(texts) if _LATIN_CAP.search(t)}
    todo = [i for i, v in views.items() if v != texts[i]]
    if not todo:
        return out
    nlp_engine, analyzer = _engines()
    arts = nlp_engine.process_batch([texts[i] for i in todo], "en", batch_size=256)
    for i, (text, art) in zip(todo, arts, strict=True):
        found = analyzer.analyze(text=text, language="en", entities=["PERSON", "LOCATION"], nlp_artifacts=art)
        out[i] = [
            Finding(
                r.start, r.end, r.entity_type, _name_score(text[r.start : r.end], float(r.score)), FULL_NER_RECOGNIZER
            )
            for r in found
            if _capitalised_name(text[r.start : r.end]) and _plausible_full_name(text[r.start : r.end])
        ]
    return out


_PARTICLES = frozenset(
    (
        "van",
        "von",
        "de",
        "del",
        "della",
        "da",
        "di",
        "du",
        "der",
        "den",
        "la",
        "le",
        "bin",
        "ibn",
        "al",
        "el",
        "ben",
        "dos",
        "das",
        "y",
    )
)


def _capitalised_name(span: str) -> bool:
    """The English model reads other scripts and code as names; a name it may report is made of capitalised
    words (particles aside), one at least in Latin script, and passes the scrubber's false-positive filter."""
    words = span.split()
    return (
        not is_name_false_positive(span)
        and any("A" <= w[0] <= "Z" for w in words)
        and all(w[0].isupper() or w.lower() in _PARTICLES for w in words)
    )


def _plausible_full_name(span: str) -> bool:
    """On the full text (code, other scripts, headings) the model's multi-word guesses are mostly
    noise ("Max Tokens", "Vehicle Status", "A. Định"): there a finding needs two or more capitalised words in
    Latin script, none a one-letter initial only, and none a common English word unless a census first name."""
    words = [w.strip(".,;:!?\"'()") for w in span.split() if w.lower() not in _PARTICLES]
    return (
        len(words) >= 2
        and all(_LATIN_WORD.fullmatch(w) for w in words)
        and all(w in first_names() or w.lower() not in common_words() for w in words)
    )


_LATIN_WORD = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'’]+(?:-[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'’]+)?")


def _init_worker(state: State) -> None:
    """Once per process: the scrubber's analyzer at threshold 0 (the gate keeps every score)."""
    state["gate_analyzer"] = Analyzer(ner=state["ner"], threshold=0.0)


def _gate_chunk(state: State, chunk: list[str]) -> list[list[Finding]]:
    ner = state["ner"]
    if "gate_analyzer" not in state:  # a scrub pool (:func:`arenavotes.pii.scrub.scrub_pool`) judging for the gate
        _init_worker(state)
    scrubbers = state["gate_analyzer"].analyze(chunk)
    full = _full_text_names(chunk) if ner else [[] for _ in chunk]
    loose = find_loose_many(chunk, names=ner)
    return [
        sorted({*a, *c, *b}, key=lambda f: (f.start, f.end, f.recognizer))
        for a, b, c in zip(scrubbers, full, loose, strict=True)
    ]


def gate_pool(workers: int, ner: bool) -> WorkerPool:
    """The worker pool :func:`gate_findings` runs on (``with gate_pool(4, ner=True) as pool: ...``)."""
    return WorkerPool(workers, {"ner": ner}, _init_worker, fresh=True)


def gate_findings(
    texts: Iterable[str], *, ner: bool = True, workers: int = 1, pool: WorkerPool | None = None
) -> dict[str, list[Finding]]:
    """Every finding (any score) of every distinct text: a pure function of the texts and :data:`GATE_VERSION`.
    ``pool`` (from :func:`gate_pool`, or a scrub pool, with the same ``ner``: the NER model a worker loaded once
    serves both) is used instead of a pool of ``workers``.

    >>> gate_findings(["2 + 2 = 4", "2 + 2 = 4"], ner=False)
    {'2 + 2 = 4': []}
    """
    distinct = sorted(set(texts))
    chunks = chunks_of(distinct, most=_CHUNK)
    if pool is None:
        with gate_pool(workers, ner) as own:
            results = own.map(_gate_chunk, chunks)
    elif pool.state.get("ner") != ner:
        raise ValueError(f"a gate pool made for ner={pool.state.get('ner')} cannot judge with ner={ner}")
    else:
        results = pool.map(_gate_chunk, chunks)
    return {t: f for c, r in zip(chunks, results, strict=True) for t, f in zip(c, r, strict=True)}


# ---------------------------------------------------------------------------------------------- the gate


def release_files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if not p.exists():
            raise UserError(f"{p}: no such file or folder", hint="check the path")
        out.extend(sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p])
    return out


def iter_findings(
    paths: Sequence[Path],
    *,
    threshold: float = 0.7,
    ner: bool = True,
    workers: int = 1,
    cache: MutableMapping[str, list[Finding]] | None = None,
    pool: WorkerPool | None = None,
) -> Iterator[GateFinding]:
    """Findings of ``paths`` (files or folders), file by file, at most :data:`BATCH` cells in memory at a time
    (``pool``: a :func:`gate_pool` made for the same ``ner`` to analyse on instead of a new one)."""
    # a workspace-bound cache reads Parquet text columns in DuckDB, joined with the stored verdicts (what the
    # workspace holds a clean verdict for does not come out), so memory does not grow with the release
    column_cells = getattr(cache, "column_cells", None)
    reader: ColumnReader | None = None if column_cells is None else lambda p, c: column_cells(p, c, ner=ner)
    with contextlib.nullcontext(pool) if pool is not None else gate_pool(workers, ner) as pool:
        if pool.state.get("ner") != ner:
            raise ValueError(f"a gate pool made for ner={pool.state.get('ner')} cannot judge with ner={ner}")
        for f in release_files(paths):
            batch: list[Cell] = []
            for item in items(f, reader):
                if isinstance(item, Unreadable):
                    yield GateFinding(str(f), "file", str(item), UNREADABLE, READER, 1.0)
                    continue
                if isinstance(item, KnownCells):
                    yield from _judge_known(str(f), item, threshold, ner, pool, cache)
                    continue
                batch.append(item)
                if len(batch) >= BATCH:
                    yield from _judge(str(f), batch, threshold, ner, pool, cache)
                    batch = []
            yield from _judge(str(f), batch, threshold, ner, pool, cache)


def cached_findings(
    texts: Iterable[str],
    *,
    ner: bool,
    cache: MutableMapping[str, list[Finding]] | None,
    workers: int = 1,
    pool: WorkerPool | None = None,
) -> dict[str, list[Finding]]:
    """:func:`gate_findings` of the distinct ``texts``, reusing and filling ``cache`` (keyed by
    :func:`verdict_key`) so that no text is analysed twice by the same gate version."""
    distinct = set(texts)
    if cache is None:
        return gate_findings(distinct, ner=ner, workers=workers, pool=pool) if distinct else {}
    key_of = getattr(cache, "key", None)  # a workspace-bound cache may know the keys already (pii.verdicts.stream)
    keys = {t: key_of(t, ner) if key_of is not None else verdict_key(t, ner) for t in distinct}
    prefetch = getattr(cache, "prefetch", None)
    if prefetch is not None:
        prefetch(keys.values())  # a workspace-bound cache reads just these verdicts
    verdicts = {t: cache[k] for t, k in keys.items() if k in cache}
    todo = distinct - verdicts.keys()
    fresh = gate_findings(todo, ner=ner, workers=workers, pool=pool) if todo else {}
    for t, v in fresh.items():
        cache[keys[t]] = v
    return verdicts | fresh


def _judge(
    file: str,
    cells: list[Cell],
    threshold: float,
    ner: bool,
    pool: WorkerPool,
    cache: MutableMapping[str, list[Finding]] | None,
) -> Iterator[GateFinding]:
    if not cells:
        return
    verdicts = cached_findings((c.text for c in cells), ner=ner, cache=cache, pool=pool)
    yield from _report(file, cells, verdicts, threshold)


def _judge_known(
    file: str,
    known: KnownCells,
    threshold: float,
    ner: bool,
    pool: WorkerPool,
    cache: MutableMapping[str, list[Finding]] | None,
) -> Iterator[GateFinding]:
    """Judge cells read with their stored verdicts: those stored are taken as stored, the rest analysed (and
    their verdicts put in ``cache``, to be stored)."""
    verdicts: dict[str, list[Finding]] = {}
    todo: dict[str, str] = {}  # text -> key
    for c, k, stored in zip(known.cells, known.keys, known.stored, strict=True):
        if stored is None:
            todo[c.text] = k
        else:
            verdicts[c.text] = [Finding(*f) for f in json.loads(stored)]
    if todo:
        fresh = gate_findings(todo, ner=ner, pool=pool)
        for t, v in fresh.items():
            if cache is not None:
                cache[todo[t]] = v
        verdicts |= fresh
    yield from _report(file, known.cells, verdicts, threshold)


def _report(
    file: str, cells: Sequence[Cell], verdicts: dict[str, list[Finding]], threshold: float
) -> Iterator[GateFinding]:
    """The findings at or above ``threshold`` of each of ``cells`` (``verdicts``: every finding of each text)."""
    for c in cells:
        seen: set[tuple[str, str, str]] = set()
        for x in verdicts[c.text]:
            if x.score < threshold:
                continue
            loc = c.location if c.first_line is None else f"line {c.first_line + c.text.count(chr(10), 0, x.start)}"
            if (loc, x.entity, x.recognizer) in seen:
                continue
            seen.add((loc, x.entity, x.recognizer))
            yield GateFinding(file, loc, c.column, x.entity, x.recognizer, x.score)


def check_paths(
    paths: Sequence[Path],
    *,
    threshold: float = 0.7,
    ner: bool = True,
    workers: int = 1,
    cache: MutableMapping[str, list[Finding]] | None = None,
    pool: WorkerPool | None = None,
) -> list[GateFinding]:
    """Every finding in ``paths`` (files or folders) at or above ``threshold``, plus every unreadable file.

    ``cache`` (any mapping, e.g. a ``shelve`` or a dict kept between runs) holds verdicts under
    :func:`verdict_key`; ``workers`` > 1 analyses on a process pool (or on ``pool``, see :func:`gate_pool`).
    Files are read one at a time.
    """
    return list(iter_findings(paths, threshold=threshold, ner=ner, workers=workers, cache=cache, pool=pool))


__all__ = [
    "BATCH",
    "FULL_NER_RECOGNIZER",
    "GATE_VERSION",
    "RASTER_UNREADABLE",
    "READER",
    "UNREADABLE",
    "GateFinding",
    "cached_findings",
    "check_paths",
    "gate_findings",
    "gate_part",
    "gate_pool",
    "iter_findings",
    "release_files",
    "verdict_key",
]
