"""Throughput of ``vidoc batch``: local engine vs Ray engine on the same corpus, in one run.

Both engines run in this process through the same functions the CLI calls, so the figures exclude
interpreter start-up and imports but include everything per document (clean, split, summarise,
write, fsync). Ray's start time (``ray.init`` of a local instance) is reported on its own, and the
Ray figure is given with and without it. Figures depend on the machine's load, printed alongside.

Run: ``python benchmarks/batch_engines.py [--docs 300] [--words 800] [--workers N] [--config NAME]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.make_corpus import make_corpus, write_corpus
from models.factory import build_summariser
from pipeline.batch.inputs import detect_input
from pipeline.batch.local_engine import run_local
from pipeline.batch.runs import batch_progress, open_run
from pipeline.batch.signals import StopRequest
from pipeline.core.config import load_config


def time_local(corpus: Path, output: Path, config_name: str | None) -> tuple[int, float]:
    config = load_config(config_name)
    summariser = build_summariser(config)
    run = open_run(detect_input(corpus), output, skip_invalid=False)
    started = time.perf_counter()
    with batch_progress(run.pending) as (progress, task):
        run_local(run, config, summariser, StopRequest(), progress, task)
    return run.sink.written, time.perf_counter() - started


def time_ray(
    corpus: Path, output: Path, config_name: str | None, workers: int | None
) -> tuple[int, float, float]:
    from pipeline.batch.ray_engine import run_ray, start_ray

    config = load_config(config_name)
    run = open_run(detect_input(corpus), output, skip_invalid=False)
    started = time.perf_counter()
    start_ray(None, workers)
    ready = time.perf_counter()
    run_ray(run, config, StopRequest(), None, workers)
    return run.sink.written, ready - started, time.perf_counter() - ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--words", type=int, default=800)
    parser.add_argument("--workers", type=int, default=None, help="Ray actors (default: CPU cores)")
    parser.add_argument("--config", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus.jsonl"
        records = make_corpus(args.docs, args.words)
        write_corpus(records, corpus)
        words = sum(len(r["text"].split()) for r in records) / len(records)
        local_docs, local_seconds = time_local(corpus, Path(folder) / "local.jsonl", args.config)
        ray_docs, ray_start, ray_seconds = time_ray(
            corpus, Path(folder) / "ray.jsonl", args.config, args.workers
        )
    workers = args.workers or os.cpu_count()
    config = args.config or "default"
    print(f"\n{args.docs} documents of {words:.0f} words, config {config}, {os.cpu_count()} cores")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'engine':<26}{'docs':>6}{'seconds':>10}{'docs/s':>10}")
    print(f"{'local':<26}{local_docs:>6}{local_seconds:>10.2f}{local_docs / local_seconds:>10.1f}")
    label = f"ray ({workers} actors)"
    print(f"{label:<26}{ray_docs:>6}{ray_seconds:>10.2f}{ray_docs / ray_seconds:>10.1f}")
    total = ray_start + ray_seconds
    print(f"{'ray incl. start':<26}{ray_docs:>6}{total:>10.2f}{ray_docs / total:>10.1f}")
    print(f"ray start (local instance): {ray_start:.2f} s")


if __name__ == "__main__":
    main()
