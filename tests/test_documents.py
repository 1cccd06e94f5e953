import codecs
import re
from pathlib import Path

import pytest

from pipeline.core.errors import VidocError
from pipeline.documents.loading import document_paths, load_document, load_documents

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
    assert document.text == f"# Tiêu đề\n\n{TEXT}\n\nĐoạn & hai."


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    import docx

    word = docx.Document()
    word.add_paragraph(TEXT)
    table = word.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Trường A"
    table.rows[0].cells[1].text = "520"
    word.save(tmp_path / "report.docx")
    # One row is no table (no header and data): its cells are read as paragraphs, in document order.
    assert load_document(tmp_path / "report.docx").text == f"{TEXT}\n\nTrường A\n\n520"


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
        ("nul.txt", b"ab\x00c", "binary"),  # NULs in one column by chance: not UTF-16 without a BOM
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


# --- legacy Vietnamese encodings ---------------------------------------------------------------------

SEED = Path(__file__).resolve().parent.parent / "examples" / "000_f1aaaf303130fff8.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")
# Three paragraphs of the seed report: dates, 20.585, ủy, curly quotes, capitals with tones (Đảng, Ủy).
LEGACY_TEXT = "\n\n".join(
    next(line for line in SEED_TEXT.splitlines() if line.startswith(start))
    for start in ("Kinhtedothi", "Chiều 6/9", "Theo báo cáo")
)
QUESTION = "Đảng bộ quận có bao nhiêu đảng viên?"


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "cp1258"])
@pytest.mark.parametrize("name", ["report.txt", "report.md"])
def test_legacy_text_is_detected_and_read_as_nfc(tmp_path: Path, encoding: str, name: str) -> None:
    from pipeline.documents.legacy_encodings import encode_legacy

    document = load_document(_write(tmp_path / name, encode_legacy(LEGACY_TEXT, encoding)))
    assert document.text == LEGACY_TEXT
    assert document.encoding == encoding


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16"),
        (b"plain ASCII text", "utf-8"),
    ],
)
def test_unicode_text_records_its_encoding(tmp_path: Path, data: bytes, encoding: str) -> None:
    assert load_document(_write(tmp_path / "a.txt", data)).encoding == encoding


def test_valid_utf8_is_never_read_as_a_legacy_encoding(tmp_path: Path) -> None:
    """Even UTF-8 text that is itself mojibake of TCVN3 (what a bad copy-paste leaves) is kept as it is."""
    from pipeline.documents.legacy_encodings import encode_legacy

    mojibake = encode_legacy(LEGACY_TEXT, "tcvn3").decode("latin-1")
    for text in (LEGACY_TEXT, mojibake):
        document = load_document(_write(tmp_path / "u.txt", text.encode("utf-8")))
        assert (document.text, document.encoding) == (text, "utf-8")


def test_encoding_option_overrides_detection(tmp_path: Path) -> None:
    from pipeline.documents.legacy_encodings import encode_legacy

    short = "Hà Nội"  # too few words with diacritics to judge by: not detected
    path = _write(tmp_path / "short.txt", encode_legacy(short, "vni"))
    with pytest.raises(VidocError) as error:
        load_document(path)
    assert error.value.message.startswith(f"{path}: not valid UTF-8 text (byte ")
    assert "nor recognisably TCVN3, VNI or Windows-1258" in error.value.message
    assert "--encoding tcvn3|vni|cp1258" in str(error.value.hint)
    document = load_document(path, encoding="vni")
    assert (document.text, document.encoding) == (short, "vni")
    # Aliases are accepted; naming another encoding than the one the text clearly is in would only make
    # mojibake of it, so it is refused with the encoding that fits.
    cp1258 = _write(tmp_path / "c.txt", encode_legacy(LEGACY_TEXT, "cp1258"))
    assert load_document(cp1258, encoding="Windows-1258").encoding == "cp1258"
    with pytest.raises(VidocError, match=r"c\.txt: reads as CP1258 \(\d+% .*\), not VNI \(\d+%\)\.") as error:
        load_document(cp1258, encoding="vni")
    assert "--encoding cp1258" in str(error.value.hint)


