"""Loading documents from files: text, Markdown, HTML, Word and PDF, into ``Document``.

``Document.text`` is the text every offset in vidoc points into. For .txt/.md it is the file's
decoded content (byte-order mark removed, nothing else changed); for HTML, DOCX and PDF it is the
text extracted from the file, since those formats have no character offsets of their own.

A file that fails to parse (a .docx that is not a zip or holds broken XML, a damaged PDF, HTML the parser
rejects) is the user's input, not a bug: it becomes a ``VidocError`` naming the file, the cause and a fix.
"""

from __future__ import annotations

import codecs
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import VidocError, first_line

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".docx", ".pdf"}
# Old Word .doc files and password-protected Office files are OLE compound files, not zip archives.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DOCX_FIX = "Open it in Word or LibreOffice and save it again as .docx."
REASON_LIMIT = 120


@dataclass(frozen=True)
class Document:
    """A loaded document: its text (what offsets index into) and where it came from."""

    text: str
    source: str

    @property
    def name(self) -> str:
        return Path(self.source).name


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" not in sample:
        return False
    # UTF-16 text without a BOM has a NUL in every other byte; anything else with NULs is binary.
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = max(len(sample) // 2, 1)
    return not (odd_nuls > 0.3 * half and even_nuls == 0) and not (even_nuls > 0.3 * half and odd_nuls == 0)


def decode_text(data: bytes, source: str) -> str:
    """Decode UTF-8 (with or without BOM) or UTF-16; refuse anything else with a clear message."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, payload = "utf-8", data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, payload = "utf-16", data
    elif _looks_binary(data):
        raise VidocError(
            f"{source}: this looks like a binary file, not a text document.",
            "Pass a .txt, .md, .html, .docx or .pdf file.",
        )
    elif b"\x00" in data[:8192]:
        sample = data[:8192]
        encoding = "utf-16-le" if sample[1::2].count(0) >= sample[0::2].count(0) else "utf-16-be"
        payload = data
    else:
        encoding, payload = "utf-8", data
    try:
        return payload.decode(encoding)
    except UnicodeDecodeError as error:
        raise VidocError(
            f"{source}: not valid {encoding.upper()} text (byte {error.start}).",
            "Convert it first, e.g. `iconv -f WINDOWS-1258 -t UTF-8 file.txt > file.utf8.txt`.",
        ) from None


def _html_to_text(data: bytes, source: str) -> str:
    from bs4 import BeautifulSoup, ParserRejectedMarkup

    try:
        soup = BeautifulSoup(data, "html.parser")
    except ParserRejectedMarkup as error:  # e.g. a stray "<![" that html.parser cannot get past
        raise VidocError(
            f"{source}: not readable HTML (the parser rejected it: {first_line(error, REASON_LIMIT)}).",
            "Open it in a browser and save it again as HTML, or save its text as .txt.",
        ) from error
    for tag in soup(["script", "style", "noscript", "template", "nav", "footer", "header", "aside", "form"]):
        tag.decompose()
    blocks = []
    block_tags = [
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "li",
        "blockquote",
        "pre",
        "figcaption",
        "td",
        "th",
    ]
    for element in soup.find_all(block_tags):
        if element.find(block_tags):
            continue  # the inner block is visited on its own
        text = " ".join(element.get_text(" ", strip=True).split())
        if text:
            blocks.append(text)
    if not blocks:  # markup without block elements: fall back to all visible text
        blocks = [line.strip() for line in soup.get_text("\n").splitlines() if line.strip()]
    return "\n\n".join(blocks)


def _broken_xml_part(path: Path) -> str | None:
    """The first part of a .docx archive that is not well-formed XML, and where it breaks: the lxml
    error python-docx passes on says what is wrong but not in which part."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not name.endswith((".xml", ".rels")):
                    continue
                try:
                    etree.fromstring(archive.read(name), parser)
                except etree.XMLSyntaxError as error:
                    line, column = error.position
                    return f"{name} is not well-formed XML at line {line}, column {column}"
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error):
        return None
    return None


def _docx_reason(path: Path, error: Exception) -> str:
    """Why python-docx could not read a file, in words; its own messages name no cause a user knows."""
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    if isinstance(error, PackageNotFoundError):
        return "it is not a zip archive, as every .docx is, or the archive is cut short"
    if isinstance(error, zipfile.BadZipFile | zlib.error | EOFError):
        return f"the zip archive is damaged: {first_line(error, REASON_LIMIT)}"
    if isinstance(error, etree.LxmlError):
        return _broken_xml_part(path) or f"broken XML inside: {first_line(error, REASON_LIMIT)}"
    if isinstance(error, KeyError):
        missing = first_line(error, REASON_LIMIT).strip("\"'")  # str(KeyError) comes quoted
        return f"a part is missing: {missing}"
    if isinstance(error, AttributeError):  # python-docx walked to an element that is not there
        return f"its XML is not laid out as a Word document's ({first_line(error, REASON_LIMIT)})"
    return f"{type(error).__name__}: {first_line(error, REASON_LIMIT)}"


