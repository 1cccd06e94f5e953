"""Find the passages that answer a question: dense (embeddings), BM25 (lexical) or both fused.

Hybrid search fuses the two rankings by reciprocal rank fusion, ``sum 1 / (rrf_k + rank)``, which needs
no score calibration between cosine similarities and BM25 scores. Ties anywhere are broken by index
position (document order), so the same question always gets the same ranking.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from pipeline.core import lexical
from pipeline.core.config import RetrieverConfig
from pipeline.core.protocols import Embedder, ScoredPassage
from pipeline.core.textnorm import normalize
from pipeline.flow.index import Index

Mode = Literal["hybrid", "dense", "bm25"]
_QUERY_CACHE_SIZE = 256


def rank_order(scores: np.ndarray) -> np.ndarray:
    """Positions sorted by descending score; equal scores keep index order (stable)."""
    return np.argsort(-scores, kind="stable")


def reciprocal_rank_fusion(rankings: list[np.ndarray], size: int, rrf_k: int) -> np.ndarray:
    """Fused score per position; each ranking lists positions best first (it may be partial)."""
    fused = np.zeros(size, dtype=np.float64)
    for ranking in rankings:
        fused[ranking] += 1.0 / (rrf_k + np.arange(1, len(ranking) + 1))
    return fused


class Retriever:
    """Searches one ``Index``; the embedder must be the one the index was built with."""

    def __init__(self, index: Index, embedder: Embedder, settings: RetrieverConfig) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._query_vectors: dict[str, np.ndarray] = {}

    def query_vector(self, question: str) -> np.ndarray:
        """The question's embedding; kept for repeated questions (REPL history, comparing modes)."""
        text = normalize(question)
        if text not in self._query_vectors:
            if len(self._query_vectors) >= _QUERY_CACHE_SIZE:
                self._query_vectors.pop(next(iter(self._query_vectors)))
            self._query_vectors[text] = self.embedder.embed_queries([text])[0]
        return self._query_vectors[text]

    def dense_scores(self, question: str) -> np.ndarray:
        if not len(self.index):
            return np.zeros(0, dtype=np.float32)
        return self.index.vectors @ self.query_vector(question)

    def bm25_scores(self, question: str) -> np.ndarray:
        return self.index.bm25_scores(lexical.tokens(question, self.index.token_kind))

    def scores(self, question: str, mode: Mode | None = None) -> np.ndarray:
        """One score per passage under ``mode`` (default: the configured mode)."""
        mode = mode or self.settings.mode
        if mode == "dense":
            return self.dense_scores(question).astype(np.float64)
        lexical_scores = self.bm25_scores(question)
        if mode == "bm25":
            return lexical_scores.astype(np.float64)
        dense_ranking = rank_order(self.dense_scores(question))
        # Passages sharing no token with the question are not in the BM25 ranking at all.
        bm25_ranking = rank_order(lexical_scores)[: int(np.count_nonzero(lexical_scores > 0))]
        return reciprocal_rank_fusion([dense_ranking, bm25_ranking], len(self.index), self.settings.rrf_k)

    def search(
        self, question: str, top_k: int | None = None, mode: Mode | None = None
    ) -> list[ScoredPassage]:
        """The ``top_k`` best passages, best first."""
        top_k = top_k or self.settings.top_k
        scores = self.scores(question, mode)
        return [
            ScoredPassage(self.index.passages[position], float(scores[position]))
            for position in rank_order(scores)[:top_k]
        ]
