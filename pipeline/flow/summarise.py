"""Documents in, summaries out: load → clean → split → summarise, timed per document."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pipeline.core.config import Config
from pipeline.core.protocols import Summariser, Summary
from pipeline.core.records import Document, SplitDocument
from pipeline.documents.loading import check_length
from pipeline.text.cleaning import clean
from pipeline.text.splitting import split


def prepare(document: Document, config: Config) -> SplitDocument:
    """Clean and split one document with the configured splitter settings, within the length limit."""
    check_length(document, config.documents.max_chars)
    return split(clean(document), config.splitter)


@dataclass(frozen=True)
class SummaryResult:
    """One document's summary and how long it took; ``to_json`` is the ``--json`` contract."""

    source: str
    summary: Summary
    seconds: float
    empty: EmptySummary | None = None

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "source": self.source,
            "summary": self.summary.text,
            "model": self.summary.model,
            "seconds": round(self.seconds, 4),
        }
        if self.summary.sentences:
            record["sentences"] = [
                {"text": s.text, "start": s.start, "end": s.end, "score": s.score}
                for s in self.summary.sentences
            ]
        return record


def summarise_documents(
    documents: Iterable[Document], config: Config, summariser: Summariser
) -> Iterator[SummaryResult]:
    """Summarise documents one at a time (for files given on the command line)."""
    for document in documents:
        started = time.perf_counter()
        prepared = prepare(document, config)
        (summary,) = summariser.summarise([prepared])
        seconds = time.perf_counter() - started
        yield SummaryResult(document.source, summary, seconds, empty_summary(prepared, summary))


@dataclass(frozen=True)
class EmptySummary:
    """Why a summary is empty and what to do, in words a user can act on: a document with no text left
    after cleaning is not the same failure as a model that wrote nothing from real sentences."""

    reason: str
    fix: str


def empty_summary(document: SplitDocument, summary: Summary) -> EmptySummary | None:
    """None when ``summary`` has text."""
    if summary.text.strip():
        return None
    if not document.sentences:
        return EmptySummary(
            "nothing to summarise after cleaning",
            "The file has no sentences once headers, menus and boilerplate are removed; check its text.",
        )
    return EmptySummary(
        f"the model produced an empty summary ({summary.model})",
        "Try another checkpoint, a larger summariser.max_new_tokens, or the extractive summariser "
        "(--config default).",
    )
