"""Scrubbing: typed placeholders in place of PII, in parallel, with the same output for any worker count.

``scrub_texts`` analyses distinct texts in chunks on a :class:`arenavotes.pool.WorkerPool` (one for all its
passes) or on Ray, replaces each finding with ``<ENTITY_TYPE>`` from right to left, and returns the new texts
and the findings (entity, recognizer, score, span) -- never the raw values. Chunks are fixed by position in the
sorted list of distinct texts (:func:`arenavotes.pool.chunks_of`: about 32 a pass, at most :data:`CHUNK` texts
each), so the result does not depend on how many workers ran them.

>>> new, found = scrub_texts(["Mail bob@example.com or call +44 20 7946 0958."], workers=1, ner=False)
>>> new[0]
'Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>.'
>>> [(f.entity, f.recognizer) for f in found[0]]
[('EMAIL_ADDRESS', 'pattern/email@1'), ('PHONE_NUMBER', 'pattern/phone@1')]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from arenavotes.pii.engine import Analyzer
from arenavotes.pii.patterns import Finding
from arenavotes.pool import State, WorkerPool, chunks_of, cpu_workers

#: the most texts in one chunk (smaller passes are cut into ~32 chunks, so that every worker stays busy)
CHUNK = 512


def placeholder(entity: str) -> str:
    return f"<{entity}>"


def replace(text: str, findings: Sequence[Finding]) -> str:
    out = text
    for f in sorted(findings, key=lambda f: f.start, reverse=True):
        out = out[: f.start] + placeholder(f.entity) + out[f.end :]
    return out


def _init_worker(state: State) -> None:
    """Once per process: the analyzer (its NER model loads on first use)."""
    state["analyzer"] = Analyzer(ner=state["ner"], threshold=state["threshold"])


def _analyze(state: State, chunk: list[str]) -> list[list[Finding]]:
    analyzer: Analyzer = state["analyzer"]
    return analyzer.analyze(chunk)


def scrub_pool(workers: int = 0, *, ner: bool = True, threshold: float = 0.5) -> WorkerPool:
    """The worker pool :func:`analyze_distinct` runs on (``workers=0``: all cores, see
    :func:`arenavotes.pool.cpu_workers`); :func:`scrub_texts` keeps one for all its passes."""
    return WorkerPool(workers or cpu_workers(), {"ner": ner, "threshold": threshold}, _init_worker, fresh=True)


def analyze_distinct(
    texts: Sequence[str],
    *,
    workers: int = 0,
    ner: bool = True,
    threshold: float = 0.5,
    engine: str = "local",
    ray_address: str | None = None,
    progress: Callable[[int], None] | None = None,
    pool: WorkerPool | None = None,
) -> dict[str, list[Finding]]:
    """Findings for each distinct text (a dict keyed by text); ``pool`` (from :func:`scrub_pool`, with the same
    ``ner`` and ``threshold``) is used instead of a pool of ``workers``."""
    distinct = sorted(set(texts))
    chunks = chunks_of(distinct, most=CHUNK)
    results: list[list[list[Finding]]]
    if engine == "ray":
        results = _ray(chunks, ner, threshold, ray_address)
    else:

        def done(chunk: list[str]) -> None:
            if progress:
                progress(len(chunk))

        if pool is None:
            with scrub_pool(workers, ner=ner, threshold=threshold) as own:
                results = own.map(_analyze, chunks, progress=done)
        elif (pool.state.get("ner"), pool.state.get("threshold")) != (ner, threshold):
            raise ValueError("the scrub pool was made for another ner or threshold")
        else:
            results = pool.map(_analyze, chunks, progress=done)
    return {t: f for ch, res in zip(chunks, results, strict=True) for t, f in zip(ch, res, strict=True)}


#: (Ray job, address, ner, threshold) -> the actors of this process on that Ray session
_RAY_ACTORS: dict[tuple[str, str | None, bool, float], list[Any]] = {}


def _ray(chunks: list[list[str]], ner: bool, threshold: float, address: str | None) -> list[list[list[Finding]]]:
    """Analyse ``chunks`` on Ray: one actor per CPU of the cluster, each loading the analyzer (and its spaCy
    model) once and kept for every later call of this process, chunks handed out as actors free up, results
    in the order of the chunks (so the findings do not depend on the engine). A new Ray session (``ray.init``
    after ``ray.shutdown``), or another ``ner`` or ``threshold``, gets new actors in place of the old."""
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        from arenavotes.errors import UserError

        raise UserError("--engine ray needs Ray", hint="pip install 'arenavotes[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    context = ray.get_runtime_context()
    job = f"{context.get_node_id()}/{context.get_job_id()}"  # job ids restart at 1 in a new local cluster
    key = (job, address, ner, threshold)
    if key not in _RAY_ACTORS:
        # one set of actors at a time: each holds a CPU, so a second set (another ner or threshold) would wait
        # for CPUs that the first never frees. Actors of a Ray session that was shut down are gone already.
        for old_key, actors in list(_RAY_ACTORS.items()):
            if old_key[0] == job:
                for actor in actors:
                    ray.kill(actor)
            del _RAY_ACTORS[old_key]

        @ray.remote(num_cpus=1)
        class Scrubber:
            def __init__(self, ner: bool, threshold: float) -> None:
                self.analyzer = Analyzer(ner=ner, threshold=threshold)

            def analyze(self, chunk: list[str]) -> list[list[Finding]]:
                return self.analyzer.analyze(chunk)

        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        _RAY_ACTORS[key] = [Scrubber.remote(ner, threshold) for _ in range(cpus)]  # type: ignore[attr-defined]
    if not chunks:
        return []
    pool = ActorPool(_RAY_ACTORS[key])
    return list(pool.map(lambda actor, chunk: actor.analyze.remote(chunk), chunks))


def scrub_texts(texts: Sequence[str], passes: int = 3, **kwargs: Any) -> tuple[list[str], list[list[Finding]]]:
    """Scrubbed texts and their findings, aligned with ``texts``.

    A replaced name changes the context of the words around it, so texts that changed are analysed
    again (up to ``passes`` times) until nothing new is found: what the release gate sees afterwards
    is what the scrubber saw last. Findings of later passes are reported too (with their spans in the
    text of that pass).
    """
    if kwargs.get("engine", "local") == "ray" or "pool" in kwargs:
        return _scrub(texts, passes, kwargs)
    with scrub_pool(
        kwargs.get("workers", 0), ner=kwargs.get("ner", True), threshold=kwargs.get("threshold", 0.5)
    ) as pool:
        return _scrub(texts, passes, {**kwargs, "pool": pool})


def _scrub(texts: Sequence[str], passes: int, kwargs: dict[str, Any]) -> tuple[list[str], list[list[Finding]]]:
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
