"""Chat follow-ups, turn by turn: each conversation of ``eval/suites/conversations/followups.jsonl`` asked
as ``vidoc chat`` asks it, with the follow-up rewriter on, off (every turn read alone, as before), and with
the hand-written standalone question (the ceiling a perfect rewriter could reach with this reader).

Each conversation runs in a fresh chat session over its one document, so the rewriter sees the system's own
previous answers (its mistakes carry over, as they would for a user). EM/F1 come from
``eval.scoring.metrics`` (NFC, one tone placement, case-folded). Run: ``python benchmarks/followups.py
[--config NAME] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.scoring.metrics import exact_match_f1, locate_evidence  # noqa: E402
from pipeline.chat.followups import NoRewriter, PriorTurn, Rewrite, RuleRewriter  # noqa: E402
from pipeline.chat.repl import ChatSession  # noqa: E402
from pipeline.core.config import load_config  # noqa: E402
from pipeline.flow.qa import QuestionAnswerer  # noqa: E402

SUITE = ROOT / "eval" / "suites" / "conversations" / "followups.jsonl"
MODES = ("off", "on", "oracle")


class _Oracle:
    """Rewrites each turn to its hand-written standalone question (looked up by the question as typed)."""

    def __init__(self, standalone: dict[str, str]) -> None:
        self.standalone = standalone

    def rewrite(self, question: str, history: list[PriorTurn]) -> Rewrite:
        target = self.standalone.get(question, question)
        return Rewrite(target, "oracle" if target != question else None)


def load_conversations(path: Path = SUITE) -> dict[str, list[dict]]:
    """Rows by conversation, in turn order; every evidence quote is checked against its document."""
    conversations: dict[str, list[dict]] = defaultdict(list)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        text = (ROOT / row["document"]).read_text(encoding="utf-8")
        if row["answers"] and locate_evidence(text, row["evidence"]) is None:
            raise SystemExit(f"{path}:{number}: evidence not in {row['document']}")
        conversations[row["conversation"]].append(row)
    for rows in conversations.values():
        rows.sort(key=lambda row: row["turn"])
    return dict(conversations)


def run(config_name: str | None) -> list[dict]:
    config = load_config(config_name)
    conversations = load_conversations()
    shared = QuestionAnswerer(config)  # the models, loaded once
    answerers: dict[str, QuestionAnswerer] = {}
    records: list[dict] = []
    for rows in conversations.values():
        document = rows[0]["document"]
        if document not in answerers:
            answerers[document] = QuestionAnswerer(config, embedder=shared.embedder, reader=shared.reader)
        answerer = answerers[document]
        standalone = {row["question"]: row["standalone"] for row in rows}
        rewriters = {"off": NoRewriter(), "on": RuleRewriter(), "oracle": _Oracle(standalone)}
        by_mode: dict[str, list[dict]] = {}
        for mode in MODES:
            session = ChatSession(config, answerer, rewriter=rewriters[mode])
            if not answerer.documents:
                session.open([str(ROOT / document)])
            results = []
            for row in rows:
                rewrite = session.rewrite(row["question"])
                result = session.ask(row["question"], rewrite=rewrite)
                em, f1 = exact_match_f1(result.answer.text, row["answers"])
                results.append({"asked": rewrite.question, "answer": result.answer.text, "em": em, "f1": f1})
            by_mode[mode] = results
        for index, row in enumerate(rows):
            record = {
                key: row[key] for key in ("id", "conversation", "turn", "question", "follows", "answers")
            }
            for mode in MODES:
                record[mode] = by_mode[mode][index]
            records.append(record)
    return records


def summary(records: list[dict]) -> dict[str, dict[str, float]]:
    groups = {
        "all turns": records,
        "follow-up turns": [r for r in records if r["follows"]],
        "first/standalone turns": [r for r in records if not r["follows"]],
    }
    table: dict[str, dict[str, float]] = {}
    for name, rows in groups.items():
        table[name] = {"turns": len(rows)}
        for mode in MODES:
            table[name][f"{mode} EM"] = sum(r[mode]["em"] for r in rows) / max(len(rows), 1)
            table[name][f"{mode} F1"] = sum(r[mode]["f1"] for r in rows) / max(len(rows), 1)
    follow = [r for r in records if r["follows"]]
    table["rewrites"] = {
        "follow-ups rewritten": sum(r["on"]["asked"] != r["question"] for r in follow),
        "standalone turns rewritten": sum(
            r["on"]["asked"] != r["question"] for r in records if not r["follows"]
        ),
    }
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None, help="config name or YAML file (default: offline default)")
    parser.add_argument("--json", action="store_true", help="print the records and the summary as JSON")
    args = parser.parse_args()
    started = time.perf_counter()
    records = run(args.config)
    table = summary(records)
    if args.json:
        print(json.dumps({"records": records, "summary": table}, ensure_ascii=False, indent=2))
        return
    for record in records:
        mark = "↪" if record["follows"] else " "
        scores = "  ".join(f"{mode} {record[mode]['f1']:.2f}" for mode in MODES)
        print(f"{record['id']:<28} {mark} {scores}  {record['question']}")
        if record["on"]["asked"] != record["question"]:
            print(f"{'':<30} → {record['on']['asked']}")
        if record["on"]["f1"] < 1:
            print(f"{'':<30}   on: {record['on']['answer']!r}  gold: {record['answers'][0]!r}")
    print()
    for name, values in table.items():
        cells = "  ".join(
            f"{key} {value:.3f}" if isinstance(value, float) else f"{key} {value}"
            for key, value in values.items()
        )
        print(f"{name:<24} {cells}")
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
