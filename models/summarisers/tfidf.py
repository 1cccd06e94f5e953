"""Sparse TF-IDF over Vietnamese syllables, and the centrality it gives: shared by the extractive
summariser and the learned sentence scorer's features, so both see the same vectors."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from pipeline.core.lexicon import TOKEN


def syllables(text: str) -> list[str]:
    """Lower-cased syllables (and numbers such as 20.585 kept whole) for TF-IDF."""
    return [token.casefold() for token in TOKEN.findall(text)]


def tfidf_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    """Row-normalised TF-IDF vectors (sublinear tf, smoothed idf) over syllables, one sparse row each."""
    vocabulary: dict[str, int] = {}
    columns: list[int] = []
    weights: list[float] = []
    row_starts = [0]
    for text in texts:
        for token, count in Counter(syllables(text)).items():
            columns.append(vocabulary.setdefault(token, len(vocabulary)))
            weights.append(1.0 + math.log(count))
        row_starts.append(len(columns))
    shape = (len(texts), max(len(vocabulary), 1))
    matrix = sparse.csr_matrix(
        (np.asarray(weights, dtype=np.float32), np.asarray(columns, dtype=np.int64), row_starts), shape=shape
    )
    document_frequency = np.bincount(matrix.indices, minlength=shape[1])
    matrix.data *= (np.log((1 + len(texts)) / (1 + document_frequency)) + 1.0).astype(np.float32)[
        matrix.indices
    ]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float32).ravel())
    matrix.data /= np.repeat(np.maximum(norms, 1e-12), np.diff(matrix.indptr))
    return matrix


def mean_to_others(vectors: np.ndarray | sparse.csr_matrix) -> np.ndarray:
    """Each row's mean dot product with the other rows, without forming the row × row matrix."""
    count = vectors.shape[0]
    total = np.asarray(vectors.sum(axis=0)).ravel()
    to_all = np.asarray(vectors @ total).ravel()
    to_self = (
        np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel()
        if sparse.issparse(vectors)
        else (np.einsum("ij,ij->i", vectors, vectors))
    )
    return (to_all - to_self) / (count - 1)


def rescaled(scores: np.ndarray) -> np.ndarray:
    """Scores min-max rescaled to [0, 1] (all ones when they do not differ)."""
    spread = scores.max() - scores.min()
    return (scores - scores.min()) / spread if spread > 1e-9 else np.ones_like(scores)
