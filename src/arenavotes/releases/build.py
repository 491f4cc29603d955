"""Versioned, immutable, reproducible dataset releases in the Hugging Face Hub layout.

``releases/<version>/``::

    README.md                                 dataset card (YAML: license, configs, sizes, ...)
    data/<config>/train-00000-of-00001.parquet battles, conversations, leaderboard, flags, prompt_labels
    manifest.json                             versions, counts by reason, sha256 of every file, schemas
    CHANGELOG.md                              against the parent release

A build writes into ``releases/.tmp-<version>-<pid>/`` and renames it into place only after the PII
gate passed on its own files, so a killed build leaves no partial release (a stale temp folder is
removed by the next build). Nothing depends on the clock: the release date comes from the settings or
from the newest battle, and the same workspace and settings give byte-identical files. Voter ids are
re-keyed per release (``HMAC(HMAC(secret, "release:" + version), voter_id)``), so a release cannot be
joined to the workspace or to another release.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow.parquet as pq

from arenavotes import __version__
from arenavotes.db import frame
from arenavotes.errors import UserError
from arenavotes.ingest import file_sha256
from arenavotes.provenance import missing_stages, source_meta
from arenavotes.releases.card import licences_md, render_card
from arenavotes.releases.changelog import changelog
from arenavotes.releases.images import read_approved, release_images
from arenavotes.releases.integrity import write_signature
from arenavotes.summary import quality_counts

CONFIGS = ("battles", "conversations", "leaderboard", "flags", "prompt_labels", "images", "message_images")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclasses.dataclass(frozen=True)
class ReleaseSpec:
    version: str
    parent: str | None
    sources: tuple[str, ...]
    exclude_flags: tuple[str, ...]
    license: str | None = None  # default: the sources' licence(s), see card.licence_fields
    pretty_name: str = "Arena votes"
    release_date: str | None = None  # YYYY-MM-DD; default: the day of the newest battle
    seed: int = 0
    report: Path | None = None  # a report folder (arenavotes report) to ship in reports/<name>/
    allow_missing: tuple[str, ...] = ()  # stages a source may lack (said on the card), see arenavotes.provenance
    images: Path | None = None  # the reviewed list of images to ship (releases.images); None: no images


def release_dir(workspace: Path) -> Path:
    return workspace / "releases"


def _check_version(version: str) -> None:
    if not VERSION_RE.match(version):
        raise UserError(
            f"release version '{version}' is not a valid name",
            hint="letters, digits, '.', '_' and '-' only, e.g. v1 or 2024.06",
        )


def _rekey(key: bytes, values: pl.Series) -> pl.Series:
    distinct = [v for v in values.unique().to_list() if v is not None]
    mapped = {v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:32] for v in distinct}
    return values.replace_strict(mapped, default=None, return_dtype=pl.String)


#: ``screen(texts) -> {text: findings}`` for the texts the PII gate would refuse (see pii.verdicts.screen)
Screen = Callable[[list[str]], dict[str, list[Any]]]


def collect(
    con: duckdb.DuckDBPyConnection, spec: ReleaseSpec, secret: bytes, screen: Screen | None = None
) -> tuple[dict[str, pl.DataFrame], dict[str, Any], list[str]]:
    """The release's tables (sorted, deterministic), the counts the manifest reports, and the battles whose
    texts are withheld (for the caller's private record; never in the release).

    ``screen`` is the PII gate applied to the conversation texts before anything is written: the texts of a
    battle the gate still doubts are withheld from this release (its vote stays; counted in the manifest and
    said on the card; the texts stay in the workspace), so that the gate on the finished files finds nothing.
    """
    src = list(spec.sources)
    missing = missing_stages(con, src)
    refused = {s: [st for st in stages if st not in spec.allow_missing] for s, stages in missing.items()}
    refused = {s: st for s, st in refused.items() if st}
    if refused:
        first = next(iter(refused))
        raise UserError(
            f"source '{first}' has not been through {', '.join(refused[first])} since it was ingested"
            + (f" (and {len(refused) - 1} more source(s) lack stages)" if len(refused) > 1 else ""),
            hint=f"run 'arenavotes {refused[first][0]} -w WS', or release anyway with "
            f"--allow-missing {','.join(sorted({x for v in refused.values() for x in v}))} "
            "(the card will say so)",
        )
    excluded = frame(
        con,
        """
        SELECT DISTINCT f.battle_id FROM flags f JOIN battles b USING (battle_id)
        WHERE b.source IN (SELECT unnest(?)) AND f.flag IN (SELECT unnest(?))""",
        [src, list(spec.exclude_flags)],
    )
    unscrubbed = con.sql(
        """SELECT count(DISTINCT c.battle_id) FROM conversations c JOIN battles b USING (battle_id)
                            WHERE b.source IN (SELECT unnest(?)) AND c.battle_id NOT IN (SELECT battle_id FROM scrubbed)""",
        params=[src],
    ).fetchall()[0][0]
    if unscrubbed:
        raise UserError(
            f"{unscrubbed:,} battles with text are not scrubbed yet",
            hint="run 'arenavotes scrub' before releasing: releases carry scrubbed text only",
        )
    keep = "b.source IN (SELECT unnest(?)) AND b.battle_id NOT IN (SELECT unnest(?))"
    args = [src, excluded["battle_id"].to_list()]
    battles = frame(con, f"SELECT * FROM battles b WHERE {keep} ORDER BY battle_id", args)
    if battles.height == 0:
        raise UserError("no battles to release", hint="check --source and the exclusion policy")
    release_key = hmac.new(secret, f"release:{spec.version}".encode(), hashlib.sha256).digest()
    battles = battles.with_columns(voter_id=_rekey(release_key, battles["voter_id"]))
    conversations = frame(
        con,
        f"""SELECT c.* FROM conversations c JOIN battles b USING (battle_id) WHERE {keep}
                                  ORDER BY c.battle_id, c.side, c.msg""",
        args,
    )
    labels = frame(
        con,
        f"""SELECT l.* FROM prompt_labels l JOIN battles b USING (battle_id) WHERE {keep}
                           ORDER BY l.battle_id, l.labeler, l.category""",
        args,
    )
    flags = frame(
        con,
        """SELECT f.battle_id, f.flag, f.detector, f.score, f.reason,
                                 f.flag IN (SELECT unnest(?)) AS excluded
                          FROM flags f JOIN battles b USING (battle_id) WHERE b.source IN (SELECT unnest(?))
                          ORDER BY f.battle_id, f.flag, f.detector""",
        [list(spec.exclude_flags), src],
    )
    # only leaderboards rated on released sources alone (the rate run records its sources; older runs: the
    # source list at the start of the scope name)
    leaderboard = frame(
        con,
        """
        SELECT l.* EXCLUDE (run_id) FROM leaderboards l LEFT JOIN runs r USING (run_id)
        WHERE list_has_all(?::VARCHAR[], coalesce(
                  CAST(json_extract(r.counts, '$.sources') AS VARCHAR[]),
                  string_split(split_part(l.scope, '|', 1), ',')))
        ORDER BY scope, labeler, category, rank, model""",
        [src],
    )
    withheld: dict[str, Any] = {"battles": 0, "by_entity": {}}
    ids: list[str] = []
    if screen is not None and conversations.height:
        found = screen(conversations["content"].drop_nulls().unique().to_list())
        if found:
            hit = conversations.filter(pl.col("content").is_in(list(found)))
            ids = sorted(set(hit["battle_id"].to_list()))
            by_entity: dict[str, int] = {}
            for text in hit["content"].unique().to_list():
                for f in found[text]:
                    by_entity[f.entity] = by_entity.get(f.entity, 0) + 1
            withheld = {"battles": len(ids), "by_entity": dict(sorted(by_entity.items()))}
            # only the texts are withheld: the votes, labels and style counts carry no text, and the released
            # leaderboards stay reproducible from the released battles
            conversations = conversations.filter(~pl.col("battle_id").is_in(ids))
    images, image_links, image_counts = release_images(
        con, conversations, read_approved(spec.images) if spec.images is not None else None
    )
    quality = {k: dict(sorted(v.iter_rows())) for k, v in quality_counts(con, src).items()}
    ingested = dict(
        con.sql(
            "SELECT source, rows_in FROM sources WHERE source IN (SELECT unnest(?)) ORDER BY 1", params=[src]
        ).fetchall()
    )
    counts = {
        "records_ingested": ingested,
        "quarantined_by_reason": quality["quarantine"],
        "flagged_by_flag": quality["flags"],
        "excluded_by_policy": {"flags": list(spec.exclude_flags), "battles": excluded.height},
        "pii_spans_removed_by_type": quality["pii"],
        "source_meta": source_meta(con, src),
        "stages_missing": {s: missing[s] for s in sorted(missing)},
        "withheld_by_pii_gate": withheld,
        "images": image_counts,
    }
    tables = {
        "battles": battles,
        "conversations": conversations,
        "leaderboard": leaderboard,
        "flags": flags,
        "prompt_labels": labels,
        "images": images,
        "message_images": image_links,
    }
    return tables, counts, ids


def _write_parquet(df: pl.DataFrame, path: Path) -> None:
    """Deterministic parquet: fixed compression, no pandas metadata, no timestamps in the file."""
    table = df.to_arrow()
    table = table.replace_schema_metadata(None)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=9,
        use_dictionary=True,
        write_statistics=True,
        data_page_size=1 << 20,
        version="2.6",
        store_schema=False,
    )


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )


def build(
    con: duckdb.DuckDBPyConnection,
    workspace: Path,
    spec: ReleaseSpec,
    secret: bytes,
    settings: dict[str, Any],
    gate: Callable[[Path], list[Any]],
    on_write: Callable[[str], None] | None = None,
    gate_version: str | None = None,
    screen: Screen | None = None,
    withheld_ids: list[str] | None = None,
    step: Callable[[str], None] | None = None,
) -> Path:
    """Build ``releases/<version>``; returns its path. ``gate`` scans a folder and returns findings.

    The manifest lists every file with its size and sha256, records that the gate passed (``pii_gate``, with
    the gate's version), and is signed with a key derived from the workspace secret (``manifest.sig``), so that
    ``publish`` can tell the exact files that passed the gate from anything added or edited later.
    """
    _check_version(spec.version)
    root = release_dir(workspace)
    final = root / spec.version
    if final.exists():
        raise UserError(
            f"release {spec.version} already exists at {final}", hint="releases are immutable: choose a new version"
        )
    if spec.parent and not (root / spec.parent / "manifest.json").exists():
        raise UserError(f"parent release {spec.parent} not found in {root}", hint="check --parent")
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(".tmp-*"):  # a build that was killed half-way
        shutil.rmtree(stale, ignore_errors=True)
    say = step or (lambda _: None)
    say("collecting tables and screening texts with the PII gate")
    tables, counts, ids = collect(con, spec, secret, screen)
    if withheld_ids is not None:
        withheld_ids.extend(ids)  # for the caller's private record; never in the release
    tmp = root / f".tmp-{spec.version}-{os.getpid()}"
    tmp.mkdir()
    try:
        files: dict[str, str] = {}
        say("writing parquet files")
        for config in CONFIGS:
            if tables[config].height == 0:
                continue  # an empty config is left out of the files and the card (loaders reject empty parquet)
            rel = f"data/{config}/train-00000-of-00001.parquet"
            _write_parquet(tables[config], tmp / rel)
            files[rel] = file_sha256(tmp / rel)
            if on_write:
                on_write(rel)
        battles = tables["battles"]
        stamped = battles.filter(pl.col("tstamp").is_not_null())
        span = (
            (
                f"{str(stamped['tstamp'].min())[:10]} to {str(stamped['tstamp'].max())[:10]}"
                + (
                    f" ({battles.height - stamped.height:,} battles without timestamps)"
                    if stamped.height < battles.height
                    else ""
                )
            )
            if stamped.height
            else None
        )
        if spec.release_date:
            date = spec.release_date
        elif stamped.height == battles.height:
            date = str(stamped["tstamp"].max())[:10]
        else:
            unstamped = sorted(set(battles.filter(pl.col("tstamp").is_null())["source"]))
            raise UserError(
                f"the release date cannot be read from the data: source(s) {', '.join(unstamped)} carry no timestamps",
                hint="pass --date YYYY-MM-DD",
            )
        languages = sorted(battles["language"].drop_nulls().unique().to_list())
        parent_manifest = json.loads((root / spec.parent / "manifest.json").read_text()) if spec.parent else None
        manifest: dict[str, Any] = {
            "version": spec.version,
            "parent": spec.parent,
            "release_date": date,
            "code_version": __version__,
            "seed": spec.seed,
            "sources": list(spec.sources),
            "rows": {c: tables[c].height for c in CONFIGS},
            "battles_by_arena": dict(
                sorted(battles.group_by("arena").len().iter_rows(), key=lambda kv: (-kv[1], str(kv[0])))
            ),
            **counts,
            "report": spec.report.resolve().name if spec.report is not None else None,
            "time_span": span,
            "settings": settings,
            "schemas": {
                c: [
                    {"name": n, "type": str(f.type)}
                    for n, f in zip(tables[c].columns, tables[c].to_arrow().schema, strict=True)
                ]
                for c in CONFIGS
            },
        }
        card = render_card(spec, manifest, languages)
        if spec.report is not None:
            card += add_report(spec.report, tmp, files)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        (tmp / "CHANGELOG.md").write_text(
            changelog(spec, tables, root / spec.parent if spec.parent else None, parent_manifest), encoding="utf-8"
        )
        (tmp / "LICENSES.md").write_text(licences_md(counts["source_meta"]), encoding="utf-8")
        for name in ("README.md", "CHANGELOG.md", "LICENSES.md"):
            files[name] = file_sha256(tmp / name)
        manifest["files"] = dict(sorted(files.items()))
        manifest["sizes"] = {rel: (tmp / rel).stat().st_size for rel in manifest["files"]}
        _write_manifest(tmp, manifest)
        say("running the PII gate on every file of the release")
        findings = gate(tmp)
        if findings:
            raise UserError(
                f"release {spec.version} refused: the PII gate found {len(findings)} finding(s) in its "
                f"files (first: {findings[0].file.replace(str(tmp) + '/', '')} {findings[0].location} "
                f"{findings[0].column} {findings[0].entity})",
                hint="run 'arenavotes scrub' (or --rescan) and build again",
            )
        if gate_version is not None:
            manifest["pii_gate"] = {"version": gate_version, "passed": True}
            _write_manifest(tmp, manifest)
        write_signature(tmp, secret)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def add_report(report: Path, tmp: Path, files: dict[str, str]) -> str:
    """Copy a report folder (report.md, figures, tables) into ``reports/<name>/`` of the release and return
    report.md as a section of the dataset card (headings one level down, figure links from the repo root)."""
    if not (report / "report.md").exists():
        raise UserError(f"{report}: not a report folder (no report.md)", hint="write one with 'arenavotes report'")
    name = report.resolve().name
    for src in sorted(
        [
            report / "report.md",
            *report.glob("figures/*.png"),
            *report.glob("figures/*.svg"),
            *report.glob("tables/*.parquet"),
        ]
    ):
        rel = f"reports/{name}/{src.relative_to(report).as_posix()}"
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, tmp / rel)
        files[rel] = file_sha256(tmp / rel)
    md = (report / "report.md").read_text(encoding="utf-8")
    md = re.sub(r"^(#+) ", r"#\1 ", md, flags=re.M).replace("](figures/", f"](reports/{name}/figures/")
    return "\n" + md


def read_manifest(path: Path) -> dict[str, Any]:
    m = path / "manifest.json"
    if not m.exists():
        raise UserError(f"{path}: not a release (no manifest.json)", hint="build one with 'arenavotes release'")
    return json.loads(m.read_text())


def verify(path: Path) -> list[str]:
    """Files whose sha256 no longer matches the manifest (an empty list: intact)."""
    manifest = read_manifest(path)
    return [
        rel
        for rel, digest in manifest["files"].items()
        if not (path / rel).exists() or file_sha256(path / rel) != digest
    ]


__all__ = ["CONFIGS", "ReleaseSpec", "build", "read_manifest", "release_dir", "verify"]
