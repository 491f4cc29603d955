"""Images in a release: never by default; with ``release --include-images APPROVED.txt`` only the images a
person approved after looking at them (``arenavotes images --review DIR`` writes the contact sheet and the
list to approve). The PII gate reads text, not pixels: a face, a licence plate or a screenshot of an e-mail
in an image passes it, so only a human review can clear an image.

The approved list has one image id per line; ``#`` starts a comment, so the list that ``--review`` writes
(every id commented out) approves nothing until the reviewer uncomments lines.

>>> read_approved_text("# sha256:aa\\nsha256:bb  # a cat\\n\\n")
{'sha256:bb'}
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from arenavotes.db import frame
from arenavotes.errors import UserError

IMAGE_SCHEMA = {
    "image_id": pl.String,
    "mime": pl.String,
    "n_bytes": pl.Int64,
    "width": pl.Int32,
    "height": pl.Int32,
    "data": pl.Binary,
}
LINK_SCHEMA = {"battle_id": pl.String, "side": pl.String, "msg": pl.Int32, "position": pl.Int32, "image_id": pl.String}


def read_approved_text(text: str) -> set[str]:
    return {(line.split("#", 1)[0].split() or [""])[0] for line in text.splitlines()} - {""}


def read_approved(path: Path) -> set[str]:
    try:
        return read_approved_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"{path}: cannot read the approved image list: {exc}", hint="see 'arenavotes images --review'"
        ) from None


def release_images(
    con: duckdb.DuckDBPyConnection, battles: str, approved: set[str] | None
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """The ``images`` and ``message_images`` configs for the released conversations (empty unless
    ``approved`` is given) and the manifest's image counts; ``battles`` names a table of ``con`` holding the
    ids of the battles whose conversations are released."""
    links = frame(
        con,
        f"""SELECT m.* FROM message_images m WHERE m.battle_id IN (SELECT battle_id FROM {battles})
           ORDER BY m.battle_id, m.side, m.msg, m.position""",
    )
    referenced = sorted(set(links["image_id"].to_list())) if links.height else []
    with_bytes = {
        r[0]
        for r in con.sql(
            "SELECT image_id FROM image_data WHERE image_id IN (SELECT unnest(?))", params=[referenced]
        ).fetchall()
    }
    chosen = sorted(with_bytes & approved) if approved is not None else []
    counts = {
        "referenced": len(referenced),
        "with_bytes": len(with_bytes),
        "shipped": len(chosen),
        "not_approved": len(with_bytes) - len(chosen) if approved is not None else len(with_bytes),
        "without_bytes": len(referenced) - len(with_bytes),
        "reviewed_list": approved is not None,
    }
    if not chosen:
        return pl.DataFrame(schema=IMAGE_SCHEMA), pl.DataFrame(schema=LINK_SCHEMA), counts
    images = frame(
        con,
        """SELECT i.image_id, i.mime, i.n_bytes, i.width, i.height, d.data
           FROM images i JOIN image_data d USING (image_id) WHERE i.image_id IN (SELECT unnest(?)) ORDER BY 1""",
        [chosen],
    ).cast(IMAGE_SCHEMA)  # type: ignore[arg-type]
    shipped = links.filter(pl.col("image_id").is_in(chosen)).cast(LINK_SCHEMA)  # type: ignore[arg-type]
    return images, shipped, counts


def write_review(con: duckdb.DuckDBPyConnection, sources: Sequence[str], out: Path) -> tuple[int, int]:
    """A contact sheet (``index.html``, every image with bytes, inline) and ``approved.txt`` (every id commented
    out) in ``out``; returns (images with bytes, images without bytes)."""
    rows = con.sql(
        """SELECT i.image_id, i.mime, i.n_bytes, i.width, i.height, d.data,
                  list(DISTINCT m.battle_id ORDER BY m.battle_id)[:5] AS battles
           FROM images i JOIN message_images m USING (image_id) JOIN battles b USING (battle_id)
           LEFT JOIN image_data d USING (image_id)
           WHERE b.source IN (SELECT unnest(?))
           GROUP BY ALL ORDER BY i.image_id""",
        params=[list(sources)],
    ).fetchall()
    out.mkdir(parents=True, exist_ok=True)
    cards, lines, missing = [], [], 0
    for image_id, mime, n_bytes, w, h, data, battles in rows:
        if data is None:
            missing += 1
            continue
        src = f"data:{mime or 'application/octet-stream'};base64,{base64.b64encode(data).decode()}"
        size = f"{w}x{h}, " if w and h else ""
        cards.append(
            f'<figure><img src="{src}" alt="{html.escape(image_id)}"><figcaption><code>{html.escape(image_id)}</code>'
            f"<br>{html.escape(mime or '?')}, {size}{n_bytes:,} bytes<br>battles: {html.escape(', '.join(battles))}"
            "</figcaption></figure>"
        )
        lines.append(f"# {image_id}  # {mime}, {size}{n_bytes:,} bytes; first battle {battles[0]}")
    page = (
        "<!doctype html><meta charset='utf-8'><title>arenavotes image review</title>"
        "<style>figure{display:inline-block;width:260px;margin:8px;vertical-align:top;font:12px sans-serif}"
        "img{max-width:250px;max-height:250px}</style>"
        f"<h1>{len(cards)} images to review</h1><p>Approve an image only if it shows no person's face, name, "
        "handwriting, document, screen with personal data, licence plate or location that identifies someone, "
        "and nothing you may not redistribute. Approve by removing the <code>#</code> before its line in "
        "approved.txt, then: <code>arenavotes release ... --include-images approved.txt</code>.</p>" + "".join(cards)
    )
    (out / "index.html").write_text(page, encoding="utf-8")
    header = [
        "# Images to approve for a release: remove the '#' before an image id to approve it.",
        "# Look at each one in index.html first: the PII gate cannot read faces or text in images.",
    ]
    (out / "approved.txt").write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    return len(cards), missing
