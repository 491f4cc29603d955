"""Label prompts on a Ray cluster with Ray Data (``categorize --engine ray``), over parquet shards.

The categorize stage exports its batches of battles as parquet shards of one row per battle
(:func:`battle_rows`: the prompt features, the battle's messages and its first answers); Ray Data actors load
the labelers once and label each block (:class:`_LabelBatch`); the label rows come back as parquet and are
inserted into ``prompt_labels``. Labels depend on each battle alone (:func:`arenavotes.categories.label`), so
they are those of the local engine whatever the sharding (``tests/test_ray_engine.py``).

>>> import polars as pl
>>> p = pl.DataFrame({"battle_id": ["b1"], "prompt": ["hi"], "first_user": ["hi"], "user_turns": [1],
...                   "user_tokens": [1]})
>>> m = pl.DataFrame({"battle_id": ["b1", "b1"], "content": ["hi", "hello"]})
>>> a = pl.DataFrame({"battle_id": ["b1"], "side": ["a"], "text": ["hello"]})
>>> back = frames(battle_rows(p, m, a))
>>> [f.height for f in back], back[1]["content"].to_list()
([1, 2, 1], ['hi', 'hello'])
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa

from arenavotes.raydata import map_shards

#: battles an actor labels together
BATCH_ROWS = 2048

_PROMPT_COLUMNS = ("prompt", "first_user", "user_turns", "user_tokens")


def battle_rows(prompts: pl.DataFrame, messages: pl.DataFrame, answers: pl.DataFrame) -> pa.Table:
    """The three feature frames of :func:`arenavotes.categories.store.load_features` as one row per battle:
    the prompt's columns (``has_prompt`` false for a battle with messages but no prompt), ``messages`` (a list
    of texts) and ``answers`` (a list of (side, text))."""
    msgs = messages.group_by("battle_id", maintain_order=True).agg(messages=pl.col("content"))
    ans = answers.group_by("battle_id", maintain_order=True).agg(answers=pl.struct("side", "text"))
    ids = pl.concat([prompts.select("battle_id"), msgs.select("battle_id"), ans.select("battle_id")]).unique(
        maintain_order=True
    )
    rows = (
        ids.join(prompts.with_columns(has_prompt=pl.lit(True)), on="battle_id", how="left", maintain_order="left")
        .join(msgs, on="battle_id", how="left", maintain_order="left")
        .join(ans, on="battle_id", how="left", maintain_order="left")
        .with_columns(pl.col("has_prompt").fill_null(False))
    )
    return rows.to_arrow()


def frames(rows: pa.Table) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(prompts, messages, answers) back from :func:`battle_rows`."""
    t = pl.from_arrow(rows)
    assert isinstance(t, pl.DataFrame)
    prompts = t.filter(pl.col("has_prompt")).select("battle_id", *_PROMPT_COLUMNS)
    messages = (
        t.select("battle_id", content=pl.col("messages")).explode("content").filter(pl.col("content").is_not_null())
    )
    answers = (
        t.select("battle_id", "answers").explode("answers").filter(pl.col("answers").is_not_null()).unnest("answers")
    )
    return prompts, messages, answers


class _LabelBatch:
    """A Ray Data actor: the chosen labelers (the learned one's model loaded once), then battle rows ->
    label rows (battle_id, labeler, category, value, score)."""

    def __init__(self, only: list[str]) -> None:
        from arenavotes.categories import label

        self.only = set(only)
        self.label = label

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows: pl.DataFrame = self.label(*frames(batch), only=self.only)
        return rows.to_arrow()


def label_on_ray(folder: Path, only: set[str], address: str | None = None) -> Path:
    """Label the shards of ``folder/in`` (written from :func:`battle_rows`) on Ray into ``folder/out``."""
    return map_shards(folder, _LabelBatch, (sorted(only),), address=address, batch_rows=BATCH_ROWS)
