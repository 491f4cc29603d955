"""Duplicate and adversarial votes, detected and flagged -- never deleted.

:func:`repeats` runs the detectors of repeated prompts and repeated votes over *all* sources at once (a
prompt or a vote seen in another source is a repeat too); :func:`detect` runs every other detector on one
source's battles and adds the repeats that fall in it (pure: frames in, flag rows out). ``arenavotes
dedup`` replaces each source's flags in the ``flags`` table. The ratings and release stages exclude flags
by a documented policy (:data:`arenavotes.dedup.flagging.DEFAULT_EXCLUDE`, setting ``[dedup] exclude``).

>>> import polars as pl
>>> from arenavotes.config import DedupSettings
>>> b = pl.DataFrame({"battle_id": ["1", "2"], "model_a": ["x", "x"], "model_b": ["y", "y"],
...                   "winner": ["model_a", "model_b"], "voter_id": [None, None], "tstamp": [None, None]})
>>> t = pl.DataFrame({"battle_id": ["1", "2"], "text": ["Hi there", "hi  THERE"]})
>>> out = detect(b, t, pl.DataFrame(schema={"battle_id": pl.String, "side": pl.String, "text": pl.String}),
...              DedupSettings())
>>> out.flags.select("battle_id", "flag").rows()
[('2', 'duplicate_prompt')]
"""

from __future__ import annotations

import dataclasses
from typing import Any

import polars as pl

from arenavotes.config import DedupSettings
from arenavotes.dedup import campaigns, identity, prompts, surges, voters, votes
from arenavotes.dedup.flagging import ALL_FLAGS, DEFAULT_EXCLUDE, FLAG_SCHEMA, empty

__all__ = ["ALL_FLAGS", "DEFAULT_EXCLUDE", "Detection", "detect", "repeats"]


@dataclasses.dataclass(frozen=True)
class Detection:
    flags: pl.DataFrame
    stats: dict[str, Any]


def _with_optional(battles: pl.DataFrame) -> pl.DataFrame:
    optional: dict[str, pl.DataType] = {
        "tstamp": pl.Datetime("us", "UTC"),
        "voter_id": pl.String(),
        "tokens_a": pl.Int32(),
        "tokens_b": pl.Int32(),
    }
    return battles.with_columns(
        pl.lit(None, dtype).alias(c) for c, dtype in optional.items() if c not in battles.columns
    )


def repeats(battles: pl.DataFrame, prompt_text: pl.DataFrame, settings: DedupSettings) -> Detection:
    """Repeated prompts (exact, capped, near) and repeated votes over the battles of every source together."""
    s = settings
    battles = _with_optional(battles)
    parts: list[pl.DataFrame] = []
    stats: dict[str, Any] = {"battles": battles.height}
    k = prompts.keyed(battles, prompt_text)
    stats["battles_with_prompt"] = k.height
    if k.height:
        parts.append(prompts.exact_duplicates(k))
        capped, stats["cap"] = prompts.cap_frequent(k, quantile=s.cap_quantile, cap=s.cap, seed=s.seed)
        parts.append(capped)
        parts.append(prompts.near_duplicates(k, threshold=s.near_threshold, seed=s.seed + 1))
    timed = battles["voter_id"].null_count() < battles.height and battles["tstamp"].null_count() < battles.height
    if timed and k.height:
        parts.append(votes.duplicate_votes(battles, k, window=s.duplicate_window))
    flags = pl.concat([p for p in parts if p.height] or [empty()]).select(list(FLAG_SCHEMA))
    return Detection(flags, stats)


def detect(
    battles: pl.DataFrame,
    prompt_text: pl.DataFrame,
    answers: pl.DataFrame,
    settings: DedupSettings,
    repeated: Detection | None = None,
) -> Detection:
    """All detectors over one source. ``prompt_text``: battle_id, text (user turns);
    ``answers``: battle_id, side, text (assistant turns of that side). ``repeated``: :func:`repeats` over every
    source of the workspace (its flags on these battles are used); without it, repeats within this source."""
    s = settings
    battles = _with_optional(battles)
    parts: list[pl.DataFrame] = []
    stats: dict[str, Any] = {"battles": battles.height}
    if repeated is None:
        repeated = repeats(battles, prompt_text, s)
    mine = repeated.flags.filter(pl.col("battle_id").is_in(battles["battle_id"].implode()))
    parts.append(mine)
    with_text = prompt_text.filter(pl.col("text").str.strip_chars() != "")["battle_id"]
    stats["battles_with_prompt"] = int(battles["battle_id"].is_in(with_text.implode()).sum())
    stats["repeats_over_battles"] = repeated.stats["battles"]  # more than this source's: across sources
    if "cap" in repeated.stats:
        stats["cap"] = repeated.stats["cap"]
    has_voters = "voter_id" in battles.columns and battles["voter_id"].null_count() < battles.height
    has_time = "tstamp" in battles.columns and battles["tstamp"].null_count() < battles.height
    stats["voter_checks"] = bool(has_voters)
    stats["time_checks"] = bool(has_voters and has_time)
    stats["surge_checks"] = bool(has_time)
    if has_voters and has_time:
        parts.append(
            votes.fast_votes(battles, min_seconds=s.fast_min_seconds, read_tokens_per_second=s.read_tokens_per_second)
        )
        parts.append(votes.daily_cap(battles, cap=s.daily_cap))
    if has_time:
        surge_flags, stats["surges"] = surges.surges(battles, fdr=s.fdr)
        parts.append(surge_flags)
    if answers.height:
        parts.append(identity.identity_leaks(battles, answers))
    if has_voters:
        v = voters.prepare(battles)
        if v is not None:
            fisher, _ = voters.fisher_test(v, fdr=s.fdr, min_votes=s.min_votes, seed=s.seed)
            evalue, _ = voters.evalue_test(v, fdr=s.fdr, min_votes=s.min_votes, eps=s.evalue_eps)
            parts += [
                fisher,
                evalue,
                voters.position_bias(v, fdr=s.fdr, min_votes=max(s.min_votes, 20)),
                voters.single_model(v, fdr=s.fdr),
            ]
            scan = campaigns.scan_campaigns(v, fdr=s.fdr, eps=s.campaign_eps, suspect=s.campaign_suspect)
            parts.append(scan.flags)
            stats["voters"] = len(v.voters)
            stats["campaigns"] = [
                {"model": m, "pattern": t, "log10_e": round(e, 2), "voters_flagged": int(n)}
                for m, t, e, _, n in scan.classes.filter("rejected").iter_rows()
            ]
    flags = pl.concat([p for p in parts if p.height] or [empty()]).select(list(FLAG_SCHEMA))
    flags = flags.sort(["flag", "detector", "battle_id"])
    stats["flags"] = {
        f"{f}|{d}": n for f, d, n in flags.group_by("flag", "detector").len().sort("flag", "detector").iter_rows()
    }
    return Detection(flags, stats)
