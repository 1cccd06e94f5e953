"""Reading ``vidoc batch`` inputs one record at a time: JSONL, CSV, Parquet, or a folder of documents.

Every reader streams, so an input larger than memory is never loaded at once. JSONL and CSV are read
by line with the standard library (not ``datasets``) because the contract needs the *line number* of a
broken line, which a columnar reader cannot give; Parquet is read with pyarrow's ``iter_batches``.
A broken line becomes an ``InvalidLine`` instead of an exception, so the caller decides whether it
ends the run (exit 2) or goes to the errors file (``--skip-invalid``).

A folder is read as ``vidoc summarize`` reads it, less the run's own files (an output inside the
folder must not come back as a document) and less symbolic links that lead out of the folder: those
become a ``RefusedFile`` (a failure in the errors file) unless ``--follow-symlinks``.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import sys
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

from pipeline.core.errors import VidocError
from pipeline.documents.loading import document_paths

InputKind = Literal["jsonl", "csv", "parquet", "folder"]
_SUFFIXES: dict[str, InputKind] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_PARQUET_ROWS = 1024
# Line breaks as a file opened with newline="" splits lines (what csv.reader is fed).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_UNTERMINATED = (
    'unterminated quote: the " opened on this line never closes and would swallow the rest of the file '
    '(close it; a " inside a quoted field is written "")'
)


@dataclass(frozen=True)
class InputSpec:
    """Where the records come from and which columns hold the id and the text.

    ``exclude`` holds resolved paths a folder input leaves out (the run's output, errors and lock
    files); ``follow_symlinks`` lets a folder's symbolic links lead out of it; ``encoding``
    (``--encoding``, folder input only) is what its .txt/.md/.html files are read as, None: detected.
    """

    path: Path
    kind: InputKind
    id_column: str = "id"
    text_column: str = "text"
    follow_symlinks: bool = False
    exclude: frozenset[Path] = frozenset()
    encoding: str | None = None


@dataclass(frozen=True)
class Record:
    """One document to summarise. A folder entry has ``path`` and no text until it is loaded."""

    id: str
    text: str | None
    line: int
    path: str | None = None

    @property
    def length(self) -> int:
        """Size used to sort a window into batches of similar length (less padding for ViT5)."""
        if self.text is not None:
            return len(self.text)
        try:
            return Path(self.path or "").stat().st_size
        except OSError:
            return 0


@dataclass(frozen=True)
class InvalidLine:
    """A line (or row) that is not a record at all: broken JSON, missing id, wrong column count.

    ``id`` is the line's id when it can still be read, so the errors file says which document it was.
    """

    line: int
    reason: str
    id: str | None = None


@dataclass(frozen=True)
class RefusedFile:
    """A folder entry that is a symbolic link out of the folder: a failure, read only with --follow-symlinks.

    Not an ``InvalidLine``: the input is fine and the rest of the run goes on (exit 1, like a binary file).
    """

    id: str
    line: int
    reason: str


Row = Record | InvalidLine | RefusedFile


def detect_input(
    path: Path,
    id_column: str = "id",
    text_column: str = "text",
    follow_symlinks: bool = False,
    encoding: str | None = None,
) -> InputSpec:
    """Decide the input format from the path; refuse what ``vidoc batch`` cannot read.

    ``encoding`` applies to the files of a folder: the rows of a JSONL, CSV or Parquet file are text
    already (UTF-8), so naming one for them is refused rather than silently ignored.
    """
    if not path.exists():
        raise VidocError(
            f"{path}: no such file or folder.", "Pass a .jsonl, .csv or .parquet file or a folder."
        )
    if path.is_dir():
        return InputSpec(path, "folder", id_column, text_column, follow_symlinks, encoding=encoding)
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise VidocError(
            f"{path}: cannot tell the input format from '{path.suffix or '(no suffix)'}'.",
            "Name it .jsonl, .csv or .parquet, or pass a folder of documents.",
        )
    if encoding is not None:
        raise VidocError(
            f"{path}: --encoding applies to a folder of documents; the rows of this file are text already.",
            "Leave out --encoding, or pass the folder of files to read as it.",
        )
    return InputSpec(path, kind, id_column, text_column, follow_symlinks)


def _clean_id(value: object) -> str | None:
    """Ids are compared as strings; numbers are accepted (CSV and Parquet often hold them)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return None


def _unencodable(record_id: str, what: str) -> str | None:
    """Why an id cannot be written to a UTF-8 output (a lone surrogate), or None when it can.

    Such ids come from a JSON "\\ud800" escape, an undecodable CSV byte (surrogateescape) or a
    non-UTF-8 file name; caught here they are a broken line, not a crash at write time.
    """
    try:
        record_id.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"{what} {record_id!a} is not valid UTF-8 (invalid character at {error.start})"
    return None


