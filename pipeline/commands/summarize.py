"""``vidoc summarize PATH...``: one summary per document, human-readable or JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.errors import VidocError

CONFIG_HELP = "Preset name (configs/NAME.yaml) or a YAML file merged over the default."


def summarize_command(
    paths: list[Path] = typer.Argument(..., help="Documents (.txt .md .html .docx .pdf) or folders."),
    config: str | None = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    max_words: int | None = typer.Option(None, "--max-words", min=10, help="Word budget of each summary."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per document, one per line."),
) -> None:
    """Summarise each document."""
    from models.factory import build_summariser
    from pipeline.config import load_config
    from pipeline.documents import document_paths, load_document
    from pipeline.summarise import summarise_documents

    overrides = {"summariser": {"max_words": max_words}} if max_words else None
    settings = load_config(config, overrides)
    documents = [load_document(path) for path in document_paths(paths)]  # fail before any work
    summariser = build_summariser(settings)
    results = summarise_documents(documents, settings, summariser)
    if as_json:
        for result in results:
            typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    from rich.console import Console
    from rich.panel import Panel

    console = Console()
    for result in results:
        if not result.summary.text:
            raise VidocError(f"{result.source}: nothing to summarise after cleaning.")
        words = len(result.summary.text.split())
        footer = f"{words} words · {result.summary.model} · {result.seconds:.2f} s"
        console.print(Panel(result.summary.text, title=result.source, subtitle=footer, title_align="left"))
