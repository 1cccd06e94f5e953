"""``vidoc summarize PATH...``: one summary per document, human-readable or JSON lines."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.commands.options import CONFIG_HELP, encoding_option, length_override, max_chars_option
from pipeline.core.errors import VidocError


def summarize_command(
    paths: list[Path] = typer.Argument(..., help="Documents (.txt .md .html .docx .pdf) or folders."),
    config: str | None = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    max_words: int | None = typer.Option(None, "--max-words", min=10, help="Word budget of each summary."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per document, one per line."),
    max_chars: int | None = max_chars_option(),
    encoding: str | None = encoding_option(),
) -> None:
    """Summarise each document."""
    from models.factory import build_summariser
    from pipeline.chat.terminal_text import json_line, terminal_safe
    from pipeline.core.config import load_config
    from pipeline.documents.loading import document_paths, load_document
    from pipeline.documents.text_decoding import check_encoding
    from pipeline.flow.summarise import summarise_documents

    encoding = check_encoding(encoding)
    overrides = {"summariser": {"max_words": max_words}} if max_words else None
    settings = load_config(config, length_override(max_chars, overrides))
    limit = settings.documents.max_chars
    # fail before any work
    documents = [load_document(path, limit, encoding) for path in document_paths(paths)]
    summariser = build_summariser(settings)
    results = summarise_documents(documents, settings, summariser)
    if as_json:
        for document, result in zip(documents, results, strict=True):
            typer.echo(json_line({**result.to_json(), "encoding": document.encoding}))
        return
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    console = Console()
    for document, result in zip(documents, results, strict=True):
        if result.empty is not None:
            raise VidocError(f"{result.source}: {result.empty.reason}.", result.empty.fix)
        words = len(result.summary.text.split())
        footer = f"{words} words · {result.summary.model} · {result.seconds:.2f} s"
        if document.encoding not in (None, "utf-8"):
            footer += f" · read as {document.encoding}"
        # Text, not str: a summary's "[...]" is not rich markup, and its control characters are shown.
        body, title = Text(terminal_safe(result.summary.text)), Text(terminal_safe(result.source))
        console.print(Panel(body, title=title, subtitle=footer, title_align="left"))
