"""Near-miss questions: an answerable question edited so that its own passage no longer answers it.

UIT-ViQuAD 1.0 has no unanswerable questions, and the negatives made from other paragraphs teach only
"this passage is off topic". The questions vidoc must refuse are closer than that: the report names the
district but not the year asked about, the party members but not the women among them, one bridge but
not the other. UIT-ViQuAD 2.0 built its unanswerable questions the same way, by editing answerable ones
(Nguyen et al., 2022). Three edits, each keeping the question's shape:

- *number*: a number or year of the question that the passage states is replaced by one it does not
  state (a year moves by 1 to 15; another number changes one digit);
- *name*: a capitalised name of the question that the passage states is replaced by a name taken from
  a question about another article, one the passage does not contain;
- *term*: a two-syllable term of the question found in the passage is replaced by a term from another
  article's question that the passage does not contain.

An edit is kept only when the new text occurs nowhere in the passage (casefolded, NFC, one tone-mark
placement), so the label "no answer" holds for the window the question is paired with.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.core.textnorm import normalize

_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
# question words and function words: swapping them changes what is asked, not what it is about
_FUNCTION_SYLLABLES = frozenset(
    [
        "ai",
        "gì",
        "nào",
        "đâu",
        "sao",
        "bao",
        "nhiêu",
        "mấy",
        "khi",
        "thế",
        "nào",
        "như",
        "là",
        "của",
        "và",
        "các",
        "những",
        "được",
        "có",
        "không",
        "đã",
        "đang",
        "sẽ",
        "bị",
        "cho",
        "với",
        "trong",
        "ngoài",
        "trên",
        "dưới",
        "từ",
        "đến",
        "tại",
        "theo",
        "về",
        "vì",
        "do",
        "nên",
        "thì",
        "mà",
        "này",
        "kia",
        "đó",
        "ấy",
        "một",
        "hai",
        "ba",
        "người",
        "năm",
        "tháng",
        "ngày",
        "lúc",
        "nơi",
        "điều",
        "việc",
        "cái",
        "con",
        "chiếc",
    ]
)


@dataclass(frozen=True)
class NearMiss:
    question: str
    kind: str  # "number", "name" or "term"
    replaced: str
    by: str


def _absent(phrase: str, folded_passage: str) -> bool:
    """Whether the passage lacks ``phrase`` as whole syllables (``12`` is in ``12 ha``, not in ``2012``)."""
    pattern = r"(?<!\w)" + re.escape(normalize(phrase).casefold()) + r"(?!\w)"
    return re.search(pattern, folded_passage) is None


def _present(phrase: str, folded_passage: str) -> bool:
    return not _absent(phrase, folded_passage)


def _other_number(value: str, rng: random.Random) -> str:
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    if len(digits) == 4 and value.isdigit() and 1000 <= int(value) <= 2100:
        return str(int(value) + rng.choice((-1, 1)) * rng.randint(1, 15))
    index = rng.choice(digits)
    choices = [d for d in "0123456789" if d != value[index] and not (index == 0 and d == "0")]
    return value[:index] + rng.choice(choices) + value[index + 1 :]


def _edit_number(question: str, folded: str, rng: random.Random) -> NearMiss | None:
    stated = [m for m in _NUMBER.finditer(question) if _present(m.group(), folded)]
    if not stated:
        return None
    match = rng.choice(stated)
    for _ in range(8):
        new = _other_number(match.group(), rng)
        if _absent(new, folded):
            edited = question[: match.start()] + new + question[match.end() :]
            return NearMiss(edited, "number", match.group(), new)
    return None


def _tagged_spans(question: str, tagged: Sequence[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Each tagged word's character span in the question (words the tagger rewrote are skipped)."""
    spans, cursor = [], 0
    for word, tag in tagged:
        found = question.find(word, cursor)
        if found < 0:
            continue
        spans.append((found, found + len(word), tag))
        cursor = found + len(word)
    return spans


@dataclass(frozen=True)
class QuestionParts:
    """Where a question names something (proper nouns) and what it is about (multi-syllable nouns)."""

    names: tuple[tuple[int, int], ...]
    terms: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, question: str) -> QuestionParts:
        from pipeline.core.vietnamese import pos_tag

        names, terms = [], []
        for start, end, tag in _tagged_spans(question, pos_tag(question)):
            syllables = question[start:end].split()
            if tag == "Np" and question[start].isupper() and (start > 0 or len(syllables) > 1):
                names.append((start, end))  # a one-word "name" opening the question is often mis-tagged
            elif (
                tag == "N"
                and len(syllables) >= 2
                and question[start:end].islower()
                and not any(s in _FUNCTION_SYLLABLES for s in syllables)
            ):
                terms.append((start, end))
        return cls(tuple(names), tuple(terms))


def _swap(
    question: str,
    spans: Sequence[tuple[int, int]],
    pool: Sequence[str],
    folded: str,
    kind: str,
    rng: random.Random,
) -> NearMiss | None:
    """Replace one span the passage states by a pool entry the passage does not contain."""
    stated = [(s, e) for s, e in spans if _present(question[s:e], folded)]
    if not stated or not pool:
        return None
    start, end = rng.choice(stated)
    for _ in range(8):
        new = rng.choice(pool)
        if _absent(new, folded) and new.casefold() != question[start:end].casefold():
            return NearMiss(question[:start] + new + question[end:], kind, question[start:end], new)
    return None


@dataclass(frozen=True)
class Replacements:
    """Names and terms to swap in, each with the article it came from (a replacement never comes from
    the question's own article, whose other paragraphs may well state it)."""

    names: tuple[tuple[str, str], ...]
    terms: tuple[tuple[str, str], ...]

    @classmethod
    def from_questions(cls, questions: Sequence[tuple[str, str, QuestionParts]]) -> Replacements:
        """From ``(article title, question, its parts)``; names need two syllables or more, so that a
        swap puts in a whole name rather than a fragment."""
        names: dict[str, str] = {}
        terms: dict[str, str] = {}
        for title, question, parts in questions:
            for s, e in parts.names:
                if " " in question[s:e]:
                    names.setdefault(question[s:e], title)
            for s, e in parts.terms:
                terms.setdefault(question[s:e], title)
        return cls(tuple(names.items()), tuple(terms.items()))

    def outside(self, title: str, rng: random.Random, k: int = 8) -> tuple[list[str], list[str]]:
        """Up to ``k`` names and ``k`` terms from articles other than ``title``."""

        def pick(pool: tuple[tuple[str, str], ...]) -> list[str]:
            if not pool:
                return []
            drawn = (pool[rng.randrange(len(pool))] for _ in range(k * 2))
            return [text for text, source in drawn if source != title][:k]

        return pick(self.names), pick(self.terms)


def near_miss(
    question: str,
    parts: QuestionParts,
    passage: str,
    title: str,
    replacements: Replacements,
    rng: random.Random,
) -> NearMiss | None:
    """One edit of ``question`` that ``passage`` does not answer: a number first when the question has
    one the passage states (few questions do, and reports are asked about years and counts), else a
    name or a term in a random order; None when no edit applies."""
    folded = normalize(passage).casefold()
    names, terms = replacements.outside(title, rng)
    edits = [
        lambda: _swap(question, parts.names, names, folded, "name", rng),
        lambda: _swap(question, parts.terms, terms, folded, "term", rng),
    ]
    rng.shuffle(edits)
    for edit in [lambda: _edit_number(question, folded, rng), *edits]:
        found = edit()
        if found is not None:
            return found
    return None
