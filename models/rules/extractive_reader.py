"""The offline default reader: answer-type-aware span extraction from the retrieved passages.

For each sentence of the best passages it measures how much of the question the sentence (and its
passage) says, finds the spans of the type the question asks for (a number with its unit, a date, a
name, a place, or for "gì/nào" questions the phrase between the question's words), and scores each span
by that overlap, its closeness to the matched question words and the passage's retrieval rank. The best
span wins if its sentence says enough of the question (``reader.threshold``); otherwise the reader
abstains, since a span of the right type in an unrelated sentence is a confident wrong answer.
Offsets are found in the normalised passage and mapped back to the original text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from models.rules.answer_types import (
    DATE,
    NUMBER,
    QUESTION_WORDS,
    Token,
    date_spans,
    duration_spans,
    frequency_spans,
    name_spans,
    number_spans,
    tagged_tokens,
)
from models.rules.person_titles import full_names, starts_with_title, title_spans, within_title
from models.rules.reader_question import Question, coverage, parse_question
from models.rules.slot_alignment import Slot, slots
from models.rules.span_edges import (
    FUNCTION_POS,
    coordinated,
    name_end,
    noun_phrase_start,
    starts_noun_phrase,
    trim_question_words,
    with_head,
)
from models.rules.table_reader import answer_from_table
from models.rules.unmentioned import unmentioned
from models.rules.weights import WEIGHTS
from models.rules.yes_no import yes_no_span
from pipeline.core import vietnamese
from pipeline.core.config import ReaderConfig
from pipeline.core.lexicon import ADMINISTRATIVE_UNITS, SURNAMES, TOKEN, alternatives
from pipeline.core.protocols import Answer, ScoredPassage, cite_answer
from pipeline.core.records import ROLE_KINDS
from pipeline.core.textnorm import NormalizedText, normalize, normalize_with_offsets
from pipeline.text.document_roles import (
    asks_author,
    asks_document_date,
    asks_document_number,
    asks_signer,
    asks_source,
    header_date,
    signer_name,
    signer_title,
)

MAX_PHRASE_TOKENS = 12
MAX_ANCHOR_GAP = 2
# Slot spans compete with typed spans (names, places) less for the questions that ask for those.
# A figure followed, before any other number or the end of a clause, by "(của/trong) năm YYYY".
_YEAR_LABEL = re.compile(r"[^\d.;]*?\bnăm\s+((?:19|20)\d{2})\b")
_YEAR_LABEL_CHARS = 30
_REFERENCE_BEFORE = re.compile(r"\b(mốc|mục tiêu|so với|kế hoạch)\s+(?:(?:là|đề ra|đặt ra|khoảng)\s+)?$")
_REFERENCE_CHARS = 30
_SLOT_KINDS = {"phrase": 0.1, "entity": 0.25, "place": 0.2}
_ANOTHER = re.compile(r"\b(?:ngoài|khác|còn|trừ)\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\d.,/-])(?:1[89]|20)\d{2}(?![\d.,/-]\d)")
_COMPARED = re.compile(r"\b(?:so với|cùng kỳ|từ|trước|sau)\s+(?:cùng kỳ\s+)?(?:năm\s+)?$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”»)]*\s+|\n+")
_QUOTED = re.compile(r"[“\"«]([^”\"»]{3,300})[”\"»]")
_MEASURE = re.compile(
    r"\s*(?:km2|km²|km|m2|m²|m3|m³|cm|mm|m|ha|héc-ta|hécta|kg|tấn|tạ|lít|MW|kW|kWh|GW|MWh)(?![\w/])"
)
_MONEY_QUESTION = re.compile(
    r"\b(?:mức đầu tư|vốn đầu tư|tổng vốn|kinh phí|chi phí|bao nhiêu tiền|lệ phí|học phí|giá vé|"
    r"thu ngân sách|chi ngân sách|kim ngạch|doanh thu|thu nhập bình quân|số tiền|tiền thưởng)\b"
)
_CURRENCY = re.compile(r"\s*(?:đồng|USD|VNĐ|VND|đô la|euro|EUR|đ(?!\w))(?:\s*/\s*\w+)?", re.IGNORECASE)
_PERCENT_QUESTION = re.compile(r"\b(?:tỷ lệ|tỉ lệ|phần trăm|bao nhiêu %|tăng bao nhiêu|giảm bao nhiêu)")
_ORGANISATION_HEADS = frozenset(
    [
        "ban",
        "sở",
        "bộ",
        "uỷ",
        "ủy",
        "quận",
        "thành",
        "tỉnh",
        "hội",
        "đảng",
        "trường",
        "bệnh",
        "công",
        "viện",
        "trung",
        "phòng",
        "cục",
        "tổng",
        "liên",
        "mặt",
        "đoàn",
        "trạm",
        "hđnd",
        "ubnd",
        "chi",
        "huyện",
        "xã",
        "phường",
    ]
)
_GENERIC_UNITS = frozenset({"tiền", "lâu"})
_PLACE_BEFORE = re.compile(
    r"\b(?:tại|ở|trên|đến|từ)\s+(?:(?:" + alternatives(ADMINISTRATIVE_UNITS) + r"|thủ đô|nước)\s+)?$",
    re.IGNORECASE,
)
_DATE_OR_NUMBER = re.compile(
    r"(?:(?:ngày|năm|tháng|lúc)\s+)?(?:" + DATE.pattern + r"|" + NUMBER.pattern + r")", re.IGNORECASE
)
_LOCATIVE = re.compile(r"\b(?:tại|ở|trên|đến|về)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Sentence:
    rank: int
    scored: ScoredPassage
    mapped: NormalizedText
    start: int  # in mapped.text
    text: str  # normalised sentence
    overlap: float


@dataclass(frozen=True)
class _Candidate:
    sentence: _Sentence
    start: int  # in the normalised sentence
    end: int
    score: float


def _topic_words(question: Question, texts: Sequence[str]) -> frozenset[str]:
    """The question's names and numbers that several retrieved passages share: the document's subject
    ("Lam Giang") or year ("2025"), which its sentences take for granted rather than repeat."""
    counts: dict[str, int] = {}
    for text in texts:
        present = {s.lower() for s in TOKEN.findall(text)}
        for word in question.specific & present:
            counts[word] = counts.get(word, 0) + 1
    return frozenset(word for word, count in counts.items() if count >= WEIGHTS.topic_passages)


def _asked_years(question: Question) -> set[str]:
    """The years the question names ("PCI năm 2025")."""
    return {s for s in question.specific if _YEAR.fullmatch(s)}


def _other_year(question: Question, sentence: str) -> bool:
    """The question asks about one year and the sentence states another ("PCI năm 2025" vs "năm 2024").

    A year the sentence compares with ("tăng 7% so với năm 2024") is not the year it states.
    """
    asked = _asked_years(question)
    stated = {m.group() for m in _YEAR.finditer(sentence) if not _COMPARED.search(sentence, 0, m.start())}
    return bool(asked and stated and not asked & stated)


@lru_cache(maxsize=256)
def _named_after(question: str) -> tuple[tuple[str, str], ...]:
    """(word, name) pairs of the question where a lowercase word introduces a name: "lớp chuyên Tiếng
    Anh" → ("chuyên", "tiếng"), "huyện Mộ Đức" → ("huyện", "mộ")."""
    matches = list(TOKEN.finditer(question))
    return tuple(
        (before.group().lower(), name.group().lower())
        for before, name in itertools.pairwise(matches)
        if before.group().islower() and before.group() not in QUESTION_WORDS and name.group()[0].isupper()
    )


