"""Writing a model folder so that a kill or a full disk never leaves it half written.

Everything is written into a hidden sibling (same file system, so renames are atomic); the finished
folder then takes the target's name, the old one (if any) having been renamed aside first and removed
last. At every moment the target is either the old complete folder or the new complete one.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path


def sibling(target: Path, role: str) -> Path:
    """A hidden, unused name next to ``target``."""
    return target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.{role}"


def replace_folder(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, putting an existing ``target`` aside first and removing it last."""
    if not target.exists():
        staging.rename(target)
        return
    old = sibling(target, "old")
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
