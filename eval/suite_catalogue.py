"""Suites by name: a .jsonl path, a bundled suite (``seed``) or an external benchmark (``viquad2``).

Apart from ``eval.suites`` (the file format) and ``eval.benchmarks`` (the adapters), which both sit
below it, so neither has to know about the other.
"""

from __future__ import annotations

from pathlib import Path

from eval import benchmarks
from eval.suites import BUNDLED_DIR, Suite, bundled_suite_paths, load_suite
from pipeline.core.errors import VidocError


def find_suite(name: str) -> Suite:
    """A suite by name: a .jsonl path, a bundled suite (``seed``) or an external benchmark (``viquad2``)."""
    path = Path(name)
    if path.suffix == ".jsonl" or path.exists():
        return load_suite(path)
    bundled = BUNDLED_DIR / f"{name}.jsonl"
    if bundled.is_file():
        return load_suite(bundled)
    if name in benchmarks.ADAPTERS:
        return benchmarks.load_benchmark(name)
    choices = [p.stem for p in bundled_suite_paths()] + sorted(benchmarks.ADAPTERS)
    raise VidocError(f"{name}: no such suite.", f"Choose a .jsonl file or one of: {', '.join(choices)}.")
