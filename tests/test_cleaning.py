from pipeline.core.records import Document
from pipeline.documents.loading import load_document
from pipeline.text.cleaning import clean

FURNITURE = [
    "Việt Nam vươn mình trong kỷ nguyên mới",
    "Hồng Thái",
    "Chia sẻ Zalo",
    "Quang cảnh hội nghị.",
    "Quận ủy Thanh Xuân biểu dương, khen thưởng các tập thể.",
]


def test_seed_furniture_is_dropped(seed_path) -> None:
    cleaned = clean(load_document(seed_path))
    kept = [cleaned.text_of(p) for p in cleaned.paragraphs]
    for line in FURNITURE:
        assert line not in kept
    reasons = {cleaned.document.text[d.start : d.end]: d.reason for d in cleaned.dropped}
    assert reasons["Việt Nam vươn mình trong kỷ nguyên mới"] == "site banner"
    assert reasons["Hồng Thái"] == "byline"
    assert reasons["Chia sẻ Zalo"] == "share buttons"
    assert reasons["Quang cảnh hội nghị."] == "repeated caption"
    assert reasons["Kinhtedothi - "] == "source prefix"


def test_seed_title_and_body(seed_path) -> None:
    cleaned = clean(load_document(seed_path))
    assert cleaned.title is not None
    assert cleaned.text_of(cleaned.title) == "Quận Thanh Xuân không có tổ chức cơ sở Đảng yếu kém"
    first_body = next(p for p in cleaned.paragraphs if p.kind == "body")
    assert cleaned.text_of(first_body).startswith("Trong những năm qua")
    assert sum(p.kind == "body" for p in cleaned.paragraphs) == 7


def test_every_paragraph_slices_the_original(seed_path, seed_text) -> None:
    cleaned = clean(load_document(seed_path))
    for paragraph in cleaned.paragraphs:
        piece = seed_text[paragraph.start : paragraph.end]
        assert piece == piece.strip() and piece


def test_markdown_lists_tables_and_headings() -> None:
    text = (
        "# Kết quả tuyển sinh\n\n"
        "Năm nay có 1.250 thí sinh dự thi vào các trường trên địa bàn tỉnh.\n\n"
        "- Trường A tuyển 520 học sinh lớp 10 trong năm học này.\n"
        "1. Điểm chuẩn cao nhất là 27,5 điểm.\n\n"
        "| Trường | Chỉ tiêu |\n|---|---|\n| Trường A | 520 |\n"
    )
    cleaned = clean(Document(text, "t.md"))
    kinds = [(p.kind, cleaned.text_of(p)) for p in cleaned.paragraphs]
    assert kinds == [
        ("heading", "Kết quả tuyển sinh"),
        ("body", "Năm nay có 1.250 thí sinh dự thi vào các trường trên địa bàn tỉnh."),
        ("list", "Trường A tuyển 520 học sinh lớp 10 trong năm học này."),
        ("list", "Điểm chuẩn cao nhất là 27,5 điểm."),
        ("table", "| Trường | Chỉ tiêu |"),
        ("table", "| Trường A | 520 |"),
    ]
    assert [d.reason for d in cleaned.dropped] == ["table rule"]


def test_duplicate_lines_are_dropped_and_crlf_offsets_hold() -> None:
    repeated = "Câu thứ nhất có nội dung dài hơn một chút."
    text = f"{repeated}\r\n\r\nCâu thứ hai.\r\n{repeated}\r\n"
    cleaned = clean(Document(text, "t.txt"))
    assert [cleaned.text_of(p) for p in cleaned.paragraphs] == [
        "Câu thứ nhất có nội dung dài hơn một chút.",
        "Câu thứ hai.",
    ]
    assert [d.reason for d in cleaned.dropped] == ["duplicate line"]


def test_cleaning_does_not_mutate_the_document(seed_path) -> None:
    document = load_document(seed_path)
    before = document.text
    clean(document)
    assert document.text == before
