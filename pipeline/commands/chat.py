"""``vidoc chat PATH...``: a REPL over one or more documents (plain line-by-line mode when piped)."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.commands.options import CONFIG_HELP, encoding_option, length_override, max_chars_option


def chat_command(
    paths: list[Path] = typer.Argument(..., help="Documents or folders to ask about."),
    config: str | None = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Show each answer's latency and how a follow-up question was rewritten.",
    ),
    max_chars: int | None = max_chars_option(),
    encoding: str | None = encoding_option(),
) -> None:
    """Ask questions about documents in a terminal (:help for commands, Ctrl-D to quit)."""
    from pipeline.chat.repl import run_chat
    from pipeline.core.config import load_config
    from pipeline.documents.text_decoding import check_encoding

    encoding = check_encoding(encoding)
    settings = load_config(config, length_override(max_chars))
    raise typer.Exit(run_chat([str(path) for path in paths], settings, verbose=verbose, encoding=encoding))
