"""The one exception type users see: a plain message naming the file and what to do about it.

The CLI prints ``VidocError`` as one or two lines on stderr and exits non-zero; every other
exception is a bug and shows a traceback only with ``--debug``.
"""

from __future__ import annotations


class VidocError(Exception):
    """A problem with the user's input, config or models, with a hint on how to fix it."""

    def __init__(self, message: str, hint: str | None = None, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


# How much of a library's message a reason quotes: its first line says what broke, the rest is noise.
REASON_LIMIT = 120


def first_line(error: BaseException, limit: int) -> str:
    """A library exception as a short reason for a ``VidocError``: its first line, or its type when
    the message is empty (``str(error).splitlines()[0]`` would raise IndexError there)."""
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:limit]
