"""The parameters that decide a leaderboard: :class:`RatingParams`, built from ``[ratings]`` settings in one
place (:meth:`RatingParams.from_settings`) and recorded with every board.

>>> RatingParams(ties="davidson", cluster_by="judge").cluster_by   # the voter's old name is still read
'voter'
>>> RatingParams(ci="bootstrap", rounds=5)
Traceback (most recent call last):
...
arenavotes.errors.UserError: bootstrap needs at least 10 rounds, got 5
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from arenavotes.errors import UserError
from arenavotes.vocab import (
    BOTHBAD_POLICIES,
    CI_METHODS,
    CLUSTER_UNITS,
    COMPAT_MODES,
    TIE_POLICIES,
    BothBadPolicy,
    ClusterUnit,
    CompatMode,
    IntervalMethod,
    TiePolicy,
    cluster_unit,
    one_of,
)


@dataclasses.dataclass(frozen=True)
class RatingParams:
    """Everything that decides a leaderboard (recorded with it, hashed into ``runs``)."""

    ties: TiePolicy = "half"
    bothbad: BothBadPolicy = "tie"
    ci: IntervalMethod = "sandwich"
    rounds: int = 1000
    cluster_by: ClusterUnit = "voter"  # for ci="cluster"
    alpha: float = 0.05
    simultaneous: bool = False  # Bonferroni (sandwich) / max-t (bootstrap) intervals
    anchor: str | None = None  # model pinned to anchor_rating; else mean rating = 1000
    anchor_rating: float = 1000.0
    reg: float = 0.0  # L2 ridge on natural-scale strengths (0 = exact MLE)
    seed: int = 0
    workers: int = 0  # bootstrap processes (0 = all cores); results do not depend on it
    compat: CompatMode | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "cluster_by", cluster_unit(self.cluster_by))  # the old name "judge"
        if self.ties not in TIE_POLICIES:
            raise UserError(f"unknown tie policy '{self.ties}'", hint=one_of(TIE_POLICIES))
        if self.bothbad not in BOTHBAD_POLICIES:
            raise UserError(f"unknown both-bad policy '{self.bothbad}'", hint=one_of(BOTHBAD_POLICIES))
        if self.ci not in CI_METHODS:
            raise UserError(f"unknown interval method '{self.ci}'", hint=one_of(CI_METHODS))
        if self.cluster_by not in CLUSTER_UNITS:
            raise UserError(f"unknown cluster '{self.cluster_by}'", hint=one_of(CLUSTER_UNITS))
        if self.compat is not None and self.compat not in COMPAT_MODES:
            raise UserError(f"unknown compatibility mode '{self.compat}'", hint=one_of(COMPAT_MODES))
        if not 0 < self.alpha < 1:
            raise UserError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.rounds < 10 and self.ci in ("bootstrap", "cluster"):
            raise UserError(f"bootstrap needs at least 10 rounds, got {self.rounds}")
        if self.reg < 0:
            raise UserError(f"the ridge must be >= 0, got {self.reg}")

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> RatingParams:
        """The parameters of ``[ratings]`` (a :class:`arenavotes.config.RatingsSettings`), with ``overrides``
        (keys of this class; ``None`` values are ignored) on top: the one place settings become parameters."""
        base = {
            "ties": settings.ties,
            "bothbad": settings.bothbad,
            "ci": settings.ci,
            "rounds": settings.rounds,
            "cluster_by": settings.cluster_by,
            "alpha": settings.alpha,
            "seed": settings.seed,
        }
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    def digest(self) -> str:
        """A short stable hash of the parameters (the ``settings_hash`` of a ``rate`` run)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]
