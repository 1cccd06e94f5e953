"""Who wrote or signed a document, its number and source: header and footer lines kept for questions.

Cleaning drops a news article's byline ("Hồng Thái") and an official document's closing name line
("Lê Quang Hưng" under "TM. ỦY BAN NHÂN DÂN TỈNH / CHỦ TỊCH") so that summaries do not start or end
with them; for that same reason retrieval, which matches a question against the document's content,
never finds them. Yet "Ai ký báo cáo?", "Phóng viên nào viết bài?" and "Ông Lê Quang Hưng giữ chức vụ
gì?" are asked about exactly those lines. This module turns them back into passages (slices of the
original text, of kind "byline", "signature", "number" ("Số: 415/BC-UBND") or "source" (the
"Kinhtedothi - " an article opens with)) and says which questions should read them.
"""

from __future__ import annotations

import re

from pipeline.core.records import CleanDocument, Paragraph, Passage, RoleKind, SplitDocument
from pipeline.core.textnorm import NormalizedText, normalize, normalize_with_offsets

# Each pattern asks about the document itself, not about people or papers in its content: "tác giả của
# các đầu sách", "người ký cam kết", "thông báo nào", "bao nhiêu phóng viên" are not role questions.
_AUTHOR_QUESTION = re.compile(
    r"\b(?:tác giả (?:của )?(?:bài|bản tin)|phóng viên nào|ai viết|(?:người|phóng viên) viết (?:bài|bản tin)"
    r"|viết bởi|ai đưa tin|bài (?:báo|viết) (?:này )?(?:là )?của ai)\b",
    re.IGNORECASE,
)
_SIGNER_QUESTION = re.compile(
    r"\b(?:ai ký|người ký|ký tên)\b(?! (?:kết|cam kết|hợp đồng|biên bản))"
    r"|\bký (?:thông báo|báo cáo|quyết định|văn bản|công văn|tờ trình|kế hoạch)\b",
    re.IGNORECASE,
)
_DOCUMENT_KINDS = r"(?:văn bản|báo cáo|thông báo|quyết định|công văn|kế hoạch|tờ trình)"
_NUMBER_QUESTION = re.compile(
    r"\b(?:số hiệu|ký hiệu)\b|\b"
    + _DOCUMENT_KINDS
    + r"(?: (?:này|của \w+(?: \w+){0,4}))? (?:mang )?số (?:mấy|gì)\b",
    re.IGNORECASE,
)
_SOURCE_QUESTION = re.compile(
    r"(?<!thông )(?<!cảnh )(?<!dự )(?<!tình )(?<!họa )\bbáo (?:điện tử )?nào\b"
    r"|\b(?:trang (?:tin|báo)(?: điện tử)? nào|nguồn tin|cơ quan báo chí nào|tờ báo nào)\b",
    re.IGNORECASE,
)
# "Thông báo ban hành ngày nào?", "Văn bản được ký vào ngày nào?", "Ngày ban hành báo cáo?": the date line
# of an official document's header ("Hòa Bình, ngày 05 tháng 11 năm 2025").
_DATE_QUESTION = re.compile(
    r"^" + _DOCUMENT_KINDS + r"(?: này)? (?:được |đã được )?(?:ban hành|ký|ra|gửi|công bố) (?:vào )?"
    r"(?:ngày nào|ngày bao nhiêu|ngày mấy|khi nào|hôm nào)"
    r"|^ngày (?:ban hành|ký) (?:của )?"
    + _DOCUMENT_KINDS
    + r"(?: này)?(?: là)?(?: ngày nào| khi nào| gì)?\s*\?*$",
    re.IGNORECASE,
)
_HEADER_DATE = re.compile(
    r"^\s*[^\W\d][^,\n]{0,40},\s*(ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})\s*$", re.IGNORECASE
)
_NO_ROLE = re.compile(r"\b(?:bao nhiêu|mấy)\b(?! *\?*$)")  # counting questions ask about the content
_DOCUMENT_NUMBER = re.compile(r"^\s*Số\s*:?\s*(\S+)", re.IGNORECASE)
_BYLINE_PREFIX = re.compile(r"^\s*(?:Theo|Nguồn|Ảnh|Bài và ảnh)\s*:?\s*", re.IGNORECASE)
_TITLE_QUESTION = re.compile(r"\b(?:chức vụ|chức danh|giữ chức|cương vị|là ai)\b", re.IGNORECASE)
MAX_TITLE_LINES = 4


