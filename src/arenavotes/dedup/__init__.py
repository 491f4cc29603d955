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

import contextlib
import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import polars as pl

from arenavotes.config import DedupSettings
from arenavotes.db import frame, own_buffers, register_arrow, unregister_arrow
from arenavotes.dedup import campaigns, identity, keyed, prompts, surges, voters, votes
from arenavotes.dedup.flagging import (
    ALL_FLAGS,
    DEFAULT_EXCLUDE,
    FLAG_COLUMNS,
    FLAG_SCHEMA,
    BattleIds,
    append_flags,
    empty,
    prompted_table,
)
from arenavotes.dedup.tables import DuckTexts, SketchTable

__all__ = ["ALL_FLAGS", "DEFAULT_EXCLUDE", "Detection", "detect", "detect_battles", "detect_voters", "repeats"]


@dataclasses.dataclass(frozen=True)
class Detection:
    flags: pl.DataFrame
    stats: dict[str, Any]
    #: battle ids with a prompt text (set by :func:`repeats`; read by :func:`detect` for its counts)
    prompted: pl.Series | None = None
    #: where :func:`repeats` ``into`` left its flags instead of ``flags``: a temporary table of the stage's
    #: connection, with ``prompted_table(table)`` (the battle ids with a prompt text)
    table: str | None = None


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


def _frames(data: pl.DataFrame | Iterable[pl.DataFrame]) -> Iterable[pl.DataFrame]:
    return [data] if isinstance(data, pl.DataFrame) else data


def repeats(
    battles: pl.DataFrame | str,
    prompt_text: pl.DataFrame | Iterable[pl.DataFrame],
    settings: DedupSettings,
    con: duckdb.DuckDBPyConnection | None = None,
    sketches: Callable[..., SketchTable] = SketchTable,
    into: str | None = None,
) -> Detection:
    """Repeated prompts (exact, capped, near) and repeated votes over the battles of every source together.

    ``battles``: battle_id, tstamp, voter_id, model_a, model_b -- a frame (missing time, voter and model columns
    are taken as null), or a query of ``con`` that gives them (the stage's: the workspace's battles, never
    loaded into Python). ``prompt_text``: battle_id, text -- one frame, or batches of it (each battle in one
    batch). Nothing per battle is held in Python: the prompt keys, the keyed battles
    (:mod:`arenavotes.dedup.keyed`), the normalised texts and their near-duplicate sketches
    (:mod:`arenavotes.dedup.tables`) wait in temporary tables of ``con`` (default: an in-memory database of its
    own), and only flagged battles come back. ``sketches`` makes the holder of the sketches from (con, threshold,
    seed=...): :class:`~arenavotes.dedup.tables.SketchTable`, or one that computes them elsewhere
    (:class:`arenavotes.dedup.ray_engine.RaySketches`).

    ``into`` (with ``con``): the flags go into that temporary table of ``con`` as each detector finishes, and the
    battle ids with a prompt into :func:`~arenavotes.dedup.flagging.prompted_table` of it, instead of coming back as frames (the stage: at 2M
    conversations ~1M repeat flags were 0.14 GB a copy in Polars, held through the near-duplicate check and the
    voter tests); the caller drops both tables.
    """
    if into is not None and (con is None or not into.isidentifier()):
        raise ValueError("into names a temporary table of the caller's connection")
    with contextlib.ExitStack() as stack:
        if con is None:
            con = stack.enter_context(duckdb.connect())
        if isinstance(battles, pl.DataFrame):
            battles = _battles_table(con, battles)
            stack.callback(unregister_arrow, con, "_dedup_battles")
        stack.enter_context(keyed.key_table(con))
        texts = stack.enter_context(DuckTexts(con))
        sketched = stack.enter_context(sketches(con, settings.near_threshold, seed=settings.seed + 1))
        return _repeats(con, battles, prompt_text, settings, texts, sketched, into)


def _battles_table(con: duckdb.DuckDBPyConnection, battles: pl.DataFrame) -> str:
    """``battles`` as the temporary table ``_dedup_battles`` of the columns :func:`repeats` reads; its query."""
    b = _with_optional(battles)
    models = [pl.col(c) if c in b.columns else pl.lit(None, pl.String).alias(c) for c in ("model_a", "model_b")]
    register_arrow(con, "_dedup_battles", b.select("battle_id", "tstamp", "voter_id", *models).to_arrow())
    return "SELECT * FROM _dedup_battles"


