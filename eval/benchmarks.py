"""External Vietnamese benchmarks run as suites: UIT-ViQuAD 2.0, Zalo wiki QA, VietNews.

The data lives outside the repository, in the folder ``$VIDOC_BENCHMARKS`` names, and is never copied
into it; on a machine without it (or without the variable), ``BenchmarkUnavailable`` says so and the
run skips that suite. Contexts become in-memory documents; the evidence of a
question is its reference answer's own span, taken from the dataset's offsets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from eval.suites import QAItem, Suite, SummaryItem
from pipeline.core.errors import VidocError
from pipeline.core.records import Document

FILES = {
    "viquad2": "viquad2_dev_sample.jsonl",
    "zalo": "zalo_wiki_test.json",
    "vietnews": "vietnews_test_sample.jsonl",
}


class BenchmarkUnavailable(VidocError):
    """The benchmark's data is not on this machine: skip it, do not fail the run."""


def benchmarks_dir() -> Path | None:
    """The folder ``$VIDOC_BENCHMARKS`` names; None when unset (vidoc guesses no path outside itself)."""
    explicit = os.environ.get("VIDOC_BENCHMARKS")
    return Path(explicit).expanduser() if explicit else None


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


def _flatten_squad(data: list[dict]) -> list[dict]:
    """SQuAD's nested layout (articles → paragraphs → qas) as flat rows; SQuAD 2.0's ``is_impossible``
    questions keep no answer (their ``plausible_answers`` are not answers)."""
    return [
        {
            "id": qa["id"],
            "title": article.get("title"),
            "context": paragraph["context"],
            "question": qa["question"],
            "is_impossible": bool(qa.get("is_impossible")),
            "answers": {
                "text": [answer["text"] for answer in qa.get("answers", [])],
                "answer_start": [answer["answer_start"] for answer in qa.get("answers", [])],
            },
        }
        for article in data
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


def _zalo(path: Path) -> list[QAItem]:
    return _qa_items(_flatten_squad(json.loads(path.read_text(encoding="utf-8"))["data"]), "zalo", path)


def _dataset_rows(path: Path, split: str | None) -> list[dict]:
    """Rows of a Hugging Face dataset saved with ``save_to_disk``: a Dataset, or a DatasetDict
    and a split."""
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as error:
        raise VidocError(
            f"{path}: not a dataset saved with save_to_disk ({error}).",
            "Save it with Dataset.save_to_disk(PATH), or pass a SQuAD .json/.jsonl file.",
        ) from None
    if isinstance(loaded, datasets.DatasetDict):
        chosen = split or next((s for s in ("validation", "test", "train") if s in loaded), None)
        if chosen not in loaded:
            raise VidocError(f"{path}: no split {chosen!r}.", f"Choose --split from: {', '.join(loaded)}.")
        loaded = loaded[chosen]
    return [dict(row) for row in loaded]


def load_squad_suite(path: Path, split: str | None = None) -> Suite:
    """A user's own QA data as a suite: SQuAD 1.1/2.0 JSON (nested), JSONL rows in the Hugging Face
    ``squad_v2`` layout, or a dataset folder saved with ``datasets``. Contexts become documents."""
    if not path.exists():
        raise VidocError(
            f"{path}: no such file or folder.", "Name a SQuAD .json/.jsonl file or a dataset folder."
        )
    try:
        if path.is_dir():
            rows = _dataset_rows(path, split)
        elif path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            rows = [json.loads(line) for line in lines if line.strip()]
        else:
            rows = _flatten_squad(json.loads(path.read_text(encoding="utf-8"))["data"])
        items = _qa_items(rows, path.stem, path)
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise VidocError(
            f"{path}: not SQuAD-layout data ({type(error).__name__}: {error}).",
            'Expected {"data": [{"paragraphs": [{"context", "qas"}]}]} or rows with id, context, '
            "question, answers {text, answer_start}.",
        ) from None
    if not items:
        raise VidocError(f"{path}: no questions in it.", "Check the file, or --split.")
    return Suite(name=path.stem, source=str(path), items=tuple(items))


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
    folder = benchmarks_dir()
    if folder is None:
        raise BenchmarkUnavailable(
            f"skipping {name}: VIDOC_BENCHMARKS is not set.",
            f"External benchmarks are optional; set VIDOC_BENCHMARKS to the folder that has {FILES[name]}.",
        )
    path = folder / FILES[name]
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
