"""Run suites with one or more configs; every finished item is appended to ``DIR/items/`` at once.

Records are JSON lines, one file per (suite, config), flushed and fsynced after each item, so a killed
run keeps what it did and a second run into the same DIR resumes. A record is reused only when its
``item_key`` (a hash of the item as the suite now states it, its document's text included) and its
``config_key`` (a hash of the resolved config) both still match: a suite edited under the same name,
or a config file changed between runs, is run again rather than scored from stale answers. Each record
holds everything scoring needs (prediction, references, evidence span, retrieved offsets, the numbers
of the source), so ``rescore`` recomputes every metric without loading a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eval.provenance import config_sha256, provenance
from eval.records import CitedPassage, ItemRecord, Scores
from eval.scoring import metrics
from eval.suites import QAItem, Suite, SummaryItem
from pipeline.core.config import Config
from pipeline.core.errors import VidocError
from pipeline.core.files import append_whole
from pipeline.core.records import Document

ITEMS_DIR = "items"
MANIFEST = "manifest.json"


class Answerer(Protocol):
    """What the harness needs from the QA path (``pipeline.flow.qa.QuestionAnswerer`` after ``add``)."""

    def ask(self, question: str) -> Any: ...


AnswererFactory = Callable[[Config, Sequence[Document]], Answerer]


@dataclass(frozen=True)
class RunConfig:
    """A config as named on the command line (``label``) and as loaded."""

    label: str
    settings: Config


def slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "config"


def items_path(out: Path, suite: str, config: str) -> Path:
    return out / ITEMS_DIR / f"{slug(suite)}--{slug(config)}.jsonl"


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def item_key(item: SummaryItem | QAItem) -> str:
    """What an item asks, hashed: any edit to it (question, references, evidence, document) changes it."""
    fields: dict[str, Any] = {"id": item.id, "kind": item.kind, "document": item.document.text}
    if isinstance(item, SummaryItem):
        fields["references"] = list(item.references)
    else:
        fields.update(
            question=item.question,
            answers=list(item.answers),
            evidence=item.evidence,
            evidence_span=list(item.evidence_span) if item.evidence_span else None,
        )
    return _digest(fields)


def score_record(record: ItemRecord) -> Scores:
    """The per-item scores of a saved record; a pure function of what the record holds."""
    if record["kind"] == "summary":
        return metrics.score_summary(record["prediction"], record["references"], record["source_numbers"])
    span = tuple(record["evidence_span"]) if record.get("evidence_span") else None
    retrieved = [(p["start"], p["end"]) for p in record.get("retrieved", [])]
    return metrics.score_qa(
        record["prediction"], record["references"], span, retrieved, record["source_numbers"]
    )


def read_records(path: Path) -> list[ItemRecord]:
    """Records of one items file; a torn last line (a killed write) is ignored, any other is an error."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise VidocError(
                f"{path}:{number}: not a JSON record.", "Delete that line or the file."
            ) from None
    return records


def _append(path: Path, record: ItemRecord) -> None:
    append_whole(path, (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))


class SharedModelsAnswerers:
    """Builds one ``QuestionAnswerer`` per document, all sharing one embedder and one reader per config."""

    def __init__(self) -> None:
        self._models: dict[int, tuple[Any, Any]] = {}

    def __call__(self, settings: Config, documents: Sequence[Document]) -> Answerer:
        from models.factory import build_embedder, build_reader
        from pipeline.flow.qa import QuestionAnswerer

        if id(settings) not in self._models:
            self._models[id(settings)] = (build_embedder(settings), build_reader(settings))
        embedder, reader = self._models[id(settings)]
        answerer = QuestionAnswerer(settings, embedder=embedder, reader=reader)
        answerer.add(list(documents))
        return answerer


def _citations(answer: Any) -> list[CitedPassage]:
    return [
        {"passage": c.passage, "text": c.text, "start": c.start, "end": c.end, "score": round(c.score, 4)}
        for c in answer.citations
    ]


class SuiteRunner:
    """Runs the items of suites for one config; models are built once and reused for every item."""

    def __init__(
        self, run: RunConfig, answerer_factory: AnswererFactory | None = None, summariser: Any = None
    ) -> None:
        self.run = run
        # the resolved config, hashed: the same label can name a YAML file that changed between runs
        self.config_key = config_sha256(run.settings)
        self._answerer_factory = answerer_factory or SharedModelsAnswerers()
        self._summariser = summariser
        self._summaries: dict[str, tuple[str, float]] = {}
        self._answerers: dict[str, Answerer] = {}

    def _summarise(self, document: Document) -> tuple[str, float]:
        if document.source not in self._summaries:
            from pipeline.flow.summarise import prepare

            if self._summariser is None:
                from models.factory import build_summariser

                self._summariser = build_summariser(self.run.settings)
            started = time.perf_counter()
            (summary,) = self._summariser.summarise([prepare(document, self.run.settings)])
            self._summaries[document.source] = (summary.text, time.perf_counter() - started)
        return self._summaries[document.source]

    def _answerer(self, document: Document) -> Answerer:
        # One answerer per document: a question is asked of its own document only.
        if document.source not in self._answerers:
            self._answerers[document.source] = self._answerer_factory(self.run.settings, [document])
        return self._answerers[document.source]

    def record(self, suite: Suite, item: SummaryItem | QAItem) -> ItemRecord:
        base = {"suite": suite.name, "config": self.run.label, "id": item.id, "kind": item.kind}
        base["document"] = item.document.source
        base["source_numbers"] = metrics.source_numbers(item.document.text)
        if isinstance(item, SummaryItem):
            prediction, seconds = self._summarise(item.document)
            record = {
                **base,
                "prediction": prediction,
                "references": list(item.references),
                "seconds": seconds,
            }
        else:
            answerer = self._answerer(item.document)
            started = time.perf_counter()
            result = answerer.ask(item.question)
            seconds = getattr(result, "seconds", None) or time.perf_counter() - started
            record = {
                **base,
                "question": item.question,
                "prediction": result.answer.text,
                "answer_score": result.answer.score,
                "references": list(item.answers),
                "evidence": item.evidence,
                "evidence_span": list(item.evidence_span) if item.evidence_span else None,
                "retrieved": [
                    {
                        "passage": r.passage.id,
                        "start": r.passage.start,
                        "end": r.passage.end,
                        "score": r.score,
                        "text": r.passage.text,  # for the report's drill-down, which has no document
                    }
                    for r in result.retrieved
                ],
                "citations": _citations(result.answer),
                "seconds": seconds,
            }
        record["seconds"] = round(record["seconds"], 4)
        record["item_key"] = item_key(item)
        record["config_key"] = self.config_key
        record["scores"] = score_record(record)
        return record


