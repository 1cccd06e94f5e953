"""``vidoc batch --engine local``: summarise the pending records in this process.

Records are gathered in a window, sorted by length and cut into batches, so padding (wasted work) stays
small; each batch goes through the batch function both engines share and is written whole.
"""

from __future__ import annotations

from rich.progress import Progress

from pipeline.batch.batch_function import summarise_batch
from pipeline.batch.inputs import Record, iter_rows
from pipeline.batch.runs import BatchRun
from pipeline.batch.signals import StopRequest
from pipeline.core.config import Config
from pipeline.core.protocols import Summariser

# Records gathered before sorting by length: big enough that batches are of similar length,
# small enough that a stop request is answered within one batch and memory stays flat.
WINDOW_BATCHES = 16


def run_local(
    run: BatchRun, config: Config, summariser: Summariser, stop: StopRequest, progress: Progress, task: int
) -> None:
    """Summarise every pending record in this process, one length-sorted batch at a time."""
    batch_size = config.summariser.batch_size
    window: list[Record] = []

    def flush() -> bool:
        window.sort(key=lambda record: record.length)
        for start in range(0, len(window), batch_size):
            if stop.requested:  # checked before a batch too: a signal during model load runs none
                return False
            batch = window[start : start + batch_size]
            records = [(r.id, r.text, r.path) for r in batch]
            outcomes = summarise_batch(records, config, summariser, run.spec.encoding)
            run.sink.write(outcomes)
            progress.advance(task, len(batch))
        window.clear()
        return True

    for row in iter_rows(run.spec):
        if isinstance(row, Record) and row.id not in run.sink.done:
            window.append(row)
            if len(window) >= batch_size * WINDOW_BATCHES and not flush():
                return
    flush()
