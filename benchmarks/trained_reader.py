"""The trained reader against the rule reader, each part alone and combined, with a threshold sweep.

Systems, all through retrieval as ``vidoc ask`` runs them (bundled suites) or on the gold paragraph
(UIT-ViQuAD, the reading-comprehension setting it is scored in):

- ``rules``: ``reader.kind: extractive`` (the hand-written reader);
- ``span``: ``reader.kind: trained`` with ``rules: off`` (the int8 ONNX model alone);
- ``span+lookups``, ``span+rules-gate``, ``rules-first+span``: ``rules: lookups | gate | first``
  (models/span_readers/trained_reader.py says what each does);
- ``span+types``, ``rules-first+span+types``: as ``span`` and ``rules-first+span``, with
  ``check_type: true`` (only spans of the type the question asks for: models/rules/span_types.py).

The threshold sweep reads every question once and applies each threshold to the recorded margins, on
the four development suites only (the blind suites and ViQuAD test are never used to choose it).

Run: ``python benchmarks/trained_reader.py [--viquad1 $VIDOC_DATA/viquad1/test.json] [--limit N]``.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

from qa_common import QAItem, exact_match, f1_score, suite_items, viquad_items

from eval.scoring.intervals import paired_difference
from models.factory import build_embedder, build_reader
from models.rules.unmentioned import unmentioned
from pipeline.core.config import load_config
from pipeline.core.records import Document
from pipeline.flow.qa import QuestionAnswerer

DEVELOPMENT = ("seed", "lists_tables", "long_report", "old_tone_marks")
BLIND = ("held_out", "blind_2")
GUARDED: dict[tuple[str, str], bool] = {}  # item id -> the question names something the passages read do not
THRESHOLDS = (-4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 6.0)
SYSTEMS = {
    "rules": {"kind": "extractive"},
    "span": {"kind": "trained", "rules": "off"},
    "span+lookups": {"kind": "trained", "rules": "lookups"},
    "span+rules-gate": {"kind": "trained", "rules": "gate"},
    "rules-first+span": {"kind": "trained", "rules": "first"},
    "span+types": {"kind": "trained", "rules": "off", "check_type": True},
    "rules-first+span+types": {"kind": "trained", "rules": "first", "check_type": True},
}


def scores(rows: list[tuple[QAItem, str | None]]) -> dict[str, float]:
    has = [(i, p) for i, p in rows if i.answers]
    no = [(i, p) for i, p in rows if not i.answers]
    return {
        "n": len(rows),
        "EM": sum(exact_match(p, i.answers) for i, p in rows) / max(1, len(rows)),
        "F1": sum(f1_score(p, i.answers) for i, p in rows) / max(1, len(rows)),
        "HasAns F1": sum(f1_score(p, i.answers) for i, p in has) / max(1, len(has)),
        "refused": sum(p is None for _, p in no),
        "unanswerable": len(no),
    }


def traces(
    items: list[QAItem], embedder, system: dict, gold: bool = False
) -> list[tuple[QAItem, object, float]]:
    """Each item's reader trace (or answer for the rule reader) and the seconds it took."""
    config = load_config(
        overrides={"reader": {**system, "threshold": -1e9} if system["kind"] == "trained" else system}
    )
    reader = build_reader(config)
    out = []
    groups: dict[str, list[QAItem]] = defaultdict(list)
    for item in items:
        groups[item.document if gold else item.source].append(item)
    for group in groups.values():
        if gold:
            from eval.squad_eval import gold_passage
            from models.training.squad_data import QAExample

            for item in group:
                example = QAExample(item.id, "", item.document, item.question, ())
                started = time.perf_counter()
                found = (
                    reader.trace(item.question, [gold_passage(example)])
                    if hasattr(reader, "trace")
                    else reader.read(item.question, [gold_passage(example)])
                )
                out.append((item, found, time.perf_counter() - started))
            continue
        answerer = QuestionAnswerer(config, embedder=embedder, reader=reader)
        answerer.add([Document(group[0].document, group[0].source)])
        for item in group:
            started = time.perf_counter()
            _, read = answerer.passages_for(item.question)
            found = (
                reader.trace(item.question, read)
                if hasattr(reader, "trace")
                else reader.read(item.question, read)
            )
            out.append((item, found, time.perf_counter() - started))
            GUARDED[item.suite, item.id] = bool(
                unmentioned(item.question, [p.passage.norm for p in read[:3]])
            )
    return out


def predictions(
    found: list[tuple[QAItem, object, float]], threshold: float, guard: bool = False
) -> list[tuple[QAItem, str | None]]:
    """Answers at ``threshold``; with ``guard``, a span answer is also dropped when the question names
    something the passages read never mention (models/rules/unmentioned.py, the rule reader's check)."""
    rows = []
    for item, result, _ in found:
        answer = result.decide(threshold) if hasattr(result, "decide") else result
        text = answer.text
        if guard and getattr(result, "source", "") == "span" and GUARDED.get((item.suite, item.id)):
            text = None
        rows.append((item, text))
    return rows


