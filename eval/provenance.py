"""What produced a report: enough to tell two reports apart a month later, or to rerun one.

A config's label ("default", "trained") says little once the file behind it has changed, so the
resolved config itself goes into the report with its sha256, beside the vidoc version, the git commit
of the checkout (when there is one), the suite files' hashes, the date and the machine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from pipeline.core.config import Config
from pipeline.core.files import file_sha256

_REPOSITORY = Path(__file__).resolve().parent.parent


def _version() -> str | None:
    try:
        return metadata.version("vidoc")
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    if not (_REPOSITORY / ".git").exists() or shutil.which("git") is None:
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(_REPOSITORY), *args], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def git_commit() -> dict[str, Any] | None:
    """The checkout's commit and whether it had uncommitted changes; None outside a git checkout."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return None
    return {"commit": commit, "dirty": bool(_git("status", "--porcelain", "--untracked-files=no"))}


def _gpu() -> str | None:
    """The first NVIDIA GPU's name, asked of nvidia-smi (torch stays out of the offline eval)."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else None


def _sha256_or_none(path: str | Path) -> str | None:
    try:
        return file_sha256(Path(path))
    except OSError:
        return None


def config_sha256(settings: Config) -> str:
    dumped = json.dumps(settings.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(dumped.encode()).hexdigest()


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "gpu": _gpu(),
    }


def provenance(settings: Config, suites: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """For one config's run over ``(suite name, suite file)`` pairs."""
    return {
        "vidoc": _version(),
        "git": git_commit(),
        "config": settings.model_dump(mode="json"),
        "config_sha256": config_sha256(settings),
        "suites": {name: {"file": source, "sha256": _sha256_or_none(source)} for name, source in suites},
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
