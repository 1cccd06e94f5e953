"""Reference suites: JSONL files of hand-written summaries and question/answer pairs, as typed items.

One line per item::

    {"id", "kind": "summary", "document", "references": [...]}
    {"id", "kind": "qa", "document", "question", "answers": [...], "evidence": "verbatim quote" | null}

An unanswerable question has ``answers: []`` and ``evidence: null``. ``document`` is a path relative to
the suite file or to the repository root. A suite that cannot be scored (bad JSON, a missing field, a
document that does not exist, an evidence quote that is not in its document) is a ``VidocError``
naming the file and line, exit code 2: a broken suite never becomes a silent zero.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from eval.scoring.metrics import locate_evidence
from pipeline.core.errors import VidocError, first_line
from pipeline.core.records import Document
from pipeline.documents.loading import load_document

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_DIR = ROOT / "eval" / "suites"


@dataclass(frozen=True)
class SummaryItem:
    id: str
    document: Document
    references: tuple[str, ...]
    kind: Literal["summary"] = "summary"


@dataclass(frozen=True)
class QAItem:
    """A question; ``evidence_span`` is where the evidence lies in ``document.text`` (original offsets)."""

    id: str
    document: Document
    question: str
    answers: tuple[str, ...]
    evidence: str | None
    evidence_span: tuple[int, int] | None
    kind: Literal["qa"] = "qa"


Item = SummaryItem | QAItem


@dataclass(frozen=True)
class Suite:
    name: str
    source: str
    items: tuple[Item, ...]

    def documents(self) -> list[Document]:
        """The suite's documents, each once, in first-use order."""
        seen: dict[str, Document] = {}
        for item in self.items:
            seen.setdefault(item.document.source, item.document)
        return list(seen.values())


class _Row(BaseModel):
    """One suite line as written; checks what can be checked without the document."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal["summary", "qa"]
    document: str
    references: list[str] | None = None
    question: str | None = None
    answers: list[str] | None = None
    evidence: str | None = None

    @field_validator("id", "document")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _fields_for_kind(self) -> _Row:
        if self.kind == "summary":
            if not self.references or not all(r.strip() for r in self.references):
                raise ValueError("a summary item needs 'references': a list of non-empty strings")
            if self.question is not None or self.answers is not None:
                raise ValueError("a summary item has no 'question'/'answers'")
        else:
            if not (self.question or "").strip():
                raise ValueError("a qa item needs a non-empty 'question'")
            if self.answers is None:
                raise ValueError("a qa item needs 'answers' ([] for an unanswerable question)")
            if any(not a.strip() for a in self.answers):
                raise ValueError("'answers' must not contain empty strings")
            if self.answers and not (self.evidence or "").strip():
                raise ValueError("an answerable qa item needs an 'evidence' quote from the document")
            if not self.answers and self.evidence is not None:
                raise ValueError("an unanswerable qa item (answers: []) must have 'evidence': null")
        return self


def _broken(path: Path, line: int | None, problem: str) -> VidocError:
    where = f"{path}:{line}" if line else str(path)
    return VidocError(f"{where}: broken suite: {problem}", "Fix that line; see eval/suites/README.md.")


def _rows(path: Path) -> list[tuple[int, _Row]]:
    """Validate every line (JSON and schema) before loading, so an error names its line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise _broken(path, None, f"cannot read it ({error})") from None
    rows: list[tuple[int, _Row]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = _Row.model_validate(json.loads(line))
        except json.JSONDecodeError as error:
            raise _broken(path, number, f"not valid JSON ({error.msg}, column {error.colno})") from None
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "line"
            raise _broken(path, number, f"{field}: {first['msg']}") from None
        if row.id in seen:
            raise _broken(path, number, f"duplicate id {row.id!r} (first on line {seen[row.id]})")
        seen[row.id] = number
        rows.append((number, row))
    if not rows:
        raise _broken(path, None, "no items")
    return rows


def _load_table(path: Path) -> list[dict]:
    """Load the (already validated) JSONL with ``datasets``, quietly, caching under vidoc's app dir (or,
    when that cannot be written, in a temporary folder: the suite is not to blame for the cache)."""
    import datasets

    from pipeline.core.appdirs import cache_dir, warn_cache_off

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    with tempfile.TemporaryDirectory(prefix="vidoc-datasets-") as scratch:
        try:
            cache = str(cache_dir("datasets"))
        except VidocError as problem:
            warn_cache_off(problem, "the datasets cache")
            cache = scratch
        try:
            table = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=cache)
        except OSError as error:  # a full disk or a cache folder that went away: not the suite's fault
            raise VidocError(
                f"{cache}: datasets cannot write its cache ({error.strerror or first_line(error, 120)}).",
                "Free some space, or point VIDOC_HOME at a writable folder.",
            ) from None
        except Exception as error:  # pyarrow's errors name no line; _rows has already checked each one
            raise _broken(path, None, f"datasets cannot load it ({type(error).__name__}: {error})") from None
        return list(table)


def resolve_document(reference: str, suite_path: Path) -> Path | None:
    """A suite's document path: relative to the suite file first, then to the repository root."""
    candidate = Path(reference).expanduser()
    if candidate.is_absolute():
        return candidate if candidate.is_file() else None
    for base in (suite_path.parent, ROOT):
        if (base / candidate).is_file():
            return base / candidate
    return None


def load_suite(path: str | Path) -> Suite:
    """Load and validate a suite file; every evidence quote is located in its document now."""
    path = Path(path)
    if not path.is_file():
        raise VidocError(
            f"{path}: no such suite file.", "Name a bundled suite, a benchmark or a .jsonl file."
        )
    numbered = _rows(path)
    table = _load_table(path)
    if len(table) != len(numbered):
        raise _broken(path, None, f"datasets read {len(table)} rows, the file has {len(numbered)} items")
    documents: dict[Path, Document] = {}
    items: list[Item] = []
    for (line, _), record in zip(numbered, table, strict=True):
        row = _Row.model_validate(record)
        located = resolve_document(row.document, path)
        if located is None:
            raise _broken(
                path, line, f"document {row.document!r} not found (relative to the suite or repo root)"
            )
        if located not in documents:
            try:
                documents[located] = load_document(located)
            except VidocError as error:
                raise _broken(path, line, f"document {row.document!r}: {error.message}") from None
        document = documents[located]
        if row.kind == "summary":
            items.append(SummaryItem(row.id, document, tuple(row.references or ())))
            continue
        span = None
        if row.evidence is not None:
            span = locate_evidence(document.text, row.evidence)
            if span is None:
                raise _broken(
                    path, line, f"evidence of {row.id!r} is not in {row.document}: {row.evidence[:60]!r}"
                )
        items.append(
            QAItem(row.id, document, row.question or "", tuple(row.answers or ()), row.evidence, span)
        )
    return Suite(name=path.stem, source=str(path), items=tuple(items))


def bundled_suite_paths() -> list[Path]:
    return sorted(BUNDLED_DIR.glob("*.jsonl"))
