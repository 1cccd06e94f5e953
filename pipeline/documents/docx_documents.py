"""The text of a Word .docx in the order Word shows it: headings and list items marked as Markdown
marks them, tables as Markdown tables (``pipeline.documents.markdown_tables``).

python-docx and lxml are imported only when a .docx is read. A file they cannot read is the user's
input, not a bug: its error says, in words, what is broken (not a zip, a damaged archive, which XML
part breaks and where, an old .doc) and how to fix it.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from pipeline.core.errors import REASON_LIMIT, VidocError, first_line
from pipeline.documents.markdown_tables import is_layout_table, markdown_table

# Old Word .doc files and password-protected Office files are OLE compound files, not zip archives.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DOCX_FIX = "Open it in Word or LibreOffice and save it again as .docx."


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


def docx_text(path: Path, data: bytes) -> str:
    """The paragraphs and tables of a .docx (``data`` is its bytes), in document order, one block each;
    a file that is not a readable .docx is a ``VidocError`` saying why (``_docx_reason``)."""
    import docx

    if data.startswith(OLE_MAGIC):
        raise VidocError(
            f"{path}: an old Word .doc or a password-protected file, not a .docx.",
            "Remove any password, then save it as .docx in Word or LibreOffice "
            "(`soffice --headless --convert-to docx FILE`).",
        )
    try:
        document = docx.Document(str(path))
        blocks = _docx_blocks(document)
    # A damaged file makes python-docx raise zip, lxml, KeyError or AttributeError (an element it
    # expects is missing) alike: whatever it raises here is about this file, not a bug in vidoc.
    except Exception as error:
        raise VidocError(
            f"{path}: not a readable .docx file ({_docx_reason(path, error)}).", DOCX_FIX
        ) from error
    return "\n\n".join(blocks)


def _docx_blocks(container: Any) -> list[str]:
    """Paragraphs and tables of a document body (or a table cell) in the order Word shows them."""
    from docx.table import Table

    blocks: list[str] = []
    for item in container.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(_docx_table_blocks(item))
        elif text := _docx_paragraph_text(item):
            blocks.append(text)
    return blocks


_HEADING_STYLE = re.compile(r"^heading ([1-6])$", re.IGNORECASE)


def _docx_paragraph_text(paragraph: Any) -> str:
    """A paragraph's text, marked the way Markdown marks what Word says with styles: ``#`` for a Title or
    Heading N paragraph (or one whose style is based on them), ``- `` for a list item (numbered or not;
    Word keeps the numbers in its numbering part, not in the text). ``pipeline.text.cleaning`` reads the
    marks, as it does in a .md file, and leaves them out of paragraphs."""
    text = paragraph.text.strip()
    if not text:
        return ""
    style = paragraph.style
    names = []
    while style is not None and len(names) < 4:
        names.append(style.name or "")
        style = style.base_style
    for name in names:
        if name.lower() == "title":
            return f"# {text}"
        if heading := _HEADING_STYLE.match(name):
            return "#" * int(heading.group(1)) + " " + text
    properties = paragraph._p.pPr
    if (properties is not None and properties.numPr is not None) or names[0].lower().startswith("list"):
        return f"- {text}"
    return text


def _docx_table_blocks(table: Any) -> list[str]:
    """A data table as one Markdown table; a layout table (see ``is_layout_table``) as its cells'
    paragraphs, one block each, row by row."""
    from docx.table import _Cell

    grid: list[list[Any]] = []  # the _Cell standing at each grid position, merges resolved
    for row in table.rows:
        cells: list[Any] = [None] * row.grid_cols_before
        for tc in row._tr.tc_lst:
            if tc.vMerge == "continue":  # vertically merged: the cell above, whose text it shows
                above = grid[-1][len(cells)] if grid and len(cells) < len(grid[-1]) else None
                cells.append(above)
            else:
                cells.append(_Cell(tc, table))
            cells.extend(["span"] * (tc.grid_span - 1))  # horizontally merged: text once, then empty
        grid.append(cells)
    texts = [[cell.text if isinstance(cell, _Cell) else "" for cell in row] for row in grid]
    nested = any(isinstance(cell, _Cell) and cell.tables for row in grid for cell in row)
    if nested or is_layout_table(texts):
        blocks: list[str] = []
        seen: set[int] = set()
        for row in grid:
            for cell in row:
                if isinstance(cell, _Cell) and id(cell._tc) not in seen:
                    seen.add(id(cell._tc))
                    blocks.extend(_docx_blocks(cell))
        return blocks
    rendered = markdown_table(texts)
    return [rendered] if rendered else []
