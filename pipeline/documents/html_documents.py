"""The text of a saved web page or HTML fragment: decoding, main text, title, byline, date and tables.

A full page is read by trafilatura, which keeps the article and drops menus, ads, share buttons and
comments (``main_text``); a bare fragment, or a page where trafilatura finds nothing, falls back to every
block element's text (``_blocks_text``). Data tables are rendered here in both paths (``html_table_rows``
resolves colspan and rowspan, ``pipeline.documents.markdown_tables`` writes them), so a table reads the
same whichever path took it. trafilatura and bs4 are imported only when a page is read.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from pipeline.core.errors import REASON_LIMIT, VidocError, first_line
from pipeline.documents.markdown_tables import is_layout_table, markdown_table
from pipeline.documents.text_decoding import ENCODING_FIX, decode_text_as


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
    from pipeline.documents.legacy_encodings import decode_legacy, detect_legacy

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
    """``markup`` as a BeautifulSoup tree; markup html.parser rejects is a ``VidocError``."""
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


def html_text(markup: str, source: str) -> str:
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
MAX_BYLINE_WORDS = 4  # what pipeline.text.cleaning still takes for a byline


def main_text(markup: str) -> str:
    """A saved page's main text by trafilatura, as Markdown (``#`` headings, ``- `` items), with:

    - the data tables rendered here (``markdown_table``: header row, merged cells resolved), not by
      trafilatura, whose rendering ignores colspan and rowspan; layout tables become plain blocks;
    - the title first (``# ...``) when the text does not start with it;
    - the author trafilatura found, as the line under the title: the byline of a news article, which
      ``pipeline.text.cleaning`` keeps out of summaries and ``pipeline.text.document_roles`` answers "Ai
      viết bài?" from (only a name-like author of up to four words, which is what a byline line can hold);
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
