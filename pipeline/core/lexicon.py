"""The words and token shapes every part of vidoc agrees on: syllables, numbers kept whole, Vietnamese
numerals, administrative units and surnames.

A Vietnamese syllable is what ``\\w+`` matches once text is NFC (every letter with its tone mark is one
``\\w`` character), so one pattern serves BM25, overlap scores and the rule reader. Numbers and dates keep
their inner separators ("20.585", "27,5", "4/7/2017", "16-12-2016", "15-NQ"); a time ("7:30") keeps its
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
