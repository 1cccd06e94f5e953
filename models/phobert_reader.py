"""``reader.kind: phobert``: extractive QA with a fine-tuned encoder (PhoBERT, or an XLM-R SQuAD 2.0 model).

The question and each retrieved passage are read as windows of at most ``reader.max_length`` tokens
(PhoBERT's 256), word-segmented when the model wants it. The best span over all windows and passages
wins if it beats the no-answer score (the ``<s>`` token's start + end logits, as SQuAD 2.0 models are
trained) by at least ``reader.threshold``; otherwise the reader abstains. Every token carries offsets
into the passage's original text, so the answer is a slice of the file, never the model's detokenised
spelling (``Đảng_bộ``, ``hòa`` for ``hoà``).

Nothing heavy happens at construction: torch, transformers and the weights load on the first question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from models.locate import locate_model, parse_model
from models.phobert_alignment import AlignedTokens, align_tokens
from models.qa_inputs import PairTemplate, pair_template
from models.qa_windows import Span, best_span, no_answer_score, window_bounds
from models.token_limits import model_token_limit
from models.word_segmentation import wants_segmentation
from pipeline.config import ReaderConfig
from pipeline.errors import VidocError, first_line
from pipeline.protocols import Answer, ScoredPassage, cite_answer

SECTION = "reader.model"
MAX_QUESTION_TOKENS = 64
BATCH_WINDOWS = 16
TOKEN_CACHE_PASSAGES = 4096
DEFAULT_THRESHOLD = 0.0  # the plain SQuAD 2.0 rule: answer when the best span beats no-answer


@dataclass(frozen=True)
class _Loaded:
    tokenizer: Any
    model: Any
    device: str
    by_words: bool
    max_length: int
    template: PairTemplate


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


class PhoBERTReader:
    """Span reader over any ``AutoModelForQuestionAnswering`` checkpoint, loaded on first use."""

    def __init__(self, settings: ReaderConfig) -> None:
        if not settings.model:
            raise VidocError(
                "reader.model: kind 'phobert' needs a question-answering checkpoint.",
                "Set reader.model to a fine-tuned QA folder or hub id (configs/phobert.yaml explains).",
            )
        self.settings = settings
        spec = parse_model(settings.model)
        self.model_id = str(spec.local_dir) if spec.local_dir is not None else str(spec.hub_id)
        threshold = settings.threshold
        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        self._tokens: dict[str, AlignedTokens] = {}  # passages come back question after question

    @cached_property
    def _loaded(self) -> _Loaded:
        folder = locate_model(self.settings.model or "", SECTION)
        from models.devices import place
        from models.extras import require_models_extra
        from models.seq2seq import quiet_transformers

        require_models_extra("reader", "phobert")
        import torch
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        quiet_transformers()
        trust = self.settings.trust_remote_code
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=trust)
            model, info = AutoModelForQuestionAnswering.from_pretrained(
                folder,
                local_files_only=True,
                use_safetensors=True,
                trust_remote_code=trust,
                output_loading_info=True,
            )
        except (OSError, ValueError, KeyError) as error:
            raise VidocError(
                f"{SECTION}: cannot load a question-answering model from {folder}: {first_line(error, 200)}",
                "It needs config.json, tokenizer files and *.safetensors weights (save_pretrained).",
            ) from None
        if any("qa_outputs" in key for key in info.get("missing_keys", ())):
            raise VidocError(
                f"{SECTION}: {self.settings.model} has no question-answering head (not fine-tuned for QA).",
                "Fine-tune it on a QA set (e.g. UIT-ViQuAD 2.0) and point reader.model at the result.",
            )
        placement = place(self.settings.device, "reader")  # on a GPU in bf16/fp16: spans barely move
        device = placement.device
        model.to(device=device, dtype=getattr(torch, placement.dtype)).eval()
        limits = [self.settings.max_length, model_token_limit(model.config)]
        by_words = wants_segmentation(self.settings.word_segmented, self.settings.model or "", tokenizer)
        max_length = min(x for x in limits if x)
        return _Loaded(tokenizer, model, device, by_words, max_length, pair_template(tokenizer))

    def _passage_tokens(self, text: str) -> AlignedTokens:
        """A passage's tokens with offsets; segmenting is the slow part, so each passage is done once."""
        tokens = self._tokens.get(text)
        if tokens is None:
            loaded = self._loaded
            tokens = align_tokens(loaded.tokenizer, text, loaded.by_words)
            if len(self._tokens) >= TOKEN_CACHE_PASSAGES:
                self._tokens.pop(next(iter(self._tokens)))
            self._tokens[text] = tokens
        return tokens

    def _question_ids(self, question: str) -> list[int]:
        loaded = self._loaded
        longest = min(MAX_QUESTION_TOKENS, loaded.max_length // 2)  # leave the passage half the window
        return list(align_tokens(loaded.tokenizer, question, loaded.by_words).ids[:longest])

    def _windows(self, question_ids: list[int], passages: list[AlignedTokens]) -> list[_Window]:
        template = self._loaded.template
        budget = self._loaded.max_length - len(question_ids) - template.specials
        stride = min(self.settings.stride, budget // 2)
        windows = []
        for index, tokens in enumerate(passages):
            for first, last in window_bounds(len(tokens), budget, stride):
                ids, offset = template.build(question_ids, list(tokens.ids[first:last]))
                windows.append(_Window(index, first, last, ids, offset))
        return windows

    def _logits(self, windows: list[_Window]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Start and end logits per window, batched and padded."""
        import torch

        loaded = self._loaded
        pad = loaded.tokenizer.pad_token_id if loaded.tokenizer.pad_token_id is not None else 0
        results: list[tuple[np.ndarray, np.ndarray]] = []
        for batch_start in range(0, len(windows), BATCH_WINDOWS):
            batch = windows[batch_start : batch_start + BATCH_WINDOWS]
            width = max(len(w.ids) for w in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            attention = torch.zeros((len(batch), width), dtype=torch.long)
            for row, window in enumerate(batch):
                ids[row, : len(window.ids)] = torch.tensor(window.ids)
                attention[row, : len(window.ids)] = 1
            with torch.inference_mode():
                output = loaded.model(
                    input_ids=ids.to(loaded.device), attention_mask=attention.to(loaded.device)
                )
            starts = output.start_logits.float().cpu().numpy()
            ends = output.end_logits.float().cpu().numpy()
            results.extend((starts[row], ends[row]) for row in range(len(batch)))
        return results

    def _best(
        self,
        windows: list[_Window],
        logits: list[tuple[np.ndarray, np.ndarray]],
        passages: list[AlignedTokens],
    ) -> tuple[_Found | None, float]:
        """The best span over all windows, and the lowest no-answer score among them (SQuAD 2.0)."""
        found: _Found | None = None
        null = float("inf")
        for window, (starts, ends) in zip(windows, logits, strict=True):
            null = min(null, no_answer_score(starts, ends))
            spans = passages[window.passage].spans[window.first : window.last]
            begins = np.array([s[0] for s in spans])
            finishes = np.array([s[1] for s in spans])
            covers_text = finishes[None, :] > begins[:, None]
            span = best_span(
                starts,
                ends,
                window.offset,
                window.offset + len(spans) - 1,
                self.settings.max_answer_tokens,
                covers_text,
            )
            if span is not None and (found is None or span.score > found.span.score):
                found = _Found(window, span)
        return found, null

    def read(self, question: str, passages: Sequence[ScoredPassage]) -> Answer:
        if not passages:
            return Answer(None, 0.0, (), self.model_id)
        tokens = [self._passage_tokens(p.passage.text) for p in passages]
        windows = self._windows(self._question_ids(question), tokens)
        found, null = self._best(windows, self._logits(windows), tokens)
        if found is None:
            return Answer(None, 0.0, (), self.model_id)
        margin = found.span.score - null
        if margin < self.threshold:
            return Answer(None, round(margin, 4), (), self.model_id)
        window = found.window
        spans = tokens[window.passage].spans
        local_start = spans[window.first + found.span.start - window.offset][0]
        local_end = spans[window.first + found.span.end - window.offset][1]
        scored = passages[window.passage]
        citations = cite_answer(scored, (local_start, local_end), passages)
        answer_text = scored.passage.text[local_start:local_end]
        return Answer(answer_text, round(margin, 4), citations, self.model_id)
