"""The PhoBERT reader: token offsets without a fast tokenizer, windows, abstention, loading and the CLI."""

from __future__ import annotations

import itertools
import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from models.inputs.phobert_alignment import align_tokens, piece_text
from models.inputs.qa_windows import best_span, window_bounds
from models.inputs.word_segmentation import segment, wants_segmentation
from pipeline.core.config import load_config
from pipeline.core.errors import VidocError
from pipeline.core.protocols import ScoredPassage
from pipeline.core.records import Document, Passage
from pipeline.core.textnorm import normalize
from pipeline.flow.qa import QuestionAnswerer
from tests.conftest import run_cli, run_fresh_python

QUESTION = "Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?"
MIXED = (
    "Chiều 6/9, Quận ủy Thanh Xuân sơ kết Nghị quyết số 15-NQ/TU ngày 4/7/2017 và Chỉ thị số 15-CT/TU "
    "ngày 16-12-2016; Đảng bộ có 20.585 đảng viên (tăng 3,5%)! Hoà bình, hòa hợp, thuỷ lợi, thủy sản."
)
TEXTS = {
    "nfc": MIXED,
    "nfd": unicodedata.normalize("NFD", MIXED),
    "unknown characters": "Giá 5 € hoặc 7 ß — “Hà Nội”   và\nThanh Xuân",
}


