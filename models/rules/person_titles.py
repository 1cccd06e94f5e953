"""A person's title from the apposition around their name: "Trưởng ban Tổ chức Thành ủy Hà Nội Vũ Đức Bảo".

Vietnamese reports write the title right before the name, or after it between commas or a dash
("ông Vũ Đức Bảo, Trưởng ban Tổ chức Thành ủy"). "Ông Vũ Đức Bảo giữ chức vụ gì?" and "Vũ Đức Bảo là
ai?" ask for that title, and the sentence that answers often says nothing else of the question.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.core.lexicon import ADMINISTRATIVE_UNITS, SURNAMES, SYLLABLE, TOKEN, alternatives

_TITLE_QUESTION = re.compile(
    r"\b(?:chức vụ|chức danh|cương vị|giữ chức|đảm nhiệm chức|đảm nhận chức|là ai)\b", re.IGNORECASE
)
# Words of the question that only frame it: they are not expected in the answering sentence.
TEMPLATE_WORDS = frozenset(
    {"ông", "bà", "anh", "chị", "đồng", "chí", "giữ", "chức", "vụ", "danh", "cương", "vị", "đảm", "nhiệm"}
)
# "Tỉnh ủy Thái Bình", "tại Hà Nội", "xã Lê Lợi": a place that starts like a surname.
_PLACE_BEFORE = re.compile(
    r"\b(?:" + alternatives(ADMINISTRATIVE_UNITS) + r"|tp|trường|tại|ở|ủy|uỷ|đường|phố|sông|núi)\s+$",
    re.IGNORECASE,
)
_HONORIFIC = re.compile(r"\b(?:ông|bà|anh|chị|đồng chí)\s+$", re.IGNORECASE)
_TITLE_HEAD = re.compile(
    r"\b(?:Tổng Bí thư|Bí thư|Phó Bí thư|Chủ tịch|Phó Chủ tịch|Thủ tướng|Phó Thủ tướng|Bộ trưởng|Thứ trưởng|"
    r"Tổng Giám đốc|Giám đốc|Phó Giám đốc|Chủ nhiệm|Phó Chủ nhiệm|Trưởng|Phó trưởng|Phó|Chánh|Tổng thư ký|"
    r"Ủy viên|Uỷ viên|Đại sứ|Hiệu trưởng|Viện trưởng|Tư lệnh|Chính ủy|Chính uỷ|Đại biểu|Thượng tá|Đại tá|"
    r"Trung tướng|Thiếu tướng|Đại tướng|Thượng tướng|Tổng biên tập|Người phát ngôn|Thủ khoa|Á khoa)\b"
)
_BREAK = re.compile(r"[.;:!?()\[\]“”\"«»,]")


def starts_with_title(text: str) -> bool:
    """Whether ``text`` begins with a person's title ("Trưởng ban ...", "Phó Chủ tịch ..."): a person, not
    a place or a thing."""
    return _TITLE_HEAD.match(text.lstrip()) is not None


_WINDOW_BREAK = re.compile(
    r"[.;:!?()\[\]“”\"«»,]|\svà\s|\b(?:ông|bà|anh|chị|em)\s"
    r"|\b(?:Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đinh|Đoàn)\s+[A-ZĐÀ-Ỹ]\w*\s+[A-ZĐÀ-Ỹ]"
)
# A name right after these is a school, a street or a place named after a person, not the person.
_NOT_A_PERSON = re.compile(
    r"\b(?:trường|THPT|THCS|tiểu học|đường|phố|phường|xã|huyện|tỉnh|bệnh viện|Bệnh viện|Trường)\s*$"
)
_AFTER_NAME = re.compile(r"\s*(?:,|-|–|\()\s*")
MAX_TITLE_SYLLABLES = 14


def asks_title(question: str, name: str | None) -> bool:
    """Does ``question`` ask for the title of the person it names?"""
    if name is None or not _TITLE_QUESTION.search(question):
        return False
    # "Trưởng ban Tổ chức Thành ủy Hà Nội là ai?" names a title and asks for the person.
    return not (
        re.search(r"\blà ai\b", question, re.IGNORECASE)
        and re.search(_TITLE_HEAD.pattern, question, re.IGNORECASE)
    )


def person_name(question: str) -> str | None:
    """The person the question names: two to four capitalised syllables led by a common surname, or
    after an honorific ("Ông Vũ Đức Bảo", "bà Nguyễn Thị Thuý")."""
    runs: list[list[re.Match[str]]] = []
    previous_end = -2
    for word in SYLLABLE.finditer(question):
        if not word.group()[0].isupper():
            continue
        if runs and not question[previous_end : word.start()].strip():
            runs[-1].append(word)
        else:
            runs.append([word])
        previous_end = word.end()
    for run in runs:
        names = [w.group() for w in run]
        honorific = bool(_HONORIFIC.search(question[: run[0].start()])) if run else False
        if names and names[0].lower() in {"ông", "bà"}:
            names, honorific = names[1:], True
        placed = bool(_PLACE_BEFORE.search(question[: run[0].start()])) if run else False
        if 2 <= len(names) <= 4 and (honorific or (names[0].lower() in SURNAMES and not placed)):
            return " ".join(names)
    return None


def title_spans(sentence: str, name: str) -> list[tuple[int, int]]:
    """Titles next to each mention of ``name`` in ``sentence``: the run before the name from its first
    title word, and the phrase after it set off by a comma, dash or bracket."""
    spans: list[tuple[int, int]] = []
    for mention in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", sentence, re.IGNORECASE):
        window_start = max(0, mention.start() - 120)
        window = sentence[window_start : mention.start()]
        # The title is the run right before the name: not across punctuation, "và", an honorific or
        # another person ("Chủ tịch UBND tỉnh Trần Văn Bình và ông Lê Văn An").
        broken = max((m.end() for m in _WINDOW_BREAK.finditer(window)), default=0)
        heads = list(_TITLE_HEAD.finditer(window, broken))
        if heads and not _NOT_A_PERSON.search(window):
            start = window_start + heads[0].start()
            end = window_start + len(window.rstrip())
            if start < end and len(TOKEN.findall(sentence[start:end])) <= MAX_TITLE_SYLLABLES:
                spans.append((start, end))
        after = _AFTER_NAME.match(sentence, mention.end())
        if after:
            stop = _BREAK.search(sentence, after.end())
            end = stop.start() if stop else len(sentence)
            head = _TITLE_HEAD.match(sentence, after.end())
            if head and len(TOKEN.findall(sentence[after.end() : end])) <= MAX_TITLE_SYLLABLES:
                spans.append((after.end(), len(sentence[:end].rstrip())))
    return spans


# Words after which a name is a place's, not a person's ("TP Hà Nội", "đường Nguyễn Văn Cừ").
_PLACE_WORDS = frozenset(
    ["tp", "tp.", "thành", "phố", "tỉnh", "quận", "huyện", "xã", "phường", "thị", "trấn", "đường", "thôn"]
)


def full_names(text: str) -> Iterator[str]:
    """Full names in ``text``: a capitalised surname and two more capitalised words ("Vũ Đức Bảo", "bà
    Nguyễn Thị Thuý"), not after a place word. Punctuation a word carries ("Bảo.") is left out."""
    words = text.split()
    for index in range(len(words) - 2):
        name = words[index : index + 3]
        after_place = index > 0 and words[index - 1].lower() in _PLACE_WORDS
        if name[0].lower() in SURNAMES and all(w[:1].isupper() for w in name) and not after_place:
            yield " ".join(name).strip(_NAME_PUNCTUATION)


_NAME_PUNCTUATION = '.,;:!?()[]“”"«»'


def within_title(sentence: str, start: int, end: int) -> bool:
    """Whether ``sentence[start:end]`` lies inside the title of a person the sentence names ("Tổ chức",
    "Hà Nội" in "Trưởng ban Tổ chức Thành ủy Hà Nội Vũ Đức Bảo"): part of who someone is, not where
    something happened."""
    return any(
        s <= start and end <= e for name in full_names(sentence) for s, e in title_spans(sentence, name)
    )
