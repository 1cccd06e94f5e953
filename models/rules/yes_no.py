"""Yes/no questions: "Quận có tổ chức cơ sở Đảng yếu, kém nào cần củng cố không?".

The answer is whether the sentence that states the question's content negates it. To keep every answer
a slice of the document, a "no" is the negation word of that sentence ("không", "chưa") and a "yes" is
the affirming word the question asks about ("có", "đã", "được") where the sentence has it.
"""

from __future__ import annotations

import re

from models.rules.weights import WEIGHTS
from pipeline.core.lexicon import TOKEN

# "... có ... không?", "... đã ... chưa?", "Có phải ... không?": a verb of affirmation, then the particle
# that closes the question. Questions that also ask for a number, a person, a place or a time are not
# yes/no questions even when they end with "không" ("Có bao nhiêu người không đến?").
_CLOSING = re.compile(r"\b(?:có|đã|được|phải|còn|vẫn)\b.+\b(?:không|chưa)\s*[?.!]*\s*$", re.IGNORECASE)
_OTHER_WH = re.compile(
    r"\b(?:bao nhiêu|mấy|ai|ở đâu|khi nào|bao giờ|tại sao|vì sao|thế nào|bao lâu)\b", re.IGNORECASE
)
# "không chỉ ... mà còn" and "không những" affirm; longest alternatives first.
_NEGATION = re.compile(r"\b(?:chưa hề|không hề|không|chưa|chẳng)\b(?! chỉ\b| những\b)", re.IGNORECASE)
_AFFIRMATION = re.compile(r"\b(?:có|đã|được)\b", re.IGNORECASE)
# The negation must sit inside the part of the sentence that says the question (or just before it).
_LEAD = 3


def is_yes_no(question: str) -> bool:
    """Does ``question`` (normalised) ask for yes or no?"""
    return bool(_CLOSING.search(question)) and not _OTHER_WH.search(question)


def yes_no_span(content: frozenset[str], sentence: str) -> tuple[int, int] | None:
    """The negation or affirmation that answers, as a span of ``sentence``; None when neither is there.

    ``content`` are the question's content syllables (lowercased); the sentence must hold nearly all of
    them, and the stretch from the first to the last of them found is where the statement is.
    """
    matched = [m for m in TOKEN.finditer(sentence) if m.group().lower() in content]
    found = {m.group().lower() for m in matched}
    if not content or len(found) < WEIGHTS.min_stated * len(content):
        return None  # "có ca sốt xuất huyết nào không?" is not answered by a sentence about bạch hầu
    syllables = list(TOKEN.finditer(sentence))
    first = next(i for i, m in enumerate(syllables) if m.start() == matched[0].start())
    region_start = syllables[max(0, first - _LEAD)].start()
    region_end = matched[-1].end()
    negation = _NEGATION.search(sentence, region_start, region_end)
    if negation:
        return negation.span()
    affirmation = _AFFIRMATION.search(sentence, region_start, region_end)
    return affirmation.span() if affirmation else None
