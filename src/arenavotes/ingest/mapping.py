"""How to read a file beyond what its format says: moved fields, coded or continuous winners, the
arena kind and the CSV dialect -- everything ``--map``, ``--winner-map``, ``--winner-from``,
``--tie-band``, ``--arena`` and the ``--csv-*`` flags give, and what a preset file (TOML) saves.

A :class:`ReadOptions` is data: :func:`apply` turns it into a changed
:class:`~arenavotes.ingest.formats.Format`, :func:`load_preset` / :func:`preset_text` read and write
it as TOML, so a mapping that worked once can be reused for every file of the same log.

>>> parse_winner_map(["0=model_a,1=model_b", "2=tie"])
{'0': 'model_a', '1': 'model_b', '2': 'tie'}
>>> parse_tie_band("1.4:1.6")
(1.4, 1.6)
>>> opts = ReadOptions(fields={"model_a": "left"}, winner_map={"L": "model_a"})
>>> load_preset_text(preset_text(opts)) == opts
True
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arenavotes.errors import UserError
from arenavotes.ingest.formats import Format, canonical_map
from arenavotes.vocab import ARENA_KINDS, WINNER_ALIASES, canonical_arena, one_of

#: what a ``--winner-map`` value may map to: an outcome (or its spellings), or a record that is no vote
MAP_OUTCOMES = {**WINNER_ALIASES, "a": "model_a", "b": "model_b", "not_a_vote": "not_a_vote", "skip": "not_a_vote"}
HIGH_WINS = ("model_a", "model_b")


@dataclasses.dataclass(frozen=True)
class CsvDialect:
    """CSV options; ``None`` delimiter: ``,`` (``\\t`` for ``.tsv``). ``encoding`` is any Python codec."""

    delimiter: str | None = None
    quote: str = '"'
    escape: str = '"'
    encoding: str = "utf-8"

    def check(self) -> None:
        for name, value in (("delimiter", self.delimiter), ("quote", self.quote), ("escape", self.escape)):
            if value is not None and len(value) != 1:
                raise UserError(f"--csv-{name} {value!r}: expected one character", hint="e.g. --csv-delimiter ';'")
        import codecs

        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise UserError(
                f"--encoding {self.encoding}: unknown encoding", hint="e.g. utf-8, utf-16, latin-1"
            ) from None


@dataclasses.dataclass(frozen=True)
class ReadOptions:
    """How to read one file (see the module docstring). Defaults read the file as its format says."""

    format: str | None = None
    container: str | None = None
    fields: Mapping[str, str] = dataclasses.field(default_factory=dict)  # --map field=column
    winner_map: Mapping[str, str] = dataclasses.field(default_factory=dict)  # --winner-map value=outcome
    winner_from: tuple[str, ...] = ()  # one numeric column, or two per-side scores (a, b)
    tie_band: tuple[float, float] | None = None  # values inside [lo, hi] are ties
    high_wins: str = "model_b"  # for one column: which side a value above the band favours
    arena: str | None = None  # the arena kind of every battle in the file
    csv: CsvDialect = dataclasses.field(default_factory=CsvDialect)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", canonical_map(self.fields))
        object.__setattr__(self, "winner_map", {str(k): _outcome(str(k), str(v)) for k, v in self.winner_map.items()})
        if len(self.winner_from) not in (0, 1, 2):
            raise UserError(
                f"--winner-from {','.join(self.winner_from)}: expected COLUMN or SCORE_A,SCORE_B",
                hint="e.g. --winner-from preference --tie-band 1.4:1.6",
            )
        if self.high_wins not in HIGH_WINS:
            raise UserError(f"--high-wins {self.high_wins}: expected model_a or model_b")
        if self.arena is not None:
            kind = canonical_arena(self.arena)
            if kind is None:
                raise UserError(f"--arena {self.arena}: unknown arena kind", hint=f"one of {one_of(ARENA_KINDS)}")
            object.__setattr__(self, "arena", kind)
        if self.winner_from and self.winner_map:
            raise UserError("--winner-from and --winner-map exclude each other", hint="use one of them")
        if self.tie_band is not None and not self.winner_from:
            raise UserError(
                "--tie-band needs --winner-from COLUMN", hint="e.g. --winner-from preference --tie-band 1.4:1.6"
            )
        self.csv.check()

    def options_json(self) -> str:
        """What the ``sources`` table records (the three original keys always, the rest when set)."""
        out: dict[str, Any] = {"format": self.format, "container": self.container, "map": dict(self.fields)}
        if self.winner_map:
            out["winner_map"] = dict(self.winner_map)
        if self.winner_from:
            out["winner_from"] = list(self.winner_from)
            out["tie_band"] = list(self.tie_band) if self.tie_band else None
            out["high_wins"] = self.high_wins
        if self.arena:
            out["arena"] = self.arena
        if self.csv != CsvDialect():
            out["csv"] = dataclasses.asdict(self.csv)
        return json.dumps(out, sort_keys=True)

    def flags(self) -> list[str]:
        """The command-line flags that give these options (for messages and ``formats --explain``)."""
        out = []
        if self.format:
            out += ["--format", self.format]
        if self.container:
            out += ["--container", self.container]
        out += [a for f, c in self.fields.items() for a in ("--map", f"{f}={c}")]
        if self.winner_map:
            out += ["--winner-map", ",".join(f"{k}={v}" for k, v in self.winner_map.items())]
        if self.winner_from:
            out += ["--winner-from", ",".join(self.winner_from)]
        if self.tie_band:
            out += ["--tie-band", f"{self.tie_band[0]:g}:{self.tie_band[1]:g}"]
        if self.high_wins != "model_b":
            out += ["--high-wins", self.high_wins]
        if self.arena:
            out += ["--arena", self.arena]
        for name, default in (("delimiter", None), ("quote", '"'), ("escape", '"')):
            value = getattr(self.csv, name)
            if value != default:
                out += [f"--csv-{name}", value]
        if self.csv.encoding != "utf-8":
            out += ["--encoding", self.csv.encoding]
        return out


def _outcome(value: str, outcome: str) -> str:
    canon = MAP_OUTCOMES.get(outcome.strip().lower())
    if canon is None:
        raise UserError(
            f"--winner-map {value}={outcome}: unknown outcome '{outcome}'",
            hint="outcomes: model_a, model_b, tie, tie_bothbad (or a, b, both_bad), not_a_vote",
        )
    return canon


def parse_winner_map(entries: Sequence[str]) -> dict[str, str]:
    """``--winner-map VALUE=OUTCOME[,VALUE=OUTCOME...]`` (repeatable) as a dict."""
    out: dict[str, str] = {}
    for entry in entries:
        for part in entry.split(","):
            value, sep, outcome = part.partition("=")
            if not sep or not value.strip():
                raise UserError(
                    f"--winner-map {entry}: expected VALUE=OUTCOME", hint="e.g. --winner-map 0=model_a,1=model_b"
                )
            out[value.strip()] = _outcome(value.strip(), outcome)
    return out


def parse_tie_band(text: str) -> tuple[float, float]:
    """``LO:HI`` (inclusive, LO <= HI) as two finite numbers."""
    lo, sep, hi = text.partition(":")
    try:
        band = (float(lo), float(hi)) if sep else (float(text), float(text))
    except ValueError:
        raise UserError(f"--tie-band {text}: expected LO:HI", hint="e.g. --tie-band 1.4:1.6 (or 0:0)") from None
    if not all(map(math.isfinite, band)) or band[0] > band[1]:
        raise UserError(f"--tie-band {text}: expected finite LO <= HI", hint="e.g. --tie-band -0.5:0.5")
    return band


def apply(fmt: Format, read: ReadOptions) -> Format:
    """``fmt`` changed by ``read`` (moved fields, winner rules, arena kind)."""
    out = fmt.with_map(read.fields) if read.fields else fmt
    changes: dict[str, Any] = {}
    if read.winner_map:
        changes["winner_map"] = {**out.winner_map, **read.winner_map}
        changes["winner_map_loose"] = tuple(read.winner_map)
        changes["winner_one_hot"] = ()
    if read.winner_from:
        changes["winner_from"] = read.winner_from
        changes["tie_band"] = read.tie_band or (0.0, 0.0)
        changes["high_wins"] = read.high_wins
        changes["winner_one_hot"] = ()
    if read.arena:
        changes["arena"] = read.arena
        changes["arena_rule"] = None
    return dataclasses.replace(out, **changes) if changes else out


# -- presets ---------------------------------------------------------------------------------------


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a TOML basic string is a JSON string


def preset_text(read: ReadOptions) -> str:
    """``read`` as a preset file (TOML), loadable with :func:`load_preset`."""
    lines = ["# arenavotes read preset: arenavotes ingest --preset THIS_FILE FILE...", ""]
    for key in ("format", "container", "arena"):
        value = getattr(read, key)
        if value:
            lines.append(f"{key} = {_toml_str(value)}")
    if read.winner_from:
        lines.append(f"winner_from = [{', '.join(map(_toml_str, read.winner_from))}]")
        if read.tie_band:
            lines.append(f"tie_band = [{read.tie_band[0]!r}, {read.tie_band[1]!r}]")
        lines.append(f"high_wins = {_toml_str(read.high_wins)}")
    for table, values in (("map", read.fields), ("winner_map", read.winner_map)):
        if values:
            lines += ["", f"[{table}]"] + [f"{_toml_str(k)} = {_toml_str(v)}" for k, v in values.items()]
    if read.csv != CsvDialect():
        lines += ["", "[csv]"]
        lines += [f"{k} = {_toml_str(v)}" for k, v in dataclasses.asdict(read.csv).items() if v is not None]
    return "\n".join(lines) + "\n"


_PRESET_KEYS = {"format", "container", "arena", "winner_from", "tie_band", "high_wins", "map", "winner_map", "csv"}


def load_preset_text(text: str, where: str = "preset") -> ReadOptions:
    """A preset's TOML text as :class:`ReadOptions` (unknown keys are an error naming them)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(
            f"{where}: not valid TOML: {exc}", hint="see 'arenavotes formats --explain FILE --save-preset'"
        ) from None
    unknown = sorted(set(data) - _PRESET_KEYS)
    if unknown:
        raise UserError(f"{where}: unknown key '{unknown[0]}'", hint=f"keys: {', '.join(sorted(_PRESET_KEYS))}")
    try:
        csv_part = data.get("csv", {})
        band = data.get("tie_band")
        winner_from = data.get("winner_from", ())
        return ReadOptions(
            format=data.get("format"),
            container=data.get("container"),
            fields={str(k): str(v) for k, v in data.get("map", {}).items()},
            winner_map={str(k): str(v) for k, v in data.get("winner_map", {}).items()},
            winner_from=(winner_from,) if isinstance(winner_from, str) else tuple(map(str, winner_from)),
            tie_band=(float(band[0]), float(band[1])) if band is not None else None,
            high_wins=str(data.get("high_wins", "model_b")),
            arena=data.get("arena"),
            csv=CsvDialect(**csv_part),
        )
    except (TypeError, ValueError, IndexError, AttributeError) as exc:
        raise UserError(f"{where}: {exc}", hint="see 'arenavotes formats --explain FILE --save-preset OUT'") from None


def load_preset(path: Path) -> ReadOptions:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the preset: {exc}", hint="give a TOML file") from None
    return load_preset_text(text, str(path))


def merge(base: ReadOptions, **flags: Any) -> ReadOptions:
    """``base`` (a preset, or the defaults) with the flags that were given (``None``/empty: not given)."""
    changes = {k: v for k, v in flags.items() if v not in (None, (), {}, [])}
    if "fields" in changes:
        changes["fields"] = {**base.fields, **changes["fields"]}
    if "winner_map" in changes:
        changes["winner_map"] = {**base.winner_map, **changes["winner_map"]}
    if "csv" in changes:
        csv_changes = {k: v for k, v in changes["csv"].items() if v is not None}
        changes["csv"] = dataclasses.replace(base.csv, **csv_changes)
    return dataclasses.replace(base, **changes)
