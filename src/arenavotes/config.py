"""Settings: frozen, self-validating dataclasses loaded from a workspace's ``arenavotes.toml``.

Each stage owns one section of the file. Unknown sections or keys, and values of the wrong type
or out of range, are reported with the file, the section and the key, so a typo never passes
silently. A stage records ``settings_hash`` of the settings it used in the ``runs`` table.

>>> s = Settings.from_mapping({"ingest": {"max_raw_chars": 5000}})
>>> s.ingest.max_raw_chars
5000
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from arenavotes.errors import UserError
from arenavotes.vocab import (
    ALL_FLAGS,
    BOTHBAD_POLICIES,
    CI_METHODS,
    CLUSTER_UNITS,
    DEFAULT_EXCLUDE_FLAGS,
    TIE_POLICIES,
    BothBadPolicy,
    ClusterUnit,
    IntervalMethod,
    TiePolicy,
    cluster_unit,
    one_of,
)


@dataclasses.dataclass(frozen=True)
class IngestSettings:
    """How raw vote logs become canonical battles.

    ``max_raw_chars``: a quarantined record keeps at most this many characters of its raw text
    (0 = keep all). ``min_prompt_chars``: a battle whose text is present but whose first user turn
    has fewer non-blank characters is quarantined as ``empty_prompt``.
    """

    max_raw_chars: int = 20000
    min_prompt_chars: int = 1

    def __post_init__(self) -> None:
        _check(self.max_raw_chars >= 0, "ingest", "max_raw_chars", "must be >= 0")
        _check(self.min_prompt_chars >= 0, "ingest", "min_prompt_chars", "must be >= 0")


@dataclasses.dataclass(frozen=True)
class PrivacySettings:
    """Voter pseudonyms: ``voter_id = HMAC-SHA256(secret, raw id)``.

    The secret comes from the environment variable named by ``secret_env`` or, when that is unset,
    from the workspace file ``.arenavotes-secret`` (created once, mode 0600).
    """

    secret_env: str = "ARENAVOTES_SECRET"

    def __post_init__(self) -> None:
        _check(bool(self.secret_env.strip()), "privacy", "secret_env", "must not be empty")


@dataclasses.dataclass(frozen=True)
class RatingsSettings:
    """Defaults of ``arenavotes rate`` (each can be overridden on the command line).

    ``ties``: half | drop | rao-kupper | davidson; ``bothbad``: tie | drop; ``ci``: sandwich |
    bootstrap | cluster | none; ``min_battles``: models with fewer battles in a leaderboard are
    marked provisional; ``style_reg``: L2 penalty on standardised style coefficients (summed
    log-likelihood); ``min_category_battles``: smaller categories get no leaderboard.
    """

    ties: TiePolicy = "half"
    bothbad: BothBadPolicy = "tie"
    ci: IntervalMethod = "sandwich"
    rounds: int = 1000
    cluster_by: ClusterUnit = "voter"
    alpha: float = 0.05
    min_battles: int = 300
    min_category_battles: int = 100
    seed: int = 0
    style_reg: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "cluster_by", cluster_unit(self.cluster_by))  # "judge" in older settings files
        _check(self.ties in TIE_POLICIES, "ratings", "ties", f"must be {one_of(TIE_POLICIES)}")
        _check(self.bothbad in BOTHBAD_POLICIES, "ratings", "bothbad", f"must be {one_of(BOTHBAD_POLICIES)}")
        _check(self.ci in CI_METHODS, "ratings", "ci", f"must be {one_of(CI_METHODS)}")
        _check(self.cluster_by in CLUSTER_UNITS, "ratings", "cluster_by", f"must be {one_of(CLUSTER_UNITS)}")
        _check(self.rounds >= 10, "ratings", "rounds", "must be >= 10")
        _check(0 < self.alpha < 1, "ratings", "alpha", "must be between 0 and 1")
        _check(self.min_battles >= 0, "ratings", "min_battles", "must be >= 0")
        _check(self.min_category_battles >= 0, "ratings", "min_category_battles", "must be >= 0")
        _check(self.style_reg >= 0, "ratings", "style_reg", "must be >= 0")


@dataclasses.dataclass(frozen=True)
class DedupSettings:
    """Duplicate and adversarial vote detectors (``arenavotes dedup``) and the exclusion policy.

    ``exclude``: flags that ratings and releases leave out by default. ``cap_quantile``/``cap``:
    prompts above this quantile of prompt counts keep ``cap`` battles (0: keep as many as the
    quantile, as FastChat's deduplication.py does; LMArena's blog: top 0.1% capped at 25). ``near_threshold``: Jaccard of
    character 5-grams for near-duplicate prompts. ``duplicate_window``: seconds within which a
    voter's repeat vote on the same pair and prompt is a duplicate. ``fast_min_seconds`` and
    ``read_tokens_per_second``: a vote sooner than min + (answer tokens / rate) after the voter's
    previous one is fast. ``daily_cap``: votes per voter per UTC day. ``fdr``: false discovery rate of
    the voter tests and campaign scan; ``min_votes``: voters with fewer votes are not tested by the per-voter
    tests (the campaign scan pools voters of any size). ``campaign_eps``: the share of a campaign voter's
    template votes assumed to go astray; ``campaign_suspect``: the posterior from which a voter not flagged
    is marked ``campaign_suspect`` (informational; the robust board down-weights every vote by its posterior).
    """

    exclude: tuple[str, ...] = DEFAULT_EXCLUDE_FLAGS
    cap_quantile: float = 0.999
    cap: int = 25
    near_threshold: float = 0.9
    duplicate_window: float = 3600.0
    fast_min_seconds: float = 3.0
    read_tokens_per_second: float = 50.0
    daily_cap: int = 50
    fdr: float = 0.01
    min_votes: int = 10
    evalue_eps: float = 0.05
    campaign_eps: float = 0.1
    campaign_suspect: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        bad = [f for f in self.exclude if f not in ALL_FLAGS]
        _check(not bad, "dedup", "exclude", f"has unknown flag {bad[:1]} (known: {', '.join(ALL_FLAGS)})")
        _check(0 < self.cap_quantile < 1, "dedup", "cap_quantile", "must be between 0 and 1")
        _check(self.cap >= 0, "dedup", "cap", "must be >= 0")
        _check(0 < self.near_threshold <= 1, "dedup", "near_threshold", "must be in (0, 1]")
        _check(self.duplicate_window >= 0, "dedup", "duplicate_window", "must be >= 0")
        _check(self.daily_cap >= 1, "dedup", "daily_cap", "must be >= 1")
        _check(0 < self.fdr < 1, "dedup", "fdr", "must be between 0 and 1")
        _check(self.min_votes >= 1, "dedup", "min_votes", "must be >= 1")
        _check(0 < self.evalue_eps < 0.5, "dedup", "evalue_eps", "must be in (0, 0.5)")
        _check(0 < self.campaign_eps < 0.5, "dedup", "campaign_eps", "must be in (0, 0.5)")
        _check(0 < self.campaign_suspect <= 1, "dedup", "campaign_suspect", "must be in (0, 1]")


@dataclasses.dataclass(frozen=True)
class CategoriesSettings:
    """The optional LLM judge of ``arenavotes categorize --judge``: an OpenAI-compatible endpoint
    (``judge_url`` such as http://localhost:8000/v1), the model name, and the *name* of the
    environment variable that holds the API key (the key itself never goes in a file)."""

    judge_url: str = ""
    judge_model: str = ""
    judge_key_env: str = "OPENAI_API_KEY"
    judge_workers: int = 4

    def __post_init__(self) -> None:
        _check(self.judge_workers >= 1, "categories", "judge_workers", "must be >= 1")
        _check(
            self.judge_url == "" or self.judge_url.startswith(("http://", "https://")),
            "categories",
            "judge_url",
            "must start with http:// or https://",
        )


@dataclasses.dataclass(frozen=True)
class PiiSettings:
    """PII scrubbing and the release gate. ``threshold``: scrubbing replaces findings at or above it
    (patterns score 0.5-1.0; names and places 0.85, one-word ones 0.6). ``gate_threshold``: the release
    gate fails on findings at or above it. ``ner``: also find names and places with spaCy."""

    threshold: float = 0.5
    gate_threshold: float = 0.7
    ner: bool = True
    workers: int = 0

    def __post_init__(self) -> None:
        _check(0 <= self.threshold <= 1, "pii", "threshold", "must be between 0 and 1")
        _check(0 <= self.gate_threshold <= 1, "pii", "gate_threshold", "must be between 0 and 1")
        _check(self.workers >= 0, "pii", "workers", "must be >= 0")


@dataclasses.dataclass(frozen=True)
class Settings:
    """All settings of a workspace, one attribute per section of ``arenavotes.toml``."""

    ingest: IngestSettings = dataclasses.field(default_factory=IngestSettings)
    privacy: PrivacySettings = dataclasses.field(default_factory=PrivacySettings)
    ratings: RatingsSettings = dataclasses.field(default_factory=RatingsSettings)
    dedup: DedupSettings = dataclasses.field(default_factory=DedupSettings)
    categories: CategoriesSettings = dataclasses.field(default_factory=CategoriesSettings)
    pii: PiiSettings = dataclasses.field(default_factory=PiiSettings)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], origin: str = "arenavotes.toml") -> Settings:
        """Build settings from parsed TOML, rejecting unknown sections/keys and wrong types."""
        sections = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(sections))
        if unknown:
            raise UserError(
                f"{origin}: unknown section [{unknown[0]}]",
                hint=f"known sections: {', '.join(sorted(sections))}",
            )
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if not isinstance(value, Mapping):
                raise UserError(f"{origin}: [{name}] must be a table of settings")
            kwargs[name] = _build_section(hints[name], name, value, origin)
        try:
            return cls(**kwargs)
        except _InvalidSetting as exc:
            raise UserError(f"{origin}: {exc}") from None

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read ``path`` (TOML); a missing file means all defaults."""
        if not path.exists():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: not valid TOML: {exc}", hint="fix the file or delete it") from None
        return cls.from_mapping(data, origin=str(path))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def section_hash(self, *names: str) -> str:
        """A short, stable hash of the named sections (all when none), for the ``runs`` table."""
        full = self.to_dict()
        chosen = {n: full[n] for n in (names or tuple(full))}
        blob = json.dumps(chosen, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def default_toml() -> str:
    """The commented ``arenavotes.toml`` that ``arenavotes init`` writes."""
    lines = ["# arenavotes workspace settings. Every key is optional; shown values are the defaults.", ""]
    for section in dataclasses.fields(Settings):
        default = section.default_factory()  # type: ignore[operator]
        lines.append(f"[{section.name}]")
        for f in dataclasses.fields(default):
            lines.append(f"# {f.name} = {_toml_value(getattr(default, f.name))}")
        lines.append("")
    return "\n".join(lines)


class _InvalidSetting(ValueError):
    pass


def _check(ok: bool, section: str, key: str, why: str) -> None:
    if not ok:
        raise _InvalidSetting(f"[{section}] {key} {why}")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return str(v)


def _build_section(section_cls: Any, name: str, values: Mapping[str, Any], origin: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(section_cls)}
    hints = typing.get_type_hints(section_cls)
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            raise UserError(
                f"{origin}: unknown key '{key}' in [{name}]",
                hint=f"known keys: {', '.join(sorted(fields))}",
            )
        kwargs[key] = _coerce(hints[key], value, f"{origin}: [{name}] {key}")
    try:
        return section_cls(**kwargs)
    except _InvalidSetting as exc:
        raise UserError(f"{origin}: {exc}") from None


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            raise UserError(f"{where} must be {one_of(tuple(map(str, allowed)))} (got {value!r})")
        return value
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(args[0], value, where)
    if origin is tuple:
        (item,) = typing.get_args(tp)[:1]
        if not isinstance(value, list):
            raise UserError(f"{where} must be a list (got {value!r})")
        return tuple(_coerce(item, v, where) for v in value)
    if tp is bool:
        if not isinstance(value, bool):
            raise UserError(f"{where} must be true or false (got {value!r})")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"{where} must be an integer (got {value!r})")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserError(f"{where} must be a number (got {value!r})")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise UserError(f"{where} must be a string (got {value!r})")
        return value
    raise TypeError(f"unsupported setting type {tp!r}")  # a programming error, not a user's
