"""``vidoc batch INPUT --output OUT``: summarise thousands of documents, resumably, locally or on Ray."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path

import typer

from pipeline.commands.options import CONFIG_HELP, encoding_option, length_override, max_chars_option
from pipeline.core.errors import VidocError


class Engine(str, Enum):
    local = "local"
    ray = "ray"


def _parquet_output(output: str) -> bool:
    """A folder (trailing slash or existing directory) or an s3:// URI means Parquet files written by Ray."""
    return output.startswith("s3://") or output.endswith("/") or Path(output).is_dir()


def batch_command(
    input: Path = typer.Argument(..., help="JSONL, CSV or Parquet file with id and text, or a folder."),
    output: str = typer.Option(
        ..., "--output", "-o", help="JSONL file (resumable); with --engine ray also DIR/ or s3:// (Parquet)."
    ),
    config: str | None = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    id_column: str = typer.Option("id", "--id-column", help="Field or column holding the document id."),
    text_column: str = typer.Option("text", "--text-column", help="Field or column holding the text."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Record broken input lines in the errors file instead of stopping."
    ),
    follow_symlinks: bool = typer.Option(
        False,
        "--follow-symlinks",
        help="Folder input: also read symbolic links that lead out of the folder (refused by default).",
    ),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local: this process; ray: Ray Data."),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="Join a Ray cluster: 'auto' or ray://HOST:10001 (default: a local one)."
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        help="Ray actors, each building the summariser once (default: one per core, or per GPU).",
    ),
    max_chars: int | None = max_chars_option(),
    encoding: str | None = encoding_option(),
) -> None:
    """Summarise every document of INPUT into OUT; rerun the same command to resume."""
    from pipeline.batch.batch_function import ready_summariser, setup_errors_end_the_run
    from pipeline.batch.inputs import detect_input
    from pipeline.batch.local_engine import run_local
    from pipeline.batch.runs import batch_progress, finish_run, open_run
    from pipeline.batch.signals import StopRequest
    from pipeline.batch.sink import errors_path
    from pipeline.core.config import load_config
    from pipeline.documents.text_decoding import check_encoding

    if engine is Engine.local and (ray_address or workers):
        raise VidocError("--ray-address and --workers apply to --engine ray only.")
    encoding = check_encoding(encoding)
    settings = load_config(config, length_override(max_chars))
    spec = detect_input(input, id_column, text_column, follow_symlinks, encoding)
    if _parquet_output(output):
        if engine is not Engine.ray:
            raise VidocError(
                f"{output}: Parquet output (a folder or s3://) is written by Ray.",
                "Add --engine ray, or pass a .jsonl file as --output.",
            )
        from pipeline.batch.ray_engine import run_ray_parquet

        raise typer.Exit(run_ray_parquet(spec, output, settings, skip_invalid, ray_address, workers))
    if engine is Engine.ray:
        from pipeline.batch.ray_engine import require_ray

        require_ray()
    out = Path(output)
    run = open_run(spec, out, skip_invalid)
    if run.scan.total == 0:
        typer.echo(f"vidoc batch: {input} has no records (nothing to summarise).", err=True)
    if run.truncated_bytes:
        typer.echo(
            f"vidoc batch: removed a half-written last line ({run.truncated_bytes} bytes) from {out}.",
            err=True,
        )
    started = time.perf_counter()
    try:  # a run ended by an error (disk full) gives up the lock too, even inside a longer process
        with StopRequest() as stop:
            if engine is Engine.local:
                summariser = ready_summariser(settings)
                started = time.perf_counter()
                with batch_progress(run.pending) as (progress, task), setup_errors_end_the_run():
                    run_local(run, settings, summariser, stop, progress, task)
            else:
                from pipeline.batch.ray_engine import run_ray

                run_ray(run, settings, stop, ray_address, workers)
        report = finish_run(run, stop, started)
    finally:
        run.release()
    typer.echo(f"vidoc batch: {report.line(errors_path(out))}", err=True)
    raise typer.Exit(report.exit_code)
