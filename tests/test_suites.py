"""Suite loading: typed items, document resolution, evidence location, broken suites, benchmark adapters."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from eval import benchmarks
from eval.suite_catalogue import find_suite
from eval.suites import QAItem, SummaryItem, load_suite
from pipeline.core.errors import VidocError

DOC = "Báo cáo.\n\nThủy điện Hòa Bình phát điện năm 1988. Công suất 1.920 MW.\n"


def _write_suite(folder: Path, rows: list[dict | str]) -> Path:
    path = folder / "mini.jsonl"
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(document: str = "doc.txt") -> list[dict]:
    return [
        {
            "id": "s1",
            "kind": "summary",
            "document": document,
            "references": ["Thủy điện phát điện năm 1988."],
        },
        {
            "id": "q1",
            "kind": "qa",
            "document": document,
            "question": "Thủy điện Hòa Bình phát điện năm nào?",
            "answers": ["1988", "năm 1988"],
            "evidence": "thuỷ điện hoà bình phát điện năm 1988",
        },
        {
            "id": "q2",
            "kind": "qa",
            "document": document,
            "question": "Ai xây?",
            "answers": [],
            "evidence": None,
        },
    ]


def test_loads_typed_items_and_locates_evidence_in_an_nfd_document(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", DOC)
    (tmp_path / "doc.txt").write_text(nfd, encoding="utf-8")
    suite = load_suite(_write_suite(tmp_path, _rows()))
    assert suite.name == "mini"
    summary, answerable, unanswerable = suite.items
    assert isinstance(summary, SummaryItem) and summary.references == ("Thủy điện phát điện năm 1988.",)
    assert isinstance(answerable, QAItem) and answerable.answers == ("1988", "năm 1988")
    start, end = answerable.evidence_span
    assert unicodedata.normalize("NFC", nfd[start:end]) == "Thủy điện Hòa Bình phát điện năm 1988"
    assert unanswerable.answers == () and unanswerable.evidence_span is None
    assert len(suite.documents()) == 1  # loaded once, shared by the items


def test_documents_resolve_relative_to_the_repo_root(tmp_path: Path) -> None:
    suite = load_suite(
        _write_suite(
            tmp_path,
            [
                {
                    "id": "s",
                    "kind": "summary",
                    "document": "examples/000_f1aaaf303130fff8.txt",
                    "references": ["x"],
                }
            ],
        )
    )
    assert suite.items[0].document.text.startswith("Việt Nam")


@pytest.mark.parametrize(
    ("broken", "line", "says"),
    [
        ('{"id": "x", "kind": ', 2, "not valid JSON"),
        ({"id": "x", "kind": "essay", "document": "doc.txt"}, 2, "kind"),
        ({"id": "x", "kind": "summary", "document": "doc.txt", "references": []}, 2, "references"),
        ({"id": "x", "kind": "qa", "document": "doc.txt", "question": "?", "answers": ["a"]}, 2, "evidence"),
        ({"id": "x", "kind": "qa", "document": "doc.txt", "question": "?", "answers": []}, 2, "answers"),
        ({"id": "s1", "kind": "summary", "document": "doc.txt", "references": ["r"]}, 2, "duplicate id"),
        ({"id": "x", "kind": "summary", "document": "nowhere.txt", "references": ["r"]}, 2, "not found"),
        ({"id": "x", "kind": "summary", "document": "doc.txt", "references": ["r"], "extra": 1}, 2, "extra"),
        (
            {
                "id": "x",
                "kind": "qa",
                "document": "doc.txt",
                "question": "?",
                "answers": ["a"],
                "evidence": "không có",
            },
            2,
            "evidence of 'x' is not in",
        ),
    ],
)
def test_a_broken_suite_names_file_and_line_with_exit_code_2(
    tmp_path: Path, broken: dict | str, line: int, says: str
) -> None:
    (tmp_path / "doc.txt").write_text(DOC, encoding="utf-8")
    path = _write_suite(tmp_path, [_rows()[0], broken])
    if says == "answers":  # an unanswerable item without evidence: null is fine; without answers it is not
        path = _write_suite(tmp_path, [_rows()[0], {k: v for k, v in broken.items() if k != "answers"}])
    with pytest.raises(VidocError) as raised:
        load_suite(path)
    assert raised.value.exit_code == 2
    assert f"{path}:{line}:" in raised.value.message
    assert says in raised.value.message


def test_unknown_suite_name_lists_the_choices() -> None:
    with pytest.raises(VidocError) as raised:
        find_suite("no-such-suite")
    assert "viquad2" in str(raised.value)


def test_benchmarks_skip_cleanly_when_their_folder_is_absent(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("VIDOC_BENCHMARKS", str(tmp_path / "absent"))
    with pytest.raises(benchmarks.BenchmarkUnavailable) as raised:
        find_suite("viquad2")
    assert "skipping viquad2" in raised.value.message


def test_benchmark_adapters_read_their_formats(tmp_path: Path, monkeypatch) -> None:
    context = "Paris là thủ đô của Pháp. Dân số khoảng 2,1 triệu người."
    viquad = [
        # the source has a few off-by-one answer starts: the adapter finds the span next to it
        {"id": "a", "title": "Paris", "context": context, "question": "Thủ đô của Pháp?",
         "answers": {"text": ["Paris"], "answer_start": [1]}, "is_impossible": False},
        {"id": "b", "title": "Paris", "context": context, "question": "Diện tích?",
         "answers": {"text": [], "answer_start": []}, "is_impossible": True},
    ]  # fmt: skip
    answer = {"text": "2,1 triệu", "answer_start": context.index("2,1")}
    qas = [{"id": "z", "question": "Dân số?", "answers": [answer, answer]}]
    zalo = {"data": [{"title": "", "paragraphs": [{"context": context, "qas": qas}]}]}
    news = {"id": "n1", "title": "T", "summary": "Tóm tắt.", "text": "Bài báo dài."}
    (tmp_path / "viquad2_dev_sample.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in viquad), encoding="utf-8"
    )
    (tmp_path / "zalo_wiki_test.json").write_text(json.dumps(zalo, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "vietnews_test_sample.jsonl").write_text(
        json.dumps(news, ensure_ascii=False), encoding="utf-8"
    )
    monkeypatch.setenv("VIDOC_BENCHMARKS", str(tmp_path))

    first, second = find_suite("viquad2").items
    assert first.answers == ("Paris",) and first.evidence_span == (0, 5)
    assert second.answers == () and second.evidence_span is None
    assert first.document is second.document  # one document per distinct context
    (only,) = find_suite("zalo").items
    assert only.answers == ("2,1 triệu",) and context[slice(*only.evidence_span)] == "2,1 triệu"
    (summary,) = find_suite("vietnews").items
    assert summary.references == ("Tóm tắt.",) and summary.document.text == "Bài báo dài."


def test_a_home_that_cannot_be_written_does_not_break_a_good_suite(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    from pipeline.core import appdirs

    monkeypatch.setattr(appdirs, "_warned", set())
    home = tmp_path / "home-is-a-file"
    home.write_text("", encoding="utf-8")
    monkeypatch.setenv("VIDOC_HOME", str(home))
    (tmp_path / "doc.txt").write_text(DOC, encoding="utf-8")
    suite = load_suite(_write_suite(tmp_path, _rows()))
    assert len(suite.items) == 3
    (warning,) = capsys.readouterr().err.strip().splitlines()
    assert "Not a directory" in warning and "Going on without the datasets cache" in warning
