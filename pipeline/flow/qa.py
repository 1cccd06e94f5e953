"""Questions in, cited answers out: documents are indexed once, then each question is retrieved and read.

``QuestionAnswerer`` is what ``vidoc ask``, the REPL and the eval harness share: models and the index
load once, and ``ask`` returns the answer with the full top-k it was read from (for recall@k).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.core.config import Config
from pipeline.core.errors import VidocError
from pipeline.core.protocols import Answer, Embedder, Reader, ScoredPassage, StreamingReader
from pipeline.core.records import Document, SplitDocument
from pipeline.flow.index import Index, IndexProgress
from pipeline.flow.retrieval import Retriever
from pipeline.flow.summarise import prepare
from pipeline.text.document_roles import asks_about_roles, role_passages


@dataclass(frozen=True)
class AskResult:
    """One question's answer, the passages retrieved for it (rank order) and the time it took."""

    question: str
    answer: Answer
    retrieved: list[ScoredPassage]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        """The ``vidoc ask --json`` line (DESIGN.md), with each citation's source and answer offsets."""
        citations = []
        for citation in self.answer.citations:
            record: dict[str, Any] = {
                "passage": citation.passage,
                "text": citation.text,
                "start": citation.start,
                "end": citation.end,
                "score": round(citation.score, 6),
                "source": citation.source,
            }
            if citation.answer_start is not None:
                record["answer_start"] = citation.answer_start
                record["answer_end"] = citation.answer_end
            citations.append(record)
        return {
            "question": self.question,
            "answer": self.answer.text,
            "score": self.answer.score,
            "citations": citations,
            "model": self.answer.model,
            "seconds": round(self.seconds, 4),
        }


PASSAGES_FOR_ROLES = 1  # the document retrieval ranks first is the one a role question is about


class QuestionAnswerer:
    """Holds the embedder, reader and index for a set of documents; ask it as many questions as you like."""

    def __init__(
        self, config: Config, embedder: Embedder | None = None, reader: Reader | None = None
    ) -> None:
        from models.factory import build_embedder, build_reader

        self.config = config
        self.embedder = embedder or build_embedder(config)
        self.reader = reader or build_reader(config)
        self.documents: list[SplitDocument] = []
        # bylines, signature blocks, document numbers, sources (pipeline/text/document_roles.py)
        self.roles: list[ScoredPassage] = []
        self._retriever: Retriever | None = None

    def warm_up(self) -> None:
        """Load the embedder and the reader now (the REPL does before its first question)."""
        self.embedder.warm_up()
        self.reader.warm_up()

    def add(self, documents: Sequence[Document], progress: IndexProgress | None = None) -> None:
        """Clean, split and index ``documents`` (vectors come from the cache when already seen).

        ``progress(done, total)`` is called as passages not in the cache are embedded (the CLI's bar).
        """
        for document in documents:
            prepared = prepare(document, self.config)
            if not prepared.passages:
                raise VidocError(
                    f"{document.source}: no text left to answer from after cleaning.",
                    "Pass a document with running text (not only headings, captions or share buttons).",
                )
            self.documents.append(prepared)
            roles = role_passages(prepared, first_index=len(prepared.passages))
            self.roles.extend(ScoredPassage(passage, 0.0) for passage in roles)
        index = Index.build(self.documents, self.embedder, self.config, progress=progress)
        self._retriever = Retriever(index, self.embedder, self.config.retriever)

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            raise VidocError("no documents to answer from.", "Add at least one document first.")
        return self._retriever

    def _roles_for(self, question: str, retrieved: Sequence[ScoredPassage]) -> list[ScoredPassage]:
        """Who wrote or signed a document is in lines retrieval never finds: for a question about that,
        the byline and signature of the documents retrieval found the question in go after the top-k,
        for readers that know these passages (``reads_roles``)."""
        if not self.reader.reads_roles or not asks_about_roles(question):
            return []
        sources = {scored.passage.source for scored in retrieved[:PASSAGES_FOR_ROLES]}
        return [role for role in self.roles if role.passage.source in sources]

    def passages_for(
        self, question: str, top_k: int | None = None
    ) -> tuple[list[ScoredPassage], list[ScoredPassage]]:
        """The top-k retrieved passages, and what the reader is given: those plus, for a role question
        and a reader that reads them, the bylines and signature blocks of the documents found."""
        retrieved = list(self.retriever.search(question.strip(), top_k or self.config.retriever.top_k))
        return retrieved, [*retrieved, *self._roles_for(question, retrieved)]

    def ask(
        self, question: str, top_k: int | None = None, on_text: Callable[[str], None] | None = None
    ) -> AskResult:
        """Retrieve the top-k passages for ``question`` and read the answer from them.

        With ``on_text`` and a reader that can stream (ViT5), generated text is passed to it as it
        arrives; other readers answer at once and ``on_text`` is not called.
        """
        if not question or not question.strip():
            raise VidocError("the question is empty (only whitespace).", "Ask a question in words.")
        started = time.perf_counter()
        retrieved, read = self.passages_for(question, top_k)
        if on_text is not None and isinstance(self.reader, StreamingReader):
            answer = self.reader.read_streaming(question.strip(), read, on_text)
        else:
            answer = self.reader.read(question.strip(), read)
        return AskResult(question.strip(), answer, retrieved, time.perf_counter() - started)
