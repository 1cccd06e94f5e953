"""Loading documents from files: text, Markdown, HTML, Word and PDF, into ``Document``.

``Document.text`` is the text every offset in vidoc points into. For .txt/.md it is the file's
decoded content (byte-order mark removed, nothing else changed); for HTML, DOCX and PDF it is the
text extracted from the file, since those formats have no character offsets of their own.
"""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import VidocError

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".docx", ".pdf"}


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
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
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


def _docx_to_text(path: Path) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise VidocError(
            f"{path}: not a readable .docx file ({error}).", "Re-save it from Word as .docx."
        ) from None
    blocks = [paragraph.text.strip() for paragraph in document.paragraphs if paragraph.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            if any(cells):
                blocks.append(" | ".join(cells))
    return "\n\n".join(blocks)


def _pdf_to_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, OSError) as error:
        raise VidocError(
            f"{path}: not a readable PDF ({error}).", "Check the file or export it as text."
        ) from None
    return "\n\n".join(page.strip() for page in pages if page.strip())


def load_document(path: str | Path) -> Document:
    """Load one file; raise ``VidocError`` for anything a user can fix (missing, empty, binary...)."""
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
        text = _docx_to_text(path)
    else:
        text = _pdf_to_text(path)
    if not text.strip():
        raise VidocError(
            f"{source}: the document has no text (only whitespace or markup).",
            "Pass a document with text; scanned PDFs need OCR first.",
        )
    return Document(text=text, source=source)


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
