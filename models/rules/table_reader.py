"""Answers looked up in a table: the cell where the question's row meets the question's column.

Reports carry their figures in tables ("| THPT Trần Phú | 585 | 790 | 1,35 | 35,75 |"), where no sentence
says "the cut-off score of Trần Phú is 35,75". A question names a row by its label ("Trường THPT Trần
Phú") and a column by its header ("Điểm chuẩn nguyện vọng 1"); the answer is their cell. Two more forms
read a column instead of a cell: "Trường nào có điểm chuẩn thấp nhất?" (the row with the extreme value)
and "Lớp chuyên nào lấy điểm chuẩn 36,05?" (the row holding that value); both answer with the row's
label. A lookup is only trusted when the row label is named in full and nearly every word of the
question is found in the table's header, the row or the column: otherwise a table about other things
would answer with confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.rules.answer_types import NUMBER, QUESTION_WORDS
from models.rules.weights import WEIGHTS
from pipeline.core.lexicon import SYLLABLE, TOKEN

_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_RULE_CELL = re.compile(r"^\s*:?-{2,}:?\s*$")
_ADJECTIVES = frozenset({"cao", "thấp", "nhiều", "ít", "lớn", "nhỏ", "đông", "nặng", "nhẹ", "dài", "ngắn"})
MAX_SUPERLATIVE_GAP = 5  # "ít [thí sinh dự thi] nhất": the column's words may sit in between
_TABLE_WORDS = frozenset({"bảng", "biểu", "danh", "sách"})  # "trong bảng", "trong danh sách"
_HIGHEST = frozenset({"cao", "nhiều", "lớn", "đông", "nặng", "dài"})


@dataclass(frozen=True)
class Cell:
    """A cell's stripped text and its offsets in the table's text."""

    text: str
    start: int
    end: int

    @property
    def syllables(self) -> list[str]:
        return [s.lower() for s in TOKEN.findall(self.text)]

    @property
    def name_syllables(self) -> list[str]:
        """A header's words without its unit in brackets: "Năng suất (tạ/ha)" is named "năng suất"."""
        return [s.lower() for s in TOKEN.findall(_BRACKETED.sub(" ", self.text))]

    @property
    def number(self) -> float | None:
        """The cell's value when it is one number (Vietnamese style: 1.148 thousands, 35,75 decimals)."""
        match = NUMBER.fullmatch(self.text.rstrip("% ").strip())
        if not match or "/" in self.text:
            return None
        try:
            return float(self.text.rstrip("% ").replace(".", "").replace(",", "."))
        except ValueError:
            return None


@dataclass(frozen=True)
class Table:
    header: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @property
    def label_column(self) -> int | None:
        """The first column whose cells are mostly words (the row names), skipping "STT" numbering."""
        for column in range(len(self.header)):
            cells = [row[column] for row in self.rows if column < len(row)]
            if cells and sum(cell.number is None for cell in cells) > len(cells) / 2:
                return column
        return None


@dataclass(frozen=True)
class TableAnswer:
    start: int
    end: int
    confidence: float  # 0..1: how much of the question the row and column explain


_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _cells(line: str, offset: int) -> list[Cell]:
    cells = []
    position = line.index("|") + 1
    for part in _UNESCAPED_PIPE.split(line[position:]):  # "\|" inside a cell is text, not a border
        stripped = part.strip()
        lead = len(part) - len(part.lstrip())
        cells.append(Cell(stripped, offset + position + lead, offset + position + lead + len(stripped)))
        position += len(part) + 1
    if cells and not cells[-1].text and line.rstrip().endswith("|"):
        cells.pop()
    return cells


def parse_table(text: str) -> Table | None:
    """A Markdown pipe table: its first row is the header, ``|---|`` rules are skipped."""
    rows: list[list[Cell]] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip().startswith("|"):
            cells = _cells(line, offset)
            if cells and not all(_RULE_CELL.match(cell.text) for cell in cells):
                rows.append(cells)
        offset += len(line) + 1
    if len(rows) < 2:
        return None
    return Table(tuple(rows[0]), tuple(tuple(row) for row in rows[1:]))


def _match(cell_syllables: list[str], question: frozenset[str]) -> float:
    """Words shared with the question, less half a point for each word of the cell it lacks."""
    found = sum(s in question for s in cell_syllables)
    return found - 0.5 * (len(cell_syllables) - found)