def _readable_id(raw_id: object) -> str | None:
    """The id of a broken line, for its entry in the errors file, when it is usable as an id at all."""
    record_id = _clean_id(raw_id)
    return record_id if record_id is not None and _unencodable(record_id, "id") is None else None


def _jsonl_rows(spec: InputSpec) -> Iterator[Row]:
    with spec.path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as error:
                yield InvalidLine(number, f"not UTF-8 (byte {error.start})")
                continue
            except json.JSONDecodeError as error:
                yield InvalidLine(number, f"not valid JSON ({error.msg}, column {error.colno})")
                continue
            if not isinstance(data, dict):
                yield InvalidLine(number, "not a JSON object")
                continue
            yield to_row(data.get(spec.id_column), data.get(spec.text_column, ...), number, spec)


def to_row(raw_id: object, text: object, number: int, spec: InputSpec) -> Row:
    """One parsed row as a ``Record``, or why it is not one (``text=...`` means the field is absent)."""
    record_id = _clean_id(raw_id)
    if record_id is None:
        return InvalidLine(number, f"no usable '{spec.id_column}' (a non-empty string or number)")
    reason = _unencodable(record_id, f"'{spec.id_column}'")
    if reason is not None:
        return InvalidLine(number, reason)
    if text is ...:
        return InvalidLine(number, f"no '{spec.text_column}' field", record_id)
    if text is not None and not isinstance(text, str):
        return InvalidLine(
            number, f"'{spec.text_column}' is a {type(text).__name__}, not a string", record_id
        )
    return Record(record_id, text or "", number)


class _CsvLines:
    """A CSV file's physical lines for ``csv.reader``, numbered, starting after the first ``skip``.

    ``exhausted`` is how an unterminated quote shows: the (lenient) reader ends every record at a line
    break outside quotes, so it returns a row after the last line only when a quoted field never closed
    and took the rest of the file with it.
    """

    def __init__(self, handle: TextIO, skip: int) -> None:
        self.handle = handle
        self.number = sum(1 for _ in itertools.islice(handle, skip))
        self.last = ""
        self.exhausted = False

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        line = next(self.handle, None)
        if line is None:
            self.exhausted = True
            raise StopIteration
        self.number += 1
        self.last = line
        return line

    def quote_line(self, open_field: str) -> int:
        """The line the unterminated quote opened on: the open field holds every line break after it."""
        ends_with_break = 1 if self.last.endswith(("\n", "\r")) else 0
        return self.number + ends_with_break - len(_LINE_BREAK.findall(open_field))


def _csv_cell_id(cells: list[str], index: int) -> str | None:
    """A broken row's id, read by position as for a good row, when the row reaches that column."""
    return _readable_id(cells[index]) if index < len(cells) else None


def _csv_rows(spec: InputSpec) -> Iterator[Row]:
    """Every row of a CSV file; after an unterminated quote, reading starts again on the next line.

    Without that restart the records after a stray quote would silently become one field's text
    (with ``--skip-invalid`` they are still summarised; without it the quote's line ends the run).
    """
    csv.field_size_limit(sys.maxsize)
    header: list[str] | None = None
    skip: int | None = 0
    while skip is not None:
        # surrogateescape keeps an undecodable row readable; that document then fails on its own.
        with spec.path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            lines = _CsvLines(handle, skip)
            reader = csv.reader(lines)
            if header is None:
                header = _csv_header(spec, reader, lines)
                if header is None:
                    return
            skip = yield from _csv_records(spec, header, reader, lines)


def _csv_header(spec: InputSpec, reader: Iterator[list[str]], lines: _CsvLines) -> list[str] | None:
    header = next(reader, None)
    if header is None:
        return None
    if lines.exhausted:
        raise VidocError(
            f"{spec.path}: line {lines.quote_line(header[-1])}: the header has an unterminated quote.",
            'Close the quote (a " inside a quoted field is written "").',
        )
    _require_columns(spec, header)
    return header


def _csv_records(
    spec: InputSpec, header: list[str], reader: Iterator[list[str]], lines: _CsvLines
) -> Generator[Row, None, int | None]:
    """The rows after the header; returns the line to read again after, for an unterminated quote."""
    id_index, text_index = header.index(spec.id_column), header.index(spec.text_column)
    start = lines.number + 1
    for row in reader:
        number, start = start, lines.number + 1
        if lines.exhausted:
            quote_line = lines.quote_line(row[-1])
            yield InvalidLine(quote_line, _UNTERMINATED, _csv_cell_id(row[:-1], id_index))
            return quote_line
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            reason = f"{len(row)} columns where the header has {len(header)}"
            yield InvalidLine(number, reason, _csv_cell_id(row, id_index))
            continue
        yield to_row(row[id_index], row[text_index], number, spec)
    return None


