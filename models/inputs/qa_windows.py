"""The model-free half of extractive QA: windows over long passages and the best span in a window.

PhoBERT reads 256 tokens at most, question included, so a longer passage is read as overlapping
windows (``stride`` tokens shared, so an answer cut by one window's edge is whole in the next). Each
window gives start and end logits; the best span maximises ``start[i] + end[j]`` with ``i <= j`` and a
bounded length, and the no-answer score is the pair at the ``<s>`` token (SQuAD 2.0 heads).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_QUESTION_TOKENS = 64


def question_budget(max_length: int) -> int:
    """How many question tokens a window of ``max_length`` keeps (the passage gets at least half);
    training (models/training/reader_features.py) and reading cut questions the same way."""
    return min(MAX_QUESTION_TOKENS, max_length // 2)


def window_bounds(length: int, budget: int, stride: int) -> list[tuple[int, int]]:
    """``[start, end)`` token windows of at most ``budget`` tokens covering ``range(length)``.

    Consecutive windows share ``stride`` tokens (less when ``stride >= budget``, which would not move).
    """
    if budget < 1:
        raise ValueError("a window must hold at least one token")
    if length <= budget:
        return [(0, length)]
    step = max(1, budget - stride)
    bounds = []
    start = 0
    while True:
        end = min(length, start + budget)
        bounds.append((start, end))
        if end == length:
            return bounds
        start += step


@dataclass(frozen=True)
class Span:
    """Token positions ``start..end`` (inclusive) of the model input, and ``start + end`` logits."""

    start: int
    end: int
    score: float


def best_span(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    first: int,
    last: int,
    max_tokens: int,
    allowed: np.ndarray | None = None,
) -> Span | None:
    """The highest-scoring span inside positions ``first..last`` of at most ``max_tokens`` tokens.

    ``allowed`` (a boolean ``(n, n)`` mask over the same positions) rules out further pairs, e.g. spans
    that cover no characters. ``None`` when nothing is allowed.
    """
    if last < first:
        return None
    starts = np.asarray(start_logits[first : last + 1], dtype=np.float64)
    ends = np.asarray(end_logits[first : last + 1], dtype=np.float64)
    n = len(starts)
    scores = starts[:, None] + ends[None, :]
    i, j = np.indices((n, n))
    valid = (j >= i) & (j - i < max_tokens)
    if allowed is not None:
        valid &= allowed
    if not valid.any():
        return None
    scores = np.where(valid, scores, -np.inf)
    flat = int(np.argmax(scores))
    row, column = divmod(flat, n)
    return Span(first + row, first + column, float(scores[row, column]))


def no_answer_score(start_logits: np.ndarray, end_logits: np.ndarray) -> float:
    """The SQuAD 2.0 no-answer score: the span that starts and ends at ``<s>`` (position 0)."""
    return float(start_logits[0]) + float(end_logits[0])
