"""The analysis notebooks are committed without outputs (``make test`` executes them with nbmake)."""

from __future__ import annotations

import json

from conftest import ROOT


def test_notebooks_are_committed_without_outputs() -> None:
    notebooks = sorted((ROOT / "analysis").glob("*.ipynb"))
    assert len(notebooks) >= 3
    for nb in notebooks:
        cells = json.loads(nb.read_text())["cells"]
        dirty = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c["outputs"] or c["execution_count"])]
        assert dirty == [], f"{nb.name}: cells {dirty} carry outputs; clear them before committing"