def _docx_to_text(path: Path, data: bytes) -> str:
    import docx

    if data.startswith(OLE_MAGIC):
        raise VidocError(
            f"{path}: an old Word .doc or a password-protected file, not a .docx.",
            "Remove any password, then save it as .docx in Word or LibreOffice "
            "(`soffice --headless --convert-to docx FILE`).",
        )
    try:
        document = docx.Document(str(path))
        blocks = [paragraph.text.strip() for paragraph in document.paragraphs if paragraph.text.strip()]
        for table in document.tables:
            for row in table.rows:
                cells = [cell.text.strip() for cell in row.cells]
                if any(cells):
                    blocks.append(" | ".join(cells))
    # A damaged file makes python-docx raise zip, lxml, KeyError or AttributeError (an element it
    # expects is missing) alike: whatever it raises here is about this file, not a bug in vidoc.
    except Exception as error:
        raise VidocError(
            f"{path}: not a readable .docx file ({_docx_reason(path, error)}).", DOCX_FIX
        ) from error
    return "\n\n".join(blocks)


def _pdf_to_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError:
        raise VidocError(
            f"{path}: the PDF is password-protected.",
            "Remove the password (e.g. `qpdf --decrypt`) and retry.",
        ) from None
    # pypdf on a damaged file raises its own errors but also TypeError, AttributeError, KeyError...
    # (seen when fuzzing): whatever it raises here is about this file, not a bug in vidoc.
    except Exception as error:
        raise VidocError(
            f"{path}: not a readable PDF ({type(error).__name__}: {first_line(error, REASON_LIMIT)}).",
            "Check the file opens in a PDF viewer, or export it as text.",
        ) from error
    return "\n\n".join(page.strip() for page in pages if page.strip())


MAX_BYTES_PER_CHAR = 4  # no text encoding vidoc reads spends more on one character
LENGTH_FIX = "Split the document, or raise the limit with --max-chars N (config: documents.max_chars)."


def check_length(document: Document, max_chars: int) -> None:
    """Refuse a document longer than ``documents.max_chars``: past what was measured to work, a user
    gets this line and a way out instead of minutes of work ending in a MemoryError."""
    if len(document.text) > max_chars:
        raise VidocError(
            f"{document.source}: {len(document.text):,} characters, more than the limit of {max_chars:,}.",
            LENGTH_FIX,
        )


def load_document(path: str | Path, max_chars: int | None = None) -> Document:
    """Load one file; raise ``VidocError`` for anything a user can fix (missing, empty, binary, too
    long for ``max_chars``...)."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise VidocError(f"{source}: no such file.", "Check the path (folders are read file by file).")
    if path.is_dir():
        raise VidocError(f"{source}: is a folder; pass it where folders are accepted or pick a file.")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise VidocError(
            f"{source}: unsupported file type '{suffix or '(none)'}'.",
            f"Supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}.",
        )
    if max_chars is not None and suffix in TEXT_SUFFIXES:
        size = _file_size(path)
        if size > max_chars * MAX_BYTES_PER_CHAR:  # refused before a gigabyte file is read into memory
            raise VidocError(
                f"{source}: {size:,} bytes, more than the limit of {max_chars:,} characters.",
                LENGTH_FIX,
            )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise VidocError(f"{source}: cannot read the file ({error.strerror}).") from None
    if not data.strip():
        raise VidocError(f"{source}: the file is empty.", "Pass a document that has text in it.")
    if suffix in TEXT_SUFFIXES:
        text = decode_text(data, source)
    elif suffix in HTML_SUFFIXES:
        text = _html_to_text(data, source)
    elif suffix == ".docx":
        text = _docx_to_text(path, data)
    else:
        text = _pdf_to_text(path)
    if not text.strip():
        raise VidocError(
            f"{source}: the document has no text (only whitespace or markup).",
            "Pass a document with text; scanned PDFs need OCR first.",
        )
    document = Document(text=text, source=source)
    if max_chars is not None:
        check_length(document, max_chars)
    return document


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as error:
        raise VidocError(f"{path}: cannot read the file ({error.strerror}).") from None


def document_paths(arguments: Iterable[str | Path]) -> list[Path]:
    """Expand arguments into files: a folder means every supported file in it, recursively, sorted."""
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(
                child
                for child in path.rglob("*")
                if child.is_file()
                and child.suffix.lower() in SUPPORTED_SUFFIXES
                and not child.name.startswith(".")
            )
            if not found:
                raise VidocError(
                    f"{path}: no supported documents in this folder.",
                    f"vidoc reads {', '.join(sorted(SUPPORTED_SUFFIXES))} files.",
                )
            paths.extend(found)
        else:
            paths.append(path)
    return paths


def load_documents(arguments: Iterable[str | Path]) -> Iterator[Document]:
    """Load every document named by ``arguments`` (files or folders), in order."""
    for path in document_paths(arguments):
        yield load_document(path)
