"""The small interfaces ``pipeline`` needs from ``models``, and the results they return.

``pipeline`` never imports a concrete model class: ``models.factory`` builds objects that satisfy
these protocols from a config, so the offline default and the ViT5/PhoBERT paths are swappable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from pipeline.splitting import SplitDocument


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised vectors; queries and passages may be embedded differently."""

    model_id: str

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class SummarySentence:
    """A sentence chosen by an extractive summariser, with its offsets in the original text."""

    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Summary:
    """A summary; ``sentences`` is filled by extractive summarisers only."""

    text: str
    model: str
    sentences: tuple[SummarySentence, ...] = field(default=())


@runtime_checkable
class Summariser(Protocol):
    """Summarises split documents; batching is the summariser's business."""

    model_id: str

    def summarise(self, documents: Sequence[SplitDocument]) -> list[Summary]: ...
