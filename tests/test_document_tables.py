"""Tables in .docx and .html: read in document order as Markdown pipe tables that cleaning marks as tables
and the table reader answers from, with merged cells resolved; layout tables read as paragraphs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.core.records import Document
from pipeline.documents.loading import load_document
from pipeline.documents.markdown_tables import markdown_table
from pipeline.text.cleaning import clean

ROOT = Path(__file__).resolve().parent.parent
TABLES_MD = ROOT / "examples" / "ket_qua_tuyen_sinh.md"


def _docx(path: Path, build) -> Path:
    import docx

    word = docx.Document()
    build(word)
    word.save(path)
    return path


def _fill(table, rows: list[list[str]]) -> None:
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text


def _table_paragraphs(document: Document) -> list[str]:
    return [document.text[p.start : p.end] for p in clean(document).paragraphs if p.kind == "table"]


# --- .docx ---------------------------------------------------------------------------------------------


def test_docx_tables_stay_where_they_are_as_pipe_tables(tmp_path: Path) -> None:
    def build(word) -> None:
        word.add_paragraph("Kết quả vụ lúa năm 2024 như sau.")
        _fill(
            word.add_table(rows=3, cols=3),
            [
                ["Huyện", "Diện tích (ha)", "Năng suất"],
                ["Tư Nghĩa", "7.450", "62,5"],
                ["Mộ Đức", "9.120", "64,1"],
            ],
        )
        word.add_paragraph("Năng suất bình quân tăng so với năm trước.")

    document = load_document(_docx(tmp_path / "lua.docx", build))
    assert document.text == (
        "Kết quả vụ lúa năm 2024 như sau.\n\n"
        "| Huyện | Diện tích (ha) | Năng suất |\n|---|---|---|\n"
        "| Tư Nghĩa | 7.450 | 62,5 |\n| Mộ Đức | 9.120 | 64,1 |\n\n"
        "Năng suất bình quân tăng so với năm trước."
    )
    assert document.encoding is None
    rows = _table_paragraphs(document)
    assert rows == [
        "| Huyện | Diện tích (ha) | Năng suất |",
        "| Tư Nghĩa | 7.450 | 62,5 |",
        "| Mộ Đức | 9.120 | 64,1 |",
    ]


def test_docx_merged_cells_newlines_and_pipes(tmp_path: Path) -> None:
    """A horizontal merge keeps its text in its first column (the rest empty, so columns stay under their
    headers); a vertical merge repeats its text in every row it covers (each row reads on its own)."""

    def build(word) -> None:
        table = word.add_table(rows=4, cols=4)
        _fill(
            table,
            [
                ["Huyện", "Năm", "Dân số", ""],
                ["Tư Nghĩa", "2023", "180\nnghìn", "a|b"],
                ["", "2024", "182", "c"],
                ["Mộ Đức", "2024", "150", "d"],
            ],
        )
        table.cell(0, 2).merge(table.cell(0, 3)).text = "Dân số"
        table.cell(1, 0).merge(table.cell(2, 0)).text = "Tư Nghĩa"

    document = load_document(_docx(tmp_path / "merged.docx", build))
    assert document.text == (
        "| Huyện | Năm | Dân số |  |\n|---|---|---|---|\n"
        "| Tư Nghĩa | 2023 | 180 nghìn | a\\|b |\n| Tư Nghĩa | 2024 | 182 | c |\n| Mộ Đức | 2024 | 150 | d |"
    )


def test_docx_layout_tables_read_as_paragraphs(tmp_path: Path) -> None:
    """An official document's header and signature blocks are tables in Word; they stay lines of text,
    so the document number and the signer are still found (pipeline/text/document_roles.py)."""

    def build(word) -> None:
        _fill(
            word.add_table(rows=2, cols=2),
            [
                [
                    "ỦY BAN NHÂN DÂN\nTỈNH LAM GIANG",
                    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
                ],
                ["Số: 415/BC-UBND", "Lam Giang, ngày 12 tháng 7 năm 2025"],
            ],
        )
        word.add_paragraph("BÁO CÁO")
        word.add_paragraph("Tình hình kinh tế - xã hội sáu tháng đầu năm 2025")
        word.add_paragraph("Tổng sản phẩm trên địa bàn tỉnh tăng 7,2% so với cùng kỳ năm trước.")
        _fill(
            word.add_table(rows=1, cols=2),
            [["Nơi nhận:\n- Bộ Kế hoạch và Đầu tư;\n- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"]],
        )
        word.add_paragraph("Lê Quang Hưng")

    document = load_document(_docx(tmp_path / "bao_cao.docx", build))
    assert "|" not in document.text
    assert document.text.startswith("ỦY BAN NHÂN DÂN\nTỈNH LAM GIANG\n\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert "\n\nSố: 415/BC-UBND\n\n" in document.text
    assert document.text.endswith("TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\nLê Quang Hưng")
    from pipeline.core.config import load_config
    from pipeline.flow.qa import QuestionAnswerer

    qa = QuestionAnswerer(load_config())
    qa.add([document])
    assert qa.ask("Báo cáo mang số hiệu gì?").answer.text == "415/BC-UBND"
    assert qa.ask("Ai ký báo cáo?").answer.text == "Lê Quang Hưng"


def test_markdown_table_rendering() -> None:
    assert markdown_table([["a", "b"], ["1 | 2", "x\n y"], ["", ""], ["3"]]) == (
        "| a | b |\n|---|---|\n| 1 \\| 2 | x y |\n| 3 |  |"
    )
    assert markdown_table([["", ""]]) == ""


# --- .html ---------------------------------------------------------------------------------------------


def test_html_table_rows_with_header_spans_and_caption(tmp_path: Path) -> None:
    page = """<html><body><p>Kết quả vụ lúa năm 2024 như sau.</p>
    <table><caption>Bảng 1. Năng suất lúa</caption>
    <thead><tr><th>Huyện</th><th>Năm</th><th colspan="2">Năng suất</th></tr></thead>
    <tbody><tr><td rowspan="2">Tư Nghĩa</td><td>2023</td><td>62,5</td><td>tạ/ha</td></tr>
    <tr><td>2024</td><td><p>63,0</p></td><td>tạ/ha</td></tr>
    <tr><td>Mộ Đức</td><td>2024</td><td>64,1<br>(ước)</td><td>tạ|ha</td></tr></tbody></table>
    <p>Năng suất bình quân tăng.</p></body></html>"""
    (tmp_path / "lua.html").write_text(page, encoding="utf-8")
    document = load_document(tmp_path / "lua.html")
    assert document.text == (
        "Kết quả vụ lúa năm 2024 như sau.\n\nBảng 1. Năng suất lúa\n\n"
        "| Huyện | Năm | Năng suất |  |\n|---|---|---|---|\n"
        "| Tư Nghĩa | 2023 | 62,5 | tạ/ha |\n| Tư Nghĩa | 2024 | 63,0 | tạ/ha |\n"
        "| Mộ Đức | 2024 | 64,1 (ước) | tạ\\|ha |\n\n"
        "Năng suất bình quân tăng."
    )
    assert len(_table_paragraphs(document)) == 4


def test_html_layout_tables_stay_paragraphs(tmp_path: Path) -> None:
    page = """<html><body><table><tr><td><p>Tin chính hôm nay.</p>
    <table><tr><th>Trường</th><th>Điểm chuẩn</th></tr><tr><td>THPT Trần Phú</td><td>35,75</td></tr></table>
    </td><td><p>Cột phải.</p></td></tr></table>
    <table><tr><td>Chỉ một cột</td></tr><tr><td>dòng hai</td></tr></table></body></html>"""
    (tmp_path / "layout.html").write_text(page, encoding="utf-8")
    assert load_document(tmp_path / "layout.html").text == (
        "Tin chính hôm nay.\n\n| Trường | Điểm chuẩn |\n|---|---|\n| THPT Trần Phú | 35,75 |\n\n"
        "Cột phải.\n\nChỉ một cột\n\ndòng hai"
    )


def test_html_spans_that_are_not_numbers_or_too_large(tmp_path: Path) -> None:
    page = """<table><tr><th colspan="x">A</th><th colspan="100000">B</th></tr>
    <tr><td rowspan="0">1</td><td>2</td></tr></table>"""
    (tmp_path / "odd.html").write_text(page, encoding="utf-8")
    text = load_document(tmp_path / "odd.html").text
    assert text.splitlines()[0].startswith("| A | B |  |") and text.count("\n") == 2
    assert len(text) < 2000


# --- the bundled table report as .docx and .html ------------------------------------------------------


def _markdown_blocks(text: str) -> list[tuple[str, object]]:
    """The report's Markdown as (kind, content): heading levels, list items, tables, paragraphs."""
    blocks: list[tuple[str, object]] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        if chunk.startswith("|"):
            rows = [
                [cell.strip() for cell in line.strip().strip("|").split("|")] for line in chunk.splitlines()
            ]
            blocks.append(("table", [row for row in rows if not all(set(c) <= set("-: ") for c in row)]))
            continue
        for line in chunk.splitlines():
            line = line.replace("**", "")
            if heading := re.match(r"^(#+)\s+(.*)", line):
                blocks.append((f"h{len(heading.group(1))}", heading.group(2)))
            elif item := re.match(r"^-\s+(.*)", line):
                blocks.append(("ul", item.group(1)))
            elif item := re.match(r"^\d+\.\s+(.*)", line):
                blocks.append(("ol", item.group(1)))
            else:
                blocks.append(("p", line))
    return blocks


