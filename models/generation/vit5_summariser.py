"""Abstractive summaries with ViT5 (``VietAI/vit5-*-vietnews-summarization``), map-reduce for long input.

ViT5 was fine-tuned on ``"vietnews: " + article + " </s>"`` with raw (not word-segmented) text and
at most 1024 input tokens. A document that fits is summarised in one pass. A longer one is cut at
sentence boundaries into chunks that fit (``models.generation.chunking``; nothing is dropped), the chunks of
all documents in the call are summarised together in length-sorted batches, and each document's
chunk summaries, joined, are summarised again until they fit one input, at most ``MAX_ROUNDS`` times.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.generation.chunking import Chunk, Piece, cut_sentence, pack
from models.generation.generator import GenerationOptions, Generator
from models.generation.seq2seq import build_generator
from pipeline.core.config import SummariserConfig
from pipeline.core.protocols import Summary
from pipeline.core.records import SplitDocument

PREFIX = "vietnews: "
SUFFIX = " </s>"
MAX_ROUNDS = 8


def prompt(text: str) -> str:
    """ViT5's summarisation input for ``text``."""
    return f"{PREFIX}{text}{SUFFIX}"


class ViT5Summariser:
    """Summarises split documents with a ViT5 checkpoint through the configured backend."""

    def __init__(self, settings: SummariserConfig, generator: Generator | None = None) -> None:
        self.settings = settings
        self.generator = generator or build_generator(
            settings.model,
            "summariser",
            settings.backend,
            settings.device,
            settings.compute_type,
            trust_remote_code=settings.trust_remote_code,
        )
        self.model_id = str(self.generator.model_dir)
        self.options = GenerationOptions(
            num_beams=settings.num_beams,
            max_new_tokens=settings.max_new_tokens,
            no_repeat_ngram_size=settings.no_repeat_ngram_size,
            batch_size=settings.batch_size,
            max_input_tokens=settings.max_input_tokens,
        )
        self._budget: int | None = None

    def warm_up(self) -> None:
        self.generator.warm_up()

    @property
    def budget(self) -> int:
        """Tokens left for the text in one input, after the prefix, ``</s>`` and a small margin
        (joining sentences with spaces can merge or split a token at the seams)."""
        if self._budget is None:
            overhead = self.generator.count_tokens(prompt(""))
            limit = self.settings.max_input_tokens
            self._budget = max(8, limit - overhead - max(2, limit // 50))
        return self._budget

    def _pieces(self, texts: Sequence[tuple[str, int]]) -> list[Piece]:
        """Every (text, start) as pieces within the budget, in order; the index is the position."""
        if not texts:
            return []
        encoded = self.generator.tokenizer(
            [text for text, _ in texts], add_special_tokens=False, return_offsets_mapping=True
        )
        pieces: list[Piece] = []
        for index, ((text, start), offsets) in enumerate(zip(texts, encoded["offset_mapping"], strict=True)):
            pieces.extend(cut_sentence(index, text, start, [tuple(span) for span in offsets], self.budget))
        return pieces

    def _fits(self, chunk: Chunk) -> list[Chunk]:
        """``chunk``, or its halves, so that each really fits (the piece counts are estimates)."""
        if (
            len(chunk.pieces) == 1
            or self.generator.count_tokens(prompt(chunk.text)) <= self.settings.max_input_tokens
        ):
            return [chunk]
        middle = len(chunk.pieces) // 2
        return self._fits(Chunk(chunk.pieces[:middle])) + self._fits(Chunk(chunk.pieces[middle:]))

    def chunks(self, texts: Sequence[tuple[str, int]]) -> list[Chunk]:
        """Model-sized chunks of consecutive texts (sentences with their offsets)."""
        return [fitted for chunk in pack(self._pieces(texts), self.budget) for fitted in self._fits(chunk)]

    def document_chunks(self, document: SplitDocument) -> list[Chunk]:
        """A document's sentences (headings and table rows included) in model-sized chunks."""
        return self.chunks([(sentence.text, sentence.start) for sentence in document.sentences])

    def summarise(self, documents: Sequence[SplitDocument]) -> list[Summary]:
        pending = {i: self.document_chunks(document) for i, document in enumerate(documents)}
        results: dict[int, str] = {i: "" for i, chunks in pending.items() if not chunks}
        pending = {i: chunks for i, chunks in pending.items() if chunks}
        for round_number in range(1, MAX_ROUNDS + 1):
            if not pending:
                break
            jobs = [(i, chunk) for i, chunks in pending.items() for chunk in chunks]
            outputs = self.generator.generate([prompt(chunk.text) for _, chunk in jobs], self.options)
            per_document: dict[int, list[str]] = {}
            for (i, _), output in zip(jobs, outputs, strict=True):
                per_document.setdefault(i, []).append(output)
            next_round: dict[int, list[Chunk]] = {}
            for i, summaries in per_document.items():
                if len(pending[i]) == 1 or round_number == MAX_ROUNDS:
                    results[i] = " ".join(summary for summary in summaries if summary)
                    continue
                kept = [(summary, 0) for summary in summaries if summary]
                if kept:
                    next_round[i] = self.chunks(kept)
                else:
                    results[i] = ""
            pending = next_round
        return [Summary(results[i], self.model_id) for i in range(len(documents))]
