"""The greedy extractive oracle: the sentences that, added one at a time, raise ROUGE most.

It is both the label a learned sentence scorer is trained on (SummaRuNNer's recipe, Nallapati et al.
2017) and the ceiling an extractive summariser is measured against. ROUGE here is syllable-level and
Vietnamese-correct (``eval.scoring.rouge.tokenize``); the gain is ROUGE-1 F plus ROUGE-2 F.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from eval.scoring.rouge import tokenize


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f(overlap: int, predicted: int, reference: int) -> float:
    return 2 * overlap / (predicted + reference) if predicted + reference else 0.0


def greedy_oracle(
    sentences: Sequence[str],
    reference: str,
    max_words: int | None = None,
    lengths: Sequence[int] | None = None,
) -> list[int]:
    """Indices (in the order chosen) of the greedy oracle's sentences: each step adds the sentence with
    the largest gain in ROUGE-1 F + ROUGE-2 F, within ``max_words`` when given (each sentence counted as
    ``lengths`` says, by default its syllables), and it stops when no sentence raises the score."""
    expected = tokenize(reference)
    wanted = (_ngrams(expected, 1), _ngrams(expected, 2))
    sizes = (sum(wanted[0].values()), sum(wanted[1].values()))
    pieces = [tokenize(sentence) for sentence in sentences]
    grams = [(_ngrams(tokens, 1), _ngrams(tokens, 2)) for tokens in pieces]
    sizes_of = list(lengths) if lengths is not None else [len(tokens) for tokens in pieces]
    chosen: list[int] = []
    held: tuple[Counter, Counter] = (Counter(), Counter())
    words = 0
    best_score = 0.0
    while True:
        best: tuple[float, int] | None = None
        for index, (unigrams, bigrams) in enumerate(grams):
            if index in chosen or (max_words is not None and words + sizes_of[index] > max_words):
                continue
            score = 0.0
            for n, new in enumerate((unigrams, bigrams)):
                merged = held[n] + new
                score += _f(sum((merged & wanted[n]).values()), sum(merged.values()), sizes[n])
            if score > best_score + 1e-9 and (best is None or score > best[0]):
                best = (score, index)
        if best is None:
            return chosen
        best_score, index = best
        chosen.append(index)
        held = (held[0] + grams[index][0], held[1] + grams[index][1])
        words += sizes_of[index]