def _report_docx(path: Path) -> Path:
    """ket_qua_tuyen_sinh.md as Word would hold it: heading styles, list styles, real tables."""

    def build(word) -> None:
        for kind, content in _markdown_blocks(TABLES_MD.read_text(encoding="utf-8")):
            if kind == "table":
                table = word.add_table(rows=len(content), cols=len(content[0]))
                table.style = "Table Grid"
                _fill(table, content)
            elif kind.startswith("h"):
                word.add_heading(content, level=int(kind[1:]))
            elif kind in ("ul", "ol"):
                word.add_paragraph(content, style="List Bullet" if kind == "ul" else "List Number")
            else:
                word.add_paragraph(content)

    return _docx(path, build)


def _report_html(path: Path) -> Path:
    """ket_qua_tuyen_sinh.md as a saved web page: headings, lists, tables with a thead of th cells."""
    from html import escape

    parts: list[str] = []
    open_list = None
    for kind, content in _markdown_blocks(TABLES_MD.read_text(encoding="utf-8")):
        if open_list and kind != open_list:
            parts.append(f"</{open_list}>")
            open_list = None
        if kind in ("ul", "ol"):
            if open_list is None:
                parts.append(f"<{kind}>")
                open_list = kind
            parts.append(f"<li>{escape(content)}</li>")
        elif kind == "table":
            header, *rows = content
            head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
            body = "".join(
                "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        else:
            parts.append(f"<{kind}>{escape(content)}</{kind}>")
    if open_list:
        parts.append(f"</{open_list}>")
    page = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Kết quả tuyển sinh</title></head>'
    )
    path.write_text(page + "<body><main>" + "\n".join(parts) + "</main></body></html>", encoding="utf-8")
    return path


