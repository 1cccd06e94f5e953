"""Where an answer span starts and ends: noun phrases, names, lists, the question's head noun.

The reader proposes spans from several sources (typed spans, phrase runs, slots); these helpers move
their edges so that the answer is the phrase a person would quote: "các đơn vị chức năng" without the
verb before it, "Bệnh viện Đa khoa Thuỷ Tiên" with its head noun and without the verb after it, the
whole list "Thành uỷ, HĐND, UBND TP" for a plural question. All work on underthesea's words located in
the sentence (``tagged_tokens``), never on segmented output.
"""

from __future__ import annotations

import re

from models.rules.answer_types import Token, capitalised_end, tagged_tokens
from models.rules.reader_question import Question
from models.rules.weights import WEIGHTS
from pipeline.core.lexicon import TOKEN

FUNCTION_POS = frozenset({"E", "C", "CC", "CH", "T", "R", "L", "P"})  # prepositions, conjunctions, ...
_TRAILING_POS = frozenset({"V", "R", "A"})
# Between two listed names: a comma, "và" or a semicolon, after at most two lowercase words that end the
# first name ("UBND tỉnh, Sở Giáo dục").
_LIST_JOINER = re.compile(r"((?:\s+\w+){0,2}?)(?:\s*,\s*|\s+và\s+|\s*;\s*)")


def starts_noun_phrase(tokens: tuple[Token, ...], index: int) -> bool:
    """A noun, or a plural determiner ("các", "những") before one."""
    if tokens[index].pos.startswith("N"):
        return True
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return tokens[index].pos == "L" and following is not None and following.pos.startswith("N")


def name_end(sentence: str, start: int, end: int) -> int:
    """A span that runs from a name into the verb after it ends with the name: "Bệnh viện Đa khoa Thuỷ
    Tiên [tổ chức]", "Đoàn Nghệ thuật Chèo Thanh Hoá [sẽ biểu diễn]"."""
    tokens = [t for t in tagged_tokens(sentence) if start <= t.start and t.end <= end]
    for index in range(len(tokens) - 1, 0, -1):
        if sentence[tokens[index - 1].start].isupper():
            tail = tokens[index:]
            if all(t.pos in _TRAILING_POS or t.pos in FUNCTION_POS for t in tail):
                return capitalised_end(sentence, tokens[index - 1])
            return end
    return end


def with_head(question: Question, sentence: str, start: int) -> int:
    """Start the span at the question's head noun when the sentence makes it part of the answer's name:
    "Bệnh viện nào ...?" → "Bệnh viện Đa khoa Thuỷ Tiên", "Đoàn nghệ thuật nào" → "Đoàn Nghệ thuật Chèo
    Thanh Hoá" (the capitalised words before the head belong to the name too)."""
    before = list(TOKEN.finditer(sentence, 0, start))
    head = before[-len(question.head) :]
    if (
        len(head) < len(question.head)
        or sentence[head[-1].end() : start].strip()
        or tuple(m.group().lower() for m in head) != question.head
        or not head[0].group()[0].isupper()
    ):
        return start
    first = len(before) - len(head)
    while (
        first > 0
        and before[first - 1].group()[0].isupper()
        and not sentence[before[first - 1].end() : before[first].start()].strip()
    ):
        first -= 1
    return before[first].start()


def coordinated(sentence: str, spans: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Names listed together answer a plural question whole: "Thành uỷ, HĐND, UBND TP".

    The items are the candidate names (capitalised, without a comma inside; the longest at each start),
    chained while a comma, "và" or a semicolon joins one to the next.
    """
    names: dict[int, tuple[int, float]] = {}
    for start, end, bonus in spans:
        text = sentence[start:end]
        if text[:1].isupper() and "," not in text and (start not in names or names[start][0] < end):
            names[start] = (end, bonus)
    ordered = sorted(names.items())
    merged = []
    for index, (start, (end, bonus)) in enumerate(ordered):
        last, items = end, 1
        for next_start, (next_end, _) in ordered[index + 1 :]:
            if next_start < last:
                continue
            joiner = _LIST_JOINER.fullmatch(sentence[last:next_start])
            if not joiner or any(word[0].isupper() for word in joiner.group(1).split()):
                break
            last, items = next_end, items + 1
        if items > 1:
            merged.append((start, last, bonus + WEIGHTS.list_item * (items - 1)))
    return merged


def noun_phrase_start(sentence: str, start: int, end: int) -> int | None:
    """The first place in ``sentence[start:end]`` where a name or a noun phrase starts (by underthesea's
    words, and only at a word's start); None when the span holds none."""
    tokens = tagged_tokens(sentence)
    for index, token in enumerate(tokens):
        if token.start < start:
            continue
        if token.start >= end:
            break
        if sentence[token.start].isupper() or starts_noun_phrase(tokens, index):
            return token.start
    return None


def trim_question_words(question: Question, sentence: str, start: int, end: int) -> tuple[int, int]:
    """Drop the question's own words from a name's edges: "Trưởng ban ... Vũ Đức Bảo" → "Vũ Đức Bảo"."""
    syllables = [m for m in TOKEN.finditer(sentence, start, end)]
    while syllables and syllables[0].group().lower() in question.content:
        syllables.pop(0)
    while syllables and syllables[-1].group().lower() in question.content:
        syllables.pop()
    if not syllables:
        return start, start
    return syllables[0].start(), syllables[-1].end()