def test_encoding_option_refuses_what_would_mangle(tmp_path: Path) -> None:
    from pipeline.documents.legacy_encodings import encode_legacy

    utf8 = _write(tmp_path / "u.txt", TEXT.encode("utf-8"))
    with pytest.raises(VidocError, match=r"u\.txt: this is valid UTF-8 text, not TCVN3\."):
        load_document(utf8, encoding="tcvn3")
    assert load_document(_write(tmp_path / "ascii.txt", b"ASCII only"), encoding="tcvn3").text == "ASCII only"
    legacy = _write(tmp_path / "l.txt", encode_legacy(LEGACY_TEXT, "tcvn3"))
    with pytest.raises(VidocError) as error:
        load_document(legacy, encoding="utf-8")
    assert re.fullmatch(r".*l\.txt: not valid UTF-8 text \(byte \d+\)\.", error.value.message)
    assert "Leave out --encoding" in str(error.value.hint)


@pytest.mark.parametrize("name", ["bogus", "latin-1", ""])
def test_unknown_encoding_names_the_choices(name: str) -> None:
    from pipeline.documents.text_decoding import check_encoding

    with pytest.raises(VidocError) as error:
        check_encoding(name)
    assert error.value.message == (
        f"--encoding {name}: unknown encoding; choose one of utf-8, tcvn3, vni, cp1258."
    )


def test_docx_and_pdf_have_no_encoding(tmp_path: Path) -> None:
    assert load_document(_write(tmp_path / "r.pdf", _minimal_pdf("Bao cao")), encoding="vni").encoding is None


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "cp1258"])
def test_legacy_html_is_detected(tmp_path: Path, encoding: str) -> None:
    from pipeline.documents.legacy_encodings import encode_legacy

    body = "".join(f"<p>{paragraph}</p>" for paragraph in LEGACY_TEXT.split("\n\n"))
    page = encode_legacy(f"<html><body>{body}</body></html>", encoding)
    document = load_document(_write(tmp_path / "old.html", page))
    assert document.encoding == encoding
    # The HTML path joins whitespace runs (a no-break space included) into one space.
    assert document.text == "\n\n".join(" ".join(p.split()) for p in LEGACY_TEXT.split("\n\n"))


def test_ask_and_summarize_json_say_what_was_read(tmp_path: Path, capsys) -> None:
    """In-process through the CLI's entry point, as ``vidoc`` runs."""
    import json

    from pipeline.cli import main
    from pipeline.documents.legacy_encodings import encode_legacy

    vni = _write(tmp_path / "vni.txt", encode_legacy(SEED_TEXT, "vni"))
    utf8 = _write(tmp_path / "utf8.txt", SEED_TEXT.encode("utf-8"))
    with pytest.raises(SystemExit) as exit_:
        main(["summarize", str(vni), str(utf8), "--json"])
    assert exit_.value.code in (0, None)
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert (first["encoding"], second["encoding"]) == ("vni", "utf-8")
    assert first["summary"] == second["summary"]
    for sentence in first["sentences"]:  # offsets index the decoded text
        assert SEED_TEXT[sentence["start"] : sentence["end"]] == sentence["text"]
    with pytest.raises(SystemExit) as exit_:
        main(["ask", str(vni), "--encoding", "VNI", "--json", "--", QUESTION])
    assert exit_.value.code in (0, None)
    (answer,) = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert answer["encoding"] == "vni" and "20.585" in answer["answer"]
    assert {citation["encoding"] for citation in answer["citations"]} == {"vni"}


def test_with_encoding_on_several_documents() -> None:
    from pipeline.core.records import Document
    from pipeline.documents.loading import with_encoding

    documents = [Document("a", "a.txt", "tcvn3"), Document("b", "b.txt", "utf-8")]
    record = {"answer": None, "citations": []}
    assert with_encoding(record, documents)["encoding"] is None
    assert with_encoding(record, documents[:1])["encoding"] == "tcvn3"
    cited = with_encoding({"citations": [{"source": "b.txt"}, {"source": "a.txt"}]}, documents)
    assert cited["encoding"] == "utf-8"
    assert [c["encoding"] for c in cited["citations"]] == ["utf-8", "tcvn3"]


