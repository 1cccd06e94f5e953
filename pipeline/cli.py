"""The ``vidoc`` command line: one Typer app; each command lives in ``pipeline.commands``.

Errors a user can fix (``VidocError``) become one or two plain lines on stderr and a non-zero exit;
anything else is a bug, shown as one line unless ``--debug`` asks for the traceback.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass

import typer

from pipeline import __version__
from pipeline.commands.ask import ask_command
from pipeline.commands.batch import batch_command
from pipeline.commands.chat import chat_command
from pipeline.commands.eval import eval_command
from pipeline.commands.models import models_app
from pipeline.commands.summarize import summarize_command
from pipeline.commands.train import train_app
from pipeline.core.errors import VidocError

app = typer.Typer(
    name="vidoc",
    help="Summarise Vietnamese reports and answer questions about them, with citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vidoc {__version__}")
        raise typer.Exit()


@dataclass
class RunOptions:
    """What the root options decide for the whole run; ``main`` reads it once the command has ended."""

    debug: bool = False


@app.callback()
def _root(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """vidoc: Vietnamese document summaries and cited answers."""
    if isinstance(ctx.obj, RunOptions):
        ctx.obj.debug = debug


app.command("summarize")(summarize_command)
app.command("ask")(ask_command)
app.command("chat")(chat_command)
app.command("eval")(eval_command)
app.command("batch")(batch_command)
app.add_typer(models_app, name="models")
app.add_typer(train_app, name="train")


def _fail(message: str, code: int) -> None:
    """Print an error as one line (and its fix indented below); file names and library messages in it
    may hold control characters, so it is made terminal-safe first."""
    from pipeline.chat.terminal_text import terminal_safe

    sys.stdout.flush()
    first, *rest = terminal_safe(message).splitlines()
    print(f"vidoc: {first}", file=sys.stderr)
    for line in rest:
        print(f"  {line}", file=sys.stderr)
    raise SystemExit(code)


def _mark_end_of_documents(args: list[str]) -> list[str]:
    """``vidoc ask DOC -- QUESTION``: keep a mark where ``--`` stood, which click would drop."""
    from pipeline.commands.ask import END_OF_DOCUMENTS

    if "ask" not in args or "--" not in args or args.index("--") < args.index("ask"):
        return args
    cut = args.index("--") + 1
    return [*args[:cut], END_OF_DOCUMENTS, *args[cut:]]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = _mark_end_of_documents(sys.argv[1:] if argv is None else argv)
    options = RunOptions()
    try:
        app(args=args, prog_name="vidoc", standalone_mode=True, obj=options)
    except VidocError as error:
        if options.debug:  # the traceback, then the same line and exit code as without --debug
            traceback.print_exc()
        _fail(f"error: {error}", error.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted.", 130)
    except Exception as error:  # a bug: keep it to one line unless asked
        if options.debug:
            traceback.print_exc()
        _fail(
            f"internal error: {type(error).__name__}: {error}\n(run again with --debug for the traceback)", 1
        )
