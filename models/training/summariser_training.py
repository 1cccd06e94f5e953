"""``vidoc train summariser``: learn which sentences belong in a summary from articles and their abstracts.

Each article is cleaned and split exactly as ``vidoc summarize`` does; every candidate sentence gets the
features of ``models.summarisers.sentence_features`` and the label "in the greedy ROUGE oracle"
(syllable-level ROUGE-1 + ROUGE-2 F against the published abstract, ``eval.scoring.oracle``). A
scikit-learn MLP learns the label; its weights go to JSON (``models.summarisers.sentence_scorer``), so the
run-time path needs neither scikit-learn nor a pickle. Some articles are shown without their title
(``title_dropout``) so that the scorer also knows documents that have none, as most reports pasted from
elsewhere do.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.summarisers.extractive_summariser import candidate_sentences
from models.summarisers.sentence_features import FEATURES, sentence_features, title_of
from models.summarisers.sentence_scorer import SentenceScorer
from pipeline.core.config import Config
from pipeline.core.errors import VidocError
from pipeline.core.files import write_atomic
from pipeline.core.records import Document
from pipeline.flow.summarise import prepare


@dataclass(frozen=True)
class Article:
    """One training or validation row: a title, the body text and the published abstract."""

    id: str
    title: str
    text: str
    summary: str

    def document(self, with_title: bool = True) -> Document:
        text = f"{self.title}\n\n{self.text}" if with_title and self.title.strip() else self.text
        return Document(text, f"article:{self.id}")


@dataclass(frozen=True)
class SummariserTrainSettings:
    hidden: int = 0  # 0: a logistic regression (as good as 16-64 hidden units on held-out train articles)
    title_dropout: float = 0.3
    limit: int | None = None
    seed: int = 13


def load_articles(path: Path, limit: int | None = None) -> list[Article]:
    """JSONL rows ``{"id", "title", "text", "summary"}`` (VietNews as converted in ``$VIDOC_DATA``);
    a broken row is one error naming its line."""
    articles: list[Article] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise VidocError(f"{path}: cannot read it ({error}).", "Pass a UTF-8 JSONL file.") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            article = Article(str(row.get("id", number)), row.get("title") or "", row["text"], row["summary"])
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise VidocError(
                f"{path}:{number}: not a row with 'text' and 'summary' ({type(error).__name__}).",
                'Each line must be a JSON object {"id", "title", "text", "summary"}.',
            ) from None
        if article.text.strip() and article.summary.strip():
            articles.append(article)
        if limit and len(articles) >= limit:
            break
    if not articles:
        raise VidocError(f"{path}: holds no article with text and a summary.", "Check the file.")
    return articles


def labelled_sentences(
    articles: Sequence[Article], config: Config, title_dropout: float = 0.0, seed: int = 13
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per article with at least two candidate sentences: (features, oracle labels)."""
    from eval.scoring.oracle import greedy_oracle

    rng = random.Random(seed)
    for article in articles:
        document = prepare(article.document(with_title=rng.random() >= title_dropout), config)
        candidates = candidate_sentences(document)
        if len(candidates) < 2:
            continue
        features = sentence_features(candidates, title_of(document.sentences, candidates[0]))
        chosen = set(greedy_oracle([sentence.text for sentence in candidates], article.summary))
        yield features, np.array([i in chosen for i in range(len(candidates))], dtype=np.int64)


def fit_scorer(features: np.ndarray, labels: np.ndarray, hidden: int, seed: int) -> SentenceScorer:
    """Standardise, fit (an MLP with early stopping, or a logistic regression), and keep the numbers."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    standard = (features - mean) / scale
    if hidden:
        model = MLPClassifier((hidden,), max_iter=300, early_stopping=True, random_state=seed)
        model.fit(standard, labels)
        layers = tuple((w, b) for w, b in zip(model.coefs_, model.intercepts_, strict=True))
    else:
        model = LogisticRegression(max_iter=2000).fit(standard, labels)
        layers = ((model.coef_.T.copy(), model.intercept_.copy()),)
    return SentenceScorer(mean, scale, layers)


def train_summariser(
    train: Sequence[Article], out: Path, settings: SummariserTrainSettings, config: Config | None = None
) -> dict[str, Any]:
    """Fit a scorer on ``train`` and write ``out/scorer.json`` (atomically) with its training record."""
    config = config or Config()
    began = time.perf_counter()
    pairs = list(labelled_sentences(train, config, settings.title_dropout, settings.seed))
    if not pairs:
        raise VidocError("no training article has two candidate sentences.", "Check the training file.")
    features = np.vstack([f for f, _ in pairs])
    labels = np.concatenate([y for _, y in pairs])
    scorer = fit_scorer(features, labels, settings.hidden, settings.seed)
    record = {
        "settings": asdict(settings),
        "articles": len(pairs),
        "sentences": len(labels),
        "oracle_share": round(float(labels.mean()), 4),
        "features": list(FEATURES),
        "seconds": round(time.perf_counter() - began, 1),
    }
    out.mkdir(parents=True, exist_ok=True)
    payload = {**scorer.to_json(), "training": record}
    write_atomic(out / "scorer.json", json.dumps(payload, ensure_ascii=False))
    return record