def _other_name(question: Question, sentence: str) -> bool:
    """The sentence gives the question's introducing word another name: "Thủ khoa lớp chuyên Toán" for a
    question about "lớp chuyên Tiếng Anh" states a fact about another class."""
    pairs = _named_after(question.text)
    if not pairs or _ANOTHER.search(question.text):
        return False  # "Ngoài huyện Mộ Đức, ... ở huyện nào?" asks for exactly another name
    matches = list(TOKEN.finditer(sentence))
    present = {m.group().lower() for m in matches}
    for word, name in pairs:
        if name in present:
            continue
        for before, after in itertools.pairwise(matches):
            if (
                before.group().lower() == word
                and after.group()[0].isupper()
                and after.group().lower() not in question.syllables
            ):
                return True
    return False


def _sentences(
    question: Question,
    rank: int,
    scored: ScoredPassage,
    topic: frozenset[str] = frozenset(),
    penalty: float = 0.0,
) -> list[_Sentence]:
    mapped = normalize_with_offsets(scored.passage.text)
    passage_syllables = [s.lower() for s in TOKEN.findall(mapped.text)]
    passage_cover = coverage(question, passage_syllables, topic)
    # "Năm 2010, ... bao nhiêu đảng viên?" over a passage without 2010: the passage is not about it.
    absent = question.specific - set(passage_syllables) - topic
    missing = len(absent) / max(1, len(question.specific)) + (
        0.5 if any(s[0].isdigit() for s in absent) else 0.0
    )
    sentences: list[_Sentence] = []
    cursor = 0
    for boundary in [*_SENTENCE_END.finditer(mapped.text), None]:
        end = boundary.start() if boundary else len(mapped.text)
        text = mapped.text[cursor:end]
        if text.strip():
            syllables = [s.lower() for s in TOKEN.findall(text)]
            cover = coverage(question, syllables, topic)
            overlap = 0.75 * cover + 0.25 * passage_cover - 0.3 * missing - penalty
            if _other_year(question, text) or _other_name(question, text):
                overlap -= WEIGHTS.contradicted
            sentences.append(_Sentence(rank, scored, mapped, cursor, text, overlap))
        cursor = boundary.end() if boundary else len(mapped.text)
    return sentences