def test_cli_tcvn3_end_to_end_and_bad_encoding_name(tmp_path: Path) -> None:
    """One real subprocess: the detected encoding reaches --json, an unknown name is one line, exit 2."""
    import json

    from pipeline.documents.legacy_encodings import encode_legacy
    from tests.conftest import run_cli

    path = _write(tmp_path / "cũ.txt", encode_legacy(SEED_TEXT, "tcvn3"))
    result = run_cli("ask", str(path), QUESTION, "--json")
    assert result.returncode == 0, result.stderr
    (record,) = (json.loads(line) for line in result.stdout.splitlines())
    assert record["encoding"] == "tcvn3" and "20.585" in record["answer"]
    citation = record["citations"][0]
    assert SEED_TEXT[citation["start"] : citation["end"]] == citation["text"]
    bad = run_cli("summarize", str(path), "--encoding", "koi8-r")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == (
        "vidoc: error: --encoding koi8-r: unknown encoding; choose one of utf-8, tcvn3, vni, cp1258."
    )


def test_encoding_names_match_the_legacy_module_and_utf8_does_not_import_it(tmp_path: Path) -> None:
    from pipeline.documents import legacy_encodings, text_decoding
    from tests.conftest import run_fresh_python

    assert text_decoding.LEGACY_ENCODINGS == legacy_encodings.LEGACY_ENCODINGS
    path = _write(tmp_path / "u.txt", TEXT.encode("utf-8"))
    code = (
        "import sys; from pipeline.documents.loading import load_document; "
        f"load_document({str(path)!r}); print('pipeline.documents.legacy_encodings' in sys.modules)"
    )
    assert run_fresh_python(code).strip() == "False"


# --- saved web pages: main text by trafilatura ------------------------------------------------------

# The seed report's paragraphs, with whitespace as HTML shows it (a no-break space is a space).
ARTICLE = [" ".join(line.split()) for line in SEED_TEXT.splitlines() if len(line) > 120]
BOILERPLATE = (
    "Trang chủ",  # menu and breadcrumb
    "Đường dây nóng",  # header
    "Quảng cáo",
    "Mua căn hộ",  # ad
    "Chia sẻ",  # share buttons
    "Từ khóa",  # tags
    "Tin liên quan",
    "Cầu Giấy",  # related links
    "Bình luận",
    "Bạn đọc",  # comments
    "Bản quyền",
    "Giấy phép",  # footer
)


def _news_page() -> str:
    """A saved news article as sites serve them: head metadata, header, menu, ads, share buttons, related
    links, comments and footer around the article."""
    from html import escape

    body = "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in ARTICLE)
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<title>Quận Thanh Xuân không có tổ chức cơ sở Đảng yếu kém - Kinh tế &amp; Đô thị</title>
<meta property="og:title" content="Quận Thanh Xuân không có tổ chức cơ sở Đảng yếu kém">
<meta name="author" content="Hồng Thái">
<meta property="article:published_time" content="2022-09-06T18:05:00+07:00">
<script>window.dataLayer = [];</script></head><body>
<header><a href="/">Kinh tế &amp; Đô thị</a><div class="hotline">Đường dây nóng: 0888 123 456</div></header>
<nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/thoi-su">Thời sự</a></li>
<li><a href="/kinh-te">Kinh tế</a></li></ul></nav>
<div class="breadcrumb"><a href="/">Trang chủ</a> / <a href="/chinh-tri">Chính trị</a></div>
<div class="ads-top"><p>Quảng cáo</p>
<p>Mua căn hộ cao cấp chỉ từ 2 tỷ đồng, chiết khấu 10% cho khách đặt cọc!</p></div>
<div class="main"><article>
<h1 class="title">Quận Thanh Xuân không có tổ chức cơ sở Đảng yếu kém</h1>
<div class="meta"><span class="author">Hồng Thái</span>
<time datetime="2022-09-06T18:05:00+07:00">06/09/2022</time></div>
<div class="share"><a>Chia sẻ Zalo</a> <a>Chia sẻ Facebook</a></div>
<div class="content">{body}</div>
<div class="tags">Từ khóa: Thanh Xuân, Nghị quyết 15</div>
</article>
<aside class="related"><h3>Tin liên quan</h3><ul><li><a>Hà Nội đẩy mạnh xây dựng tổ chức cơ sở Đảng</a></li>
<li><a>Quận Cầu Giấy sơ kết công tác xây dựng Đảng năm 2022</a></li></ul></aside></div>
<div class="comments"><h3>Bình luận</h3><p>Bạn đọc Nguyễn Văn A: Bài viết rất hay, cảm ơn tác giả!</p></div>
<footer><p>Cơ quan chủ quản: UBND thành phố Hà Nội. Giấy phép số 123/GP-BTTTT.</p>
<p>© Bản quyền thuộc về Kinh tế &amp; Đô thị.</p></footer></body></html>"""


def _portal_page() -> str:
    """A provincial portal's news page: a layout table around the article, a data table with a merged
    header in it, a sidebar of latest news, the author at the end."""
    return """<html><head><meta charset="utf-8">
