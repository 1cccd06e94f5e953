"""Slot alignment: the answer is the gap the question word leaves in the statement it asks about."""

from __future__ import annotations

from models.rules.slot_alignment import frame, slots
from pipeline.core.textnorm import normalize


def _best(question: str, sentence: str) -> str:
    question, sentence = normalize(question), normalize(sentence)
    found = slots(frame(question), sentence)
    best = max(found, key=lambda slot: (slot.strength, -slot.syllables))
    return sentence[best.start : best.end]


def test_frame_splits_around_the_question_word_and_drops_trailing_particles() -> None:
    parsed = frame("Quận ủy sẽ tăng cường bảo đảm an ninh trật tự ở đâu?")
    assert parsed.wh == ("ở", "đâu") and parsed.left[-2:] == ("trật", "tự") and parsed.right == ()
    assert frame("Có mấy đảng bộ thuộc lực lượng vũ trang không?").right[-1] == "trang"
    assert frame("Hội nghị diễn ra tốt đẹp.") is None
    assert frame("Ai là Trưởng ban Tổ chức?").equative


def test_left_context_with_a_missing_head_noun_marks_the_answer_start() -> None:
    answer = _best(
        "Việc rà soát, giải quyết kịp thời vướng mắc nhằm tránh tình trạng gì?",
        "Rà soát, giải quyết kịp thời các vướng mắc nhằm tránh nảy sinh điểm nóng về khiếu kiện đông người.",
    )
    assert answer == "nảy sinh điểm nóng về khiếu kiện đông người"


def test_right_context_bounds_the_answer_and_linking_words_are_trimmed() -> None:
    answer = _best(
        "Trách nhiệm của ai được gắn với kết quả công tác tiếp công dân?",
        "Quận gắn trách nhiệm của người đứng đầu cấp uỷ, đơn vị với kết quả công tác tiếp công dân.",
    )
    assert answer == "người đứng đầu cấp uỷ, đơn vị"


def test_both_tone_mark_placements_align_and_offsets_slice_the_sentence() -> None:
    question = normalize("Ban Tổ chức sẽ làm gì khi thời tiết xấu?")
    sentence = normalize(
        "Ban Tổ chức sẽ thông báo lùi thời gian khi thời tiết xấu, theo kế hoạch của phường Hoà Bình."
    )
    found = slots(frame(question), sentence)
    assert any(sentence[slot.start : slot.end] == "thông báo lùi thời gian" for slot in found)
    for slot in found:
        assert sentence[slot.start : slot.end].strip() == sentence[slot.start : slot.end]
        assert 0 <= slot.strength <= 1
