"""The words and token shapes every part of vidoc agrees on: syllables, numbers kept whole, Vietnamese
numerals, administrative units and surnames.

A Vietnamese syllable is what ``\\w+`` matches once text is NFC (every letter with its tone mark is one
``\\w`` character), so one pattern serves BM25, overlap scores and the rule reader. Numbers and dates keep
their inner separators ("20.585", "27,5", "4/7/2017", "16-12-2016"); a time ("7:30") keeps its
colon only where a score compares answers, since a colon between numbers elsewhere is punctuation.
"""

from __future__ import annotations

import re

SYLLABLE = re.compile(r"\w+")
NUMBER = re.compile(r"\d+(?:[.,/\-]\d+)*")
# A number, date or code with inner separators, else a syllable: the unit BM25 and ROUGE count.
TOKEN = re.compile(r"\d+(?:[.,/\-]\d+)*|\w+")
# The same with times kept whole ("7:30"), for answer scores: "7:30" and "7 30" are different answers.
ANSWER_TOKEN = re.compile(r"\d+(?:[.,/:\-]\d+)*|\w+")
ANSWER_NUMBER = re.compile(r"\d+(?:[.,/:\-]\d+)*")


def alternatives(words: tuple[str, ...]) -> str:
    """``words`` as a regex alternation in the order given (put a compound before its last word)."""
    return "|".join(re.escape(word) for word in words)


# Numerals as words, in counting order ("hai lần một năm", "ba tháng"); patterns that need more forms
# ("tư" in "hai mươi tư", "mười hai", "vài") add them where they are used.
NUMERALS: tuple[str, ...] = ("một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười")

# Administrative units, compound ones first so that "thị xã" is never read as "xã".
ADMINISTRATIVE_UNITS: tuple[str, ...] = (
    "thành phố",
    "tỉnh",
    "huyện",
    "quận",
    "thị xã",
    "thị trấn",
    "xã",
    "phường",
)

# Common Vietnamese surnames, lowercased: a capitalised run led by one is taken for a person's name.
SURNAMES = frozenset(
    (
        "nguyễn",
        "trần",
        "lê",
        "phạm",
        "hoàng",
        "huỳnh",
        "phan",
        "vũ",
        "võ",
        "đặng",
        "bùi",
        "đỗ",
        "hồ",
        "ngô",
        "dương",
        "lý",
        "đinh",
        "đoàn",
        "trịnh",
        "lương",
        "mai",
        "cao",
        "lâm",
        "hà",
        "tạ",
        "tô",
        "thái",
        "chu",
        "quách",
        "la",
        "trương",
        "kiều",
        "đào",
        "đàm",
        "lưu",
        "triệu",
        "tăng",
        "vương",
    )
)
