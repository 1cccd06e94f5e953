"""The batch function: records in, one outcome per record out. Both engines call exactly this.

Documents are built the way ``vidoc summarize`` builds them (``Document`` → clean → split), so a
text gets the same summary from ``vidoc batch`` as from ``vidoc summarize``. A document that cannot
be summarised (empty, undecodable, nothing left after cleaning, or the summariser raises on it)
becomes a failed outcome with a reason; it never stops the batch. A summariser that raises on a
whole batch is retried one document at a time, so one bad document cannot fail its neighbours.

A model setup error is different: a ``VidocError`` or ``ImportError`` from the summariser (missing
extra, missing model, CT2 conversion error, CUDA without a GPU) would fail every document the same
way, so it is re-raised (``SETUP_ERRORS``) and ends the run once, with exit 2.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pipeline.core.config import Config
from pipeline.core.errors import VidocError
from pipeline.core.protocols import Summariser, Summary
from pipeline.core.records import Document, SplitDocument
from pipeline.documents.loading import load_document
from pipeline.flow.summarise import SummaryResult, empty_summary, prepare

# Raised by a summariser that cannot run at all: ends the run instead of failing each document.
SETUP_ERRORS: tuple[type[Exception], ...] = (VidocError, ImportError)


def as_setup_error(error: Exception) -> VidocError:
    """One of ``SETUP_ERRORS`` as the ``VidocError`` the user sees; both engines word it the same way.

    An ImportError (a missing extra found on first use) says what failed to import but not what to do.
    """
    if isinstance(error, VidocError):
        return error
    return VidocError(f"the summariser cannot be loaded ({error}).", "Install the extra its config needs.")


def _direct_setup_error(error: BaseException) -> VidocError | None:
    return as_setup_error(error) if isinstance(error, SETUP_ERRORS) else None


@contextmanager
def setup_errors_end_the_run(
    find: Callable[[BaseException], VidocError | None] = _direct_setup_error,
) -> Iterator[None]:
    """A summariser that cannot run (a missing extra met on first use, a model that fails to load) ends
    the run with its message and exit 2, not one failure per record. ``find`` digs that error out of an
    engine's wrapping (Ray's, ``ray_engine.setup_error_in``); anything else propagates unchanged."""
    try:
        yield
    except Exception as error:
        setup = find(error)
        if setup is None:
            raise
        raise setup from None


def ready_summariser(config: Config) -> Summariser:
    """The configured summariser with its models loaded (``warm_up``), so that a missing extra or a
    broken model folder ends the run before the first record rather than failing every one of them."""
    from models.factory import build_summariser

    try:
        summariser = build_summariser(config)
        summariser.warm_up()
    except SETUP_ERRORS as error:
        raise as_setup_error(error) from None
    return summariser


@dataclass(frozen=True)
class Outcome:
    """A record's result: the output line (``record``) or why it failed (``error``)."""

    id: str
    record: dict[str, Any] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class DocumentFailure(Exception):
    """A document that cannot be summarised; the message is the reason written to the errors file."""