def _closeness(question: Question, span: tuple[int, int], sentence: str, directional: bool) -> float:
    """Share of the question's words found near the span, each counted by its distance in syllables.

    A date between "Chỉ thị số 15-CT/TU" and the next clause is closer to a question about that
    directive than a date further along the same sentence. A phrase answer (``directional``) sits where
    the question word sits: the question's words before "gì" come before it, those after it follow it.
    """
    if not question.content:
        return 0.0
    nearest: dict[str, int] = {}
    for match in TOKEN.finditer(sentence):
        syllable = match.group().lower()
        if syllable not in question.content:
            continue
        if match.end() <= span[0]:
            gap = len(TOKEN.findall(sentence[match.end() : span[0]]))
            wrong_side = directional and syllable in question.after_wh
        elif match.start() >= span[1]:
            gap = len(TOKEN.findall(sentence[span[1] : match.start()]))
            wrong_side = directional and syllable not in question.after_wh
        else:
            gap, wrong_side = 0, False
        weight = (0.25 if wrong_side else 1.0) / (1.0 + gap / 4.0)
        nearest[syllable] = max(weight, nearest.get(syllable, 0.0))
    return sum(nearest.values()) / len(question.content)


_COPULA_WHO = re.compile(r"\blà\s+ai\b")


def _directional(question: Question) -> bool:
    """Whether the answer sits on one side of the question's words: a phrase ("... làm gì?"), or the
    object of a verb ("Quận ủy khen thưởng ai?" → what follows "khen thưởng", not the "Thanh Xuân" of
    its subject). "X là ai?" is not: the name may stand on either side of its title."""
    if question.kind == "phrase":
        return True
    return (
        question.kind == "entity"
        and question.asks_who
        and not question.after_wh
        and not _COPULA_WHO.search(question.text.lower())
    )


def _in_question(question: Question, text: str) -> bool:
    """The span says nothing the question does not ("tại huyện Mộ Đức" for "Ngoài huyện Mộ Đức, ... ở
    huyện nào?"); linking words ("tại", "của") do not count as new."""
    syllables = [s.lower() for s in TOKEN.findall(text)]
    content = [s for s in syllables if s not in QUESTION_WORDS] or syllables
    return bool(content) and all(s in question.syllables for s in content)


