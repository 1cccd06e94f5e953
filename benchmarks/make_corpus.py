"""Build a batch corpus: N Vietnamese documents of about W words from the texts bundled with vidoc.

Why: ``vidoc batch`` needs thousands of realistic inputs to measure throughput, and this machine
reaches no dataset hub. Paragraphs of the reports in ``examples/`` and the hand-written reference
summaries in ``eval/suites/`` are shuffled into documents (seeded per document, so the corpus is
the same on every run). The tests use the same function with fewer words.

Run: ``python benchmarks/make_corpus.py 300 corpus.jsonl [--words 800]`` (.jsonl, .csv or .parquet).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_MIN_PARAGRAPH_WORDS = 20


@lru_cache(maxsize=1)
def paragraphs() -> tuple[str, ...]:
    """Prose paragraphs (no tables, no headings) of the bundled reports and reference summaries."""
    found: list[str] = []
    for path in sorted((ROOT / "examples").iterdir()):
        if path.suffix in {".txt", ".md"}:
            found += re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / "eval" / "suites").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            found += json.loads(line).get("references", [])
    kept = [
        " ".join(p.split())
        for p in found
        if len(p.split()) >= _MIN_PARAGRAPH_WORDS and "|" not in p and not p.lstrip().startswith("#")
    ]
    return tuple(dict.fromkeys(kept))


def make_document(index: int, words: int) -> str:
    """Document ``index``: seeded random paragraphs until about ``words`` words."""
    pool = paragraphs()
    chooser = random.Random(index)
    chosen: list[str] = []
    count = 0
    while count < words:
        paragraph = chooser.choice(pool)
        chosen.append(paragraph)
        count += len(paragraph.split())
    return "\n\n".join(chosen)


def make_corpus(count: int, words: int = 800) -> list[dict[str, str]]:
    """``count`` records ``{"id": "doc-00000", "text": ...}``."""
    return [{"id": f"doc-{index:05d}", "text": make_document(index, words)} for index in range(count)]


def write_corpus(records: list[dict[str, str]], path: Path) -> None:
    """Write records as JSONL, CSV or Parquet, chosen by the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["id", "text"])
            writer.writeheader()
            writer.writerows(records)
    elif path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(records), path)
    else:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--words", type=int, default=800)
    args = parser.parse_args()
    records = make_corpus(args.count, args.words)
    write_corpus(records, args.output)
    mean = sum(len(r["text"].split()) for r in records) / max(len(records), 1)
    print(f"{args.output}: {len(records)} documents, {mean:.0f} words on average")


if __name__ == "__main__":
    main()
