"""The dataset card (README.md) of a release, built with huggingface_hub's DatasetCard.

The card is written to pass the release's own PII gate: it names no people (sources are cited by
repository and title, not by author).
"""

from __future__ import annotations

from typing import Any

from arenavotes.dedup.flagging import ALL_FLAGS

CONFIG_NOTES = {
    "battles": "one row per vote: battle_id, source, tstamp (UTC), model_a, model_b, winner (model_a, model_b, tie, "
    "tie_bothbad), voter_id (re-keyed per release), anony, language, turns, per-side style features",
    "conversations": "the scrubbed texts: battle_id, side (a, b, or prompt for prompt-only sources), msg (position in the side's conversation), turn, role, content",
    "leaderboard": "Bradley-Terry leaderboards on the Elo scale with intervals and ranks, overall and per category",
    "flags": "duplicate and adversarial vote flags (battle_id, flag, detector, score, reason, excluded)",
    "prompt_labels": "category labels (battle_id, labeler, category, value, score): the sources' own and arenavotes'",
    "images": "images a person reviewed and approved for this release (image_id = sha256 of the bytes, mime, "
    "n_bytes, width, height, data); none unless the release was built with --include-images",
    "message_images": "which message shows which image (battle_id, side, msg, position, image_id)",
}


def _size_category(n: int) -> str:
    for bound, label in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
    ):
        if n < bound:
            return label
    return "10M<n<100M"


def _images_paragraph(im: dict[str, Any]) -> str:
    """What the card says about images (nothing when the released conversations show none)."""
    if not im.get("referenced"):
        return ""
    return (
        f"\nImages: the released conversations show {im['referenced']:,} distinct images. The PII gate cannot read "
        "faces or text in images, so images ship only after a person reviewed them: "
        + (
            f"{im['shipped']:,} approved images are in `images`; {im['not_approved']:,} were not approved and "
            f"{im['without_bytes']:,} were logged without their bytes (only their ids are in `message_images`).\n"
            if im.get("shipped")
            else (
                "none of them was approved, so this release ships none.\n"
                if im.get("reviewed_list")
                else "this release ships none of them (built without `--include-images`).\n"
            )
        )
    )


def _table(d: dict[str, Any]) -> str:
    if not d:
        return "none\n"
    return "| | |\n|---|---:|\n" + "".join(f"| {k} | {v:,} |\n" for k, v in d.items())