def _typed_spans(question: Question, sentence: str) -> list[tuple[int, int, float]]:
    """Spans of the asked-for type with a bonus each (unit found, named entity of the right kind)."""
    if question.kind == "number":
        return _number_spans(question, sentence)
    if question.kind == "date":
        return [
            (start, end, _date_specificity(question, sentence[start:end]))
            for start, end in date_spans(sentence)
        ]
    if question.kind == "frequency":
        return [(start, end, 0.0) for start, end in frequency_spans(sentence)]
    if question.kind == "duration":
        return [(start, end, 0.0) for start, end in duration_spans(sentence)]
    tokens = tagged_tokens(sentence)
    if not tokens:
        return []
    if question.kind in ("entity", "place"):
        wanted = frozenset({"PER", "ORG"}) if question.kind == "entity" else frozenset({"LOC"})
        spans = []
        for start, end in name_spans(sentence, tokens, wanted):
            if question.kind == "entity" and not question.asks_who:  # "cơ quan nào": an organisation
                head = sentence[start:end].split()[0].lower()
                spans.append(
                    (start, end, 0.1 if head in _ORGANISATION_HEADS and " " in sentence[start:end] else 0.0)
                )
                continue
            if question.kind == "entity" and question.asks_who:
                is_person = _looks_like_person(sentence, tokens, start, end)
                if is_person or not question.wants_person:
                    spans.append((start, end, 0.15 if is_person else 0.0))
                continue
            prepositioned = question.kind == "place" and _PLACE_BEFORE.search(
                sentence[max(0, start - 30) : start]
            )
            spans.append((start, end, 0.3 if prepositioned else 0.0))
        # "Quận ủy biểu dương những ai?" → "các tập thể": a plain phrase, trusted less than a name;
        # "bảo đảm an ninh ở đâu?" → "trụ sở tiếp công dân": a place phrase after tại/ở.
        for start, end, bonus in _phrase_spans(question, sentence, tokens, nominal=True):
            if question.wants_person and not _looks_like_person(sentence, tokens, start, end):
                continue  # "Bí thư ... là ai?" is answered by a person's name or not at all
            prepositioned = question.kind == "place" and _PLACE_BEFORE.search(
                sentence[max(0, start - 30) : start]
            )
            spans.append((start, end, bonus + (0.1 if prepositioned else -0.2)))
        return spans
    names = []
    if question.asks_which:  # "Bệnh viện nào ...?" → "Bệnh viện Đa khoa Thuỷ Tiên"
        names = [
            (start, end, 0.1) for start, end in name_spans(sentence, tokens, frozenset({"ORG", "LOC", "PER"}))
        ]
    return _phrase_spans(question, sentence, tokens) + _quoted_spans(sentence) + names


def _is_person_phrase(text: str) -> bool:
    """A title or a full name: never the answer to "ở đâu?", however well its sentence matches."""
    return starts_with_title(text) or any(full_names(text))


def _looks_like_person(sentence: str, tokens: tuple[Token, ...], start: int, end: int) -> bool:
    """A capitalised name led by a common surname, or tagged PER by underthesea."""
    words = sentence[start:end].split()
    if words and words[0].lower() in SURNAMES and words[0][0].isupper():
        return True
    return any(t.entity == "PER" for t in tokens if start <= t.start < end)


def _date_specificity(question: Question, date: str) -> float:
    """A full date or a time beats a bare year, unless the question asks for a year."""
    if re.fullmatch(r"(?:năm\s+)?\d{4}", date, re.IGNORECASE):
        return (
            0.0 if "năm nào" in question.text.lower() or "năm bao nhiêu" in question.text.lower() else -0.15
        )
    return 0.0


