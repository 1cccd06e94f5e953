"""Shared by the QA benchmarks: the suites they read and SQuAD-style scores on Vietnamese text.

Suites come through eval's own loaders: the hand-written QA items of every bundled suite
(``eval.suites``) and, when ``$VIDOC_BENCHMARKS`` names the folder that has it, UIT-ViQuAD 2.0
(``eval.benchmarks``; never committed). EM/F1 are ``eval.scoring.metrics.exact_match_f1``: normalised
syllables (NFC, one tone placement, case-folded, numbers whole), so "hoà"/"hòa" and NFD/NFC spellings
count as the same word and Vietnamese letters are never dropped.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval import suites  # noqa: E402
from eval.benchmarks import BenchmarkUnavailable, load_benchmark  # noqa: E402
from eval.scoring.metrics import exact_match_f1  # noqa: E402
from pipeline.core.lexical import syllable_tokens  # noqa: E402
from pipeline.core.textnorm import normalize  # noqa: E402


@dataclass(frozen=True)
class QAItem:
    """One question about one document: gold answers (empty = unanswerable) and the evidence quote."""

    id: str
    document: str  # the document's text
    source: str
    question: str
    answers: tuple[str, ...]
    evidence: str | None
    answer_start: int | None = None  # ViQuAD: where the first gold answer starts in ``document``
    suite: str = ""


def _flat(item: suites.QAItem, suite: str, source: str, answer_start: int | None = None) -> QAItem:
    return QAItem(
        item.id,
        item.document.text,
        source,
        item.question,
        item.answers,
        item.evidence,
        answer_start,
        suite,
    )


def suite_items() -> dict[str, list[QAItem]]:
    """The hand-written QA items by suite name, the seed suite first."""
    grouped: dict[str, list[QAItem]] = {}
    for item in seed_items():
        grouped.setdefault(item.suite, []).append(item)
    return dict(sorted(grouped.items(), key=lambda pair: (pair[0] != "seed", pair[0])))


def _relative(source: str) -> str:
    path = Path(source).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else source


def seed_items() -> list[QAItem]:
    """The hand-written QA items of every bundled suite, read by ``eval.suites.load_suite``."""
    items: list[QAItem] = []
    for path in suites.bundled_suite_paths():
        suite = suites.load_suite(path)
        for item in suite.items:
            if isinstance(item, suites.QAItem):
                items.append(_flat(item, suite.name, _relative(item.document.source)))
    return items


def viquad_items(limit: int | None = None) -> list[QAItem]:
    """ViQuAD 2.0 rows (``eval.benchmarks``); an answerable row's evidence is its first gold answer span."""
    try:
        suite = load_benchmark("viquad2")
    except BenchmarkUnavailable:
        return []
    items = []
    for item in suite.items[:limit]:
        assert isinstance(item, suites.QAItem)
        start = item.evidence_span[0] if item.evidence_span else None
        items.append(_flat(item, "viquad2", item.document.source, start))
    return items


def f1_score(prediction: str | None, answers: tuple[str, ...]) -> float:
    """SQuAD token F1 (``eval.scoring.metrics``); abstaining is right exactly when there is no answer."""
    return exact_match_f1(prediction, answers)[1]


def exact_match(prediction: str | None, answers: tuple[str, ...]) -> float:
    return exact_match_f1(prediction, answers)[0]


def _squash(text: str) -> str:
    return " ".join(syllable_tokens(text))


def holds_evidence(passage_text: str, evidence: str) -> bool:
    """A passage holds the evidence when it contains the quote, or most of it if the quote spans passages."""
    passage, quote = _squash(passage_text), _squash(evidence)
    if quote in passage:
        return True
    words = quote.split()
    if len(words) < 6:
        return False
    half = len(words) // 2  # a quote cut by a passage boundary: its first or last half is inside
    return " ".join(words[:half]) in passage or " ".join(words[-half:]) in passage


def rank_of_evidence(passages, evidence: str) -> int | None:
    """1-based rank of the first passage holding the evidence, or None."""
    for rank, passage in enumerate(passages, 1):
        if holds_evidence(passage.text, evidence):
            return rank
    return None


def normalized(text: str) -> str:
    return normalize(text)
