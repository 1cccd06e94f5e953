"""Near-miss questions (models/training/near_miss.py): each edit leaves a question its own passage cannot
answer."""

from __future__ import annotations

import random

import pytest

from models.training.near_miss import NearMiss, QuestionParts, Replacements, near_miss
from pipeline.core.textnorm import normalize

PASSAGE = (
    "Năm 2017, Đảng bộ quận Thanh Xuân có 20.585 đảng viên, sinh hoạt tại 11 đảng bộ phường. "
    "Hội nghị do đồng chí Bùi Huyền Mai chủ trì, tổ chức tại hội trường Quận ủy."
)
OTHER_ARTICLE = [
    ("Hà Nội", "Hồ Hoàn Kiếm nằm ở quận nào của Hà Nội?"),
    ("Hà Nội", "Nguyễn Trãi viết Bình Ngô đại cáo vào năm nào?"),
    ("Hà Nội", "Có bao nhiêu học sinh thi vào trường chuyên?"),
]


def _replacements(extra: list[tuple[str, str]] = ()) -> Replacements:
    questions = [*OTHER_ARTICLE, *extra]
    return Replacements.from_questions([(t, q, QuestionParts.of(q)) for t, q in questions])


def _folded(text: str) -> str:
    return normalize(text).casefold()


def _edits(question: str, tries: int = 30) -> list[NearMiss]:
    parts = QuestionParts.of(question)
    replacements = _replacements([("Thanh Xuân", question)])
    found = []
    for seed in range(tries):
        edited = near_miss(question, parts, PASSAGE, "Thanh Xuân", replacements, random.Random(seed))
        if edited is not None:
            found.append(edited)
    return found


def test_a_stated_year_is_moved_to_one_the_passage_does_not_state() -> None:
    edits = _edits("Năm 2017, Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?")
    numbers = [e for e in edits if e.kind == "number"]
    assert numbers, edits  # the number comes first when the passage states it
    for edit in numbers:
        assert edit.replaced == "2017" and edit.by != "2017"
        assert edit.by not in PASSAGE
        assert edit.question == f"Năm {edit.by}, Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?"


def test_a_number_with_a_thousands_dot_is_edited_whole() -> None:
    for edit in _edits("Quận có 20.585 đảng viên thuộc bao nhiêu đảng bộ phường?"):
        assert edit.kind == "number" and edit.replaced == "20.585"
        assert len(edit.by) == len("20.585") and edit.by not in PASSAGE


def test_names_and_terms_come_from_another_article_and_are_absent_from_the_passage() -> None:
    question = "Đồng chí Bùi Huyền Mai chủ trì hội nghị tại hội trường nào?"
    edits = _edits(question)
    assert {e.kind for e in edits} <= {"name", "term"} and edits
    for edit in edits:
        assert edit.by not in {q for _, q in OTHER_ARTICLE} and _folded(edit.by) not in _folded(PASSAGE)
        assert edit.replaced in question and edit.question == question.replace(edit.replaced, edit.by, 1)
        assert (
            edit.by in {"Hồ Hoàn Kiếm", "Hà Nội", "Nguyễn Trãi", "Bình Ngô", "học sinh"}
            or edit.kind == "term"
        )


def test_a_name_the_passage_states_with_the_other_tone_placement_is_never_put_in() -> None:
    question = "Ông Nguyễn Trãi làm việc ở đâu?"
    pool = Replacements.from_questions(
        [("x", "Người ở Thanh Hóa là ai?", QuestionParts.of("Người ở Thanh Hóa là ai?"))]
    )
    parts = QuestionParts.of(question)
    stated = "Ông Nguyễn Trãi sinh ở Hà Nội và làm việc tại Thanh Hoá."  # oà, the pool has óa
    unstated = "Ông Nguyễn Trãi sinh ở Hà Nội và làm việc tại Nghệ An."
    for seed in range(10):
        assert near_miss(question, parts, stated, "y", pool, random.Random(seed)) is None
        edited = near_miss(question, parts, unstated, "y", pool, random.Random(seed))
        assert edited is not None and edited.question == "Ông Thanh Hóa làm việc ở đâu?"


@pytest.mark.parametrize(
    "question",
    ["Ai là người viết bài?", "Năm 1999 có sự kiện gì?"],  # nothing of it is in the passage
)
def test_no_edit_when_the_passage_states_nothing_the_question_names(question: str) -> None:
    assert _edits(question, tries=5) == []


def test_a_number_counts_as_stated_only_as_a_whole_number() -> None:
    from models.training.near_miss import _absent

    assert _absent("12", _folded("Năm 2012 quận có 5 phường."))
    assert not _absent("12", _folded("Quận có 12 phường."))
    assert not _absent("thanh hóa", _folded("tỉnh Thanh Hoá"))
