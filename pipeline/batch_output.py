"""The resume-safe JSONL output and its errors file.

Why it is safe to kill: each batch is written with one ``write`` of whole lines, flushed and fsynced
before the next batch starts, and the first SIGINT/SIGTERM only sets a flag. A hard kill (SIGKILL,
power loss) or a second Ctrl-C (which raises at once) can still leave a half-written last line; the
next run finds it (no trailing newline) and truncates it, so that document is simply done again.
The errors file gets the same repair (``recover_errors``).

The errors file (``summaries.errors.jsonl`` next to ``summaries.jsonl``) is appended to as failures
happen and compacted at the end of every run: one entry per failing id (the newest), minus the ids
that have since succeeded or left the input. Ids in it are not "done": a rerun tries them again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.batch_core import Outcome
from pipeline.batch_io import InvalidLine
from pipeline.errors import VidocError


def errors_path(output: Path) -> Path:
    """``summaries.jsonl`` → ``summaries.errors.jsonl`` (same folder)."""
    stem = output.name[: -len(output.suffix)] if output.suffix else output.name
    return output.with_name(f"{stem}.errors.jsonl")


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


def _append_lines(path: Path, records: Iterable[dict[str, Any]]) -> None:
    payload = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    if not payload:
        return
    with path.open("a", encoding="utf-8") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _error_key(entry: dict[str, Any]) -> str:
    return f"id:{entry['id']}" if entry.get("id") is not None else f"line:{entry.get('line')}"


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
        """Append one batch: whole lines, flushed and fsynced; an id already written is never repeated."""
        lines, failures = [], []
        for outcome in outcomes:
            if outcome.id in self.done:
                continue
            if outcome.ok and outcome.record is not None:
                lines.append(outcome.record)
                self.done.add(outcome.id)
                self.failed.discard(outcome.id)
            else:
                failures.append({"id": outcome.id, "error": outcome.error})
                self.failed.add(outcome.id)
        _append_lines(self.output, lines)
        _append_lines(self.errors, failures)
        self.written += len(lines)

    def write_invalid(self, invalid: list[InvalidLine]) -> None:
        _append_lines(self.errors, ({"id": None, "line": i.line, "error": i.reason} for i in invalid))
        self.invalid += len(invalid)

    def compact_errors(self, input_ids: set[str], invalid_lines: set[int]) -> int:
        """Rewrite the errors file: newest entry per id, minus ids done or gone; returns its length."""
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
        kept = [
            entry
            for entry in entries.values()
            if (entry.get("id") is None and entry.get("line") in invalid_lines)
            or (entry.get("id") is not None and entry["id"] in input_ids and entry["id"] not in self.done)
        ]
        temporary = self.errors.with_name(self.errors.name + ".tmp")
        temporary.write_text(
            "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in kept), encoding="utf-8"
        )
        os.replace(temporary, self.errors)
        if not kept:
            self.errors.unlink()
        return len(kept)
