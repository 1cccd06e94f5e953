"""``reader.kind: phobert``: extractive QA with any fine-tuned ``AutoModelForQuestionAnswering`` checkpoint.

PhoBERT (word-segmented input, a slow tokenizer aligned by ``models/inputs/phobert_alignment.py``), XLM-R
and BERT readers (fast tokenizers with offsets), or one trained by ``vidoc train reader``. Windows, the
best span and abstention are :class:`models.span_readers.span_reader.SpanReader`'s; this module loads the
checkpoint with transformers and computes logits with torch. Nothing heavy happens at construction: torch,
transformers and the weights load on the first question (or ``warm_up``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models.inputs.phobert_alignment import AlignedTokens, align_tokens
from models.inputs.qa_inputs import PairTemplate, pair_template
from models.inputs.token_limits import model_token_limit
from models.inputs.word_segmentation import wants_segmentation
from models.loading.locate import locate_model, parse_model
from models.span_readers.span_reader import Logits, SpanReader
from pipeline.core.config import ReaderConfig
from pipeline.core.errors import VidocError, first_line

SECTION = "reader.model"
BATCH_WINDOWS = 16
DEFAULT_THRESHOLD = 0.0  # the plain SQuAD 2.0 rule: answer when the best span beats no-answer


@dataclass
class TransformersBackend:
    """A QA checkpoint on torch: tokens with offsets and batched, padded logits."""

    tokenizer: Any
    model: Any
    device: str
    by_words: bool
    max_length: int
    template: PairTemplate

    def tokens(self, text: str) -> AlignedTokens:
        return align_tokens(self.tokenizer, text, self.by_words)

    def logits(self, inputs: list[list[int]]) -> list[Logits]:
        import torch

        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        results: list[Logits] = []
        for batch_start in range(0, len(inputs), BATCH_WINDOWS):
            batch = inputs[batch_start : batch_start + BATCH_WINDOWS]
            width = max(len(ids) for ids in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            attention = torch.zeros((len(batch), width), dtype=torch.long)
            for row, window in enumerate(batch):
                ids[row, : len(window)] = torch.tensor(window)
                attention[row, : len(window)] = 1
            with torch.inference_mode():
                output = self.model(input_ids=ids.to(self.device), attention_mask=attention.to(self.device))
            starts = output.start_logits.float().cpu().numpy()
            ends = output.end_logits.float().cpu().numpy()
            results.extend((np.asarray(starts[row]), np.asarray(ends[row])) for row in range(len(batch)))
        return results


def load_transformers_backend(settings: ReaderConfig) -> TransformersBackend:
    folder = locate_model(settings.model or "", SECTION)
    from models.loading.devices import place
    from models.loading.extras import quiet_transformers, require_models_extra

    require_models_extra("reader", "phobert")
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    quiet_transformers()
    trust = settings.trust_remote_code
    from models.loading.state_dicts import has_only_pickled_weights, model_from_state_dict

    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=trust)
        if has_only_pickled_weights(folder):
            model, info = model_from_state_dict(AutoModelForQuestionAnswering, folder, SECTION, trust)
        else:
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
            f"{SECTION}: {settings.model} has no question-answering head (not fine-tuned for QA).",
            "Fine-tune it on a QA set (vidoc train reader) and point reader.model at the result.",
        )
    placement = place(settings.device, "reader")  # on a GPU in bf16/fp16: spans barely move
    model.to(device=placement.device, dtype=getattr(torch, placement.dtype)).eval()
    limits = [settings.max_length, model_token_limit(model.config)]
    by_words = wants_segmentation(settings.word_segmented, settings.model or "", tokenizer)
    max_length = min(x for x in limits if x)
    return TransformersBackend(
        tokenizer, model, placement.device, by_words, max_length, pair_template(tokenizer)
    )


class PhoBERTReader(SpanReader):
    """Span reader over any ``AutoModelForQuestionAnswering`` checkpoint, loaded on first use."""

    def __init__(self, settings: ReaderConfig) -> None:
        if not settings.model:
            raise VidocError(
                "reader.model: kind 'phobert' needs a question-answering checkpoint.",
                "Set reader.model to a fine-tuned QA folder or hub id (configs/phobert.yaml explains).",
            )
        spec = parse_model(settings.model)
        model_id = str(spec.local_dir) if spec.local_dir is not None else str(spec.hub_id)
        threshold = DEFAULT_THRESHOLD if settings.threshold is None else settings.threshold
        super().__init__(settings, model_id, threshold, lambda: load_transformers_backend(settings))
