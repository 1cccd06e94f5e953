"""What the extractive reader reads out of a question before it looks at any passage.

The answer type, the content words a sentence must say, the unit a number question counts, the name a
title question is about, the head noun of "N nào", whether the answer may be a list: all from the
question's words alone (models/rules/answer_types.py decides the type), so that every passage is scored
against the same parse.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from models.rules.answer_types import (
    QUESTION_WORDS,
    AnswerType,
    answer_type,
    counted_unit,
    subject_unit,
)
from models.rules.person_titles import TEMPLATE_WORDS, person_name
from models.rules.slot_alignment import QuestionFrame, frame
from models.rules.unmentioned import specific_head
from pipeline.core.lexicon import TOKEN
from pipeline.core.textnorm import normalize

_COUNT_FRAMING = frozenset({"số", "lượng"})
_YES_NO_FRAMING = frozenset({"phải", "đúng"})  # "Có phải X là Y không?", "X đúng không?"
_WH_WORDS = frozenset({"gì", "nào", "sao", "đâu", "ai", "bao", "mấy"})
_PERSON_TITLE = re.compile(
    r"\b(?:bí thư|chủ tịch|giám đốc|trưởng|phó|thủ tướng|chủ nhiệm|thủ khoa|á khoa|tác giả|ông|bà)\b"
)


@dataclass(frozen=True)
class Question:
    """A parsed question; see ``parse_question``."""

    text: str
    kind: AnswerType
    content: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    syllables: frozenset[str]
    unit: tuple[str, ...]  # what "bao nhiêu X" counts: a number answers only when X follows it
    preferred_unit: tuple[str, ...]  # "Số X là bao nhiêu?": numbers followed by X are preferred
    after_wh: frozenset[str]  # content syllables after the question word: they follow a phrase answer
    asks_who: bool  # "ai": a person's name, without the title the question already gives
    asks_which: bool  # "X nào": often a named thing
    specific: frozenset[str]  # numbers and capitalised words of the question: the document must have them
    frame: QuestionFrame | None  # the question split around its question word (slot alignment)
    wants_person: bool  # "Chủ tịch tỉnh là ai?": a title and "là ai" ask for a person's name
    person: str | None  # "Ông Vũ Đức Bảo giữ chức vụ gì?": whose title is asked (kind "title")
    head: tuple[str, ...]  # "Bệnh viện nào": the thing asked about, named again before the answer
    plural: bool  # "những cơ quan nào", "những ai": the answer may be a list


def parse_question(question: str) -> Question:
    norm = normalize(question).strip()
    syllables = [s.lower() for s in TOKEN.findall(norm)]
    kind = answer_type(norm)
    unit = tuple(counted_unit(norm)) if kind == "number" else ()
    preferred_unit = tuple(subject_unit(norm)) if kind == "number" and not unit else ()
    # Words that only frame the question, which the answering sentence rarely says: "giữ chức vụ gì"
    # of a title question, the "số" of "Số đảng bộ ... là bao nhiêu?".
    framing = {"title": TEMPLATE_WORDS, "yesno": _YES_NO_FRAMING}.get(
        kind, _COUNT_FRAMING if preferred_unit else frozenset()
    )
    content = frozenset(s for s in syllables if s not in QUESTION_WORDS and s not in framing)
    bigrams = frozenset(
        (a, b) for a, b in itertools.pairwise(syllables) if not (a in QUESTION_WORDS and b in QUESTION_WORDS)
    )
    wh = next((i for i, s in enumerate(syllables) if s in _WH_WORDS), len(syllables))
    after_wh = frozenset(s for s in syllables[wh + 1 :] if s in content) - frozenset(syllables[:wh])
    lowered = norm.lower()
    asks_who = bool(re.search(r"(?:^|\s)ai\b", lowered))
    asks_which = bool(re.search(r"(?<!thế)(?<!\bra)\s+nào\b", lowered))  # not "thế nào": how
    specific = frozenset(
        m.group().lower()
        for m in TOKEN.finditer(norm)
        if m.start() > 0
        and (m.group()[0].isdigit() or m.group()[0].isupper())
        and m.group().lower() in content
    )
    return Question(
        norm,
        kind,
        content,
        bigrams,
        frozenset(syllables),
        unit,
        preferred_unit,
        after_wh,
        asks_who,
        asks_which,
        specific,
        frame(norm),
        asks_who and bool(_PERSON_TITLE.search(lowered)) and bool(re.search(r"\blà ai\b|^ai là\b", lowered)),
        person_name(norm) if kind == "title" else None,
        specific_head(syllables) or (),
        bool(re.search(r"\b(?:những|các)\s+(?:\w+\s+){0,2}(?:nào|ai)\b", lowered)),
    )


def coverage(question: Question, syllables: list[str], topic: frozenset[str] = frozenset()) -> float:
    """How much of the question a piece of text says: content syllables and syllable pairs found.

    ``topic`` (words the retrieved passages share, taken as said everywhere) counts for the syllables,
    not for the pairs: it has no position in the text, so it forms no pair with it or within itself."""
    if not question.content:
        return 0.0
    present = set(syllables) | topic
    unigram = len(question.content & present) / len(question.content)
    if not question.bigrams:
        return unigram
    pairs = set(itertools.pairwise(syllables))
    return 0.65 * unigram + 0.35 * len(question.bigrams & pairs) / len(question.bigrams)
