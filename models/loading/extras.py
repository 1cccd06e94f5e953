"""Optional dependencies (the ``models`` extra) checked with a plain error instead of an ImportError.

The torch-backed kinds are chosen in a config, so a missing package is the user's setup, not a bug:
say which package and how to install it, before any model loads.
"""

from __future__ import annotations

from pipeline.core.errors import VidocError

_PACKAGES = {"sklearn": "scikit-learn"}  # import names that are not the name pip installs


def require_models_extra(
    section: str, kind: str, modules: tuple[str, ...] = ("torch", "transformers")
) -> None:
    """A plain error, not an ImportError traceback, when a package of the models extra is missing."""
    require_extra(f"{section}.kind '{kind}'", modules)


def require_extra(
    what: str, modules: tuple[str, ...] = ("torch", "transformers"), extra: str = "models"
) -> None:
    """The same check for a command (``vidoc train reader``) rather than a config kind."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            raise VidocError(
                f"{what} needs {_PACKAGES.get(name, name)}, which is not installed.",
                f"Install the {extra} extra: pip install -e '.[{extra}]'.",
            ) from None


def quiet_transformers() -> None:
    """No "Loading weights" progress bars on stderr: vidoc's stderr is for messages a user acts on."""
    from transformers.utils import logging

    logging.disable_progress_bar()
