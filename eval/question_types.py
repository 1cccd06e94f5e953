"""The kind of question an item asks, from its wording alone: where a reader is weak shows by type.

Kept apart from the readers' own answer typing (``models/rules/answer_types.py``) on purpose: a scorer that
shared the reader's parser would hide the reader's mistakes in it. The question word decides, after
NFC and one tone-mark placement; an item with no reference answer is ``unanswerable`` whatever it asks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.core.textnorm import normalize

QUESTION_TYPES = ("number", "date", "person", "place", "yes/no", "why/how", "phrase", "unanswerable")

# Checked in this order: "năm nào" is a date before "nào" makes it a phrase, "bao nhiêu năm" a number.
_PATTERNS = (
    (
        "date",
        r"\b(?:khi nào|bao giờ|lúc nào|hồi nào|thời gian nào|thời điểm nào|ngày nào|tháng nào|năm nào|"
        r"ngày bao nhiêu|ngày mấy|tháng mấy|năm mấy|năm bao nhiêu|mấy giờ|thế kỷ nào|giai đoạn nào)\b",
    ),
    ("number", r"\b(?:bao nhiêu|mấy)\b"),
    ("person", r"(?:^|\s)ai\b|\b(?:người nào|đồng chí nào|ông nào|bà nào)\b"),
    (
        "place",
        r"\b(?:ở đâu|tại đâu|đâu|nơi nào|địa điểm nào|địa chỉ nào|tỉnh nào|thành phố nào|quận nào|"
        r"huyện nào|xã nào|phường nào|nước nào|quốc gia nào|hội trường nào)\b",
    ),
    ("why/how", r"\b(?:vì sao|tại sao|vì lý do gì|lý do|như thế nào|thế nào|bằng cách nào|làm sao|ra sao)\b"),
    ("yes/no", r"\b(?:có phải|phải không|đúng không|hay không|không\s*\?$|chưa\s*\?$)"),
)
_COMPILED = tuple((name, re.compile(pattern)) for name, pattern in _PATTERNS)


def question_type(question: str, references: Sequence[str]) -> str:
    """One of ``QUESTION_TYPES``."""
    if not references:
        return "unanswerable"
    text = normalize(question).casefold().strip()
    for name, pattern in _COMPILED:
        if pattern.search(text):
            return name
    return "phrase"
