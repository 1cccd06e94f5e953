"""Splitting: paragraphs → sentences → passages, each with offsets into the original text.

underthesea's sentence splitter runs on the normalised paragraph (NFC, one tone placement) and its
sentences are located back in that paragraph; the normalisation map then turns every offset into
an offset of the original file. Passages are overlapping windows of sentences inside a paragraph
(consecutive table rows count as one paragraph, so a table's header travels with its rows).
"""

from __future__ import annotations

import re

from pipeline.core import vietnamese
from pipeline.core.config import SplitterConfig
from pipeline.core.records import CleanDocument, Paragraph, ParagraphKind, Passage, Sentence, SplitDocument
from pipeline.core.textnorm import normalize, normalize_with_offsets

_FALLBACK_SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+|$)")


def _sentence_spans(norm_paragraph: str) -> list[tuple[int, int]]:
    """Sentence spans in the normalised paragraph, found by underthesea and located in the text."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in vietnamese.sent_tokenize(norm_paragraph):
        sentence = sentence.strip()
        if not sentence:
            continue
        position = norm_paragraph.find(sentence, cursor)
        if position < 0:  # the splitter altered the text: fall back to punctuation for the rest
            return spans + [
                (cursor + m.start(), cursor + m.end())
                for m in _FALLBACK_SENTENCE.finditer(norm_paragraph[cursor:])
                if m.group().strip()
            ]
        spans.append((position, position + len(sentence)))
        cursor = position + len(sentence)
    return spans


def split_sentences(clean: CleanDocument) -> list[Sentence]:
    """Every kept paragraph's sentences, in document order."""
    text = clean.document.text
    sentences: list[Sentence] = []
    for paragraph_index, paragraph in enumerate(clean.paragraphs):
        original = text[paragraph.start : paragraph.end]
        mapped = normalize_with_offsets(original)
        if paragraph.kind in ("heading", "table"):
            spans = [(0, len(mapped.text))]
        else:
            spans = _sentence_spans(mapped.text)
        for norm_start, norm_end in spans:
            local_start, local_end = mapped.to_original(norm_start, norm_end)
            # Trim whitespace the splitter may have kept at the edges.
            while local_start < local_end and original[local_start].isspace():
                local_start += 1
            while local_end > local_start and original[local_end - 1].isspace():
                local_end -= 1
            if local_start == local_end:
                continue
            start, end = paragraph.start + local_start, paragraph.start + local_end
            sentences.append(
                Sentence(
                    index=len(sentences),
                    start=start,
                    end=end,
                    text=text[start:end],
                    norm=normalize(text[start:end]),
                    paragraph=paragraph_index,
                    kind=paragraph.kind,
                )
            )
    return sentences


def _groups(paragraphs: tuple[Paragraph, ...], sentences: list[Sentence]) -> list[list[Sentence]]:
    """Sentences grouped by paragraph; consecutive table rows form one group."""
    groups: list[list[Sentence]] = []
    previous_kind: ParagraphKind | None = None
    previous_paragraph = -1
    for sentence in sentences:
        same_paragraph = sentence.paragraph == previous_paragraph
        table_run = sentence.kind == "table" and previous_kind == "table"
        if groups and (same_paragraph or table_run):
            groups[-1].append(sentence)
        else:
            groups.append([sentence])
        previous_kind, previous_paragraph = sentence.kind, sentence.paragraph
    return groups


def _windows(group: list[Sentence], settings: SplitterConfig) -> list[list[Sentence]]:
    max_sentences = len(group) if group[0].kind == "table" else settings.passage_sentences
    windows: list[list[Sentence]] = []
    start = 0
    while start < len(group):
        end = start + 1
        words = group[start].words
        while (
            end < len(group)
            and end - start < max_sentences
            and words + group[end].words <= settings.passage_max_words
        ):
            words += group[end].words
            end += 1
        windows.append(group[start:end])
        if end >= len(group):
            break
        start = max(end - settings.passage_overlap, start + 1)
    return windows


def split(clean: CleanDocument, settings: SplitterConfig | None = None) -> SplitDocument:
    """Split a cleaned document into sentences and passage windows."""
    settings = settings or SplitterConfig()
    sentences = split_sentences(clean)
    text = clean.document.text
    passages: list[Passage] = []
    for group in _groups(clean.paragraphs, sentences):
        for window in _windows(group, settings):
            start, end = window[0].start, window[-1].end
            passages.append(
                Passage(
                    index=len(passages),
                    start=start,
                    end=end,
                    text=text[start:end],
                    norm=normalize(text[start:end]),
                    sentences=tuple(sentence.index for sentence in window),
                    source=clean.document.source,
                    kind=window[0].kind,
                )
            )
    return SplitDocument(clean, tuple(sentences), tuple(passages))
