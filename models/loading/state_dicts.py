"""Weights published as ``pytorch_model.bin`` (a pickle), loaded without running any of its code.

Many ready Vietnamese QA checkpoints (``nguyenvulebinh/vi-mrc-base``) predate safetensors. A pickle
can run arbitrary code when loaded, so vidoc never unpickles one freely: ``torch.load(weights_only=True)``
accepts only tensors and plain containers and raises on anything else, and the tensors are then put
into a model built from ``config.json`` (no ``trust_remote_code``).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from pipeline.core.errors import VidocError, first_line

PICKLED_WEIGHTS = "pytorch_model.bin"
# Buffers old checkpoints save and newer transformers rebuild: their absence or presence says nothing.
_BUFFERS = ("position_ids", "token_type_ids")


def has_only_pickled_weights(folder: Path) -> bool:
    return (folder / PICKLED_WEIGHTS).is_file() and not any(folder.glob("*.safetensors"))


def load_tensor_state_dict(path: Path, section: str) -> dict[str, Any]:
    """The tensors in ``path``; a file holding anything else (code, objects) is refused."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError, TypeError) as error:
        raise VidocError(
            f"{section}: {path} is not a plain tensor state dict ({first_line(error, 120)}).",
            "vidoc loads pickled weights only with weights_only=True; save the model with safetensors.",
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise VidocError(f"{section}: {path} does not hold a state dict of tensors.")
    return state


def model_from_state_dict(
    model_class: Any, folder: Path, section: str, trust_remote_code: bool
) -> tuple[Any, dict]:
    """``model_class`` (an ``AutoModelFor...``) built from ``folder/config.json`` with the pickled tensors;
    returns the model and its ``missing_keys``/``unexpected_keys``, as ``output_loading_info`` would."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(folder, local_files_only=True, trust_remote_code=trust_remote_code)
    model = model_class.from_config(config, trust_remote_code=trust_remote_code)
    state = load_tensor_state_dict(folder / PICKLED_WEIGHTS, section)
    result = model.load_state_dict(state, strict=False)
    missing = [key for key in result.missing_keys if not key.endswith(_BUFFERS)]
    unexpected = [key for key in result.unexpected_keys if not key.endswith(_BUFFERS)]
    # A missing QA head is the caller's to explain (a base model, not fine-tuned); anything else means
    # the tensors belong to another architecture and the model would run half random.
    if unexpected or [key for key in missing if "qa_outputs" not in key]:
        example = (unexpected or missing)[0]
        raise VidocError(
            f"{section}: {folder / PICKLED_WEIGHTS} does not fit the model its config.json describes "
            f"({len(missing)} tensors missing, {len(unexpected)} unexpected, e.g. {example!r}).",
            "Check that config.json and the weights come from the same checkpoint.",
        )
    return model, {"missing_keys": missing, "unexpected_keys": unexpected}