def _skeleton(text: str) -> str:
    """Letters without tone or vowel marks, spaces and ``_`` dropped, lower case: what a token spells
    whatever the normalisation (NFD, or the tone mark moved between ``o`` and ``a`` of ``hoà``)."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return stripped.replace("_", "").replace(" ", "").replace("đ", "d").replace("Đ", "D").casefold()


@pytest.fixture(scope="module")
def tokenizer(tiny_phobert_qa_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_phobert_qa_dir, local_files_only=True)


def _phobert_config(model: Path, **reader):
    return load_config(overrides={"reader": {"kind": "phobert", "model": str(model), **reader}})


# --- token alignment -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TEXTS))
def test_every_token_slices_back_to_its_text(tokenizer, name) -> None:
    text = TEXTS[name]
    tokens = align_tokens(tokenizer, text, by_words=True)
    assert type(tokenizer).__name__ == "PhobertTokenizer" and not tokenizer.is_fast
    previous_end = 0
    for piece, (start, end) in zip(tokens.pieces, tokens.spans, strict=True):
        assert previous_end <= start <= end <= len(text)
        assert _skeleton(text[start:end]) == _skeleton(piece_text(piece)), (piece, text[start:end])
        previous_end = end
    covered = {i for start, end in tokens.spans for i in range(start, end)}
    assert all(i in covered for i, c in enumerate(text) if not c.isspace())


def test_nfc_tokens_match_exactly_once_normalised(tokenizer) -> None:
    text = "Quận ủy hòa giải 15-NQ/TU ngày 4/7/2017, có 20.585 đảng viên."
    tokens = align_tokens(tokenizer, text, by_words=True)
    for piece, (start, end) in zip(tokens.pieces, tokens.spans, strict=True):
        expected = piece_text(piece).strip("_").replace("_", " ")
        assert normalize(text[start:end]) == normalize(expected)


def test_unknown_tokens_keep_their_offsets(tokenizer) -> None:
    text = TEXTS["unknown characters"]
    tokens = align_tokens(tokenizer, text, by_words=True)
    unknown = [
        text[s:e] for i, (s, e) in zip(tokens.ids, tokens.spans, strict=True) if i == tokenizer.unk_token_id
    ]
    assert "€" in unknown and "ß" in unknown


def test_segmentation_splits_codes_and_joins_words() -> None:
    text = normalize("Nghị quyết số 15-NQ/TU của Đảng bộ quận   Thanh Xuân")
    words = segment(text)
    assert [w.form for w in words] == [
        "Nghị_quyết",
        "số",
        "15",
        "-",
        "NQ",
        "/",
        "TU",
        "của",
        "Đảng_bộ",
        "quận",
        "Thanh_Xuân",
    ]
    assert all(text[w.start : w.end].replace(" ", "_").replace("___", "_") == w.form for w in words)
    assert [w.form for w in segment(text, by_words=False)][:4] == ["Nghị", "quyết", "số", "15-NQ/TU"]


def test_the_model_reads_underthesea_spelling_with_original_offsets() -> None:
    text = normalize(unicodedata.normalize("NFD", "Thủy lợi hoà giải"))
    words = segment(text)
    assert next(w.form for w in words) == "Thủy_lợi"  # underthesea's (and PhoBERT's corpus') tone placement
    assert all(len(w.form) == len(w.origin) for w in words)


def test_segmentation_follows_config_then_preset_then_tokenizer(tokenizer) -> None:
    assert wants_segmentation(False, "vinai/phobert-base-v2", tokenizer) is False
    assert wants_segmentation("auto", "phobert-base-v2", object()) is True
    assert wants_segmentation("auto", "xlm-roberta-squad2", tokenizer) is False
    assert wants_segmentation("auto", "/some/fine-tuned-dir", tokenizer) is True
    assert wants_segmentation("auto", "/some/xlmr-dir", object()) is False


# --- windows and spans ---------------------------------------------------------------------------


def test_windows_cover_a_long_passage_with_overlap() -> None:
    bounds = window_bounds(600, 200, 64)
    assert bounds[0] == (0, 200) and bounds[-1][1] == 600
    assert all(end - start <= 200 for start, end in bounds)
    assert all(b[0] == a[1] - 64 for a, b in itertools.pairwise(bounds))
    assert window_bounds(50, 200, 64) == [(0, 50)]


def test_best_span_is_ordered_bounded_and_allowed() -> None:
    starts = np.array([9.0, 0.0, 1.0, 5.0, 0.0])
    ends = np.array([9.0, 4.0, 0.0, 0.0, 3.0])
    span = best_span(starts, ends, 1, 4, max_tokens=10)
    assert (span.start, span.end, span.score) == (3, 4, 8.0)  # position 0 (<s>) is outside the context
    span = best_span(starts, ends, 1, 4, max_tokens=1)
    assert (span.start, span.end, span.score) == (3, 3, 5.0)  # length 1: the best single token
    allowed = np.ones((4, 4), dtype=bool)
    allowed[2, 3] = False  # (3, 4) in input positions covers no text
    span = best_span(starts, ends, 1, 4, 10, allowed)
    assert (span.start, span.end) == (3, 3)


# --- the reader ----------------------------------------------------------------------------------


def _answerer(config, seed_text: str) -> QuestionAnswerer:
    qa = QuestionAnswerer(config)
    qa.add([Document(seed_text, "seed.txt")])
    return qa


def test_reader_answers_with_a_slice_of_the_original(tiny_phobert_qa_dir, seed_text) -> None:
    qa = _answerer(_phobert_config(tiny_phobert_qa_dir, threshold=-1e9), seed_text)
    result = qa.ask(QUESTION)
    answer = result.answer
    assert answer.text and answer.model == str(tiny_phobert_qa_dir)
    cited = answer.citations[0]
    assert seed_text[cited.answer_start : cited.answer_end] == answer.text
    assert seed_text[cited.start : cited.end] == cited.text
    assert cited.start <= cited.answer_start < cited.answer_end <= cited.end
    read = [p.passage.id for p in result.retrieved][:3]  # reader.passages: the top three are read
    assert {c.passage for c in answer.citations} == set(read)


def test_reader_abstains_when_no_span_beats_no_answer_by_the_threshold(
    tiny_phobert_qa_dir, seed_text
) -> None:
    qa = _answerer(_phobert_config(tiny_phobert_qa_dir, threshold=1e9), seed_text)
    answer = qa.ask(QUESTION).answer
    assert answer.text is None and answer.citations == ()
    assert answer.score < 1e9  # the margin it had, below the threshold


def _long_passage(text: str) -> ScoredPassage:
    return ScoredPassage(Passage(0, 0, len(text), text, normalize(text), (0,), "long.txt", "body"), 1.0)


def test_long_passage_is_read_in_overlapping_windows(tiny_phobert_qa_dir, seed_text, monkeypatch) -> None:
    """Logits that point at a span near the end of a ~1,000-token passage: the span is found in a late
    window and its text is sliced from the original."""
    from models.factory import build_reader

    reader = build_reader(_phobert_config(tiny_phobert_qa_dir, stride=32, threshold=0.0))
    tokens = align_tokens(reader.backend.tokenizer, seed_text, by_words=True)
    assert len(tokens) > 3 * 256
    question_ids = reader._question_ids(QUESTION)
    windows = reader._windows(question_ids, [tokens])
    assert len(windows) > 3 and all(len(w.ids) <= 256 for w in windows)
    assert all(b.first == a.last - 32 for a, b in itertools.pairwise(windows))
    assert windows[-1].last == len(tokens)
    target = (len(tokens) - 12, len(tokens) - 9)

    def fake_logits(given):
        assert given == [w.ids for w in windows]
        out = []
        for window in windows:
            starts, ends = np.zeros(len(window.ids)), np.zeros(len(window.ids))
            if window.first <= target[0] and target[1] < window.last:
                starts[window.offset + target[0] - window.first] = 10.0
                ends[window.offset + target[1] - window.first] = 10.0
            out.append((starts, ends))
        return out

    monkeypatch.setattr(reader.backend, "logits", fake_logits)
    answer = reader.read(QUESTION, [_long_passage(seed_text)])
    expected = seed_text[tokens.spans[target[0]][0] : tokens.spans[target[1]][1]]
    assert answer.text == expected and answer.score == 20.0
    assert (answer.citations[0].answer_start, answer.citations[0].answer_end) == (
        tokens.spans[target[0]][0],
        tokens.spans[target[1]][1],
    )


def test_long_passage_through_the_model(tiny_phobert_qa_dir, seed_text) -> None:
    from models.factory import build_reader

    reader = build_reader(_phobert_config(tiny_phobert_qa_dir, threshold=-1e9, max_answer_tokens=8))
    answer = reader.read(QUESTION, [_long_passage(seed_text)])
    cited = answer.citations[0]
    assert answer.text == seed_text[cited.answer_start : cited.answer_end] and answer.text.strip()


def test_loading_is_lazy_and_happens_once(tiny_phobert_qa_dir, seed_text) -> None:
    from models.factory import build_reader

    reader = build_reader(_phobert_config(tiny_phobert_qa_dir))
    assert "backend" not in vars(reader)
    reader.read(QUESTION, [_long_passage(seed_text[:300])])
    loaded = vars(reader)["backend"]
    reader.read("Ai chủ trì hội nghị?", [_long_passage(seed_text[:300])])
    assert vars(reader)["backend"] is loaded


def test_building_the_reader_imports_no_torch(tiny_phobert_qa_dir) -> None:
    settings = {"reader": {"kind": "phobert", "model": str(tiny_phobert_qa_dir)}}
    code = (
        "import sys\n"
        "from models.factory import build_reader\n"
        "from pipeline.core.config import load_config\n"
        f"reader = build_reader(load_config(overrides={settings!r}))\n"
        "print(reader.model_id, 'torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    assert run_fresh_python(code, timeout=120).split() == [str(tiny_phobert_qa_dir), "False", "False"]


def test_a_checkpoint_without_qa_head_is_refused(tiny_phobert_encoder_dir) -> None:
    from models.factory import build_reader

    reader = build_reader(_phobert_config(tiny_phobert_encoder_dir))
    with pytest.raises(VidocError, match="no question-answering head"):
        reader.read(QUESTION, [_long_passage("Đảng bộ có 20.585 đảng viên.")])


def test_phobert_reader_needs_a_model() -> None:
    from models.factory import build_reader

    with pytest.raises(VidocError, match="needs a question-answering checkpoint"):
        build_reader(load_config(overrides={"reader": {"kind": "phobert"}}))


def test_config_checks_windows_and_segmentation() -> None:
    with pytest.raises(VidocError, match=r"reader\.stride.*half of max_length"):
        load_config(overrides={"reader": {"max_length": 128, "stride": 64}})
    with pytest.raises(VidocError, match=r"reader\.word_segmented.*true, false or auto"):
        load_config(overrides={"reader": {"word_segmented": "maybe"}})


# --- through the CLI -----------------------------------------------------------------------------


def _write_config(folder: Path, body: dict) -> Path:
    path = folder / "partial.yaml"
    path.write_text(json.dumps(body), encoding="utf-8")  # JSON is YAML
    return path


def test_cli_ask_with_the_phobert_reader(tiny_phobert_qa_dir, seed_path, tmp_path) -> None:
    config = _write_config(
        tmp_path, {"reader": {"kind": "phobert", "model": str(tiny_phobert_qa_dir), "threshold": -1e9}}
    )
    result = run_cli(
        "ask", str(seed_path), QUESTION, "Ai chủ trì hội nghị?", "--config", str(config), "--json"
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    text = seed_path.read_text(encoding="utf-8")
    assert [r["question"] for r in records] == [QUESTION, "Ai chủ trì hội nghị?"]
    for record in records:
        assert record["model"] == str(tiny_phobert_qa_dir)
        cited = record["citations"][0]
        assert text[cited["answer_start"] : cited["answer_end"]] == record["answer"]


def test_cli_missing_model_dir_is_one_plain_error(seed_path, tmp_path) -> None:
    config = _write_config(tmp_path, {"reader": {"kind": "phobert", "model": "./no-such-model-dir"}})
    result = run_cli("ask", str(seed_path), QUESTION, "--config", str(config))
    assert result.returncode != 0
    assert "model directory ./no-such-model-dir does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2


def test_a_hub_model_not_on_this_machine_says_how_to_get_it() -> None:
    from models.factory import build_reader

    reader = build_reader(load_config(overrides={"reader": {"kind": "phobert", "model": "someone/not-here"}}))
    with pytest.raises(VidocError, match="vidoc models pull someone/not-here"):
        reader.read(QUESTION, [_long_passage("Đảng bộ có 20.585 đảng viên.")])


def test_the_phobert_preset_points_at_a_fine_tuned_folder() -> None:
    from models.factory import build_reader

    config = load_config("phobert")
    assert config.reader.kind == "phobert" and config.reader.max_length == 256
    with pytest.raises(VidocError, match=r"model directory \./models/phobert-base-v2-viquad2 does not exist"):
        build_reader(config)


def test_an_xlmr_reader_uses_the_fast_tokenizer_offsets(tiny_xlmr_qa_dir, seed_text) -> None:
    """The xlm-roberta-squad2 path: no segmentation, offsets from the tokenizer, NFD text still sliced."""
    from models.factory import build_reader

    reader = build_reader(_phobert_config(tiny_xlmr_qa_dir, threshold=-1e9, max_length=128, stride=16))
    text = unicodedata.normalize("NFD", seed_text[:1500])
    answer = reader.read(QUESTION, [_long_passage(text)])
    loaded = reader.backend
    assert loaded.tokenizer.is_fast and not loaded.by_words and loaded.max_length == 128
    assert len(reader._windows(reader._question_ids(QUESTION), [reader._passage_tokens(text)])) > 1
    cited = answer.citations[0]
    assert answer.text and text[cited.answer_start : cited.answer_end] == answer.text
    tokens = reader._passage_tokens(text)
    for piece, (start, end) in zip(tokens.pieces, tokens.spans, strict=True):
        if piece != loaded.tokenizer.unk_token:
            assert _skeleton(text[start:end]) == _skeleton(piece_text(piece))


# --- ready QA checkpoints: presets, configs, pytorch_model.bin -----------------------------------------


def test_qa_presets_say_their_licence_and_how_their_weights_load() -> None:
    from models.loading.locate import parse_model, pull_patterns
    from models.loading.registry import PRESETS

    assert PRESETS["vi-mrc-base"].hub_id == "nguyenvulebinh/vi-mrc-base"
    assert PRESETS["vi-mrc-large"].hub_id == "nguyenvulebinh/vi-mrc-large"
    for name in ("vi-mrc-base", "vi-mrc-large"):
        assert PRESETS[name].licence == "CC-BY-NC-4.0" and "Non-commercial" in PRESETS[name].note
        assert "pytorch_model.bin" in pull_patterns(parse_model(name))
    assert "pytorch_model.bin" not in pull_patterns(parse_model("xlm-roberta-squad2"))
    assert not any(pattern.endswith(".py") for pattern in pull_patterns(parse_model("vi-mrc-base")))
    for config_name, model in (("xlmr-squad2", "xlm-roberta-squad2"), ("vi-mrc", "vi-mrc-base")):
        config = load_config(config_name)
        assert config.reader.kind == "phobert" and config.reader.model == model
        assert PRESETS[model].task == "extractive-qa"


def _as_pickled_folder(source: Path, target: Path) -> Path:
    """A checkpoint the way vi-mrc-base is published: config, tokenizer and pytorch_model.bin only."""
    import shutil

    import torch
    from safetensors.torch import load_file

    shutil.copytree(source, target)
    for weights in target.glob("*.safetensors"):
        torch.save(load_file(weights), target / "pytorch_model.bin")
        weights.unlink()
    return target


def test_a_pytorch_model_bin_checkpoint_is_read_as_plain_tensors(
    tiny_xlmr_qa_dir, seed_text, tmp_path
) -> None:
    from models.factory import build_reader

    pickled = _as_pickled_folder(tiny_xlmr_qa_dir, tmp_path / "vi-mrc-like")
    settings = {"max_length": 128, "stride": 16, "threshold": -1e9}
    ours = build_reader(_phobert_config(pickled, **settings)).read(QUESTION, [_long_passage(seed_text[:800])])
    reference = build_reader(_phobert_config(tiny_xlmr_qa_dir, **settings))
    expected = reference.read(QUESTION, [_long_passage(seed_text[:800])])
    assert ours.text == expected.text and ours.score == pytest.approx(expected.score, abs=1e-4)


class _Payload:
    """Anything that is not a tensor: an unpickler that allowed it could also be made to run code."""


def test_a_pickle_holding_objects_is_refused(tiny_xlmr_qa_dir, tmp_path) -> None:
    import torch

    from models.factory import build_reader

    pickled = _as_pickled_folder(tiny_xlmr_qa_dir, tmp_path / "hostile")
    torch.save({"weight": _Payload()}, pickled / "pytorch_model.bin")
    reader = build_reader(_phobert_config(pickled))
    with pytest.raises(VidocError, match="not a plain tensor state dict"):
        reader.read(QUESTION, [_long_passage("Đảng bộ có 20.585 đảng viên.")])
