"""The resume-safe JSONL output and its errors file.

Why it is safe to kill: each batch is written with one ``write`` of whole lines, flushed and fsynced
before the next batch starts, and the first SIGINT/SIGTERM only sets a flag. A hard kill (SIGKILL,
power loss) or a second Ctrl-C (which raises at once) can still leave a half-written last line; the
next run finds it (no trailing newline) and truncates it, so that document is simply done again.
The errors file gets the same repair (``recover_errors``).

A write that fails (disk full, a read-only disk) is cut back to where the file was, so no half line
is left even then, and ends the run with one line naming the file (``cannot_write``, exit 2).

The errors file (``summaries.errors.jsonl`` next to ``summaries.jsonl``) is appended to as failures
happen and compacted at the end of every run: one entry per failing id (the newest) and per broken
input line, minus the ids that have since succeeded or left the input and the lines since fixed.
Ids in it are not "done": a rerun tries them again.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.batch.batch_function import Outcome
from pipeline.batch.inputs import InvalidLine, RefusedFile
from pipeline.core.errors import VidocError
from pipeline.core.files import append_whole


def errors_path(output: Path) -> Path:
    """``summaries.jsonl`` → ``summaries.errors.jsonl`` (same folder)."""
    stem = output.name[: -len(output.suffix)] if output.suffix else output.name
    return output.with_name(f"{stem}.errors.jsonl")


def lock_path(output: Path) -> Path:
    """``OUT.lock`` next to the file OUT really is: two runs reaching one file through a symbolic
    link and its target (or two links) must take the same lock."""
    real = output.resolve()
    return real.with_name(real.name + ".lock")


def run_files(output: Path) -> frozenset[Path]:
    """The files a run writes, resolved: a folder input inside which they lie must not read them."""
    return frozenset(path.resolve() for path in (output, errors_path(output), lock_path(output)))


def cannot_write(path: Path, error: OSError) -> VidocError:
    """A failed write as the one line the user sees: the file, the system's reason, and what to do."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "Free some disk space (or pass an --output on another disk), then run the same command again."
    else:
        fix = "Pick a writable --output path, or fix its permissions, then run the same command again."
    return VidocError(f"{path}: cannot write the output ({error.strerror or error}).", fix)


@dataclass
class Recovered:
    """What an existing output file holds: the ids done, and whether a half line was cut off."""

    done: set[str] = field(default_factory=set)
    truncated_bytes: int = 0


def recover_output(path: Path) -> Recovered:
    """Read the ids already written, truncating a half-written last line left by a hard kill."""
    recovered = Recovered()
    if not path.exists():
        return recovered
    good_end = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                recovered.truncated_bytes = len(raw)
                break
            try:
                record = json.loads(raw)
                record_id = record["id"]
            except (ValueError, KeyError, TypeError):
                raise VidocError(
                    f"{path}: line {number} is not a vidoc batch record.",
                    "Pass a new --output file, or remove that line (vidoc only appends whole lines).",
                ) from None
            recovered.done.add(str(record_id))
            good_end += len(raw)
    if recovered.truncated_bytes:
        with path.open("r+b") as handle:
            handle.truncate(good_end)
            os.fsync(handle.fileno())
    return recovered


def recover_errors(path: Path) -> int:
    """Cut a half-written last line off the errors file (hard kill, second Ctrl-C); returns bytes cut.

    Without this, the next failure would be appended to the half line and both entries lost.
    """
    if not path.exists():
        return 0
    with path.open("r+b") as handle:
        data = handle.read()
        if not data or data.endswith(b"\n"):
            return 0
        good_end = data.rfind(b"\n") + 1
        handle.truncate(good_end)
        os.fsync(handle.fileno())
    return len(data) - good_end


def _payload(records: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode("utf-8")


def _append_lines(path: Path, records: Iterable[dict[str, Any]]) -> None:
    payload = _payload(records)
    if not payload:
        return
    try:
        append_whole(path, payload)
    except OSError as error:
        raise cannot_write(path, error) from None


def _replace_lines(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Rewrite ``path`` through a temporary file and a rename: a failed write leaves the old one whole."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.unlink(missing_ok=True)
        append_whole(temporary, _payload(records))
        os.replace(temporary, path)
    except OSError as error:
        with suppress(OSError):
            temporary.unlink()
        raise cannot_write(path, error) from None


def _error_key(entry: dict[str, Any]) -> str:
    """A broken input line is known by its line number (its id, when read, is not an input id)."""
    return f"line:{entry['line']}" if "line" in entry else f"id:{entry.get('id')}"


class BatchSink:
    """Where both engines send their outcomes: summaries to OUT, failures to the errors file."""

    def __init__(self, output: Path, done: set[str]) -> None:
        self.output = output
        self.errors = errors_path(output)
        self.done = done
        self.written = 0
        self.failed: set[str] = set()
        self.invalid = 0

    def write(self, outcomes: Iterable[Outcome]) -> None:
        """Append one batch: whole lines, flushed and fsynced; an id already written is never repeated.

        The counts are updated after each write, so after a failed one (disk full) they still say
        what is on disk.
        """
        lines: list[dict[str, Any]] = []
        done: list[str] = []
        failures: list[dict[str, Any]] = []
        for outcome in outcomes:
            if outcome.id in self.done:
                continue
            if outcome.ok and outcome.record is not None:
                lines.append(outcome.record)
                done.append(outcome.id)
            else:
                failures.append({"id": outcome.id, "error": outcome.error})
        _append_lines(self.output, lines)
        self.done.update(done)
        self.failed.difference_update(done)
        self.written += len(lines)
        _append_lines(self.errors, failures)
        self.failed.update(failure["id"] for failure in failures)

    def write_invalid(self, invalid: list[InvalidLine]) -> None:
        _append_lines(self.errors, ({"id": i.id, "line": i.line, "error": i.reason} for i in invalid))
        self.invalid += len(invalid)

    def write_refused(self, refused: list[RefusedFile]) -> None:
        """Record the files not read (symbolic links out of the folder) as failures, before any work."""
        self.write(Outcome(entry.id, error=entry.reason) for entry in refused)

    def compact_errors(self, input_ids: set[str], invalid_lines: set[int]) -> int:
        """Rewrite the errors file: newest entry per id or broken line, minus those done, gone or fixed;
        returns its length. The rewrite goes through a rename, so a full disk cannot cut it short."""
        if not self.errors.exists():
            return 0
        entries: dict[str, dict[str, Any]] = {}
        with self.errors.open(encoding="utf-8") as handle:
            for raw in handle:
                try:
                    entry = json.loads(raw)
                except ValueError:
                    continue  # a half line from a hard kill; the id is retried anyway
                if isinstance(entry, dict):
                    entries[_error_key(entry)] = entry
        kept = [entry for entry in entries.values() if self._still_failing(entry, input_ids, invalid_lines)]
        _replace_lines(self.errors, kept)
        if not kept:
            self.errors.unlink()
        return len(kept)

    def _still_failing(self, entry: dict[str, Any], input_ids: set[str], invalid_lines: set[int]) -> bool:
        """A broken line that is still broken, or a failed id still in the input and not done since."""
        if "line" in entry:
            return entry["line"] in invalid_lines
        return entry.get("id") in input_ids and entry.get("id") not in self.done
