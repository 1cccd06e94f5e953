"""What every generation backend shares: decoding options, batching by length, streaming text and the
``Generator`` base class (tokenizer from the model folder; subclasses supply the decoder loop).

``models.generation.seq2seq`` (transformers) and ``models.generation.ct2_backend`` (CTranslate2) both build
on this module and never on each other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.loading.locate import locate_model
from pipeline.core.errors import VidocError, first_line


@dataclass(frozen=True)
class GenerationOptions:
    """How to decode. ``min_new_tokens`` exists for benchmarks that need equal work per backend."""

    num_beams: int = 4
    max_new_tokens: int = 256
    no_repeat_ngram_size: int = 0
    batch_size: int = 8
    max_input_tokens: int = 1024
    min_new_tokens: int = 0


def length_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices of the inputs, longest first, in groups of ``batch_size``."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


class IncrementalDecoder:
    """Turns a growing list of token ids into the new text since the last call (for streaming).

    SentencePiece decodes a token differently depending on what precedes it (leading spaces, byte
    pieces), so the whole prefix is decoded each time and only the new tail is handed on.
    """

    def __init__(self, tokenizer: Any, on_text: Callable[[str], None]) -> None:
        self.tokenizer = tokenizer
        self.on_text = on_text
        self.ids: list[int] = []
        self.emitted = ""

    def add(self, ids: Sequence[int]) -> None:
        self.ids.extend(int(i) for i in ids)
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.endswith("\ufffd") or not text.startswith(self.emitted):
            return  # half a multi-byte character, or a re-spaced prefix: wait for more tokens
        if len(text) > len(self.emitted):
            self.on_text(text[len(self.emitted) :])
            self.emitted = text

    def finish(self) -> str:
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.startswith(self.emitted) and len(text) > len(self.emitted):
            self.on_text(text[len(self.emitted) :])
            self.emitted = text
        return text


class Generator(ABC):
    """A seq2seq model behind a tokenizer; subclasses supply the decoder loop."""

    backend = "?"

    def __init__(
        self, model: str, section: str, device: str = "auto", trust_remote_code: bool = False
    ) -> None:
        self.section = section
        self.model_dir: Path = locate_model(model, f"{section}.model")
        self.device = device
        self.trust_remote_code = trust_remote_code
        self._tokenizer: Any = None

    @property
    def tokenizer(self) -> Any:
        """The model directory's tokenizer, loaded on first use."""
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            try:
                self._tokenizer = AutoTokenizer.from_pretrained(
                    str(self.model_dir), trust_remote_code=self.trust_remote_code
                )
            except (OSError, ValueError) as error:
                raise VidocError(
                    f"{self.section}.model: no tokenizer in {self.model_dir} ({first_line(error, 160)}).",
                    "The folder needs tokenizer.json or spiece.model (saved with save_pretrained).",
                ) from None
        return self._tokenizer

    def warm_up(self) -> None:
        """Load the tokenizer and the weights now rather than at the first generation."""
        _ = self.tokenizer
        self.load()

    @abstractmethod
    def load(self) -> None:
        """Load the weights (once)."""

    @property
    @abstractmethod
    def loaded(self) -> bool:
        """Whether the weights are in memory (tests check that building a model loads nothing)."""

    def encode(self, texts: Sequence[str], max_tokens: int | None = None) -> list[list[int]]:
        """Token ids with the tokenizer's special tokens (T5: a final ``</s>``), cut to ``max_tokens``."""
        encoded = self.tokenizer(list(texts), add_special_tokens=True)["input_ids"]
        if max_tokens is None:
            return [list(ids) for ids in encoded]
        return [[*ids[: max_tokens - 1], ids[-1]] if len(ids) > max_tokens else list(ids) for ids in encoded]

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes as model input (special tokens included)."""
        return len(self.encode([text])[0])

    def generate(self, texts: Sequence[str], options: GenerationOptions) -> list[str]:
        """Decode every text; the output order matches the input order."""
        ids = self.encode(texts, options.max_input_tokens)
        outputs: list[str] = [""] * len(ids)
        for batch in length_batches([len(i) for i in ids], options.batch_size):
            generated = self.generate_ids([ids[i] for i in batch], options)
            for index, token_ids in zip(batch, generated, strict=True):
                outputs[index] = self.tokenizer.decode(token_ids, skip_special_tokens=True).strip()
        return outputs

    @abstractmethod
    def generate_ids(self, batch: list[list[int]], options: GenerationOptions) -> list[list[int]]:
        """Output token ids for one batch of input ids."""

    @abstractmethod
    def stream(self, text: str, options: GenerationOptions, on_text: Callable[[str], None]) -> str:
        """Generate for one input, passing new text to ``on_text`` as it comes; return the whole text.

        Greedy decoding (``num_beams == 1``) streams token by token; beam search can only show its
        best hypothesis at the end, so it is passed on in one piece.
        """
