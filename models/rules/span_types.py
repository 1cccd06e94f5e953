"""Which spans can be an answer of the type the question asks for (``reader.check_type``).

A span model trained on Wikipedia answers a report's "bao nhiêu ...?" with a phrase that holds no number
("Trạm Y tế phường") and "... là ai?" with a date, most often when the report does not say: its no-answer
score misses near-miss questions, but the type of what it proposes gives them away. With the check on,
the reader takes the best span that fits the type the rule reader's ``answer_type`` reads from the
question, and abstains when no span fits:

- ``number`` and ``duration``: the span holds a number (``20.585``, ``27,5%``) or a number word (``hai``);
- ``date``: the span holds a digit (``4/7/2017``, ``năm 2025``);
- ``entity`` (``ai``): the span holds a capitalised syllable (``Nguyễn Tuấn Thanh``, ``UBND``, ``Quận ủy``);
- anything else (``gì``, ``nào``, ``ở đâu``...): every span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from models.rules.answer_types import NUMBER_WORD, answer_type
from pipeline.core.textnorm import normalize

_DIGIT = re.compile(r"\d")
_CAPITALISED = re.compile(r"(?<!\w)[^\W\d_]")  # the first letter of a word


def _has_number(piece: str) -> bool:
    return bool(_DIGIT.search(piece) or NUMBER_WORD.fullmatch(piece.strip()))


def _has_capital(piece: str) -> bool:
    return any(letter.isupper() for letter in _CAPITALISED.findall(piece))


TokenTest = Callable[[str], bool]

_TOKEN_TESTS: dict[str, TokenTest] = {
    "number": _has_number,
    "duration": _has_number,
    "date": lambda piece: bool(_DIGIT.search(piece)),
    "entity": _has_capital,
}


def token_test(question: str) -> TokenTest | None:
    """The test a span's tokens must pass (one of them) for ``question``'s type; None when any span may
    answer it."""
    return _TOKEN_TESTS.get(answer_type(normalize(question)))


def fitting_spans(pieces: Sequence[str], test: TokenTest) -> np.ndarray:
    """``(n, n)`` mask: ``[i, j]`` is True when one of pieces ``i..j`` passes ``test``."""
    passing = np.array([test(piece) for piece in pieces], dtype=np.int64)
    before = np.concatenate(([0], np.cumsum(passing)))  # passing pieces before position k
    return before[None, 1:] - before[:-1, None] > 0
