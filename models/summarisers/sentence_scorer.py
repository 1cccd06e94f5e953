"""A learned sentence scorer read from JSON and run with numpy (``summariser.scoring: learned``).

The model is a small multilayer perceptron (or, with no hidden layer, a logistic regression) over
``models.summarisers.sentence_features.FEATURES``, trained by ``vidoc train summariser``. It is stored as
plain JSON numbers (feature names, standardisation, one weight matrix and bias per layer), so loading it
runs no code and needs neither scikit-learn nor torch; a file whose features differ from the ones this
version computes is refused rather than scored with the wrong columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.summarisers.sentence_features import FEATURES
from pipeline.core.errors import VidocError

FORMAT = "vidoc-sentence-scorer"
SHIPPED = Path(__file__).resolve().parents[1] / "trained" / "vietnews-sentence-scorer" / "scorer.json"


@dataclass(frozen=True)
class SentenceScorer:
    """``score(features)``: the probability that each sentence belongs in the summary."""

    mean: np.ndarray
    scale: np.ndarray
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]  # (weights, bias); ReLU between, sigmoid at the end
    source: str = ""

    def score(self, features: np.ndarray) -> np.ndarray:
        values = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        for weights, bias in self.layers[:-1]:
            values = np.maximum(values @ weights + bias, 0.0)
        weights, bias = self.layers[-1]
        logits = (values @ weights + bias).ravel()
        return 1.0 / (1.0 + np.exp(-logits))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": 1,
            "features": list(FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "layers": [{"weights": w.tolist(), "bias": b.tolist()} for w, b in self.layers],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "") -> SentenceScorer:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        if list(data["features"]) != list(FEATURES):
            raise ValueError(
                f"its features {data['features']} are not the ones this vidoc computes {list(FEATURES)}"
            )
        layers = tuple(
            (np.asarray(layer["weights"], dtype=np.float64), np.asarray(layer["bias"], dtype=np.float64))
            for layer in data["layers"]
        )
        width = len(FEATURES)
        for weights, bias in layers:
            if weights.ndim != 2 or weights.shape[0] != width or bias.shape != (weights.shape[1],):
                raise ValueError("its layer shapes do not chain")
            width = weights.shape[1]
        if width != 1:
            raise ValueError("its last layer must have one output")
        return cls(
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            layers,
            source,
        )


def load_scorer(path: str | Path | None = None) -> SentenceScorer:
    """The scorer at ``path`` (a ``scorer.json`` or the folder holding one); the shipped one by default."""
    file = Path(path).expanduser() if path else SHIPPED
    if file.is_dir():
        file = file / "scorer.json"
    try:
        return SentenceScorer.from_json(json.loads(file.read_text(encoding="utf-8")), str(file))
    except FileNotFoundError:
        raise VidocError(
            f"{file}: no sentence scorer there.",
            "Set summariser.scorer to a folder written by `vidoc train summariser`, or leave it empty.",
        ) from None
    except (ValueError, KeyError, TypeError) as error:  # json.JSONDecodeError is a ValueError
        raise VidocError(
            f"{file}: not a usable sentence scorer ({error}).",
            "Rebuild it with `vidoc train summariser`, or leave summariser.scorer empty.",
        ) from None