def _repeats(
    con: duckdb.DuckDBPyConnection,
    battles: str,
    prompt_text: pl.DataFrame | Iterable[pl.DataFrame],
    settings: DedupSettings,
    texts: DuckTexts,
    sketched: SketchTable,
    into: str | None = None,
) -> Detection:
    s = settings
    n, with_voter, with_time = con.execute(
        f"SELECT count(*), count(voter_id), count(tstamp) FROM ({battles})"
    ).fetchall()[0]
    stats: dict[str, Any] = {"battles": int(n)}
    for batch in _frames(prompt_text):
        kb = prompts.key_texts(batch)
        keyed.put_keys(con, kb)
        first = kb.unique("key", keep="first", maintain_order=True)
        new = first.filter(pl.col("key").is_in(texts.new(first["key"]).implode()))  # not in an earlier batch
        if new.height:
            sketched.add(new["key"], new["norm"])
            texts.put(new["key"], new["norm"])
    stats["battles_with_prompt"] = rows = keyed.keyed_table(con, battles)
    parts: list[pl.DataFrame] = []
    if into is not None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {into} ({', '.join(f'{c} {t}' for c, t in FLAG_COLUMNS)})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {prompted_table(into)} AS SELECT battle_id FROM {keyed.KEYED}")

    def found(flags: pl.DataFrame) -> None:
        if into is None:
            parts.append(flags)
        else:  # into DuckDB now, before the next detector runs
            append_flags(con, into, flags)

    if rows:
        found(keyed.exact_duplicates(con))
        capped, stats["cap"] = keyed.cap_frequent(con, quantile=s.cap_quantile, cap=s.cap, seed=s.seed)
        found(capped)
        del capped
        near_work: dict[str, int] = {}
        found(
            prompts.near_duplicates(
                keyed.KEYED,
                threshold=s.near_threshold,
                seed=s.seed + 1,
                sketches=sketched,
                texts=texts,
                work=near_work,
            )
        )
        stats["near_duplicate_check"] = near_work
        if with_voter and with_time:
            found(keyed.duplicate_votes(con, window=s.duplicate_window))
    if into is not None:
        return Detection(empty(), stats, None, into)
    flags = pl.concat([p for p in parts if p.height] or [empty()]).select(list(FLAG_SCHEMA))
    prompted = frame(con, f"SELECT battle_id FROM {keyed.KEYED}")["battle_id"]
    return Detection(own_buffers(flags), stats, prompted)


def detect(
    battles: pl.DataFrame,
    prompt_text: pl.DataFrame | None,
    answers: pl.DataFrame | Iterable[pl.DataFrame],
    settings: DedupSettings,
    repeated: Detection | None = None,
) -> Detection:
    """All detectors over one source. ``prompt_text``: battle_id, text (user turns; None: the battles
    ``repeated`` found a prompt for); ``answers``: battle_id, side, text (assistant turns of that side), one
    frame or batches of it. ``repeated``: :func:`repeats` over every source of the workspace (its flags on these
    battles are used); without it, repeats within this source.

    The stage runs the same three steps itself, so that the battles frame can go before the voter tests:
    :func:`detect_battles`, :func:`arenavotes.dedup.voters.prepare`, :func:`detect_voters`."""
    found = detect_battles(battles, prompt_text, answers, settings, repeated)
    votes = voters.prepare(battles) if found.stats["voter_checks"] else None
    return detect_voters(votes, settings, found)


