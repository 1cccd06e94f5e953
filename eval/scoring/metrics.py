"""Per-item scores and their aggregates, all Vietnamese-correct.

Every per-item score is a pure function of what ``report.json`` stores for the item (prediction,
references, evidence span, retrieved passage offsets, the numbers of the source), so anyone can
recompute it; aggregates are plain means over the items a metric applies to (``None`` = not
applicable, never a silent zero).

- ROUGE-1/2/L (``rouge1`` ...): syllables, Unicode-aware (``eval.scoring.rouge``), best reference by F.
- ``rouge1_paper`` ...: ``rouge_score``'s default tokenizer, which drops every non-ASCII letter
  ("Đảng bộ" → "ng b"). Only for comparing with published ViT5 figures, which were computed that way.
- ``em``/``f1``: SQuAD-style, max over alternative answers, after NFC, one tone placement, case
  folding and punctuation removal that keeps 20.585 and 4/7/2017 whole. An unanswerable item
  (no reference answers) scores 1 when the prediction is ``None`` (abstention), else 0.
- ``recall@k``/``rr``: does a retrieved passage among the first k cover the evidence span?
- ``numbers``/``numbers_unsupported``: numbers in the prediction, and those absent from the source.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eval.scoring.rouge import best_rouge, tokenize
from pipeline.core.lexicon import ANSWER_NUMBER
from pipeline.core.textnorm import normalize, normalize_with_offsets

RECALL_KS = (1, 3, 5)


# ---------------------------------------------------------------------------------------------- ROUGE
def syllable_rouge(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """ROUGE-1/2/L F-measures at the syllable level, each against its best reference."""
    scores = best_rouge(prediction, list(references))
    return {name: score.fmeasure for name, score in scores.items()}


def paper_rouge(prediction: str, references: Sequence[str]) -> dict[str, float] | None:
    """ROUGE with ``rouge_score``'s default tokenizer (drops Vietnamese letters): paper-compatible only.

    Returns ``None`` when ``rouge_score`` is not installed (``pip install 'vidoc[eval]'``).
    """
    try:
        from rouge_score import rouge_scorer
    except ImportError:
        return None
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)
    best: dict[str, float] = {}
    for reference in references:
        for name, score in scorer.score(reference, prediction).items():
            best[f"{name}_paper"] = max(best.get(f"{name}_paper", 0.0), score.fmeasure)
    return best


# ---------------------------------------------------------------------------------------------- EM/F1
def answer_tokens(text: str) -> list[str]:
    """SQuAD normalisation for Vietnamese: NFC, one tone placement, casefold, no punctuation."""
    return tokenize(text)


def normalize_answer(text: str) -> str:
    return " ".join(answer_tokens(text))


def _token_f1(prediction: list[str], reference: list[str]) -> float:
    if not prediction or not reference:
        return float(prediction == reference)
    common = sum((Counter(prediction) & Counter(reference)).values())
    if not common:
        return 0.0
    precision, recall = common / len(prediction), common / len(reference)
    return 2 * precision * recall / (precision + recall)


def exact_match_f1(prediction: str | None, answers: Sequence[str]) -> tuple[float, float]:
    """(EM, F1), max over the alternatives; with no answers the item asks for an abstention."""
    if not answers:
        return (1.0, 1.0) if prediction is None else (0.0, 0.0)
    if prediction is None:
        return 0.0, 0.0
    predicted = answer_tokens(prediction)
    em = max(float(predicted == answer_tokens(answer)) for answer in answers)
    f1 = max(_token_f1(predicted, answer_tokens(answer)) for answer in answers)
    return em, f1


# ---------------------------------------------------------------------------------------- retrieval
def locate_evidence(document: str, evidence: str) -> tuple[int, int] | None:
    """Find ``evidence`` in ``document``; offsets into the original text, whatever its Unicode form.

    Matching is on the normalised forms (NFC, one tone placement), ignores case and treats any run of
    whitespace as one space, so an NFD document or a quote copied across a line break still matches.
    """
    words = normalize(evidence).split()
    if not words:
        return None
    normalised = normalize_with_offsets(document)
    pattern = r"\s+".join(re.escape(word) for word in words)
    match = re.search(pattern, normalised.text, flags=re.IGNORECASE)
    if match is None:
        return None
    return normalised.to_original(match.start(), match.end())


def covers_evidence(passage: tuple[int, int], evidence: tuple[int, int]) -> bool:
    """A passage counts when it overlaps at least half of the evidence, or lies inside it.

    The bar is half of the shorter of the two spans: a passage that contains the quote passes, a
    passage wholly inside a long quote passes, a passage that only grazes a word of it does not.
    """
    (p_start, p_end), (e_start, e_end) = passage, evidence
    overlap = min(p_end, e_end) - max(p_start, e_start)
    shorter = min(p_end - p_start, e_end - e_start)
    return overlap > 0 and overlap >= 0.5 * shorter


def retrieval_scores(
    retrieved: Sequence[tuple[int, int]], evidence: tuple[int, int] | None
) -> dict[str, float | None]:
    """recall@1/3/5 and the reciprocal rank of the first passage that covers the evidence."""
    if evidence is None:
        return {**{f"recall@{k}": None for k in RECALL_KS}, "rr": None}
    rank = next((i for i, span in enumerate(retrieved, start=1) if covers_evidence(span, evidence)), None)
    scores: dict[str, float | None] = {
        f"recall@{k}": float(rank is not None and rank <= k) for k in RECALL_KS
    }
    scores["rr"] = 1.0 / rank if rank else 0.0
    return scores


# ------------------------------------------------------------------------------------------- numbers
def numbers_in(text: str) -> list[str]:
    """Numbers as written (20.585, 4/7/2017, 3,5), trailing punctuation excluded."""
    return ANSWER_NUMBER.findall(normalize(text))


def source_numbers(text: str) -> list[str]:
    """Numbers a prediction may quote from ``text``: each number as written, plus the parts of ranges
    and dates ("2025-2026" supports 2026, "4/7/2017" supports 2017); never a piece of 20.585 or 3,5."""
    found: set[str] = set()
    for number in numbers_in(text):
        found.add(number)
        found.update(part for part in re.split(r"[-/:]", number) if part)
    return sorted(found)


def unsupported_numbers(prediction: str, source_numbers: Iterable[str]) -> list[str]:
    """Numbers in the prediction that do not occur (as written) anywhere in the source."""
    known = set(source_numbers)
    return [number for number in numbers_in(prediction) if number not in known]


# -------------------------------------------------------------------------------------------- items
def score_summary(
    prediction: str, references: Sequence[str], source_numbers: Iterable[str]
) -> dict[str, Any]:
    scores: dict[str, Any] = dict(syllable_rouge(prediction, references))
    scores.update(paper_rouge(prediction, references) or {})
    scores["numbers"] = len(numbers_in(prediction))
    scores["numbers_unsupported"] = len(unsupported_numbers(prediction, source_numbers))
    return scores


def score_qa(
    prediction: str | None,
    answers: Sequence[str],
    evidence: tuple[int, int] | None,
    retrieved: Sequence[tuple[int, int]],
    source_numbers: Iterable[str],
) -> dict[str, Any]:
    em, f1 = exact_match_f1(prediction, answers)
    scores: dict[str, Any] = {
        "em": em,
        "f1": f1,
        "has_answer": bool(answers),
        "abstained": prediction is None,
    }
    scores.update(retrieval_scores(retrieved, evidence))
    scores["numbers"] = len(numbers_in(prediction or ""))
    scores["numbers_unsupported"] = len(unsupported_numbers(prediction or "", source_numbers))
    return scores


# --------------------------------------------------------------------------------------- aggregates
ROUGE_METRICS = ("rouge1", "rouge2", "rougeL", "rouge1_paper", "rouge2_paper", "rougeL_paper")
MEAN_METRICS = (
    *ROUGE_METRICS,
    "em",
    "f1",
    "HasAns_em",
    "HasAns_f1",
    "HasAns_answered",
    "NoAns_acc",
    *(f"recall@{k}" for k in RECALL_KS),
    "mrr",
)


def metric_values(items: Sequence[Mapping[str, Any]]) -> dict[str, list[float]]:
    """Per mean metric, the per-item values it averages (items it does not apply to left out): one
    definition for the suite means and for their bootstrap intervals."""
    summaries = [item["scores"] for item in items if item["kind"] == "summary"]
    questions = [item["scores"] for item in items if item["kind"] == "qa"]
    answerable = [s for s in questions if s["has_answer"]]
    unanswerable = [s for s in questions if not s["has_answer"]]

    def present(values: Iterable[Any]) -> list[float]:
        return [float(v) for v in values if v is not None]

    values = {name: present(s.get(name) for s in summaries) for name in ROUGE_METRICS}
    values["em"] = present(s["em"] for s in questions)
    values["f1"] = present(s["f1"] for s in questions)
    values["HasAns_em"] = present(s["em"] for s in answerable)
    values["HasAns_f1"] = present(s["f1"] for s in answerable)
    values["HasAns_answered"] = present(not s["abstained"] for s in answerable)
    values["NoAns_acc"] = present(s["em"] for s in unanswerable)
    for k in RECALL_KS:
        values[f"recall@{k}"] = present(s.get(f"recall@{k}") for s in questions)
    values["mrr"] = present(s.get("rr") for s in questions)
    return {name: found for name, found in values.items() if found}


def aggregate(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Suite-level metrics from per-item records (``kind``, ``scores``, ``seconds``).

    A metric with no item it applies to is left out rather than reported as zero.
    """
    summaries = [item["scores"] for item in items if item["kind"] == "summary"]
    questions = [item["scores"] for item in items if item["kind"] == "qa"]
    metrics: dict[str, Any] = {
        "items": len(items),
        "summary_items": len(summaries),
        "qa_items": len(questions),
    }
    values = metric_values(items)
    metrics.update({name: statistics.fmean(values[name]) for name in MEAN_METRICS if name in values})
    scored = summaries + questions
    total_numbers = sum(s["numbers"] for s in scored)
    if total_numbers:
        metrics["number_faithfulness"] = 1.0 - sum(s["numbers_unsupported"] for s in scored) / total_numbers
    seconds = [item["seconds"] for item in items if item.get("seconds") is not None]
    if seconds:
        metrics["seconds_mean"] = statistics.fmean(seconds)
        metrics["seconds_p50"] = statistics.median(seconds)
        metrics["seconds_max"] = max(seconds)
    return metrics
