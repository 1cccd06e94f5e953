"""The default reader's EM/F1 and HasAns/NoAns accuracy, next to a "best sentence" baseline.

Seed suite: each item's document is indexed and the question goes through retrieval and the reader, as
``vidoc ask`` does. ViQuAD 2.0 sample (when $VIDOC_BENCHMARKS names the folder that has it): the reader
gets the question's own context paragraph (the reading-comprehension setting ViQuAD is scored in). The
baseline answers with the whole retrieved sentence that shares the most words with the question and never
abstains. A threshold sweep shows how abstention trades HasAns against NoAns (to calibrate
``reader.threshold``). Run: ``python benchmarks/reader_quality.py [--limit N]``."""

from __future__ import annotations

import argparse
import re
from collections import defaultdict

from qa_common import QAItem, exact_match, f1_score, suite_items, viquad_items

from models.factory import build_embedder
from models.rules.extractive_reader import ExtractiveReader
from pipeline.core.config import load_config
from pipeline.core.lexical import syllable_tokens
from pipeline.core.records import Document
from pipeline.flow.qa import QuestionAnswerer

THRESHOLDS = (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)


def best_sentence(question: str, retrieved) -> str:
    """The baseline: the retrieved sentence sharing the most syllables with the question."""
    wanted = set(syllable_tokens(question))
    sentences = [
        s for r in retrieved[:3] for s in re.split(r"(?<=[.!?…])\s+|\n+", r.passage.text) if s.strip()
    ]
    return max(sentences, key=lambda s: len(wanted & set(syllable_tokens(s))))


def _summary(rows: list[tuple[QAItem, str | None]]) -> dict[str, float]:
    has = [(i, p) for i, p in rows if i.answers]
    no = [(i, p) for i, p in rows if not i.answers]
    return {
        "EM": sum(exact_match(p, i.answers) for i, p in rows) / len(rows),
        "F1": sum(f1_score(p, i.answers) for i, p in rows) / len(rows),
        "HasAns F1": sum(f1_score(p, i.answers) for i, p in has) / max(1, len(has)),
        "HasAns answered": sum(p is not None for _, p in has) / max(1, len(has)),
        "NoAns refused": sum(p is None for _, p in no) / max(1, len(no)),
        "n": len(rows),
    }


def run(items: list[QAItem], embedder) -> dict[str, object]:
    config = load_config()
    reader = ExtractiveReader(config.reader)
    groups: dict[str, list[QAItem]] = defaultdict(list)
    for item in items:
        groups[item.source].append(item)
    predictions, baseline, candidates = [], [], []
    for source, group in groups.items():
        answerer = QuestionAnswerer(config, embedder=embedder, reader=reader)
        answerer.add([Document(group[0].document, source)])
        for item in group:
            result = answerer.ask(item.question)
            predictions.append((item, result.answer.text))
            baseline.append((item, best_sentence(item.question, result.retrieved)))
            best = reader.best_candidate(item.question, result.retrieved, min(THRESHOLDS))
            candidates.append((item, best, result.retrieved))
    sweep = {}
    for threshold in THRESHOLDS:
        rows = []
        for item, best, retrieved in candidates:
            answered = best is not None and best.sentence.overlap >= threshold
            text = (
                ExtractiveReader(load_config(overrides={"reader": {"threshold": threshold}}).reader)
                .read(item.question, retrieved)
                .text
                if answered
                else None
            )
            rows.append((item, text))
        sweep[threshold] = _summary(rows)
    return {
        "reader": _summary(predictions),
        "best sentence": _summary(baseline),
        "sweep": sweep,
        "predictions": predictions,
    }


def _print(name: str, report: dict[str, object], show_misses: bool) -> None:
    print(f"\n== {name} ==")
    header = f"{'system':<22} {'EM':>6} {'F1':>6} {'HasAns F1':>10} {'answered':>9} {'NoAns ok':>9} {'n':>4}"
    print(header)
    for system in ("reader", "best sentence"):
        row = report[system]
        print(
            f"{system:<22} {row['EM']:>6.3f} {row['F1']:>6.3f} {row['HasAns F1']:>10.3f} "
            f"{row['HasAns answered']:>9.3f} {row['NoAns refused']:>9.3f} {row['n']:>4}"
        )
    print("threshold sweep (reader.threshold):")
    for threshold, row in report["sweep"].items():
        print(
            f"  {threshold:<20} {row['EM']:>6.3f} {row['F1']:>6.3f} {row['HasAns F1']:>10.3f} "
            f"{row['HasAns answered']:>9.3f} {row['NoAns refused']:>9.3f}"
        )
    if show_misses:
        for item, prediction in report["predictions"]:
            score = f1_score(prediction, item.answers)
            if score < 0.8:
                print(
                    f"  miss F1={score:.2f} {item.id}: {item.question} → {prediction!r} "
                    f"| gold {list(item.answers)}"
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="Only the first N ViQuAD rows.")
    parser.add_argument("--misses", action="store_true", help="List the suite items answered below F1 0.8.")
    parser.add_argument("--suites-only", action="store_true", help="Skip ViQuAD.")
    args = parser.parse_args()
    embedder = build_embedder(load_config())
    suites = suite_items()
    if not suites:
        print("hand-written suites: not present (eval/suites/*.jsonl); skipped")
    for name, items in suites.items():
        _print(f"suite {name}", run(items, embedder), args.misses)
    viquad = [] if args.suites_only else viquad_items(args.limit)
    if viquad:
        _print("UIT-ViQuAD 2.0 dev sample (gold paragraph)", run(viquad, embedder), False)
    else:
        print("ViQuAD sample: not present; skipped")


if __name__ == "__main__":
    main()
