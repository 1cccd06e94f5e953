"""Chat follow-ups made standalone: "còn X thì sao?", "vậy năm nào?", "ông ấy ..." read with the last turn.

A question in a chat often leans on the one before it. Read alone, "còn chi bộ cơ sở thì sao?" after
"Đảng bộ quận có bao nhiêu đảng viên?" retrieves whatever mentions chi bộ; rewritten as "Đảng bộ quận
có bao nhiêu chi bộ cơ sở?" it retrieves and reads the sentence that answers it. ``RuleRewriter`` does
this with a few rules and only on clear cues; anything else is returned unchanged (a standalone
question must never be rewritten):

- **ellipsis** ("còn X thì sao?", "còn X?", "X thì thế nào?"): X takes the place of the matching part of
  the previous question: the phrase that starts like X (``năm 2024`` for ``năm 2025``, ``THPT Trần Phú``
  for ``THPT Lê Quý Đôn``), the name (``Nguyễn Trãi`` for ``Trần Phú``), the thing counted after
  ``bao nhiêu``/``mấy`` (``chi bộ cơ sở`` for ``đảng viên``), else the subject;
- **question word only** ("vậy năm nào?", "khi nào?", "ở đâu?"): the new question word takes the place
  of the previous one (time, place, manner, reason), or, when the previous one asked for a thing
  (``ai``, ``gì``, ``bao nhiêu``), the previous answer fills it and the new question word goes last;
- **pronouns** ("ông ấy", "bà ấy", "nó", "đơn vị này", "quận này"): replaced by the person named in the
  previous answer (or question), or the entity of the previous answer or question the noun names.

Matching is on the normalised text (NFC, one tone placement: ``hòa``/``hoà`` alike), case-insensitive;
a rewrite is in that normalised form. ``Rewriter`` is the hook for something better (a seq2seq model):
anything with ``rewrite(question, history) -> Rewrite``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pipeline.core.lexicon import SURNAMES
from pipeline.core.textnorm import normalize

CONTEXT_TURNS = 3  # how many previous turns a rewriter is shown


@dataclass(frozen=True)
class PriorTurn:
    """A previous turn as a rewriter sees it: the standalone question it was answered as, and the answer."""

    question: str
    answer: str | None


@dataclass(frozen=True)
class Rewrite:
    """The question to retrieve and read with; ``rule`` names the rule that rewrote it (None: unchanged)."""

    question: str
    rule: str | None = None

    @property
    def changed(self) -> bool:
        return self.rule is not None


class Rewriter(Protocol):
    """Turns a follow-up into a standalone question from the previous turns (oldest first)."""

    def rewrite(self, question: str, history: Sequence[PriorTurn]) -> Rewrite: ...


class NoRewriter:
    """Every question read alone (the behaviour before follow-ups; the benchmark's baseline)."""

    def rewrite(self, question: str, history: Sequence[PriorTurn]) -> Rewrite:
        return Rewrite(question)


# --- words -------------------------------------------------------------------------------------------


def _split(words: str) -> list[str]:
    return words.split()


_TOKEN = re.compile(r"\w+(?:[.,/-]\w+)*%?|%")
_TAIL = r"(?:\s+(?:nhỉ|vậy|thế|ạ|hả|nữa|đây|đấy))*"
_LEAD = r"(?:(?:vậy|thế|và|à|ừ|ok|rồi)\s*,?\s+)?"

# Question words: in a question they ask; in an ellipsis X they mean X is not a bare phrase.
_WH_WORDS = re.compile(
    r"(?<!\w)(?:bao nhiêu|bao giờ|bao lâu|mấy|khi nào|lúc nào|ở đâu|tại đâu|đâu|ai|gì|nào|"
    r"vì sao|tại sao|ra sao|thế nào|không)(?!\w)"
)
# Adjunct question words (time, place, manner, reason), with the preposition before them.
_ADJUNCT_WH = (
    r"(?:(?:vào|từ|đến|tới|trong|tại|ở|lúc)\s+)?"
    r"(?:(?:năm|tháng|ngày|hôm|buổi|quý|thời gian|thời điểm|dịp) (?:nào|mấy|bao nhiêu)|"
    r"khi nào|bao giờ|lúc nào|mấy giờ|bao lâu|ở đâu|tại đâu|nơi nào|địa điểm nào|đâu|"
    r"như thế nào|thế nào|ra sao|bằng cách nào|vì sao|tại sao|do đâu|vì lý do gì)"
)
_ADJUNCT_IN_QUESTION = re.compile(r"(?<!\w)" + _ADJUNCT_WH + r"(?!\w)")
# Argument question words: what the previous answer fills in ("Ai ký?" → "Trần Văn Hoà ký").
_ARGUMENT_IN_QUESTION = re.compile(r"(?<!\w)(?:bao nhiêu|mấy|ai|cái gì|là gì|gì|nào)(?!\w)")

_WH_ONLY = re.compile(
    r"^" + _LEAD + r"(?:(?:còn|thế còn|vậy còn)\s+)?(?P<wh>" + _ADJUNCT_WH + r")" + _TAIL + r"$"
)
_SAO = r"(?:sao|thế nào|như thế nào|ra sao)"
_CON_X = re.compile(
    r"^"
    + _LEAD
    + r"(?:thế |vậy )?còn\s+(?P<x>.+?)(?:\s+nữa)?(?:\s+thì(?:\s+"
    + _SAO
    + r")?|\s+"
    + _SAO
    + r")?"
    + _TAIL
    + r"$"
)
_X_THI_SAO = re.compile(r"^" + _LEAD + r"(?:(?:với|đối với)\s+)?(?P<x>.+?)\s+thì\s+" + _SAO + _TAIL + r"$")
# "còn" that is a verb ("còn lại", "còn thiếu"), or an X that is a clause, not a phrase.
_NOT_A_PHRASE = re.compile(
    r"^(?:lại|thiếu|chưa|được|bị|có|là|phải|nếu|trường hợp|khi|những|các|nhiều|ít|bao|mấy)(?!\w)"
)
MAX_PHRASE_WORDS = 9

# Words that end a noun phrase (verbs, prepositions, copulas): a substitution stops before them.
_BOUNDARY = frozenset(
    _split(
        "có là gồm đạt ước tăng giảm tuyển được bị của tại ở trong với cho do vào từ đến tới chiếm bằng "
        "thuộc theo hiện đã sẽ đang diễn giữ ký nằm khai khánh kéo đoạt giành nhận đón tiếp mất cần phải "
        "và không chưa cũng vẫn so"
    )
)
# Nouns that head a phrase by themselves ("năm 2025", "trường Trần Phú", "môn Toán"): one matching word is
# enough to align X with a phrase that starts with it.
_HEADS = frozenset(
    _split(
        "năm tháng ngày quý quận huyện tỉnh phường xã thị trường lớp môn khu cụm bệnh trạm sở phòng ban "
        "hội dự nhà cầu đường quốc tuyến kênh giải thủ á em ông bà anh chị đồng khoá kỳ đợt lần nguyện "
        "phương tổng đàn số điểm"
    )
)
# Units counted after "bao nhiêu" (a "còn X" never replaces these: "tăng bao nhiêu phần trăm").
_UNITS = frozenset(
    _split(
        "phần % tỷ triệu nghìn ngàn đồng usd tấn ha km m mét con người lượt giường điểm năm ngày tháng "
        "giờ phút lần bậc ca vụ suất căn bài giải huy chương"
    )
)
_NAMED_AFTER = frozenset(
    _split("thpt thcs trường đường phố cầu viện quận huyện xã phường tỉnh khu lộ chuyên")
)
_PERSON_PRONOUN = re.compile(
    r"(?<!\w)(?<!đơn )(?:(?:ông|bà|anh|chị|cô|chú|em|cậu|vị|người|đồng chí|học sinh|thí sinh)"
    r"\s+(?:ấy|này|đó|đấy)|ông ta|bà ta|anh ta|chị ta|cô ta)(?!\w)"
)
# "<noun> này/đó/ấy" pointing back at an entity (not the document itself: "báo cáo này" stays).
_ENTITY_NOUNS = (
    "đơn vị|cơ quan|tổ chức|địa phương|quận|huyện|tỉnh|thành phố|phường|xã|khu phố|trường|lớp chuyên|"
    "lớp|môn|bệnh viện|dự án|doanh nghiệp|nhà máy|khu công nghiệp|công trình|hội nghị|sự kiện|ngày hội|"
    "hoạt động|chương trình|cầu|kênh|tuyến đường|tuyến|đảng bộ|chi bộ"
)
_ENTITY_PRONOUN = re.compile(r"(?<!\w)(?P<noun>" + _ENTITY_NOUNS + r")\s+(?:này|đó|ấy|đấy)(?!\w)")
_IT = re.compile(r"(?<!\w)nó(?!\w)")


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def numeric(self) -> bool:
        return self.text[:1].isdigit()


def _words(text: str) -> list[_Word]:
    return [_Word(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _bare(question: str) -> str:
    """The question without the final punctuation and outer spaces, lower-cased (same length)."""
    return question.strip().rstrip("?.!… ").strip()


def _sentence(text: str) -> str:
    """First letter upper-case, one question mark at the end, single spaces."""
    text = re.sub(r"\s+", " ", text).strip().rstrip("?.!… ").strip()
    text = re.sub(r"\s+([,;:])", r"\1", text)
    return (text[:1].upper() + text[1:] + "?") if text else text


def _is_wh(word: _Word) -> bool:
    return bool(_WH_WORDS.fullmatch(word.low))


def _ends_phrase(words: Sequence[_Word], position: int) -> bool:
    """Whether the phrase being extended stops before ``words[position]``."""
    word = words[position]
    if word.low in _BOUNDARY or _is_wh(word) or word.low in {"bao", "khi", "lúc", "như", "thế", "vì", "tại"}:
        return True
    following = words[position + 1] if position + 1 < len(words) else None
    return word.low == "năm" and following is not None and following.numeric and position > 0


def _phrase_end(text: str, words: Sequence[_Word], start: int) -> int:
    """Index after the last word of the phrase that continues from ``words[start]`` (punctuation ends it)."""
    end = start
    while end < len(words) and not (end > start and _ends_phrase(words, end)):
        if end > start and text[words[end - 1].end : words[end].start].strip() not in {"", "-", "–"}:
            break  # a comma or a bracket between the words (a spaced dash joins: "công nghiệp - xây dựng")
        end += 1
    return end


def _replace(text: str, start: int, end: int, replacement: str) -> str:
    return text[:start] + replacement + text[end:]


def _collapse_repeats(text: str) -> str:
    """ "20.585 đảng viên đảng viên" → "20.585 đảng viên" (an answer put before the words it repeats)."""
    for size in (3, 2, 1):
        pattern = re.compile(r"(?<!\w)(\w+(?: \w+){" + str(size - 1) + r"}) \1(?!\w)", re.IGNORECASE)
        text = pattern.sub(r"\1", text)
    return text


# --- ellipsis: "còn X thì sao?" --------------------------------------------------------------------


def _ellipsis_phrase(question: str) -> str | None:
    """X of "còn X (thì sao)?" / "X thì sao?", when X is a short phrase (not a clause, no question word)."""
    bare = _bare(question)
    low = bare.lower()
    if len(low) != len(bare):
        return None
    match = _CON_X.match(low) or _X_THI_SAO.match(low)
    if match is None:
        return None
    phrase = bare[match.start("x") : match.end("x")].strip(" ,")
    words = _words(phrase)
    if not words or len(words) > MAX_PHRASE_WORDS or _NOT_A_PHRASE.match(phrase.lower()):
        return None
    if _WH_WORDS.search(phrase.lower()):
        return None
    return phrase


def _count_slot(words: Sequence[_Word]) -> tuple[int, int] | None:
    """The words counted after "bao nhiêu"/"mấy" (word indices), unless they are a unit ("phần trăm")."""
    for index, word in enumerate(words):
        after = (
            index + 2
            if word.low == "bao" and index + 1 < len(words) and words[index + 1].low == "nhiêu"
            else None
        )
        if word.low == "mấy":
            after = index + 1
        if after is None or after >= len(words):
            continue
        if words[after].low in _UNITS or words[after].numeric:
            return None
        end = after
        while end < len(words) and not _ends_phrase(words, end):
            end += 1
        return (after, end) if end > after else None
    return None


def _head_slot(text: str, words: Sequence[_Word], phrase: Sequence[_Word]) -> tuple[int, int] | None:
    """The phrase of the question that starts like X (longest common start; one word if it is a head noun)."""
    best: tuple[int, int, int] | None = None  # (shared words, start, end)
    for start in range(len(words)):
        shared = 0
        while (
            shared < len(phrase)
            and start + shared < len(words)
            and words[start + shared].low == phrase[shared].low
        ):
            shared += 1
        if shared == 0 or (shared == 1 and phrase[0].low not in _HEADS and not phrase[0].capitalised):
            continue
        if (
            shared == 1
            and phrase[0].capitalised
            and not words[start].capitalised
            and phrase[0].low not in _HEADS
        ):
            continue
        if best is None or shared > best[0]:
            if (
                shared == len(phrase)
                and shared < len(words) - start
                and not _ends_phrase(words, start + shared)
            ):
                # X is the start of a longer phrase ("năm" of "năm 2025"): replace the whole phrase
                end = _phrase_end(text, words, start)
            elif shared < len(phrase):
                end = _phrase_end(text, words, start)
                end = max(end, start + shared)
            else:
                end = start + shared
            best = (shared, start, end)
    return (best[1], best[2]) if best else None


def _name_slot(text: str, words: Sequence[_Word], phrase: Sequence[_Word]) -> tuple[int, int] | None:
    """For a bare name X ("Nguyễn Trãi", "Tiếng Anh"): the name in the question, after its classifiers."""
    person = phrase[0].low in SURNAMES
    candidates: list[tuple[int, int, bool]] = []
    index = 0
    while index < len(words):
        word = words[index]
        leading = index == 0 and word.low not in _HEADS
        if not word.capitalised or leading or _is_wh(word):
            index += 1
            continue
        start = index
        while start < len(words) and (words[start].low in _HEADS or words[start].text.isupper()):
            start += 1  # classifiers before the name: "Trường THPT", "Môn", "UBND"
        if start >= len(words) or not words[start].capitalised:
            index = max(start, index + 1)
            continue
        end = _phrase_end(text, words, start)
        candidates.append((start, end, words[start].low in SURNAMES))
        index = end
    if not candidates:
        return None
    for start, end, is_person in candidates:
        if is_person == person:
            return start, end
    return candidates[0][0], candidates[0][1]


def _subject_slot(text: str, words: Sequence[_Word]) -> tuple[int, int] | None:
    if not words or _ends_phrase(words, 0):
        return None
    end = _phrase_end(text, words, 0)
    return (0, end) if end < len(words) else None


def _substitute(previous: str, phrase: str) -> str | None:
    text = _bare(previous)
    words = _words(text)
    x = _words(phrase)
    if not words or not x:
        return None
    named = any(w.capitalised or w.numeric for w in x)  # "thôn Bắc", "năm 2024": a name, not a thing counted
    # a common noun X is most often another thing counted ("bao nhiêu đảng viên" → "... chi bộ cơ sở")
    slot = None if named else _count_slot(words)
    if slot is None:
        slot = _head_slot(text, words, x)
    if slot is None and x[0].capitalised:
        slot = _name_slot(text, words, x)
    if slot is None:
        slot = _subject_slot(text, words)
    if slot is None:
        return None
    start, end = words[slot[0]].start, words[slot[1] - 1].end
    return _sentence(_replace(text, start, end, phrase))


# --- "vậy năm nào?" ---------------------------------------------------------------------------------


def _ask_instead(previous: PriorTurn, wh: str) -> str | None:
    text = _bare(previous.question)
    low = text.lower()
    if len(low) != len(text):
        return None
    adjunct = _ADJUNCT_IN_QUESTION.search(low)
    if adjunct:  # "diễn ra khi nào?" → "diễn ra ở đâu?"
        return _sentence(_replace(text, adjunct.start(), adjunct.end(), wh))
    argument = _ARGUMENT_IN_QUESTION.search(low)
    if argument is None:
        return None
    answer = (previous.answer or "").strip().rstrip(".")
    if answer and len(_words(answer)) <= 12:  # "Ai ký?" + "Trần Văn Hoà" → "Trần Văn Hoà ký ... khi nào?"
        filled = _replace(text, argument.start(), argument.end(), answer)
        return _sentence(_collapse_repeats(filled) + " " + wh)
    return _sentence(_replace(text, argument.start(), argument.end(), wh))


# --- pronouns -----------------------------------------------------------------------------------------


def _person_in(text: str | None) -> str | None:
    """A person's name in ``text``: capitalised words starting with a Vietnamese surname (2 to 4 words)."""
    if not text:
        return None
    words = _words(text)
    for index, word in enumerate(words):
        if word.low not in SURNAMES or not word.capitalised:
            continue
        if index > 0 and words[index - 1].low in _NAMED_AFTER:
            continue  # "THPT Nguyễn Trãi", "đường Trần Phú": a place named after a person
        end = index + 1
        while end < len(words) and end - index < 4 and words[end].capitalised:
            if text[words[end - 1].end : words[end].start] != " ":
                break
            end += 1
        if end - index >= 2:
            return text[word.start : words[end - 1].end]
    return None


def _entity_like(answer: str | None) -> bool:
    """A short answer that names something (starts with a capital, not only a number)."""
    if not answer:
        return False
    words = _words(answer)
    return 0 < len(words) <= 14 and words[0].capitalised and not all(w.numeric for w in words)


_GENERIC_NOUNS = frozenset({"đơn vị", "cơ quan", "tổ chức", "địa phương"})


def _entity_for(noun: str, previous: PriorTurn) -> str | None:
    """What "<noun> này" points at: the noun and the name after it in the previous answer or question
    ("quận Thanh Xuân"), else the previous answer when it names something of that kind (the previous
    question asked "Trường nào ...?", or the noun is a generic "đơn vị"/"cơ quan")."""
    question = _bare(previous.question)
    head = [h.low for h in _words(noun)]
    for text in (previous.answer or "", question):
        words = _words(text)
        for start in range(len(words) - len(head) + 1):
            if [w.low for w in words[start : start + len(head)]] != head:
                continue
            end = _phrase_end(text, words, start + len(head) - 1)
            if end > start + len(head) and words[start + len(head)].capitalised:
                return text[words[start].start : words[end - 1].end]
    answer = (previous.answer or "").strip().rstrip(".")
    if not _entity_like(answer) or _person_in(answer) is not None:
        return None
    low = noun.lower()
    if low in _GENERIC_NOUNS:
        return answer
    if low in answer.lower():
        return answer
    if low in question.lower():
        return f"{low} {answer}"
    return None


def _subject_of(question: str) -> str | None:
    text = _bare(question)
    words = _words(text)
    slot = _subject_slot(text, words)
    if slot is None:
        return None
    return text[words[slot[0]].start : words[slot[1] - 1].end]


def _resolve_pronouns(question: str, previous: PriorTurn) -> tuple[str, str] | None:
    text = _bare(question)
    low = text.lower()
    if len(low) != len(text):
        return None
    person = _PERSON_PRONOUN.search(low)
    if person:
        name = _person_in(previous.answer) or _person_in(_bare(previous.question))
        if name is None:
            return None
        return _sentence(_replace(text, person.start(), person.end(), name)), "pronoun"
    entity = _ENTITY_PRONOUN.search(low)
    if entity:
        found = _entity_for(text[entity.start("noun") : entity.end("noun")], previous)
        if found is None:
            return None
        return _sentence(_replace(text, entity.start(), entity.end(), found)), "pronoun"
    it = _IT.search(low)
    if it:
        answer = (previous.answer or "").strip().rstrip(".")
        found = (
            answer if _entity_like(answer) and _person_in(answer) is None else _subject_of(previous.question)
        )
        if not found:
            return None
        return _sentence(_replace(text, it.start(), it.end(), found)), "pronoun"
    return None


class RuleRewriter:
    """The rule-based rewriter (module docstring); looks at the previous turn only."""

    def rewrite(self, question: str, history: Sequence[PriorTurn]) -> Rewrite:
        if not history or not question.strip():
            return Rewrite(question)
        previous = PriorTurn(normalize(history[-1].question), normalize(history[-1].answer or "") or None)
        text = normalize(question)
        bare = _bare(text)
        wh_only = _WH_ONLY.match(bare.lower()) if len(bare.lower()) == len(bare) else None
        if wh_only:
            asked = _ask_instead(previous, bare[wh_only.start("wh") : wh_only.end("wh")])
            if asked:
                return Rewrite(asked, "question-word")
            return Rewrite(question)
        phrase = _ellipsis_phrase(text)
        if phrase is not None:
            substituted = _substitute(previous.question, phrase)
            return Rewrite(substituted, "ellipsis") if substituted else Rewrite(question)
        resolved = _resolve_pronouns(text, previous)
        if resolved:
            return Rewrite(*resolved)
        return Rewrite(question)


def recent(history: Sequence[PriorTurn], turns: int = CONTEXT_TURNS) -> list[PriorTurn]:
    return list(history[-turns:])
