"""The extractive reader: each answer type, abstention, and offsets that slice the original text."""

from __future__ import annotations

import unicodedata

import pytest

from models.factory import build_reader
from models.rules.answer_types import (
    answer_type,
    counted_unit,
    date_spans,
    number_spans,
    subject_unit,
    tagged_tokens,
)
from models.rules.extractive_reader import ExtractiveReader
from models.rules.unmentioned import unmentioned
from pipeline.core.config import load_config
from pipeline.core.records import Document
from pipeline.core.textnorm import normalize
from pipeline.flow.qa import QuestionAnswerer

REPORT = (
    "Sáng 12/3/2024, Ủy ban nhân dân tỉnh Bình Định tổ chức hội nghị tổng kết công tác phòng chống "
    "thiên tai. "
    "Hội nghị được tổ chức tại thành phố Quy Nhơn.\n\n"
    "Năm 2023, toàn tỉnh có 1.245 ngôi nhà bị hư hỏng do bão, tổng thiệt hại ước tính 356 tỷ đồng. "
    "Tỷ lệ hộ dân được di dời an toàn đạt 98,5%.\n\n"
    "Phát biểu tại hội nghị, Phó Chủ tịch UBND tỉnh Nguyễn Tuấn Thanh yêu cầu các địa phương chủ động "
    "xây dựng phương án ứng phó với mưa lũ."
)


@pytest.fixture(scope="module")
def config():
    return load_config(overrides={"reader": {"kind": "extractive"}})  # the rule reader, on its own


HEALTH_REPORT = (
    "Sáng 5/3/2024, Sở Y tế tỉnh Quảng Ngãi tổ chức hội nghị triển khai công tác tiêm chủng. "
    "Phát biểu tại hội nghị, Giám đốc Sở Y tế tỉnh Quảng Ngãi Phạm Văn Long yêu cầu các trạm y tế chuẩn bị "
    "đủ vắc xin.\n\n"
    "Các trạm y tế xã được kiểm tra định kỳ 6 tháng một lần. Đợt tiêm chủng mở rộng kéo dài 3 tuần. "
    "Trong năm 2024, tỉnh chưa ghi nhận ca bệnh bạch hầu nào. Tỉnh đã hoàn thành tiêm vắc xin sởi cho trẻ "
    "em dưới 5 tuổi.\n\n"
    "Nhân dịp này, Sở Y tế biểu dương, khen thưởng các trạm y tế có thành tích trong công tác tiêm chủng. "
    "Tuyến đường mới vào Trạm Y tế xã Nghĩa Hà dài 2,5 km. "
    "Chiến dịch được Bộ Y tế, UBND tỉnh, Sở Giáo dục và Đào tạo chỉ đạo sát sao. "
    "Trạm y tế phối hợp với Bệnh viện Đa khoa Đặng Thùy Trâm tổ chức khám sàng lọc cho trẻ."
)


@pytest.fixture(scope="module")
def health_answerer(config, embedder):
    qa = QuestionAnswerer(config, embedder=embedder)
    qa.add([Document(HEALTH_REPORT, "quangngai.txt")])
    return qa


@pytest.fixture(scope="module")
def answerer(config, embedder):
    qa = QuestionAnswerer(config, embedder=embedder)
    qa.add([Document(REPORT, "binhdinh.txt")])
    return qa


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Có bao nhiêu ngôi nhà bị hư hỏng?", "number"),
        ("Hội nghị kéo dài mấy ngày?", "number"),
        ("Ai phát biểu tại hội nghị?", "entity"),
        ("Cơ quan nào tổ chức hội nghị?", "entity"),
        ("Hội nghị diễn ra khi nào?", "date"),
        ("Chỉ thị được ban hành năm nào?", "date"),
        ("Hội nghị tổ chức ở đâu?", "place"),
        ("Tỉnh yêu cầu các địa phương làm gì?", "phrase"),
        ("Kết quả đạt được là do đâu?", "phrase"),
        ("Tỉnh có ghi nhận ca bệnh nào không?", "yesno"),
        ("Tỉnh đã hoàn thành tiêm chủng chưa?", "yesno"),
        ("Có bao nhiêu người không đến?", "number"),
        ("Ông Nguyễn Tuấn Thanh giữ chức vụ gì?", "title"),
        ("Nguyễn Tuấn Thanh là ai?", "title"),
        ("Phó Chủ tịch UBND tỉnh là ai?", "entity"),
        ("Trạm y tế được kiểm tra bao lâu một lần?", "frequency"),
        ("Đợt tiêm chủng kéo dài bao lâu?", "duration"),
    ],
)
def test_question_types(question, kind) -> None:
    assert answer_type(question) == kind