def detect_battles(
    battles: pl.DataFrame,
    prompt_text: pl.DataFrame | None,
    answers: pl.DataFrame | Iterable[pl.DataFrame],
    settings: DedupSettings,
    repeated: Detection | None = None,
    battle_ids: BattleIds | None = None,
) -> Detection:
    """The detectors of :func:`detect` that read the battles themselves: repeats, fast and daily-cap votes,
    surges and identity leaks (unsorted flags, and stats).

    ``battle_ids`` (rows of ``battles`` -> their ids, :func:`arenavotes.dedup.store.battle_id_lookup`): for
    battles without a ``battle_id`` column, as the stage loads them. Then ``repeated`` must have left its flags in
    a table (``into``), ``prompt_text`` is None and the answers carry each side's ``model``
    (:func:`arenavotes.dedup.store.answer_batches` ``models``): nothing here joins on ids."""
    s = settings
    if "battle_id" not in battles.columns and (
        battle_ids is None or prompt_text is not None or repeated is None or repeated.table is None
    ):
        raise ValueError("battles without ids need battle_ids, repeats in a table and no prompt_text")
    battles = _with_optional(battles)
    parts: list[pl.DataFrame] = []
    stats: dict[str, Any] = {"battles": battles.height}
    if repeated is None:
        if prompt_text is None:
            raise ValueError("detect needs prompt_text or repeated")
        repeated = repeats(battles, prompt_text, s)
    if repeated.table is None:
        parts.append(repeated.flags.filter(pl.col("battle_id").is_in(battles["battle_id"].implode())))
    if prompt_text is not None:
        with_text = prompt_text.filter(pl.col("text").str.strip_chars() != "")["battle_id"]
        stats["battles_with_prompt"] = int(battles["battle_id"].is_in(with_text.implode()).sum())
    elif repeated.prompted is not None:
        stats["battles_with_prompt"] = int(battles["battle_id"].is_in(repeated.prompted.implode()).sum())
    else:  # repeats() ``into`` a table: its flags and counts are the caller's to add (the stage does, in SQL)
        stats["battles_with_prompt"] = None
    # the battles compared for repeats: of every source (the stage passes only those with a prompt)
    stats["repeats_over_battles"] = repeated.stats["battles"]
    for shared in ("cap", "near_duplicate_check"):  # over every source of the workspace, like the repeats
        if shared in repeated.stats:
            stats[shared] = repeated.stats[shared]
    has_voters = "voter_id" in battles.columns and battles["voter_id"].null_count() < battles.height
    has_time = "tstamp" in battles.columns and battles["tstamp"].null_count() < battles.height
    stats["voter_checks"] = bool(has_voters)
    stats["time_checks"] = bool(has_voters and has_time)
    stats["surge_checks"] = bool(has_time)
    if has_voters and has_time:
        parts.append(
            votes.fast_votes(
                battles,
                min_seconds=s.fast_min_seconds,
                read_tokens_per_second=s.read_tokens_per_second,
                battle_ids=battle_ids,
            )
        )
        parts.append(votes.daily_cap(battles, cap=s.daily_cap, battle_ids=battle_ids))
    if has_time:
        surge_flags, stats["surges"] = surges.surges(battles, fdr=s.fdr, battle_ids=battle_ids)
        parts.append(surge_flags)
    with_ids = battles if "battle_id" in battles.columns else None
    parts += [own_buffers(identity.identity_leaks(with_ids, a)) for a in _frames(answers) if a.height]
    flags = pl.concat([p for p in parts if p.height] or [empty()]).select(list(FLAG_SCHEMA))
    # ids of their own: a flag's battle id cut out of the battles frame keeps that frame's whole id buffer alive
    # (5M battles: 0.13 GB held through the voter tests for 2,686 flags)
    return Detection(own_buffers(flags), stats)


def detect_voters(v: voters.Votes | None, settings: DedupSettings, found: Detection) -> Detection:
    """The voter tests and the campaign scan over ``v`` (:func:`arenavotes.dedup.voters.prepare` of the same
    battles; None: no voter ids), added to what :func:`detect_battles` ``found``; the flags sorted. ``v`` keeps
    only P(observed outcome) afterwards (:meth:`~arenavotes.dedup.voters.Votes.keep_observed_only`)."""
    s = settings
    parts = [found.flags]
    stats = dict(found.stats)
    if v is not None:
        fisher, _ = voters.fisher_test(v, fdr=s.fdr, min_votes=s.min_votes, seed=s.seed)
        evalue, _ = voters.evalue_test(v, fdr=s.fdr, min_votes=s.min_votes, eps=s.evalue_eps)
        parts += [
            fisher,
            evalue,
            voters.position_bias(v, fdr=s.fdr, min_votes=max(s.min_votes, 20)),
            voters.single_model(v, fdr=s.fdr),
        ]
        v.keep_observed_only()  # the scan reads P(observed outcome) only
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