def _named_row(table: Table, label: int, question: frozenset[str]) -> int | None:
    """The row whose label the question names in full; the longest such label wins ("Tiếng Anh" over
    "Anh"); None when no row, or two rows equally, are named."""
    named = [
        (len(row[label].syllables), index)
        for index, row in enumerate(table.rows)
        if label < len(row) and row[label].syllables and all(s in question for s in row[label].syllables)
    ]
    if not named:
        return None
    named.sort(reverse=True)
    if len(named) > 1 and named[0][0] == named[1][0]:
        return None
    return named[0][1]


def _named_column(table: Table, label: int, question: frozenset[str]) -> int | None:
    scored = [
        (_match(cell.name_syllables, question), column)
        for column, cell in enumerate(table.header)
        if column != label and cell.name_syllables
    ]
    if not scored:
        return None
    best, column = max(scored)
    return column if best >= WEIGHTS.min_column_match else None


def _explained(table: Table, question: frozenset[str], row: int | None) -> float:
    """Share of the question's words found in the header or the named row."""
    if not question:
        return 0.0
    words: set[str] = set()
    for cell in table.header:
        words.update(cell.syllables)
    if row is not None:
        for cell in table.rows[row]:
            words.update(cell.syllables)
    return len(question & words) / len(question)


def answer_from_table(
    question: str, text: str, wants_number: bool, context: frozenset[str] = frozenset()
) -> TableAnswer | None:
    """The cell (or row label) of the table in ``text`` that answers ``question``; both normalised.

    ``context`` are words the document states around the table (its subject, "Trường THPT chuyên Lam
    Giang"), which count as explained though the table itself does not repeat them.
    """
    table = parse_table(text)
    if table is None:
        return None
    label = table.label_column
    if label is None:
        return None
    syllables = [s.lower() for s in TOKEN.findall(question)]
    adjective = superlative_adjective(question)
    operator = frozenset({adjective, "nhất"}) if adjective else frozenset()
    content = frozenset(s for s in syllables if s not in QUESTION_WORDS | operator | _TABLE_WORDS)
    column = _named_column(table, label, content)
    if column is None:
        return None
    row = _named_row(table, label, content)
    if row is not None and wants_number:
        cells = table.rows[row]
        if column >= len(cells) or cells[column].number is None:
            return None
        answer = cells[column]
    elif row is None and not wants_number:
        found = _row_by_value(table, column, label, question)
        if found is None:
            return None
        row, answer = found, table.rows[found][label]
    else:
        return None
    explained = _explained(table, content - context, row) if content - context else 1.0
    if explained < 1 - WEIGHTS.max_unexplained:
        return None
    return TableAnswer(answer.start, answer.end, explained)


def superlative_adjective(question: str) -> str | None:
    """The adjective of "cao nhất" / "ít thí sinh dự thi nhất": the one nearest before "nhất". "ít nhất
    500" (at least) is not a superlative, nor is "cao" of "cao đẳng" when another adjective is nearer."""
    words = SYLLABLE.findall(question.lower())
    for index, word in enumerate(words):
        if word != "nhất" or (index + 1 < len(words) and words[index + 1][0].isdigit()):
            continue
        for back in range(index - 1, max(-1, index - 2 - MAX_SUPERLATIVE_GAP), -1):
            if words[back] in _ADJECTIVES and not (back + 1 < len(words) and words[back + 1] == "đẳng"):
                return words[back]
    return None


def _row_by_value(table: Table, column: int, label: int, question: str) -> int | None:
    """The row with the extreme value of ``column`` ("cao nhất"), or the row holding a number the
    question quotes ("lấy điểm chuẩn 36,05")."""
    values = [
        (row[column].number, index)
        for index, row in enumerate(table.rows)
        if max(column, label) < len(row)  # a short row has no value or no name to answer with
    ]
    numbers = [(value, index) for value, index in values if value is not None]
    if not numbers:
        return None
    adjective = superlative_adjective(question)
    if adjective:
        pick = max if adjective in _HIGHEST else min
        return pick(numbers)[1]
    quoted = {m.group() for m in NUMBER.finditer(question)}
    holding = [
        index
        for index, row in enumerate(table.rows)
        if max(column, label) < len(row) and row[column].text in quoted
    ]
    return holding[0] if len(holding) == 1 else None