def test_counted_unit_is_the_noun_after_the_question_word() -> None:
    assert counted_unit("Đảng bộ có bao nhiêu đảng viên?") == ["đảng", "viên"]
    assert counted_unit("Số đảng bộ doanh nghiệp trực thuộc quận là bao nhiêu?") == []
    assert subject_unit("Số đảng bộ doanh nghiệp trực thuộc quận là bao nhiêu?") == [
        "đảng",
        "bộ",
        "doanh",
        "nghiệp",
    ]
    assert counted_unit("Hội nghị sơ kết mấy năm thực hiện chỉ thị?") == ["năm"]


def test_numbers_and_dates_stay_whole() -> None:
    sentence = "Chiều 6/9, quận có 20.585 đảng viên, tăng 27,5% so với ngày 16-12-2016 và 4/7/2017."
    spans = [sentence[s:e] for s, e in number_spans(sentence, [])]
    assert "20.585" in spans and "27,5%" in spans
    assert not any(span in {"6", "9", "16", "2016"} for span in spans)
    assert [sentence[s:e] for s, e in date_spans(sentence)] == ["Chiều 6/9", "16-12-2016", "4/7/2017"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Năm 2023 có bao nhiêu ngôi nhà bị hư hỏng do bão?", "1.245 ngôi nhà"),
        ("Bão gây thiệt hại ước tính bao nhiêu tiền?", "356 tỷ đồng"),
        ("Số ngôi nhà bị hư hỏng do bão năm 2023 là bao nhiêu?", "1.245 ngôi nhà"),  # counted thing first
        ("Tỷ lệ hộ dân được di dời an toàn là bao nhiêu?", "98,5%"),
        ("Hội nghị tổng kết công tác phòng chống thiên tai diễn ra khi nào?", "Sáng 12/3/2024"),
        ("Ai yêu cầu các địa phương chủ động xây dựng phương án ứng phó với mưa lũ?", "Nguyễn Tuấn Thanh"),
        ("Hội nghị tổng kết được tổ chức ở đâu?", "Quy Nhơn"),
    ],
)
def test_answers_by_type(answerer, question, expected) -> None:
    result = answerer.ask(question)
    assert result.answer.text is not None and expected in result.answer.text
    assert len(result.answer.text) <= len(expected) + 25  # a short span, not the whole sentence


def test_phrase_answer_lies_after_the_question_words(answerer) -> None:
    result = answerer.ask("Phó Chủ tịch UBND tỉnh yêu cầu các địa phương làm gì?")
    assert result.answer.text is not None
    assert "phương án ứng phó" in result.answer.text or "xây dựng" in result.answer.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # yes/no: the negation or affirmation of the sentence that states the question
        ("Trong năm 2024, tỉnh có ghi nhận ca bệnh bạch hầu nào không?", "chưa"),
        ("Tỉnh đã hoàn thành tiêm vắc xin sởi cho trẻ em chưa?", "đã"),
        # a title in apposition before the name
        ("Ông Phạm Văn Long giữ chức vụ gì?", "Giám đốc Sở Y tế tỉnh Quảng Ngãi"),
        ("Phạm Văn Long là ai?", "Giám đốc Sở Y tế tỉnh Quảng Ngãi"),
        ("Các trạm y tế xã được kiểm tra bao lâu một lần?", "định kỳ 6 tháng một lần"),
        ("Đợt tiêm chủng mở rộng kéo dài bao lâu?", "3 tuần"),
        # "những ai" wants the noun phrase after the verb, not the verb coordinated before it
        ("Nhân dịp hội nghị, Sở Y tế khen thưởng những ai?", "các trạm y tế có thành tích"),
        ("Tuyến đường mới vào Trạm Y tế xã Nghĩa Hà dài bao nhiêu?", "2,5 km"),  # a measure keeps its unit
        # a plural question gets the whole list of names
        ("Chiến dịch được những cơ quan nào chỉ đạo?", "Bộ Y tế, UBND tỉnh, Sở Giáo dục và Đào tạo"),
        # the head noun belongs to the name; the verb after the name does not
        ("Bệnh viện nào phối hợp với trạm y tế khám sàng lọc cho trẻ?", "Bệnh viện Đa khoa Đặng Thùy Trâm"),
    ],
)
def test_yes_no_title_frequency_and_duration(health_answerer, question, expected) -> None:
    result = health_answerer.ask(question)
    assert result.answer.text == expected
    cited = result.answer.citations[0]
    assert HEALTH_REPORT[cited.answer_start : cited.answer_end] == expected


