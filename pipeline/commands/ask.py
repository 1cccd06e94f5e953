"""``vidoc ask PATH... [QUESTION...]``: answer questions from documents, with the passage each answer cites.

Documents and questions are both positional, so the leading arguments that name existing files or
folders are the documents and everything after the first one that does not is a question. Put ``--``
before the questions if a question could be mistaken for a path.
"""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.commands.options import CONFIG_HELP, encoding_option, length_override, max_chars_option
from pipeline.core.errors import VidocError

# click consumes a ``--`` before the command sees its arguments; ``pipeline.cli.main`` leaves this mark
# where it stood, so that ``vidoc ask report.txt -- in`` asks "in" even when a folder ``in`` exists.
END_OF_DOCUMENTS = "\x1evidoc-end-of-documents"


def split_arguments(arguments: list[str]) -> tuple[list[str], list[str]]:
    """Leading existing paths are documents; the rest (or everything after ``--``) are questions."""
    paths: list[str] = []
    for position, argument in enumerate(arguments):
        if argument == END_OF_DOCUMENTS:
            return paths, [a for a in arguments[position + 1 :] if a != END_OF_DOCUMENTS]
        if argument and _is_existing_path(argument):
            paths.append(argument)
            continue
        return paths, arguments[position:]
    return paths, []


def _is_existing_path(argument: str) -> bool:
    """A question longer than the OS allows a file name (255 bytes) is still a question, not an error."""
    try:
        return Path(argument).exists()
    except (OSError, ValueError):
        return False


def ask_command(
    arguments: list[str] = typer.Argument(
        ...,
        metavar="PATH... [QUESTION...]",
        help="Documents or folders first (they must exist), then questions. Use -- before the questions "
        "if one could be mistaken for a path.",
    ),
    questions_file: Path | None = typer.Option(
        None, "--questions", "-q", help="A .txt file (one question a line) or .jsonl with a 'question' field."
    ),
    top_k: int | None = typer.Option(None, "--top-k", "-k", min=1, help="Passages to retrieve per question."),
    config: str | None = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per question, one per line."),
    max_chars: int | None = max_chars_option(),
    encoding: str | None = encoding_option(),
) -> None:
    """Answer questions about documents; each answer cites the passage it comes from."""
    from pipeline.chat.terminal_text import json_line, terminal_safe
    from pipeline.core.config import load_config
    from pipeline.documents.loading import document_paths, load_document, with_encoding
    from pipeline.documents.question_files import read_questions
    from pipeline.documents.text_decoding import check_encoding
    from pipeline.flow.qa import QuestionAnswerer

    paths, questions = split_arguments(arguments)
    if not paths:
        raise VidocError(
            f"{arguments[0]}: no such file or folder.",
            "Usage: vidoc ask PATH... [QUESTION...] [--questions FILE]",
        )
    if questions_file is not None:
        questions += read_questions(questions_file)
    if not questions:
        raise VidocError(
            "no question to answer.", "Give questions after the documents or use --questions FILE."
        )
    for number, question in enumerate(questions, 1):
        if not question.strip():
            raise VidocError(f"question {number} is empty (only whitespace).", "Ask a question in words.")
    settings = load_config(config, length_override(max_chars))
    limit = settings.documents.max_chars
    encoding = check_encoding(encoding)
    documents = [load_document(path, limit, encoding) for path in document_paths(paths)]  # before models
    answerer = QuestionAnswerer(settings)
    from pipeline.chat.indexing_bar import indexing_bar, stderr_is_terminal

    with indexing_bar(enabled=stderr_is_terminal() and not as_json) as progress:  # a bar on stderr only
        answerer.add(documents, progress=progress)
    if as_json:
        for question in questions:
            typer.echo(json_line(with_encoding(answerer.ask(question, top_k).to_json(), documents)))
        return
    from rich.console import Console
    from rich.text import Text

    from pipeline.chat.answer_view import render_answer

    console = Console(highlight=False)
    texts = {document.source: document.text for document in documents}
    for question in questions:
        result = answerer.ask(question, top_k)
        console.print(Text("❓ " + terminal_safe(result.question), style="cyan"))
        console.print(render_answer(result.answer, texts, result.seconds))
        console.print()
