"""Score extractive summarisers side by side on articles with abstracts (``vidoc train summariser --eval``,
``benchmarks/summariser_quality.py``).

Four systems, all over the same candidate sentences and word budget: ``lead`` (the first sentences that
fit), ``centrality`` (vidoc's TF-IDF centrality + position + MMR), ``learned`` (the trained sentence
scorer + the same MMR) and ``oracle`` (the greedy ROUGE oracle within the budget: a ceiling, it reads
the abstract). ROUGE is syllable-level and Vietnamese-correct (``eval.scoring.rouge``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from eval.scoring.oracle import greedy_oracle
from eval.scoring.rouge import rouge
from models.summarisers.extractive_summariser import ExtractiveSummariser, candidate_sentences
from models.training.summariser_training import Article
from pipeline.core.config import Config
from pipeline.core.records import SplitDocument
from pipeline.flow.summarise import prepare

SYSTEMS = ("lead", "centrality", "learned", "oracle")
METRICS = ("rouge1", "rouge2", "rougeL")


def lead_summary(document: SplitDocument, budget: int) -> str:
    """The first candidate sentences while they fit the budget."""
    chosen, words = [], 0
    for sentence in candidate_sentences(document):
        if words + sentence.words > budget:
            break
        chosen.append(sentence.text)
        words += sentence.words
    return " ".join(chosen)


def oracle_summary(document: SplitDocument, reference: str, budget: int) -> str:
    candidates = candidate_sentences(document)
    picked = greedy_oracle([s.text for s in candidates], reference, budget, [s.words for s in candidates])
    return " ".join(candidates[i].text for i in sorted(picked))


@dataclass
class SystemScores:
    """Per system: one value per article for each metric, and the seconds it spent summarising."""

    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, system: str, summary: str, reference: str, seconds: float) -> None:
        scores = rouge(summary, reference)
        by_metric = self.values.setdefault(system, {metric: [] for metric in METRICS})
        for metric in METRICS:
            by_metric[metric].append(scores[metric].fmeasure)
        self.seconds[system] = self.seconds.get(system, 0.0) + seconds

    def mean(self, system: str, metric: str) -> float:
        values = self.values[system][metric]
        return sum(values) / len(values) if values else 0.0


def score_systems(
    articles: Sequence[Article],
    budget: int,
    config: Config | None = None,
    systems: Sequence[str] = SYSTEMS,
    with_title: bool = True,
) -> SystemScores:
    """ROUGE F of each system's summary of each article at ``budget`` words, and summarising time
    (cleaning and splitting, shared by all, are not counted)."""
    config = config or Config()
    summarisers = {
        scoring: ExtractiveSummariser(config.summariser.model_copy(update={"scoring": scoring}), None)
        for scoring in ("centrality", "learned")
        if scoring in systems
    }
    scores = SystemScores()
    for article in articles:
        document = prepare(article.document(with_title), config)
        for system in systems:
            began = time.perf_counter()
            if system == "lead":
                summary = lead_summary(document, budget)
            elif system == "oracle":
                summary = oracle_summary(document, article.summary, budget)
            else:
                summary = summarisers[system].summarise_one(document, budget).text
            scores.add(system, summary, article.summary, time.perf_counter() - began)
    return scores
