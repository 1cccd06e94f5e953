"""The offline default summariser: pick the document's most central sentences within a word budget.

Score = centrality (how much a sentence shares with the rest: e5 embeddings, TF-IDF over
syllables, or both averaged) blended with a position prior (news puts its facts first); then MMR
picks sentences greedily, trading score against overlap with what is already chosen, until the
word budget is spent. Sentences come out in document order. Headings, table rows and very short
lines are never candidates, and cleaning already removed the page furniture.

Nothing here is quadratic in the number of sentences: TF-IDF is a sparse matrix, centrality (the mean
similarity to the other sentences) is one product with the sum of the vectors, and MMR only ever asks
for the similarities to the few sentences it has chosen. A 50 MB report has some 300,000 sentences; a
dense sentence × sentence matrix of them would need 360 GB.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from models.summarisers.sentence_features import sentence_features, title_of
from models.summarisers.sentence_scorer import SentenceScorer, load_scorer
from models.summarisers.tfidf import mean_to_others, rescaled, tfidf_matrix
from pipeline.core.config import SummariserConfig
from pipeline.core.lexicon import SYLLABLE
from pipeline.core.protocols import Embedder, Summary, SummarySentence
from pipeline.core.records import Sentence, SplitDocument

_MIN_WORDS = 6
_NEAR_DUPLICATE = 0.85  # similarity above which a sentence only repeats one already chosen
_LIST_HEADING_WORDS = 12
_FINAL = re.compile(r"[.!?…:;\"”»)]\s*$")  # what ends a sentence (cleaning's test for a heading)
_DISTRIBUTION = re.compile(r"\s*nơi nhận\s*:", re.IGNORECASE)
_STRETCH_SAMPLE = 2048  # sentences whose pairwise cosines set the stretch of a longer document


def _cosine_range(vectors: np.ndarray) -> tuple[float, float]:
    """(lowest, highest) cosine between two different sentences: exact up to ``_STRETCH_SAMPLE``
    sentences, else on a seeded sample of them, so that the cost stays bounded."""
    if vectors.shape[0] > _STRETCH_SAMPLE:
        rows = np.random.default_rng(0).choice(vectors.shape[0], _STRETCH_SAMPLE, replace=False)
        vectors = vectors[np.sort(rows)]
    block = vectors @ vectors.T
    off_diagonal = block[~np.eye(block.shape[0], dtype=bool)]
    return float(off_diagonal.min()), float(off_diagonal.max())


class _Similarities:
    """Sentence similarities computed on demand: centrality for every sentence, and the column of
    similarities to one sentence for MMR. ``semantic`` cosines are stretched over [0, 1] (e5 cosines of
    same-topic text all sit near 0.8); ``lexical`` TF-IDF cosines also spot near-duplicates."""

    def __init__(self, lexical: sparse.csr_matrix, semantic: np.ndarray | None, mix: str) -> None:
        self.lexical = lexical
        self.semantic = semantic
        self.mix = mix
        self.low, self.high = _cosine_range(semantic) if semantic is not None else (0.0, 1.0)

    def _stretched(self, cosines: np.ndarray) -> np.ndarray:
        return (cosines - self.low) / max(self.high - self.low, 1e-6)

    def centrality(self) -> np.ndarray:
        """Mean similarity of each sentence to the others, rescaled to [0, 1]."""
        if self.lexical.shape[0] == 1:
            return np.ones(1, dtype=np.float32)
        if self.mix == "tfidf" or self.semantic is None:
            return rescaled(mean_to_others(self.lexical))
        semantic = self._stretched(mean_to_others(self.semantic))
        if self.mix == "embedding":
            return rescaled(semantic)
        return rescaled((semantic + mean_to_others(self.lexical)) / 2.0)

    def lexical_to(self, index: int) -> np.ndarray:
        return np.asarray((self.lexical @ self.lexical[index].T).todense()).ravel()

    def scoring_to(self, index: int) -> np.ndarray:
        """Similarity of every sentence to sentence ``index``, as MMR weighs overlap."""
        if self.mix == "tfidf" or self.semantic is None:
            return self.lexical_to(index)
        semantic = np.clip(self._stretched(self.semantic @ self.semantic[index]), 0.0, 1.0)
        if self.mix == "embedding":
            return semantic
        return (semantic + self.lexical_to(index)) / 2.0


def joined(sentences: Sequence[SummarySentence]) -> str:
    """The summary's text: its sentences joined by a space, or by a line break after one that has no
    final punctuation (a title line), so that it does not run into the next sentence."""
    parts: list[str] = []
    for sentence in sentences:
        if parts:
            parts.append(" " if _FINAL.search(parts[-1]) else "\n")
        parts.append(sentence.text)
    return "".join(parts)


def _is_list_heading(sentence: Sentence) -> bool:
    """A numbered section title ("2. Thu, chi ngân sách nhà nước"): a short list line with no final
    punctuation, which says what follows rather than anything a summary should repeat."""
    short = sentence.words <= _LIST_HEADING_WORDS
    return sentence.kind == "list" and short and not _FINAL.search(sentence.text)


def _before_distribution_list(sentences: Sequence[Sentence]) -> Sequence[Sentence]:
    """An official document's text ends where "Nơi nhận:" begins: what follows is who receives a copy
    and who signs, never content."""
    for position, sentence in enumerate(sentences):
        if _DISTRIBUTION.match(sentence.norm):
            return sentences[:position]
    return sentences


def candidate_sentences(document: SplitDocument) -> list[Sentence]:
    """The sentences a summary may take: body and list sentences of at least ``_MIN_WORDS`` words that
    are not section titles, before any distribution list; headings, table rows and fragments only when
    the document has nothing else."""
    content = _before_distribution_list(document.sentences)
    candidates = [
        s for s in content if s.kind in ("body", "list") and s.words >= _MIN_WORDS and not _is_list_heading(s)
    ]
    if not candidates:  # a document of headings or fragments: fall back to whatever it has
        candidates = [s for s in document.sentences if s.kind != "table"] or list(document.sentences)
    return candidates


class ExtractiveSummariser:
    """Centrality + position + MMR sentence selection; deterministic for a given config."""

    def __init__(self, settings: SummariserConfig, embedder: Embedder | None) -> None:
        if settings.centrality in ("embedding", "both") and embedder is None:
            raise ValueError("centrality needs an embedder")
        self.settings = settings
        self.embedder = embedder
        # a few kB of JSON: read now, so that a bad summariser.scorer fails before any document is read
        self.scorer: SentenceScorer | None = (
            load_scorer(settings.scorer) if settings.scoring == "learned" else None
        )
        uses_embedder = embedder is not None and settings.centrality != "tfidf"
        ranking = "learned" if settings.scoring == "learned" else settings.centrality
        self.model_id = f"extractive/{ranking}" + (f":{embedder.model_id}" if uses_embedder else "")

    def warm_up(self) -> None:
        """The embedder, when centrality uses it (the learned scorer was read at construction)."""
        if self.embedder is not None and self.settings.centrality != "tfidf":
            self.embedder.warm_up()

    def summarise(self, documents: Sequence[SplitDocument]) -> list[Summary]:
        return [self.summarise_one(document) for document in documents]

    def _similarities(self, candidates: list[Sentence]) -> _Similarities:
        texts = [sentence.norm for sentence in candidates]
        semantic = None
        if self.settings.centrality != "tfidf":
            assert self.embedder is not None
            semantic = np.asarray(self.embedder.embed_passages(texts), dtype=np.float32)
        return _Similarities(tfidf_matrix(texts), semantic, self.settings.centrality)

    def summarise_one(self, document: SplitDocument, max_words: int | None = None) -> Summary:
        budget = max_words or self.settings.max_words
        candidates = candidate_sentences(document)
        if not candidates:
            return Summary(text="", model=self.model_id)
        similarities = self._similarities(candidates)
        relevance = self._relevance(document, candidates, similarities)
        chosen = self._select(candidates, similarities, relevance, budget)
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
        return Summary(joined(sentences), self.model_id, sentences)

    def _relevance(
        self, document: SplitDocument, candidates: list[Sentence], similarities: _Similarities
    ) -> np.ndarray:
        """Each candidate's worth before redundancy, in [0, 1]: the learned scorer's probability, or
        centrality blended with a position prior."""
        if self.scorer is not None and len(candidates) > 1:
            title = title_of(document.sentences, candidates[0])
            features = sentence_features(candidates, title, similarities.lexical)
            return rescaled(self.scorer.score(features)).astype(np.float32)
        position = 1.0 - np.arange(len(candidates), dtype=np.float32) / len(candidates)
        weight = self.settings.position_weight / (1.0 + self.settings.position_weight)
        return (1.0 - weight) * similarities.centrality() + weight * position

    def _select(
        self, candidates: list[Sentence], similarities: _Similarities, relevance: np.ndarray, budget: int
    ) -> list[int]:
        """MMR: take the best of relevance against overlap with the chosen, while the budget lasts.
        A sentence that no longer fits, or repeats a chosen one, never will again (the chosen set only
        grows), so it leaves the running at once: one pass over the sentences per sentence chosen."""
        trade_off = self.settings.redundancy
        words = np.array([sentence.words for sentence in candidates])
        overlap = np.zeros(len(candidates), dtype=np.float32)
        open_ = words <= budget
        chosen: list[int] = []
        while open_.any():
            score = np.where(open_, trade_off * relevance - (1.0 - trade_off) * overlap, -np.inf)
            best = int(np.argmax(score))  # the first of equal scores: the earliest sentence
            chosen.append(best)
            budget -= int(words[best])
            open_[best] = False
            open_ &= (words <= budget) & (similarities.lexical_to(best) <= _NEAR_DUPLICATE)
            overlap = np.maximum(overlap, similarities.scoring_to(best))
        return chosen

    def _truncated(self, sentence: Sentence, score: float, budget: int) -> Summary:
        words = list(SYLLABLE.finditer(sentence.text))
        end = sentence.start + words[budget - 1].end() if len(words) > budget else sentence.end
        text = sentence.text[: end - sentence.start]
        return Summary(
            text + " …", self.model_id, (SummarySentence(text, sentence.start, end, round(score, 4)),)
        )
