"""Scrubbing: typed placeholders in place of PII, in parallel, with the same output for any worker count.

``scrub_texts`` analyses distinct texts in chunks on a fork-based process pool (or Ray), replaces
each finding with ``<ENTITY_TYPE>`` from right to left, and returns the new texts and the findings
(entity, recognizer, score, span) -- never the raw values. Chunks are fixed by position in the
sorted list of distinct texts, so the result does not depend on how many workers ran them.

>>> new, found = scrub_texts(["Mail bob@example.com or call +44 20 7946 0958."], workers=1, ner=False)
>>> new[0]
'Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>.'
>>> [(f.entity, f.recognizer) for f in found[0]]
[('EMAIL_ADDRESS', 'pattern/email@1'), ('PHONE_NUMBER', 'pattern/phone@1')]
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from arenavotes.pii.engine import Analyzer
from arenavotes.pii.patterns import Finding

CHUNK = 512


def placeholder(entity: str) -> str:
    return f"<{entity}>"


def replace(text: str, findings: Sequence[Finding]) -> str:
    out = text
    for f in sorted(findings, key=lambda f: f.start, reverse=True):
        out = out[:f.start] + placeholder(f.entity) + out[f.end:]
    return out


_WORKER: dict[str, Any] = {}


def _init(ner: bool, threshold: float) -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    _WORKER["analyzer"] = Analyzer(ner=ner, threshold=threshold)


def _run(chunk: list[str]) -> list[list[Finding]]:
    analyzer = _WORKER.get("analyzer") or Analyzer()
    return analyzer.analyze(chunk)


def analyze_distinct(texts: Sequence[str], *, workers: int = 0, ner: bool = True, threshold: float = 0.5,
                     engine: str = "local", ray_address: str | None = None,
                     progress: Callable[[int], None] | None = None) -> dict[str, list[Finding]]:
    """Findings for each distinct text (a dict keyed by text)."""
    distinct = sorted(set(texts))
    chunks = [distinct[i:i + CHUNK] for i in range(0, len(distinct), CHUNK)]
    results: list[list[list[Finding]]] = []
    if engine == "ray":
        results = _ray(chunks, ner, threshold, ray_address)
    else:
        workers = workers or max(1, min(os.cpu_count() or 1, 8))
        if workers == 1 or len(chunks) <= 1:
            _WORKER["analyzer"] = Analyzer(ner=ner, threshold=threshold)
            for ch in chunks:
                results.append(_run(ch))
                if progress:
                    progress(len(ch))
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"),
                                     initializer=_init, initargs=(ner, threshold)) as pool:
                for ch, res in zip(chunks, pool.map(_run, chunks), strict=True):
                    results.append(res)
                    if progress:
                        progress(len(ch))
    return {t: f for ch, res in zip(chunks, results, strict=True) for t, f in zip(ch, res, strict=True)}


def _ray(chunks: list[list[str]], ner: bool, threshold: float, address: str | None) -> list[list[list[Finding]]]:
    try:
        import ray
    except ImportError:
        from arenavotes.errors import UserError

        raise UserError("--engine ray needs Ray", hint="pip install 'arenavotes[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)

    @ray.remote
    def work(chunk: list[str]) -> list[list[Finding]]:
        return Analyzer(ner=ner, threshold=threshold).analyze(chunk)

    return list(ray.get([work.remote(ch) for ch in chunks]))


def scrub_texts(texts: Sequence[str], passes: int = 3, **kwargs: Any) -> tuple[list[str], list[list[Finding]]]:
    """Scrubbed texts and their findings, aligned with ``texts``.

    A replaced name changes the context of the words around it, so texts that changed are analysed
    again (up to ``passes`` times) until nothing new is found: what the release gate sees afterwards
    is what the scrubber saw last. Findings of later passes are reported too (with their spans in the
    text of that pass).
    """
    found = analyze_distinct(texts, **kwargs)
    current = {t: replace(t, found[t]) for t in set(texts)}
    history = {t: list(found[t]) for t in set(texts)}
    kwargs.pop("progress", None)
    for _ in range(passes - 1):
        again = sorted({v for t, v in current.items() if history[t] and v != t})
        if not again:
            break
        more = analyze_distinct(again, **kwargs)
        changed = False
        for t, v in current.items():
            extra = more.get(v, [])
            if extra:
                history[t].extend(extra)
                current[t] = replace(v, extra)
                changed = True
        if not changed:
            break
    return [current[t] for t in texts], [history[t] for t in texts]
