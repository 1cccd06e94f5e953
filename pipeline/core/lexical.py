"""Lexical tokens for BM25 and word overlap: lowercased, normalised, numbers and dates kept whole.

"20.585", "27,5", "4/7/2017" and "16-12-2016" are one token each: a question about "20.585 đảng viên"
must match that number, not the pieces "20" and "585". Two granularities are offered because BM25 over
Vietnamese can index syllables (what is written between spaces) or underthesea's segmented words.
"""

from __future__ import annotations

from typing import Literal

from pipeline.core import vietnamese
from pipeline.core.lexicon import TOKEN
from pipeline.core.textnorm import normalize

TokenKind = Literal["syllables", "words"]


def syllable_tokens(text: str) -> list[str]:
    """Lowercased syllables of the normalised text (NFC, one tone placement)."""
    return TOKEN.findall(normalize(text).lower())


def word_tokens(text: str) -> list[str]:
    """Lowercased underthesea words, syllables joined by ``_`` ("đảng_viên"); punctuation dropped."""
    tokens: list[str] = []
    for word in vietnamese.word_tokenize(normalize(text)):
        pieces = TOKEN.findall(word.lower())
        if pieces:
            tokens.append("_".join(pieces))
    return tokens


def tokens(text: str, kind: TokenKind = "syllables") -> list[str]:
    """BM25 tokens of ``text`` at the requested granularity."""
    return word_tokens(text) if kind == "words" else syllable_tokens(text)
