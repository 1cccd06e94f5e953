"""The shared lexicon (pipeline/core/lexicon.py): token shapes that keep Vietnamese whole."""

from __future__ import annotations

import re
import unicodedata

from pipeline.core.lexicon import (
    ADMINISTRATIVE_UNITS,
    ANSWER_TOKEN,
    NUMERALS,
    SURNAMES,
    SYLLABLE,
    TOKEN,
    alternatives,
)
from pipeline.core.textnorm import normalize


def test_numbers_dates_and_codes_stay_one_token() -> None:
    text = "Đảng bộ có 20.585 đảng viên, tăng 27,5% từ ngày 4/7/2017 theo Nghị quyết 15-NQ/TU."
    tokens = TOKEN.findall(text)
    assert {"20.585", "27,5", "4/7/2017"} <= set(tokens)
    assert tokens[-3:] == ["15", "NQ", "TU"]  # a document code is its pieces; offsets come from the text
    assert "Đảng" in tokens and "viên" in tokens  # letters with tone marks are never dropped


def test_answer_tokens_keep_times_whole_and_bm25_tokens_do_not() -> None:
    assert ANSWER_TOKEN.findall("lúc 7:30 sáng") == ["lúc", "7:30", "sáng"]
    assert TOKEN.findall("lúc 7:30 sáng") == ["lúc", "7", "30", "sáng"]


def test_a_syllable_needs_nfc_text() -> None:
    """Decomposed tone marks are not word characters: callers normalise before matching."""
    decomposed = unicodedata.normalize("NFD", "Thanh Xuân hoà")
    assert len(SYLLABLE.findall(decomposed)) > 3
    assert SYLLABLE.findall(normalize(decomposed)) == ["Thanh", "Xuân", normalize("hoà")]


def test_compound_units_match_before_their_last_word() -> None:
    unit = re.compile(r"\b(?:" + alternatives(ADMINISTRATIVE_UNITS) + r")\b")
    assert unit.search("tại thị xã Sơn Tây").group(0) == "thị xã"
    assert unit.search("tại thành phố Huế").group(0) == "thành phố"


def test_word_lists_are_lowercase_nfc_and_without_repeats() -> None:
    for words in (NUMERALS, ADMINISTRATIVE_UNITS, tuple(SURNAMES)):
        assert all(word == unicodedata.normalize("NFC", word).lower() for word in words)
        assert len(set(words)) == len(words)
    assert {"nguyễn", "trần", "vương"} <= SURNAMES and "văn" not in SURNAMES
