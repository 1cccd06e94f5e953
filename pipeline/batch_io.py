"""Reading ``vidoc batch`` inputs one record at a time: JSONL, CSV, Parquet, or a folder of documents.

Every reader streams, so an input larger than memory is never loaded at once. JSONL and CSV are read
by line with the standard library (not ``datasets``) because the contract needs the *line number* of a
broken line, which a columnar reader cannot give; Parquet is read with pyarrow's ``iter_batches``.
A broken line becomes an ``InvalidLine`` instead of an exception, so the caller decides whether it
ends the run (exit 2) or goes to the errors file (``--skip-invalid``).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.documents import document_paths
from pipeline.errors import VidocError

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


@dataclass(frozen=True)
class InputSpec:
    """Where the records come from and which columns hold the id and the text."""

    path: Path
    kind: InputKind
    id_column: str = "id"
    text_column: str = "text"


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
    """A line (or row) that is not a record at all: broken JSON, missing id, wrong column count."""

    line: int
    reason: str


Row = Record | InvalidLine


def detect_input(path: Path, id_column: str = "id", text_column: str = "text") -> InputSpec:
    """Decide the input format from the path; refuse what ``vidoc batch`` cannot read."""
    if not path.exists():
        raise VidocError(
            f"{path}: no such file or folder.", "Pass a .jsonl, .csv or .parquet file or a folder."
        )
    if path.is_dir():
        return InputSpec(path, "folder", id_column, text_column)
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise VidocError(
            f"{path}: cannot tell the input format from '{path.suffix or '(no suffix)'}'.",
            "Name it .jsonl, .csv or .parquet, or pass a folder of documents.",
        )
    return InputSpec(path, kind, id_column, text_column)


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
        return InvalidLine(number, f"no '{spec.text_column}' field")
    if text is not None and not isinstance(text, str):
        return InvalidLine(number, f"'{spec.text_column}' is a {type(text).__name__}, not a string")
    return Record(record_id, text or "", number)


def _csv_rows(spec: InputSpec) -> Iterator[Row]:
    csv.field_size_limit(sys.maxsize)
    # surrogateescape keeps an undecodable row readable; that document then fails on its own.
    with spec.path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        _require_columns(spec, header)
        id_index, text_index = header.index(spec.id_column), header.index(spec.text_column)
        start = reader.line_num + 1
        for row in reader:
            number, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield InvalidLine(number, f"{len(row)} columns where the header has {len(header)}")
                continue
            yield to_row(row[id_index], row[text_index], number, spec)


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


def _folder_rows(spec: InputSpec) -> Iterator[Row]:
    for number, path in enumerate(document_paths([spec.path]), start=1):
        record_id = path.relative_to(spec.path).as_posix()
        reason = _unencodable(record_id, "file name")
        yield InvalidLine(number, reason) if reason else Record(record_id, None, number, str(path))


def iter_rows(spec: InputSpec) -> Iterator[Row]:
    """Every record (or broken line) of the input, in file order."""
    readers = {"jsonl": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows, "folder": _folder_rows}
    return readers[spec.kind](spec)


@dataclass
class InputScan:
    """What a first, cheap pass over the input found: ids, broken lines, duplicates."""

    ids: set[str] = field(default_factory=set)
    invalid: list[InvalidLine] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.ids)


def scan_input(spec: InputSpec) -> InputScan:
    """Read the input once without summarising, so problems end the run before any work is done."""
    scan = InputScan()
    for row in iter_rows(spec):
        if isinstance(row, InvalidLine):
            scan.invalid.append(row)
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
