"""Text-to-text generation shared by the ViT5 summariser and reader, over two backends.

The tokenizer always comes from the Hugging Face model directory (so both backends see the same
token ids); only the decoder loop differs: ``transformers`` (``TransformersGenerator``, here) or
CTranslate2 (``models.generation.ct2_backend``). Nothing is loaded when a generator is built: the tokenizer on
first use, the weights on first generation, each once. Inputs are sorted by length and cut into
batches of ``batch_size`` so that padding (wasted work) stays small, then put back in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.generation.generator import GenerationOptions, Generator, IncrementalDecoder
from models.loading.devices import Placement, place
from models.loading.extras import quiet_transformers
from pipeline.core.errors import VidocError, first_line


class TransformersGenerator(Generator):
    """``AutoModelForSeq2SeqLM`` from safetensors, in ``torch.inference_mode``, on the placed device."""

    backend = "transformers"

    def __init__(
        self, model: str, section: str, device: str = "auto", trust_remote_code: bool = False
    ) -> None:
        super().__init__(model, section, device, trust_remote_code)
        self._model: Any = None
        self._placement: Placement | None = None

    def load(self) -> None:
        _ = self.model

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
    from models.loading.extras import require_models_extra

    needed = (
        ("torch", "transformers", "ctranslate2") if backend == "ctranslate2" else ("torch", "transformers")
    )
    require_models_extra(section, f"vit5 ({backend})", needed)
    if backend == "ctranslate2":
        from models.generation.ct2_backend import CT2Generator

        return CT2Generator(model, section, device, compute_type, trust_remote_code)
    return TransformersGenerator(model, section, device, trust_remote_code)
