"""Shared by the QA benchmarks: the suites they read and SQuAD-style scores on Vietnamese text.

Suites: the hand-written seed questions (``eval/suites/*.jsonl``, ``kind: qa``) and, when the shared
folder is present, UIT-ViQuAD 2.0 (``../shared/benchmarks/viquad2_dev_sample.jsonl``; never committed).
Answers are compared as normalised syllables (NFC, one tone placement, lowercased, numbers whole), so
"hoà"/"hòa" and NFD/NFC spellings count as the same word and Vietnamese letters are never dropped.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.core.lexical import syllable_tokens  # noqa: E402
from pipeline.core.textnorm import normalize  # noqa: E402

SUITES = ROOT / "eval" / "suites"
VIQUAD = ROOT.parent / "shared" / "benchmarks" / "viquad2_dev_sample.jsonl"
if not VIQUAD.exists():
    VIQUAD = Path("/work/shared/benchmarks/viquad2_dev_sample.jsonl")


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


def suite_items() -> dict[str, list[QAItem]]:
    """The hand-written QA items by suite name, the seed suite first."""
    suites: dict[str, list[QAItem]] = {}
    for item in seed_items():
        suites.setdefault(item.suite, []).append(item)
    return dict(sorted(suites.items(), key=lambda pair: (pair[0] != "seed", pair[0])))


def seed_items() -> list[QAItem]:
    """The hand-written QA items of every bundled suite (empty when none has landed yet)."""
    items: list[QAItem] = []
    for path in sorted(SUITES.glob("*.jsonl")) if SUITES.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if record.get("kind") != "qa":
                continue
            document = ROOT / record["document"]
            items.append(
                QAItem(
                    record["id"],
                    document.read_text(encoding="utf-8"),
                    str(document.relative_to(ROOT)),
                    record["question"],
                    tuple(record.get("answers") or ()),
                    record.get("evidence"),
                    suite=path.stem,
                )
            )
    return items


def viquad_items(limit: int | None = None) -> list[QAItem]:
    """ViQuAD 2.0 rows; the evidence of an answerable row is its first gold answer span."""
    if not VIQUAD.exists():
        return []
    items = []
    for line in VIQUAD.read_text(encoding="utf-8").splitlines()[:limit]:
        row = json.loads(line)
        answers = tuple(row["answers"]["text"]) if not row["is_impossible"] else ()
        evidence = answers[0] if answers else None
        start = row["answers"]["answer_start"][0] if answers else None
        source = f"viquad/{row['id'].rsplit('-', 1)[0]}"  # one source per context paragraph
        items.append(QAItem(row["id"], row["context"], source, row["question"], answers, evidence, start))
    return items


def f1_score(prediction: str | None, answers: tuple[str, ...]) -> float:
    """SQuAD token F1 over normalised syllables; abstaining is right exactly when there is no answer."""
    if not answers or prediction is None:
        return float(not answers and prediction is None)
    predicted = syllable_tokens(prediction)
    best = 0.0
    for answer in answers:
        gold = syllable_tokens(answer)
        common = sum((Counter(predicted) & Counter(gold)).values())
        if common:
            precision, recall = common / len(predicted), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def exact_match(prediction: str | None, answers: tuple[str, ...]) -> float:
    if not answers or prediction is None:
        return float(not answers and prediction is None)
    return float(any(syllable_tokens(prediction) == syllable_tokens(answer) for answer in answers))


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
