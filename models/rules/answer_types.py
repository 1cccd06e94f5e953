"""What kind of answer a Vietnamese question asks for, and the spans of a sentence that could be one.

The question word decides the type: ``bao nhiêu/mấy`` a number (with the unit the question counts),
``ai`` a person or organisation, ``khi nào/ngày nào/năm nào/lúc nào`` a date or time, ``ở đâu/nơi nào`` a
place, anything else (``gì``, ``nào``, ``như thế nào``) a phrase. Candidates are found on the normalised
sentence (NFC, one tone placement, same length as the NFC original) by regexes for numbers and dates and by
underthesea's POS/NER tags for names; every candidate is a ``(start, end)`` span of that text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from models.rules.person_titles import asks_title, person_name
from models.rules.yes_no import is_yes_no
from pipeline.core import vietnamese
from pipeline.core.lexicon import NUMERALS, SYLLABLE, TOKEN, alternatives
from pipeline.core.textnorm import normalize

AnswerType = Literal["number", "date", "entity", "place", "phrase", "frequency", "duration", "yesno", "title"]

_DATE_QUESTION = re.compile(
    r"\b(?:khi nào|bao giờ|lúc nào|hồi nào|thời gian nào|thời điểm nào|ngày nào|tháng nào|năm nào|"
    r"ngày bao nhiêu|ngày mấy|tháng mấy|năm mấy|năm bao nhiêu|thế kỷ nào|thế kỉ nào|giai đoạn nào)\b"
)
_NUMBER_QUESTION = re.compile(r"\b(?:bao nhiêu|mấy)\b")
_COUNTED_FIRST = re.compile(r"(?:tổng\s+)?số(?:\s+lượng)?\s+", re.IGNORECASE)
_PERIOD = r"(?:ngày|tuần|tháng|quý|năm)"
_COUNT_WORD = r"(?:\d+|" + alternatives(NUMERALS) + r"|mười hai)"
_FREQUENCY_QUESTION = re.compile(
    r"\bbao lâu\s+(?:một|1)\s+lần\b|\bmấy\s+lần\s+(?:một|mỗi|trong)\s+" + _PERIOD + r"\b|\btần suất\b"
    r"|\bđịnh kỳ bao lâu\b"
)
_DURATION_QUESTION = re.compile(r"\bbao lâu\b|\btrong thời gian bao nhiêu\b")
FREQUENCY = re.compile(
    r"\b(?:hằng|hàng|mỗi)\s+" + _PERIOD + r"\b"
    r"|\bđịnh kỳ(?:\s+" + _COUNT_WORD + r"\s+" + _PERIOD + r")?(?:\s+(?:một|1)\s+lần)?\b"
    r"|\b" + _COUNT_WORD + r"\s+" + _PERIOD + r"\s+(?:một|1)\s+lần\b"
    r"|\b" + _COUNT_WORD + r"\s+lần\s*(?:/|mỗi|một|trong)\s*" + _PERIOD + r"\b",
    re.IGNORECASE,
)
DURATION = re.compile(
    r"\b(?:\d+(?:[.,]\d+)?|" + alternatives(NUMERALS) + r"|vài|hơn \d+)\s+"
    r"(?:năm|tháng|tuần|ngày|giờ|tiếng|phút|thập kỷ|quý)(?:\s+rưỡi)?\b",
    re.IGNORECASE,
)
_PLACE_QUESTION = re.compile(
    r"\b(?:ở đâu|tại đâu|(?<!do )(?<!từ )đâu|nơi nào|địa điểm nào|địa bàn nào|khu vực nào)\b"
)
_ENTITY_QUESTION = re.compile(
    r"(?:^|[\s,])ai\b(?! cập)|\b(?:người nào|những ai|cơ quan nào|tổ chức nào|đơn vị nào|ông nào|bà nào)\b"
    r"|\btên (?:là )?gì\b"
)
# Words that only shape a question; they are not evidence that a sentence is about it.
QUESTION_WORDS = frozenset(
    [
        "ai",
        "gì",
        "nào",
        "đâu",
        "bao",
        "nhiêu",
        "mấy",
        "khi",
        "giờ",
        "lúc",
        "thế",
        "sao",
        "như",
        "là",
        "có",
        "không",
        "được",
        "của",
        "và",
        "các",
        "những",
        "một",
        "trong",
        "với",
        "cho",
        "thì",
        "đã",
        "sẽ",
        "đang",
        "này",
        "nay",  # "năm nay", "hiện nay": the time of speaking, which statements rarely repeat
        "đó",
        "theo",
        "về",
        "ra",
        "vào",
        "tại",
        "ở",
        "hay",
        "hoặc",
        "bởi",
        "do",
        "nên",
        "mà",
        "để",
        "nhé",
        "ạ",
        "vậy",
        "nơi",
        "điều",
        "việc",
        "cái",
    ]
)

_PART_OF_DAY = r"(?:rạng sáng|sáng|trưa|chiều|tối|đêm)"
DATE = re.compile(
    r"(?:" + _PART_OF_DAY + r"\s+(?:ngày\s+)?)?"
    r"(?:\d{1,2}\s*(?:giờ|h)\s*\d{0,2}(?:\s*phút)?(?:\s+(?:ngày\s+)?\d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?)?"
    r"|\d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?"
    r"|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?"
    r"|tháng\s+\d{1,2}(?:\s*[/-]\s*\d{4}|\s+năm\s+\d{4})?"
    r"|(?:thế kỷ|thế kỉ)\s+[IVXLC\d]+"
    r"|(?<![\d.,])(?:1\d|20)\d{2}(?![\d.,]\d))"
    r"(?![\w/-])",
    re.IGNORECASE,
)
_SCALE = r"(?:\s*%|\s+(?:phần trăm|triệu|tỷ|tỉ|nghìn|ngàn|trăm)\b)*"
NUMBER = re.compile(r"(?<![\w./-])\d+(?:[.,/]\d+)*" + _SCALE + r"(?![\w/-]|[.,]\d)")
NUMBER_WORD = re.compile(
    r"\b(?:" + "|".join((*NUMERALS, "tư", "hàng chục", "hàng trăm", "hàng nghìn")) + r")\b", re.IGNORECASE
)


def answer_type(question: str) -> AnswerType:
    """The expected answer type of a (normalised) question."""
    lowered = question.lower()
    if is_yes_no(lowered):
        return "yesno"
    if asks_title(question, person_name(question)):
        return "title"
    if _FREQUENCY_QUESTION.search(lowered):
        return "frequency"
    if _DURATION_QUESTION.search(lowered):
        return "duration"
    if _DATE_QUESTION.search(lowered):
        return "date"
    if _NUMBER_QUESTION.search(lowered):
        return "number"
    if _ENTITY_QUESTION.search(lowered):
        return "entity"
    if _PLACE_QUESTION.search(lowered):
        return "place"
    return "phrase"


def counted_unit(question: str) -> list[str]:
    """The noun a number question counts: "bao nhiêu đảng viên?" → ["đảng", "viên"].

    It is the run of nouns after ``bao nhiêu``/``mấy`` (the first word is taken whatever its tag, since
    the tagger calls some nouns verbs): "mấy năm thực hiện ..." counts "năm", not "năm thực hiện".
    """
    match = _NUMBER_QUESTION.search(question.lower())
    if not match:
        return []
    return _noun_run(question[match.end() :])


def subject_unit(question: str) -> list[str]:
    """The thing counted when the question names it first: "Số đảng bộ doanh nghiệp ... là bao nhiêu?"
    → ["đảng", "bộ", "doanh", "nghiệp"]. Statements may not repeat it after the number ("Tổng số thí
    sinh đăng ký: 21.480 em"), so it is a preference, not a requirement like ``counted_unit``."""
    match = _COUNTED_FIRST.match(question)
    return _noun_run(question[match.end() :]) if match else []


def _noun_run(text: str) -> list[str]:
    """The syllables of the nouns that open ``text`` (the first word whatever its tag), at most five."""
    unit: list[str] = []
    for position, (word, pos) in enumerate(vietnamese.pos_tag(text)):
        syllables = TOKEN.findall(word.lower())
        if not syllables or any(s in QUESTION_WORDS for s in syllables):
            break
        if position > 0 and not pos.startswith("N"):
            break
        unit.extend(syllables)
        if len(unit) >= 5:
            break
    return unit[:5]


@dataclass(frozen=True)
class Token:
    """An underthesea word located in the sentence text (never taken from segmented output)."""

    start: int
    end: int
    pos: str
    chunk: str  # B-NP, I-NP, B-VP, ... or O
    entity: str  # PER, ORG, LOC, MISC or "" (from the B-/I- tag)


@lru_cache(maxsize=4096)
def tagged_tokens(sentence: str) -> tuple[Token, ...]:
    """underthesea NER/POS tokens of ``sentence`` with their offsets in it (cached: sentences repeat)."""
    tokens: list[Token] = []
    cursor = 0
    for word, pos, chunk, tag in vietnamese.ner(sentence):
        # underthesea moves tone marks to its own placement ("uỷ" → "ủy"); the sentence has ours.
        word = normalize(word)
        position = sentence.find(word, cursor)
        if position < 0:  # the tagger changed the text otherwise; skip the word rather than guess
            continue
        entity = tag.split("-")[-1] if tag != "O" else ""
        tokens.append(Token(position, position + len(word), pos, chunk, entity))
        cursor = position + len(word)
    return tuple(tokens)


def _starts_upper(text: str) -> bool:
    return text[:1].isupper()


def capitalised_end(sentence: str, token: Token) -> int:
    """Where a name's last word ends, without the lowercase syllables the segmenter glued onto it
    ("Thanh Xuân biểu dương" is one word to underthesea)."""
    syllables = list(SYLLABLE.finditer(sentence[token.start : token.end]))
    capitalised = [s.group()[0].isupper() for s in syllables]
    if len(syllables) < 3 or not all(capitalised[:2]):
        return token.end  # "Hội trường", "Chỉ thị": a capitalised common noun, whole
    while not capitalised[-1]:
        capitalised.pop()
        syllables.pop()
    return token.start + syllables[-1].end()


def name_spans(sentence: str, tokens: tuple[Token, ...], wanted: frozenset[str]) -> list[tuple[int, int]]:
    """Runs of capitalised words or proper nouns (``Np``), and NER spans of the ``wanted`` kinds."""
    spans: list[tuple[int, int]] = []
    run: list[Token] = []

    def close() -> None:
        if run:
            sentence_start = run[0].start == tokens[0].start
            if not (sentence_start and len(run) == 1 and run[0].pos != "Np"):
                spans.append((run[0].start, capitalised_end(sentence, run[-1])))
            run.clear()

    for token in tokens:
        word = sentence[token.start : token.end]
        if token.pos == "Np" or (_starts_upper(word) and any(c.isalpha() for c in word)):
            run.append(token)
        else:
            close()
    close()
    entity_run: list[Token] = []
    for token in [*tokens, Token(len(sentence), len(sentence), "", "", "")]:
        if token.entity in wanted and (not entity_run or entity_run[-1].entity == token.entity):
            entity_run.append(token)
            continue
        if entity_run:
            spans.append((entity_run[0].start, entity_run[-1].end))
        entity_run = [token] if token.entity in wanted else []
    return sorted(set(spans))


_YEAR_BEFORE = re.compile(r"\b(?:năm|niên khoá|niên khóa)\s+$", re.IGNORECASE)


def number_spans(sentence: str, unit: list[str]) -> list[tuple[int, int]]:
    """Numbers (20.585, 27,5%, 3 triệu) not inside a date, extended by the question's unit if it follows."""
    dates = [m.span() for m in DATE.finditer(sentence) if not re.fullmatch(r"\d{4}", m.group())]
    spans: list[tuple[int, int]] = []
    matches = list(NUMBER.finditer(sentence))
    if unit:  # number words only count when the question's unit follows them ("hai lần")
        matches += list(NUMBER_WORD.finditer(sentence))
    for match in matches:
        start, end = match.span()
        if any(d_start <= start < d_end for d_start, d_end in dates):
            continue
        if _YEAR_BEFORE.search(sentence, 0, start) and re.fullmatch(r"(?:1\d|20)\d{2}", match.group()):
            continue  # "so với năm 2024": a year, not a count
        spans.append((start, extend_by_unit(sentence, end, unit)))
    return sorted(set(spans))


def extend_by_unit(sentence: str, end: int, unit: list[str]) -> int:
    """Extend a number's end over the syllables of ``unit`` that follow it in order."""
    cursor = end
    for expected in unit:
        match = TOKEN.search(sentence, cursor)
        if not match or match.group().lower() != expected or sentence[cursor : match.start()].strip():
            break
        cursor = match.end()
    return cursor


def date_spans(sentence: str) -> list[tuple[int, int]]:
    return [match.span() for match in DATE.finditer(sentence)]


def frequency_spans(sentence: str) -> list[tuple[int, int]]:
    """How often: "hằng năm", "định kỳ 6 tháng một lần", "2 lần/năm"."""
    return [match.span() for match in FREQUENCY.finditer(sentence)]


def duration_spans(sentence: str) -> list[tuple[int, int]]:
    """How long: "5 năm", "hai tháng rưỡi", "30 phút"; not the "15 tháng" of "ngày 15 tháng 3"."""
    dates = [m.span() for m in DATE.finditer(sentence)]
    return [
        match.span()
        for match in DURATION.finditer(sentence)
        if not any(start < match.end() and match.start() < end for start, end in dates)
        and not re.search(r"\b(?:ngày|tháng)\s+$", sentence[: match.start()], re.IGNORECASE)
    ]
