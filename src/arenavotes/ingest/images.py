"""Images in conversations: found in the messages, stored once by content hash with their type and size,
and linked to the message that showed them -- never inline in the conversation text.

Where logs put images, and what is kept:

* typed content parts (OpenAI / Hub style): ``{"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}``,
  ``{"type": "image", "image": ...}``, Anthropic's ``{"type": "image", "source": {"type": "base64", "data": ...}}``:
  the bytes are decoded and kept (``sha256:<hex>``); a web URL is kept only as ``url:<sha256 of the URL>``
  (a signed URL can carry a token, so the URL itself is not stored);
* FastChat vision logs: a user turn ``[role, [text, [md5, ...]]]`` names images by FastChat's md5 of the
  pixels (the files live in the server's ``serve_images/``): kept as ``md5:<hex>`` without bytes;
* a record-level image column (``--map images=COLUMN``, e.g. VisionArena's ``images``): a list of images
  (bytes, base64 strings, ``{"bytes": ...}`` structs) shown with the first user message.

The bytes go to ``image_data`` (one row per image); ``images`` holds the type from the file signature,
the size and, for PNG, GIF and JPEG, the pixel dimensions. A release ships images only with
``release --include-images`` and a reviewed list ([releases.md](../../docs/releases.md)).

>>> sniff_mime(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8) + (3).to_bytes(4, "big") + (2).to_bytes(4, "big"))
('image/png', 3, 2)
>>> payload_bytes("data:image/gif;base64,R0lGODlhAQABAAAAACw=")[:6]
b'GIF89a'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

import duckdb
import pyarrow as pa

from arenavotes.db import register_arrow

#: content-part types that carry an image
IMAGE_PART_TYPES = ("image_url", "image", "input_image", "image_file")

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)
_B64 = re.compile(r"^[A-Za-z0-9+/=\s_-]+$")
_MD5 = re.compile(r"^[0-9a-f]{32}$")


def sniff_mime(data: bytes) -> tuple[str | None, int | None, int | None]:
    """(mime type, width, height) from the bytes' signature; None for what is not a known image."""
    mime = next((m for sig, m in _SIGNATURES if data.startswith(sig)), None)
    if mime is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        mime = "image/webp"
    if mime is None and data[4:12] in (b"ftypavif", b"ftypheic"):
        mime = "image/avif" if data[8:12] == b"avif" else "image/heic"
    width = height = None
    if mime == "image/png" and len(data) >= 24:
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    elif mime == "image/gif" and len(data) >= 10:
        width, height = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    elif mime == "image/jpeg":
        width, height = _jpeg_size(data)
    return mime, width, height


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None, None
        marker = data[i + 1]
        size = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
        i += 2 + size
    return None, None


def payload_bytes(value: str) -> bytes | None:
    """The bytes of a data URL or a base64 string, or None when ``value`` is neither."""
    text = value.strip()
    if text.startswith("data:"):
        head, _, body = text.partition(",")
        if ";base64" not in head:
            return None
        text = body
    if len(text) < 8 or not _B64.match(text[:200]):
        return None
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None)
    except (binascii.Error, ValueError):
        return None


_BLOB_ESCAPE = re.compile(r"\\x([0-9A-Fa-f]{2})")


def blob_text_bytes(text: str) -> bytes | None:
    """The bytes of a BLOB as DuckDB writes it as text (printable ASCII as itself, every other byte and the
    backslash as ``\\xHH``); None when ``text`` has characters a BLOB rendering cannot have.

    >>> blob_text_bytes(r"\\x89PN\\x5C") == bytes([0x89, 80, 78, 92])
    True
    """
    parts = _BLOB_ESCAPE.split(text)
    out = bytearray()
    for i, part in enumerate(parts):
        if i % 2:
            out.append(int(part, 16))
        elif part:
            if "\\" in part or any(not (32 <= ord(ch) < 127) for ch in part):
                return None
            out += part.encode("ascii")
    return bytes(out)


def _inner(part: Any) -> Any:
    """The payload a content part carries (a string, bytes-like struct or None)."""
    if not isinstance(part, dict):
        return part
    for key in ("image_url", "image", "input_image", "image_file", "source", "url", "data", "b64_json", "bytes"):
        if key in part and part[key] is not None and key != "type":
            value = part[key]
            if isinstance(value, dict):
                if "bytes" in value and value["bytes"] is not None:
                    return value["bytes"]
                for k in ("url", "data", "b64_json", "file_id", "path"):
                    if value.get(k):
                        return value[k]
                return None
            return value
    return None


def resolve(payload: Any) -> tuple[str, bytes | None]:
    """(image_id, bytes or None) for one logged image."""
    value = _inner(payload)
    if isinstance(value, list) and all(isinstance(b, int) for b in value):  # bytes as a JSON list of ints
        value = bytes(value)
    if isinstance(value, bytes):
        return "sha256:" + hashlib.sha256(value).hexdigest(), value
    if isinstance(value, str) and "\\x" in value:  # a parquet BLOB as DuckDB renders it in JSON
        blob = blob_text_bytes(value)
        if blob is not None and sniff_mime(blob)[0] is not None:
            return "sha256:" + hashlib.sha256(blob).hexdigest(), blob
    if isinstance(value, str):
        if _MD5.match(value.strip()):
            return "md5:" + value.strip(), None
        data = payload_bytes(value)
        if data is not None and sniff_mime(data)[0] is not None:
            return "sha256:" + hashlib.sha256(data).hexdigest(), data
        if value.strip().lower().startswith(("http://", "https://", "file:", "gs://", "s3://")):
            return "url:" + hashlib.sha256(value.strip().encode()).hexdigest(), None
    text = json.dumps(value, sort_keys=True, default=str)
    return "ref:" + hashlib.sha256(text.encode()).hexdigest(), None


