"""Shared fixtures: the bundled seed report and a helper that runs the CLI as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Tiny random checkpoints of the real architectures, built once per session (no model hub here).
pytest_plugins = ["tests.tiny_t5", "tests.tiny_phobert", "tests.tiny_e5"]

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "000_f1aaaf303130fff8.txt"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _isolated_app_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Caches and history go to a temp dir, never to the user's home."""
    monkeypatch.setenv("VIDOC_HOME", str(tmp_path_factory.getbasetemp() / "vidoc-home"))


def run_cli(
    *args: str,
    cwd: Path = ROOT,
    input: str | None = None,
    timeout: float = 300,
    env_extra: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run ``python -m pipeline ARGS`` in a subprocess, as the console script would."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8", COLUMNS="100")
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=cwd,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