def _number_spans(question: Question, sentence: str) -> list[tuple[int, int, float]]:
    """Numbers, extended over the question's words that follow them ("20.585 đảng viên").

    When the question counts something ("bao nhiêu đảng viên") only numbers followed by it qualify; when
    the counted thing comes before ("Tổng số đảng viên ... là bao nhiêu?") numbers followed by the
    question's words are preferred; questions about a rate (tỷ lệ, phần trăm) prefer percentages.
    """
    wants_percent = bool(_PERCENT_QUESTION.search(question.text.lower()))
    wants_money = bool(_MONEY_QUESTION.search(question.text.lower())) and not wants_percent
    unit = [] if question.unit and question.unit[0] in _GENERIC_UNITS else list(question.unit)
    spans = []
    preferred = list(question.preferred_unit)
    for start, end in number_spans(sentence, unit or preferred):
        described = _extend_over_question_words(question, sentence, end)  # for the score, not the span
        if not unit and not preferred and (measure := _MEASURE.match(sentence, end)):
            end = measure.end()  # "dài bao nhiêu?" → "1,2 km"
        if wants_money:
            # "Tổng mức đầu tư ... là bao nhiêu?" is a sum of money: "300 giường" does not answer it.
            currency = _CURRENCY.match(sentence, end)
            if currency is None:
                continue
            end = currency.end()
        following = len(TOKEN.findall(sentence[start:described])) - 1
        is_percent = "%" in sentence[start:end] or "phần trăm" in sentence[start:end].lower()
        if unit or preferred:
            found = len(TOKEN.findall(sentence[start:end])) - 1  # unit syllables right after, in order
            if unit and not found and not (is_percent and wants_percent):
                continue
            bonus = 0.35 * min(1.0, found / len(unit or preferred))
        else:
            bonus = 0.1 * min(2, following)
        if wants_percent:
            bonus += 0.25 if is_percent else -0.25
        spans.append((start, end, bonus))
    return spans


def _extend_over_question_words(question: Question, sentence: str, end: int, limit: int = 6) -> int:
    """Move ``end`` over following syllables the question also uses ("2 đảng bộ lực lượng vũ trang")."""
    for _ in range(limit):
        match = TOKEN.search(sentence, end)
        if (
            not match
            or sentence[end : match.start()].strip()
            or match.group().lower() not in question.content
        ):
            break
        end = match.end()
    return end


def _quoted_spans(sentence: str) -> list[tuple[int, int, float]]:
    """Text in quotation marks: titles of resolutions, programmes, campaigns."""
    return [(m.start(1), m.end(1), 0.05) for m in _QUOTED.finditer(sentence)]


def _phrase_end_bonus(question: Question, sentence: str, follower: Token | None) -> float:
    """A phrase answer runs to the end of its clause, or up to the question's words that follow it."""
    if follower is None:
        return 0.15
    word = sentence[follower.start : follower.end]
    if follower.pos == "CH":
        return 0.15 if word in ".;:!?…" else 0.05
    if any(s.lower() in question.after_wh for s in TOKEN.findall(word)):
        return 0.15
    return -0.1


def _phrase_spans(
    question: Question, sentence: str, tokens: tuple[Token, ...], nominal: bool = False
) -> list[tuple[int, int, float]]:
    """Token runs that hold no question word, bounded like a phrase (chunk starts and ends).

    ``nominal`` keeps only noun phrases ("các tập thể", not the verb "biểu dương"): what "những ai" and
    "ở đâu" ask for.
    """

    def is_matched(token: Token) -> bool:
        syllables = [s.lower() for s in TOKEN.findall(sentence[token.start : token.end])]
        return bool(syllables) and all(s in question.content for s in syllables)

    matched = [is_matched(token) for token in tokens]
    anchors = [index for index, hit in enumerate(matched) if hit]
    spans: list[tuple[int, int, float]] = []
    for i, first in enumerate(tokens):
        if nominal and not starts_noun_phrase(tokens, i):
            continue
        if matched[i] or (first.pos in FUNCTION_POS and not nominal):
            continue
        left_gap = i - max((a for a in anchors if a < i), default=-99) - 1
        for j in range(i, min(len(tokens), i + MAX_PHRASE_TOKENS)):
            if matched[j] or (tokens[j].pos == "CH" and sentence[tokens[j].start] in ";:"):
                break
            last = tokens[j]
            if last.pos in FUNCTION_POS:
                continue
            right_gap = min((a for a in anchors if a > j), default=99) - j - 1
            if min(left_gap, right_gap) > MAX_ANCHOR_GAP:
                continue  # an answer abuts the question's words, give or take a "là", "của" or "tại"
            follower = tokens[j + 1] if j + 1 < len(tokens) else None
            spans.append(
                (first.start, last.end, _phrase_end_bonus(question, sentence, follower) - 0.01 * (j - i + 1))
            )
    return spans