@pytest.mark.parametrize(
    "question",
    [
        "Tỉnh có ghi nhận ca bệnh sốt xuất huyết nào không?",  # a "no" the document does not say
        "Ông Trần Văn Nam giữ chức vụ gì?",  # nobody of that name
    ],
)
def test_yes_no_and_title_questions_abstain_when_not_stated(health_answerer, question) -> None:
    assert health_answerer.ask(question).answer.text is None


def test_tagged_words_keep_their_place_when_the_tagger_moves_tone_marks() -> None:
    sentence = normalize("Chiều 6/9, Quận ủy Thanh Xuân sơ kết 5 năm thực hiện Nghị quyết.")
    words = [sentence[t.start : t.end] for t in tagged_tokens(sentence)]
    assert any("Quận" in word and "uỷ" in word for word in words)  # underthesea returns "ủy"


@pytest.mark.parametrize(
    "question",
    [
        "Dân số tỉnh Bình Định là bao nhiêu người?",
        "Giám đốc Sở Tài chính tỉnh là ai?",
        "Trường đại học nào được xây mới?",
        "Hội nghị tổng kết được tổ chức tại hội trường nào?",  # the report names no hall
        "Năm 2022, có bao nhiêu ngôi nhà bị hư hỏng do bão?",  # the figure given is for 2023
        "Kinh phí di dời các hộ dân là bao nhiêu?",  # a sum of money: 98,5% does not answer it
    ],
)
def test_abstains_when_the_document_does_not_say(answerer, question) -> None:
    result = answerer.ask(question)
    assert result.answer.text is None
    assert result.answer.citations == ()
    assert result.to_json()["answer"] is None


def test_answer_offsets_slice_the_original_text(answerer) -> None:
    result = answerer.ask("Năm 2023 có bao nhiêu ngôi nhà bị hư hỏng do bão?")
    cited = result.answer.citations[0]
    assert REPORT[cited.answer_start : cited.answer_end] == result.answer.text
    assert REPORT[cited.start : cited.end] == cited.text


def test_offsets_in_an_nfd_document_with_old_tone_marks(config, embedder) -> None:
    text = unicodedata.normalize(
        "NFD",
        "Hội nghị về hòa giải được tổ chức chiều 6/9. Thủy điện Hòa Bình có 8 tổ máy, công suất 1.920 MW.",
    )
    qa = QuestionAnswerer(config, embedder=embedder)
    qa.add([Document(text, "nfd.txt")])
    result = qa.ask("Thuỷ điện Hoà Bình có bao nhiêu tổ máy?")
    cited = result.answer.citations[0]
    assert text[cited.answer_start : cited.answer_end] == result.answer.text
    assert unicodedata.normalize("NFC", result.answer.text) == "8 tổ máy"
    when = qa.ask("Hội nghị về hoà giải được tổ chức khi nào?")
    cited = when.answer.citations[0]
    assert unicodedata.normalize("NFC", text[cited.answer_start : cited.answer_end]) == "chiều 6/9"


def test_threshold_setting_controls_abstention(answerer) -> None:
    question = "Năm 2023 có bao nhiêu ngôi nhà bị hư hỏng do bão?"
    retrieved = answerer.ask(question).retrieved
    assert (
        ExtractiveReader(load_config(overrides={"reader": {"threshold": 5.0}}).reader)
        .read(question, retrieved)
        .text
        is None
    )


