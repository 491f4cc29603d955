"""The offline text encoder that categories, near-duplicates and prompt-to-leaderboard share.

``minilm-static@1`` is a static distillation of all-MiniLM-L6-v2 shipped with the package (7.6 MB, see
``data/minilm-static/MODEL_CARD.md`` and ``tools/build_encoder.py``): each WordPiece token has one 256-d
vector and a text is the L2-normalised mean of its tokens' vectors (unknown tokens left out, the first
:data:`MAX_TOKENS` tokens only). No torch, no network: a tokenizer in Rust (``tokenizers``) and one numpy
gather. Every row depends on its own text alone, so embeddings do not depend on batch size or order.

Beside it ships ``e5-static@1`` (``Encoder.load("e5-static")``): the same kind of static encoder, distilled from
multilingual-e5-small (``data/e5-static/MODEL_CARD.md``, ``tools/build_multilingual_encoder.py``), that only
the learned category labeler reads, for prompts the English-first shared encoder cannot.

>>> enc = Encoder.load()
>>> v = enc.encode(["How do I reverse a list in Python?", "Write a poem about the sea", ""])
>>> v.shape, v.dtype
((3, 256), dtype('float32'))
>>> bool(v[0] @ enc.encode(["python: reverse a list"])[0] > v[0] @ v[1])
True
>>> float(abs(v[2]).sum())   # no known token: the zero vector
0.0
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

#: tokens per text (the teacher's window); longer texts are cut
MAX_TOKENS = 512
#: characters per text looked at (bounds tokenizer work on pasted megabytes; ~8 chars a token is generous)
MAX_CHARS = MAX_TOKENS * 8
#: texts tokenized at a time (bounds memory; results do not depend on it). The tokenizer's output for 4,096
#: prompts left ~0.08 GB that the process kept after the first batch; 1,024 leave ~0.03 GB, at the same speed
#: (5,800 prompts of the synthetic 2M log: 0.57 and 0.60 s a call; seventh stop of 6 December, docs/scale.md)
BATCH = 1024


def data_dir(name: str = "minilm-static") -> Path:
    return Path(str(resources.files("arenavotes.embeddings") / "data" / name))


class Encoder:
    """A static token-vector encoder: ``encode(texts) -> float32 (n, dims)``, rows unit length (or zero)."""

    def __init__(self, tokenizer: Any, vectors: np.ndarray, meta: dict[str, Any]) -> None:
        self.tokenizer = tokenizer
        self.vectors = vectors
        self.meta = meta
        self.dims = int(vectors.shape[1])
        self.unk = tokenizer.token_to_id("[UNK]")
        if tokenizer.get_vocab_size() != len(vectors):
            raise ValueError(
                f"encoder {meta.get('name')}: {tokenizer.get_vocab_size()} tokens but {len(vectors)} vectors"
            )

    @property
    def name(self) -> str:
        """``name@version``: recorded with every embedding, so a new encoder never mixes with old vectors."""
        return f"{self.meta['name']}@{self.meta['version']}"

    @functools.cached_property
    def digest(self) -> str:
        """sha256 of the vocabulary and the token vectors (:func:`content_digest`): what a model trained on this
        encoder records, so that another encoder that kept the same ``name@version`` is caught when loaded."""
        return content_digest(self.tokenizer.get_vocab(), self.vectors)

    @classmethod
    def load(cls, name: str = "minilm-static") -> Encoder:
        """The shipped encoder ``name`` (loaded once per process). ``name@version`` (what a model or a cached
        vector records) also checks the version: another version than the shipped one is an error, never
        silently the shipped vectors.

        >>> Encoder.load("e5-static@1").name
        'e5-static@1'
        >>> Encoder.load("e5-static@0")
        Traceback (most recent call last):
        ...
        LookupError: encoder e5-static@0 is not shipped (this arenavotes ships e5-static@1)
        """
        base, _, version = name.partition("@")
        enc = _load(base)
        if version and enc.name != name:
            raise LookupError(f"encoder {name} is not shipped (this arenavotes ships {enc.name})")
        return enc

    def encode(self, texts: Sequence[str | None]) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for lo in range(0, len(texts), BATCH):
            out[lo : lo + BATCH] = self._encode_batch(texts[lo : lo + BATCH])
        return out

    def _encode_batch(self, texts: Sequence[str | None]) -> np.ndarray:
        clean = [(t or "")[:MAX_CHARS] for t in texts]
        encodings = self.tokenizer.encode_batch_fast(clean, add_special_tokens=False)
        ids = [e.ids[:MAX_TOKENS] for e in encodings]
        if self.unk is not None:
            ids = [[t for t in i if t != self.unk] for i in ids]
        lengths = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter((t for i in ids for t in i), dtype=np.int64, count=int(lengths.sum()))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        # a (texts x tokens) count matrix times the token vectors: the sum of each text's vectors, row by row
        counts = csr_matrix((np.ones(len(flat), dtype=np.float32), flat, indptr), shape=(len(ids), len(self.vectors)))
        means = np.asarray(counts @ self.vectors, dtype=np.float64) / np.maximum(lengths, 1)[:, None]
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        return (means / np.where(norms > 0, norms, 1.0)).astype(np.float32)


@functools.cache
def _load(name: str) -> Encoder:
    return from_folder(data_dir(name))


def from_folder(folder: Path) -> Encoder:
    """An encoder laid out as the shipped one (encoder.json, tokenizer.json, vectors.npz): for builds and
    experiments (``tools/``); the package itself only loads what it ships, by name."""
    from tokenizers import Tokenizer

    meta = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    with np.load(folder / "vectors.npz") as z:
        vectors = z["q"].astype(np.float32) * z["scale"][:, None]
    return Encoder(tokenizer, vectors, meta)


def content_digest(vocab: dict[str, int], *arrays: np.ndarray) -> str:
    """sha256 (hex) of a vocabulary (its tokens in id order) and arrays' dtypes, shapes and bytes: the same for the
    same encoder on any platform or checkout (the files' line endings do not enter), different for other vectors.

    >>> content_digest({"a": 0}, np.zeros(2, np.int8)) == content_digest({"a": 0}, np.ones(2, np.int8))
    False
    """
    h = hashlib.sha256()
    h.update("\n".join(token for token, _ in sorted(vocab.items(), key=lambda kv: kv[1])).encode("utf-8"))
    for a in arrays:
        h.update(f"|{a.dtype.str}{a.shape}|".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()