def _reusable(path: Path, suite: Suite, run: RunConfig, key: str) -> tuple[dict[str, ItemRecord], int]:
    """The saved records of ``path`` that still answer the suite's items under this config, by id, and
    how many saved records are stale. Stale ones are dropped from the file (atomically) so that a later
    ``--rescore`` never scores them."""
    from pipeline.core.files import write_atomic

    saved = read_records(path)
    wanted = {item.id: item_key(item) for item in suite.items}
    fresh = {
        r["id"]: r
        for r in saved
        if r.get("config") == run.label
        and r.get("config_key") == key
        and wanted.get(r.get("id")) == r.get("item_key")
    }
    stale = len(saved) - len(fresh)
    if stale:
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in fresh.values())
        write_atomic(path, lines)
    return fresh, stale


def prepare_out(out: Path) -> None:
    """Make ``out/items``; a path that is a file, or a folder that cannot be written, is a usage error."""
    if out.exists() and not out.is_dir():
        raise VidocError(f"--out {out}: is a file, not a folder.", "Name a folder for the reports.")
    try:
        (out / ITEMS_DIR).mkdir(parents=True, exist_ok=True)
        probe = out / ITEMS_DIR / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise VidocError(
            f"--out {out}: cannot write there ({error.strerror or error}).",
            "Name a folder you can write to, with free space.",
        ) from None


def write_manifest(out: Path, suites: Sequence[Suite], runs: Sequence[RunConfig]) -> None:
    """The run's suites, configs and each config's provenance, so that ``--rescore`` reports them too."""
    from pipeline.core.files import write_atomic

    named = [(suite.name, suite.source) for suite in suites]
    manifest = {
        "suites": [suite.name for suite in suites],
        "configs": [run.label for run in runs],
        "provenance": {run.label: provenance(run.settings, named) for run in runs},
    }
    write_atomic(out / ITEMS_DIR / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))


def read_manifest(out: Path) -> dict[str, Any]:
    path = out / ITEMS_DIR / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise VidocError(
            f"{path}: not a readable manifest.", "Delete it; --rescore then reads the items alone."
        ) from None


def run_suites(
    suites: Sequence[Suite],
    runs: Sequence[RunConfig],
    out: Path,
    *,
    answerer_factory: AnswererFactory | None = None,
    show_progress: bool = True,
) -> dict[str, list[ItemRecord]]:
    """Run every suite with every config; returns the records per config label (resumed ones included)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    prepare_out(out)
    write_manifest(out, suites, runs)
    results: dict[str, list[ItemRecord]] = {}
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not show_progress, transient=False) as progress:
        for run in runs:
            runner = SuiteRunner(run, answerer_factory)
            records: list[ItemRecord] = []
            for suite in suites:
                path = items_path(out, suite.name, run.label)
                done, stale = _reusable(path, suite, run, runner.config_key)
                task = progress.add_task(f"{suite.name} · {run.label}", total=len(suite.items))
                if done:
                    progress.console.print(f"resuming {path.name}: {len(done)} items already done")
                if stale:
                    progress.console.print(
                        f"{path.name}: {stale} saved items no longer match the suite or the config; "
                        "running them again"
                    )
                for item in suite.items:
                    if item.id in done:
                        records.append(done[item.id])
                    else:
                        record = runner.record(suite, item)
                        _append(path, record)
                        records.append(record)
                    progress.advance(task)
            results[run.label] = records
    return results


def rescore(out: Path) -> tuple[list[str], dict[str, list[ItemRecord]]]:
    """Recompute every score of the saved records in ``out``; returns (suites, records per config)."""
    folder = out / ITEMS_DIR
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not files:
        raise VidocError(
            f"{out}: no saved predictions to rescore.", f"Expected {folder}/*.jsonl from `vidoc eval`."
        )
    manifest = read_manifest(out)
    records = [record for path in files for record in read_records(path)]
    suites = list(dict.fromkeys(manifest.get("suites", []) + [r["suite"] for r in records]))
    configs = list(dict.fromkeys(manifest.get("configs", []) + [r["config"] for r in records]))
    by_config: dict[str, list[ItemRecord]] = {c: [] for c in configs}
    for record in sorted(records, key=lambda r: suites.index(r["suite"])):
        try:
            record["scores"] = score_record(record)
        except (KeyError, TypeError) as error:
            raise VidocError(
                f"{out}: a saved record of {record.get('id')!r} cannot be scored ({error})."
            ) from None
        by_config[record["config"]].append(record)
    return suites, {c: rs for c, rs in by_config.items() if rs}
