"""F1 against the abstention threshold, from saved predictions alone (``vidoc eval --rescore DIR
--threshold-sweep``): choosing a reader's threshold should not need its model.

Each QA record stores the reader's ``answer_score`` (for the span readers, the margin of the best span
over the no-answer score). Raising the threshold to ``t`` turns every answer scored below ``t`` into an
abstention; that is exact. Lowering it below the run's own threshold cannot be simulated, since an
abstention kept no answer text, so the sweep starts at the lowest score the run answered with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eval.scoring import metrics


@dataclass(frozen=True)
class SweepRow:
    threshold: float
    f1: float
    has_ans_f1: float | None
    no_ans_acc: float | None
    answered: float


def _rescored(records: Sequence[Mapping[str, Any]], threshold: float) -> list[dict[str, Any]]:
    out = []
    for record in records:
        score = record.get("answer_score")
        keeps = record["prediction"] is not None and score is not None and score >= threshold
        prediction = record["prediction"] if keeps else None
        em, f1 = metrics.exact_match_f1(prediction, record["references"])
        out.append({"has_answer": bool(record["references"]), "f1": f1, "em": em, "answered": keeps})
    return out


def sweep(records: Sequence[Mapping[str, Any]], steps: int = 12) -> list[SweepRow]:
    """Rows for thresholds from the lowest answered score up, at quantiles of the answered scores."""
    questions = [r for r in records if r["kind"] == "qa"]
    scores = sorted(
        r["answer_score"]
        for r in questions
        if r["prediction"] is not None and r.get("answer_score") is not None
    )
    if not scores:
        return []
    picks = sorted({scores[round(i * (len(scores) - 1) / max(steps - 1, 1))] for i in range(steps)})
    rows = []
    for threshold in picks:
        scored = _rescored(questions, threshold)
        answerable = [s for s in scored if s["has_answer"]]
        unanswerable = [s for s in scored if not s["has_answer"]]
        rows.append(
            SweepRow(
                threshold=threshold,
                f1=sum(s["f1"] for s in scored) / len(scored),
                has_ans_f1=sum(s["f1"] for s in answerable) / len(answerable) if answerable else None,
                no_ans_acc=sum(s["em"] for s in unanswerable) / len(unanswerable) if unanswerable else None,
                answered=sum(s["answered"] for s in scored) / len(scored),
            )
        )
    return rows


def best(rows: Sequence[SweepRow]) -> SweepRow | None:
    """The threshold with the highest F1 (the lowest such threshold on a tie: it answers more)."""
    return max(rows, key=lambda row: (round(row.f1, 6), -row.threshold), default=None)


def sweep_table(label: str, rows: Sequence[SweepRow]) -> str:
    def pct(value: float | None) -> str:
        return "–" if value is None else f"{100 * value:.1f}"

    lines = [
        f"threshold sweep, {label} (answer_score ≥ threshold answers; scores ×100):",
        "| threshold | F1 | HasAns F1 | NoAns acc | answered |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.threshold:.3f} | {pct(row.f1)} | {pct(row.has_ans_f1)} | {pct(row.no_ans_acc)} "
            f"| {pct(row.answered)} |"
        )
    top = best(rows)
    if top is not None:
        lines.append(f"best threshold for {label}: {top.threshold:.3f} (F1 {pct(top.f1)})")
    return "\n".join(lines)