def test_factory_builds_the_offline_reader(config) -> None:
    assert isinstance(build_reader(config), ExtractiveReader)


def test_seed_report_answers_with_citations(config, embedder, seed_text) -> None:
    qa = QuestionAnswerer(config, embedder=embedder)
    qa.add([Document(seed_text, "seed.txt")])
    result = qa.ask("Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?")
    assert result.answer.text == "20.585 đảng viên"
    assert result.answer.citations[0].source == "seed.txt"
    assert len(result.retrieved) == config.retriever.top_k


def test_unmentioned_names_and_head_nouns() -> None:
    passages = [
        normalize(
            "Điểm chuẩn lớp chuyên Hóa học là 36,05. Hội nghị diễn ra tại thành phố Vinh; học sinh dự thi."
        )
    ]
    assert unmentioned(normalize("Điểm chuẩn lớp chuyên Sinh học là bao nhiêu?"), passages) == ["Sinh"]
    assert unmentioned(normalize("Điểm chuẩn lớp chuyên Hoá học là bao nhiêu?"), passages) == []
    assert unmentioned(normalize("Hội nghị diễn ra tại hội trường nào?"), passages) == ["hội trường"]
    assert unmentioned(normalize("Hội nghị diễn ra tại thành phố nào?"), passages) == []
    assert unmentioned(normalize("Cơ quan nào tổ chức hội nghị?"), passages) == []  # a category, not a thing
    assert (
        unmentioned(normalize("UBND tỉnh tổ chức hội nghị ngày nào?"), passages) == []
    )  # acronyms may be spelt out


@pytest.mark.parametrize(
    ("text", "question", "expected"),
    [
        # a duration, not the "15 tháng" of a date
        (
            "Công trình được khởi công ngày 15 tháng 3 năm 2024 và dự kiến hoàn thành trong 18 tháng.",
            "Công trình dự kiến hoàn thành trong bao lâu?",
            "18 tháng",
        ),
        # "ngoài X" asks for another name than the question's own
        (
            "Năm 2025, dịch sốt xuất huyết bùng phát tại huyện Mộ Đức. "
            "Ngoài ra, dịch còn bùng phát tại huyện Bình Sơn.",
            "Ngoài huyện Mộ Đức, dịch sốt xuất huyết còn bùng phát ở huyện nào?",
            "Bình Sơn",
        ),
        # "không chỉ ... mà còn" affirms
        (
            "Trường không chỉ đạt chuẩn quốc gia mà còn được công nhận trường học xanh.",
            "Trường có đạt chuẩn quốc gia không?",
            "được",
        ),
        (
            "Học phí năm học 2025-2026 là 1,5 triệu đ/tháng.",
            "Học phí năm học 2025-2026 là bao nhiêu?",
            "1,5 triệu đ/tháng",
        ),
    ],
)
def test_review_cases(config, embedder, text, question, expected) -> None:
    qa = QuestionAnswerer(config, embedder=embedder)
    qa.add([Document(text, "case.txt")])
    assert qa.ask(question).answer.text == expected


def test_titles_stay_with_their_own_person() -> None:
    from models.rules.person_titles import person_name, title_spans

    assert title_spans("Phó Chủ tịch UBND huyện Lê Văn Anh phát biểu.", "Lê Văn An") == []
    assert title_spans("Hiệu trưởng trường THPT Phan Bội Châu là ông Trần Văn Nam.", "Phan Bội Châu") == []
    assert title_spans("Tham dự có Chủ tịch UBND tỉnh Trần Văn Bình và ông Lê Văn An.", "Lê Văn An") == []
    assert person_name("Người đứng đầu Tỉnh ủy Thái Bình là ai?") is None  # a province, not a person
    assert answer_type("Thủ khoa khối A tại Hà Nội là ai?") == "entity"


