"""Loading documents from files: text, Markdown, HTML, Word and PDF, into ``Document``.

``Document.text`` is the text every offset in vidoc points into. For .txt/.md it is the file's
decoded content (byte-order mark removed, nothing else changed); for HTML, DOCX and PDF it is the
text extracted from the file, since those formats have no character offsets of their own.

A file that fails to parse (a .docx that is not a zip or holds broken XML, a damaged PDF, HTML the parser
rejects) is the user's input, not a bug: it becomes a ``VidocError`` naming the file, the cause and a fix.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    # What the file's bytes were read as: "utf-8", "utf-16", "tcvn3", "vni", "cp1258" (or, for HTML in
    # another declared charset, the codec that read it); None for .docx and .pdf, which hold Unicode
    # already, and for documents made from text in memory.
    encoding: str | None = None

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


# ``pipeline.legacy_encodings.LEGACY_ENCODINGS`` after UTF-8, spelled out so that reading UTF-8 files
# never imports the legacy tables.
LEGACY_ENCODINGS = ("tcvn3", "vni", "cp1258")
TEXT_ENCODINGS = ("utf-8", *LEGACY_ENCODINGS)
ENCODING_FIX = "Name it with --encoding tcvn3|vni|cp1258, or convert it first (`iconv -f ... -t UTF-8`)."
ICONV_FIX = "Convert it first, e.g. `iconv -f WINDOWS-1258 -t UTF-8 file.txt > file.utf8.txt`."


def check_encoding(name: str | None) -> str | None:
    """``--encoding NAME`` as vidoc spells it (lowercase), or a ``VidocError`` naming the choices."""
    if name is None:
        return None
    spelled = name.strip().lower().replace("_", "-")
    spelled = {"utf8": "utf-8", "windows-1258": "cp1258", "tcvn": "tcvn3", "vni-windows": "vni"}.get(
        spelled, spelled
    )
    if spelled not in TEXT_ENCODINGS:
        raise VidocError(f"--encoding {name}: unknown encoding; choose one of {', '.join(TEXT_ENCODINGS)}.")
    return spelled


def decode_text(data: bytes, source: str) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 or a detected legacy Vietnamese encoding; refuse
    anything else with a clear message."""
    return decode_text_as(data, source, fix=ICONV_FIX)[0]


def decode_text_as(
    data: bytes, source: str, encoding: str | None = None, fix: str = ENCODING_FIX
) -> tuple[str, str]:
    """(text, the encoding it was read in). ``encoding`` None means: UTF-8 or UTF-16 when the bytes
    are that (they are never read as anything else), else TCVN3, VNI or Windows-1258 when
    ``detect_legacy`` recognises one. A named ``encoding`` (one of ``TEXT_ENCODINGS``) is used as given,
    except that valid non-ASCII UTF-8 is refused as legacy text rather than turned into mojibake."""
    if _looks_binary(data):
        raise VidocError(
            f"{source}: this looks like a binary file, not a text document.",
            "Pass a .txt, .md, .html, .docx or .pdf file.",
        )
    if encoding in LEGACY_ENCODINGS:
        return _decode_legacy_as(data, source, encoding), encoding
    if data.startswith(codecs.BOM_UTF8):
        name, payload = "utf-8", data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        name, payload = "utf-16", data
    elif b"\x00" in data[:8192]:
        sample = data[:8192]
        name = "utf-16-le" if sample[1::2].count(0) >= sample[0::2].count(0) else "utf-16-be"
        payload = data
    else:
        name, payload = "utf-8", data
    try:
        return payload.decode(name), name.removesuffix("-le").removesuffix("-be")
    except UnicodeDecodeError as error:
        position = error.start
    if name == "utf-8" and encoding is None:
        from pipeline.legacy_encodings import decode_legacy, detect_legacy

        legacy = detect_legacy(payload)
        if legacy is not None:
            return decode_legacy(payload, legacy), legacy
    if encoding is None:
        raise VidocError(
            f"{source}: not valid {name.upper()} text (byte {position}), "
            "nor recognisably TCVN3, VNI or Windows-1258.",
            fix,
        )
    raise VidocError(
        f"{source}: not valid UTF-8 text (byte {position}).",
        "Leave out --encoding to detect TCVN3, VNI or Windows-1258, or name one of them.",
    )


