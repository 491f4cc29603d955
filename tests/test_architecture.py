"""The shape of the code, checked: layers import only downwards, no import cycles, and each vocabulary is
spelled out once (in :mod:`arenavotes.vocab`)."""

from __future__ import annotations

import ast
import collections
from pathlib import Path

from arenavotes import vocab

SRC = Path(__file__).resolve().parents[1] / "src" / "arenavotes"
#: Lower layers never import higher ones: foundations < domain packages < stages/SQL service < CLI.
LAYERS = {
    **dict.fromkeys(
        [
            "allocator",
            "errors",
            "vocab",
            "config",
            "db",
            "leftovers",
            "schema",
            "runs",
            "privacy",
            "pool",
            "display",
            "workspace",
            "provenance",
            "sources",
            "summary",
            "raydata",
        ],
        0,
    ),
    **dict.fromkeys(
        ["ingest", "pii", "dedup", "categories", "ratings", "reports", "releases", "sql", "embeddings", "p2l"], 1
    ),
    **dict.fromkeys(["stages", "sqlsafe", "sqlshell"], 2),
    "cli": 3,
    "__main__": 4,
}


def _modules() -> dict[str, ast.Module]:
    out = {}
    for p in SRC.rglob("*.py"):
        parts = list(p.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = ast.parse(p.read_text(encoding="utf-8"))
    return out


def _imports(tree: ast.Module, top_level_only: bool) -> set[str]:
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("arenavotes"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("arenavotes"))
    return found


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else 0


def test_layers_import_only_downwards() -> None:
    upward = sorted(
        (m, t)
        for m, tree in _modules().items()
        for t in _imports(tree, top_level_only=False)
        if _layer(m) is not None and _layer(t) is not None and _layer(t) > _layer(m)
    )  # type: ignore[operator]
    assert upward == []
    assert set(LAYERS) >= {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }


def test_no_import_cycles_between_modules() -> None:
    modules = _modules()
    graph = collections.defaultdict(set)
    for m, tree in modules.items():
        for t in _imports(tree, top_level_only=True):
            target = t if t in modules else t.rsplit(".", 1)[0]
            if target in modules and target != m:
                graph[m].add(target)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != 1, f"import cycle: {' -> '.join([*path, nxt])}"
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for m in sorted(modules):
        if m not in state:
            visit(m, [m])


def test_each_vocabulary_is_spelled_out_once() -> None:
    # (two-value vocabularies such as voter/prompt are too generic to tell a copy from a coincidence)
    vocabularies = {
        name: set(getattr(vocab, name))
        for name in (
            "TIE_POLICIES",
            "BOTHBAD_POLICIES",
            "CI_METHODS",
            "CLUSTER_UNITS",
            "COMPAT_MODES",
            "ALL_FLAGS",
            "DEFAULT_EXCLUDE_FLAGS",
            "WINNERS",
            "HARD_PROMPT_CRITERIA",
        )
    }
    copies = []
    for m, tree in _modules().items():
        if m == "arenavotes.vocab":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                values = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
                copies += [(m, name) for name, v in vocabularies.items() if len(v) >= 3 and v <= values]
    assert copies == []


def test_start_up_and_rate_import_only_what_they_use() -> None:
    """The command line loads a stage's module only when it runs it, and rating needs no scipy, spaCy,
    presidio, tiktoken or matplotlib: start-up time is most of a small ``arenavotes rate``."""
    imports = (
        "import arenavotes.cli, arenavotes.stages.rate\n"
        "from arenavotes.ratings import leaderboard, store, core, stability\n"
    )
    heavy = ("scipy", "spacy", "presidio_analyzer", "tiktoken", "matplotlib", "arenavotes.stages.scrub")
    assert _loaded(imports, (*heavy, "arenavotes.stages.dedup", "arenavotes.categories.learned")) == []


def _loaded(imports: str, heavy: tuple[str, ...]) -> list[str]:
    """The modules of ``heavy`` (a top-level package or a module's full name) that a fresh interpreter has
    loaded after running ``imports``."""
    import json
    import subprocess
    import sys

    code = (
        f"import sys\n{imports}\nheavy = {heavy!r}\n"
        "print(__import__('json').dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return list(json.loads(out))


def test_release_publish_dedup_and_sql_start_without_scipy_or_the_hub() -> None:
    """Reproducer: every ``release`` (even one refused at once), ``publish --dry-run`` and ``sql --release``
    imported scipy.stats and huggingface_hub's card module through ``dedup``'s package and the card
    builder: 1.5-1.8 s of start-up before the first check (3.0 s for a refused release, now 1.5 s). The
    detectors import scipy when they run; the card imports the Hub client when it renders."""
    imports = (
        "import arenavotes.cli, arenavotes.stages.release, arenavotes.stages.publish, arenavotes.stages.dedup\n"
        "import arenavotes.releases.build, arenavotes.sqlsafe, arenavotes.dedup\n"
    )
    assert _loaded(imports, ("scipy", "huggingface_hub", "datasets", "spacy", "presidio_analyzer", "matplotlib")) == []
