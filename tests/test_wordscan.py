"""The rules' fast word-boundary scan gives every text what its patterns as written give it, and the learned head
reusing the rule labeler's votes gives the same features as running the rules again."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from arenavotes.categories import label
from arenavotes.categories import rules as R
from arenavotes.categories.textfeatures import HEAD, TAIL, rule_scores, rule_votes
from arenavotes.categories.wordscan import as_written, ascii_boundaries, with_columns

# pieces that put keywords of the rules' patterns next to every kind of character a word boundary can see:
# ASCII letters and digits, accented and other non-ASCII letters (word characters), non-ASCII punctuation
# and symbols (not word characters), CJK, Cyrillic, marks, '+', '#', spaces and new lines
PIECES = [
    "solve", "prove", "story", "poem", "write", "sum", "c++", "c#", "python", "json", "how many", "step by step",
    "must", "don't", "eigenvalue", "f(x)", "3x + 5 = 20", "in 50 words", "1. ", "- ",
    "é", "résolve", "ñ", "ü", "ß", "的", "故事", "写", "посчитай", "стих", "ä", "\u0301", "٣", "Ⅻ",
    "“", "”", "—", "🙂", "…", "×", "π", "∑", " ", "\n", "a", "Z", "_", "0", "+", "#", ".", "-",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8))
def test_the_split_scan_equals_the_patterns_as_written(batch: list[str]) -> None:
    df = pl.DataFrame({"t": batch})
    fast = with_columns(df, "t", R._features)
    slow = df.with_columns(**R._features(as_written))
    assert fast.equals(slow), batch


def test_ascii_boundaries_would_differ_where_the_scan_keeps_the_pattern() -> None:
    # the reason texts with a non-ASCII letter keep the pattern as written: there ASCII \b differs
    df = pl.DataFrame({"t": ["résolve", "的solve", "solve"]})
    written = df.select(pl.col("t").str.contains(r"\bsolve\b"))["t"].to_list()
    ascii_ = df.select(pl.col("t").str.contains(ascii_boundaries(r"\bsolve\b")))["t"].to_list()
    assert written == [False, False, True] and ascii_ == [True, True, True]
    scanned = with_columns(df, "t", lambda rx: {"hit": pl.col("t").str.contains(rx(r"\bsolve\b"))})
    assert scanned["hit"].to_list() == written


long_texts = st.one_of(
    texts, st.none(), texts.map(lambda t: (t + " ") * (HEAD + TAIL) if t else t)
)  # some past the labeler's window


@settings(max_examples=60, deadline=None)
@given(st.lists(long_texts, min_size=1, max_size=8), st.lists(long_texts, max_size=8))
def test_rule_votes_reusing_the_rule_labeler_equal_running_the_rules(batch: list[str | None], seen: list) -> None:
    read = pl.DataFrame(
        {"battle_id": [str(i) for i in range(len(seen + batch))], "prompt": seen + batch},
        schema={"battle_id": pl.String, "prompt": pl.String},
    )
    known = rule_scores(read, R.label_rules(read))
    assert np.array_equal(rule_votes(batch, known), rule_votes(batch))


def test_label_with_rules_and_learned_equals_each_alone() -> None:
    prompts = pl.DataFrame(
        {
            "battle_id": ["1", "2", "3", "4"],
            "prompt": [
                "Solve for x: 3x + 5 = 20",
                "Write a poem about the sea in exactly 4 lines, do not use the word blue",
                "Écris une histoire sur un dragon",
                "x" * 5000 + " prove that the sum of two even numbers is even",
            ],
        }
    ).with_columns(first_user=pl.col("prompt"), user_turns=pl.lit(1), user_tokens=pl.lit(10))
    empty = pl.DataFrame(schema={"battle_id": pl.String, "content": pl.String})
    answers = pl.DataFrame(schema={"battle_id": pl.String, "side": pl.String, "text": pl.String})
    both = label(prompts, empty, answers, only={"rules", "learned"})
    alone = pl.concat([label(prompts, empty, answers, only={n}) for n in ("rules", "learned")])
    assert both.equals(alone.sort("battle_id", "labeler", "category"))
