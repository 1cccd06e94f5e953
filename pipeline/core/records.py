"""The records the data flow passes along: a loaded ``Document``, its cleaned paragraphs, its sentences and
passages. Each holds offsets into ``Document.text`` and nothing else of the stage that made it, so every
layer can read them without importing the stage (``pipeline.core.protocols`` returns them to ``models``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from pipeline.core.lexicon import SYLLABLE


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


# Header and footer lines (who wrote or signed, the document's number, source and date): cleaning keeps
# them out of summaries, only the QA path gives them passages (pipeline/text/document_roles.py), and
# readers answer role questions from them rather than quote them as prose.
RoleKind = Literal["byline", "signature", "number", "source", "date"]
ROLE_KINDS: frozenset[str] = frozenset(get_args(RoleKind))
ParagraphKind = Literal["body", "heading", "list", "table", "byline", "signature", "number", "source", "date"]


@dataclass(frozen=True)
class Paragraph:
    """A kept paragraph: ``start``/``end`` slice the document's original text."""

    start: int
    end: int
    kind: ParagraphKind


@dataclass(frozen=True)
class Dropped:
    """A line left out, and why (shown by ``--debug`` tooling and checked by tests)."""

    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class CleanDocument:
    """A document with its paragraphs classified; furniture listed separately in ``dropped``."""

    document: Document
    paragraphs: tuple[Paragraph, ...]
    dropped: tuple[Dropped, ...] = field(default=())
    title: Paragraph | None = None

    def text_of(self, paragraph: Paragraph) -> str:
        return self.document.text[paragraph.start : paragraph.end]


@dataclass(frozen=True)
class Sentence:
    """One sentence: ``text`` is ``document.text[start:end]``; ``norm`` is its matching form."""

    index: int
    start: int
    end: int
    text: str
    norm: str
    paragraph: int
    kind: ParagraphKind

    @property
    def words(self) -> int:
        return len(SYLLABLE.findall(self.text))


@dataclass(frozen=True)
class Passage:
    """A retrieval unit: a window of sentences; ``text`` is ``document.text[start:end]``."""

    index: int
    start: int
    end: int
    text: str
    norm: str
    sentences: tuple[int, ...]
    source: str
    kind: ParagraphKind

    @property
    def id(self) -> str:
        return f"p{self.index}"


@dataclass(frozen=True)
class SplitDocument:
    """A cleaned document with its sentences and passages."""

    clean: CleanDocument
    sentences: tuple[Sentence, ...]
    passages: tuple[Passage, ...]

    @property
    def source(self) -> str:
        return self.clean.document.source

    @property
    def text(self) -> str:
        return self.clean.document.text
