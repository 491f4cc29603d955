"""arenavotes: clean, scrub, deduplicate, categorise, rate and publish LLM-arena vote logs.

The package is organised by pipeline stage (``ingest``, ``ratings``, ...). Every stage reads and
writes tables of one DuckDB workspace (see :mod:`arenavotes.workspace`).
"""

__version__ = "0.1.0"
