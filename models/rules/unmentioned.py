"""What a question names that the retrieved text never mentions: the sign of a question the document
cannot answer.

"Điểm chuẩn lớp chuyên Sinh học ... là bao nhiêu?" over a report without "Sinh học", or "Hội nghị
được tổ chức tại hội trường nào?" over one that names no hall, shares most of its words with some
sentence, which then offers a number or a phrase of the right type. The reader checks two kinds of
names against all retrieved passages (not one sentence: the document may name them elsewhere):
capitalised words, and the head noun a "N nào" question asks about, unless that noun is a category
("cơ quan nào", "đơn vị nào") that statements replace by the thing itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from models.rules.answer_types import QUESTION_WORDS
from pipeline.core.lexicon import TOKEN

# Nouns that name a kind of answer rather than a thing the document must mention.
CATEGORY_HEADS = frozenset(
    {
        "cơ quan",
        "đơn vị",
        "tổ chức",
        "người",
        "vấn đề",
        "nội dung",
        "hoạt động",
        "biện pháp",
        "giải pháp",
        "lĩnh vực",
        "hình thức",
        "loại",
        "thời gian",
        "thời điểm",
        "địa điểm",
        "địa bàn",
        "khu vực",
        "nơi",
        "điều",
        "việc",
        "tình trạng",
        "cá nhân",
        "tập thể",
        "phương thức",
        "cách",
        "mức",
        "nguồn",
        "đối tượng",
        "nhiệm vụ",
        "bước",
        "kết quả",
        # times: "ngày nào", "năm nào" ask for a date
        "ngày",
        "tháng",
        "năm",
        "quý",
        "giờ",
        "lúc",
        "dịp",
        "đợt",
        "kỳ",
        "lần",
        "giai đoạn",
    }
)
_MAX_HEAD = 2


def specific_head(syllables: list[str]) -> tuple[str, ...] | None:
    """The one or two words before "nào" ("hội trường nào" → hội trường), unless a category noun."""
    if "nào" not in syllables:
        return None
    position = syllables.index("nào")
    head: list[str] = []
    for syllable in reversed(syllables[max(0, position - _MAX_HEAD) : position]):
        if syllable in QUESTION_WORDS or syllable.isdigit():
            break
        head.insert(0, syllable)
    if not head:
        return None
    if any(" ".join(head[i:]) in CATEGORY_HEADS for i in range(len(head))):
        return None
    return tuple(head)


def _capitalised(question: str) -> list[tuple[str, str | None]]:
    """Capitalised words past the first (names), each with the word after it. All-capital acronyms are
    left out, since a document may spell them out ("UBND" / "Ủy ban nhân dân")."""
    matches = list(TOKEN.finditer(question))
    names = []
    for index, match in enumerate(matches):
        word = match.group()
        if match.start() == 0 or not word[0].isupper() or (len(word) > 1 and word.isupper()):
            continue
        following = matches[index + 1].group().lower() if index + 1 < len(matches) else None
        names.append((word, following))
    return names


def unmentioned(question: str, passage_texts: Iterable[str]) -> list[str]:
    """Names in ``question`` (normalised) found in none of ``passage_texts`` (normalised).

    A name counts as found when the passages write it capitalised too ("Sinh học" is not found in "học
    sinh"), or lowercase together with the word after it (a heading in capitals, a name in running text).
    """
    words: set[str] = set()
    capitalised: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for text in passage_texts:
        found = TOKEN.findall(text)
        capitalised.update(word for word in found if word[:1].isupper())
        syllables = [word.lower() for word in found]
        words.update(syllables)
        pairs.update(itertools.pairwise(syllables))
    missing = [
        word
        for word, following in _capitalised(question)
        if word not in capitalised and (following is None or (word.lower(), following) not in pairs)
    ]
    head = specific_head([s.lower() for s in TOKEN.findall(question)])
    if head is not None:
        found = head[0] in words if len(head) == 1 else (head[0], head[1]) in pairs
        if not found:
            missing.append(" ".join(head))
    return missing
