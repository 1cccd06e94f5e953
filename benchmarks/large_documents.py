"""Time and peak memory of ``vidoc summarize`` (and, optionally, ``vidoc ask``) on very long documents.

Why: issue 18 found a 5 MB report of unique lines taking 3 min and 2.2 GB, and a 50 MB one dying in a
68 GiB allocation. Each document here is made of the bundled reports' paragraphs, every line made unique
by a number, up to the size asked for; each command runs in its own process (as a user runs it), with
``--max-chars`` raised so nothing is refused, and its peak resident memory is read from ``wait4``.

Run: ``python benchmarks/large_documents.py [--sizes 1,5,50] [--ask-sizes 0.2]`` (sizes in MB of UTF-8).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from make_corpus import paragraphs

ROOT = Path(__file__).resolve().parent.parent


def write_document(path: Path, megabytes: float, seed: int = 0) -> int:
    """Paragraphs of the bundled texts, each ending in its own number, until ``megabytes`` of UTF-8."""
    pool = paragraphs()
    chooser = random.Random(seed)
    target = int(megabytes * 1_000_000)
    size, number = 0, 0
    with path.open("w", encoding="utf-8") as out:
        while size < target:
            line = f"{chooser.choice(pool)} (mục {number})\n\n"
            out.write(line)
            size += len(line.encode("utf-8"))
            number += 1
    return len(path.read_text(encoding="utf-8"))


def measure(arguments: list[str], home: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit status) of ``vidoc ARGUMENTS`` in a fresh process."""
    environment = dict(os.environ, VIDOC_HOME=str(home), PYTHONPATH=str(ROOT))
    errors = home.with_suffix(".stderr")
    started = time.perf_counter()
    with errors.open("wb") as stderr:  # a file, not a pipe: a full pipe would stall the child
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", *arguments],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code:
        lines = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        print(f"    {arguments[0]} failed: {lines[-1] if lines else code}")
    return seconds, usage.ru_maxrss / 1024, code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,5,50", help="Documents to summarise, in MB (comma-separated).")
    parser.add_argument("--ask-sizes", default="", help="Documents to ask one question about, in MB.")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    print(f"{'command':<10} {'MB':>6} {'characters':>12} {'seconds':>9} {'peak MB':>9}  exit")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        jobs = [("summarize", float(s)) for s in args.sizes.split(",") if s]
        jobs += [("ask", float(s)) for s in args.ask_sizes.split(",") if s]
        for command, megabytes in jobs:
            document = folder / f"report-{megabytes:g}mb.txt"
            characters = write_document(document, megabytes)
            limit = ["--max-chars", str(characters + 1)]
            if command == "summarize":
                arguments = ["summarize", str(document), "--json", *limit]
            else:
                arguments = ["ask", str(document), "Tổng thu ngân sách ước đạt bao nhiêu?", "--json", *limit]
            home = folder / f"home-{command}-{megabytes:g}"  # a cold cache: the ask figure includes indexing
            seconds, peak, code = measure(arguments, home)
            print(f"{command:<10} {megabytes:>6g} {characters:>12,} {seconds:>9.1f} {peak:>9.0f}  {code}")
            document.unlink()


if __name__ == "__main__":
    main()