def _require_columns(spec: InputSpec, columns: list[str]) -> None:
    missing = [name for name in (spec.id_column, spec.text_column) if name not in columns]
    if missing:
        raise VidocError(
            f"{spec.path}: no column {', '.join(repr(m) for m in missing)} (columns: {', '.join(columns)}).",
            "Name the columns with --id-column and --text-column.",
        )


def _parquet_rows(spec: InputSpec) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(spec.path)
    except Exception as error:  # pyarrow raises several types for a file that is not Parquet
        raise VidocError(f"{spec.path}: not a readable Parquet file ({error}).") from None
    _require_columns(spec, parquet.schema_arrow.names)
    number = 0
    for batch in parquet.iter_batches(batch_size=_PARQUET_ROWS, columns=[spec.id_column, spec.text_column]):
        columns = batch.to_pydict()
        for raw_id, text in zip(columns[spec.id_column], columns[spec.text_column], strict=True):
            number += 1
            yield to_row(raw_id, text, number, spec)


def _shown(path: Path) -> str:
    """A path for the errors file, which is UTF-8: an undecodable byte of a file name as an escape."""
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def _folder_rows(spec: InputSpec) -> Iterator[Row]:
    root = spec.path.resolve()
    found = ((path, path.resolve()) for path in document_paths([spec.path]))
    kept = ((path, target) for path, target in found if target not in spec.exclude)
    for number, (path, target) in enumerate(kept, start=1):
        record_id = path.relative_to(spec.path).as_posix()
        reason = _unencodable(record_id, "file name")
        if reason:
            yield InvalidLine(number, reason)
        elif not spec.follow_symlinks and not target.is_relative_to(root):
            outside = f"a symbolic link to {_shown(target)}, outside the folder {_shown(root)}"
            yield RefusedFile(record_id, number, f"{outside}; pass --follow-symlinks to read it")
        else:
            yield Record(record_id, None, number, str(path))


def iter_rows(spec: InputSpec) -> Iterator[Row]:
    """Every record (or broken line) of the input, in file order.

    An input that cannot be read (permissions, an I/O error, a file removed during the run) ends the
    run with one line naming it, not a traceback.
    """
    readers = {"jsonl": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows, "folder": _folder_rows}
    try:
        yield from readers[spec.kind](spec)
    except OSError as error:
        raise VidocError(
            f"{spec.path}: cannot read the input ({error.strerror or error}).",
            "Check that it is there and readable, then run the same command again.",
        ) from None


@dataclass
class InputScan:
    """What a first, cheap pass over the input found: ids to summarise, broken lines, duplicates, and
    refused files (symbolic links out of a folder; not in ``ids``, as they are never read)."""

    ids: set[str] = field(default_factory=set)
    invalid: list[InvalidLine] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)
    refused: list[RefusedFile] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.ids)


def scan_input(spec: InputSpec) -> InputScan:
    """Read the input once without summarising, so problems end the run before any work is done."""
    scan = InputScan()
    for row in iter_rows(spec):
        if isinstance(row, InvalidLine):
            scan.invalid.append(row)
        elif isinstance(row, RefusedFile):
            scan.refused.append(row)
        elif row.id in scan.ids:
            scan.duplicates[row.id] = scan.duplicates.get(row.id, 1) + 1
        else:
            scan.ids.add(row.id)
    return scan


def check_scan(spec: InputSpec, scan: InputScan, skip_invalid: bool) -> None:
    """Duplicate ids always end the run (exit 2); broken lines do unless ``--skip-invalid``."""
    if scan.duplicates:
        shown = ", ".join(f"{key!r} ×{count}" for key, count in list(scan.duplicates.items())[:5])
        more = f" and {len(scan.duplicates) - 5} more" if len(scan.duplicates) > 5 else ""
        raise VidocError(
            f"{spec.path}: duplicate ids: {shown}{more}.",
            "Every id must appear once; the output is keyed by id.",
        )
    if scan.invalid and not skip_invalid:
        first = scan.invalid[0]
        more = f" ({len(scan.invalid)} broken lines in all)" if len(scan.invalid) > 1 else ""
        raise VidocError(
            f"{spec.path}: line {first.line}: {first.reason}{more}.",
            "Fix the line, or pass --skip-invalid to record it in the errors file and go on.",
        )