def _document(
    record_id: str, text: str | None, path: str | None, max_chars: int, encoding: str | None
) -> Document:
    """A record as a ``Document`` named by its id: a folder file loaded (read as ``encoding``, None:
    detected) and keeping what it was read as, or a row's text as it is."""
    if path is not None:
        try:
            loaded = load_document(path, max_chars, encoding)
        except VidocError as error:  # binary, undecodable, empty file: the loader's own words
            raise DocumentFailure(error.message.removeprefix(f"{path}: ")) from None
        return Document(loaded.text, record_id, loaded.encoding)
    if not text or not text.strip():
        raise DocumentFailure("empty text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DocumentFailure(f"undecodable text (invalid character at {error.start})") from None
    return Document(text, record_id)


def _prepare(
    record_id: str, text: str | None, path: str | None, config: Config, encoding: str | None
) -> SplitDocument:
    prepared = prepare(_document(record_id, text, path, config.documents.max_chars, encoding), config)
    if not prepared.sentences:
        raise DocumentFailure("nothing to summarise after cleaning")
    return prepared


def _line(record_id: str, summary: Summary, seconds: float, encoding: str | None) -> dict[str, Any]:
    """The ``vidoc summarize --json`` record with ``id`` for ``source``, ``encoding`` included: what a
    folder file was read as, None for a row's text (text already, as a .docx is for summarize)."""
    line = SummaryResult(record_id, summary, seconds).to_json()
    del line["source"]
    return {"id": record_id, **line, "encoding": encoding}


def _reason(error: Exception) -> str:
    if isinstance(error, VidocError | DocumentFailure):
        return str(error).replace("\n", " ")
    return f"{type(error).__name__}: {error}".replace("\n", " ")


def _summarise_each(
    documents: Sequence[SplitDocument], summariser: Summariser
) -> list[tuple[Summary | None, str | None, float]]:
    """Summarise the batch in one call; if that raises, one document at a time to find the culprit."""
    started = time.perf_counter()
    try:
        summaries = summariser.summarise(documents)
        share = (time.perf_counter() - started) / max(len(documents), 1)
        return [(summary, None, share) for summary in summaries]
    except SETUP_ERRORS:
        raise
    except Exception:
        if len(documents) == 1:
            raise
    results: list[tuple[Summary | None, str | None, float]] = []
    for document in documents:
        started = time.perf_counter()
        try:
            (summary,) = summariser.summarise([document])
            results.append((summary, None, time.perf_counter() - started))
        except SETUP_ERRORS:
            raise
        except Exception as error:
            results.append((None, _reason(error), 0.0))
    return results


def summarise_batch(
    records: Sequence[tuple[str, str | None, str | None]],
    config: Config,
    summariser: Summariser,
    encoding: str | None = None,
) -> list[Outcome]:
    """Summarise ``(id, text, path)`` records as one summariser batch; outcomes keep the input order.

    Files (records with a path) are read as ``encoding`` (``--encoding``; None: detected). Raises
    ``VidocError`` or ``ImportError`` from the summariser (see ``SETUP_ERRORS``).
    """
    outcomes: dict[int, Outcome] = {}
    prepared: list[tuple[int, SplitDocument, float]] = []
    for position, (record_id, text, path) in enumerate(records):
        started = time.perf_counter()
        try:
            prepared.append(
                (position, _prepare(record_id, text, path, config, encoding), time.perf_counter() - started)
            )
        except Exception as error:
            outcomes[position] = Outcome(record_id, error=_reason(error))
    if prepared:
        try:
            results = _summarise_each([document for _, document, _ in prepared], summariser)
        except SETUP_ERRORS:
            raise
        except Exception as error:
            results = [(None, _reason(error), 0.0)]
        for (position, document, prep_seconds), (summary, reason, seconds) in zip(
            prepared, results, strict=True
        ):
            record_id = records[position][0]
            empty = None if summary is None else empty_summary(document, summary)
            if empty is not None:
                reason = empty.reason
            if reason is not None or summary is None:
                outcomes[position] = Outcome(record_id, error=reason or "no summary")
            else:
                read_as = document.clean.document.encoding
                line = _line(record_id, summary, prep_seconds + seconds, read_as)
                outcomes[position] = Outcome(record_id, line)
    return [outcomes[position] for position in range(len(records))]


def length_sorted_batches(
    records: Sequence[tuple[str, str | None, str | None]], lengths: Sequence[int], batch_size: int
) -> list[list[tuple[str, str | None, str | None]]]:
    """Cut records into batches of similar length, so a ViT5 batch pads little."""
    order = sorted(range(len(records)), key=lambda i: lengths[i])
    ordered = [records[i] for i in order]
    return [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]


def summarise_records(
    records: Sequence[tuple[str, str | None, str | None]],
    lengths: Sequence[int],
    config: Config,
    summariser: Summariser,
    encoding: str | None = None,
) -> list[Outcome]:
    """Summarise any number of records in length-sorted batches of ``summariser.batch_size``."""
    outcomes: list[Outcome] = []
    for batch in length_sorted_batches(records, lengths, config.summariser.batch_size):
        outcomes.extend(summarise_batch(batch, config, summariser, encoding))
    return outcomes
