"""Errors a user can act on.

A :class:`UserError` is raised for every mistake that is the user's to fix (a wrong path, an
unknown format, a bad setting). The CLI prints its message as one line and exits with code 2;
it never shows a traceback for these.

>>> raise UserError("data.csv: no such file", hint="check the path")
Traceback (most recent call last):
...
arenavotes.errors.UserError: data.csv: no such file (check the path)
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or settings, described so that they can fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


def duckdb_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB running out of its memory cap: raised as itself, or through a pyarrow batch reader
    as an ``OSError``.

    >>> duckdb_out_of_memory(OSError("Out of Memory Error: could not allocate block")), duckdb_out_of_memory(OSError("disk"))
    (True, False)
    """
    return type(exc).__name__ == "OutOfMemoryException" or (
        isinstance(exc, OSError) and str(exc).startswith("Out of Memory Error")
    )
