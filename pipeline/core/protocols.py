"""The small interfaces ``pipeline`` needs from ``models``, and the results they return.

``pipeline`` never imports a concrete model class: ``models.factory`` builds objects that satisfy
these protocols from a config, so the offline default and the ViT5/PhoBERT paths are swappable.
Everything a caller reads is declared here. Components load their models on first use, or at
``warm_up()`` (Haystack's convention), which the REPL and batch call before the first item so that a
missing or broken model is reported before any work starts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from pipeline.core.records import Passage, SplitDocument


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised vectors; queries and passages may be embedded differently."""

    model_id: str

    def warm_up(self) -> None: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class SummarySentence:
    """A sentence chosen by an extractive summariser, with its offsets in the original text."""

    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Summary:
    """A summary; ``sentences`` is filled by extractive summarisers only."""

    text: str
    model: str
    sentences: tuple[SummarySentence, ...] = field(default=())


@runtime_checkable
class Summariser(Protocol):
    """Summarises split documents; batching is the summariser's business."""

    model_id: str

    def warm_up(self) -> None: ...

    def summarise(self, documents: Sequence[SplitDocument]) -> list[Summary]: ...


@dataclass(frozen=True)
class ScoredPassage:
    """A retrieved passage and its fused retrieval score (higher is better)."""

    passage: Passage
    score: float


@dataclass(frozen=True)
class Citation:
    """Where an answer stands: a passage, its offsets in the original text, and the answer span in it.

    ``answer_start``/``answer_end`` are offsets into the same original text (not into ``text``),
    or ``None`` when the reader cannot point at a span (a generative reader's paraphrase).
    """

    passage: str
    source: str
    text: str
    start: int
    end: int
    score: float
    answer_start: int | None = None
    answer_end: int | None = None

    @classmethod
    def of(cls, scored: ScoredPassage, answer_span: tuple[int, int] | None = None) -> Citation:
        """Cite a retrieved passage; ``answer_span`` is the answer's offsets *within the passage text*,
        turned here into offsets in the original document like every other offset vidoc returns."""
        passage = scored.passage
        start, end = (None, None)
        if answer_span is not None:
            start, end = passage.start + answer_span[0], passage.start + answer_span[1]
        return cls(
            passage.id, passage.source, passage.text, passage.start, passage.end, scored.score, start, end
        )


def cite_answer(
    answered: ScoredPassage, answer_span: tuple[int, int], passages: Sequence[ScoredPassage]
) -> tuple[Citation, ...]:
    """The passage holding the answer first (with the span), then the other passages that were read."""
    others = (Citation.of(p) for p in passages if p.passage is not answered.passage)
    return (Citation.of(answered, answer_span), *others)


@dataclass(frozen=True)
class Answer:
    """A reader's answer: ``text`` is ``None`` when the documents do not say (abstention)."""

    text: str | None
    score: float
    citations: tuple[Citation, ...]
    model: str


@runtime_checkable
class Reader(Protocol):
    """Reads the retrieved passages (best first) and answers, or abstains with ``text=None``."""

    model_id: str
    # Whether it answers "who wrote / signed / which number" from the header and footer lines
    # (pipeline/text/document_roles.py); ``QuestionAnswerer`` adds those passages only for such readers.
    reads_roles: bool

    def warm_up(self) -> None: ...

    def read(self, question: str, passages: Sequence[ScoredPassage]) -> Answer: ...


@runtime_checkable
class StreamingReader(Reader, Protocol):
    """A generative reader that can show its answer while it is being generated (the REPL uses it).

    ``on_text`` receives each new piece of decoded text as it arrives; the returned ``Answer`` is the
    same one ``read`` would give, checked against the passages, so it may still abstain at the end.
    """

    def read_streaming(
        self, question: str, passages: Sequence[ScoredPassage], on_text: Callable[[str], None]
    ) -> Answer: ...