def asks_author(question: str) -> bool:
    """ "Phóng viên nào viết bài?", "Tác giả bài báo là ai?"."""
    lowered = normalize(question).lower()
    return bool(_AUTHOR_QUESTION.search(lowered)) and not _NO_ROLE.search(lowered)


def asks_signer(question: str) -> bool:
    """ "Ai ký báo cáo?", "Người ký thông báo là ai?"."""
    lowered = normalize(question).lower()
    return bool(_SIGNER_QUESTION.search(lowered)) and not _NO_ROLE.search(lowered)


def asks_document_number(question: str) -> bool:
    """ "Báo cáo mang số hiệu gì?", "Thông báo số mấy?": the "Số: 415/BC-UBND" line of the header."""
    return bool(_NUMBER_QUESTION.search(normalize(question).lower()))


def asks_document_date(question: str) -> bool:
    """ "Thông báo ban hành ngày nào?": when the document itself was issued. Only a question that opens
    with the kind of document, unnamed ("Kế hoạch số 112/KH-UBND ... ban hành ngày nào?" asks about
    another document its content cites)."""
    return bool(_DATE_QUESTION.search(normalize(question).lower().strip()))


def header_date(line: str) -> tuple[int, int] | None:
    """The "ngày 05 tháng 11 năm 2025" of a header's "Hòa Bình, ngày 05 tháng 11 năm 2025" (normalised)."""
    found = _HEADER_DATE.match(line)
    return found.span(1) if found else None


def asks_source(question: str) -> bool:
    """ "Bài viết được đăng trên báo nào?": the "Kinhtedothi - " the article opens with."""
    return bool(_SOURCE_QUESTION.search(normalize(question).lower()))


def asks_about_roles(question: str) -> bool:
    """Should the byline, signature and header be read for ``question``: who wrote or signed the
    document, its number or source, or someone's title (the signer's is only in the signature block)."""
    lowered = normalize(question).lower()
    return (
        asks_author(question)
        or asks_signer(question)
        or asks_document_number(question)
        or asks_source(question)
        or asks_document_date(question)
        or bool(_TITLE_QUESTION.search(lowered))
    )


def role_passages(document: SplitDocument, first_index: int) -> tuple[Passage, ...]:
    """The document's byline, signature block, number and source as passages numbered from
    ``first_index`` (after its own passages, so their ids never collide)."""
    clean = document.clean
    text = clean.document.text
    spans: list[tuple[int, int, RoleKind]] = []
    body = [p for p in clean.paragraphs if p.kind != "heading"]
    first_kept = body[0].start if body else len(text)
    last_kept = clean.paragraphs[-1].end if clean.paragraphs else 0
    for dropped in clean.dropped:
        # Matched on the normalised line (an NFD "Số" is two characters), offsets mapped back.
        line = normalize_with_offsets(text[dropped.start : dropped.end])
        if dropped.reason == "source prefix":
            name = re.match(r"\s*(.*?\S)\s*[-–—:]\s*$", line.text)
            if name:
                spans.append((*_original(line, dropped.start, name.span(1)), "source"))
            continue
        if dropped.reason == "site banner" and (number := _DOCUMENT_NUMBER.match(line.text)):
            spans.append((*_original(line, dropped.start, number.span(1)), "number"))
            continue
        prefix = _BYLINE_PREFIX.match(line.text)
        if dropped.reason == "byline" and prefix and dropped.end <= first_kept:
            # "Theo VnExpress": where the article comes from, not who wrote it.
            spans.append((*_original(line, dropped.start, (prefix.end(), len(line.text.rstrip()))), "source"))
            continue
        if dropped.reason != "byline":
            continue
        if dropped.end <= first_kept and _looks_like_name(text[dropped.start : dropped.end]):
            spans.append((dropped.start, dropped.end, "byline"))
        elif dropped.start >= last_kept:
            titles = _closing_titles(document, dropped.start)
            if titles:
                spans.append((titles[0].start, dropped.end, "signature"))
    spans.extend(_header_dates(clean, first_kept))
    return tuple(
        Passage(
            index=first_index + offset,
            start=start,
            end=end,
            text=text[start:end],
            norm=normalize(text[start:end]),
            sentences=(),
            source=clean.document.source,
            kind=kind,
        )
        for offset, (start, end, kind) in enumerate(spans)
    )


