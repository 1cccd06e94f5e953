"""Cleaning: find the paragraphs worth reading and drop page furniture, keeping original offsets.

News pages copied as text carry a site banner, a byline, share buttons ("Chia sẻ Zalo"), photo
captions repeated twice in a row and a source prefix ("Kinhtedothi - "). None of that may reach a
summary, and little of it helps an answer. Cleaning never rewrites text: it classifies lines and
trims spans, so every paragraph still slices the original document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.core.lexicon import SYLLABLE
from pipeline.core.records import CleanDocument, Document, Dropped, Paragraph, ParagraphKind
from pipeline.core.textnorm import normalize

_SHARE = re.compile(
    r"^(chia sẻ|share|chia sẻ bài viết|theo dõi|bình luận|in bài|gửi bài|lưu bài|tweet|thích|like)"
    r"(\s+(qua|lên|trên|bài viết|ngay))?(\s+(zalo|facebook|twitter|x|email|messenger|linkedin|google news))*"
    r"\s*[:.]?$",
    re.IGNORECASE,
)
_KNOWN_FURNITURE = re.compile(
    r"^(tin liên quan|xem thêm|đọc thêm|bài liên quan|tin cùng chuyên mục|quảng cáo|video:?|ảnh:.*|"
    r"nguồn:.*|\(ảnh.*\)|trang chủ|đăng nhập|đăng ký|tags?:.*|từ khóa:.*|từ khoá:.*)$",
    re.IGNORECASE,
)
_SOURCE_PREFIX = re.compile(r"(\([^()\n]{1,30}\)|[A-ZĐ][\w.]{2,24})\s*[-–—]\s+")
_TERMINAL = re.compile(r"[.!?…:;\"”»)]\s*$")
_LIST_MARKER = re.compile(r"^\s*([-*+•]|\d{1,3}[.)])\s+")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass
class _Line:
    start: int
    end: int
    text: str  # original slice, stripped span
    key: str  # normalised form for comparisons


def _lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    position = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            start = position + (len(body) - len(body.lstrip()))
            end = start + len(stripped)
            key = " ".join(normalize(stripped).casefold().split())
            lines.append(_Line(start, end, stripped, key))
        position += len(raw)
    return lines


def _word_count(text: str) -> int:
    return len(SYLLABLE.findall(text))


def _is_heading_like(line: _Line) -> bool:
    return bool(_MD_HEADING.match(line.text)) or (
        _word_count(line.text) <= 20 and not _TERMINAL.search(line.text) and not line.text.startswith("|")
    )


def _is_byline(line: _Line) -> bool:
    words = line.text.split()
    if not 1 <= len(words) <= 4 or _TERMINAL.search(line.text) or any(ch.isdigit() for ch in line.text):
        return False
    if re.match(r"^(theo|nguồn|bài và ảnh|ảnh|pv|nhóm pv)\b", line.key):
        return True
    return all(word[0].isupper() for word in words if word[0].isalpha())


def _furniture_reason(line: _Line) -> str | None:
    if _SHARE.match(line.key):
        return "share buttons"
    if _KNOWN_FURNITURE.match(line.key):
        return "page furniture"
    if _TABLE_RULE.match(line.text):
        return "table rule"
    return None


def _kind_of(line: _Line) -> ParagraphKind:
    if line.text.startswith("|"):
        return "table"
    if _MD_HEADING.match(line.text):
        return "heading"
    if _LIST_MARKER.match(line.text):
        return "list"
    return "heading" if _is_heading_like(line) else "body"


def _trim_marker(line: _Line, kind: ParagraphKind) -> tuple[int, int]:
    """Span without a Markdown heading hash or list marker (the marker is layout, not content)."""
    pattern = _MD_HEADING if kind == "heading" else _LIST_MARKER if kind == "list" else None
    match = pattern.match(line.text) if pattern else None
    return (line.start + match.end(), line.end) if match else (line.start, line.end)


def clean(document: Document) -> CleanDocument:
    """Classify every line of ``document`` as a kept paragraph or dropped furniture."""
    lines = _lines(document.text)
    dropped: list[Dropped] = []
    kept: list[tuple[_Line, ParagraphKind]] = []
    seen: set[str] = set()

    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else None
        reason = _furniture_reason(line)
        if reason:
            dropped.append(Dropped(line.start, line.end, reason))
        elif following is not None and following.key == line.key and _word_count(line.text) <= 40:
            # A photo caption pasted twice in a row (the image's alt text and its caption).
            dropped.append(Dropped(line.start, line.end, "repeated caption"))
            dropped.append(Dropped(following.start, following.end, "repeated caption"))
            seen.add(line.key)
            index += 2
            continue
        elif line.key in seen:
            dropped.append(Dropped(line.start, line.end, "duplicate line"))
        else:
            seen.add(line.key)
            kept.append((line, _kind_of(line)))
        index += 1

    # Front matter: headings and bylines before the first body paragraph. The last heading there is
    # the title; headings above it are site banners; short capitalised name lines are bylines.
    first_body = next((i for i, (_, kind) in enumerate(kept) if kind in ("body", "list")), len(kept))
    front = kept[:first_body]
    title_index = None
    for i in range(len(front) - 1, -1, -1):
        line, kind = front[i]
        if kind == "heading" and not _is_byline(line):
            title_index = i
            break
    paragraphs: list[Paragraph] = []
    title: Paragraph | None = None
    for i, (line, kind) in enumerate(kept):
        if i < first_body and i != title_index:
            is_byline = _is_byline(line) and (title_index is None or i > title_index)
            dropped.append(Dropped(line.start, line.end, "byline" if is_byline else "site banner"))
            continue
        start, end = _trim_marker(line, kind)
        if i == first_body:
            prefix = _SOURCE_PREFIX.match(document.text, start, end)
            if prefix:
                dropped.append(Dropped(start, prefix.end(), "source prefix"))
                start = prefix.end()
        paragraph = Paragraph(start, end, kind)
        if i == title_index:
            title = paragraph
        paragraphs.append(paragraph)

    # A byline at the very end ("Theo VnExpress", "PV") is furniture too.
    if paragraphs and paragraphs[-1].kind == "heading" and len(paragraphs) > 1:
        last = kept[-1][0]
        if _is_byline(last) and _word_count(last.text) <= 4:
            dropped.append(Dropped(last.start, last.end, "byline"))
            paragraphs.pop()

    dropped.sort(key=lambda item: item.start)
    return CleanDocument(document, tuple(paragraphs), tuple(dropped), title)
