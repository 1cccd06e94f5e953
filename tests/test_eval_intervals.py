"""Eval you can trust: bootstrap intervals, paired comparisons, question types, the threshold sweep,
provenance, and SQuAD-layout data as a suite."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from eval import report
from eval.benchmarks import load_squad_suite
from eval.question_types import question_type
from eval.scoring import intervals
from eval.threshold_sweep import best, sweep
from pipeline.core.errors import VidocError


def _qa(item_id: str, f1: float, has_answer: bool = True, suite: str = "s") -> dict:
    scores = {"em": float(f1 == 1.0), "f1": f1, "has_answer": has_answer, "abstained": False}
    scores.update(numbers=0, numbers_unsupported=0)
    return {"suite": suite, "id": item_id, "kind": "qa", "scores": scores}


def test_an_interval_holds_the_mean_is_reproducible_and_narrows_with_more_items() -> None:
    rng = random.Random(0)
    small = [_qa(f"q{i}", rng.random()) for i in range(30)]
    large = [_qa(f"q{i}", rng.random()) for i in range(600)]
    ci_small = intervals.confidence_intervals(small)["f1"]
    mean = sum(i["scores"]["f1"] for i in small) / len(small)
    assert ci_small[0] < mean < ci_small[1]
    assert intervals.confidence_intervals(small) == intervals.confidence_intervals(small)  # seeded
    ci_large = intervals.confidence_intervals(large)["f1"]
    assert ci_large[1] - ci_large[0] < (ci_small[1] - ci_small[0]) / 2
    assert intervals.confidence_intervals([_qa("a", 1.0), _qa("b", 1.0)])["f1"] == [1.0, 1.0]
    assert intervals.confidence_intervals(small, resamples=0) == {}


def test_a_paired_comparison_finds_a_real_gain_and_no_gain_between_equal_runs() -> None:
    rng = random.Random(1)
    base = [_qa(f"q{i}", rng.choice((0.0, 0.5, 1.0))) for i in range(80)]
    better = [_qa(item["id"], min(1.0, item["scores"]["f1"] + 0.5)) for item in base]
    rows = intervals.paired_comparison("rules", base, "trained", better)
    f1 = next(row for row in rows if row["metric"] == "f1")
    assert f1["delta"] > 0.2 and f1["ci"][0] > 0 and f1["p"] < 0.01 and f1["n"] == 80
    assert intervals.sentence(f1).startswith("trained beats rules on f1 by ")
    same = next(row for row in intervals.paired_comparison("a", base, "b", base) if row["metric"] == "f1")
    assert same["delta"] == 0 and same["p"] == 1.0 and intervals.sentence(same) is None


def test_items_pair_by_suite_and_id_only() -> None:
    a = [_qa("q1", 1.0, suite="seed"), _qa("q2", 0.0, suite="seed")]
    b = [_qa("q1", 0.0, suite="other"), _qa("q2", 1.0, suite="seed")]
    (f1,) = [r for r in intervals.paired_comparison("a", a, "b", b) if r["metric"] == "f1"]
    assert f1["n"] == 1 and f1["delta"] == 1.0


@pytest.mark.parametrize(
    ("question", "answers", "expected"),
    [
        ("Đảng bộ quận có bao nhiêu đảng viên?", ["20.585"], "number"),
        ("Hội nghị sơ kết diễn ra vào năm nào?", ["2017"], "date"),
        ("Ai ký báo cáo thay mặt Ủy ban nhân dân tỉnh?", ["Lê Văn A"], "person"),
        ("Ngày hội được tổ chức ở đâu?", ["Nhà văn hoá"], "place"),
        ("Vì sao quận đạt được những kết quả đó?", ["Do ..."], "why/how"),
        ("Quận có tổ chức cơ sở Đảng yếu kém nào không?", ["Không"], "yes/no"),
        ("Đơn vị nào chủ trì nội dung khám sức khỏe?", ["Trạm y tế"], "phrase"),
        ("Đơn vị nào chủ trì nội dung khám sức khoẻ?", ["Trạm y tế"], "phrase"),  # oẻ, the old placement
        ("Bí thư Tỉnh ủy là ai?", [], "unanswerable"),
    ],
)
def test_question_types(question: str, answers: list[str], expected: str) -> None:
    assert question_type(question, answers) == expected


def test_the_report_breaks_f1_down_by_question_type_with_intervals() -> None:
    records = [
        {**_qa("n1", 1.0), "question": "Có bao nhiêu đảng viên?", "references": ["1"]},
        {**_qa("n2", 0.0), "question": "Có mấy phường?", "references": ["2"]},
        {**_qa("d1", 1.0), "question": "Họp ngày nào?", "references": ["4/7/2017"]},
    ]
    for record in records:
        record.update(prediction="x", seconds=0.1)
    run = report.build_run("default", ["s"], records, resamples=200)
    assert run["question_types"]["number"]["items"] == 2 and run["question_types"]["number"]["f1"] == 0.5
    assert run["question_types"]["date"]["f1_ci"] == [1.0, 1.0]
    assert run["metrics_ci"]["f1"][0] <= run["metrics"]["f1"] <= run["metrics_ci"]["f1"][1]
    assert run["bootstrap"] == {"resamples": 200, "seed": intervals.SEED, "level": 0.95}


def _scored(item_id: str, prediction: str | None, score: float | None, references: list[str]) -> dict:
    return {
        "kind": "qa",
        "id": item_id,
        "prediction": prediction,
        "answer_score": score,
        "references": references,
    }


def test_the_threshold_sweep_turns_low_scored_answers_into_abstentions() -> None:
    records = [
        _scored("a", "20.585", 9.0, ["20.585"]),
        _scored("b", "11", 7.0, ["11"]),
        _scored("c", "52", 2.0, []),  # a confident-looking wrong answer to an unanswerable question
        _scored("d", None, -3.0, []),
    ]
    rows = sweep(records)
    assert [r.threshold for r in rows] == [2.0, 7.0, 9.0]
    by_threshold = {r.threshold: r for r in rows}
    assert by_threshold[2.0].f1 == 0.75 and by_threshold[2.0].no_ans_acc == 0.5
    assert by_threshold[7.0].f1 == 1.0 and by_threshold[7.0].answered == 0.5
    assert by_threshold[9.0].has_ans_f1 == 0.5
    assert best(rows).threshold == 7.0
    assert sweep([_scored("x", None, None, [])]) == []


def test_provenance_names_the_config_by_content(tmp_path: Path) -> None:
    from eval.provenance import config_sha256, provenance
    from pipeline.core.config import load_config

    suite = tmp_path / "s.jsonl"
    suite.write_text("{}\n", encoding="utf-8")
    base = load_config(None)
    found = provenance(base, [("s", str(suite))])
    assert found["config"] == base.model_dump(mode="json") and found["config_sha256"] == config_sha256(base)
    other = load_config(None, {"retriever": {"top_k": 9}})
    assert config_sha256(other) != config_sha256(base)
    assert len(found["suites"]["s"]["sha256"]) == 64 and found["machine"]["cores"] >= 1
    assert found["date"].endswith("+00:00")
    if (Path(__file__).resolve().parent.parent / ".git").exists():
        assert len(found["git"]["commit"]) == 40


SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": "Thanh Xuân",
            "paragraphs": [
                {
                    "context": "Đảng bộ quận Thanh Xuân có 20.585 đảng viên, sinh hoạt tại 11 đảng bộ.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "Đảng bộ quận có bao nhiêu đảng viên?",
                            "answers": [{"text": "20.585", "answer_start": 27}],
                        },
                        {
                            "id": "q2",
                            "question": "Đảng bộ quận có bao nhiêu đảng viên nữ?",
                            "answers": [],
                            "plausible_answers": [{"text": "20.585", "answer_start": 27}],
                            "is_impossible": True,
                        },
                    ],
                }
            ],
        }
    ],
}


def test_squad_json_jsonl_and_a_saved_dataset_load_as_the_same_suite(tmp_path: Path) -> None:
    import datasets

    nested = tmp_path / "mine.json"
    nested.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    suite = load_squad_suite(nested)
    assert [(i.id, i.answers, i.evidence_span) for i in suite.items] == [
        ("q1", ("20.585",), (27, 33)),
        ("q2", (), None),
    ]
    rows = [
        {
            "id": qa["id"],
            "title": "Thanh Xuân",
            "context": SQUAD["data"][0]["paragraphs"][0]["context"],
            "question": qa["question"],
            "answers": {
                "text": [a["text"] for a in qa["answers"]],
                "answer_start": [a["answer_start"] for a in qa["answers"]],
            },
        }
        for qa in SQUAD["data"][0]["paragraphs"][0]["qas"]
    ]
    flat = tmp_path / "mine.jsonl"
    flat.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    folder = tmp_path / "saved"
    datasets.DatasetDict({"validation": datasets.Dataset.from_list(rows)}).save_to_disk(str(folder))
    for other in (load_squad_suite(flat), load_squad_suite(folder, "validation"), load_squad_suite(folder)):
        assert [(i.id, i.answers, i.evidence_span) for i in other.items] == [
            (i.id, i.answers, i.evidence_span) for i in suite.items
        ]
    with pytest.raises(VidocError, match="no split 'test'"):
        load_squad_suite(folder, "test")
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": [{"paragraphs": [{"qas": [{"id": "x"}]}]}]}', encoding="utf-8")
    with pytest.raises(VidocError, match="not SQuAD-layout data"):
        load_squad_suite(broken)
    broken.write_text('{"data": [{"paragraphs": [{"context": "x", "qas": []}]}]}', encoding="utf-8")
    with pytest.raises(VidocError, match="no questions in it"):
        load_squad_suite(broken)


def test_the_html_drill_down_marks_evidence_and_answer_and_escapes_the_passage() -> None:
    text = "Dân số là 20.585 người. <script>alert(1)</script>"
    record = {
        "suite": "s",
        "id": "q1",
        "kind": "qa",
        "question": "Dân số?",
        "prediction": "20.585",
        "references": ["20.585"],
        "evidence_span": [110, 133],
        "retrieved": [{"passage": "p3", "start": 100, "end": 100 + len(text), "score": 0.5, "text": text}],
        "scores": {**_qa("q1", 1.0)["scores"], "numbers": 1},
        "seconds": 0.1,
    }
    other = {**record, "id": "q0", "prediction": None}
    runs = [
        report.build_run("a", ["s"], [other, record], resamples=0),
        report.build_run("b", ["s"], [{**other, "prediction": "x"}, record], resamples=0),
    ]
    html = report.render_html(runs)
    assert '<mark class="gold answer">20.585</mark>' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert html.index('<tr class="changed"><td>q0</td>') < html.index("<td>q1</td>")  # changed first