def licence_fields(explicit: str | None, meta: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The card's licence metadata: ``explicit`` (release --license) when given; else the sources' licence when
    they all share one; else ``other`` with a name and a link to LICENSES.md, which lists each source's.

    >>> licence_fields(None, {"a": {"license": "mit"}, "b": {"license": "mit"}})
    {'license': 'mit'}
    >>> licence_fields(None, {"a": {"license": "mit"}, "b": {"license": "cc-by-4.0"}})["license"]
    'other'
    """
    if explicit:
        return {"license": explicit}
    found = {(m.get("license") or "unknown").lower() for m in meta.values()}
    if len(found) == 1 and "unknown" not in found:
        return {"license": found.pop()}
    if found == {"unknown"}:
        return {"license": "unknown"}
    return {
        "license": "other",
        "license_name": "per-source licences (" + ", ".join(sorted(found)) + ")",
        "license_link": "LICENSES.md",
    }


def _licence_lines(meta: dict[str, dict[str, Any]]) -> str:
    """One Markdown list item per source: its licence and where the licence text is."""
    return "".join(
        f"- `{source}`: {m.get('license') or 'unknown (not given at ingest)'}"
        + (f" ({m['license_url']})" if m.get("license_url") else "")
        + "\n"
        for source, m in meta.items()
    )


def licences_md(meta: dict[str, dict[str, Any]]) -> str:
    """LICENSES.md of a release: each source's licence and where its text is (the card lists the same)."""
    return (
        "# Licences of the sources\n\nEach source keeps its own licence; the release as a whole is only as "
        "open as the most restrictive.\n\n" + _licence_lines(meta)
    )


def bibtex(spec: Any, manifest: dict[str, Any]) -> str:
    """A BibTeX entry for the release itself."""
    key = "".join(ch if ch.isalnum() else "_" for ch in f"{spec.pretty_name}_{spec.version}").lower()
    year = (manifest.get("release_date") or "")[:4]
    return (
        f"@misc{{{key},\n  title = {{{spec.pretty_name}, release {spec.version}}},\n"
        f"  note = {{Arena votes cleaned and published with arenavotes {manifest['code_version']}; "
        f"sources: {', '.join(manifest['sources'])}}},\n" + (f"  year = {{{year}}},\n" if year else "") + "}"
    )


def render_card(spec: Any, manifest: dict[str, Any], languages: list[str]) -> str:
    # imported here: huggingface_hub's card module costs ~0.3 s that a refused release should not pay
    from huggingface_hub import DatasetCard, DatasetCardData

    rows = manifest["rows"]
    meta: dict[str, dict[str, Any]] = manifest.get("source_meta") or {s: {} for s in manifest["sources"]}
    present = [c for c in CONFIG_NOTES if rows.get(c)]
    lic = licence_fields(spec.license, meta)
    data = DatasetCardData(
        license=lic["license"],
        license_name=lic.get("license_name"),
        license_link=lic.get("license_link"),
        pretty_name=spec.pretty_name,
        size_categories=[_size_category(rows["battles"])],
        task_categories=["text-classification", "text-generation"],
        language=_iso(languages) or ["en"],
        tags=["arena", "pairwise-preference", "human-feedback", "leaderboard"],
        configs=[
            {
                "config_name": c,
                "data_files": [{"split": "train", "path": f"data/{c}/*.parquet"}],
                **({"default": True} if c == present[0] else {}),
            }
            for c in present
        ],
    )
    described = [f"- `{s}`: {m['description']}" for s, m in meta.items() if m.get("description")]
    missing = manifest.get("stages_missing") or {}
    s = manifest["settings"]
    body = (
        f"""
{spec.pretty_name}, release **{spec.version}**{f" (parent {spec.parent})" if spec.parent else ""}, dated
{manifest["release_date"] or "n/a"}: {rows["battles"]:,} pairwise votes between AI models (each source below says what
its models made), cleaned into one schema, with scrubbed conversation texts, vote flags, category labels and
leaderboards. Votes span {manifest.get("time_span") or "an unknown period (the sources carry no timestamps)"}. Built by arenavotes
{manifest["code_version"]} with seed {manifest["seed"]}; `manifest.json` lists every file's sha256, the schemas,
the settings and all counts below.

## Configurations

"""
        + "".join(
            f"- `{c}` ({rows[c]:,} rows): {CONFIG_NOTES[c]}"
            + ("" if rows[c] else " -- empty in this release, so it has no files")
            + "\n"
            for c in CONFIG_NOTES
        )
        + f"""
Load with `datasets.load_dataset("<this folder or repo>", "battles")`, or query with DuckDB:
`SELECT winner, count(*) FROM read_parquet('data/battles/*.parquet') GROUP BY 1`.

## Collection

Sources: {", ".join(manifest["sources"])}. Records read per source:

{_table(manifest["records_ingested"])}
Battles by arena kind (the `arena` column says what was compared; a leaderboard never mixes kinds
unless it was rated with `--mix-arenas`):

{_table(manifest.get("battles_by_arena") or {})}
"""
        + ("\n".join(described) + "\n" if described else "")
        + (
            "".join(
                f"\n**Not processed**: source `{src}` has not been through {', '.join(stages)} (released with "
                f"`--allow-missing`); its battles carry no such flags or scrubbing.\n"
                for src, stages in missing.items()
            )
        )
        + f"""
## Cleaning

Every record either became a battle or was quarantined with a reason (records = battles + quarantined).
Outcome spellings are mapped to four labels; unknown outcomes are quarantined, never turned into ties.
Quarantined by reason:

{_table(manifest["quarantined_by_reason"])}
## PII handling

Voter ids are HMAC-SHA256 pseudonyms, re-keyed for this release, so they cannot be joined to any other
release. Prompts and answers were scrubbed: pattern recognizers for e-mail addresses, phone numbers, payment
cards (Luhn), IBANs, IP addresses, US SSNs, crypto addresses, API keys and private keys, street addresses, and
a spaCy NER model (via presidio-analyzer) for names and places, replaced by typed placeholders such as
`<PERSON>`. Spans removed by type:

{_table(manifest["pii_spans_removed_by_type"])}
Battles whose scrubbed text the PII gate still doubted keep their vote here but not their text (the text
stays in the publisher's workspace): {(manifest.get("withheld_by_pii_gate") or {}).get("battles", 0):,}.
The release was refused unless a separate scan of these very files (the PII gate, threshold
{s.get("pii", {}).get("gate_threshold", "n/a")}) found nothing. Name detection covers English-language names
best; names in other scripts may remain.
{_images_paragraph(manifest.get("images") or {})}
## Duplicates, adversarial votes and the flag policy

Detectors flag (never delete) repeated prompts, duplicate and over-cap votes, identity leaks and anomalous
voters ({", ".join(ALL_FLAGS)}). Battles with a flag in the exclusion policy
({", ".join(manifest["excluded_by_policy"]["flags"]) or "none"}) are left out of `battles`,
`conversations` and `prompt_labels` ({manifest["excluded_by_policy"]["battles"]:,} battles); `flags` keeps every
flag with an `excluded` column. Flagged battles by flag:

{_table(manifest["flagged_by_flag"])}
## Known biases and limitations

Arena voters are self-selected and skew towards English-speaking, technical users; prompts are not a sample of
any population. Votes reflect preferences, including for style (length, formatting). Model names are as the
sources logged them. Automatic category labels are approximations. Scrubbing can miss PII and can replace
public names.

## Licence of the sources

Each source keeps its own licence (also in `LICENSES.md`); check them before redistribution.

"""
        + _licence_lines(meta)
        + f"""
## Citation

Cite this release (and its manifest's sha256 for the exact files):

```bibtex
{bibtex(spec, manifest)}
```
"""
        + "".join(
            f"\nSource `{src}`:\n\n```bibtex\n{m['citation'].strip()}\n```\n"
            for src, m in meta.items()
            if m.get("citation")
        )
    )
    card = DatasetCard.from_template(
        data,
        template_str="---\n{{ card_data }}\n---\n\n# {{ pretty_name }}\n{{ body }}",
        pretty_name=spec.pretty_name,
        body=body,
    )
    return str(card).rstrip() + "\n"


_ISO = {
    "English": "en",
    "Chinese": "zh",
    "Russian": "ru",
    "Spanish": "es",
    "German": "de",
    "French": "fr",
    "Japanese": "ja",
    "Portuguese": "pt",
    "Korean": "ko",
    "Italian": "it",
    "Arabic": "ar",
    "Vietnamese": "vi",
    "Polish": "pl",
    "Turkish": "tr",
    "Thai": "th",
    "Indonesian": "id",
    "Dutch": "nl",
    "Ukrainian": "uk",
    "Persian": "fa",
    "Hindi": "hi",
    "Czech": "cs",
    "Swedish": "sv",
    "Hebrew": "he",
    "Greek": "el",
}


def _iso(languages: list[str]) -> list[str]:
    return sorted({_ISO[lang] for lang in languages if lang in _ISO})