def _header_dates(clean: CleanDocument, first_kept: int) -> list[tuple[int, int, RoleKind]]:
    """The header's "Place, ngày ... năm ..." line before the body, kept as a heading or dropped with the
    banner (at most one)."""
    text = clean.document.text
    lines = sorted([*clean.paragraphs, *clean.dropped], key=lambda line: line.start)
    for line in lines:
        if line.start > first_kept:
            break
        if header_date(normalize(text[line.start : line.end])):
            return [(line.start, line.end, "date")]
    return []


def _original(line: NormalizedText, offset: int, span: tuple[int, int]) -> tuple[int, int]:
    """A span of a normalised line as offsets in the document (the line starts at ``offset``)."""
    start, end = line.to_original(*span)
    return offset + start, offset + end


def _is_title_line(line: str) -> bool:
    """A signature block's title lines are in capitals ("CHỦ TỊCH", "KT. CHỦ TỊCH")."""
    return any(c.isalpha() for c in line) and line == line.upper()


def _looks_like_name(line: str) -> bool:
    """A byline that names someone ("Hồng Thái"), not "BÁO CÁO" or "THÔNG BÁO" in capitals."""
    words = line.split()
    return 1 <= len(words) <= 5 and not line.isupper()


def _closing_titles(document: SplitDocument, name_start: int) -> list[Paragraph]:
    """The capitalised heading paragraphs right above the closing name line (the signer's titles)."""
    titles: list[Paragraph] = []
    text = document.clean.document.text
    for paragraph in reversed(document.clean.paragraphs):
        if paragraph.end > name_start:
            continue
        line = text[paragraph.start : paragraph.end].strip()
        between = text[paragraph.end : (titles[0].start if titles else name_start)]
        if between.strip() or not _is_title_line(line) or len(titles) >= MAX_TITLE_LINES:
            break
        titles.insert(0, paragraph)
    return titles


def signer_title(passage_text: str) -> tuple[int, int] | None:
    """In a signature passage, the signer's own title: the last capitalised line ("PHÓ CHỦ TỊCH"), with
    its "KT."/"TM."/"Q." mark dropped."""
    lines = [m for m in re.finditer(r"[^\n]+", passage_text) if _is_title_line(m.group().strip())]
    if not lines:
        return None
    line = lines[-1]
    mark = re.match(r"\s*(?:(?:KT|TM|TL|TUQ|Q)\.\s*)?", line.group())
    start = line.start() + (mark.end() if mark else 0)
    end = line.start() + len(line.group().rstrip())
    return (start, end) if start < end else None


def signer_name(passage_text: str) -> tuple[int, int] | None:
    """In a signature passage, the name on its last line."""
    last = list(re.finditer(r"[^\n]+", passage_text))
    if not last:
        return None
    line = last[-1]
    stripped = line.group().strip()
    start = line.start() + line.group().index(stripped)
    return start, start + len(stripped)
