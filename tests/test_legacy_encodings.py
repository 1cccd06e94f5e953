"""Legacy Vietnamese encodings: the tables, round trips through them, and detection.

Round trips encode with the module's own inverse tables, so they catch a table that is not one-to-one or
a decoder that loses something; the known byte strings and the glibc comparison check that the tables say
what TCVN3, VNI and Windows-1258 actually say.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from pipeline.documents.legacy_encodings import (
    LEGACY_ENCODINGS,
    decode_legacy,
    detect_legacy,
    encode_legacy,
    is_vietnamese_syllable,
    legacy_scores,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "000_f1aaaf303130fff8.txt"
VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
ALL_LOWER = "".join(unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES) + "đ"
ALL_UPPER = ALL_LOWER.upper()


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def paragraph(starts_with: str) -> str:
    return next(line for line in example_text().splitlines() if line.startswith(starts_with))


def long_paragraphs() -> list[str]:
    return [line for line in example_text().splitlines() if 200 <= len(line) <= 800]


# Two paragraphs of the example: dates (6/9, 4/7/2017, 16-12-2016), 20.585, curly quotes, ủy, HĐND.
REALISTIC = paragraph("Chiều 6/9") + "\n\n" + paragraph("Theo báo cáo")


# --- tables ------------------------------------------------------------------------------------------


def test_tcvn3_gives_every_high_byte_its_own_character() -> None:
    # After a capital, so the bytes Word also uses for punctuation read as the VN1 capitals.
    decoded = {byte: decode_legacy(b"A" + bytes([byte]), "tcvn3")[1:] for byte in range(0x80, 0x100)}
    tone_marks = range(0xB0, 0xB5)  # combine with the "A" under NFC
    assert all(len(decoded[byte]) == 1 for byte in decoded if byte not in tone_marks)
    letters = [decoded[byte] for byte in decoded if byte not in tone_marks]
    assert len(set(letters)) == len(letters)
    assert set(ALL_LOWER + ALL_UPPER) - set("aeiouyAEIOUY") <= set(letters) | set(
        decode_legacy(bytes(range(1, 0x18)), "tcvn3")
    )


@pytest.mark.skipif(shutil.which("iconv") is None, reason="needs iconv to compare with")
def test_tcvn3_table_agrees_with_glibc_tcvn5712_1() -> None:
    codes = [*range(0x01, 0x18), *range(0x80, 0xB0), *range(0xB5, 0x100)]
    data = b"|".join(b"X" + bytes([code]) for code in codes)
    result = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=data, capture_output=True)
    if result.returncode != 0:
        pytest.skip("this iconv has no TCVN5712-1")
    theirs = unicodedata.normalize("NFC", result.stdout.decode("utf-8")).split("|")
    ours = [decode_legacy(b"X" + bytes([code]), "tcvn3") for code in codes]
    assert ours == theirs


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"C\xe9ng ho\xb5 x\xb7 h\xe9i ch\xf1 ngh\xdca Vi\xd6t Nam", "Cộng hoà xã hội chủ nghĩa Việt Nam"),
        (b"\xa7\xe9c l\xcbp - T\xf9 do - H\xb9nh ph\xf3c", "Độc lập - Tự do - Hạnh phúc"),
        (b"Qu\xb8n \xa8n, \xa2n \xa3m, \xa4ng", "Quán ăn, Ân Êm, Ông"),
        (b"a\xb3", "á"),  # a separate VN1 tone mark joins its letter
    ],
)
def test_known_tcvn3_strings(data: bytes, text: str) -> None:
    assert decode_legacy(data, "tcvn3") == text


@pytest.mark.parametrize(
    ("shown", "text"),
    [
        ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        ("Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
        ("chæ thò, vò trí, thuôû, ñöôïc", "chỉ thị, vị trí, thuở, được"),
        ("COÄNG HOØA, ÑÖÔØNG", "CỘNG HÒA, ĐƯỜNG"),
    ],
)
def test_known_vni_strings(shown: str, text: str) -> None:
    """VNI written as the Windows-1252 characters it shows as without VNI fonts."""
    assert decode_legacy(shown.encode("cp1252"), "vni") == text


def test_known_cp1258_bytes_follow_pythons_codec() -> None:
    assert decode_legacy(b"Ti\xea\xecng Vi\xea\xf2t", "cp1258") == "Tiếng Việt"
    assert encode_legacy("Tiếng Việt", "cp1258") == b"Ti\xea\xecng Vi\xea\xf2t"
    assert encode_legacy("à Đ ư", "cp1258") == b"\xe0 \xd0 \xfd"  # precomposed where cp1258 has them
    every_byte = bytes(range(0x80, 0x100))
    expected = unicodedata.normalize("NFC", every_byte.decode("cp1258", errors="replace"))
    assert decode_legacy(every_byte, "cp1258") == expected


# --- round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", LEGACY_ENCODINGS)
def test_realistic_paragraph_round_trips(encoding: str) -> None:
    """cp1258 holds all of it through decomposition: "ậ" is "â" + U+0323, curly quotes are 0x93/0x94."""
    data = encode_legacy(REALISTIC, encoding)
    assert not data.isascii()
    text = decode_legacy(data, encoding)
    assert text == REALISTIC
    assert "20.585 đảng viên" in text and "ngày 4/7/2017" in text and "Quận ủy" in text
    assert unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize("encoding", LEGACY_ENCODINGS)
def test_every_vietnamese_letter_round_trips_in_both_cases(encoding: str) -> None:
    text = f"{ALL_LOWER} X{ALL_UPPER}"
    assert decode_legacy(encode_legacy(text, encoding), encoding) == text


@pytest.mark.parametrize("encoding", LEGACY_ENCODINGS)
@pytest.mark.parametrize(
    "text",
    ["ĐỘC LẬP - TỰ DO - HẠNH PHÚC", "Đà Nẵng, Ủy ban nhân dân, Ông Ấn", "đ Đ đường Đường ĐƯỜNG"],
)
def test_capitals_and_d_stroke_round_trip(encoding: str, text: str) -> None:
    assert decode_legacy(encode_legacy(text, encoding), encoding) == text


@pytest.mark.parametrize(
    ("encoding", "lower", "upper"),
    [("tcvn3", b"\xae", b"\xa7"), ("vni", b"\xf1", b"\xd1"), ("cp1258", b"\xf0", b"\xd0")],
)
def test_d_stroke_codes(encoding: str, lower: bytes, upper: bytes) -> None:
    assert encode_legacy("đĐ", encoding) == lower + upper
    assert decode_legacy(lower + upper, encoding) == "đĐ"


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("tcvn3", b"h\xdfa ho\xb5 th\xf1y thu\xfb"),
        ("vni", "hoøa hoaø thuûy thuyû".encode("cp1252")),
        ("cp1258", b"ho\xcca hoa\xcc thu\xd2y thuy\xd2"),
    ],
)
def test_both_tone_placements_survive_as_written(encoding: str, data: bytes) -> None:
    """NFC composes a tone with its own letter and never moves it: hòa stays hòa, hoà stays hoà."""
    assert decode_legacy(data, encoding) == "hòa hoà thủy thuỷ"


# --- TCVN3 specifics ---------------------------------------------------------------------------------


def test_vntimeh_headings_typed_with_lowercase_codes_become_capitals() -> None:
    heading = b"C\xe9NG HO\xb5 X\xb7 H\xe9I CH\xf1 NGH\xdcA VI\xd6T NAM\r\n\xa7\xe9C L\xcbP - T\xf9 DO"
    assert decode_legacy(heading, "tcvn3") == "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\r\nĐỘC LẬP - TỰ DO"


def test_mixed_case_lines_keep_their_lowercase() -> None:
    data = b"H\xe5 Ch\xdd Minh, UBND TP, X\xb7 \xa7\xb5i"
    assert decode_legacy(data, "tcvn3") == "Hồ Chí Minh, UBND TP, Xã Đài"


def test_word_punctuation_bytes_read_by_their_left_neighbour() -> None:
    data = b"\x93X\xa9y d\xf9ng\x94 \x96 1996\x962000\x85 \x95 H\x96C NH\x93 \xa7\x97C"
    assert decode_legacy(data, "tcvn3") == "“Xây dựng” – 1996–2000… • HỌC NHỎ ĐỘC"


def test_encoder_refuses_what_would_not_read_back() -> None:
    with pytest.raises(ValueError, match="no code"):
        encode_legacy("3 × 4", "tcvn3")
    with pytest.raises(ValueError, match="reads back"):
        encode_legacy("Ọp ẹp", "tcvn3")  # a capital Ọ after a space is read as an en dash
    with pytest.raises(ValueError, match="no code"):
        encode_legacy("mañana", "vni")  # VNI's ñ is đ
    with pytest.raises(ValueError, match="unknown legacy encoding"):
        decode_legacy(b"x", "viscii")


def test_undefined_bytes_become_replacement_characters() -> None:
    assert decode_legacy(b"a\x81b", "cp1258") == "a\ufffdb"
    assert decode_legacy(b"a\x81b", "vni") == "a\ufffdb"


# --- detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", LEGACY_ENCODINGS)
def test_detection_picks_the_encoding_of_each_paragraph(encoding: str) -> None:
    paragraphs = long_paragraphs()
    assert len(paragraphs) >= 5
    for text in paragraphs:
        assert detect_legacy(encode_legacy(text, encoding)) == encoding, text[:60]


@pytest.mark.parametrize("encoding", LEGACY_ENCODINGS)
def test_detection_margin_is_wide(encoding: str) -> None:
    scores = legacy_scores(encode_legacy(REALISTIC, encoding))
    best = scores.pop(encoding)
    assert best > 0.95
    assert max(scores.values()) < 0.5


def test_detection_leaves_utf8_alone() -> None:
    vietnamese = example_text()[:2000]
    assert detect_legacy(vietnamese.encode("utf-8")) is None
    assert detect_legacy(b"\xef\xbb\xbf" + vietnamese.encode("utf-8")) is None
    assert (
        detect_legacy(b"The committee met on 4/7/2017 and approved 20.585 items.") is None
    )  # ASCII is UTF-8
    assert detect_legacy(b"") is None


def test_detection_refuses_damaged_utf8() -> None:
    """One bad byte in UTF-8 text must stay a UTF-8 error, not become a wrong legacy decoding."""
    data = bytearray(example_text()[:2000].encode("utf-8"))
    data[500] = 0xFF
    assert detect_legacy(bytes(data)) is None


@pytest.mark.parametrize("size", [100, 1000, 10000])
def test_detection_refuses_random_bytes(size: int) -> None:
    data = random.Random(size).randbytes(size)
    assert detect_legacy(data) is None


@pytest.mark.parametrize(
    "text",
    [
        "Le préfet a décidé que la fête aura lieu à côté de l'église, près du château, même en été.",
        "Die Größe der Übungsräume wäre für unsere Schüler völlig ausreichend, aber die Straße ist laut.",
    ],
)
def test_detection_refuses_western_european_text(text: str) -> None:
    assert detect_legacy(text.encode("cp1252")) is None


def test_detection_needs_enough_words_with_diacritics() -> None:
    assert detect_legacy(encode_legacy("Báo cáo số 15", "tcvn3")) is None


# --- syllables ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    [
        "nghiêng",
        "quốc",
        "giữ",
        "gì",
        "thuở",
        "xoong",
        "khuya",
        "Việt",
        "ĐẢNG",
        "được",
        "ủy",
        "uỷ",
        "hòa",
        "hoà",
    ],
)
def test_real_syllables_pass(word: str) -> None:
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize(
    "word",
    ["céng", "ghà", "nghà", "ngì", "kan", "hoµ", "viờũt", "tàc", "vIệt", "fête", "đảg"],
)
def test_misdecoded_words_fail(word: str) -> None:
    assert not is_vietnamese_syllable(word)
