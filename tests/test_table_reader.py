"""Table lookups: the cell where the named row meets the named column, extremes, and reverse lookups."""

from __future__ import annotations

import unicodedata

import pytest

from models.rules.table_reader import answer_from_table, parse_table, superlative_adjective
from pipeline.core.config import load_config
from pipeline.core.records import Document
from pipeline.core.textnorm import normalize
from pipeline.flow.qa import QuestionAnswerer

TABLE = (
    "| STT | Huyện | Diện tích lúa (ha) | Năng suất (tạ/ha) | Tỷ lệ cơ giới hoá |\n"
    "|---|---|---|---|---|\n"
    "| 1 | Tư Nghĩa | 7.450 | 62,5 | 91,2% |\n"
    "| 2 | Mộ Đức | 9.120 | 64,1 | 88,0% |\n"
    "| 3 | Đức Phổ | 6.380 | 58,7 | 79,5% |\n"
)


def _answer(question: str, wants_number: bool) -> str | None:
    found = answer_from_table(normalize(question), normalize(TABLE), wants_number)
    return None if found is None else normalize(TABLE)[found.start : found.end]


def test_parse_table_keeps_cell_offsets() -> None:
    table = parse_table(TABLE)
    assert table is not None
    assert [cell.text for cell in table.header][:2] == ["STT", "Huyện"]
    assert len(table.rows) == 3 and table.label_column == 1  # "STT" numbers are not row names
    cell = table.rows[1][2]
    assert TABLE[cell.start : cell.end] == "9.120" and cell.number == 9120.0
    assert table.rows[0][3].number == 62.5


@pytest.mark.parametrize(
    ("question", "wants_number", "expected"),
    [
        ("Năng suất lúa của huyện Mộ Đức là bao nhiêu?", True, "64,1"),
        ("Tỷ lệ cơ giới hoá ở huyện Đức Phổ là bao nhiêu?", True, "79,5%"),
        ("Diện tích lúa huyện Tư Nghĩa là bao nhiêu ha?", True, "7.450"),
        ("Huyện nào có năng suất lúa cao nhất?", False, "Mộ Đức"),
        ("Huyện nào có diện tích lúa nhỏ nhất trong bảng?", False, "Đức Phổ"),
        ("Huyện nào có năng suất 62,5 tạ/ha?", False, "Tư Nghĩa"),
    ],
)
def test_lookups(question, wants_number, expected) -> None:
    assert _answer(question, wants_number) == expected


@pytest.mark.parametrize(
    "question",
    [
        "Năng suất lúa của huyện Bình Sơn là bao nhiêu?",  # no such row
        "Sản lượng ngô của huyện Mộ Đức là bao nhiêu?",  # no such column
        "Năng suất lúa vụ đông xuân năm trước của huyện Mộ Đức là bao nhiêu?",  # more than the table says
    ],
)
def test_refuses_what_the_table_does_not_say(question) -> None:
    assert _answer(question, True) is None


def test_table_answer_through_ask_slices_the_original_nfd_text() -> None:
    config = load_config()
    text = unicodedata.normalize("NFD", "Kết quả vụ lúa năm 2024 của tỉnh như sau.\n\n" + TABLE)
    qa = QuestionAnswerer(config)
    qa.add([Document(text, "lua.md")])
    result = qa.ask("Tỷ lệ cơ giới hóa ở huyện Đức Phổ là bao nhiêu?")
    cited = result.answer.citations[0]
    assert result.answer.text == "79,5%"
    assert text[cited.answer_start : cited.answer_end] == "79,5%"


def test_ragged_rows_and_superlative_wording() -> None:
    ragged = normalize(
        "| Điểm chuẩn | Trường |\n|---|---|\n| 35,75 | THPT Trần Phú |\n| 36,50 |\n| 30,25 | THPT Lê Lợi |\n"
    )
    found = answer_from_table(normalize("Trường nào có điểm chuẩn cao nhất?"), ragged, False)
    assert (
        found is not None and ragged[found.start : found.end] == "THPT Trần Phú"
    )  # the short row is skipped
    assert superlative_adjective("Huyện nào có ít thí sinh dự thi nhất?") == "ít"
    assert superlative_adjective("Trường cao đẳng nào ít sinh viên nhất?") == "ít"
    assert superlative_adjective("Trường nào có ít nhất 500 sinh viên?") is None  # "at least"


def test_a_table_below_the_passages_read_is_still_looked_up() -> None:
    from models.rules.extractive_reader import ExtractiveReader
    from models.rules.weights import WEIGHTS
    from pipeline.core.protocols import ScoredPassage
    from pipeline.text.cleaning import clean
    from pipeline.text.splitting import split

    prose = "\n\n".join(f"Đoạn {i}: năng suất lúa của tỉnh được cải thiện nhờ cơ giới hoá." for i in range(4))
    document = split(clean(Document(prose + "\n\n" + TABLE, "lua.md")))
    table = next(p for p in document.passages if p.kind == "table")
    others = [p for p in document.passages if p.kind != "table"][: WEIGHTS.passages_read]
    ranked = [ScoredPassage(p, 1.0) for p in others] + [ScoredPassage(table, 0.5)]
    answer = ExtractiveReader().read("Năng suất lúa của huyện Mộ Đức là bao nhiêu?", ranked)
    assert answer.text == "64,1"


def test_an_escaped_pipe_stays_inside_its_cell() -> None:
    from models.rules.table_reader import _cells

    line = "| Trường A \\| cơ sở 2 | 520 |"
    cells = _cells(line, 10)
    assert [cell.text for cell in cells] == ["Trường A \\| cơ sở 2", "520"]
    assert all(line[cell.start - 10 : cell.end - 10] == cell.text for cell in cells)