def _slot_support(found: list[Slot], start: int) -> float:
    """How well the question's context frames a typed span: the best slot starting where it starts (a
    number's unit may run into the right context: "27 | đảng bộ cơ sở")."""
    return max((slot.strength for slot in found if slot.start == start), default=0.0)


def _candidates(question: Question, sentence: _Sentence) -> list[_Candidate]:
    retrieval = 1.0 / (1.0 + sentence.rank)
    if question.kind == "yesno":
        span = yes_no_span(question.content, sentence.text)
        return [_Candidate(sentence, *span, sentence.overlap + 0.1 * retrieval)] if span else []
    if question.kind == "title":
        assert question.person is not None
        return [
            _Candidate(sentence, start, end, sentence.overlap + 0.1 * retrieval)
            for start, end in title_spans(sentence.text, question.person)
        ]
    use_slots = question.frame is not None and not (question.kind == "entity" and question.frame.equative)
    found_slots = slots(question.frame, sentence.text) if use_slots else []
    support = WEIGHTS.slot_support if question.kind in _SLOT_KINDS else 0.0
    spans = [
        (start, end, bonus + support * _slot_support(found_slots, start))
        for start, end, bonus in _typed_spans(question, sentence.text)
    ]
    if question.kind in _SLOT_KINDS:
        offset = _SLOT_KINDS[question.kind]
        for slot in found_slots:
            text = sentence.text[slot.start : slot.end]
            if _DATE_OR_NUMBER.fullmatch(text):
                continue  # a date or a bare number does not answer "gì", "ai" or "ở đâu"
            start, end = slot.start, slot.end
            if question.kind == "entity":
                # "giao cho ai ...?" → "[chỉ đạo] các đơn vị chức năng"; a verb alone answers no "ai".
                noun_start = noun_phrase_start(sentence.text, slot.start, slot.end)
                if noun_start is None:
                    continue
                start = noun_start
            bonus = WEIGHTS.slot_weight * slot.strength - offset - WEIGHTS.slot_length * slot.syllables
            if question.kind == "place" and not _LOCATIVE.search(
                sentence.text[max(0, slot.start - 12) : slot.start + 4]
            ):
                bonus -= 0.2
            spans.append((start, end, bonus))
    if question.head:
        spans = [(with_head(question, sentence.text, start), end, bonus) for start, end, bonus in spans]
    if question.plural and question.kind == "entity":
        spans += coordinated(sentence.text, spans)
    found = []
    for start, end, bonus in spans:
        if question.asks_who:
            start, end = trim_question_words(question, sentence.text, start, end)
        if (question.asks_which or question.kind == "entity") and start < end:
            end = name_end(sentence.text, start, end)  # "Bệnh viện Đa khoa Thuỷ Tiên [tổ chức]"
        if (
            start >= end
            or _in_question(question, sentence.text[start:end])
            or (
                question.kind in ("entity", "place", "phrase")
                and (question.kind != "phrase" or question.asks_which)
                and _DATE_OR_NUMBER.fullmatch(sentence.text[start:end])
            )
            or "|" in sentence.text[start:end]
            or (question.kind == "place" and _is_person_phrase(sentence.text[start:end]))
            or (question.kind == "place" and within_title(sentence.text, start, end))
        ):
            continue  # nothing new, a run across table cells, or a person (or their title) for a place
        closeness = _closeness(question, (start, end), sentence.text, _directional(question))
        score = sentence.overlap + 0.3 * closeness + 0.1 * retrieval + bonus
        if question.kind == "number" and _of_another_year(question, sentence.text[end:]):
            score -= WEIGHTS.other_year_figure
        if question.kind == "number" and _reference_figure(question, sentence.text[:start]):
            score -= WEIGHTS.reference_figure
        found.append(_Candidate(sentence, start, end, score))
    return found


