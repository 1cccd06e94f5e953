"""Bylines and signature blocks: dropped from summaries, but read for "who wrote / who signed"."""

from __future__ import annotations

import pytest

from pipeline.core.config import load_config
from pipeline.core.records import Document
from pipeline.flow.qa import QuestionAnswerer

NOTICE = (
    "ỦY BAN NHÂN DÂN\nPHƯỜNG AN PHÚ\nSố: 31/TB-UBND\n\nTHÔNG BÁO\n\n"
    "Về việc tổ chức Ngày hội đọc sách năm 2025\n\n"
    "Ủy ban nhân dân phường An Phú tổ chức Ngày hội đọc sách vào sáng Chủ nhật, ngày 7/12/2025 tại Nhà văn "
    "hóa phường. Mỗi khu phố cử 10 đội viên tham gia.\n\n"
    "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nNguyễn Thị Lan\n"
)
ARTICLE = (
    "Hà Nội mở rộng không gian đọc\n\nMinh An\n\n"
    "Hànộimới - Thư viện Hà Nội vừa khai trương không gian đọc mới với 5.000 đầu sách dành cho thiếu nhi. "
    "Không gian đọc mở cửa từ 8 giờ đến 17 giờ hằng ngày.\n"
)


@pytest.fixture(scope="module")
def answerer():
    qa = QuestionAnswerer(load_config())
    qa.add([Document(NOTICE, "thong_bao.txt"), Document(ARTICLE, "bai_bao.txt")])
    return qa


@pytest.mark.parametrize(
    ("question", "expected", "source"),
    [
        ("Ai ký thông báo của Ủy ban nhân dân phường An Phú?", "Nguyễn Thị Lan", "thong_bao.txt"),
        ("Bà Nguyễn Thị Lan giữ chức vụ gì?", "PHÓ CHỦ TỊCH", "thong_bao.txt"),
        ("Phóng viên nào viết bài về không gian đọc của Thư viện Hà Nội?", "Minh An", "bai_bao.txt"),
        ("Thông báo về Ngày hội đọc sách mang số hiệu gì?", "31/TB-UBND", "thong_bao.txt"),
        ("Bài viết về không gian đọc được đăng trên báo nào?", "Hànộimới", "bai_bao.txt"),
    ],
)
def test_role_questions_read_the_byline_and_signature(answerer, question, expected, source) -> None:
    result = answerer.ask(question)
    assert result.answer.text == expected
    cited = result.answer.citations[0]
    text = NOTICE if source == "thong_bao.txt" else ARTICLE
    assert cited.source == source and text[cited.answer_start : cited.answer_end] == expected


def test_role_passages_stay_out_of_retrieval_and_other_questions(answerer) -> None:
    result = answerer.ask("Mỗi khu phố cử bao nhiêu đội viên tham gia?")
    assert result.answer.text == "10 đội viên"
    assert all(p.passage.kind not in ("byline", "signature") for p in result.retrieved)
    assert answerer.ask("Ông Trần Văn Minh giữ chức vụ gì?").answer.text is None  # not the signer


def test_a_question_about_another_named_thing_is_refused(answerer) -> None:
    # the notice gives a figure for phường An Phú; the question asks about phường Bình Thọ
    assert answerer.ask("Mỗi khu phố của phường Bình Thọ cử bao nhiêu đội viên?").answer.text is None


def test_a_sentence_about_another_name_does_not_answer() -> None:
    qa = QuestionAnswerer(load_config())
    qa.add(
        [
            Document(
                "Thủ khoa lớp chuyên Toán là em Đỗ Gia Huy, học sinh Trường THCS Nguyễn Du. "
                "Lớp chuyên Tiếng Anh có 305 thí sinh dự thi, đông nhất tỉnh.",
                "chuyen.txt",
            )
        ]
    )
    assert qa.ask("Thủ khoa lớp chuyên Toán là ai?").answer.text == "Đỗ Gia Huy"
    assert (
        qa.ask("Thủ khoa lớp chuyên Tiếng Anh là ai?").answer.text is None
    )  # "chuyên Toán" ≠ "chuyên Tiếng Anh"


def test_header_lines_in_nfd_and_questions_that_only_look_like_role_questions() -> None:
    import unicodedata

    qa = QuestionAnswerer(load_config())
    qa.add(
        [Document(unicodedata.normalize("NFD", NOTICE), "thong_bao.txt"), Document(ARTICLE, "bai_bao.txt")]
    )
    assert qa.ask("Thông báo mang số hiệu gì?").answer.text == "31/TB-UBND"
    # the article has no signature: another document's signer does not answer
    assert qa.ask("Ai ký bài viết về không gian đọc của Thư viện Hà Nội?").answer.text is None
    for question in [
        "Thư viện đưa ra thông báo nào?",  # "thông báo nào" is not "báo nào"
        "Có bao nhiêu phóng viên đưa tin về không gian đọc?",  # a count, not the byline
        "Những ai ký kết biên bản?",  # signing an agreement, not the document
    ]:
        assert qa.ask(question).answer.text not in {"Hànộimới", "Minh An", "Nguyễn Thị Lan"}


def test_the_header_date_answers_when_the_document_was_issued() -> None:
    from pipeline.text.document_roles import asks_document_date

    notice = NOTICE.replace("Số: 31/TB-UBND\n", "Số: 31/TB-UBND\nAn Phú, ngày 01 tháng 12 năm 2025\n")
    qa = QuestionAnswerer(load_config())
    qa.add([Document(notice, "thong_bao.txt")])
    for question in ("Thông báo ban hành ngày nào?", "Thông báo này được ký vào ngày nào?"):
        result = qa.ask(question)
        assert result.answer.text == "ngày 01 tháng 12 năm 2025"
        cited = result.answer.citations[0]
        assert notice[cited.answer_start : cited.answer_end] == result.answer.text
    # a document its content cites is not this one
    assert not asks_document_date("Kế hoạch số 112/KH-UBND của UBND phường được ban hành ngày nào?")
    assert not asks_document_date("Ngày hội đọc sách diễn ra ngày nào?")
