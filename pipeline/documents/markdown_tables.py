"""Tables as Markdown pipe tables, and which tables only lay text out.

Shared by the HTML and .docx readers, so that a table reads the same from .md, .docx and .html:
``pipeline.text.cleaning`` marks the rendered lines as a table and ``models.rules.table_reader`` answers
from it.
"""

from __future__ import annotations

import re
import unicodedata

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

    What ``pipeline.text.cleaning`` marks as a table and ``models.rules.table_reader`` reads. Each cell's
    whitespace (line breaks included) becomes single spaces and ``|`` is escaped as ``\\|``; rows are
    padded to the widest and empty rows dropped. Merged cells arrive already resolved by the callers: a
    horizontal span keeps its text in its first column and leaves the others empty (so the columns stay
    under their headers), a vertical one repeats its text in every row it covers (so each row reads on its
    own)."""
    cleaned = [[" ".join(cell.split()).replace("|", "\\|") for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return ""
    width = max(len(row) for row in cleaned)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in cleaned]
    lines.insert(1, "|" + "---|" * width)
    return "\n".join(lines)
