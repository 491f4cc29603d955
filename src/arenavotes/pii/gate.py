"""The release gate: scan the exact files a release would publish, independently of the scrub pass.

Parquet (every string column, nested lists and structs included), JSON / JSON lines (every string
value, with its JSON path), SVG figures (their text elements) and Markdown or other text files (line by
line) are analysed with the same recognizers as ``arenavotes scrub``. Any finding at or above the threshold is reported with the file,
row (or line), column (or JSON path), entity type and recognizer -- never the value -- and the gate
fails. Typed placeholders (``<PERSON>``) never match. Raster images are not read: the only ones a release
carries are report figures, drawn from report tables that ship beside them and are scanned.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "card.md"
>>> _ = p.write_text("Contact: <EMAIL_ADDRESS>\\nor jane@example.org\\n")
>>> [(f.location, f.entity) for f in check_paths([p], ner=False)]
[('line 2', 'EMAIL_ADDRESS')]
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from arenavotes.errors import UserError
from arenavotes.pii.scrub import analyze_distinct


@dataclasses.dataclass(frozen=True)
class GateFinding:
    file: str
    location: str      # 'row 17' / 'line 3'
    column: str        # column name or JSON path ('' for text lines)
    entity: str
    recognizer: str
    score: float


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


RASTER = (".png", ".jpg", ".jpeg", ".gif", ".webp")


def _cells(path: Path) -> Iterator[tuple[str, str, str]]:
    """(location, column, text) of every string in a file."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table = pq.read_table(path)
        for name in table.column_names:
            col = table.column(name)
            if not _has_strings(col.type):
                continue
            for row, value in enumerate(col.to_pylist(), start=1):
                for sub, text in _strings(value, ""):
                    yield f"row {row}", name + (f".{sub}" if sub and not sub.startswith("[") else sub), text
    elif suffix in (".json", ".jsonl", ".ndjson"):
        raw = path.read_text(encoding="utf-8")
        if suffix == ".json":
            for sub, text in _strings(json.loads(raw), ""):
                yield "file", sub, text
        else:
            for n, line in enumerate(raw.splitlines(), start=1):
                if line.strip():
                    for sub, text in _strings(json.loads(line), ""):
                        yield f"line {n}", sub, text
    elif suffix == ".svg":
        import xml.etree.ElementTree as ET

        texts = [" ".join("".join(e.itertext()).split()) for e in ET.parse(path).iter()
                 if e.tag.rsplit("}", 1)[-1] in ("text", "title", "desc")]
        for n, text in enumerate(t for t in texts if t):
            yield f"text {n + 1}", "", text
    elif suffix in RASTER:
        return   # pixels: report figures are drawn from the report tables, which ship beside them and are scanned
    else:
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            yield f"line {n}", "", line


def _has_strings(t: pa.DataType) -> bool:
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return True
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _has_strings(t.value_type)
    if pa.types.is_struct(t):
        return any(_has_strings(t.field(i).type) for i in range(t.num_fields))
    return False


def release_files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if not p.exists():
            raise UserError(f"{p}: no such file or folder", hint="check the path")
        out.extend(sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p])
    return out


def check_paths(paths: Sequence[Path], *, threshold: float = 0.7, ner: bool = True, workers: int = 1
                ) -> list[GateFinding]:
    """Every finding in ``paths`` (files or folders) at or above ``threshold``."""
    cells = [(str(f), loc, col, text) for f in release_files(paths) for loc, col, text in _cells(f)]
    found = analyze_distinct([c[3] for c in cells], workers=workers, ner=ner, threshold=threshold)
    return [GateFinding(f, loc, col, x.entity, x.recognizer, x.score)
            for f, loc, col, text in cells for x in found[text]]