def line(name: str, row: dict[str, float]) -> str:
    refused = f"{row['refused']}/{row['unanswerable']}" if row["unanswerable"] else "-"
    return (
        f"  {name:<28} n {row['n']:>4}  EM {row['EM']:.3f}  F1 {row['F1']:.3f}  "
        f"HasAns F1 {row['HasAns F1']:.3f}  refused {refused}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--viquad1", type=Path, default=None, help="UIT-ViQuAD 1.0 test.json (gold paragraph)."
    )
    parser.add_argument("--limit", type=int, default=None, help="Only N ViQuAD questions (seeded sample).")
    parser.add_argument(
        "--threshold", type=float, default=None, help="Trained reader threshold (default: config)."
    )
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="Comma-separated names of SYSTEMS.")
    parser.add_argument("--model", default=None, help="An exported reader folder instead of the bundled one.")
    parser.add_argument("--no-viquad2", action="store_true", help="Skip the UIT-ViQuAD 2.0 sample.")
    parser.add_argument("--no-suites", action="store_true", help="Skip the bundled suites.")
    parser.add_argument(
        "--development-only", action="store_true", help="Only the development suites (while choosing)."
    )
    args = parser.parse_args()
    if args.model:
        for system in SYSTEMS.values():
            if system["kind"] == "trained":
                system["model"] = args.model
    default_threshold = build_reader(load_config()).threshold if args.threshold is None else args.threshold
    embedder = build_embedder(load_config())
    suites = suite_items()
    chosen = DEVELOPMENT if args.development_only else (*DEVELOPMENT, *BLIND)
    items = [] if args.no_suites else [i for name in chosen for i in suites.get(name, [])]
    print(f"trained reader threshold: {default_threshold}")
    item_f1: dict[str, list[float]] = {}  # per system, each item's F1 in ``items`` order (paired tests)
    for system_name, system in SYSTEMS.items():
        if system_name not in args.systems.split(",") or not items:
            continue
        found = traces(items, embedder, system)
        threshold = default_threshold if system["kind"] == "trained" else 0.0
        rows = predictions(found, threshold)
        print(
            f"\n== {system_name} ==  "
            f"({sum(s for *_, s in found) / len(found) * 1000:.0f} ms/question reading)"
        )
        by_suite = defaultdict(list)
        for item, prediction in rows:
            by_suite[item.suite].append((item, prediction))
        for name in (*DEVELOPMENT, *BLIND):
            if name in by_suite:
                print(line(name, scores(by_suite[name])))
        print(line("development (4 suites)", scores([r for r in rows if r[0].suite in DEVELOPMENT])))
        print(line("blind (held_out + blind_2)", scores([r for r in rows if r[0].suite in BLIND])))
        item_f1[system_name] = [f1_score(prediction, item.answers) for item, prediction in rows]
        if system_name != "rules" and "rules" in item_f1:
            for group, names in (("development", DEVELOPMENT), ("blind", BLIND)):
                keep = [i for i, (item, _) in enumerate(rows) if item.suite in names]
                if not keep:
                    continue
                delta, (low, high), p = paired_difference(
                    [item_f1["rules"][i] for i in keep], [item_f1[system_name][i] for i in keep]
                )
                print(
                    f"  F1 minus the rules', {group:<12} {delta:+.3f}  "
                    f"95 % CI [{low:+.3f}, {high:+.3f}]  p {p:.3f}"
                )
        if system["kind"] == "trained":
            print("  threshold sweep on the development suites:")
            development = [f for f in found if f[0].suite in DEVELOPMENT]
            for threshold in THRESHOLDS:
                print(line(f"threshold {threshold:+.1f}", scores(predictions(development, threshold))))
                guarded = scores(predictions(development, threshold, guard=True))
                print(line("  + unmentioned guard", guarded))
            guarded = predictions(found, default_threshold, guard=True)
            print(line("blind, + unmentioned guard", scores([r for r in guarded if r[0].suite in BLIND])))
    viquad2 = [] if args.no_viquad2 else viquad_items(args.limit)
    if viquad2:
        print("\n== UIT-ViQuAD 2.0 dev sample, gold paragraph ==")
        for system_name in args.systems.split(","):
            found = traces(viquad2, embedder, SYSTEMS[system_name], gold=True)
            threshold = default_threshold if SYSTEMS[system_name]["kind"] == "trained" else 0.0
            print(line(system_name, scores(predictions(found, threshold))), flush=True)
    if args.viquad1 is not None:
        from eval.squad_eval import score_reader
        from models.training.squad_data import load_squad

        examples, _ = load_squad(args.viquad1)
        if args.limit:
            import random

            examples = random.Random(13).sample(examples, min(args.limit, len(examples)))
        print(f"\n== UIT-ViQuAD 1.0 {args.viquad1.name}, gold paragraph ==")
        for system_name in args.systems.split(","):
            overrides = dict(SYSTEMS[system_name])
            if overrides["kind"] == "trained":
                overrides["threshold"] = default_threshold
            reader = build_reader(load_config(overrides={"reader": overrides}))
            print(f"  {system_name:<28} {score_reader(reader, examples).line()}", flush=True)


if __name__ == "__main__":
    main()
