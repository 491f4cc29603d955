"""Voter pseudonyms: raw voter ids and IPs never reach a table or a log.

``voter_id = HMAC-SHA256(secret, raw id)`` in hex, cut to 32 characters (128 bits). The secret comes
from ``$ARENAVOTES_SECRET`` or from ``<workspace>/.arenavotes-secret`` (32 random bytes, created
once with mode 0600). Without the secret, pseudonyms cannot be linked back to raw ids by guessing.

>>> pseudonymise(["alice", None, "alice"], b"k")
['ec631a55bb81f5b9dc96aa930a45628d', None, 'ec631a55bb81f5b9dc96aa930a45628d']
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

SECRET_FILE = ".arenavotes-secret"
PSEUDONYM_CHARS = 32


def load_secret(workspace_dir: Path, env_name: str = "ARENAVOTES_SECRET") -> bytes:
    """The workspace secret: from the environment, else from the secret file (created if missing)."""
    env = os.environ.get(env_name)
    if env:
        return env.encode("utf-8")
    path = workspace_dir / SECRET_FILE
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    workspace_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key


def pseudonym(raw: str, key: bytes) -> str:
    """The pseudonym of one raw id."""
    return hmac.new(key, raw.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_CHARS]


def hmac_sql(expr: str, chars: int = PSEUDONYM_CHARS) -> str:
    """SQL for :func:`pseudonym` of the VARCHAR ``expr`` (NULL stays NULL), computed by DuckDB: run it with
    :func:`hmac_params` as the statement's parameters. HMAC-SHA256 spelled out with DuckDB's ``sha256``,
    ``H((K ^ opad) || H((K ^ ipad) || m))``: 9x faster than Python's ``hmac`` per distinct id, on all cores,
    and no id leaves the database. The key only travels as a parameter, so it is never part of the SQL text
    an error message may quote.

    >>> import duckdb
    >>> duckdb.sql(f"SELECT {hmac_sql(repr('alice'))}", params=hmac_params(b"k")).fetchall()[0][0]
    'ec631a55bb81f5b9dc96aa930a45628d'
    """
    return f"left(sha256($hmac_opad || unhex(sha256($hmac_ipad || encode({expr})))), {int(chars)})"


def hmac_params(key: bytes) -> dict[str, bytes]:
    """The parameters of :func:`hmac_sql` for ``key``: the key padded to SHA-256's 64-byte block (hashed
    first when longer, as RFC 2104 says) and XORed with the inner and outer pads."""
    k = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return {"hmac_ipad": bytes(b ^ 0x36 for b in k), "hmac_opad": bytes(b ^ 0x5C for b in k)}


def pseudonymise(raw_ids: Iterable[str | None], key: bytes) -> list[str | None]:
    """Pseudonyms for a sequence of raw ids (``None`` stays ``None``); each distinct id is hashed once."""
    cache: dict[str, str] = {}
    out: list[str | None] = []
    for r in raw_ids:
        if r is None:
            out.append(None)
            continue
        p = cache.get(r)
        if p is None:
            p = cache[r] = pseudonym(r, key)
        out.append(p)
    return out