def _reference_figure(question: Question, before: str) -> bool:
    """The figure is a milestone, target or comparison the sentence measures against ("tiến sát mốc
    **100 nghìn tỷ đồng**", "vượt mục tiêu **7%**"), unless the question asks for that very thing."""
    marker = _REFERENCE_BEFORE.search(before[-_REFERENCE_CHARS:].lower())
    return marker is not None and not set(marker.group(1).split()) <= question.syllables


def _of_another_year(question: Question, after: str) -> bool:
    """The figure is labelled with a year the question does not ask about: "... cao hơn mức tăng
    **6,5%** của năm 2024" for "GRDP năm 2025 tăng bao nhiêu phần trăm?"."""
    asked = _asked_years(question)
    label = _YEAR_LABEL.match(after[:_YEAR_LABEL_CHARS])
    return bool(asked and label and label.group(1) not in asked)


def _role_candidates(question: Question, passages: Sequence[ScoredPassage]) -> list[_Candidate]:
    """Answers from the bylines and signature blocks the pipeline appends for role questions."""
    found = []
    for rank, scored in enumerate(passages):
        if scored.passage.kind in ROLE_KINDS:
            # Several documents open: the signature of the one retrieval found the question in.
            same_document = scored.passage.source == passages[0].passage.source
            score = WEIGHTS.role_score + (0.2 if same_document else 0.0)
            found.extend(filter(None, [_role_candidate(question, rank, scored, score)]))
    return found


def _role_candidate(question: Question, rank: int, scored: ScoredPassage, score: float) -> _Candidate | None:
    """The byline for "who wrote", the signer for "who signed", the signer's title for "Ông X giữ chức
    vụ gì?" when X signed (pipeline/text/document_roles.py): the document's layout says it outright."""
    mapped = normalize_with_offsets(scored.passage.text)
    span: tuple[int, int] | None = None
    if scored.passage.kind == "byline" and asks_author(question.text):
        span = (0, len(mapped.text.rstrip()))
    elif scored.passage.kind == "signature" and question.kind == "title" and question.person:
        # "Ông X, người ký thông báo, giữ chức vụ gì?" asks the title even though it mentions signing.
        name = signer_name(mapped.text)
        if name and normalize(question.person).lower() == mapped.text[name[0] : name[1]].lower():
            span = signer_title(mapped.text)
    elif scored.passage.kind == "signature" and asks_signer(question.text):
        span = signer_name(mapped.text)
    elif scored.passage.kind == "date" and asks_document_date(question.text):
        span = header_date(mapped.text)
    elif (scored.passage.kind == "number" and asks_document_number(question.text)) or (
        scored.passage.kind == "source" and asks_source(question.text)
    ):
        span = (0, len(mapped.text))
    if span is None:
        return None
    whole = _Sentence(rank, scored, mapped, 0, mapped.text, 1.0)
    return _Candidate(whole, span[0], span[1], score)


def _year_elsewhere(question: Question, scored: ScoredPassage, topic: frozenset[str]) -> bool:
    """The question asks about a year that is neither in the table nor the document's topic year."""
    asked = _asked_years(question) - topic
    return bool(asked) and not asked & set(TOKEN.findall(scored.passage.text))


def _table_candidate(
    question: Question, rank: int, scored: ScoredPassage, topic: frozenset[str]
) -> _Candidate | None:
    """The cell a table passage gives for the question (models/rules/table_reader.py), if it names one.

    A lookup whose row and column the question names outranks any sentence: the table states exactly
    that figure, while sentences near it only share words with the question.
    """
    mapped = normalize_with_offsets(scored.passage.text)
    found = answer_from_table(question.text, mapped.text, question.kind == "number", topic)
    if found is None:
        return None
    whole = _Sentence(rank, scored, mapped, 0, mapped.text, found.confidence)
    return _Candidate(
        whole, found.start, found.end, WEIGHTS.table_score + found.confidence + 0.1 / (1.0 + rank)
    )


