"""underthesea, imported without the torch it does not need for splitting, tagging and NER.

``import underthesea`` eagerly imports its translation module, which imports transformers and torch
(about 2 s). vidoc uses only the CRF-based functions, so that one optional module is blocked while
underthesea imports; underthesea itself treats it as an optional import and carries on without it.
"""

from __future__ import annotations

import sys
from functools import cache
from types import ModuleType

_HEAVY_OPTIONAL_MODULES = ("underthesea.pipeline.translate",)


@cache
def underthesea() -> ModuleType:
    """Import underthesea once, keeping torch out of the process."""
    blocked = [name for name in _HEAVY_OPTIONAL_MODULES if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # makes its import raise ImportError
    try:
        import underthesea as module
    finally:
        for name in blocked:
            if sys.modules.get(name) is None:
                del sys.modules[name]
    return module


def sent_tokenize(text: str) -> list[str]:
    return underthesea().sent_tokenize(text)


def word_tokenize(text: str) -> list[str]:
    """Word segmentation: multi-syllable words come back joined by spaces ("Đảng bộ")."""
    return underthesea().word_tokenize(text)


def pos_tag(text: str) -> list[tuple[str, str]]:
    return underthesea().pos_tag(text)


def ner(text: str) -> list[tuple[str, str, str, str]]:
    return underthesea().ner(text)
