"""Question-answering data in the SQuAD layout (1.1 and 2.0), as JSON or JSONL, with repaired spans.

Training and scoring a span reader both start here. Public Vietnamese sets are not always exact:
UIT-ViQuAD 1.0 gives an ``answer_start`` a character or two off for about 1 % of its answers, so an
answer whose text is not at its start is moved to the nearest occurrence of that text in the context,
and dropped (and counted) when the context does not contain it at all. SQuAD 2.0's ``is_impossible``
questions are kept with no answers; they teach and test abstention.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import VidocError


@dataclass(frozen=True)
class QAExample:
    """One question about one context; ``answers`` are ``(text, start)`` pairs, empty when unanswerable."""

    id: str
    title: str
    context: str
    question: str
    answers: tuple[tuple[str, int], ...]

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass
class LoadReport:
    """What loading had to repair: answers moved to the nearest occurrence, answers dropped."""

    questions: int = 0
    moved: int = 0
    dropped: int = 0
    questions_without_answer: int = 0
    unanswerable: int = 0
    notes: list[str] = field(default_factory=list)


def _nearest(context: str, text: str, start: int) -> int | None:
    """The occurrence of ``text`` in ``context`` nearest ``start`` (None when there is none)."""
    best: int | None = None
    position = context.find(text)
    while position >= 0:
        if best is None or abs(position - start) < abs(best - start):
            best = position
        position = context.find(text, position + 1)
    return best


def _answers(context: str, raw: list[dict[str, Any]], report: LoadReport) -> tuple[tuple[str, int], ...]:
    found: list[tuple[str, int]] = []
    for answer in raw:
        text = str(answer.get("text", ""))
        start = int(answer.get("answer_start", -1))
        if not text.strip():
            report.dropped += 1
            continue
        if context[start : start + len(text)] != text:
            nearest = _nearest(context, text, start)
            if nearest is None:
                report.dropped += 1
                continue
            report.moved += 1
            start = nearest
        if (text, start) not in found:
            found.append((text, start))
    return tuple(found)


def _articles(path: Path) -> Iterator[dict[str, Any]]:
    """The articles of a SQuAD JSON file, or of a JSONL file with one article (or one paragraph) a line."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise VidocError(
            f"{path}: cannot read ({error}).", "Pass a UTF-8 SQuAD-layout JSON or JSONL file."
        ) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        if "\n" not in raw.strip():
            raise VidocError(f"{path}: not valid JSON ({error.msg}).", "Fix the file.") from None
        yield from _jsonl_articles(path, raw)
        return
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise VidocError(
            f"{path}: not the SQuAD layout (a 'data' list of articles with 'paragraphs').",
            "Convert it to SQuAD 1.1/2.0 JSON, or JSONL with one article a line.",
        )
    yield from data["data"]


def _jsonl_articles(path: Path, raw: str) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise VidocError(
                f"{path}:{number}: not valid JSON ({error.msg}).", "Fix or remove the line."
            ) from None
        if isinstance(record, dict) and "paragraphs" in record:
            yield record
        elif isinstance(record, dict) and "question" in record and "qas" not in record:
            yield {"title": record.get("title", ""), "paragraphs": [_flat_question(record)]}
        elif isinstance(record, dict) and "context" in record:
            yield {"title": record.get("title", ""), "paragraphs": [record]}
        else:
            raise VidocError(
                f"{path}:{number}: a line needs 'paragraphs' (an article) or 'context' and 'qas'.",
                "Use the SQuAD layout (docs/reader.md).",
            )


def _flat_question(record: dict[str, Any]) -> dict[str, Any]:
    """A Hugging Face ``squad_v2``-style row (one question; ``answers: {text: [...], answer_start: [...]}``)
    as a one-question SQuAD paragraph."""
    answers = record.get("answers") or {}
    if isinstance(answers, dict):
        answers = [
            {"text": text, "answer_start": start}
            for text, start in zip(answers.get("text", []), answers.get("answer_start", []), strict=False)
        ]
    qa = {
        "id": record.get("id"),
        "question": record["question"],
        "answers": answers,
        "is_impossible": bool(record.get("is_impossible", not answers)),
    }
    return {"context": record["context"], "qas": [qa]}


def _article_examples(article: dict[str, Any], report: LoadReport, first_id: int) -> list[QAExample]:
    examples: list[QAExample] = []
    title = str(article.get("title", ""))
    for paragraph in article["paragraphs"]:
        context = str(paragraph["context"])
        for qa in paragraph["qas"]:
            report.questions += 1
            impossible = bool(qa.get("is_impossible", False))
            answers = () if impossible else _answers(context, list(qa.get("answers", [])), report)
            if impossible:
                report.unanswerable += 1
            elif not answers:
                report.questions_without_answer += 1
                continue  # every answer was broken: neither a positive nor a true negative
            qa_id = str(qa.get("id", first_id + len(examples)))
            examples.append(QAExample(qa_id, title, context, str(qa["question"]), answers))
    return examples


def load_squad(path: Path) -> tuple[list[QAExample], LoadReport]:
    """Every question of a SQuAD-layout file, in file order, and what had to be repaired."""
    if not path.is_file():
        raise VidocError(f"{path}: file not found.", "Pass a SQuAD-layout JSON or JSONL file.")
    report = LoadReport()
    examples: list[QAExample] = []
    for article in _articles(path):
        where = f"article {article.get('title', '?')!r}" if isinstance(article, dict) else "an article"
        try:
            examples.extend(_article_examples(article, report, len(examples)))
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            raise VidocError(
                f"{path}: {where} is not in the SQuAD layout ({type(error).__name__}: {error}).",
                "Each paragraph needs 'context' and 'qas'; each question 'question' and 'answers'.",
            ) from None
    if not examples:
        raise VidocError(f"{path}: no usable questions.", "Check that it is in the SQuAD layout.")
    return examples, report
