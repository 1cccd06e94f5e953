"""Documents in, summaries out: load → clean → split → summarise, timed per document."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.cleaning import clean
from pipeline.config import Config
from pipeline.documents import Document, load_document
from pipeline.protocols import Summariser, Summary
from pipeline.splitting import SplitDocument, split


def prepare(document: Document, config: Config) -> SplitDocument:
    """Clean and split one document with the configured splitter settings."""
    return split(clean(document), config.splitter)


@dataclass(frozen=True)
class SummaryResult:
    """One document's summary and how long it took; ``to_json`` is the ``--json`` contract."""

    source: str
    summary: Summary
    seconds: float

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
        yield SummaryResult(document.source, summary, time.perf_counter() - started)


def summarise_paths(paths: Iterable[Path], config: Config, summariser: Summariser) -> Iterator[SummaryResult]:
    return summarise_documents((load_document(path) for path in paths), config, summariser)