def _decode_legacy_as(data: bytes, source: str, encoding: str) -> str:
    """Bytes the user says are in a legacy ``encoding``; valid UTF-8 beyond ASCII is refused, since
    reading it as TCVN3 or VNI would only make mojibake of it."""
    payload = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    if not payload.isascii():
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise VidocError(
                f"{source}: this is valid UTF-8 text, not {encoding.upper()}.",
                "Leave out --encoding (or pass --encoding utf-8).",
            )
    from pipeline.legacy_encodings import decode_legacy

    return decode_legacy(payload, encoding)


def decode_html(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    """(markup, the encoding it was read in). Valid UTF-8 is read as UTF-8 whatever a stale
    ``<meta charset>`` says; otherwise a legacy Vietnamese encoding ``detect_legacy`` recognises (the
    markup is ASCII, so it judges the text alone), else what the page declares or bs4 guesses."""
    if encoding is not None:
        return decode_text_as(data, source, encoding)
    payload = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return payload.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from pipeline.legacy_encodings import decode_legacy, detect_legacy

    legacy = detect_legacy(payload)
    if legacy is not None:
        return decode_legacy(payload, legacy), legacy
    from bs4 import UnicodeDammit

    dammit = UnicodeDammit(data, is_html=True)
    if dammit.unicode_markup is None:
        raise VidocError(f"{source}: cannot tell the encoding of this HTML page.", ENCODING_FIX)
    return dammit.unicode_markup, (dammit.original_encoding or "utf-8").lower()


HTML_BLOCK_TAGS = (
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
)
HTML_DROPPED_TAGS = ("script", "style", "noscript", "template", "nav", "footer", "header", "aside", "form")
_TABLE_MARK = "vidoc-table"  # stands in the tree where a data table was taken out, already rendered
MAX_SPAN = 100  # a colspan or rowspan larger than this is a broken page, not a table


def parse_html(markup: str, source: str) -> Any:
    from bs4 import BeautifulSoup, ParserRejectedMarkup

    try:
        return BeautifulSoup(markup, "html.parser")
    except ParserRejectedMarkup as error:  # e.g. a stray "<![" that html.parser cannot get past
        raise VidocError(
            f"{source}: not readable HTML (the parser rejected it: {first_line(error, REASON_LIMIT)}).",
            "Open it in a browser and save it again as HTML, or save its text as .txt.",
        ) from error


# Headings and list items keep their role the way Markdown (and a .docx here) marks it; cleaning reads
# the marks and leaves them out of paragraphs.
_MARKDOWN_MARKS = {**{f"h{level}": "#" * level + " " for level in range(1, 7)}, "li": "- "}


def _html_to_text(markup: str, source: str) -> str:
    """The page's text: its main text by trafilatura (see ``main_text``), or, for a bare fragment or a
    page where trafilatura finds nothing, every block element's text (``_blocks_text``)."""
    soup = parse_html(markup, source)  # also what says a page is not readable HTML at all
    if _FULL_PAGE.search(markup):
        text = main_text(markup)
        if text:
            return text
    return _blocks_text(soup)


_FULL_PAGE = re.compile(r"<\s*(?:html|body)\b", re.IGNORECASE)


def _blocks_text(soup: Any) -> str:
    """Every block element's text, one paragraph each, minus scripts, menus, headers and footers."""
    for tag in soup(HTML_DROPPED_TAGS):
        tag.decompose()
    tables, _ = _take_out_data_tables(soup)
    blocks = []
    for element in soup.find_all([*HTML_BLOCK_TAGS, _TABLE_MARK]):
        if element.name == _TABLE_MARK:
            blocks.extend(tables[int(element["data-index"])])
            continue
        if element.find([*HTML_BLOCK_TAGS, _TABLE_MARK]):
            continue  # the inner block is visited on its own
        text = " ".join(element.get_text(" ", strip=True).split())
        if text:
            blocks.append(_MARKDOWN_MARKS.get(element.name, "") + text)
    if not blocks:  # markup without block elements: fall back to all visible text
        blocks = [line.strip() for line in soup.get_text("\n").splitlines() if line.strip()]
    return "\n\n".join(blocks)


def _take_out_data_tables(soup: Any) -> tuple[list[list[str]], list[Any]]:
    """Replace each data table of ``soup`` by a mark; return each one's blocks (caption, Markdown table),
    and the layout tables.

    Layout tables (nested tables, ``role="presentation"``, or what ``is_layout_table`` says) stay, and
    their cells are read as paragraphs, as any ``td`` is. Inner tables go first, so a data table laid out
    inside a layout table is still a table.
    """
    rendered: list[list[str]] = []
    layout: list[Any] = []
    for table in reversed(soup.find_all("table")):
        if table.get("role") == "presentation" or table.find(["table", _TABLE_MARK]):
            layout.append(table)
            continue
        rows = html_table_rows(table)
        if is_layout_table(rows):
            layout.append(table)
            continue
        caption = table.find("caption")
        caption_text = " ".join(caption.get_text(" ", strip=True).split()) if caption else ""
        blocks = [caption_text] if caption_text else []
        blocks.append(markdown_table(rows))
        mark = soup.new_tag(_TABLE_MARK, attrs={"data-index": str(len(rendered))})
        rendered.append(blocks)
        table.replace_with(mark)
    return rendered, layout


# --- main text by trafilatura --------------------------------------------------------------------------

_NEVER_MAIN_TAGS = ("script", "style", "noscript", "template", "nav", "aside", "form")
_EMPHASIS_TAGS = ("b", "strong", "i", "em", "u", "mark", "s", "del", "ins", "small", "big", "sup", "sub")
_TABLE_TOKEN = "VIDOCTABLE{}Q7X"  # stands for a data table in the page trafilatura reads
_TABLE_TOKEN_RE = re.compile(r"VIDOCTABLE(\d+)Q7X")
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_NAME_LIKE = re.compile(r"^[^\W\d_][^\d.!?:]*$")
MAX_BYLINE_WORDS = 4  # what pipeline.cleaning still takes for a byline


def main_text(markup: str) -> str:
    """A saved page's main text by trafilatura, as Markdown (``#`` headings, ``- `` items), with:

    - the data tables rendered here (``markdown_table``: header row, merged cells resolved), not by
      trafilatura, whose rendering ignores colspan and rowspan; layout tables become plain blocks;
    - the title first (``# ...``) when the text does not start with it;
    - the author trafilatura found, as the line under the title: the byline of a news article, which
      ``pipeline.cleaning`` keeps out of summaries and ``pipeline.document_roles`` answers "Ai viết bài?"
      from (only a name-like author of up to four words, which is what a byline line can hold);
    - the publication date found in the page's metadata (not guessed from its text), as a last line
      "Bài viết được đăng ngày 6/9/2022." that questions about the date can find (worded as a
      sentence: the reader answers "đăng ngày nào?" from it, not from a "Ngày đăng: ..." label).

    "" when trafilatura finds no main text (the caller falls back to every block's text).
    """
    import trafilatura
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    # Never content; on a short page trafilatura falls back to reading everything, menus included.
    for tag in soup(_NEVER_MAIN_TAGS):
        tag.decompose()
    tables, layout = _take_out_data_tables(soup)
    for mark in soup.find_all(_TABLE_MARK):
        paragraph = soup.new_tag("p")
        paragraph.string = _TABLE_TOKEN.format(mark["data-index"])
        mark.replace_with(paragraph)
    # Markdown output marks emphasis too (**bold**): drop it, keeping what marks structure (# and -).
    for inline in soup.find_all(_EMPHASIS_TAGS):
        inline.unwrap()
    for table in layout:  # trafilatura would write them as tables: make them plain blocks
        for element in [table, *table.find_all(["thead", "tbody", "tfoot", "tr", "td", "th", "caption"])]:
            element.name = "div"
    try:
        found = trafilatura.extract_with_metadata(
            str(soup),
            output_format="markdown",
            include_tables=True,
            include_comments=False,
            include_links=False,
            include_images=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    # trafilatura is a heuristic over any markup; whatever it trips on, the block path still reads the page.
    except Exception:
        return ""
    if found is None or not found.text:
        return ""
    body = _FRONT_MATTER.sub("", found.text, count=1)
    body = _TABLE_TOKEN_RE.sub(lambda match: "\n\n".join(tables[int(match.group(1))]), body)
    blocks = _line_blocks(body)
    if not blocks:
        return ""
    title = " ".join((found.title or "").split())
    if title:
        at = next((i for i, block in enumerate(blocks[:2]) if block.lstrip("# ").strip() == title), None)
        if at is None:
            blocks.insert(0, f"# {title}")
        elif not blocks[at].startswith("#"):  # trafilatura's fallback extractors write it as plain text
            blocks[at] = f"# {title}"
    author = " ".join((found.author or "").replace(";", ",").split())
    lines = {line.strip() for block in blocks for line in block.splitlines()}
    if (
        author
        and _NAME_LIKE.match(author)
        and len(author.split()) <= MAX_BYLINE_WORDS
        and all(word[0].isupper() for word in author.split())
        and author not in lines
    ):
        blocks.insert(1 if blocks[0].startswith("#") else 0, author)
    if found.date and (published := _vietnamese_date(found.date)):
        blocks.append(f"Bài viết được đăng ngày {published}.")
    return "\n\n".join(blocks)


def _line_blocks(text: str) -> list[str]:
    """Each non-empty line its own block, except that a table's rows stay together: trafilatura ends
    some blocks with one line break and some with two, and cleaning reads lines either way."""
    blocks: list[str] = []
    previous_row = False
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            previous_row = False
            continue
        row = line.startswith("|")
        if row and previous_row:
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
        previous_row = row
    return blocks


def _vietnamese_date(iso: str) -> str | None:
    """ "2022-09-06" as Vietnamese text writes it, "6/9/2022"."""
    import datetime

    try:
        day = datetime.date.fromisoformat(iso[:10])
    except ValueError:
        return None
    return f"{day.day}/{day.month}/{day.year}"


def _span(cell: Any, name: str) -> int:
    try:
        return min(max(int(str(cell.get(name, "1")).strip() or 1), 1), MAX_SPAN)
    except ValueError:
        return 1


def html_table_rows(table: Any) -> list[list[str]]:
    """The cell texts of an HTML table, one list per ``tr`` of its own (not of tables inside it), with
    ``colspan`` text kept in the first column it covers and ``rowspan`` text repeated below.

    Leading rows of ``th`` cells only (a two-level header: "Năng suất" over "Năm 2023 | Năm 2024") become
    one header row, each column named by the texts above it joined ("Năng suất Năm 2023"); there a
    ``colspan`` text names every column it covers.
    """
    rows: list[list[str]] = []
    header_rows = 0
    in_header = True
    spanned: list[tuple[int, int]] = []  # (row, column) a header cell's colspan covers after its first
    pending: dict[int, tuple[str, int]] = {}  # column -> (text of a rowspan cell above, rows left)

    def carry_down(row: list[str]) -> None:
        while len(row) in pending:
            text, left = pending.pop(len(row))
            if left > 1:
                pending[len(row)] = (text, left - 1)
            row.append(text)

    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        row: list[str] = []
        cells = tr.find_all(["td", "th"], recursive=False)
        in_header = in_header and bool(cells) and all(cell.name == "th" for cell in cells)
        for cell in cells:
            carry_down(row)
            text = " ".join(cell.get_text(" ", strip=True).split())
            below = _span(cell, "rowspan") - 1
            for offset in range(_span(cell, "colspan")):
                shown = text if offset == 0 or in_header else ""
                if offset and in_header:
                    spanned.append((len(rows), len(row)))
                if below:
                    pending[len(row)] = (shown, below)
                row.append(shown)
        for column in sorted(column for column in pending if column >= len(row)):
            row.extend([""] * (column - len(row)))
            carry_down(row)
        rows.append(row)
        header_rows += in_header
    if header_rows > 1:
        width = max(len(row) for row in rows[:header_rows])
        header = []
        for column in range(width):
            names: list[str] = []
            for row in rows[:header_rows]:
                if column < len(row) and row[column] and row[column] not in names:
                    names.append(row[column])
            header.append(" ".join(names))
        rows = [header, *rows[header_rows:]]
    else:  # one header row: a spanning header names its first column only, as a spanning cell does
        for row, column in spanned:
            rows[row][column] = ""
    return rows


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
    Word keeps the numbers in its numbering part, not in the text). ``pipeline.cleaning`` reads the
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


# Lines that make a table the header or signature block of an official document (Nghị định 30/2020
# layout: agency | national motto, number | place and date; recipients | signer), not a table of data.
_LAYOUT_MARKERS = re.compile(
    r"CỘNG HÒA XÃ HỘI CHỦ NGHĨA|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA|Độc lập\s*[-–]\s*Tự do|^\s*Nơi nhận\s*:"
    r"|^\s*(?:KT|TM|TL|TUQ|Q)\.\s",
    re.MULTILINE,
)


def is_layout_table(rows: list[list[str]]) -> bool:
    """Whether a table only lays text out: fewer than two rows or columns with text, or an official
    document's header or signature block. Its cells are read as paragraphs, not as a table."""
    filled = [row for row in rows if any(cell.strip() for cell in row)]
    columns = max((sum(bool(cell.strip()) for cell in row) for row in filled), default=0)
    if len(filled) < 2 or columns < 2:
        return True
    return any(_LAYOUT_MARKERS.search(unicodedata.normalize("NFC", cell)) for row in filled for cell in row)


def markdown_table(rows: list[list[str]]) -> str:
    """Rows of cell texts as a Markdown pipe table: the first row is the header, then a ``|---|`` rule
    (written as the bundled .md tables write it, so a table reads the same from .md, .docx and .html).

    What ``pipeline.cleaning`` marks as a table and ``models.table_reader`` reads. Each cell's whitespace
    (line breaks included) becomes single spaces and ``|`` is escaped as ``\\|``; rows are padded to the
    widest and empty rows dropped. Merged cells arrive already resolved by the callers: a horizontal span
    keeps its text in its first column and leaves the others empty (so the columns stay under their
    headers), a vertical one repeats its text in every row it covers (so each row reads on its own).
    """
    cleaned = [[" ".join(cell.split()).replace("|", "\\|") for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return ""
    width = max(len(row) for row in cleaned)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in cleaned]
    lines.insert(1, "|" + "---|" * width)
    return "\n".join(lines)


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


def load_document(path: str | Path, max_chars: int | None = None, encoding: str | None = None) -> Document:
    """Load one file; raise ``VidocError`` for anything a user can fix (missing, empty, binary, too
    long for ``max_chars``...). ``encoding`` (one of ``TEXT_ENCODINGS``, for .txt/.md/.html) overrides
    detection; .docx and .pdf ignore it."""
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
        text = _html_to_text(markup, source)
    elif suffix == ".docx":
        text = _docx_to_text(path, data)
    else:
        text = _pdf_to_text(path)
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
