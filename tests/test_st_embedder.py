"""The sentence-transformers embedder: vectors, what each model is given, limits, loading and the CLI."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from models.embedders.sentence_transformers_embedder import uses_e5_prefixes
from models.factory import build_embedder
from pipeline.core.config import load_config
from pipeline.core.errors import VidocError
from tests.conftest import run_cli

QUESTION = "Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?"


def _embedder(model: Path | str, **settings):
    return build_embedder(
        load_config(
            overrides={"embedder": {"kind": "sentence-transformers", "model": str(model), **settings}}
        )
    )


@pytest.fixture(scope="module")
def embedder(tiny_st_dir: Path):
    return _embedder(tiny_st_dir)


def test_vectors_are_normalised_float32(embedder, tiny_st_dir) -> None:
    passages = embedder.embed_passages(["Đảng bộ quận Thanh Xuân có 20.585 đảng viên.", "Hội nghị sơ kết."])
    queries = embedder.embed_queries([QUESTION])
    assert passages.dtype == np.float32 and passages.shape == (2, 32) and queries.shape == (1, 32)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_passages([]).shape == (0, 32)
    assert embedder.model_id == str(tiny_st_dir.resolve())


def test_phobert_bi_encoders_get_segmented_text_without_prefixes(embedder) -> None:
    assert embedder.prepare(["Đảng bộ quận Thanh Xuân, 15-NQ/TU"], is_query=True) == [
        "Đảng_bộ quận Thanh_Xuân , 15 - NQ / TU"
    ]
    assert embedder.prepare(["Giữ gìn hoà bình"], is_query=False) == ["Giữ_gìn hòa_bình"]


def test_e5_models_get_query_and_passage_prefixes(tiny_st_dir, tmp_path) -> None:
    e5_named = tmp_path / "multilingual-e5-tiny"
    e5_named.symlink_to(tiny_st_dir, target_is_directory=True)
    embedder = _embedder(e5_named)
    assert embedder.prepare(["Hội nghị"], is_query=True) == ["query: Hội_nghị"]
    assert embedder.prepare(["Hội nghị"], is_query=False) == ["passage: Hội_nghị"]
    query, passage = embedder.embed_queries(["Hội nghị"])[0], embedder.embed_passages(["Hội nghị"])[0]
    assert not np.allclose(query, passage)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("intfloat/multilingual-e5-small", True),
        ("multilingual-e5-small", True),
        ("/models/e5-base-v2", True),
        ("bkai-foundation-models/vietnamese-bi-encoder", False),
        ("vinai/phobert-base-v2", False),
        ("/models/e50-thing", False),
    ],
)
def test_e5_detection(name, expected) -> None:
    assert uses_e5_prefixes(name) is expected


def test_sequence_length_is_capped_by_the_position_table(tiny_st_dir, tmp_path) -> None:
    copy = tmp_path / "long-claims"
    shutil.copytree(tiny_st_dir, copy)
    config_path = copy / "sentence_bert_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["max_seq_length"] = 1000
    config_path.write_text(json.dumps(config), encoding="utf-8")
    embedder = _embedder(copy)
    long_text = " ".join(["Đảng bộ quận Thanh Xuân có 20.585 đảng viên."] * 80)
    assert embedder.embed_passages([long_text]).shape == (1, 32)  # 258 positions: more would crash
    assert embedder._loaded.model.max_seq_length == 256


def test_loading_is_lazy_and_once(tiny_st_dir) -> None:
    embedder = _embedder(tiny_st_dir)
    assert "_loaded" not in vars(embedder)
    embedder.embed_queries(["Ai chủ trì?"])
    loaded = vars(embedder)["_loaded"]
    embedder.embed_passages(["Hội nghị."])
    assert vars(embedder)["_loaded"] is loaded


def test_warm_up_loads_the_model_before_any_text(tiny_st_dir) -> None:
    embedder = _embedder(tiny_st_dir)
    embedder.warm_up()
    assert "_loaded" in vars(embedder)


def test_device_auto_is_cuda_when_present(embedder) -> None:
    import torch

    embedder.embed_queries(["Ai chủ trì?"])
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert embedder._loaded.model.device.type == expected
    if not torch.cuda.is_available():
        with pytest.raises(VidocError, match="no CUDA GPU"):
            _embedder(embedder.model_id, device="cuda:0").embed_queries(["Ai chủ trì?"])


def test_a_plain_transformers_encoder_folder_works(tiny_phobert_encoder_dir) -> None:
    vectors = _embedder(tiny_phobert_encoder_dir).embed_passages(["Hội nghị sơ kết."])
    assert vectors.shape == (1, 32)  # sentence-transformers adds mean pooling


def test_missing_models_are_plain_errors(tmp_path) -> None:
    with pytest.raises(VidocError, match="does not exist"):
        _embedder(f"{tmp_path}/nothing-here")
    lazy = _embedder("someone/no-such-bi-encoder")  # nothing is looked up before the first text
    with pytest.raises(VidocError, match="vidoc models pull someone/no-such-bi-encoder"):
        lazy.embed_queries(["câu hỏi"])


def _write_config(folder: Path, body: dict) -> Path:
    path = folder / "partial.yaml"
    path.write_text(json.dumps(body), encoding="utf-8")  # JSON is YAML
    return path


def test_cli_ask_with_the_st_embedder(tiny_st_dir, tiny_phobert_qa_dir, seed_path, tmp_path) -> None:
    """Dense retrieval on the bi-encoder's vectors, read by the PhoBERT reader (which always answers
    with threshold -1e9, so the citations are there to check whatever the random vectors retrieve)."""
    config = _write_config(
        tmp_path,
        {
            "embedder": {"kind": "sentence-transformers", "model": str(tiny_st_dir)},
            "retriever": {"mode": "dense", "top_k": 3},
            "reader": {"kind": "phobert", "model": str(tiny_phobert_qa_dir), "threshold": -1e9},
        },
    )
    result = run_cli("ask", str(seed_path), QUESTION, "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert record["model"] == str(tiny_phobert_qa_dir) and len(record["citations"]) == 3
    text = seed_path.read_text(encoding="utf-8")
    for citation in record["citations"]:
        assert text[citation["start"] : citation["end"]] == citation["text"]
    cited = record["citations"][0]
    assert text[cited["answer_start"] : cited["answer_end"]] == record["answer"]


def test_cli_summarize_with_embedding_centrality(tiny_st_dir, seed_path, tmp_path) -> None:
    config = _write_config(
        tmp_path,
        {
            "summariser": {"centrality": "embedding", "max_words": 60},
            "embedder": {"kind": "sentence-transformers", "model": str(tiny_st_dir)},
        },
    )
    result = run_cli("summarize", str(seed_path), "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["model"] == f"extractive/embedding:{tiny_st_dir}"
    text = seed_path.read_text(encoding="utf-8")
    assert record["summary"] and all(text[s["start"] : s["end"]] == s["text"] for s in record["sentences"])


def test_the_st_embedder_preset_names_the_bi_encoder() -> None:
    from models.loading.locate import parse_model

    config = load_config("st-embedder")
    assert config.embedder.kind == "sentence-transformers"
    assert parse_model(config.embedder.model).word_segmented is True  # PhoBERT-based: segmented input
    embedder = build_embedder(config)  # nothing loads yet: the model may not be on this machine
    assert embedder.model_id == "bkai-foundation-models/vietnamese-bi-encoder@main"


def test_a_missing_models_extra_is_a_plain_error(monkeypatch) -> None:
    from models.loading.extras import require_models_extra

    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import now raises ImportError
    with pytest.raises(VidocError, match="needs sentence_transformers, which is not installed"):
        require_models_extra("embedder", "sentence-transformers", ("torch", "sentence_transformers"))


def test_models_list_names_the_default_sentence_transformers_model(tmp_path) -> None:
    from pipeline.commands.models import _configured_models

    config = _write_config(tmp_path, {"embedder": {"kind": "sentence-transformers"}})
    assert _configured_models(str(config))["embedder.model"] == "multilingual-e5-small"
    assert build_embedder(load_config(str(config))).model_id == "intfloat/multilingual-e5-small@main"
