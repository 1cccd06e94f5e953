"""Follow-up questions made standalone (pipeline/chat/followups.py), the conversations suite, indexing."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from pipeline.chat.followups import NoRewriter, PriorTurn, Rewrite, RuleRewriter

ROOT = Path(__file__).resolve().parent.parent
CONVERSATIONS = ROOT / "eval" / "suites" / "conversations" / "followups.jsonl"


def rewrite(previous: str, answer: str | None, question: str) -> Rewrite:
    return RuleRewriter().rewrite(question, [PriorTurn(previous, answer)])


@pytest.mark.parametrize(
    ("previous", "answer", "question", "expected"),
    [
        # a classifier and a name ("thôn Bắc") is another subject, not another thing counted
        ("Thôn Tây có bao nhiêu hộ nghèo?", "14", "còn thôn Bắc thì sao?", "Thôn Bắc có bao nhiêu hộ nghèo?"),
        ("Xã Lộc Bình có bao nhiêu hộ?", "412", "còn xã Lộc An thì sao?", "Xã Lộc An có bao nhiêu hộ?"),
        # the case: X is another thing counted
        (
            "Đảng bộ quận có bao nhiêu đảng viên?",
            "20.585 đảng viên",
            "còn chi bộ cơ sở thì sao?",
            "Đảng bộ quận có bao nhiêu chi bộ cơ sở?",
        ),
        (
            "Đảng bộ quận có bao nhiêu chi bộ cơ sở?",
            "25",
            "còn đảng bộ phường?",
            "Đảng bộ quận có bao nhiêu đảng bộ phường?",
        ),
        # X starts like a phrase of the question: a year, a school, a sector, a subject
        (
            "GRDP của tỉnh Lam Giang năm 2025 tăng bao nhiêu phần trăm?",
            "7,2%",
            "còn năm 2024 thì sao?",
            "GRDP của tỉnh Lam Giang năm 2024 tăng bao nhiêu phần trăm?",
        ),
        (
            "Trường THPT Lê Quý Đôn tuyển bao nhiêu học sinh lớp 10?",
            "630",
            "còn THPT Trần Phú?",
            "Trường THPT Trần Phú tuyển bao nhiêu học sinh lớp 10?",
        ),
        (
            "Khu vực công nghiệp - xây dựng tăng bao nhiêu phần trăm?",
            "10,4%",
            "vậy còn khu vực dịch vụ?",
            "Khu vực dịch vụ tăng bao nhiêu phần trăm?",
        ),
        (
            "Lớp chuyên Toán có điểm chuẩn bao nhiêu?",
            "38,60",
            "còn lớp chuyên Tin học thì thế nào?",
            "Lớp chuyên Tin học có điểm chuẩn bao nhiêu?",
        ),
        # a bare name takes the place of the name
        (
            "Điểm chuẩn nguyện vọng 1 của Trường THPT Trần Phú là bao nhiêu?",
            "35,75",
            "còn Nguyễn Trãi thì sao?",
            "Điểm chuẩn nguyện vọng 1 của Trường THPT Nguyễn Trãi là bao nhiêu?",
        ),
        (
            "Môn Ngữ văn có điểm trung bình bao nhiêu?",
            "6,42",
            "Tiếng Anh thì sao?",
            "Môn Tiếng Anh có điểm trung bình bao nhiêu?",
        ),
        # else the subject
        (
            "Khu vực công nghiệp - xây dựng tăng bao nhiêu phần trăm?",
            "10,4%",
            "còn thuế sản phẩm?",
            "Thuế sản phẩm tăng bao nhiêu phần trăm?",
        ),
        (
            "Nghị quyết số 15-NQ/TU được ban hành ngày nào?",
            "4/7/2017",
            "còn Chỉ thị số 15-CT/TU?",
            "Chỉ thị số 15-CT/TU được ban hành ngày nào?",
        ),
    ],
)
def test_ellipsis_takes_the_place_of_the_matching_phrase(previous, answer, question, expected) -> None:
    result = rewrite(previous, answer, question)
    assert (result.question, result.rule) == (expected, "ellipsis")


@pytest.mark.parametrize(
    ("previous", "answer", "question", "expected"),
    [
        ("Hội nghị sơ kết diễn ra khi nào?", "Chiều 6/9", "ở đâu?", "Hội nghị sơ kết diễn ra ở đâu?"),
        (
            "Ngày hội Văn hoá - Thể thao diễn ra ở đâu?",
            "sân thể thao",
            "vào ngày nào?",
            "Ngày hội Văn hoá - Thể thao diễn ra vào ngày nào?",
        ),
        (  # the previous answer fills the question word it answered; the new one goes last
            "Ai đoạt Huy chương Bạc Olympic Vật lý quốc tế?",
            "Trần Minh Khôi",
            "vậy năm nào?",
            "Trần Minh Khôi đoạt Huy chương Bạc Olympic Vật lý quốc tế năm nào?",
        ),
        (
            "Đảng bộ quận có bao nhiêu đảng viên?",
            "20.585 đảng viên",
            "khi nào?",
            "Đảng bộ quận có 20.585 đảng viên khi nào?",
        ),
    ],
)
def test_a_question_word_alone_asks_about_the_previous_topic(previous, answer, question, expected) -> None:
    result = rewrite(previous, answer, question)
    assert (result.question, result.rule) == (expected, "question-word")


@pytest.mark.parametrize(
    ("previous", "answer", "question", "expected"),
    [
        (
            "Ai là Trưởng ban Tổ chức Thành uỷ Hà Nội?",
            "Vũ Đức Bảo",
            "ông ấy giữ chức vụ gì?",
            "Vũ Đức Bảo giữ chức vụ gì?",
        ),
        (
            "Người dân liên hệ với Phó Chủ tịch nào?",
            "bà Nguyễn Thị Thuý",
            "bà ấy làm việc ở đâu?",
            "Nguyễn Thị Thuý làm việc ở đâu?",
        ),
        (
            "Ai là thủ khoa toàn tỉnh?",
            "em Phạm Ngọc Anh",
            "em ấy đạt bao nhiêu điểm?",
            "Phạm Ngọc Anh đạt bao nhiêu điểm?",
        ),
        (  # no name in the answer: the one in the question
            "Vũ Đức Bảo giữ chức vụ gì?",
            None,
            "anh ấy dự hội nghị nào?",
            "Vũ Đức Bảo dự hội nghị nào?",
        ),
        (
            "Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?",
            "20.585",
            "quận này có bao nhiêu chi bộ cơ sở?",
            "Quận Thanh Xuân có bao nhiêu chi bộ cơ sở?",
        ),
        (  # the answer names the school the question asked for ("Trường nào")
            "Trường nào có điểm chuẩn cao nhất?",
            "THPT Nguyễn Trãi",
            "trường này tuyển bao nhiêu học sinh?",
            "Trường THPT Nguyễn Trãi tuyển bao nhiêu học sinh?",
        ),
        (
            "Dự án FDI lớn nhất là gì?",
            "Nhà máy Hanseong Lam Giang",
            "nó có vốn đăng ký bao nhiêu?",
            "Nhà máy Hanseong Lam Giang có vốn đăng ký bao nhiêu?",
        ),
        (  # "nó" with a number for an answer: the previous subject
            "Bệnh viện Đa khoa tỉnh cơ sở 2 có bao nhiêu giường bệnh?",
            "500",
            "nó được khánh thành khi nào?",
            "Bệnh viện Đa khoa tỉnh cơ sở 2 được khánh thành khi nào?",
        ),
        (
            "Cơ quan nào ban hành Chỉ thị 15-CT/TU?",
            "Ban Thường vụ Thành uỷ",
            "đơn vị này ở đâu?",
            "Ban Thường vụ Thành uỷ ở đâu?",
        ),
    ],
)
def test_pronouns_name_the_entity_of_the_previous_turn(previous, answer, question, expected) -> None:
    result = rewrite(previous, answer, question)
    assert (result.question, result.rule) == (expected, "pronoun")


@pytest.mark.parametrize(
    "question",
    [
        "Còn bao nhiêu chỉ tiêu chưa đạt?",  # "còn" the verb
        "Báo cáo này do ai ký?",  # the document itself
        "Hội nghị này được tổ chức khi nào?",  # nothing in the last turn names a hội nghị
        "Nếu thời tiết xấu thì sao?",  # a clause, not a phrase
        "Chỉ tiêu còn lại là gì?",
        "Ông ấy là ai?",  # no name anywhere in the previous turn
    ],
)
def test_no_clear_cue_no_rewrite(question) -> None:
    result = rewrite("Tổng thu ngân sách năm 2025 đạt bao nhiêu?", "12.450 tỷ đồng", question)
    assert result == Rewrite(question) and not result.changed


def test_every_bundled_suite_question_is_standalone_and_returned_unchanged() -> None:
    """230 hand-written standalone questions, each after the one before it: none is rewritten."""
    rewriter, previous, checked = RuleRewriter(), None, 0
    for path in sorted((ROOT / "eval" / "suites").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["kind"] != "qa":
                continue
            if previous is not None:
                history = [PriorTurn(previous["question"], (previous["answers"] or [None])[0])]
                assert rewriter.rewrite(row["question"], history) == Rewrite(row["question"]), row["id"]
                checked += 1
            previous = row
    assert checked >= 200


def test_no_history_or_no_rewriter_means_read_as_typed() -> None:
    assert RuleRewriter().rewrite("còn chi bộ cơ sở thì sao?", []) == Rewrite("còn chi bộ cơ sở thì sao?")
    history = [PriorTurn("Đảng bộ quận có bao nhiêu đảng viên?", "20.585")]
    assert NoRewriter().rewrite("còn chi bộ cơ sở thì sao?", history).changed is False


def test_both_tone_placements_and_nfd_match_alike() -> None:
    old = rewrite(
        "Trạm Y tế phối hợp với bệnh viện nào để khám sức khỏe?", "Bệnh viện Đa khoa Thủy Tiên", "nó ở đâu?"
    )
    new = rewrite(
        "Trạm Y tế phối hợp với bệnh viện nào để khám sức khoẻ?", "Bệnh viện Đa khoa Thuỷ Tiên", "nó ở đâu?"
    )
    assert old == new == Rewrite("Bệnh viện Đa khoa Thuỷ Tiên ở đâu?", "pronoun")
    nfd = unicodedata.normalize("NFD", "còn năm 2024 thì sao?")
    result = rewrite(unicodedata.normalize("NFD", "Sản lượng thủy sản năm 2025 đạt bao nhiêu?"), None, nfd)
    assert result.question == "Sản lượng thuỷ sản năm 2024 đạt bao nhiêu?"
    assert unicodedata.is_normalized("NFC", result.question)
    assert rewrite("Ai ký thông báo?", "Trần Văn Hòa", "Ông Ấy giữ chức vụ gì?").question == (
        "Trần Văn Hoà giữ chức vụ gì?"
    )


def test_the_conversation_suite_is_sound_and_not_a_bundled_suite() -> None:
    from eval.scoring.metrics import locate_evidence
    from eval.suites import bundled_suite_paths
    from pipeline.core.textnorm import normalize

    rows = [
        json.loads(line) for line in CONVERSATIONS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    assert sum(row["follows"] for row in rows) >= 20
    assert len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        text = (ROOT / row["document"]).read_text(encoding="utf-8")
        assert locate_evidence(text, row["evidence"]) is not None, row["id"]
        assert all(normalize(a).lower() in normalize(text).lower() for a in row["answers"]), row["id"]
        assert row["follows"] == (row["standalone"] != row["question"]), row["id"]
    assert CONVERSATIONS not in bundled_suite_paths()  # `vidoc eval` and the benchmarks do not read it


class _FakeEmbedder:
    model_id = "fake-embedder"

    def warm_up(self) -> None:
        pass

    def embed_passages(self, texts):
        return np.ones((len(texts), 4), dtype=np.float32) / 2

    def embed_queries(self, texts):
        return self.embed_passages(texts)


def test_index_reports_progress_only_for_what_it_embeds(config, seed_text, tmp_path) -> None:
    from pipeline.core.records import Document
    from pipeline.flow.index import Index, IndexCache
    from pipeline.flow.summarise import prepare

    small = config.model_copy(update={"embedder": config.embedder.model_copy(update={"batch_size": 4})})
    document = prepare(Document(seed_text, "seed.txt"), small)
    calls: list[tuple[int, int]] = []
    Index.build(
        [document], _FakeEmbedder(), small, cache=IndexCache(tmp_path), progress=lambda *a: calls.append(a)
    )
    total = len(document.passages)
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls) and len(calls) > 2
    calls.clear()
    Index.build(
        [document], _FakeEmbedder(), small, cache=IndexCache(tmp_path), progress=lambda *a: calls.append(a)
    )
    assert calls == []  # all from the cache: no bar
    Index.build([document], _FakeEmbedder(), small, use_cache=False)  # no callback: the old API


def test_the_indexing_bar_is_off_without_a_terminal() -> None:
    from pipeline.chat.indexing_bar import indexing_bar

    with indexing_bar() as progress:  # pytest captures stderr: not a terminal
        assert progress is None
    with indexing_bar(enabled=False) as progress:
        assert progress is None
