"""Cut a document into model-sized chunks at sentence boundaries, dropping nothing.

ViT5 reads at most 1024 tokens. A longer document is packed greedily, in order, into chunks of
whole sentences that fit the token budget; a sentence that alone exceeds the budget is cut at token
boundaries (using the tokenizer's character offsets, so the pieces are exact slices of the
sentence and rejoin to it). Every sentence therefore lands in exactly one chunk, or is spread over
consecutive ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    """A sentence, or part of one: ``text`` is ``source[start:end]`` of the sentence it came from."""

    text: str
    tokens: int
    sentence: int
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """Consecutive pieces that fit one model input."""

    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return " ".join(piece.text for piece in self.pieces)

    @property
    def tokens(self) -> int:
        return sum(piece.tokens for piece in self.pieces)

    @property
    def sentences(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(piece.sentence for piece in self.pieces))


def cut_sentence(
    index: int, text: str, start: int, offsets: Sequence[tuple[int, int]], budget: int
) -> list[Piece]:
    """``text`` (at ``start`` in its document) as pieces of at most ``budget`` tokens.

    ``offsets`` are the tokenizer's character spans of ``text``'s tokens; a cut falls at the start
    of a token, so whitespace and characters the tokenizer maps to ``<unk>`` stay with a piece.
    """
    if len(offsets) <= budget:
        return [Piece(text, len(offsets), index, start, start + len(text))]
    pieces: list[Piece] = []
    cut = first = 0
    while first < len(offsets):
        following = min(first + budget, len(offsets))
        if following < len(offsets):
            following = _word_start_at_or_before(text, offsets, following, first)
        end = offsets[following][0] if following < len(offsets) else len(text)
        part = text[cut:end]
        if part.strip():
            lead = len(part) - len(part.lstrip())
            stripped = part.strip()
            piece_start = start + cut + lead
            pieces.append(Piece(stripped, following - first, index, piece_start, piece_start + len(stripped)))
        cut, first = end, following
    return pieces


def _word_start_at_or_before(text: str, offsets: Sequence[tuple[int, int]], position: int, floor: int) -> int:
    """The last token at or before ``position`` (after ``floor``) that starts a word, so cuts fall
    between words where the budget allows; ``position`` itself when a word is longer than the budget."""
    for candidate in range(position, floor, -1):
        begin = offsets[candidate][0]
        if begin < len(text) and (text[begin].isspace() or (begin > 0 and text[begin - 1].isspace())):
            return candidate
    return position


def pack(pieces: Sequence[Piece], budget: int) -> list[Chunk]:
    """Greedy in-order packing of pieces (each within ``budget``) into chunks within ``budget``."""
    chunks: list[Chunk] = []
    current: list[Piece] = []
    used = 0
    for piece in pieces:
        if current and used + piece.tokens > budget:
            chunks.append(Chunk(tuple(current)))
            current, used = [], 0
        current.append(piece)
        used += piece.tokens
    if current:
        chunks.append(Chunk(tuple(current)))
    return chunks
