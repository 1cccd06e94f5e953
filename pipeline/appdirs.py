"""Where vidoc keeps what it can rebuild (index cache, converted models) and what it keeps (history)."""

from __future__ import annotations

import os
from pathlib import Path


def app_dir() -> Path:
    """The app directory: ``$VIDOC_HOME``, else ``$XDG_CACHE_HOME/vidoc``, else ``~/.cache/vidoc``."""
    explicit = os.environ.get("VIDOC_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "vidoc"


def cache_dir(kind: str) -> Path:
    """A sub-directory of the app directory for one kind of cached artefact, created on demand."""
    path = app_dir() / kind
    path.mkdir(parents=True, exist_ok=True)
    return path
