"""The searchable index: every passage of one or more documents, its dense vector and its BM25 tokens.

Embedding is the slow part, so each document's vectors and tokens are cached on disk under
``cache_dir("index")``, keyed by what they depend on: the document text, the embedder's model id, the
splitter settings, the BM25 token kind and a format version. Vectors are stored as ``.npy`` and tokens
as JSON (no pickle), each written to a temporary file and renamed, so an interrupted write leaves no
half file. BM25 itself is rebuilt from the cached tokens: that takes milliseconds.

The cache only saves time, so an app directory that cannot be written (read-only, a regular file, a
full disk) never stops an answer: the index is built in memory and vidoc says once that it goes on
without the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from pipeline.core import lexical
from pipeline.core.appdirs import cache_dir, unusable, warn_cache_off
from pipeline.core.config import Config
from pipeline.core.errors import VidocError
from pipeline.core.protocols import Embedder
from pipeline.core.records import Passage, SplitDocument

FORMAT_VERSION = 1

# Called as passages are embedded: (passages done, passages to embed). Only documents that are not in
# the cache count, so a cached index never calls it (the CLI draws a progress bar from it).
IndexProgress = Callable[[int, int], None]


def cache_key(document: SplitDocument, config: Config, embedder: Embedder) -> str:
    """A hash of everything a document's cached vectors and tokens depend on."""
    recipe = {
        "format": FORMAT_VERSION,
        "text": hashlib.sha256(document.text.encode("utf-8")).hexdigest(),
        "model": embedder.model_id,
        "splitter": config.splitter.model_dump(),
        "tokens": config.retriever.bm25_tokens,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def _write_atomically(path: Path, write) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class DocumentEntry:
    """One document's part of the index: its passages' vectors and BM25 tokens, in passage order."""

    vectors: np.ndarray
    tokens: list[list[str]]


class IndexCache:
    """Per-document entries on disk: ``KEY.npy`` (vectors) and ``KEY.json`` (tokens), JSON written last."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or cache_dir("index")
        self.writable = True

    @classmethod
    def default(cls) -> IndexCache | None:
        """The cache under the app directory, or None (said once) when that folder cannot be made."""
        try:
            return cls()
        except VidocError as error:
            warn_cache_off(error)
            return None

    def load(self, key: str, passages: int) -> DocumentEntry | None:
        meta_path, vectors_path = self.directory / f"{key}.json", self.directory / f"{key}.npy"
        if not (meta_path.is_file() and vectors_path.is_file()):
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            vectors = np.load(vectors_path, allow_pickle=False)
        except (OSError, ValueError):
            return None  # a damaged entry is rebuilt, not trusted
        tokens = meta.get("tokens")
        if meta.get("format") != FORMAT_VERSION or not isinstance(tokens, list) or len(tokens) != passages:
            return None
        if vectors.ndim != 2 or vectors.shape[0] != passages:
            return None
        return DocumentEntry(vectors.astype(np.float32, copy=False), tokens)

    def save(self, key: str, entry: DocumentEntry) -> None:
        """Write one entry; when the folder turns out read-only or full, stop saving and say so once
        (the entry is already in memory, so the caller loses nothing but the next run's speed)."""
        if not self.writable:
            return
        meta = json.dumps({"format": FORMAT_VERSION, "tokens": entry.tokens}, ensure_ascii=False)
        try:
            _write_atomically(
                self.directory / f"{key}.npy", lambda s: np.save(s, entry.vectors, allow_pickle=False)
            )
            _write_atomically(self.directory / f"{key}.json", lambda s: s.write(meta.encode("utf-8")))
        except OSError as error:
            self.writable = False
            warn_cache_off(unusable(self.directory, error))


def _embed(
    embedder: Embedder,
    passages: Sequence[Passage],
    batch_size: int,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Vectors of ``passages``, a batch at a time; ``on_batch(n)`` after each batch of ``n`` passages."""
    texts = [passage.norm for passage in passages]
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    batches = []
    for i in range(0, len(texts), batch_size):
        batches.append(embedder.embed_passages(texts[i : i + batch_size]))
        if on_batch is not None:
            on_batch(len(texts[i : i + batch_size]))
    return np.asarray(np.concatenate(batches), dtype=np.float32)


class Index:
    """Passages of several documents in document order, with dense vectors and a BM25 index.

    ``passages[i]``, ``vectors[i]`` and ``tokens[i]`` describe the same passage; the position ``i`` is
    the deterministic tie-break everywhere (earlier document, then earlier passage, wins).
    """

    def __init__(
        self,
        documents: Sequence[SplitDocument],
        vectors: np.ndarray,
        tokens: list[list[str]],
        token_kind: lexical.TokenKind,
    ) -> None:
        self.documents = tuple(documents)
        self.passages: tuple[Passage, ...] = tuple(p for d in self.documents for p in d.passages)
        if len(self.passages) != len(vectors) or len(self.passages) != len(tokens):
            raise ValueError("passages, vectors and tokens must line up")
        self.vectors = vectors
        self.tokens = tokens
        self.token_kind = token_kind

    @classmethod
    def build(
        cls,
        documents: Sequence[SplitDocument],
        embedder: Embedder,
        config: Config,
        cache: IndexCache | None = None,
        use_cache: bool = True,
        progress: IndexProgress | None = None,
    ) -> Index:
        """Index ``documents``, reading and filling the on-disk cache unless ``use_cache`` is off.

        ``progress`` is told how many of the passages to embed are done (documents found in the cache
        are not embedded and not counted; with everything cached it is never called).
        """
        cache = (cache or IndexCache.default()) if use_cache else None
        kind = config.retriever.bm25_tokens
        all_vectors: list[np.ndarray] = []
        all_tokens: list[list[str]] = []
        keys = [cache_key(document, config, embedder) for document in documents]
        cached = [
            cache.load(key, len(document.passages)) if cache else None
            for key, document in zip(keys, documents, strict=True)
        ]
        total = sum(len(d.passages) for d, entry in zip(documents, cached, strict=True) if entry is None)
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, total)

        if progress is not None and total:
            progress(0, total)
        for key, document, entry in zip(keys, documents, cached, strict=True):
            if entry is None:
                entry = DocumentEntry(
                    _embed(embedder, document.passages, config.embedder.batch_size, advance),
                    [lexical.tokens(p.text, kind) for p in document.passages],
                )
                if cache and document.passages:
                    cache.save(key, entry)
            if len(document.passages):
                all_vectors.append(entry.vectors)
            all_tokens.extend(entry.tokens)
        vectors = np.concatenate(all_vectors) if all_vectors else np.zeros((0, 0), dtype=np.float32)
        return cls(documents, vectors, all_tokens, kind)

    def __len__(self) -> int:
        return len(self.passages)

    @cached_property
    def bm25(self):
        """A bm25s index over the passages' tokens (built on first lexical search)."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG to stderr
        model = bm25s.BM25()
        # An empty token list would leave a passage out of bm25s's corpus and shift positions.
        model.index([tokens or [""] for tokens in self.tokens], show_progress=False)
        return model

    def bm25_scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage for the query tokens (zeros when none are in the vocabulary)."""
        known = [token for token in query_tokens if token in self.bm25.vocab_dict and token]
        if not known or not len(self):
            return np.zeros(len(self), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)
