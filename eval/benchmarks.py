"""External Vietnamese benchmarks run as suites: UIT-ViQuAD 2.0, Zalo wiki QA, VietNews.

The data lives outside the repository (``$VIDOC_BENCHMARKS``, default ``../shared/benchmarks`` next
to the repo root) and is never copied into it; on a machine without it, ``BenchmarkUnavailable``
says so and the run skips that suite. Contexts become in-memory documents; the evidence of a
question is its reference answer's own span, taken from the dataset's offsets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from eval.suites import ROOT, QAItem, Suite, SummaryItem
from pipeline.documents import Document
from pipeline.errors import VidocError

FILES = {
    "viquad2": "viquad2_dev_sample.jsonl",
    "zalo": "zalo_wiki_test.json",
    "vietnews": "vietnews_test_sample.jsonl",
}


class BenchmarkUnavailable(VidocError):
    """The benchmark's data is not on this machine: skip it, do not fail the run."""


def benchmarks_dir() -> Path:
    explicit = os.environ.get("VIDOC_BENCHMARKS")
    return Path(explicit).expanduser() if explicit else (ROOT.parent / "shared" / "benchmarks").resolve()


def _answer_span(context: str, text: str, start: int) -> tuple[int, int] | None:
    """The answer's span; a few source offsets are one off, so look next to them, then anywhere."""
    for candidate in (start, start + 1, start - 1):
        if candidate >= 0 and context[candidate : candidate + len(text)] == text:
            return candidate, candidate + len(text)
    found = context.find(text)
    return (found, found + len(text)) if found >= 0 else None


def _qa_items(rows: Iterable[dict], name: str, path: Path) -> list[QAItem]:
    """SQuAD-style rows (``id``, ``context``, ``question``, ``answers{text,answer_start}``) as items."""
    documents: dict[str, Document] = {}
    items = []
    for row in rows:
        context = row["context"]
        if context not in documents:
            documents[context] = Document(context, f"{name}:{row.get('title') or 'context'}#{len(documents)}")
        document = documents[context]
        texts = list(row["answers"]["text"]) if not row.get("is_impossible") else []
        starts = list(row["answers"]["answer_start"]) if texts else []
        answers = tuple(dict.fromkeys(t for t in texts if t.strip()))
        span = next(
            (s for t, st in zip(texts, starts, strict=False) if (s := _answer_span(context, t, st))), None
        )
        if answers and span is None:
            raise VidocError(
                f"{path}: answer of {row['id']} is not in its context.", "The data file is damaged."
            )
        evidence = context[span[0] : span[1]] if span else None
        items.append(QAItem(str(row["id"]), document, row["question"], answers, evidence, span))
    return items


def _viquad2(path: Path) -> list[QAItem]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return _qa_items(rows, "viquad2", path)


def _zalo(path: Path) -> list[QAItem]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    rows = [
        {
            "id": qa["id"],
            "title": article.get("title"),
            "context": paragraph["context"],
            "question": qa["question"],
            "answers": {
                "text": [answer["text"] for answer in qa["answers"]],
                "answer_start": [answer["answer_start"] for answer in qa["answers"]],
            },
        }
        for article in data
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]
    return _qa_items(rows, "zalo", path)


def _vietnews(path: Path) -> list[SummaryItem]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            document = Document(row["text"], f"vietnews:{row['id']}")
            items.append(SummaryItem(str(row["id"]), document, (row["summary"],)))
    return items


ADAPTERS: dict[str, Callable[[Path], list]] = {"viquad2": _viquad2, "zalo": _zalo, "vietnews": _vietnews}


def load_benchmark(name: str) -> Suite:
    """A benchmark as a suite, or ``BenchmarkUnavailable`` when its file is not on this machine."""
    path = benchmarks_dir() / FILES[name]
    if not path.is_file():
        raise BenchmarkUnavailable(
            f"skipping {name}: {path} not found.",
            "External benchmarks are optional; set VIDOC_BENCHMARKS to the folder that has them.",
        )
    try:
        items = ADAPTERS[name](path)
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise VidocError(f"{path}: cannot read {name} ({type(error).__name__}: {error}).") from None
    return Suite(name=name, source=str(path), items=tuple(items))
