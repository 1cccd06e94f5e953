"""Reports: ``report.json`` (the DESIGN.md contract), ``report.md`` and a self-contained ``report.html``.

``report.json`` with one config is exactly the contract object::

    {"suite", "config", "metrics": {...}, "suites": {name: {...}}, "items": [{"id", "kind", "prediction",
     "references", "scores", ...}]}

``suite`` names every suite of the run (comma-separated), ``metrics`` pools all their items and
``suites`` breaks them down. With several configs it is ``{"runs": [object, object, ...]}``, one such
object per config, in command-line order. Every file is written to a temporary name and renamed, so
a reader never sees half a report and a failed run leaves the previous one intact.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.question_types import QUESTION_TYPES, question_type
from eval.records import Comparison, ItemRecord, RunReport
from eval.scoring import intervals, metrics
from pipeline.core.files import write_atomic

# Metrics shown in charts and tables, in this order; others (counts) are listed after them in tables.
SCORE_METRICS = (*metrics.MEAN_METRICS, "number_faithfulness")
TIME_METRICS = ("seconds_mean", "seconds_p50", "seconds_max")
COUNT_METRICS = ("items", "summary_items", "qa_items")
ITEM_KEYS = ("question", "document", "evidence", "evidence_span", "retrieved", "citations", "source_numbers")
COLOURS = ("#3566a8", "#d9822b", "#3f8f4f", "#9b4d96", "#b33a3a")


def _item(record: ItemRecord) -> ItemRecord:
    item: ItemRecord = {
        "id": record["id"],
        "suite": record["suite"],
        "kind": record["kind"],
        "prediction": record["prediction"],
        "references": record["references"],
        "scores": record["scores"],
        "seconds": record.get("seconds"),
    }
    if record["kind"] == "qa":
        item["question_type"] = question_type(record.get("question", ""), record["references"])
        item["answer_score"] = record.get("answer_score")
    item.update({key: record[key] for key in ITEM_KEYS if key in record})
    return item


def by_question_type(
    records: Sequence[ItemRecord], resamples: int = intervals.DEFAULT_RESAMPLES
) -> dict[str, dict[str, Any]]:
    """Per question type: how many items, EM and F1, and F1's interval, so a user sees where it is weak."""
    typed: dict[str, list[ItemRecord]] = {}
    for record in records:
        if record["kind"] == "qa":
            kind = question_type(record.get("question", ""), record["references"])
            typed.setdefault(kind, []).append(record)
    table = {}
    for kind in (k for k in QUESTION_TYPES if k in typed):
        scored = metrics.aggregate(typed[kind])
        ci = intervals.confidence_intervals(typed[kind], resamples)
        table[kind] = {
            "items": len(typed[kind]),
            "em": scored["em"],
            "f1": scored["f1"],
            "f1_ci": ci.get("f1"),
        }
    return table


def build_run(
    config: str,
    suites: Sequence[str],
    records: Sequence[ItemRecord],
    *,
    resamples: int = intervals.DEFAULT_RESAMPLES,
    provenance: dict[str, Any] | None = None,
) -> RunReport:
    """One config's report object: the DESIGN.md contract plus a per-suite breakdown, bootstrap
    intervals (``metrics_ci``, ``suites_ci``), the breakdown by question type and the provenance."""
    present = [s for s in suites if any(r["suite"] == s for r in records)]
    in_suite = {s: [r for r in records if r["suite"] == s] for s in present}
    run: RunReport = {
        "suite": ",".join(present),
        "config": config,
        "metrics": metrics.aggregate(records),
        "metrics_ci": intervals.confidence_intervals(records, resamples),
        "suites": {s: metrics.aggregate(in_suite[s]) for s in present},
        "suites_ci": {s: intervals.confidence_intervals(in_suite[s], resamples) for s in present},
        "question_types": by_question_type(records, resamples),
        "bootstrap": {"resamples": resamples, "seed": intervals.SEED, "level": intervals.LEVEL},
    }
    if provenance is not None:
        run["provenance"] = provenance
    run["items"] = [_item(r) for r in records]
    return run


def compare_runs(runs: Sequence[RunReport], resamples: int = intervals.DEFAULT_RESAMPLES) -> list[Comparison]:
    """Paired bootstrap comparisons of every config against the first, over the items both ran."""
    return intervals.comparisons([(run["config"], run["items"]) for run in runs], resamples)


