"""The bookkeeping of a ``vidoc batch`` run that both engines share: open, progress, report.

A run: scan the input (duplicates and broken lines end it before any work), recover the output
(ids done, half line cut), summarise what is left (``pipeline.batch.local_engine`` or
``pipeline.batch.ray_engine``: the only step the engines differ in), and finally compact the errors file
and report. So the output contract, errors file, summary line and exit codes are the same for both.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from pipeline.batch.inputs import InputScan, InputSpec, check_scan, scan_input
from pipeline.batch.signals import StopRequest
from pipeline.batch.sink import (
    BatchSink,
    Recovered,
    cannot_write,
    errors_path,
    lock_path,
    recover_errors,
    recover_output,
    run_files,
)
from pipeline.core.errors import VidocError


@dataclass
class BatchRun:
    """Everything an engine needs: the input, what is done already, and where outcomes go."""

    spec: InputSpec
    scan: InputScan
    sink: BatchSink
    skipped: int
    truncated_bytes: int
    lock: TextIO | None = None

    @property
    def pending(self) -> int:
        return self.scan.total - self.skipped

    def release(self) -> None:
        """Give up the output lock (the file stays, see ``lock_output``); safe to call twice."""
        if self.lock is not None:
            self.lock.close()


def _same_file(first: Path, second: Path) -> bool:
    """Paths that name one file (links, ``..`` and relative paths included), existing or not."""
    try:
        return first.samefile(second)
    except OSError:
        return first.resolve() == second.resolve()


def check_output_path(spec: InputSpec, output: Path) -> None:
    """Refuse an output or errors file that is the input (or each other): appending would corrupt it.

    Also one that is not a regular file (``/dev/null``, a pipe): resume reads the output back and
    truncates it, and its lock and errors file would be created next to it (in ``/dev``).
    """
    errors = errors_path(output)
    for path, what in ((output, "the output"), (errors, f"its errors file {errors.name}")):
        if path.exists() and not path.is_file():
            raise VidocError(
                f"{output}: {what} is not a regular file (a device, a folder or a pipe).",
                "Pass a file path as --output, such as summaries.jsonl.",
            )
    clashes = [
        (output, spec.path, "the input file"),
        (errors, spec.path, f"the input file (its errors file {errors.name} would overwrite it)"),
        (output, errors, f"its own errors file {errors.name}"),
    ]
    for first, second, what in clashes:
        if _same_file(first, second):
            raise VidocError(f"{output}: the output is {what}.", "Pass a different --output path.")


def lock_output(output: Path) -> TextIO:
    """Hold ``OUT.lock`` exclusively for the run, so two runs never append to one output.

    The lock sits next to the file OUT resolves to (``lock_path``), so a symbolic link to the output
    cannot dodge it. The lock file is left in place afterwards: deleting it would let a third run lock
    a fresh file while a second still holds the deleted one. The lock goes with the process, even on
    SIGKILL.
    """
    handle = lock_path(output).open("a", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise VidocError(
            f"another vidoc batch is writing {output}.", "Wait for it to end, or pass another --output."
        ) from None
    return handle


def open_run(spec: InputSpec, output: Path, skip_invalid: bool) -> BatchRun:
    """Check the input and the existing output; raise ``VidocError`` (exit 2) before any work.

    A folder input leaves out the run's own files, should they lie inside it (``run_files``).
    """
    check_output_path(spec, output)
    spec = replace(spec, exclude=run_files(output))
    scan = scan_input(spec)
    check_scan(spec, scan, skip_invalid)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        lock = lock_output(output)
    except OSError as error:
        raise cannot_write(output, error) from None
    try:
        recovered = _recover(output)
        sink = BatchSink(output, recovered.done)
        sink.write_invalid(scan.invalid)
        sink.write_refused(scan.refused)
    except BaseException:
        lock.close()  # a run that ends here (a broken output, a full disk) holds no lock
        raise
    skipped = len(scan.ids & recovered.done)
    return BatchRun(spec, scan, sink, skipped, recovered.truncated_bytes, lock)


def _recover(output: Path) -> Recovered:
    """Repair what a killed run left (half lines in the output and errors file); check OUT is writable."""
    try:
        recovered = recover_output(output)
        recover_errors(errors_path(output))
        with output.open("a", encoding="utf-8"):
            pass  # can we write it? better to know now than after the first batch
    except OSError as error:
        raise cannot_write(output, error) from None
    return recovered


class _RateColumn(ProgressColumn):
    """Documents per second since the start (steadier than rich's windowed speed for slow batches)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.1f} docs/s", style="progress.data.speed")


@contextmanager
def batch_progress(total: int) -> Iterator[tuple[Progress, int]]:
    """A progress bar on stderr (stdout stays free for pipes): count, docs/s, elapsed and ETA; only on a
    terminal, since a log file would get one frozen bar (the summary line says how far the run got)."""
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]summarising"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )
    with progress:
        yield progress, progress.add_task("summarising", total=total)


def counts_line(done: int, skipped: int, failed: int, invalid: int, seconds: float) -> str:
    """What every run reports, whatever its engine and output: "N done, S skipped, F failed, ... s wall
    (R docs/s)."."""
    rate = done / seconds if seconds > 0 else 0.0
    return (
        f"{done} done, {skipped} skipped, {failed} failed"
        + (f", {invalid} invalid lines skipped" if invalid else "")
        + f", {seconds:.1f} s wall ({rate:.1f} docs/s)."
    )


@dataclass(frozen=True)
class BatchReport:
    """The final line and the exit code: 0 all done, 1 some failed, 130/143 stopped by a signal."""

    done: int
    skipped: int
    failed: int
    invalid: int
    errors_left: int
    seconds: float
    remaining: int
    stopped_by: str
    exit_code: int

    def line(self, errors_file: Path) -> str:
        """The summary line of a JSONL run: the counts, where the failures are, how to resume."""
        text = counts_line(self.done, self.skipped, self.failed, self.invalid, self.seconds)
        if self.errors_left:
            text += f" Failures: {errors_file}."
        if self.stopped_by:
            text = (
                f"stopped by {self.stopped_by} with {self.remaining} documents left; "
                f"run the same command again to resume. {text}"
            )
        return text


def finish_run(run: BatchRun, stop: StopRequest, started: float) -> BatchReport:
    """Compact the errors file and decide the exit code."""
    invalid_lines = {line.line for line in run.scan.invalid}
    refused = {entry.id for entry in run.scan.refused}
    errors_left = run.sink.compact_errors(run.scan.ids | refused, invalid_lines)
    run.release()
    remaining = len(run.scan.ids - run.sink.done)
    code = stop.exit_code if stop.requested else (1 if errors_left or run.sink.failed else 0)
    return BatchReport(
        done=run.sink.written,
        skipped=run.skipped,
        failed=len(run.sink.failed),
        invalid=run.sink.invalid,
        errors_left=errors_left,
        seconds=time.perf_counter() - started,
        remaining=remaining,
        stopped_by=stop.name,
        exit_code=code,
    )
