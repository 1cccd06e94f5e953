"""Which torch device a ``device:`` setting means; imported only by the torch-backed models."""

from __future__ import annotations

from pipeline.errors import VidocError


def resolve_device(setting: str, section: str) -> str:
    """``auto`` is CUDA when a GPU is visible, else CPU; an explicit CUDA device must exist."""
    import torch

    if setting == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if setting.startswith("cuda") and not torch.cuda.is_available():
        raise VidocError(
            f"{section}.device: '{setting}' asked for, but torch sees no CUDA GPU here.",
            f"Set {section}.device to auto or cpu.",
        )
    return setting
