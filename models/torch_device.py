"""The torch runtime for the torch-backed models: is it installed, and which device ``device:`` means.

Imported only by those models, so the offline default never pays for torch.
"""

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


def require_models_extra(
    section: str, kind: str, modules: tuple[str, ...] = ("torch", "transformers")
) -> None:
    """A plain error, not an ImportError traceback, when a package of the models extra is missing."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            raise VidocError(
                f"{section}.kind '{kind}' needs {name}, which is not installed.",
                "Install the models extra: pip install -e '.[models]'.",
            ) from None
