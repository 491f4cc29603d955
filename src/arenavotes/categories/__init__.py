"""Prompt categories offline: deterministic labelers, rule labelers, and an optional LLM judge.

:func:`label` is pure: prompt features in, ``prompt_labels`` rows out (labeler =
``offline/<labeler>@<version>``, see :func:`arenavotes.vocab.component_name`). Category names match LMArena's so boards line up with theirs:
hard_prompt, math, creative_writing, instruction_following, coding, language, multi_turn, long_query.

>>> import polars as pl
>>> p = pl.DataFrame({"battle_id": ["1"], "prompt": ["Write a poem about the sea"],
...                   "first_user": ["Write a poem about the sea"], "user_turns": [1], "user_tokens": [7]})
>>> m = pl.DataFrame({"battle_id": ["1", "1"], "content": ["Write a poem about the sea", "The sea ..."]})
>>> a = pl.DataFrame({"battle_id": ["1"], "side": ["a"], "text": ["The sea ..."]})
>>> out = label(p, m, a)
>>> out.filter(pl.col("value")).select("labeler", "category").sort("category", "labeler").rows()[:3]
[('offline/learned@6', 'creative_writing'), ('offline/rules@2', 'creative_writing'), ('offline/learned@6', 'criteria.creativity')]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from arenavotes.categories import deterministic as det
from arenavotes.categories.rules import label_rules
from arenavotes.vocab import component_name

if TYPE_CHECKING:
    from arenavotes.categories.learned import LearnedLabeler
    from arenavotes.embeddings.encoder import Encoder

#: labeler -> version; bump a version whenever what a labeler outputs changes.
LABELERS: dict[str, int] = {
    "language": 1,
    "multi_turn": 1,
    "long_query": 1,
    "code_present": 1,
    "coding": 1,
    "refusal": 1,
    "rules": 2,
    "learned": 6,
}


def _learned() -> LearnedLabeler:
    """The shipped learned labeler (imported here: its features need scipy, which start-up does not)."""
    from arenavotes.categories.learned import LearnedLabeler

    return LearnedLabeler.load()


def learned_encoders() -> list[Encoder]:
    """The encoders the shipped learned labeler reads (their names are the keys of :func:`label`'s ``vectors``),
    checked by name and digest to be those it was trained on (a mismatch raises before anything is encoded)."""
    lab = _learned()
    return [lab.shipped(name) for name in lab.encoders]


def labeler_name(name: str) -> str:
    return component_name("offline", name, LABELERS[name])


def label(
    prompts: pl.DataFrame,
    messages: pl.DataFrame,
    answers: pl.DataFrame,
    only: set[str] | None = None,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> pl.DataFrame:
    """All labelers (or ``only`` these) -> rows (battle_id, labeler, category, value, score).

    ``prompts``: battle_id, prompt (user turns joined), first_user, user_turns, user_tokens;
    ``messages``: battle_id, content (every message of both sides); ``answers``: battle_id, side, text;
    ``vectors``: the prompts' rows of the learned labeler's encoders (``name@version`` -> array, see
    :func:`learned_encoders`) that the caller has cached; the learned labeler encodes the others itself.
    """
    languages: dict[str, str] = {}  # CLD2 once per distinct text: a one-turn prompt is its own first message
    # the rule labeler's votes, which the learned head reads as features: the rules run once on a text
    read_by_rules: dict[str, pl.DataFrame] = {}

    def rules() -> pl.DataFrame:
        from arenavotes.categories.textfeatures import rule_scores

        rows = label_rules(prompts)
        read_by_rules["votes"] = rule_scores(prompts, rows)
        return rows

    runs = {
        "language": lambda: det.language(prompts, languages),
        "multi_turn": lambda: det.multi_turn(prompts),
        "long_query": lambda: det.long_query(prompts),
        "code_present": lambda: det.code_present(prompts),
        "coding": lambda: det.coding(messages, prompts, answers["battle_id"].unique()),
        "refusal": lambda: det.refusal(answers, prompts),
        "rules": rules,
        "learned": lambda: _learned().label(prompts, vectors, languages, read_by_rules.get("votes")),
    }
    parts = []
    for name, run in runs.items():
        if only is not None and name not in only:
            continue
        parts.append(run().with_columns(labeler=pl.lit(labeler_name(name))))
    if not parts:
        return pl.DataFrame(schema=det.LABEL_ROW_SCHEMA)
    return (
        pl.concat(parts)
        .select("battle_id", "labeler", "category", "value", "score")
        .sort("battle_id", "labeler", "category")
    )
