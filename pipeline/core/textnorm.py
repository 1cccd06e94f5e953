"""Vietnamese text normalisation that never loses track of where each character came from.

Documents arrive in NFC, NFD or a mix, and with two tone-mark placements (old ``hòa``/``thủy``,
new ``hoà``/``thuỷ``). Everything that *matches* text (retrieval, scoring, answer checks) works on a
normalised form; everything that *shows* text slices the original. ``NormalizedText`` carries the
map between the two so an offset found in the normalised text points back into the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Tone marks as combining characters (NFD): grave, acute, hook above, tilde, dot below.
_TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"

# Old placement puts the tone on the first vowel of an open "oa", "oe", "uy" rhyme (hòa, khỏe, thủy);
# the new placement puts it on the second (hoà, khoẻ, thuỷ). Followed by a final consonant or another
# vowel (hoàng, khuyên, ngoài) both styles agree, so only open rhymes at a syllable's end move.
# "qu" + y keeps its mark on y in both styles (quý), so a "u" after "q" is not a rhyme start.
_OLD_PLACEMENT = re.compile(
    r"(?<![qQ])([oO](?=[" + _TONE_MARKS + r"][aAeE])|[uU](?=[" + _TONE_MARKS + r"][yY]))"
    r"([" + _TONE_MARKS + r"])([aAeEyY])(?![\w" + _TONE_MARKS + r"])",
)


@lru_cache(maxsize=65536)
def _unify_syllable_chars(chunk: str) -> str:
    decomposed = unicodedata.normalize("NFD", chunk)
    moved = _OLD_PLACEMENT.sub(lambda m: m.group(1) + m.group(3) + m.group(2), decomposed)
    return unicodedata.normalize("NFC", moved)


def unify_tone_marks(text: str) -> str:
    """Return NFC text with the new (``hoà``) tone placement; length-preserving for NFC input."""
    nfc = unicodedata.normalize("NFC", text)
    return re.sub(r"\w+", lambda m: _unify_syllable_chars(m.group(0)), nfc)


def normalize(text: str) -> str:
    """The form used for matching: NFC, one tone placement. Case and spacing are kept."""
    return unify_tone_marks(text)


@dataclass(frozen=True)
class NormalizedText:
    """Normalised text plus, for every normalised character, the offset of its origin.

    ``origin`` has ``len(text) + 1`` entries; the last one is ``len(original)`` so that an
    exclusive end offset maps cleanly.
    """

    original: str
    text: str
    origin: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the normalised text to the original text."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) outside normalised text of length {len(self.text)}")
        # origin[end] is where the next cluster starts, so the span covers its last cluster whole.
        return self.origin[start], self.origin[end]


def _clusters(text: str) -> list[tuple[int, int]]:
    """Split text into (start, end) clusters: a base character plus the combining marks after it."""
    clusters: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or not unicodedata.combining(text[index]):
            clusters.append((start, index))
            start = index
    return clusters


def normalize_with_offsets(original: str) -> NormalizedText:
    """Normalise ``original`` and keep, per output character, the offset it came from."""
    if original.isascii():
        return NormalizedText(original, original, tuple(range(len(original) + 1)))
    pieces: list[str] = []
    origin: list[int] = []
    for start, end in _clusters(original):
        composed = unicodedata.normalize("NFC", original[start:end])
        pieces.append(composed)
        origin.extend([start] * len(composed))
    nfc = "".join(pieces)
    unified = unify_tone_marks(nfc)
    if len(unified) != len(nfc):  # pragma: no cover - unify_tone_marks is length-preserving on NFC
        raise AssertionError("tone-mark unification changed the text length")
    origin.append(len(original))
    return NormalizedText(original, unified, tuple(origin))
