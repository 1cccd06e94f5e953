"""The model-independent half of an extractive span reader: windows, the best span, abstention.

Two backends run the same reading: transformers (``reader.kind: phobert``, any fine-tuned checkpoint,
torch) and ONNX Runtime (``reader.kind: trained``, the int8 reader vidoc ships, no torch). A backend
tokenises text with offsets into the original and turns windows of token ids into start/end logits;
everything else is here, so both answer alike.

The question and each retrieved passage are read as windows of at most ``max_length`` tokens. The best
span over all windows and passages wins if it beats the no-answer score (the ``<s>`` token's start + end
logits, as SQuAD 2.0 models are trained) by at least ``threshold``; otherwise the reader abstains. Every
token carries offsets into the passage's original text, so the answer is a slice of the file, never the
model's detokenised spelling (``Đảng_bộ``, ``hòa`` for ``hoà``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np

from models.inputs.phobert_alignment import AlignedTokens
from models.inputs.qa_inputs import PairTemplate
from models.inputs.qa_windows import Span, best_span, no_answer_score, question_budget, window_bounds
from models.rules.span_types import TokenTest, fitting_spans, token_test
from pipeline.core.config import ReaderConfig
from pipeline.core.protocols import Answer, ScoredPassage, cite_answer
from pipeline.core.records import ROLE_KINDS

TOKEN_CACHE_PASSAGES = 4096

Logits = tuple[np.ndarray, np.ndarray]


class SpanBackend(Protocol):
    """What a span reader needs from a model: tokens with offsets, the pair layout, logits."""

    max_length: int
    template: PairTemplate

    def tokens(self, text: str) -> AlignedTokens: ...

    def logits(self, inputs: list[list[int]]) -> list[Logits]: ...


@dataclass(frozen=True)
class _Window:
    """Passage ``passage`` tokens ``[first, last)`` as model input ``ids``; they start at ``offset``."""

    passage: int
    first: int
    last: int
    ids: list[int]
    offset: int


@dataclass(frozen=True)
class _Found:
    window: _Window
    span: Span


@dataclass(frozen=True)
class SpanReading:
    """The best span found (or None) and the margin it has over no-answer; for readers that combine."""

    answer: Answer
    margin: float | None


class SpanReader:
    """Extractive QA over a :class:`SpanBackend`, built on first use so construction stays cheap."""

    reads_roles = False

    def __init__(
        self, settings: ReaderConfig, model_id: str, threshold: float, backend: Callable[[], SpanBackend]
    ) -> None:
        self.settings = settings
        self.model_id = model_id
        self.threshold = threshold
        self._make_backend = backend
        self._tokens: dict[str, AlignedTokens] = {}  # passages come back question after question

    @cached_property
    def backend(self) -> SpanBackend:
        return self._make_backend()

    def warm_up(self) -> None:
        """Load the model now, so that a broken model folder fails before the first question."""
        _ = self.backend

    def _passage_tokens(self, text: str) -> AlignedTokens:
        """A passage's tokens with offsets; tokenising is the slow part, so each passage is done once."""
        tokens = self._tokens.get(text)
        if tokens is None:
            tokens = self.backend.tokens(text)
            if len(self._tokens) >= TOKEN_CACHE_PASSAGES:
                self._tokens.pop(next(iter(self._tokens)))
            self._tokens[text] = tokens
        return tokens

    def _question_ids(self, question: str) -> list[int]:
        return list(self.backend.tokens(question).ids[: question_budget(self.backend.max_length)])

    def _windows(self, question_ids: list[int], passages: list[AlignedTokens]) -> list[_Window]:
        template = self.backend.template
        budget = self.backend.max_length - len(question_ids) - template.specials
        stride = min(self.settings.stride, budget // 2)
        windows = []
        for index, tokens in enumerate(passages):
            for first, last in window_bounds(len(tokens), budget, stride):
                ids, offset = template.build(question_ids, list(tokens.ids[first:last]))
                windows.append(_Window(index, first, last, ids, offset))
        return windows

    def _best(
        self,
        windows: list[_Window],
        logits: list[Logits],
        passages: list[AlignedTokens],
        texts: list[str],
        fits: TokenTest | None,
    ) -> tuple[_Found | None, float]:
        """The best span over all windows (of those that fit the question's type, when ``fits`` says),
        and the lowest no-answer score among them (SQuAD 2.0)."""
        found: _Found | None = None
        null = float("inf")
        for window, (starts, ends) in zip(windows, logits, strict=True):
            null = min(null, no_answer_score(starts, ends))
            spans = passages[window.passage].spans[window.first : window.last]
            begins = np.array([s[0] for s in spans])
            finishes = np.array([s[1] for s in spans])
            allowed = finishes[None, :] > begins[:, None]  # spans that cover some text
            if fits is not None:
                text = texts[window.passage]
                allowed &= fitting_spans([text[start:end] for start, end in spans], fits)
            span = best_span(
                starts,
                ends,
                window.offset,
                window.offset + len(spans) - 1,
                self.settings.max_answer_tokens,
                allowed,
            )
            if span is not None and (found is None or span.score > found.span.score):
                found = _Found(window, span)
        return found, null

    def reading(self, question: str, passages: Sequence[ScoredPassage]) -> SpanReading:
        """The best span and its margin over no-answer, whether or not it clears the threshold."""
        passages = [p for p in passages if p.passage.kind not in ROLE_KINDS][: self.settings.passages]
        if not passages:
            return SpanReading(Answer(None, 0.0, (), self.model_id), None)
        tokens = [self._passage_tokens(p.passage.text) for p in passages]
        windows = self._windows(self._question_ids(question), tokens)
        fits = token_test(question) if self.settings.check_type else None
        texts = [p.passage.text for p in passages]
        found, null = self._best(windows, self.backend.logits([w.ids for w in windows]), tokens, texts, fits)
        if found is None:
            return SpanReading(Answer(None, 0.0, (), self.model_id), None)
        margin = found.span.score - null
        window = found.window
        spans = tokens[window.passage].spans
        local_start = spans[window.first + found.span.start - window.offset][0]
        local_end = spans[window.first + found.span.end - window.offset][1]
        scored = passages[window.passage]
        citations = cite_answer(scored, (local_start, local_end), passages)
        answer_text = scored.passage.text[local_start:local_end]
        return SpanReading(Answer(answer_text, round(margin, 4), citations, self.model_id), margin)

    def read(self, question: str, passages: Sequence[ScoredPassage]) -> Answer:
        found = self.reading(question, passages)
        if found.margin is None or found.margin < self.threshold:
            return Answer(None, round(found.margin or 0.0, 4), (), self.model_id)
        return found.answer
