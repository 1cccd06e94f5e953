"""Files written so that a kill or a full disk never leaves half of one: whole files and appended lines.

``write_atomic`` is for every text file vidoc writes in one piece (eval reports, chat exports, the
learned sentence scorer): a temporary file in the same folder, fsynced and renamed over the target,
removed when anything fails. ``append_whole`` is for the logs vidoc appends to (batch output and its
errors file, eval's per-item records): the bytes are fsynced, and a failed write is cut back to the
old end, so a reader never meets a half line. Errors propagate for the caller to say in one line.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import suppress
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


def write_all(fd: int, payload: bytes) -> None:
    """``os.write`` until every byte is out: a write to a nearly full disk may take only some."""
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def append_whole(path: Path, payload: bytes) -> None:
    """Append ``payload`` and fsync it; if that fails, cut the file back to its old end (no half line)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        end = os.lseek(fd, 0, os.SEEK_END)
        try:
            write_all(fd, payload)
            os.fsync(fd)
        except OSError:
            with suppress(OSError):  # the write's error is the one to report
                os.ftruncate(fd, end)
            raise
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks (model graphs are tens of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