<title>Năng suất lúa vụ hè thu tăng | Cổng thông tin điện tử tỉnh</title>
<meta name="author" content="Minh Anh"><meta property="article:published_time" content="2024-08-15">
</head><body><div id="banner">CỔNG THÔNG TIN ĐIỆN TỬ TỈNH QUẢNG NGÃI</div>
<table class="layout" width="100%"><tr><td class="left">
<div class="sidebar"><div class="box-title">Tin mới nhất</div>
<ul><li><a>Khai mạc hội chợ thương mại tỉnh</a></li>
<li><a>Thông báo lịch tiếp công dân tháng 8</a></li></ul></div></td>
<td class="center"><div class="article"><h2>Năng suất lúa vụ hè thu tăng</h2>
<p>Vụ hè thu năm 2024, toàn tỉnh gieo trồng 35.200 ha lúa; năng suất bình quân đạt 58,9 tạ/ha, tăng 1,2 tạ/ha
so với cùng kỳ năm trước nhờ áp dụng giống mới và cơ giới hóa đồng bộ.</p>
<p>Kết quả cụ thể tại một số huyện như sau:</p>
<table border="1"><tr><th rowspan="2">Huyện</th><th colspan="2">Năng suất (tạ/ha)</th></tr>
<tr><th>Năm 2023</th><th>Năm 2024</th></tr>
<tr><td>Tư Nghĩa</td><td>60,8</td><td>62,5</td></tr><tr><td>Mộ Đức</td><td>62,0</td><td>64,1</td></tr>
<tr><td>Đức Phổ</td><td>57,9</td><td>58,7</td></tr></table>
<p>Sở Nông nghiệp và Phát triển nông thôn khuyến cáo nông dân khẩn trương thu hoạch lúa chín, làm đất
gieo sạ vụ thu đông đúng lịch thời vụ.</p></div></td></tr></table>
<div id="footer">Bản quyền thuộc Cổng thông tin điện tử tỉnh.
Địa chỉ: 52 Hùng Vương. Điện thoại: 0255 3822 123.</div>
</body></html>"""


def test_news_page_main_text_title_byline_and_date(tmp_path: Path) -> None:
    path = tmp_path / "bai_bao.html"
    path.write_text(_news_page(), encoding="utf-8")
    document = load_document(path)
    assert document.text.startswith(
        "# Quận Thanh Xuân không có tổ chức cơ sở Đảng yếu kém\n\nHồng Thái\n\n"
        "Kinhtedothi - Trong những năm qua"
    )
    assert document.text.endswith("\n\nBài viết được đăng ngày 6/9/2022.")
    assert all(paragraph in document.text for paragraph in ARTICLE)
    assert [words for words in BOILERPLATE if words in document.text] == []
    # The block path (the fallback) keeps what is not in header, nav, footer or aside tags.
    from pipeline.documents.html_documents import _blocks_text, parse_html

    blocks = _blocks_text(parse_html(_news_page(), str(path)))
    assert all(paragraph in blocks for paragraph in ARTICLE)
    assert {"Quảng cáo", "Mua căn hộ", "Bình luận", "Bạn đọc"} <= {w for w in BOILERPLATE if w in blocks}


def test_portal_page_keeps_the_article_and_its_table(tmp_path: Path) -> None:
    path = tmp_path / "lua.html"
    path.write_text(_portal_page(), encoding="utf-8")
    text = load_document(path).text
    assert text.startswith("# Năng suất lúa vụ hè thu tăng\n\nMinh Anh\n\nVụ hè thu năm 2024")
    assert (
        "| Huyện | Năng suất (tạ/ha) Năm 2023 | Năng suất (tạ/ha) Năm 2024 |\n|---|---|---|\n"
        "| Tư Nghĩa | 60,8 | 62,5 |\n| Mộ Đức | 62,0 | 64,1 |\n| Đức Phổ | 57,9 | 58,7 |"
    ) in text
    assert "khuyến cáo nông dân" in text and text.endswith("Bài viết được đăng ngày 15/8/2024.")
    for words in ("CỔNG THÔNG TIN", "Tin mới nhất", "hội chợ", "Bản quyền", "Hùng Vương"):
        assert words not in text
    from pipeline.core.config import load_config
    from pipeline.flow.qa import QuestionAnswerer

    qa = QuestionAnswerer(load_config())
    qa.add([load_document(path)])
    assert qa.ask("Năng suất lúa năm 2024 của huyện Mộ Đức là bao nhiêu?").answer.text == "64,1"
    assert qa.ask("Ai viết bài?").answer.text == "Minh Anh"


def test_page_metadata_reaches_the_answers(tmp_path: Path) -> None:
    from pipeline.core.config import load_config
    from pipeline.flow.qa import QuestionAnswerer

    (tmp_path / "bai_bao.html").write_text(_news_page(), encoding="utf-8")
    qa = QuestionAnswerer(load_config())
    qa.add([load_document(tmp_path / "bai_bao.html")])
    answers = {
        question: qa.ask(question).answer.text
        for question in (
            "Phóng viên nào viết bài?",
            "Bài viết được đăng ngày nào?",
            "Bài viết được đăng trên báo nào?",
            QUESTION,
        )
    }
    assert answers == {
        "Phóng viên nào viết bài?": "Hồng Thái",
        "Bài viết được đăng ngày nào?": "6/9/2022",
        "Bài viết được đăng trên báo nào?": "Kinhtedothi",
        QUESTION: "20.585 đảng viên",
    }


def test_an_author_that_is_no_name_line_is_left_out(tmp_path: Path) -> None:
    page = _news_page().replace('content="Hồng Thái"', 'content="Ban Thời sự - Kinh tế & Đô thị 2022"')
    page = page.replace('<span class="author">Hồng Thái</span>', "")
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    text = load_document(tmp_path / "p.html").text
    assert text.startswith("# Quận Thanh Xuân không có tổ chức cơ sở Đảng yếu kém\n\nKinhtedothi - ")


def test_fragments_and_pages_trafilatura_cannot_read_use_the_block_path(tmp_path: Path, monkeypatch) -> None:
    import trafilatura

    fragment = "<h2>Thông báo</h2><p>Nghỉ lễ từ ngày 30/4.</p><nav>Trang chủ</nav>"
    (tmp_path / "f.html").write_text(fragment, encoding="utf-8")
    assert load_document(tmp_path / "f.html").text == "## Thông báo\n\nNghỉ lễ từ ngày 30/4."

    def broken(*args, **kwargs):
        raise RuntimeError("lxml tripped")

    monkeypatch.setattr(trafilatura, "extract_with_metadata", broken)
    (tmp_path / "bai_bao.html").write_text(_news_page(), encoding="utf-8")
    text = load_document(tmp_path / "bai_bao.html").text
    assert all(paragraph in text for paragraph in ARTICLE) and "Quảng cáo" in text


def test_text_files_never_import_the_html_libraries(tmp_path: Path) -> None:
    from tests.conftest import run_fresh_python

    path = _write(tmp_path / "u.txt", SEED_TEXT.encode("utf-8"))
    code = (
        "import sys\nfrom pipeline.cli import main\n"
        f"try:\n    main(['summarize', {str(path)!r}, '--json'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('trafilatura', 'bs4', 'docx', 'pypdf') if m in sys.modules])"
    )
    assert run_fresh_python(code).strip().splitlines()[-1] == "[]"


def test_a_damaged_pdf_is_one_error_and_no_library_noise(tmp_path: Path, caplog) -> None:
    """pypdf logs what it repairs ("invalid pdf header", "EOF marker not found"), which the console
    script would print above its one line; none of it is logged."""
    path = _write(tmp_path / "program.pdf", b"\x7fELF\x02\x01\x01" + bytes(200))
    with caplog.at_level("DEBUG"), pytest.raises(VidocError) as error:
        load_document(path)
    assert "not a readable PDF" in str(error.value)
    assert [record.message for record in caplog.records if record.name.startswith("pypdf")] == []
