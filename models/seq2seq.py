"""Text-to-text generation shared by the ViT5 summariser and reader, over two backends.

The tokenizer always comes from the Hugging Face model directory (so both backends see the same
token ids); only the decoder loop differs: ``transformers`` (``TransformersGenerator``, here) or
CTranslate2 (``models.ct2_backend``). Nothing is loaded when a generator is built: the tokenizer on
first use, the weights on first generation, each once. Inputs are sorted by length and cut into
batches of ``batch_size`` so that padding (wasted work) stays small, then put back in order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.devices import Placement, place
from models.locate import locate_model
from pipeline.errors import VidocError, first_line


@dataclass(frozen=True)
class GenerationOptions:
    """How to decode. ``min_new_tokens`` exists for benchmarks that need equal work per backend."""

    num_beams: int = 4
    max_new_tokens: int = 256
    no_repeat_ngram_size: int = 0
    batch_size: int = 8
    max_input_tokens: int = 1024
    min_new_tokens: int = 0


def quiet_transformers() -> None:
    """No "Loading weights" progress bars on stderr: vidoc's stderr is for messages a user acts on."""
    from transformers.utils import logging

    logging.disable_progress_bar()


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


class TransformersGenerator(Generator):
    """``AutoModelForSeq2SeqLM`` from safetensors, in ``torch.inference_mode``, on the placed device."""

    backend = "transformers"

    def __init__(
        self, model: str, section: str, device: str = "auto", trust_remote_code: bool = False
    ) -> None:
        super().__init__(model, section, device, trust_remote_code)
        self._model: Any = None
        self._placement: Placement | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> Any:
        if self._model is None:
            import torch
            from transformers import AutoModelForSeq2SeqLM

            quiet_transformers()
            self._placement = place(self.device, self.section)
            try:
                model = AutoModelForSeq2SeqLM.from_pretrained(
                    str(self.model_dir),
                    use_safetensors=True,
                    dtype=getattr(torch, self._placement.dtype),
                    trust_remote_code=self.trust_remote_code,
                )
            except (OSError, ValueError) as error:
                raise VidocError(
                    f"{self.section}.model: cannot load {self.model_dir} ({first_line(error, 160)}).",
                    "vidoc loads safetensors weights only; re-save the model with save_pretrained.",
                ) from None
            self._model = model.to(self._placement.device).eval()
        return self._model

    def _generate_kwargs(self, options: GenerationOptions) -> dict[str, Any]:
        return {
            "num_beams": options.num_beams,
            "max_new_tokens": options.max_new_tokens,
            "min_new_tokens": options.min_new_tokens or None,
            "no_repeat_ngram_size": options.no_repeat_ngram_size,
            "do_sample": False,
            "max_length": None,
        }

    def generate_ids(self, batch: list[list[int]], options: GenerationOptions) -> list[list[int]]:
        import torch

        model = self.model
        padded = self.tokenizer.pad({"input_ids": batch}, return_tensors="pt")
        device = model.device
        with torch.inference_mode():
            output = model.generate(
                input_ids=padded["input_ids"].to(device),
                attention_mask=padded["attention_mask"].to(device),
                **self._generate_kwargs(options),
            )
        return [row.tolist() for row in output.cpu()]

    def stream(self, text: str, options: GenerationOptions, on_text: Callable[[str], None]) -> str:
        if options.num_beams > 1:
            (whole,) = self.generate([text], options)
            on_text(whole)
            return whole
        import torch
        from transformers.generation.streamers import BaseStreamer

        decoder = IncrementalDecoder(self.tokenizer, on_text)

        class _Streamer(BaseStreamer):
            def put(self, value: Any) -> None:
                decoder.add(value.reshape(-1).tolist())

            def end(self) -> None:
                decoder.finish()

        (ids,) = self.encode([text], options.max_input_tokens)
        model = self.model
        with torch.inference_mode():
            model.generate(
                input_ids=torch.tensor([ids], device=model.device),
                streamer=_Streamer(),
                **self._generate_kwargs(options),
            )
        return decoder.emitted.strip()


def build_generator(
    model: str | None,
    section: str,
    backend: str,
    device: str = "auto",
    compute_type: str | None = None,
    trust_remote_code: bool = False,
) -> Generator:
    """The configured backend for ``model`` (a preset name, hub id or local directory)."""
    if not model:
        raise VidocError(
            f"{section}.model is not set.",
            f"Set {section}.model to a preset (vit5-base), a hub id or a local directory.",
        )
    from models.extras import require_models_extra

    needed = (
        ("torch", "transformers", "ctranslate2") if backend == "ctranslate2" else ("torch", "transformers")
    )
    require_models_extra(section, f"vit5 ({backend})", needed)
    if backend == "ctranslate2":
        from models.ct2_backend import CT2Generator

        return CT2Generator(model, section, device, compute_type, trust_remote_code)
    return TransformersGenerator(model, section, device, trust_remote_code)
