"""The offline default summariser: pick the document's most central sentences within a word budget.

Score = centrality (how much a sentence shares with the rest: e5 embeddings, TF-IDF over
syllables, or both averaged) blended with a position prior (news puts its facts first); then MMR
picks sentences greedily, trading score against overlap with what is already chosen, until the
word budget is spent. Sentences come out in document order. Headings, table rows and very short
lines are never candidates, and cleaning already removed the page furniture.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from pipeline.config import SummariserConfig
from pipeline.protocols import Embedder, Summary, SummarySentence
from pipeline.splitting import Sentence, SplitDocument

_SYLLABLE = re.compile(r"\w+")
_MIN_WORDS = 6
_NEAR_DUPLICATE = 0.85  # similarity above which a sentence only repeats one already chosen


def syllables(text: str) -> list[str]:
    """Lower-cased syllables (and numbers such as 20.585 kept whole) for TF-IDF."""
    return [token.casefold() for token in re.findall(r"\d+(?:[.,/-]\d+)*|\w+", text)]


def tfidf_matrix(texts: Sequence[str]) -> np.ndarray:
    """Row-normalised TF-IDF vectors (sublinear tf, smoothed idf) over syllables."""
    token_lists = [syllables(text) for text in texts]
    vocabulary: dict[str, int] = {}
    for tokens in token_lists:
        for token in tokens:
            vocabulary.setdefault(token, len(vocabulary))
    matrix = np.zeros((len(texts), max(len(vocabulary), 1)), dtype=np.float32)
    for row, tokens in enumerate(token_lists):
        for token, count in Counter(tokens).items():
            matrix[row, vocabulary[token]] = 1.0 + math.log(count)
    document_frequency = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(texts)) / (1 + document_frequency)) + 1.0
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _stretch(similarity: np.ndarray) -> np.ndarray:
    """Spread off-diagonal similarities over [0, 1]: e5 cosines of same-topic text all sit near 0.8."""
    if similarity.shape[0] < 2:
        return similarity
    off_diagonal = similarity[~np.eye(similarity.shape[0], dtype=bool)]
    low, high = float(off_diagonal.min()), float(off_diagonal.max())
    stretched = (similarity - low) / max(high - low, 1e-6)
    return np.clip(stretched, 0.0, 1.0)


def _centrality(similarity: np.ndarray) -> np.ndarray:
    """Mean similarity of each sentence to the others, rescaled to [0, 1]."""
    count = similarity.shape[0]
    if count == 1:
        return np.ones(1, dtype=np.float32)
    scores = (similarity.sum(axis=1) - np.diag(similarity)) / (count - 1)
    spread = scores.max() - scores.min()
    return (scores - scores.min()) / spread if spread > 1e-9 else np.ones_like(scores)


class ExtractiveSummariser:
    """Centrality + position + MMR sentence selection; deterministic for a given config."""

    def __init__(self, settings: SummariserConfig, embedder: Embedder | None) -> None:
        if settings.centrality in ("embedding", "both") and embedder is None:
            raise ValueError("centrality needs an embedder")
        self.settings = settings
        self.embedder = embedder
        uses_embedder = embedder is not None and settings.centrality != "tfidf"
        self.model_id = f"extractive/{settings.centrality}" + (
            f":{embedder.model_id}" if uses_embedder else ""
        )

    def summarise(self, documents: Sequence[SplitDocument]) -> list[Summary]:
        return [self.summarise_one(document) for document in documents]

    def _similarities(self, candidates: list[Sentence]) -> tuple[np.ndarray, np.ndarray]:
        """(similarity used for scoring, lexical similarity used to spot near-duplicates)."""
        texts = [sentence.norm for sentence in candidates]
        lexical_vectors = tfidf_matrix(texts)
        lexical = lexical_vectors @ lexical_vectors.T
        if self.settings.centrality == "tfidf":
            return lexical, lexical
        assert self.embedder is not None
        vectors = self.embedder.embed_passages(texts)
        semantic = _stretch(vectors @ vectors.T)
        if self.settings.centrality == "embedding":
            return semantic, lexical
        return (semantic + lexical) / 2.0, lexical

    def summarise_one(self, document: SplitDocument, max_words: int | None = None) -> Summary:
        budget = max_words or self.settings.max_words
        candidates = [s for s in document.sentences if s.kind in ("body", "list") and s.words >= _MIN_WORDS]
        if not candidates:  # a document of headings or fragments: fall back to whatever it has
            candidates = [s for s in document.sentences if s.kind != "table"] or list(document.sentences)
        if not candidates:
            return Summary(text="", model=self.model_id)
        similarity, lexical = self._similarities(candidates)
        position = 1.0 - np.arange(len(candidates), dtype=np.float32) / len(candidates)
        weight = self.settings.position_weight / (1.0 + self.settings.position_weight)
        relevance = (1.0 - weight) * _centrality(similarity) + weight * position
        chosen = self._select(candidates, similarity, lexical, relevance, budget)
        if not chosen:  # even the best sentence is over budget: cut it at the budget
            best = int(np.argmax(relevance))
            return self._truncated(candidates[best], float(relevance[best]), budget)
        picked = sorted(chosen)
        sentences = tuple(
            SummarySentence(
                candidates[i].text, candidates[i].start, candidates[i].end, round(float(relevance[i]), 4)
            )
            for i in picked
        )
        return Summary(" ".join(s.text for s in sentences), self.model_id, sentences)

    def _select(
        self,
        candidates: list[Sentence],
        similarity: np.ndarray,
        lexical: np.ndarray,
        relevance: np.ndarray,
        budget: int,
    ) -> list[int]:
        trade_off = self.settings.redundancy
        chosen: list[int] = []
        used = 0
        remaining = set(range(len(candidates)))
        while remaining:
            overlap = {i: max((similarity[i, j] for j in chosen), default=0.0) for i in remaining}
            best = max(
                remaining, key=lambda i: (trade_off * relevance[i] - (1.0 - trade_off) * overlap[i], -i)
            )
            remaining.discard(best)
            repeats = max((lexical[best, j] for j in chosen), default=0.0) > _NEAR_DUPLICATE
            if used + candidates[best].words > budget or repeats:
                continue
            chosen.append(best)
            used += candidates[best].words
        return chosen

    def _truncated(self, sentence: Sentence, score: float, budget: int) -> Summary:
        words = list(_SYLLABLE.finditer(sentence.text))
        end = sentence.start + words[budget - 1].end() if len(words) > budget else sentence.end
        text = sentence.text[: end - sentence.start]
        return Summary(
            text + " …", self.model_id, (SummarySentence(text, sentence.start, end, round(score, 4)),)
        )