def find_images(con: duckdb.DuckDBPyConnection, record_images: bool) -> int:
    """Build ``_img(_row, side, idx, position, payload)`` from the messages in ``_msgs`` (and the record-level
    ``j_images`` column of ``_f`` when ``record_images``); returns the number of image references (0 without
    building anything when no message can hold an image: most logs)."""
    if not record_images and not con.sql("SELECT bool_or(m IS NOT NULL) FROM _msgs").fetchall()[0][0]:
        return 0
    parts = [
        # typed content parts
        """SELECT _row, side, idx, p.i AS position, p.part::VARCHAR AS payload
           FROM (SELECT _row, side, idx, unnest(from_json(json_extract(m, '$.content'), '["JSON"]')) AS part,
                        unnest(range(1, json_array_length(json_extract(m, '$.content'))::BIGINT + 1)) AS i
                 FROM _msgs WHERE json_type(m) = 'OBJECT' AND json_type(json_extract(m, '$.content')) = 'ARRAY') p
           WHERE lower(p.part ->> '$.type') IN ('image_url', 'image', 'input_image', 'image_file')""",
        # FastChat vision: [role, [text, [md5, ...]]]
        """SELECT _row, side, idx, h.i AS position, h.hash::VARCHAR AS payload
           FROM (SELECT _row, side, idx, unnest(from_json(json_extract(m, '$[1][1]'), '["JSON"]')) AS hash,
                        unnest(range(1, json_array_length(json_extract(m, '$[1][1]'))::BIGINT + 1)) AS i
                 FROM _msgs WHERE json_type(m) = 'ARRAY' AND json_type(json_extract(m, '$[1]')) = 'ARRAY'
                       AND json_type(json_extract(m, '$[1][1]')) = 'ARRAY') h""",
    ]
    if record_images:
        parts.append(
            """SELECT f._row, first_msg.side, first_msg.idx, r.i AS position, r.img::VARCHAR AS payload
               FROM (SELECT _row, unnest(from_json(j_images, '["JSON"]')) AS img,
                            unnest(range(1, json_array_length(j_images)::BIGINT + 1)) AS i
                     FROM _f WHERE json_type(j_images) = 'ARRAY') r
               JOIN _f f USING (_row)
               JOIN (SELECT _row, side, min(idx) AS idx FROM _msgs WHERE role = 'user' GROUP BY 1, 2) first_msg
                    ON first_msg._row = r._row"""
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _img AS {' UNION ALL '.join(parts)}")
    return int(con.sql("SELECT count(*) FROM _img").fetchall()[0][0])


def write_images(con: duckdb.DuckDBPyConnection) -> int:
    """``_new_images``, ``_new_image_data`` and ``_new_message_images`` for the kept battles (after
    ``_new_conversations``); returns the number of distinct images."""
    rows = con.sql("""
        SELECT i.payload, b.battle_id, i.side, c.msg, i.position
        FROM _img i JOIN _new_battles b USING (_row)
        JOIN (SELECT _row, side, idx, row_number() OVER (PARTITION BY _row, side ORDER BY idx)::INTEGER AS msg
              FROM _msgs m) c USING (_row, side, idx)
        ORDER BY b.battle_id, i.side, c.msg, i.position
    """).fetchall()
    meta: dict[str, tuple[str | None, int | None, int | None, int | None]] = {}
    blobs: dict[str, bytes] = {}
    links: list[tuple[str, str, int, int, str]] = []
    for payload, battle_id, side, msg, position in rows:
        try:
            value = json.loads(payload)
        except ValueError:
            value = payload
        image_id, data = resolve(value)
        if image_id not in meta:
            if data is not None:
                mime, w, h = sniff_mime(data)
                meta[image_id] = (mime, len(data), w, h)
                blobs[image_id] = data
            else:
                meta[image_id] = (None, None, None, None)
        links.append((battle_id, side, int(msg), int(position), image_id))
    ids = sorted(meta)
    register_arrow(
        con,
        "_new_images",
        pa.table(
            {
                "image_id": pa.array(ids, pa.string()),
                "mime": pa.array([meta[i][0] for i in ids], pa.string()),
                "n_bytes": pa.array([meta[i][1] for i in ids], pa.int64()),
                "width": pa.array([meta[i][2] for i in ids], pa.int32()),
                "height": pa.array([meta[i][3] for i in ids], pa.int32()),
            }
        ),
    )
    blob_ids = sorted(blobs)
    register_arrow(
        con,
        "_new_image_data",
        pa.table(
            {"image_id": pa.array(blob_ids, pa.string()), "data": pa.array([blobs[i] for i in blob_ids], pa.binary())}
        ),
    )
    register_arrow(
        con,
        "_new_message_images",
        pa.table(
            {
                "battle_id": pa.array([x[0] for x in links], pa.string()),
                "side": pa.array([x[1] for x in links], pa.string()),
                "msg": pa.array([x[2] for x in links], pa.int32()),
                "position": pa.array([x[3] for x in links], pa.int32()),
                "image_id": pa.array([x[4] for x in links], pa.string()),
            }
        ),
    )
    return len(ids)
