"""The learned category labeler: a linear head over the shared sentence encoder, a multilingual encoder of
its own (``learned@4``: ``e5-static``; both cached in the workspace's embedding table by the categorize stage,
encoded here when not given), hashed character n-grams and structural
counts, trained offline on public labelled prompts (``tools/train_labeler.py``; data, metrics, thresholds and
known failures in ``data/learned/MODEL_CARD.md``).

Each category is a logistic regression of its own (a prompt can be math *and* coding); ``score`` is the
probability and ``value`` is ``score >= threshold``, the threshold chosen by cross-validation and stored
with the weights. ``learned@3`` adds a head for each of LMArena's seven hard-prompt criteria
(``criteria.*``) and derives ``hard_prompt`` from them as LMArena does from its judge's (hard = 6 or more
of 7): its ``score`` is the expected number of criteria met (the sum of the seven probabilities, 0-7) and
``value`` is ``score >=`` the stored cut. ``learned@5`` (the weights of ``learned@4``) gives prompts in other
languages a cut of their own where training found a stable gain on translated arena prompts (:meth:`cuts`);
``learned@6`` (the same weights) gives the criteria and ``hard_prompt`` such cuts too, where they bring the share
marked in other languages to the share labelled (:meth:`other_language`). The labeler is versioned
(``offline/learned@<version>`` in ``prompt_labels``): new
weights are a new version and never overwrite the labels of the old one silently. Pure: the same prompt
gives the same row whatever else is in the batch.

>>> import polars as pl
>>> lab = LearnedLabeler.load()
>>> p = pl.DataFrame({"battle_id": ["1", "2", "3"],
...                   "prompt": ["Write a C++ program that simulates a bank with concurrent transfers between "
...                              "accounts, avoids deadlocks, and shows the total balance never changes.",
...                              "Tell me a bedtime story about a dragon who is afraid of the dark.",
...                              "What is the capital of Australia?"]})
>>> out = lab.label(p)
>>> sorted(out.filter(pl.col("value") & ~pl.col("category").str.starts_with("criteria."))
...        .select("battle_id", "category").rows())
[('1', 'coding'), ('1', 'hard_prompt'), ('2', 'creative_writing')]
>>> out.filter(pl.col("category") == "hard_prompt").sort("battle_id")["score"].round(0).to_list()  # of 7
[6.0, 2.0, 3.0]
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from arenavotes.categories.deterministic import LABEL_SCHEMA, detect_languages
from arenavotes.categories.textfeatures import char_ngram_product, dense

if TYPE_CHECKING:
    from arenavotes.embeddings.encoder import Encoder

#: prompts scored at a time
BATCH = 2048


def data_dir() -> Path:
    return Path(str(resources.files("arenavotes.categories") / "data" / "learned"))


class LearnedLabeler:
    """Weights of one trained head: ``label(prompts[, vectors]) -> (battle_id, category, value, score)``."""

    def __init__(self, meta: dict[str, Any], weights: dict[str, np.ndarray]) -> None:
        self.meta = meta
        self.categories: list[str] = list(meta["categories"])
        self.thresholds = np.array([meta["thresholds"][c] for c in self.categories], dtype=np.float64)
        #: the cuts for prompts in other languages (``learned@5``; the criteria's since ``learned@6``): a category's
        #: own where training found a stable gain on translated arena prompts, else its main cut; a prompt whose
        #: detected language (CLD2, as the ``language`` labeler) is not in ``main_cut_languages`` takes these
        other = meta.get("thresholds_other", {})
        self.thresholds_other = np.array([other.get(c, meta["thresholds"][c]) for c in self.categories])
        self.main_cut_languages = frozenset(meta.get("main_cut_languages", ()))
        self.bits = int(meta["bits"])
        self.w_char = weights["w_char"].astype(np.float64)
        self.w_emb = weights["w_emb"].astype(np.float64)
        self.w_struct = weights["w_struct"].astype(np.float64)
        self.bias = weights["bias"].astype(np.float64)
        #: a second, multilingual encoder's block (``second_encoder`` in the metadata), read after the shared one's
        self.w_emb2 = weights["w_emb2"].astype(np.float64) if "w_emb2" in weights else None
        #: categories computed from others: name -> (column indices summed, cut on the sum, cut for prompts in other
        #: languages: ``cut_other`` where training found one (``learned@6``), else the same cut)
        self.derived = {
            name: (
                [self.categories.index(c) for c in d["sum_of"]],
                float(d["cut"]),
                float(d.get("cut_other", d["cut"])),
            )
            for name, d in meta.get("derived", {}).items()
        }

    @property
    def version(self) -> int:
        return int(self.meta["version"])

    @property
    def encoder(self) -> str:
        return str(self.meta["encoder"])

    @property
    def second_encoder(self) -> str | None:
        """``name@version`` of the labeler's own multilingual encoder, if it has one."""
        return self.meta.get("second_encoder")

    @property
    def encoders(self) -> list[str]:
        """``name@version`` of every encoder the head reads: the keys of ``vectors`` in :meth:`probabilities`."""
        return [self.encoder] + ([] if self.second_encoder is None else [self.second_encoder])

    @classmethod
    def load(cls) -> LearnedLabeler:
        return _load()

    def probabilities(
        self, texts: list[str], vectors: Mapping[str, np.ndarray] | None = None, rules: pl.DataFrame | None = None
    ) -> np.ndarray:
        """(len(texts) x categories) probabilities. ``vectors``: the texts' rows of any of :attr:`encoders`
        (``name@version`` -> array) that the caller has (the workspace's embedding cache); the others are
        encoded here. ``rules``: the rule labeler's votes on texts it already read
        (:func:`~arenavotes.categories.textfeatures.rule_scores`), not run again."""
        given = dict(vectors or {})
        unknown = sorted(set(given) - set(self.encoders))
        if unknown:
            raise ValueError(f"vectors of {unknown}: the labeler reads {self.encoders}")
        out = np.zeros((len(texts), len(self.categories)))
        for lo in range(0, len(texts), BATCH):  # bounds the transient feature arrays; rows do not depend on it
            part = {name: rows[lo : lo + BATCH] for name, rows in given.items()}
            out[lo : lo + BATCH] = self._probabilities(texts[lo : lo + BATCH], part, rules)
        return out

    def _probabilities(
        self, texts: list[str], vectors: dict[str, np.ndarray], rules: pl.DataFrame | None = None
    ) -> np.ndarray:
        for name in self.encoders:
            if name not in vectors:
                vectors[name] = self.shipped(name).encode(texts)
        # einsum (not BLAS) for the dense blocks: each row is summed in one fixed order, so a prompt's
        # score is the same to the last bit whatever batch it comes in
        logits = (
            char_ngram_product(texts, self.w_char, self.bits)
            + np.einsum("ij,jk->ik", np.asarray(vectors[self.encoder], dtype=np.float64), self.w_emb)
            + np.einsum("ij,jk->ik", dense(texts, rules).astype(np.float64), self.w_struct)
            + self.bias
        )
        if self.w_emb2 is not None:
            second = np.asarray(vectors[str(self.second_encoder)], dtype=np.float64)
            logits += np.einsum("ij,jk->ik", second, self.w_emb2)
        return np.asarray(1.0 / (1.0 + np.exp(-logits)))

    def shipped(self, name: str) -> Encoder:
        """The shipped encoder ``name`` (``name@version``, one of :attr:`encoders`), checked to be the one the head
        was trained on: its version by name, and its vocabulary and vectors by the digest the training run
        recorded (``encoder_digests``), so an encoder rebuilt under the same name is refused, not misread."""
        return _shipped(name, self.meta.get("encoder_digests", {}).get(name))

    def cuts(self, texts: list[str], memo: dict[str, str] | None = None) -> np.ndarray:
        """(len(texts) x categories) the cut each text's score is compared with: the main cuts, or for a text
        in another language (:attr:`main_cut_languages`) the other-language cuts. Each text's own language
        decides, so the row does not depend on its batch; ``memo``: languages already detected (text ->
        name, see :func:`~arenavotes.categories.deterministic.detect_languages`), read and filled.

        >>> lab = LearnedLabeler.load()
        >>> j = lab.categories.index("creative_writing")
        >>> c = lab.cuts(["Write a poem about the sea", "Escribe un poema sobre el mar y las olas del verano"])
        >>> bool(c[0, j] == lab.thresholds[j]), bool(c[1, j] == lab.thresholds_other[j] < lab.thresholds[j])
        (True, True)
        """
        return self._cuts(self.other_language(texts, memo))

    def _cuts(self, other: np.ndarray) -> np.ndarray:
        """The rows of :meth:`cuts` for texts whose :meth:`other_language` is ``other``."""
        return np.where(other[:, None], self.thresholds_other, self.thresholds)

    def other_language(self, texts: list[str], memo: dict[str, str] | None = None) -> np.ndarray:
        """Which ``texts`` take the cuts for other languages: their detected language (CLD2 on the whole text) is
        not one of :attr:`main_cut_languages`. All False, with no language detected, when this version has no
        such cut."""
        same = np.array_equal(self.thresholds_other, self.thresholds) and all(
            cut == cut_other for _, cut, cut_other in self.derived.values()
        )
        if same or not texts:
            return np.zeros(len(texts), dtype=bool)
        names = detect_languages(texts, memo)
        return np.fromiter((names[t or ""] not in self.main_cut_languages for t in texts), dtype=bool, count=len(texts))

    def label(
        self,
        prompts: pl.DataFrame,
        vectors: Mapping[str, np.ndarray] | None = None,
        languages: dict[str, str] | None = None,
        rules: pl.DataFrame | None = None,
    ) -> pl.DataFrame:
        """Rows (battle_id, category, value, score) for ``prompts`` (battle_id, prompt); ``vectors`` and ``rules``
        as in :meth:`probabilities`, ``languages`` as ``memo`` in :meth:`cuts`."""
        texts = prompts["prompt"].fill_null("").to_list()
        probs = self.probabilities(texts, vectors, rules)
        other = self.other_language(texts, languages)
        cuts = self._cuts(other)
        scores: list[tuple[str, np.ndarray, np.ndarray]] = [
            (c, probs[:, j], cuts[:, j]) for j, c in enumerate(self.categories)
        ]
        scores += [
            (name, column_sum(probs, cols), np.where(other, cut_other, cut))
            for name, (cols, cut, cut_other) in self.derived.items()
        ]
        parts = [
            pl.DataFrame(
                {
                    "battle_id": prompts["battle_id"],
                    "category": pl.Series([c] * len(texts), dtype=pl.String),
                    "value": pl.Series(score >= cut, dtype=pl.Boolean),
                    "score": pl.Series(np.round(score, 6), dtype=pl.Float64),
                }
            )
            for c, score, cut in scores
        ]
        return pl.concat(parts).select(list(LABEL_SCHEMA)) if parts else pl.DataFrame(schema=LABEL_SCHEMA)


