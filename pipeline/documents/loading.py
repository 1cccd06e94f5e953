"""Loading documents from files: text, Markdown, HTML, Word and PDF, into ``Document``.

``Document.text`` is the text every offset in vidoc points into. For .txt/.md it is the file's
decoded content (byte-order mark removed, nothing else changed); for HTML, DOCX and PDF it is the
text extracted from the file, since those formats have no character offsets of their own.

This module checks the file (exists, supported, not empty, not too long) and picks the reader by extension;
each format is read in a module of its own (``pipeline.documents.text_decoding``,
``pipeline.documents.html_documents``, ``pipeline.documents.docx_documents``,
``pipeline.documents.pdf_documents``), which imports its parsing library only when a file of that format is
read.

A file that fails to parse (a .docx that is not a zip or holds broken XML, a damaged PDF, HTML the parser
rejects) is the user's input, not a bug: it becomes a ``VidocError`` naming the file, the cause and a fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline.core.errors import VidocError
from pipeline.core.records import Document
from pipeline.documents.docx_documents import docx_text
from pipeline.documents.html_documents import decode_html, html_text
from pipeline.documents.pdf_documents import pdf_text
from pipeline.documents.text_decoding import check_encoding, decode_text_as

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".docx", ".pdf"}


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


def load_document(path: str | Path, max_chars: int | None = None, encoding: str | None = None) -> Document:
    """Load one file; raise ``VidocError`` for anything a user can fix (missing, empty, binary, too
    long for ``max_chars``...). ``encoding`` (one of ``pipeline.documents.text_decoding.TEXT_ENCODINGS``, for
    .txt/.md/.html) overrides detection; .docx and .pdf ignore it."""
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
    encoding = check_encoding(encoding)
    read_as: str | None = None
    if suffix in TEXT_SUFFIXES:
        text, read_as = decode_text_as(data, source, encoding)
    elif suffix in HTML_SUFFIXES:
        markup, read_as = decode_html(data, source, encoding)
        text = html_text(markup, source)
    elif suffix == ".docx":
        text = docx_text(path, data)
    else:
        text = pdf_text(path)
    if not text.strip():
        raise VidocError(
            f"{source}: the document has no text (only whitespace or markup).",
            "Pass a document with text; scanned PDFs need OCR first.",
        )
    document = Document(text=text, source=source, encoding=read_as)
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


def load_documents(arguments: Iterable[str | Path], encoding: str | None = None) -> Iterator[Document]:
    """Load every document named by ``arguments`` (files or folders), in order."""
    for path in document_paths(arguments):
        yield load_document(path, encoding=encoding)


def with_encoding(record: dict[str, Any], documents: Iterable[Document]) -> dict[str, Any]:
    """A ``vidoc ask --json`` record with what its documents were read as: ``encoding`` on each citation
    (its source's) and at the top (the first citation's; with no citation, the one encoding all the
    documents share, else None)."""
    encodings = {document.source: document.encoding for document in documents}
    citations = [
        {**citation, "encoding": encodings.get(citation.get("source"))} for citation in record["citations"]
    ]
    if citations:
        encoding = citations[0]["encoding"]
    else:
        shared = set(encodings.values())
        encoding = shared.pop() if len(shared) == 1 else None
    return {**record, "citations": citations, "encoding": encoding}
