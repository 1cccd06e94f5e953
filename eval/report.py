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
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval import metrics

# Metrics shown in charts and tables, in this order; others (counts) are listed after them in tables.
SCORE_METRICS = (
    "rouge1",
    "rouge2",
    "rougeL",
    "rouge1_paper",
    "rouge2_paper",
    "rougeL_paper",
    "em",
    "f1",
    "HasAns_em",
    "HasAns_f1",
    "HasAns_answered",
    "NoAns_acc",
    "recall@1",
    "recall@3",
    "recall@5",
    "mrr",
    "number_faithfulness",
)
TIME_METRICS = ("seconds_mean", "seconds_p50", "seconds_max")
COUNT_METRICS = ("items", "summary_items", "qa_items")
ITEM_KEYS = ("question", "document", "evidence", "evidence_span", "retrieved", "citations", "source_numbers")
COLOURS = ("#3566a8", "#d9822b", "#3f8f4f", "#9b4d96", "#b33a3a")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it 0600; a report is an ordinary file
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _item(record: dict[str, Any]) -> dict[str, Any]:
    item = {
        "id": record["id"],
        "suite": record["suite"],
        "kind": record["kind"],
        "prediction": record["prediction"],
        "references": record["references"],
        "scores": record["scores"],
        "seconds": record.get("seconds"),
    }
    item.update({key: record[key] for key in ITEM_KEYS if key in record})
    return item


def build_run(config: str, suites: Sequence[str], records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One config's report object (the DESIGN.md contract plus a per-suite breakdown)."""
    present = [s for s in suites if any(r["suite"] == s for r in records)]
    return {
        "suite": ",".join(present),
        "config": config,
        "metrics": metrics.aggregate(records),
        "suites": {s: metrics.aggregate([r for r in records if r["suite"] == s]) for s in present},
        "items": [_item(r) for r in records],
    }


def build_report(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return dict(runs[0]) if len(runs) == 1 else {"runs": list(runs)}


def runs_of(report: dict[str, Any]) -> list[dict[str, Any]]:
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


def markdown_table(tables: Sequence[dict[str, Any]], configs: Sequence[str]) -> str:
    """Metrics as rows, configs side by side; scores ×100, times in seconds."""
    lines = ["| metric | " + " | ".join(configs) + " |", "|---|" + "---:|" * len(configs)]
    for name in _metric_names(tables):
        cells = [format_value(name, table.get(name)) for table in tables]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(runs: Sequence[dict[str, Any]]) -> str:
    configs = [run["config"] for run in runs]
    suites = list(dict.fromkeys(s for run in runs for s in run["suites"]))
    parts = [
        "# vidoc eval report",
        "",
        f"Suites: {', '.join(suites)}. Configs: {', '.join(configs)}.",
        "Scores ×100 (ROUGE F-measure at the syllable level; `*_paper` = rouge_score's default tokenizer, "
        "which drops Vietnamese letters: for comparison with published figures only).",
        "",
        "## All suites",
        "",
        markdown_table([run["metrics"] for run in runs], configs),
    ]
    for suite in suites:
        parts += [
            "",
            f"## {suite}",
            "",
            markdown_table([run["suites"].get(suite, {}) for run in runs], configs),
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


def is_miss(item: dict[str, Any]) -> bool:
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
.scores{font-size:12px;color:#333}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _short(name: str, value: float) -> str:
    """A bar's label: one decimal, so labels of neighbouring bars do not run into each other."""
    return f"{value:.2f}" if name in TIME_METRICS else f"{100 * value:.1f}"


def _chart(name: str, groups: Sequence[str], runs: Sequence[dict[str, Any]]) -> str:
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


def _metrics_html(tables: Sequence[dict[str, Any]], configs: Sequence[str]) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in configs)
    rows = []
    for name in _metric_names(tables):
        cells = "".join(f'<td class="num">{_e(format_value(name, t.get(name)))}</td>' for t in tables)
        rows.append(f"<tr><th>{_e(name)}</th>{cells}</tr>")
    return f"<table><tr><th>metric</th>{head}</tr>{''.join(rows)}</table>"


_ITEM_SCORES = ("em", "f1", "recall@5", "rr", "rouge1", "rouge2", "rougeL", "numbers_unsupported")


def _prediction_cell(item: dict[str, Any] | None) -> str:
    if item is None:
        return "<td>–</td>"
    css = "miss" if is_miss(item) else "ok"
    prediction = item["prediction"]
    text = '<span class="abstain">(abstained)</span>' if prediction is None else _e(prediction)
    shown = [f"{k} {format_value(k, item['scores'][k])}" for k in _ITEM_SCORES if k in item["scores"]]
    shown = [s for s in shown if not s.endswith("–")]
    if item.get("seconds") is not None:
        shown.append(format_value("seconds", item["seconds"]))
    return f'<td class="{css}">{text}<div class="scores">{_e(" · ".join(shown))}</div></td>'


def _items_html(runs: Sequence[dict[str, Any]], suite: str) -> str:
    by_config = [{i["id"]: i for i in run["items"] if i["suite"] == suite} for run in runs]
    ids = list(dict.fromkeys(i for table in by_config for i in table))
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
        rows.append(f"<tr><td>{_e(item_id)}</td><td>{asked}</td><td>{references}</td>{cells}</tr>")
    return (
        '<table class="items"><colgroup><col class="id"><col class="q"><col class="r">'
        + "<col>" * len(runs)
        + "</colgroup>"
        + f"<tr><th>id</th><th>question</th><th>references</th>{head}</tr>"
        + f"{''.join(rows)}</table>"
    )


def render_html(runs: Sequence[dict[str, Any]]) -> str:
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
    ]
    if len(suites) > 1:
        body += ["<h2>All suites</h2>", _metrics_html([run["metrics"] for run in runs], configs)]
    for suite in suites:
        body += [
            f"<h2>{_e(suite)}</h2>",
            _metrics_html([run["suites"].get(suite, {}) for run in runs], configs),
            f"<h3>Items of {_e(suite)}</h3>",
            _items_html(runs, suite),
        ]
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        "<title>vidoc eval report</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def write_reports(out: Path, runs: Sequence[dict[str, Any]]) -> dict[str, Path]:
    """Write report.json, report.md and report.html into ``out`` (each atomically)."""
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    write_atomic(paths["json"], json.dumps(build_report(runs), ensure_ascii=False, indent=2) + "\n")
    write_atomic(paths["md"], render_markdown(runs))
    write_atomic(paths["html"], render_html(runs))
    return paths