class ExtractiveReader:
    """Answers with a span of the retrieved text, or abstains; no model weights, no torch."""

    model_id = "extractive-reader"
    reads_roles = True  # answers from bylines and signature blocks (pipeline/text/document_roles.py)

    def warm_up(self) -> None:
        """Load underthesea's tagger (about a second), which reading a question needs."""
        vietnamese.pos_tag("Hà Nội")

    def __init__(
        self, settings: ReaderConfig | None = None, passages_read: int = WEIGHTS.passages_read
    ) -> None:
        self.settings = settings or ReaderConfig()
        threshold = self.settings.threshold
        self.threshold = WEIGHTS.threshold if threshold is None else threshold
        self.passages_read = passages_read

    def best_candidate(
        self, question: str, passages: Sequence[ScoredPassage], min_overlap: float = 0.0
    ) -> _Candidate | None:
        """The best span among sentences saying at least ``min_overlap`` of the question.

        Sentences below it are not tagged at all: that keeps per-question latency low.
        """
        parsed = parse_question(question)
        texts = [scored.passage.norm for scored in passages]
        topic = _topic_words(parsed, texts)
        # "... tại hội trường nào?" over a document that names no hall: every sentence is off the point.
        penalty = WEIGHTS.unmentioned if unmentioned(parsed.text, texts) else 0.0
        candidates: list[_Candidate] = []
        # A table names its rows and columns, not the question's words: dense retrieval ranks it lower
        # than prose that repeats them, so every retrieved table is looked up, not only the top ones;
        # and only when nothing in the question is missing or contradicted around it.
        for rank, scored in enumerate(passages):
            if scored.passage.kind == "table" and not penalty and not _year_elsewhere(parsed, scored, topic):
                candidates.extend(filter(None, [_table_candidate(parsed, rank, scored, topic)]))
        for rank, scored in enumerate(passages[: self.passages_read]):
            if scored.passage.kind in ROLE_KINDS:
                continue
            for sentence in _sentences(parsed, rank, scored, topic, penalty):
                if sentence.overlap >= min_overlap:
                    candidates.extend(_candidates(parsed, sentence))
        candidates.extend(_role_candidates(parsed, passages))
        return max(candidates, key=lambda candidate: candidate.score, default=None)

    def lookup(self, question: str, passages: Sequence[ScoredPassage]) -> Answer | None:
        """Only the answers the document's layout states outright: a table cell the question names
        (row x column, an extreme, a quoted value) and the byline, signer, document number or source.
        The trained reader takes these from here, where they measure better than its spans (README)."""
        parsed = parse_question(question)
        texts = [scored.passage.norm for scored in passages]
        if unmentioned(parsed.text, texts):
            return None
        topic = _topic_words(parsed, texts)
        candidates = [
            candidate
            for rank, scored in enumerate(passages)
            if scored.passage.kind == "table" and not _year_elsewhere(parsed, scored, topic)
            for candidate in filter(None, [_table_candidate(parsed, rank, scored, topic)])
        ]
        candidates.extend(_role_candidates(parsed, passages))
        best = max(candidates, key=lambda candidate: candidate.score, default=None)
        return None if best is None else self._answer(best, passages)

    def _answer(self, best: _Candidate, passages: Sequence[ScoredPassage]) -> Answer:
        sentence = best.sentence
        passage = sentence.scored.passage
        local_start, local_end = sentence.mapped.to_original(
            sentence.start + best.start, sentence.start + best.end
        )
        answer_text = passage.text[local_start:local_end]
        citations = cite_answer(sentence.scored, (local_start, local_end), passages[: self.passages_read])
        return Answer(answer_text, round(best.score, 4), citations, self.model_id)

    def read(self, question: str, passages: Sequence[ScoredPassage]) -> Answer:
        best = self.best_candidate(question, passages, self.threshold)
        if best is None:
            return Answer(None, 0.0, (), self.model_id)
        return self._answer(best, passages)
