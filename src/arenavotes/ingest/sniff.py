"""Open a possibly gzipped file: its first bytes, all its bytes, and the container they suggest.

Every read error becomes one :class:`~arenavotes.errors.UserError` naming the file, so the
per-container stagers never see a raw ``OSError``. The container is guessed before anything is
parsed: from parquet's magic bytes, then the suffix (``.gz`` ignored), then the first character.

>>> sniff_container(Path("votes.csv.gz"), b"")
'csv'
>>> sniff_container(Path("dump.json"), b' [{"a": 1}]')
'json-array'
>>> sniff_container(Path("x.bin"), b"PAR1....")
'parquet'
"""

from __future__ import annotations

import gzip
import typing
import zlib
from pathlib import Path

from arenavotes.errors import UserError


def sniff_container(path: Path, head: bytes) -> str:
    """Guess the container from magic bytes, the suffix and the first character.

    A ``.jsonl``/``.ndjson``/``.csv``/``.tsv``/``.parquet`` suffix decides (so a corrupt first line
    cannot hide the container); a ``.json`` file is a JSON array when it starts with ``[``.
    """
    if head.startswith(b"PAR1"):
        return "parquet"
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    by_suffix = {".jsonl": "json-lines", ".ndjson": "json-lines", ".csv": "csv", ".tsv": "csv", ".parquet": "parquet"}
    if last in by_suffix:
        return by_suffix[last]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json-array"
    if text.startswith(b"{") or last == ".json":
        return "json-lines"
    raise UserError(
        f"{path}: cannot tell the file's format (not JSON, JSON lines, CSV or parquet)",
        hint="pass --container json-lines|json-array|csv|parquet, or --format NAME ('arenavotes formats')",
    )


def read_head(path: Path, n: int = 4096) -> bytes:
    """The first ``n`` bytes of the file, decompressed when it is gzip."""
    try:
        with path.open("rb") as fh:
            head = fh.read(n)
        if head.startswith(b"\x1f\x8b"):
            with gzip.open(path, "rb") as gz:
                head = gz.read(n)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise unopenable(path, exc) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise UserError(f"{path}: cannot read: {exc}", hint="is the file complete?") from None
    return head


def unopenable(path: Path, exc: FileNotFoundError | IsADirectoryError | PermissionError) -> UserError:
    """The user error for a path that cannot be opened: missing, a folder, or not readable."""
    if isinstance(exc, FileNotFoundError):
        return UserError(f"{path}: no such file", hint="check the path")
    if isinstance(exc, IsADirectoryError):
        return UserError(f"{path}: is a folder, not a file", hint="name the files inside it")
    return UserError(f"{path}: permission denied", hint="make the file readable")


def read_bytes(path: Path) -> bytes:
    """The whole file, decompressed when it is gzip, without a leading UTF-8 byte-order mark."""
    try:
        data = path.read_bytes()
        if data.startswith(b"\x1f\x8b"):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise corrupt_stream(path, exc) from None
    return data.removeprefix(b"\xef\xbb\xbf")


def corrupt_stream(path: Path, exc: Exception) -> UserError:
    """The user error for a file whose (gzip) stream breaks off while it is read."""
    return UserError(
        f"{path}: cannot read: the gzip stream is corrupt or truncated ({exc})",
        hint="is the file complete? download or compress it again",
    )


def open_text_bytes(path: Path) -> typing.BinaryIO:
    """The file as a binary stream, decompressed when it is gzip (for transcoding it chunk by chunk)."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(2)  # the raw bytes: read_head would already have undone the gzip
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise unopenable(path, exc) from None
    if magic == b"\x1f\x8b":
        return typing.cast(typing.BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")
