"""Style features agree exactly with LMArena's own conv_metadata values (known answers)."""

from __future__ import annotations

import gzip
import json

from conftest import TEST_DATA

from arenavotes.ingest.style import markdown_counts, remove_code_blocks, token_counts


def _answers() -> list[dict]:
    raw = gzip.decompress((TEST_DATA / "arena-hard-answers" / "answers-slice.jsonl.gz").read_bytes())
    return [json.loads(x) for x in raw.splitlines()]


def test_agreement_with_lmarena_conv_metadata() -> None:
    rows = _answers()
    assert len(rows) == 500 and len({r["model_id"] for r in rows}) == 4
    texts = [r["choices"][0]["turns"][0]["content"] for r in rows]
    md = markdown_counts(texts)
    tokens = token_counts(texts)
    for i, r in enumerate(rows):
        meta = r["conv_metadata"]
        assert tokens[i] == meta["token_len"], r["question_id"]
        assert md["headers"][i] == sum(meta["header_count"].values()), r["question_id"]
        assert md["lists"][i] == sum(meta["list_count"].values()), r["question_id"]
        assert md["bold"][i] == sum(meta["bold_count"].values()), r["question_id"]


def test_code_block_quirk_is_reproduced() -> None:
    # LMArena removes the inside of each fenced block -- and every other occurrence of that text
    text = "intro\nx\n```\nx\n```\n# Header"
    assert remove_code_blocks(text) == "intro``````\n# Header"
    assert markdown_counts([text, None]) == {"headers": [1, None], "lists": [0, None], "bold": [0, None]}


def test_special_tokens_are_plain_text() -> None:
    assert token_counts(["<|endoftext|>", None, ""]) == [7, None, 0]
