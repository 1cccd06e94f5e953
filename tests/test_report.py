"""Reports (JSON shape, Markdown, escaped self-contained HTML) and the harness with a fake QA path."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from eval import harness, report
from eval.scoring.metrics import locate_evidence
from eval.suites import QAItem, Suite
from pipeline.core.config import load_config
from pipeline.core.protocols import Answer, ScoredPassage
from pipeline.core.records import Document, Passage

SCRIPT = "<script>alert('x')</script>"
DOCUMENT = Document(f"Dân số là 20.585 người. {SCRIPT} Ngày 4/7/2017 họp.", "doc<1>.txt")


def _record(config: str, prediction: str | None, answers: list[str], item_id: str = "q1") -> dict:
    record = {
        "suite": "mini",
        "config": config,
        "id": item_id,
        "kind": "qa",
        "document": DOCUMENT.source,
        "question": f"Câu hỏi {SCRIPT}?",
        "prediction": prediction,
        "references": answers,
        "evidence": "20.585",
        "evidence_span": [10, 16],
        "retrieved": [{"passage": "p0", "start": 0, "end": 24, "score": 0.5}],
        "source_numbers": ["20.585", "4/7/2017"],
        "seconds": 0.25,
    }
    record["scores"] = harness.score_record(record)
    return record


def test_one_config_report_is_the_design_contract() -> None:
    run = report.build_run("default", ["mini"], [_record("default", "20.585", ["20.585"])])
    built = report.build_report([run])
    assert {"suite", "config", "metrics", "items"} <= set(built)
    (item,) = built["items"]
    assert {"id", "kind", "prediction", "references", "scores"} <= set(item)
    assert item["kind"] == "qa" and item["scores"]["em"] == 1.0 and built["metrics"]["em"] == 1.0


def test_several_configs_are_runs_of_the_same_shape_and_side_by_side() -> None:
    runs = [
        report.build_run("a", ["mini"], [_record("a", "20.585", ["20.585"])]),
        report.build_run("b", ["mini"], [_record("b", None, ["20.585"])]),
    ]
    built = report.build_report(runs)
    assert [r["config"] for r in built["runs"]] == ["a", "b"]
    assert report.runs_of(built) == runs
    table = report.markdown_table([r["metrics"] for r in runs], ["a", "b"])
    assert "| metric | a | b |" in table and "| em | 100.00 | 0.00 |" in table


def test_html_escapes_document_and_prediction_text_and_is_self_contained(tmp_path: Path) -> None:
    runs = [report.build_run(f"cfg{SCRIPT}", ["mini"], [_record(f"cfg{SCRIPT}", SCRIPT, [SCRIPT, "20.585"])])]
    paths = report.write_reports(tmp_path, runs)
    page = paths["html"].read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)  # no external assets
    assert "<svg" in page and 'class="miss"' not in page  # the prediction equals a reference
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["items"][0]["prediction"] == SCRIPT
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temporaries


def test_misses_are_highlighted() -> None:
    runs = [report.build_run("c", ["mini"], [_record("c", "1999", ["20.585"])])]
    page = report.render_html(runs)
    assert 'class="miss"' in page
    assert "## Misses" in report.render_markdown(runs)


# ------------------------------------------------------------------------------------ harness (fake QA)
@dataclass
class _Result:
    answer: Answer
    retrieved: list[ScoredPassage]
    seconds: float


class _FakeAnswerer:
    """Answers from a fixed table; raises on a question it was told to fail on (a 'killed' run)."""

    def __init__(self, answers: dict[str, str | None], fail_on: str | None, calls: list[str]) -> None:
        self.answers, self.fail_on, self.calls = answers, fail_on, calls

    def ask(self, question: str) -> _Result:
        if question == self.fail_on:
            raise KeyboardInterrupt
        self.calls.append(question)
        passage = Passage(0, 0, 24, DOCUMENT.text[:24], DOCUMENT.text[:24], (0,), DOCUMENT.source, "text")
        return _Result(Answer(self.answers[question], 0.9, (), "fake"), [ScoredPassage(passage, 0.5)], 0.01)


def _suite() -> Suite:
    items = [
        QAItem("q1", DOCUMENT, "Dân số?", ("20.585",), "20.585", (10, 16)),
        QAItem(
            "q2",
            DOCUMENT,
            "Ngày họp?",
            ("4/7/2017",),
            "Ngày 4/7/2017 họp",
            locate_evidence(DOCUMENT.text, "Ngày 4/7/2017 họp"),
        ),
        QAItem("q3", DOCUMENT, "Ai họp?", (), None, None),
    ]
    return Suite("mini", "mini.jsonl", tuple(items))


def test_a_killed_run_keeps_what_it_did_and_a_second_run_resumes(tmp_path: Path) -> None:
    answers = {"Dân số?": "20.585", "Ngày họp?": "4/7/2018", "Ai họp?": None}
    calls: list[str] = []
    runs = [harness.RunConfig("default", load_config(None))]

    def factory(fail_on: str | None):
        return lambda settings, documents: _FakeAnswerer(answers, fail_on, calls)

    with pytest.raises(KeyboardInterrupt):
        harness.run_suites(
            [_suite()], runs, tmp_path, answerer_factory=factory("Ai họp?"), show_progress=False
        )
    saved = harness.read_records(harness.items_path(tmp_path, "mini", "default"))
    assert [r["id"] for r in saved] == ["q1", "q2"]

    records = harness.run_suites(
        [_suite()], runs, tmp_path, answerer_factory=factory(None), show_progress=False
    )
    assert calls == ["Dân số?", "Ngày họp?", "Ai họp?"]  # q1, q2 were not asked again
    scores = {r["id"]: r["scores"] for r in records["default"]}
    assert scores["q1"]["em"] == 1.0 and scores["q2"]["em"] == 0.0 and scores["q3"]["em"] == 1.0
    assert scores["q2"]["numbers_unsupported"] == 1  # 4/7/2018 is not in the source
    assert scores["q1"]["recall@1"] == 1.0 and scores["q2"]["recall@5"] == 0.0


def test_a_resume_redoes_items_edited_under_the_same_id_and_runs_of_a_changed_config(tmp_path: Path) -> None:
    answers = {"Dân số?": "20.585", "Ngày họp?": "4/7/2017", "Ai họp?": None, "Dân số quận?": "20.585"}
    calls: list[str] = []
    factory = lambda settings, documents: _FakeAnswerer(answers, None, calls)  # noqa: E731
    runs = [harness.RunConfig("default", load_config(None))]
    harness.run_suites([_suite()], runs, tmp_path, answerer_factory=factory, show_progress=False)
    assert calls == ["Dân số?", "Ngày họp?", "Ai họp?"]

    _first, *rest = _suite().items
    edited = Suite(
        "mini", "mini.jsonl", (QAItem("q1", DOCUMENT, "Dân số quận?", ("20.585",), "20.585", (10, 16)), *rest)
    )
    calls.clear()
    records = harness.run_suites([edited], runs, tmp_path, answerer_factory=factory, show_progress=False)
    assert calls == ["Dân số quận?"]  # only the edited item runs again
    assert next(r["question"] for r in records["default"]) == "Dân số quận?"
    saved = harness.read_records(harness.items_path(tmp_path, "mini", "default"))
    assert sorted(r["id"] for r in saved) == ["q1", "q2", "q3"]  # the stale q1 is gone from the file
    assert "Dân số?" not in {r["question"] for r in saved}

    changed = [harness.RunConfig("default", load_config(None, {"retriever": {"top_k": 7}}))]
    calls.clear()
    harness.run_suites([edited], changed, tmp_path, answerer_factory=factory, show_progress=False)
    assert sorted(calls) == sorted(["Dân số quận?", "Ngày họp?", "Ai họp?"])  # same label, other config


def test_an_out_that_is_a_file_is_a_one_line_usage_error(tmp_path: Path) -> None:
    from pipeline.core.errors import VidocError

    out = tmp_path / "report.json"
    out.write_text("kept", encoding="utf-8")
    runs = [harness.RunConfig("default", load_config(None))]
    with pytest.raises(VidocError, match="is a file, not a folder"):
        harness.run_suites([_suite()], runs, out, answerer_factory=lambda s, d: None, show_progress=False)
    assert out.read_text(encoding="utf-8") == "kept"


def test_rescore_recomputes_from_saved_predictions_and_ignores_a_torn_last_line(tmp_path: Path) -> None:
    runs = [harness.RunConfig("default", load_config(None))]
    answers = {"Dân số?": "20.585", "Ngày họp?": "4/7/2017", "Ai họp?": None}
    harness.run_suites(
        [_suite()],
        runs,
        tmp_path,
        answerer_factory=lambda s, d: _FakeAnswerer(answers, None, []),
        show_progress=False,
    )
    path = harness.items_path(tmp_path, "mini", "default")
    lines = path.read_text(encoding="utf-8").splitlines()
    edited = json.loads(lines[0])
    edited["prediction"], edited["scores"] = "không biết", {"em": 1.0}  # a stale score must not survive
    path.write_text("\n".join([json.dumps(edited, ensure_ascii=False), *lines[1:]]) + '\n{"id": "q4", "sui')
    suites, by_config = harness.rescore(tmp_path)
    assert suites == ["mini"]
    rescored = {r["id"]: r["scores"] for r in by_config["default"]}
    assert set(rescored) == {"q1", "q2", "q3"}
    assert rescored["q1"]["em"] == 0.0 and rescored["q2"]["em"] == 1.0


def test_two_configs_run_side_by_side_into_one_report(tmp_path: Path) -> None:
    base = load_config(None)
    strict = base.model_copy(update={"name": "strict"})
    runs = [harness.RunConfig("default", base), harness.RunConfig("strict", strict)]
    by_config = {
        "default": {"Dân số?": "20.585", "Ngày họp?": "4/7/2017", "Ai họp?": None},
        "strict": {"Dân số?": None, "Ngày họp?": None, "Ai họp?": None},
    }

    def factory(settings, documents):
        return _FakeAnswerer(by_config[settings.name if settings.name == "strict" else "default"], None, [])

    records = harness.run_suites([_suite()], runs, tmp_path, answerer_factory=factory, show_progress=False)
    built = [report.build_run(label, ["mini"], rs) for label, rs in records.items()]
    paths = report.write_reports(tmp_path, built, report.compare_runs(built))
    saved = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert [(r["config"], r["metrics"]["em"]) for r in saved["runs"]] == [("default", 1.0), ("strict", 1 / 3)]
    markdown = paths["md"].read_text(encoding="utf-8")
    assert re.search(r"\| em \| 100\.00 \[100\.00, 100\.00\] \| 33\.33 \[0\.00, 100\.00\] \|", markdown)
    em = next(row for row in saved["comparisons"] if row["metric"] == "em")
    assert (em["a"], em["b"], em["n"], em["delta"]) == ("default", "strict", 3, -0.6667)
    assert em["ci"][0] <= em["delta"] <= em["ci"][1] and 0 <= em["p"] <= 1
    assert sorted(p.name for p in (tmp_path / "items").glob("*.jsonl")) == [
        "mini--default.jsonl",
        "mini--strict.jsonl",
    ]
