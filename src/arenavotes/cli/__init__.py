"""The ``arenavotes`` command: thin commands over the library (:mod:`arenavotes.stages`), each with an example.

Every command takes ``-w/--workspace DIR`` (default: the current folder). A user mistake prints
one line (``arenavotes: error: ...``) and exits with code 2; no traceback. The commands live in
:mod:`~arenavotes.cli.queries` (look), :mod:`~arenavotes.cli.prepare` (ingest -> categorize) and
:mod:`~arenavotes.cli.results` (rate -> publish); options they share in :mod:`~arenavotes.cli.base`.
"""

from __future__ import annotations

import os
import sys

# Before Polars and Arrow load (their allocators read these once, at start): give freed memory back to the system
# at once instead of keeping it for reuse, so that a stage's peak is what it holds, not what it held earlier (the
# load of 5M battles: 1.11 -> 0.80 GB RSS; the dedup of 5M battles 1.17 -> 1.08 GB PSS). A user's own setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")  # Polars' jemalloc
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")  # Arrow's mimalloc

from arenavotes.allocator import tune

tune()  # glibc's malloc: one arena per core, set before anything that starts threads is imported

from collections.abc import Sequence
from pathlib import Path

import click

from arenavotes.cli.base import cli
from arenavotes.cli.p2l import p2l
from arenavotes.cli.prepare import categorize, dedup, embed, ingest, scrub
from arenavotes.cli.queries import flags, formats, init, leaderboard, sql, status
from arenavotes.cli.results import publish, rate, release, report
from arenavotes.errors import UserError, duckdb_out_of_memory

__all__ = [
    "categorize",
    "cli",
    "dedup",
    "embed",
    "flags",
    "formats",
    "ingest",
    "init",
    "leaderboard",
    "main",
    "p2l",
    "publish",
    "rate",
    "release",
    "report",
    "scrub",
    "sql",
    "status",
]


INTERNAL_ERROR = 3


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI, turning user errors into one line and exit code 2.

    Anything else is a bug of ours: it is also printed as one line (exit code 3) naming where it happened,
    and ``ARENAVOTES_DEBUG=1`` shows the traceback. The test suite treats exit code 3 as a failure.
    """
    import os

    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="arenavotes", standalone_mode=False)
    except UserError as exc:
        click.echo(f"arenavotes: error: {exc}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:
        if os.environ.get("ARENAVOTES_DEBUG"):
            raise
        if duckdb_out_of_memory(exc) or isinstance(exc, MemoryError):
            from arenavotes import db

            limit = db.applied_limit
            click.echo(
                f"arenavotes: error: out of memory: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''} "
                f"(DuckDB's limit here: {limit}; nothing was written) (set ARENAVOTES_MEMORY_LIMIT to a larger "
                "size, e.g. ARENAVOTES_MEMORY_LIMIT=4GB, and run the command again)",
                err=True,
            )
            return 2
        import traceback

        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        click.echo(
            f"arenavotes: internal error: {type(exc).__name__}: {message} (at {where}); this is a bug in "
            "arenavotes, please report it (ARENAVOTES_DEBUG=1 shows the traceback)",
            err=True,
        )
        return INTERNAL_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
