"""Stage ``publish``: copy a signed, gate-passed release to the Hugging Face Hub or a local hub folder
(a git repository, one commit and tag per version); see :mod:`arenavotes.releases.publish` for what it
refuses. The run (dry or not) is recorded in the workspace.
"""

from __future__ import annotations

import dataclasses

from arenavotes.stages.base import Echo, StageResult, recorded, settings_hash
from arenavotes.workspace import Workspace


@dataclasses.dataclass(frozen=True)
class PublishOptions:
    version: str
    target: str  # hf://datasets/ORG/NAME or a folder
    dry_run: bool = False


def run_publish(ws: Workspace, options: PublishOptions, *, echo: Echo | None = None) -> StageResult:
    """Publish ``releases/VERSION``; ``echo`` hears each operation as it happens (they are also returned)."""
    from arenavotes.pii.gate import check_paths
    from arenavotes.releases import release_dir
    from arenavotes.releases.integrity import gate_version
    from arenavotes.releases.publish import publish_release

    settings = ws.settings()
    st = settings.pii
    hash_ = settings_hash(settings, "publish", options)
    path = release_dir(ws.path) / options.version
    lines = []
    for line in publish_release(
        path,
        options.target,
        dry_run=options.dry_run,
        key=ws.secret(),
        workspace=ws.path,
        gate_version=gate_version(threshold=st.gate_threshold, ner=st.ner),
        gate=lambda d: check_paths([d], threshold=st.gate_threshold, ner=st.ner, workers=st.workers or 2),
    ):
        lines.append(line)
        if echo:
            echo(line)
    with ws.connect() as con, recorded(con, "publish", hash_, target=options.target) as run:
        run.counts = {"version": options.version, "dry_run": options.dry_run, "operations": len(lines)}
    return StageResult("publish", (run.run_id,), hash_, (), None, None, run.counts, tuple(lines), path=path)
