"""``reader.check_type``: which spans may answer a question of a given type (models/rules/span_types.py)."""

from __future__ import annotations

from models.rules.span_types import fitting_spans, token_test

PIECES = ["Trạm", " Y", " tế", " phường", " khám", " cho", " 1.245", " người", " ngày", " 4/7/2017"]


def test_the_question_word_decides_the_test() -> None:
    assert token_test("Phường khám cho bao nhiêu người?")(" 1.245")
    assert token_test("Có mấy tổ chức?")("hai")
    assert not token_test("Phường khám cho bao nhiêu người?")(" phường")
    assert token_test("Hội nghị diễn ra khi nào?")("4/7/2017")
    assert not token_test("Hội nghị diễn ra khi nào?")("ngày")
    assert token_test("Ai ký quyết định?")(" Nguyễn") and not token_test("Ai ký quyết định?")(" thường")
    assert token_test("Nghị quyết nói về vấn đề gì?") is None  # any span may answer a "gì" question


def test_fitting_spans_are_those_holding_a_passing_piece() -> None:
    mask = fitting_spans(PIECES, token_test("Bao nhiêu người được khám?"))
    assert mask.shape == (len(PIECES), len(PIECES))
    assert mask[6, 6] and mask[4, 7] and mask[0, 9]  # "1.245", "khám cho 1.245 người", everything
    assert not mask[0, 3] and not mask[7, 8]  # "Trạm Y tế phường", "người ngày"
