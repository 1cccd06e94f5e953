"""ViT5 reader on a tiny random T5: CLI contract, abstention on unsupported text, spans, streaming."""

from __future__ import annotations

import json
from pathlib import Path

from models.generation.answer_check import check_answer, find_span
from models.generation.vit5_reader import ViT5Reader
from pipeline.core.config import load_config
from pipeline.core.protocols import ScoredPassage
from pipeline.core.records import Document
from pipeline.text.cleaning import clean
from pipeline.text.splitting import split
from tests.conftest import run_cli

QUESTION = "Nghị quyết số 15-NQ/TU ban hành ngày nào?"


def _reader(model_dir: Path, **settings: object) -> ViT5Reader:
    config = load_config(overrides={"reader": {"kind": "vit5", "model": str(model_dir), **settings}})
    return ViT5Reader(config.reader)


def _passages(seed_text: str, needle: str) -> list[ScoredPassage]:
    document = split(clean(Document(seed_text, "seed")))
    first = next(p for p in document.passages if needle in p.text)
    others = [p for p in document.passages if p is not first][:2]
    return [ScoredPassage(first, 0.9), *(ScoredPassage(p, 0.5) for p in others)]


def _ask(tmp_path: Path, seed_path: Path, model_dir: Path, *extra: str) -> dict:
    config = tmp_path / "reader.yaml"
    lines = ["reader:", "  kind: vit5", f"  model: {model_dir}", "  max_new_tokens: 10", *extra]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("ask", str(seed_path), QUESTION, "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Loading weights" not in result.stderr
    return json.loads(result.stdout)


def test_ask_cli_answers_with_cited_passages(tmp_path, seed_path, seed_text, tiny_t5_dir) -> None:
    record = _ask(tmp_path, seed_path, tiny_t5_dir, "  threshold: 0.0")
    assert record["model"] == str(tiny_t5_dir)
    assert isinstance(record["answer"], str) and record["answer"]
    assert 1 <= len(record["citations"]) <= 3
    for citation in record["citations"]:
        assert seed_text[citation["start"] : citation["end"]] == citation["text"]


def test_random_model_text_is_not_supported_so_it_abstains(tmp_path, seed_path, tiny_t5_dir) -> None:
    record = _ask(tmp_path, seed_path, tiny_t5_dir)
    assert record["answer"] is None
    assert record["score"] < 0.5


def test_supported_answer_gets_its_span_in_the_original_text(seed_text, tiny_t5_dir) -> None:
    reader = _reader(tiny_t5_dir)
    passages = _passages(seed_text, "ngày 4/7/2017")
    answer = reader.judge("ngày 4/7/2017", passages)
    assert answer.text == "ngày 4/7/2017" and answer.score == 1.0
    first = answer.citations[0]
    assert first.passage == passages[0].passage.id
    assert seed_text[first.answer_start : first.answer_end] == "ngày 4/7/2017"
    assert {c.passage for c in answer.citations} == {p.passage.id for p in passages}
    assert not reader.generator.loaded, "judging loads no model"


def test_unsupported_numbers_and_names_lower_the_score(seed_text, tiny_t5_dir) -> None:
    reader = _reader(tiny_t5_dir)
    passages = _passages(seed_text, "ngày 4/7/2017")
    assert reader.judge("ngày 5/7/2017", passages).text is None  # a date the passages do not give
    context = [seed_text[seed_text.index("Tham dự hội nghị") :][:200]]
    named = check_answer("Trưởng ban Vũ Đức Bảo", context)
    invented = check_answer("Trưởng ban Nguyễn Văn Tèo", context)
    assert named.score > 0.9 and not named.unsupported_names
    assert invented.score < 0.5 and "Tèo" in invented.unsupported_names
    assert check_answer("20.585 người", ["có 20.585 đảng viên, 20 người"]).unsupported_numbers == ()
    assert check_answer("20 người", ["có 20.585 đảng viên"]).unsupported_numbers == ("20",)
    assert find_span("VŨ ĐỨC BẢO", "Tham dự có Vũ Đức Bảo.") == (11, 21)
    assert find_span("Nguyễn", "Tham dự có Vũ Đức Bảo.") is None


def test_streaming_pieces_make_the_answer(seed_text, tiny_t5_dir) -> None:
    reader = _reader(tiny_t5_dir, threshold=0.0, max_new_tokens=12)
    passages = _passages(seed_text, "ngày 4/7/2017")
    pieces: list[str] = []
    streamed = reader.read_streaming(QUESTION, passages, pieces.append)
    assert len(pieces) > 1
    assert "".join(pieces).strip() == streamed.text == reader.read(QUESTION, passages).text


def test_ctranslate2_reader_agrees_in_float32(seed_text, tiny_t5_dir) -> None:
    passages = _passages(seed_text, "ngày 4/7/2017")
    hf = _reader(tiny_t5_dir, threshold=0.0).read(QUESTION, passages)
    assert hf.text  # threshold 0: the reader answers, so the comparison is between two generations
    ct2 = _reader(tiny_t5_dir, threshold=0.0, backend="ctranslate2")
    ct2.generator.compute_type = "float32"
    assert ct2.read(QUESTION, passages).text == hf.text
