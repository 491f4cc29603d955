"""The files ``arenavotes p2l`` reads: a prompt set (JSON lines of ``id`` and ``prompt``) and a cost table.
A bad line is a user error naming the file, the line and the field.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "prompts.jsonl"
>>> _ = p.write_text('{"id": "q1", "prompt": "Sort a list"}\\n\\n{"id": 2, "prompt": "Write a poem"}\\n')
>>> read_prompts(p)
[('q1', 'Sort a list'), ('2', 'Write a poem')]
>>> _ = p.write_text('{"id": "q1"}\\n')
>>> try:
...     read_prompts(p)
... except UserError as e:
...     print(str(e).split(": ", 1)[0].endswith("prompts.jsonl line 1"), str(e).split(": ", 1)[1][:17])
True no 'prompt' field
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from arenavotes.errors import UserError

PROMPTS_HINT = 'one JSON object a line, e.g. {"id": "q1", "prompt": "How do I sort a list in Python?"}'


def read_prompts(path: Path) -> list[tuple[str, str]]:
    """(id, prompt) of every non-empty line; ids must be unique."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read ({exc})", hint=PROMPTS_HINT) from None
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path} line {n}: not JSON ({exc.msg})", hint=PROMPTS_HINT) from None
        if not isinstance(rec, dict):
            raise UserError(f"{path} line {n}: not a JSON object", hint=PROMPTS_HINT)
        for field in ("id", "prompt"):
            if field not in rec or rec[field] is None:
                raise UserError(f"{path} line {n}: no '{field}' field", hint=PROMPTS_HINT)
        if not isinstance(rec["prompt"], str):
            raise UserError(f"{path} line {n}: field 'prompt' is not a string", hint=PROMPTS_HINT)
        pid = str(rec["id"])
        if pid in seen:
            raise UserError(f"{path} line {n}: id '{pid}' appears twice", hint="give every prompt its own id")
        seen.add(pid)
        out.append((pid, rec["prompt"]))
    if not out:
        raise UserError(f"{path}: no prompts", hint=PROMPTS_HINT)
    return out


COSTS_HINT = "a CSV with a header 'model,cost' (cost per prompt, any currency), or a JSON object {model: cost}"


def read_costs(path: Path) -> dict[str, float]:
    """model -> cost per prompt, from CSV (``model,cost``) or a JSON object."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read ({exc})", hint=COSTS_HINT) from None
    if text.lstrip().startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not JSON ({exc.msg})", hint=COSTS_HINT) from None
        items = [(str(k), v, n) for n, (k, v) in enumerate(raw.items(), 1)]
    else:
        reader = csv.DictReader(text.splitlines())
        if reader.fieldnames is None or not {"model", "cost"} <= set(reader.fieldnames):
            raise UserError(f"{path}: the header must name columns 'model' and 'cost'", hint=COSTS_HINT)
        items = [(r["model"], r["cost"], n) for n, r in enumerate(reader, 2)]
    out: dict[str, float] = {}
    for model, cost, n in items:
        try:
            value = float(cost)
        except (TypeError, ValueError):
            raise UserError(f"{path} line {n}: cost '{cost}' of '{model}' is not a number", hint=COSTS_HINT) from None
        if not value >= 0:
            raise UserError(f"{path} line {n}: cost of '{model}' must be >= 0", hint=COSTS_HINT)
        out[model] = value
    return out
