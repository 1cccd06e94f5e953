import codecs
from pathlib import Path

import pytest

from pipeline.documents import document_paths, load_document, load_documents
from pipeline.errors import VidocError

TEXT = "Đảng bộ quận Thanh Xuân gồm 52 tổ chức cơ sở Đảng với 20.585 đảng viên."


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("plain.txt", TEXT.encode("utf-8")),
        ("bom.txt", codecs.BOM_UTF8 + TEXT.encode("utf-8")),
        ("utf16.txt", TEXT.encode("utf-16")),  # with BOM
        ("utf16le.md", TEXT.encode("utf-16-le")),  # without BOM
    ],
)
def test_text_encodings_decode_to_the_same_text(tmp_path: Path, name: str, data: bytes) -> None:
    assert load_document(_write(tmp_path / name, data)).text == TEXT


def test_html_uses_a_parser_and_skips_scripts(tmp_path: Path) -> None:
    html = f"""<html><head><style>p {{color: red}}</style><script>var x = "<p>no</p>";</script></head>
    <body><nav>Trang chủ</nav><h1>Tiêu đề</h1><p>{TEXT}</p><p>Đoạn &amp; hai.</p></body></html>"""
    document = load_document(_write(tmp_path / "page.html", html.encode("utf-8")))
    assert document.text == f"Tiêu đề\n\n{TEXT}\n\nĐoạn & hai."


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    import docx

    word = docx.Document()
    word.add_paragraph(TEXT)
    table = word.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Trường A"
    table.rows[0].cells[1].text = "520"
    word.save(tmp_path / "report.docx")
    assert load_document(tmp_path / "report.docx").text == f"{TEXT}\n\nTrường A | 520"


def _minimal_pdf(text: str) -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    document = load_document(_write(tmp_path / "report.pdf", _minimal_pdf("Bao cao nam 2017")))
    assert "Bao cao nam 2017" in document.text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\t\n ", "empty"),
        ("binary.txt", bytes(range(256)) * 4, "binary"),
        ("latin.txt", "Đảng bộ".encode()[:3] + b"\xff\xfe abc", "not valid UTF-8"),
        ("image.png", b"\x89PNG\r\n", "unsupported file type"),
        ("broken.docx", b"not a zip", "not a readable .docx"),
        ("broken.pdf", b"%PDF-1.4 nonsense", "not a readable PDF"),
        ("empty.html", b"<html><body><script>x</script></body></html>", "no text"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = _write(tmp_path / name, data)
    with pytest.raises(VidocError) as error:
        load_document(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VidocError, match="no such file"):
        load_document(tmp_path / "nope.txt")


def test_folder_means_every_supported_file_sorted(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "b.txt", b"hai")
    _write(tmp_path / "sub" / "a.md", b"mot")
    _write(tmp_path / "notes.json", b"{}")
    _write(tmp_path / ".hidden.txt", b"x")
    assert [p.name for p in document_paths([tmp_path])] == ["b.txt", "a.md"]
    assert [d.text for d in load_documents([tmp_path])] == ["hai", "mot"]


def test_folder_without_documents_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "data.json", b"{}")
    with pytest.raises(VidocError, match="no supported documents"):
        document_paths([tmp_path])


def _docx_with(tmp_path: Path, name: str, change) -> Path:
    """A real .docx rewritten part by part: ``change(part, data)`` returns new data, or None to drop it."""
    import zipfile

    import docx

    good = tmp_path / "good.docx"
    word = docx.Document()
    word.add_paragraph(TEXT)
    word.save(good)
    path = tmp_path / name
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for part in source.namelist():
            data = change(part, source.read(part))
            if data is not None:
                target.writestr(part, data)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda part, data: data[: len(data) // 2] if part == "word/document.xml" else data,
            "word/document.xml is not well-formed XML at line",
        ),
        (lambda part, data: b"" if part == "word/styles.xml" else data, "word/styles.xml is not well-formed"),
        (lambda part, data: None if part == "word/document.xml" else data, "a part is missing"),
        (lambda part, data: b"<foo/>" if part == "word/document.xml" else data, "not laid out as a Word"),
    ],
)
def test_docx_with_broken_insides_names_the_file_the_cause_and_the_fix(
    tmp_path: Path, change, message: str
) -> None:
    path = _docx_with(tmp_path, "báo cáo.docx", change)
    with pytest.raises(VidocError) as error:
        load_document(path)
    assert error.value.message.startswith(f"{path}: not a readable .docx file (")
    assert message in error.value.message and "\n" not in error.value.message
    assert error.value.hint == "Open it in Word or LibreOffice and save it again as .docx."
    assert error.value.exit_code == 2


def test_old_doc_or_truncated_docx_says_what_it_is(tmp_path: Path) -> None:
    old = _write(tmp_path / "cũ.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(VidocError, match=r"an old Word \.doc or a password-protected file") as error:
        load_document(old)
    assert "soffice --headless --convert-to docx" in str(error.value.hint)
    whole = _docx_with(tmp_path, "whole.docx", lambda part, data: data).read_bytes()
    cut = _write(tmp_path / "cut.docx", whole[: len(whole) // 2])
    with pytest.raises(VidocError, match="not a zip archive"):
        load_document(cut)


def test_html_the_parser_rejects_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "page.html", b"<p>x</p><![<")
    with pytest.raises(VidocError) as error:
        load_document(path)
    assert error.value.message.startswith(f"{path}: not readable HTML (the parser rejected it")
    assert "save its text as .txt" in str(error.value.hint)


def test_password_protected_pdf_says_so(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(_write(tmp_path / "open.pdf", _minimal_pdf("Bao cao"))))
    writer.encrypt("mat-khau", algorithm="RC4-128")
    with (tmp_path / "locked.pdf").open("wb") as stream:
        writer.write(stream)
    with pytest.raises(VidocError, match="password-protected"):
        load_document(tmp_path / "locked.pdf")


def test_any_pdf_parser_failure_is_an_unreadable_pdf(tmp_path: Path, monkeypatch) -> None:
    """pypdf meets damaged files with TypeError, AttributeError... as well as its own errors."""
    import pypdf

    def damaged(path):
        raise TypeError('can only concatenate str (not "int") to str')

    monkeypatch.setattr(pypdf, "PdfReader", damaged)
    path = _write(tmp_path / "damaged.pdf", _minimal_pdf("Bao cao"))
    with pytest.raises(VidocError, match=r"not a readable PDF \(TypeError: can only concatenate") as error:
        load_document(path)
    assert str(path) in error.value.message
