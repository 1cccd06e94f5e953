"""Token ids with character offsets into the original text, for tokenizers that cannot give offsets.

PhoBERT's tokenizer is a slow fastBPE tokenizer: no ``offset_mapping``, and it reads word-segmented
text, not the text the user's file holds. So the text is normalised (NFC, one tone placement, with a
map back to the original), segmented into words located in that text, and each word is tokenised on
its own: a word's BPE pieces, with ``@@`` removed, spell the word, so every piece's characters are
known, including pieces whose id is ``<unk>``. Fast tokenizers (XLM-R readers) give offsets directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.inputs.word_segmentation import Word, segment
from pipeline.core.textnorm import NormalizedText, normalize_with_offsets

# Markers tokenizers add to pieces: fastBPE continuation, SentencePiece word start, BPE word end, WordPiece.
_SUFFIXES = ("@@", "</w>")
_PREFIXES = ("▁", "##")


@dataclass(frozen=True)
class AlignedTokens:
    """A text's token ids and pieces; ``spans[i]`` is piece ``i``'s ``[start, end)`` in the original text."""

    ids: tuple[int, ...]
    pieces: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    def __len__(self) -> int:
        return len(self.ids)


def piece_text(piece: str) -> str:
    """The characters a piece stands for, without its tokenizer's markers."""
    for suffix in _SUFFIXES:
        piece = piece.removesuffix(suffix)
    for prefix in _PREFIXES:
        piece = piece.removeprefix(prefix)
    return piece


def _piece_spans(form: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Each piece's span in ``form``; a piece that does not spell its part (byte-level BPE) gets the gap
    between its neighbours, so no piece is left without a place."""
    found: list[tuple[int, int] | None] = []
    cursor = 0
    for piece in pieces:
        text = piece_text(piece)
        if text and form[cursor : cursor + len(text)].lower() == text.lower():
            found.append((cursor, cursor + len(text)))
            cursor += len(text)
        else:
            found.append(None)
    spans: list[tuple[int, int]] = []
    for index, span in enumerate(found):
        if span is not None:
            spans.append(span)
            continue
        start = spans[-1][1] if spans else 0
        end = next((s[0] for s in found[index + 1 :] if s is not None), len(form))
        spans.append((start, max(start, end)))
    return spans


def _to_text(word: Word, mapped: NormalizedText, start: int, end: int) -> tuple[int, int]:
    """A span of ``word.form`` as a span of the original text, without the whitespace at its edges."""
    text = mapped.text
    while start < end and text[word.origin[start]].isspace():
        start += 1
    while end > start and text[word.origin[end - 1]].isspace():
        end -= 1
    if start == end:
        position = word.origin[start] if start < len(word.origin) else word.end
        return mapped.to_original(position, position)
    return mapped.to_original(word.origin[start], word.origin[end - 1] + 1)


def original_spans(mapped: NormalizedText, offsets: Any) -> tuple[tuple[int, int], ...]:
    """A fast tokenizer's offsets into the normalised text as spans of the original, without the
    whitespace a SentencePiece ``▁`` piece starts with. Shared by the transformers readers and the
    ONNX reader, which must align tokens exactly as training did."""
    spans = []
    for start, end in offsets:
        while start < end and mapped.text[start].isspace():
            start += 1
        spans.append(mapped.to_original(start, max(start, end)))
    return tuple(spans)


def _fast(tokenizer: Any, mapped: NormalizedText) -> AlignedTokens:
    encoded = tokenizer(mapped.text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoded["input_ids"])
    spans = original_spans(mapped, encoded["offset_mapping"])
    return AlignedTokens(tuple(ids), tuple(tokenizer.convert_ids_to_tokens(ids)), spans)


def align_tokens(tokenizer: Any, original: str, by_words: bool) -> AlignedTokens:
    """Tokenise ``original`` (segmented into words when ``by_words``) with offsets into it."""
    mapped = normalize_with_offsets(original)
    if not by_words and getattr(tokenizer, "is_fast", False):
        return _fast(tokenizer, mapped)
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    for word in segment(mapped.text, by_words):
        word_pieces = tokenizer.tokenize(word.form)
        for start, end in _piece_spans(word.form, word_pieces):
            spans.append(_to_text(word, mapped, start, end))
        pieces.extend(word_pieces)
    ids = tokenizer.convert_tokens_to_ids(pieces)
    return AlignedTokens(tuple(ids), tuple(pieces), tuple(spans))
