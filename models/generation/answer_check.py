"""Check a generated answer against the passages it was generated from.

A generative reader can write numbers and names that are nowhere in the documents. The check is
lexical and strict where hallucinations hurt most: every number must occur in the passages as
written (``20.585`` and ``4/7/2017`` are whole numbers, not pieces; a part of a range or date in
the passages counts, as in ``eval.scoring.metrics.source_numbers``), and every capitalised word (a name)
must occur in them, ignoring case. The score starts from the share of the answer's syllables
found in the passages and is cut for each unsupported number and name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.scoring.metrics import numbers_in, source_numbers
from pipeline.core.lexicon import ANSWER_TOKEN, SYLLABLE
from pipeline.core.textnorm import normalize, normalize_with_offsets

UNSUPPORTED_NUMBER = 0.25
UNSUPPORTED_NAME = 0.5


@dataclass(frozen=True)
class Check:
    """The answer's support in the passages: a score in [0, 1] and what was not found."""

    score: float
    unsupported_numbers: tuple[str, ...]
    unsupported_names: tuple[str, ...]


def _syllables(text: str) -> list[str]:
    return [token.casefold() for token in ANSWER_TOKEN.findall(normalize(text))]


def check_answer(answer: str, passages: Sequence[str]) -> Check:
    """How well ``answer`` is supported by ``passages`` (0 when it says nothing)."""
    syllables = _syllables(answer)
    if not syllables:
        return Check(0.0, (), ())
    context = " ".join(passages)
    known = set(_syllables(context))
    numbers = set(source_numbers(context))
    missing_numbers = tuple(n for n in numbers_in(answer) if n not in numbers)
    names = [word for word in SYLLABLE.findall(normalize(answer)) if word[0].isupper()]
    missing_names = tuple(name for name in names if name.casefold() not in known)
    score = sum(s in known for s in syllables) / len(syllables)
    score *= UNSUPPORTED_NUMBER ** len(missing_numbers) * UNSUPPORTED_NAME ** len(missing_names)
    return Check(round(score, 4), missing_numbers, missing_names)


def find_span(answer: str, passage: str) -> tuple[int, int] | None:
    """Where ``answer`` occurs in ``passage`` (ignoring case, Unicode form and tone placement),
    as offsets into ``passage`` as written; ``None`` when it does not occur."""
    needle = normalize(answer).strip().lower()
    mapped = normalize_with_offsets(passage)
    haystack = mapped.text.lower()
    if not needle or len(haystack) != len(mapped.text):
        return None
    position = haystack.find(needle)
    if position < 0:
        return None
    return mapped.to_original(position, position + len(needle))
