"""Optional LLM-judge labeler for users with an OpenAI-compatible endpoint (never needed offline).

It asks LMArena's four category questions (hard-prompt criteria, instruction following, math,
creative writing) with templates that follow LMArena's published definitions and *output formats*
(a list of satisfied criteria numbers, ``<score>N</score>``, ``<decision>yes|no</decision>``), parses
the answers the way LMArena does, and caches every response by (prompt hash, template, model) so a
rerun costs nothing. Templates are versioned; the labeler is ``judge/<model>:<template>@<version>``.
Its output is the judge's opinion: it is never reported as accuracy.

>>> t = TEMPLATES["criteria"]
>>> t.parse("[1, 2, 3, 5, 6, 7]")
[('hard_prompt', True, 6.0), ('criteria.specificity', True, None), ('criteria.domain_knowledge', True, None), ('criteria.complexity', True, None), ('criteria.problem_solving', False, None), ('criteria.creativity', True, None), ('criteria.technical_accuracy', True, None), ('criteria.real_world', True, None)]
>>> TEMPLATES["if"].parse("The prompt asks for ... <score>4</score>")
[('instruction_following', True, 4.0)]
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import polars as pl

from arenavotes.categories.deterministic import LABEL_ROW_SCHEMA
from arenavotes.errors import UserError
from arenavotes.vocab import HARD_PROMPT_CRITERIA, component_name

MAX_CHARS = 12_500  # LMArena judges the user turns joined with newlines, cut at 12,500 characters

Row = tuple[str, bool, float | None]


@dataclasses.dataclass(frozen=True)
class Template:
    name: str
    version: int
    system: str
    parse: Callable[[str], list[Row]]


def _parse_criteria(text: str) -> list[Row]:
    found = set(re.findall(r"(\[\d(?:\,\s*\d)*\])", text))
    chosen: set[int] = set()
    if len(found) == 1:  # LMArena keeps the answer only when exactly one list is given
        chosen = {int(x) for x in re.findall(r"\d", found.pop())}
    rows: list[Row] = [("hard_prompt", len(chosen & set(range(1, 8))) >= 6, float(len(chosen & set(range(1, 8)))))]
    rows += [(f"criteria.{c}", (n + 1) in chosen, None) for n, c in enumerate(HARD_PROMPT_CRITERIA)]
    return rows


def _parse_score(text: str) -> list[Row]:
    m = re.findall(r"<score>\s*(\d)\s*</score>", text)
    score = float(m[0]) if len(m) == 1 else None
    return [("instruction_following", score is not None and score >= 4, score)]


def _decision(category: str) -> Callable[[str], list[Row]]:
    def parse(text: str) -> list[Row]:
        m = re.findall(r"<decision>\s*(yes|no)\s*</decision>", text, re.IGNORECASE)
        return [(category, len(m) == 1 and m[0].lower() == "yes", None)]

    return parse


TEMPLATES: dict[str, Template] = {
    "criteria": Template(
        "criteria",
        1,
        (
            "You judge how well a user prompt can test an advanced AI assistant. Check seven criteria:\n"
            "1. Specificity: the prompt asks for a specific output (code, a math solution, a logical simplification, "
            "a strategy, a setup).\n2. Domain knowledge: it covers a specific domain.\n3. Complexity: it has several "
            "steps or levels of complexity.\n4. Problem-solving: the assistant must actively solve a problem rather "
            "than recall facts.\n5. Creativity: it calls for a creative approach.\n6. Technical accuracy: the answer "
            "must be technically precise.\n7. Real-world application: it relates to a practical, real-world task.\n"
            "Reply with only the numbers of the satisfied criteria as a Python list, e.g. [1, 3, 6]; no explanation."
        ),
        _parse_criteria,
    ),
    "if": Template(
        "if",
        1,
        (
            "You judge whether a user prompt tests instruction following: specific instructions, several steps, a "
            "required format or structure, and unusual or demanding constraints. Score 0-5: 0 = does not test "
            "instruction following, 3 = simple instructions, 4 = more complex instructions, 5 = advanced, many "
            "interacting constraints. Explain briefly, then give the score as <score>N</score>."
        ),
        _parse_score,
    ),
    "math": Template(
        "math",
        1,
        (
            "Decide whether a user prompt requires solving a math problem with mathematical reasoning (a concept or "
            "formula to apply, numerical, algebraic or logical work, a well-defined problem). Explaining a concept "
            "is not a math problem. Answer <decision>yes</decision> or <decision>no</decision>."
        ),
        _decision("math"),
    ),
    "creative_writing": Template(
        "creative_writing",
        1,
        (
            "Decide whether a user prompt asks for creative writing: fiction, poetry, drama or scripts, personal or "
            "humorous pieces, songs or lyrics -- writing that expresses imagination, emotion or style beyond "
            "professional, academic or technical text. Answer <decision>yes</decision> or "
            "<decision>no</decision>."
        ),
        _decision("creative_writing"),
    ),
}


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...
    def put(self, key: str, value: str) -> None: ...


class MemoryCache:
    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def put(self, key: str, value: str) -> None:
        self.data[key] = value


@dataclasses.dataclass
class Judge:
    """An OpenAI-compatible chat-completions endpoint (``url`` is its base, e.g. http://host/v1)."""

    url: str
    model: str
    api_key: str | None
    cache: Cache
    timeout: float = 60.0
    workers: int = 4
    calls: int = 0  # requests answered (cached answers are not requests)

    def _ask(self, system: str, prompt: str) -> str:
        body = json.dumps(
            {
                "model": self.model,
                "temperature": 0.0,
                "max_tokens": 512,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.url.rstrip("/") + "/chat/completions", data=body, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise UserError(
                f"judge endpoint {self.url}: HTTP {exc.code} {exc.reason}",
                hint="check [categories] judge_url, judge_model and the API key",
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise UserError(f"judge endpoint {self.url}: {exc}", hint="is the endpoint reachable?") from None
        try:
            return str(payload["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError):
            raise UserError(
                f"judge endpoint {self.url}: not an OpenAI chat-completions response",
                hint="the endpoint must implement POST /chat/completions",
            ) from None

    def _key(self, template: Template, text: str) -> str:
        return hashlib.sha256(f"{template.name}@{template.version}\0{self.model}\0{text}".encode()).hexdigest()

    def labelers(self, templates: Iterable[str] = tuple(TEMPLATES)) -> list[str]:
        """The labeler names :meth:`label` writes rows under."""
        return [component_name("judge", f"{self.model}:{t.name}", t.version) for t in (TEMPLATES[x] for x in templates)]

    def label(self, prompts: pl.DataFrame, templates: Iterable[str] = tuple(TEMPLATES)) -> pl.DataFrame:
        """Rows (battle_id, labeler, category, value, score) for ``prompts`` (battle_id, prompt).

        The cache is read and written in the calling thread; only the HTTP requests run in parallel.
        """
        chosen = [TEMPLATES[t] for t in templates]
        jobs = [(b, p[:MAX_CHARS], t) for b, p in prompts.select("battle_id", "prompt").iter_rows() for t in chosen]
        keys = [self._key(t, text) for _, text, t in jobs]
        answers: list[str | None] = [self.cache.get(k) for k in keys]
        todo = {k: (t, text) for k, a, (_, text, t) in zip(keys, answers, jobs, strict=True) if a is None}
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            fresh = dict(zip(todo, pool.map(lambda job: self._ask(job[0].system, job[1]), todo.values()), strict=True))
        self.calls += len(fresh)  # counted here: a += in the request threads could lose an update
        for k, v in fresh.items():
            self.cache.put(k, v)
        answers = [a if a is not None else fresh[k] for k, a in zip(keys, answers, strict=True)]
        rows = [
            (b, component_name("judge", f"{self.model}:{t.name}", t.version), cat, value, score)
            for (b, _, t), text in zip(jobs, answers, strict=True)
            for cat, value, score in t.parse(str(text))
        ]
        return pl.DataFrame(
            rows,
            schema=LABEL_ROW_SCHEMA,
            orient="row",
        )