def build_report(runs: Sequence[RunReport], comparisons: Sequence[Comparison] = ()) -> dict[str, Any]:
    if len(runs) == 1:
        return dict(runs[0])
    return {"runs": list(runs), "comparisons": list(comparisons)}


def runs_of(report: dict[str, Any]) -> list[RunReport]:
    """The run objects of a report.json, whichever of its two shapes it has."""
    return list(report["runs"]) if "runs" in report else [report]


# ---------------------------------------------------------------------------------------- formatting
def format_value(name: str, value: Any) -> str:
    if value is None:
        return "–"
    if name in COUNT_METRICS or name in ("numbers", "numbers_unsupported"):
        return str(int(value))
    if name in TIME_METRICS or name == "seconds":
        return f"{value:.3f} s"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{100 * value:.2f}"


def _metric_names(tables: Sequence[dict[str, Any]]) -> list[str]:
    present = {name for table in tables for name in table}
    ordered = [n for n in (*COUNT_METRICS, *SCORE_METRICS, *TIME_METRICS) if n in present]
    return ordered + sorted(present - set(ordered))


def with_interval(name: str, value: Any, ci: Sequence[float] | None) -> str:
    """``92.70 [85.14, 98.02]``: the value and its 95 % interval, on the value's own scale."""
    shown = format_value(name, value)
    if ci is None or value is None:
        return shown
    return f"{shown} [{format_value(name, ci[0])}, {format_value(name, ci[1])}]"


