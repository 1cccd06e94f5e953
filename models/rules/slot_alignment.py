"""Answers as the gap a question leaves: align the words around the question word with a sentence.

A Vietnamese wh-question keeps the word order of the statement it asks about: "Việc rà soát ... nhằm
tránh tình trạng gì?" asks about "... nhằm tránh nảy sinh điểm nóng về khiếu kiện đông người". The
question's words before the question word (its left context) end where the answer starts in the
sentence; the words after it (its right context) start where the answer ends. A span tightly bounded
by aligned context is likely the answer whatever its grammatical type, which catches the phrase answers
("các đơn vị chức năng", "từ quận đến phường") that part-of-speech patterns miss.

Both texts must already be normalised the same way (NFC, one tone placement); spans are character
offsets into the sentence as given.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from models.rules.answer_types import QUESTION_WORDS
from models.rules.weights import WEIGHTS
from pipeline.core.lexicon import TOKEN

# Longest first: "như thế nào" before "nào". Each is matched on lowercased syllables.
_WH_PHRASES: tuple[tuple[str, ...], ...] = (
    ("như", "thế", "nào"),
    ("bao", "nhiêu"),
    ("bao", "lâu"),
    ("bao", "giờ"),
    ("khi", "nào"),
    ("thế", "nào"),
    ("tại", "sao"),
    ("vì", "sao"),
    ("ở", "đâu"),
    ("tại", "đâu"),
    ("ai",),
    ("gì",),
    ("nào",),
    ("đâu",),
    ("mấy",),
)
# Head nouns just before "gì/nào/ai" ("tình trạng gì", "những đơn vị nào") name the answer's type; the
# statement often has the answer in their place, so up to this many may be missing from the sentence.
_OPTIONAL_HEAD = 3
_HEADED = frozenset({("gì",), ("nào",), ("ai",), ("mấy",)})
# Particles that end a question without being part of the statement.
_TRAILING = frozenset({"không", "vậy", "thế", "ạ", "nhỉ", "chưa", "hả"})
# Linking words the statement puts between its context and the answer: not part of the answer.
_EDGE_WORDS = frozenset(
    {"của", "là", "sẽ", "đã", "được", "cho", "với", "thì", "bởi", "do", "nhằm", "để", "và"}
)
MAX_SLOT_SYLLABLES = 20
MAX_INSERTED = 2  # sentence words the alignment may skip, once, inside the question's context
_PHRASE_OPENERS = frozenset({"trong", "tại", "để", "nhằm", "theo", "với", "từ", "khi", "trên", "vì", "do"})
_STRONG_BOUNDARY = re.compile(r"[.;:!?()\[\]“”\"«»]")


@dataclass(frozen=True)
class _Syllable:
    text: str  # lowercased
    start: int
    end: int


@dataclass(frozen=True)
class Slot:
    """A span of the sentence that sits where the question word sits, and how well it is anchored."""

    start: int
    end: int
    strength: float  # aligned context syllables / context syllables of the question, 0..1
    left: float  # aligned syllables before the span (less half a syllable per head noun left out)
    right: float  # aligned syllables after it (less half a syllable per question word left out)
    syllables: int  # the span's length


@dataclass(frozen=True)
class QuestionFrame:
    """A question split around its question word."""

    left: tuple[str, ...]
    right: tuple[str, ...]
    wh: tuple[str, ...]

    @property
    def optional_head(self) -> int:
        """How many words before the question word may be missing from the statement: the head noun
        of "tình trạng gì", "những đơn vị nào"; "ở đâu", "khi nào" and "bao nhiêu" have none."""
        return _OPTIONAL_HEAD if self.wh in _HEADED else 0

    @property
    def equative(self) -> bool:
        """ "Ai là X?" / "X là ai?": the statement may put the answer on either side of X."""
        return (bool(self.right) and self.right[0] == "là") or (bool(self.left) and self.left[-1] == "là")

    @property
    def size(self) -> int:
        return len(self.left) + len(self.right)


def _syllables(text: str) -> list[_Syllable]:
    return [_Syllable(m.group().lower(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def frame(question: str) -> QuestionFrame | None:
    """Split a normalised question around its first question word; ``None`` for yes/no questions."""
    words = [s.text for s in _syllables(question)]
    for index in range(len(words)):
        for phrase in _WH_PHRASES:
            if tuple(words[index : index + len(phrase)]) == phrase:
                right = list(words[index + len(phrase) :])
                while right and right[-1] in _TRAILING:
                    right.pop()
                return QuestionFrame(tuple(words[:index]), tuple(right), phrase)
    return None


def _is_content(word: str) -> bool:
    return word not in QUESTION_WORDS


def _gap_before(word: str, sentence: list[_Syllable], j: int) -> int:
    """How many sentence syllables (1 to MAX_INSERTED) before ``sentence[j]`` to skip to reach ``word``;
    0 when it is not that close. The statement may add a word or two the question leaves out ("Nghị
    quyết [số] 15", "Quận uỷ [biểu dương,] khen thưởng")."""
    for gap in range(1, MAX_INSERTED + 1):
        if j - gap >= 0 and sentence[j - gap].text == word:
            return gap
    return 0


def _gap_after(word: str, sentence: list[_Syllable], j: int) -> int:
    """As ``_gap_before``, forwards from ``sentence[j]``."""
    for gap in range(1, MAX_INSERTED + 1):
        if j + gap < len(sentence) and sentence[j + gap].text == word:
            return gap
    return 0


def _aligned_backward(
    context: tuple[str, ...], sentence: list[_Syllable], end: int, optional_head: int
) -> float:
    """Content syllables of ``context`` matched right-to-left ending just before ``sentence[end]``.

    One extra syllable on either side is tolerated once ("Nghị quyết 15" vs "Nghị quyết số 15"). Each
    head noun left out ("tránh [tình trạng] gì") costs half a match: the statement may name it too.
    """
    best = 0.0
    for dropped in range(min(optional_head, len(context)) + 1):
        i, j, skips, matched = len(context) - dropped - 1, end - 1, 1, 0
        while i >= 0 and j >= 0:
            if context[i] == sentence[j].text:
                matched += _is_content(context[i])
                i, j = i - 1, j - 1
            elif skips and j < end - 1 and (gap := _gap_before(context[i], sentence, j)):
                # Sentence words are skipped only inside the context: at the edge the span would lose them.
                skips, j = skips - 1, j - gap
            elif skips and i > 0 and context[i - 1] == sentence[j].text:
                skips, i = skips - 1, i - 1
            else:
                break
        best = max(best, matched - 0.5 * sum(map(_is_content, context[len(context) - dropped :])))
    return best


def _aligned_forward(context: tuple[str, ...], sentence: list[_Syllable], start: int) -> float:
    """Content syllables of ``context`` matched left-to-right starting at ``sentence[start]``; the
    question's first words may be missing from the statement ("[được gắn] với kết quả"), at half a
    match each."""
    best = 0.0
    for dropped in range(min(_OPTIONAL_HEAD - 1, len(context)) + 1):
        i, j, skips, matched = dropped, start, 1, 0
        while i < len(context) and j < len(sentence):
            if context[i] == sentence[j].text:
                matched += _is_content(context[i])
                i, j = i + 1, j + 1
            elif skips and j > start and (gap := _gap_after(context[i], sentence, j)):
                skips, j = skips - 1, j + gap
            elif skips and i + 1 < len(context) and context[i + 1] == sentence[j].text:
                skips, i = skips - 1, i + 1
            else:
                break
        if matched:
            best = max(best, matched - 0.5 * sum(map(_is_content, context[:dropped])))
    return best


def _boundaries(text: str, sentence: list[_Syllable]) -> tuple[list[bool], list[bool]]:
    """For each gap before syllable k: is there a comma, is there a stronger break (. ; : brackets)."""
    comma, strong = [True], [True]
    for previous, current in itertools.pairwise(sentence):
        gap = text[previous.end : current.start]
        strong.append(bool(_STRONG_BOUNDARY.search(gap)))
        comma.append("," in gap or strong[-1])
    comma.append(True)
    strong.append(True)
    return comma, strong


def slots(question: QuestionFrame, sentence_text: str) -> list[Slot]:
    """Spans of ``sentence_text`` anchored by the question's context on at least one side."""
    sentence = _syllables(sentence_text)
    if not sentence or not question.size:
        return []
    content_left = sum(map(_is_content, question.left))
    content_right = sum(map(_is_content, question.right))
    context_size = max(1, min(content_left + content_right, WEIGHTS.min_context))
    comma, strong = _boundaries(sentence_text, sentence)
    positions = range(len(sentence) + 1)
    left_at = [_aligned_backward(question.left, sentence, k, question.optional_head) for k in positions]
    right_at = [_aligned_forward(question.right, sentence, k) for k in positions]
    found: dict[tuple[int, int], Slot] = {}

    def add(first: int, last: int, left: float, right: float) -> None:
        while first < last and sentence[first].text in _EDGE_WORDS:
            first += 1
        while first < last and sentence[last - 1].text in _EDGE_WORDS:
            last -= 1
        if first >= last or last - first > MAX_SLOT_SYLLABLES:
            return
        span = (sentence[first].start, sentence[last - 1].end)
        strength = min(1.0, (left + right) / context_size)
        if content_left and content_right and not (left > 0 and right > 0):
            strength *= WEIGHTS.one_sided  # the question frames both sides; this span fits only one
        slot = Slot(*span, strength, left, right, last - first)
        if span not in found or found[span].strength < slot.strength:
            found[span] = slot

    for first in range(len(sentence)):
        left = left_at[first]
        limit = min(len(sentence), first + MAX_SLOT_SYLLABLES)
        if left > 0 and (left >= 2 or content_left <= 1):
            anchored_ends = [k for k in range(first + 1, limit + 1) if right_at[k] > 0]
            for last in anchored_ends:
                add(first, last, left, right_at[last])
            # Without a right anchor the answer runs to the end of its clause (or of its comma phrase).
            ends = [k for k in range(first + 1, limit + 1) if comma[k]]
            ends += [k for k in range(first + 1, limit + 1) if strong[k]][:1]
            # ... or up to the first prepositional phrase: "các tập thể có thành tích | trong thực hiện".
            opener = [k for k in range(first + 2, limit) if sentence[k].text in _PHRASE_OPENERS][:1]
            for last in sorted(set(ends[:1] + ends[-1:] + opener)):
                if not anchored_ends or last < anchored_ends[0]:
                    add(first, last, left, 0)
        if left <= 0 and (comma[first] or first == 0):
            # A right-anchored answer starting a clause: "Chiều 6/9, Quận ủy Thanh Xuân tổ chức ...".
            for last in range(first + 1, limit + 1):
                if right_at[last] >= 2:
                    add(first, last, 0, right_at[last])
                    break
                if strong[last]:
                    break
    return list(found.values())
