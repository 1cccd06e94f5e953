"""Where vidoc keeps what it can rebuild (index cache, converted models) and what it keeps (history).

The app directory may be unusable: ``VIDOC_HOME`` read-only, a regular file, or on a full disk.
``cache_dir`` then raises a ``VidocError`` naming the folder and the fix, for the commands that cannot
work without it; ``ask`` and ``chat`` only lose speed without a cache, so they catch that (or the
``OSError`` of a failed write, through ``unusable``), call ``warn_cache_off`` and go on.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from pipeline.core.errors import VidocError, first_line

HOME_FIX = "Set VIDOC_HOME to a writable folder with free space (or unset it to use ~/.cache/vidoc)."
_warned: set[str] = set()


def app_dir() -> Path:
    """The app directory: ``$VIDOC_HOME``, else ``$XDG_CACHE_HOME/vidoc``, else ``~/.cache/vidoc``."""
    explicit = os.environ.get("VIDOC_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "vidoc"


def _reason(error: OSError) -> str:
    """An OSError in words ("Read-only file system", "No space left on device"), without the path."""
    return error.strerror or first_line(error, 120)


def unusable(path: Path, error: OSError) -> VidocError:
    """The error for a folder of the app directory that cannot be created or written."""
    return VidocError(f"{path}: vidoc cannot write here ({_reason(error)}).", HOME_FIX)


def writable_dir(path: Path) -> Path:
    """``path``, created if needed; a ``VidocError`` if it cannot be created or is not writable.

    ``mkdir(exist_ok=True)`` succeeds on a read-only folder that already exists, so write access is
    checked too, to fail here rather than at the first write."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise unusable(path, error) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise unusable(path, PermissionError(errno.EACCES, os.strerror(errno.EACCES)))
    return path


def cache_dir(kind: str) -> Path:
    """A sub-directory of the app directory for one kind of cached artefact, created on demand."""
    return writable_dir(app_dir() / kind)


def warn_cache_off(problem: VidocError, what: str = "the cache") -> None:
    """Say once per process, in one line on stderr, that vidoc goes on without ``what``.

    Every later failure (each save of each document, each history line) would say the same thing again.
    """
    if what in _warned:
        return
    _warned.add(what)
    print(f"vidoc: warning: {problem.message} Going on without {what}. {problem.hint}", file=sys.stderr)
