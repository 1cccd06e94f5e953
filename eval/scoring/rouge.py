"""ROUGE at the syllable level with a tokenizer that keeps Vietnamese letters.

``rouge_score``'s default tokenizer lowercases and then drops every character outside [a-z0-9],
so "Đảng bộ" becomes "ng b": scores on Vietnamese are meaningless with it. Here a token is a
Unicode word (a syllable), compared after NFC, one tone placement and case folding; numbers such
as 20.585 and dates such as 4/7/2017 stay one token.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pipeline.core.lexicon import TOKEN
from pipeline.core.textnorm import normalize


def tokenize(text: str) -> list[str]:
    """Syllables of ``text``, normalised for matching; punctuation dropped, numbers kept whole."""
    return TOKEN.findall(normalize(text).casefold())


@dataclass(frozen=True)
class RougeScore:
    precision: float
    recall: float
    fmeasure: float


def _score(overlap: int, predicted: int, reference: int) -> RougeScore:
    precision = overlap / predicted if predicted else 0.0
    recall = overlap / reference if reference else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return RougeScore(precision, recall, f)


def _ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def rouge_n_tokens(prediction: list[str], reference: list[str], n: int) -> RougeScore:
    predicted, expected = _ngrams(prediction, n), _ngrams(reference, n)
    overlap = sum((predicted & expected).values())
    return _score(overlap, sum(predicted.values()), sum(expected.values()))


def _lcs_length(a: list[str], b: list[str]) -> int:
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l_tokens(prediction: list[str], reference: list[str]) -> RougeScore:
    return _score(_lcs_length(prediction, reference), len(prediction), len(reference))


def rouge(prediction: str, reference: str) -> dict[str, RougeScore]:
    """ROUGE-1, ROUGE-2 and ROUGE-L (summary-level LCS) of one prediction against one reference."""
    predicted, expected = tokenize(prediction), tokenize(reference)
    return {
        "rouge1": rouge_n_tokens(predicted, expected, 1),
        "rouge2": rouge_n_tokens(predicted, expected, 2),
        "rougeL": rouge_l_tokens(predicted, expected),
    }


def best_rouge(prediction: str, references: list[str]) -> dict[str, RougeScore]:
    """Against several references, each ROUGE variant takes the reference that scores best (F)."""
    if not references:
        raise ValueError("ROUGE needs at least one reference")
    scored = [rouge(prediction, reference) for reference in references]
    return {key: max((s[key] for s in scored), key=lambda r: r.fmeasure) for key in scored[0]}