def _table_questions() -> list[dict]:
    """The suites' questions on the report whose evidence is a table row, and those it cannot answer
    (a school or a class the tables do not list): both must read the same from every format."""
    questions = []
    for suite in sorted((ROOT / "eval" / "suites").glob("*.jsonl")):
        for line in suite.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item.get("kind") != "qa" or item["document"] != "examples/ket_qua_tuyen_sinh.md":
                continue
            if (item.get("evidence") or "").startswith("|") or not item["answers"]:
                questions.append(item)
    return questions


@pytest.fixture(scope="module")
def report_answers(tmp_path_factory) -> dict[str, dict[str, str | None]]:
    """The table questions answered from the .md, a .docx and an .html version of the report."""
    from pipeline.core.config import load_config
    from pipeline.flow.qa import QuestionAnswerer

    folder = tmp_path_factory.mktemp("report")
    paths = {
        "md": TABLES_MD,
        "docx": _report_docx(folder / "ket_qua_tuyen_sinh.docx"),
        "html": _report_html(folder / "ket_qua_tuyen_sinh.html"),
    }
    config = load_config()
    answers: dict[str, dict[str, str | None]] = {}
    for kind, path in paths.items():
        qa = QuestionAnswerer(config)
        qa.add([load_document(path)])
        answers[kind] = {item["id"]: qa.ask(item["question"]).answer.text for item in _table_questions()}
    return answers


def test_report_tables_survive_docx_and_html(tmp_path: Path) -> None:
    """Each row comes out exactly as the Markdown writes it, and cleaning marks every one a table row."""
    lines = TABLES_MD.read_text(encoding="utf-8").splitlines()
    expected = [line for line in lines if line.startswith("|") and not line.startswith("|---")]
    for path in (_report_docx(tmp_path / "r.docx"), _report_html(tmp_path / "r.html")):
        assert _table_paragraphs(load_document(path)) == expected


def test_table_questions_are_answered_the_same_from_md_docx_and_html(report_answers) -> None:
    questions = _table_questions()
    assert sum(bool(item["answers"]) for item in questions) == 13  # tables-qa-01..12, blind2-qa-36
    for kind in ("docx", "html"):
        assert report_answers[kind] == report_answers["md"]
    # And rightly: the cell, or no answer where the report does not say. Measured here: all but
    # tables-qa-02 ("tuyển bao nhiêu học sinh" for the "Chỉ tiêu" column), which the .md misses too.
    right = [
        item["id"]
        for item in questions
        if (
            report_answers["md"][item["id"]] in item["answers"]
            if item["answers"]
            else report_answers["md"][item["id"]] is None
        )
    ]
    assert len(right) >= len(questions) - 1
