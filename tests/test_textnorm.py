import unicodedata

import pytest

from pipeline.core.textnorm import normalize, normalize_with_offsets, unify_tone_marks


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hòa bình", "hoà bình"),
        ("Thanh Hóa", "Thanh Hoá"),
        ("sức khỏe", "sức khoẻ"),
        ("thủy lợi", "thuỷ lợi"),
        ("tùy ý", "tuỳ ý"),
        ("HÒA", "HOÀ"),
    ],
)
def test_old_tone_placement_becomes_new(old: str, new: str) -> None:
    assert unify_tone_marks(old) == new
    assert unify_tone_marks(new) == new


@pytest.mark.parametrize(
    "word", ["quý", "hoàng", "ngoài", "thuyền", "khuyên", "hoạt", "Đảng", "của", "múa", "mùa", "thuở"]
)
def test_closed_rhymes_and_qu_are_left_alone(word: str) -> None:
    assert unify_tone_marks(word) == word


def test_nfd_and_nfc_normalise_to_the_same_form() -> None:
    text = "Đảng bộ quận Thanh Xuân hòa giải"
    assert normalize(unicodedata.normalize("NFD", text)) == normalize(text)


def test_offsets_map_back_into_decomposed_original() -> None:
    original = unicodedata.normalize("NFD", "Xin chào, hòa bình năm 2017.")
    mapped = normalize_with_offsets(original)
    assert mapped.text == "Xin chào, hoà bình năm 2017."
    start = mapped.text.index("hoà bình")
    begin, end = mapped.to_original(start, start + len("hoà bình"))
    assert unicodedata.normalize("NFC", original[begin:end]) == "hòa bình"
    assert mapped.to_original(0, len(mapped.text)) == (0, len(original))


def test_ascii_is_identity() -> None:
    mapped = normalize_with_offsets("plain text")
    assert mapped.text == "plain text"
    assert mapped.to_original(2, 5) == (2, 5)