@functools.cache
def _shipped(name: str, digest: str | None) -> Encoder:
    from arenavotes.embeddings.encoder import Encoder

    try:
        enc = Encoder.load(name)
    except LookupError as e:
        raise RuntimeError(f"labeler was trained on {name}: {e}") from None
    if digest is not None and enc.digest != digest:
        raise RuntimeError(
            f"labeler was trained on another {name} (digest {digest[:12]}, shipped {enc.digest[:12]}): an encoder "
            "whose vectors change needs a new version, and the labeler retraining on it"
        )
    return enc


def column_sum(probs: np.ndarray, cols: list[int]) -> np.ndarray:
    """The sum of ``probs``' columns ``cols``, added one column at a time in their order: the same bits for a
    prompt whatever batch it comes in."""
    total = np.zeros(len(probs))
    for j in cols:
        total += probs[:, j]
    return total


@functools.cache
def _load() -> LearnedLabeler:
    return from_folder(data_dir())


def from_folder(folder: Path) -> LearnedLabeler:
    """The labeler whose ``labeler.json`` and ``head.npz`` are in ``folder`` (the shipped one, or a training run's)."""
    meta = json.loads((folder / "labeler.json").read_text(encoding="utf-8"))
    with np.load(folder / "head.npz") as z:
        weights = {k: z[k] for k in z.files}
    return LearnedLabeler(meta, weights)