def markdown_table(
    tables: Sequence[dict[str, Any]],
    configs: Sequence[str],
    cis: Sequence[dict[str, Sequence[float]]] | None = None,
) -> str:
    """Metrics as rows, configs side by side; scores ×100 with their 95 % interval, times in seconds."""
    cis = cis or [{} for _ in tables]
    lines = ["| metric | " + " | ".join(configs) + " |", "|---|" + "---:|" * len(configs)]
    for name in _metric_names(tables):
        cells = [with_interval(name, t.get(name), ci.get(name)) for t, ci in zip(tables, cis, strict=True)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def question_type_rows(runs: Sequence[RunReport]) -> list[tuple[str, int, list[str]]]:
    """(type, items, one F1 cell with its interval per run) for each question type any run scored;
    Markdown and HTML lay out the same rows."""
    kinds = [k for k in QUESTION_TYPES if any(k in run.get("question_types", {}) for run in runs)]
    rows = []
    for kind in kinds:
        found = [run.get("question_types", {}).get(kind) for run in runs]
        count = next(r["items"] for r in found if r)
        rows.append(
            (kind, count, [with_interval("f1", r["f1"], r.get("f1_ci")) if r else "–" for r in found])
        )
    return rows


def _types_markdown(runs: Sequence[RunReport]) -> list[str]:
    rows = question_type_rows(runs)
    if not rows:
        return []
    configs = [run["config"] for run in runs]
    lines = ["", "## F1 by question type", "", "| type | items | " + " | ".join(configs) + " |"]
    lines.append("|---|---:|" + "---:|" * len(configs))
    lines += [f"| {kind} | {count} | " + " | ".join(cells) + " |" for kind, count, cells in rows]
    return lines


def comparison_lines(comparisons: Sequence[Comparison]) -> list[str]:
    """One sentence per metric whose paired interval excludes 0; a line saying so when none does."""
    sentences = [s for s in (intervals.sentence(row) for row in comparisons) if s]
    if comparisons and not sentences:
        return ["No difference between the configs has a 95% interval that excludes 0."]
    return sentences


def render_markdown(runs: Sequence[RunReport], comparisons: Sequence[Comparison] = ()) -> str:
    configs = [run["config"] for run in runs]
    suites = list(dict.fromkeys(s for run in runs for s in run["suites"]))
    parts = [
        "# vidoc eval report",
        "",
        f"Suites: {', '.join(suites)}. Configs: {', '.join(configs)}.",
        "Scores ×100 (ROUGE F-measure at the syllable level; `*_paper` = rouge_score's default tokenizer, "
        "which drops Vietnamese letters: for comparison with published figures only).",
        "",
        "Brackets: 95% bootstrap interval over the items (percentile, seeded).",
        "",
    ]
    if comparisons:
        parts += ["## Differences", "", *(f"- {line}" for line in comparison_lines(comparisons)), ""]
    parts += [
        "## All suites",
        "",
        markdown_table(
            [run["metrics"] for run in runs], configs, [run.get("metrics_ci", {}) for run in runs]
        ),
    ]
    parts += _types_markdown(runs)
    for suite in suites:
        parts += [
            "",
            f"## {suite}",
            "",
            markdown_table(
                [run["suites"].get(suite, {}) for run in runs],
                configs,
                [run.get("suites_ci", {}).get(suite, {}) for run in runs],
            ),
        ]
    misses = [(run["config"], item) for run in runs for item in run["items"] if is_miss(item)]
    if misses:
        parts += [
            "",
            "## Misses",
            "",
            "| config | suite | id | prediction | references |",
            "|---|---|---|---|---|",
        ]
        for config, item in misses:
            prediction = "(abstained)" if item["prediction"] is None else _md_cell(item["prediction"], 120)
            references = " / ".join(_md_cell(r, 60) for r in item["references"]) or "(unanswerable)"
            parts.append(f"| {config} | {item['suite']} | {item['id']} | {prediction} | {references} |")
    return "\n".join(parts) + "\n"


def _md_cell(text: str, limit: int) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_miss(item: ItemRecord) -> bool:
    """A QA item not answered exactly, or any item that states a number its source does not have."""
    scores = item["scores"]
    if scores.get("numbers_unsupported"):
        return True
    return item["kind"] == "qa" and scores.get("em", 1.0) < 1.0


# ----------------------------------------------------------------------------------------------- HTML
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #ddd;padding:6px;background:#fff}
.legend span{display:inline-block;margin-right:14px}.swatch{display:inline-block;width:12px;height:12px;
margin-right:4px;vertical-align:middle}.miss{background:#fde2e2}.ok{background:#e6f4e6}
.abstain{color:#666;font-style:italic}.refs li{margin:0 0 2px 0}.refs{margin:0;padding-left:16px}
.items{table-layout:fixed;width:100%}.items td{overflow-wrap:anywhere}
.items col.id{width:110px}.items col.q{width:18%}.items col.r{width:24%}
.scores{font-size:12px;color:#333}mark.gold{background:#fff1a8}mark.answer{background:#bfe3ff}
mark.gold.answer{background:#b9e8b0}details{font-size:12px;margin-top:4px}ol.passages{padding-left:18px}
.rank{color:#666}tr.changed td:first-child{border-left:4px solid #d9822b}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _short(name: str, value: float) -> str:
    """A bar's label: one decimal, so labels of neighbouring bars do not run into each other."""
    return f"{value:.2f}" if name in TIME_METRICS else f"{100 * value:.1f}"


def _chart(name: str, groups: Sequence[str], runs: Sequence[RunReport]) -> str:
    """An inline SVG bar chart of one metric: a group of bars per suite, one bar per config."""
    values = [
        [(run["metrics"] if group == "all" else run["suites"].get(group, {})).get(name) for run in runs]
        for group in groups
    ]
    is_time = name in TIME_METRICS
    top = max((v for row in values for v in row if v is not None), default=0.0) if is_time else 1.0
    top = top or 1.0
    bar, gap, height, label_h = (18 if len(runs) == 1 else 28), 10, 120, 34
    group_w = max(len(runs) * bar, 72)  # wide enough for the suite's name under it
    width = max(170, len(groups) * (group_w + gap) + gap)  # and for the title
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height + label_h + 22}" '
        f'role="img" aria-label="{_e(name)}">',
        f'<text x="4" y="14" font-size="13" font-weight="bold">{_e(name)}</text>',
    ]
    base = height + 20
    for g, (group, row) in enumerate(zip(groups, values, strict=True)):
        x0 = gap + g * (group_w + gap) + (group_w - len(runs) * bar) / 2
        for c, value in enumerate(row):
            x = x0 + c * bar
            if value is None:
                parts.append(f'<text x="{x + 4}" y="{base - 2}" font-size="10" fill="#999">–</text>')
                continue
            h = max(1.0, (value / top) * (height - 14))
            label = format_value(name, value)
            parts.append(
                f'<rect x="{x}" y="{base - h:.1f}" width="{bar - 2}" height="{h:.1f}" '
                f'fill="{COLOURS[c % len(COLOURS)]}">'
                f"<title>{_e(runs[c]['config'])}: {_e(label)}</title></rect>"
            )
            parts.append(
                f'<text x="{x + (bar - 2) / 2}" y="{base - h - 2:.1f}" font-size="8" text-anchor="middle">'
                f"{_e(_short(name, value))}</text>"
            )
        middle = gap + g * (group_w + gap) + group_w / 2
        parts.append(
            f'<text x="{middle}" y="{base + 14}" font-size="10" text-anchor="middle">{_e(group[:14])}</text>'
        )
    parts.append(f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#888"/>')
    parts.append("</svg>")
    return "".join(parts)


def _metrics_html(
    tables: Sequence[dict[str, Any]],
    configs: Sequence[str],
    cis: Sequence[dict[str, Sequence[float]]] | None = None,
) -> str:
    cis = cis or [{} for _ in tables]
    head = "".join(f"<th>{_e(c)}</th>" for c in configs)
    rows = []
    for name in _metric_names(tables):
        cells = "".join(
            f'<td class="num">{_e(with_interval(name, t.get(name), ci.get(name)))}</td>'
            for t, ci in zip(tables, cis, strict=True)
        )
        rows.append(f"<tr><th>{_e(name)}</th>{cells}</tr>")
    return f"<table><tr><th>metric</th>{head}</tr>{''.join(rows)}</table>"


def _types_html(runs: Sequence[RunReport]) -> str:
    """F1 by question type: a chart (one group per type) and its table with counts and intervals."""
    rows = question_type_rows(runs)
    if not rows:
        return ""
    as_runs = [
        {
            "config": run["config"],
            "metrics": {},
            "suites": {k: {"f1": v["f1"]} for k, v in run.get("question_types", {}).items()},
        }
        for run in runs
    ]
    kinds = [kind for kind, _, _ in rows]
    chart = _chart("f1", kinds, as_runs).replace('aria-label="f1"', 'aria-label="F1 by question type"')
    head = "".join(f"<th>{_e(run['config'])}</th>" for run in runs)
    body = "".join(
        f'<tr><th>{_e(kind)}</th><td class="num">{count}</td>'
        + "".join(f'<td class="num">{_e(cell)}</td>' for cell in cells)
        + "</tr>"
        for kind, count, cells in rows
    )
    table = f"<table><tr><th>type</th><th>items</th>{head}</tr>{body}</table>"
    return f'<h2>F1 by question type</h2><div class="charts">{chart}</div>{table}'


def _marked(text: str, offset: int, evidence: Sequence[int] | None, answer: str | None) -> str:
    """A passage, escaped, with the gold evidence (by offsets) and the predicted answer (by text) marked."""
    spans: list[tuple[int, int, str]] = []
    if evidence:
        start, end = max(0, evidence[0] - offset), min(len(text), evidence[1] - offset)
        if start < end:
            spans.append((start, end, "gold"))
    if answer:
        found = text.find(answer)
        if found >= 0:
            spans.append((found, found + len(answer), "answer"))
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    pieces = []
    for left, right in itertools.pairwise(cuts):
        classes = [css for s, e, css in spans if s <= left and right <= e]
        piece = _e(text[left:right])
        pieces.append(f'<mark class="{" ".join(classes)}">{piece}</mark>' if classes else piece)
    return "".join(pieces)


def _drill_down(item: ItemRecord) -> str:
    """The passages the reader was given, in rank order, with the evidence and the answer marked."""
    retrieved = [r for r in item.get("retrieved", []) if "text" in r]
    if not retrieved:
        return ""
    rows = []
    for rank, passage in enumerate(retrieved, start=1):
        body = _marked(passage["text"], passage["start"], item.get("evidence_span"), item.get("prediction"))
        rows.append(
            f'<li><span class="rank">#{rank} · {_e(passage["passage"])} · {passage["score"]:.3f}</span> '
            f"{body}</li>"
        )
    return f'<details><summary>passages</summary><ol class="passages">{"".join(rows)}</ol></details>'


def _changed(runs: Sequence[RunReport], suite: str) -> set[str]:
    """Ids whose prediction differs between the configs: shown first when configs are compared."""
    if len(runs) < 2:
        return set()
    by_config = [{i["id"]: i.get("prediction") for i in run["items"] if i["suite"] == suite} for run in runs]
    ids = set().union(*by_config)
    return {i for i in ids if len({repr(table.get(i)) for table in by_config}) > 1}


_ITEM_SCORES = ("em", "f1", "recall@5", "rr", "rouge1", "rouge2", "rougeL", "numbers_unsupported")


def _prediction_cell(item: ItemRecord | None) -> str:
    if item is None:
        return "<td>–</td>"
    drill = _drill_down(item)
    css = "miss" if is_miss(item) else "ok"
    prediction = item["prediction"]
    text = '<span class="abstain">(abstained)</span>' if prediction is None else _e(prediction)
    shown = [f"{k} {format_value(k, item['scores'][k])}" for k in _ITEM_SCORES if k in item["scores"]]
    shown = [s for s in shown if not s.endswith("–")]
    if item.get("seconds") is not None:
        shown.append(format_value("seconds", item["seconds"]))
    scores = f'<div class="scores">{_e(" · ".join(shown))}</div>'
    return f'<td class="{css}">{text}{scores}{drill}</td>'


def _items_html(runs: Sequence[RunReport], suite: str) -> str:
    by_config = [{i["id"]: i for i in run["items"] if i["suite"] == suite} for run in runs]
    ids = list(dict.fromkeys(i for table in by_config for i in table))
    changed = _changed(runs, suite)
    ids = [i for i in ids if i in changed] + [i for i in ids if i not in changed]
    head = "".join(f"<th>{_e(run['config'])}</th>" for run in runs)
    rows = []
    for item_id in ids:
        first = next(table[item_id] for table in by_config if item_id in table)
        references = "".join(f"<li>{_e(r)}</li>" for r in first["references"])
        references = (
            f'<ul class="refs">{references}</ul>' if references else '<span class="abstain">(none)</span>'
        )
        asked = f"<b>{_e(first['question'])}</b>" if first.get("question") else "summary"
        cells = "".join(_prediction_cell(table.get(item_id)) for table in by_config)
        mark = ' class="changed"' if item_id in changed else ""
        rows.append(f"<tr{mark}><td>{_e(item_id)}</td><td>{asked}</td><td>{references}</td>{cells}</tr>")
    return (
        '<table class="items"><colgroup><col class="id"><col class="q"><col class="r">'
        + "<col>" * len(runs)
        + "</colgroup>"
        + f"<tr><th>id</th><th>question</th><th>references</th>{head}</tr>"
        + f"{''.join(rows)}</table>"
    )


def render_html(runs: Sequence[RunReport], comparisons: Sequence[Comparison] = ()) -> str:
    configs = [run["config"] for run in runs]
    suites = list(dict.fromkeys(s for run in runs for s in run["suites"]))
    groups = [*suites, "all"] if len(suites) > 1 else suites
    present = {name for run in runs for name in run["metrics"]}
    charts = "".join(_chart(n, groups, runs) for n in (*SCORE_METRICS, "seconds_mean") if n in present)
    legend = "".join(
        f'<span><i class="swatch" style="background:{COLOURS[i % len(COLOURS)]}"></i>{_e(c)}</span>'
        for i, c in enumerate(configs)
    )
    body = [
        "<h1>vidoc eval report</h1>",
        f"<p>Suites: {_e(', '.join(suites))}. Scores ×100; <code>*_paper</code> ROUGE uses rouge_score's "
        "default tokenizer (drops Vietnamese letters), for comparison with published figures only. "
        "Red cells: a question not answered exactly, or a number the source does not contain.</p>",
        f'<p class="legend">{legend}</p>',
        f'<div class="charts">{charts}</div>',
        "<p>Brackets: 95% bootstrap interval over the items (percentile, seeded). Under each answer, "
        '<i>passages</i> opens what the reader was given: <mark class="gold">gold evidence</mark>, '
        '<mark class="answer">the answer</mark>.</p>',
    ]
    if comparisons:
        lines = "".join(f"<li>{_e(line)}</li>" for line in comparison_lines(comparisons))
        body += [f"<h2>Differences</h2><ul>{lines}</ul>"]
    if len(suites) > 1:
        body += [
            "<h2>All suites</h2>",
            _metrics_html(
                [run["metrics"] for run in runs], configs, [run.get("metrics_ci", {}) for run in runs]
            ),
        ]
    body.append(_types_html(runs))
    for suite in suites:
        body += [
            f"<h2>{_e(suite)}</h2>",
            _metrics_html(
                [run["suites"].get(suite, {}) for run in runs],
                configs,
                [run.get("suites_ci", {}).get(suite, {}) for run in runs],
            ),
            f"<h3>Items of {_e(suite)}</h3>",
            _items_html(runs, suite),
        ]
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        "<title>vidoc eval report</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def write_reports(
    out: Path, runs: Sequence[RunReport], comparisons: Sequence[Comparison] = ()
) -> dict[str, Path]:
    """Write report.json, report.md and report.html into ``out`` (each atomically)."""
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    report = build_report(runs, comparisons)
    write_atomic(paths["json"], json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    write_atomic(paths["md"], render_markdown(runs, comparisons))
    write_atomic(paths["html"], render_html(runs, comparisons))
    return paths