def test_a_person_never_answers_where() -> None:
    from models.rules.extractive_reader import _is_person_phrase

    assert _is_person_phrase("Trưởng ban Tổ chức Thành ủy Hà Nội Vũ Đức Bảo")
    assert _is_person_phrase("bà Trần Thị Lan")
    assert not _is_person_phrase("TP Hà Nội")
    assert not _is_person_phrase("đường Nguyễn Văn Cừ")
    assert not _is_person_phrase("Nhà văn hoá khu phố Thuỷ Trung")


def test_a_figure_labelled_with_another_year_is_not_the_asked_one() -> None:
    from models.rules.extractive_reader import _of_another_year
    from models.rules.reader_question import parse_question

    question = parse_question("GRDP năm 2025 tăng bao nhiêu phần trăm?")
    assert _of_another_year(question, " của năm 2024.")
    assert not _of_another_year(question, ", vượt mục tiêu 7% và cao hơn mức tăng 6,5% của năm 2024.")
    assert not _of_another_year(question, " trong năm 2025.")
    assert not _of_another_year(parse_question("GRDP tăng bao nhiêu phần trăm?"), " của năm 2024.")


def test_a_milestone_or_target_figure_is_not_the_measured_one() -> None:
    from models.rules.extractive_reader import _reference_figure
    from models.rules.reader_question import parse_question

    question = parse_question("Quy mô GRDP theo giá hiện hành là bao nhiêu?")
    assert _reference_figure(question, "ước đạt 98.650 tỷ đồng, lần đầu tiên tiến sát mốc ")
    assert _reference_figure(question, "ước đạt 7,2%, vượt mục tiêu ")
    assert not _reference_figure(question, "Quy mô GRDP theo giá hiện hành ước đạt ")
    assert not _reference_figure(parse_question("Mục tiêu tăng trưởng là bao nhiêu?"), "vượt mục tiêu ")


def test_topic_words_count_as_said_but_pair_with_nothing() -> None:
    """Words the retrieved passages share are said everywhere, but have no place in a sentence: they
    raise coverage as syllables, never as pairs. (Pairing them in set order made scores depend on
    PYTHONHASHSEED: the same question scored 1.0125 or 1.0475 from one process to the next.)"""
    from models.rules.reader_question import coverage, parse_question

    question = parse_question("Quận Thanh Xuân có bao nhiêu đảng viên?")
    sentence = ["có", "20.585", "đảng", "viên"]
    alone = coverage(question, sentence)
    with_topic = coverage(question, sentence, frozenset({"thanh", "xuân"}))
    written = coverage(question, ["thanh", "xuân", *sentence])
    assert alone < with_topic < written  # the pair "thanh xuân" counts only where the text has it


def test_a_place_inside_a_persons_title_does_not_answer_where(config, embedder, seed_text) -> None:
    """The seed report never says where its conference was; "Trưởng ban Tổ chức Thành ủy Hà Nội Vũ Đức
    Bảo" names who attended, and its "Tổ chức" / "Hà Nội" are part of his title, not the venue."""
    from models.rules.person_titles import within_title

    sentence = "Tham dự hội nghị có Trưởng ban Tổ chức Thành ủy Hà Nội Vũ Đức Bảo."
    for part in ("Tổ chức", "Hà Nội"):
        start = sentence.index(part)
        assert within_title(sentence, start, start + len(part))
    venue = "Hội nghị được tổ chức tại Hà Nội."
    assert not within_title(venue, venue.index("Hà Nội"), len(venue) - 1)

    qa = QuestionAnswerer(config, embedder=embedder)
    qa.add([Document(seed_text, "seed.txt")])
    assert qa.ask("Hội nghị diễn ra ở đâu?").answer.text is None


def test_who_at_the_end_asks_for_the_object_not_the_subjects_name(config, embedder, seed_text) -> None:
    """ "Quận ủy khen thưởng ai?": the answer follows "khen thưởng" ("các tập thể có thành tích"); the
    "Thanh Xuân" of "Quận ủy Thanh Xuân" is the subject's own name."""
    qa = QuestionAnswerer(config, embedder=embedder)
    qa.add([Document(seed_text, "seed.txt")])
    answer = qa.ask("Quận ủy khen thưởng ai?").answer.text
    assert answer is not None and answer.startswith("các tập thể")
