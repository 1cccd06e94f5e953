"""Writing a whole file so that a kill or a full disk leaves the old file (or none), never half of one.

One helper for every text file vidoc writes in one piece: eval reports, chat exports, the learned
sentence scorer. It writes a temporary file in the same folder, fsyncs it and renames it over the
target; the temporary file is removed when anything fails, and the error propagates for the caller to
say in one line.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str, make_parents: bool = True) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename. With ``make_parents``
    off, a missing folder is an error (a user's export path), not something to create."""
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it 0600; these are ordinary files
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
