"""Options several commands share, worded once."""

from __future__ import annotations

from typing import Any

import typer

CONFIG_HELP = "Preset name (configs/NAME.yaml) or a YAML file merged over the default."
COMPARED_CONFIGS_HELP = (
    CONFIG_HELP + " Repeat to compare configs side by side (default: the offline default)."
)
MAX_CHARS_HELP = "Refuse documents longer than N characters (default 50,000,000; config documents.max_chars)."


def max_chars_option() -> Any:
    return typer.Option(None, "--max-chars", min=1, metavar="N", help=MAX_CHARS_HELP)


def length_override(max_chars: int | None, overrides: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """``overrides`` plus ``documents.max_chars`` when ``--max-chars`` was given."""
    if max_chars is None:
        return overrides
    return {**(overrides or {}), "documents": {"max_chars": max_chars}}


ENCODING_HELP = (
    "Read .txt/.md/.html files as utf-8, tcvn3, vni or cp1258 (default: UTF-8/UTF-16, else the "
    "legacy Vietnamese encoding detected)."
)


def encoding_option() -> Any:
    """``--encoding NAME``, checked by ``pipeline.documents.text_decoding.check_encoding`` (a one-line error
    naming the choices) rather than by click, whose error comes with the usage text."""
    return typer.Option(None, "--encoding", metavar="NAME", help=ENCODING_HELP)
