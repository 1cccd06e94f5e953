"""ViT5 summariser on a tiny random T5: CLI contract, map-reduce over long input, lazy loading, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.config import load_config
from pipeline.core.records import Document
from pipeline.text.cleaning import clean
from pipeline.text.splitting import split
from tests.conftest import run_cli


def _config_file(tmp_path: Path, section: str, **settings: object) -> Path:
    lines = [f"{section}:"] + [f"  {key}: {value}" for key, value in settings.items()]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _summariser(model_dir: Path, **settings: object):
    from models.generation.vit5_summariser import ViT5Summariser

    config = load_config(overrides={"summariser": {"kind": "vit5", "model": str(model_dir), **settings}})
    return ViT5Summariser(config.summariser)


def test_summarize_cli_names_the_model_directory(tmp_path, seed_path, tiny_t5_dir) -> None:
    config = _config_file(tmp_path, "summariser", kind="vit5", model=tiny_t5_dir, max_new_tokens=12)
    result = run_cli("summarize", str(seed_path), "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    assert record["model"] == str(tiny_t5_dir)
    assert record["source"] == str(seed_path)
    assert isinstance(record["summary"], str) and record["summary"].strip()
    assert "sentences" not in record  # offsets are for extractive summaries only
    assert "Loading weights" not in result.stderr


def test_constructing_loads_nothing(tiny_t5_dir) -> None:
    summariser = _summariser(tiny_t5_dir)
    assert summariser.model_id == str(tiny_t5_dir)
    assert not summariser.generator.loaded
    assert summariser.generator._tokenizer is None


def test_warm_up_loads_the_tokenizer_and_the_weights_once(tiny_t5_dir) -> None:
    summariser = _summariser(tiny_t5_dir)
    summariser.warm_up()
    assert summariser.generator.loaded and summariser.generator._tokenizer is not None
    model = summariser.generator.model
    summariser.warm_up()
    assert summariser.generator.model is model


def test_map_reduce_keeps_every_sentence_and_fits_the_limit(seed_text, tiny_t5_no_eos_dir) -> None:
    limit = 64
    summariser = _summariser(tiny_t5_no_eos_dir, max_input_tokens=limit, max_new_tokens=10, num_beams=1)
    document = split(clean(Document(seed_text, "seed")))
    tokenizer = summariser.generator.tokenizer
    whole = summariser.generator.count_tokens(" ".join(s.text for s in document.sentences))
    assert whole > 8 * limit, "the document must be several times the input limit"

    chunks = summariser.document_chunks(document)
    assert len(chunks) > 8
    covered = [piece.sentence for chunk in chunks for piece in chunk.pieces]
    assert sorted(set(covered)) == list(range(len(document.sentences)))
    assert covered == sorted(covered), "chunks keep document order"
    for sentence in document.sentences:  # pieces rejoin to the sentence: no text dropped
        pieces = [p for chunk in chunks for p in chunk.pieces if p.sentence == sentence.index]
        assert "".join(p.text for p in pieces).replace(" ", "") == sentence.text.replace(" ", "")
        for piece in pieces:
            assert seed_text[piece.start : piece.end] == piece.text
    for chunk in chunks:
        ids = tokenizer("vietnews: " + chunk.text + " </s>")["input_ids"]
        assert len(ids) <= limit

    calls: list[int] = []
    generate = summariser.generator.generate

    def counting(texts, options):
        calls.append(len(texts))
        return generate(texts, options)

    summariser.generator.generate = counting
    (summary,) = summariser.summarise([document])
    assert calls[0] == len(chunks) and len(calls) >= 3 and calls[-1] == 1, calls
    assert 0 < len(tokenizer(summary.text, add_special_tokens=False)["input_ids"]) <= 12
    assert summary.model == str(tiny_t5_no_eos_dir)


def test_a_sentence_longer_than_the_limit_is_cut_not_dropped(tiny_t5_dir) -> None:
    summariser = _summariser(tiny_t5_dir, max_input_tokens=32)
    sentence = "Đảng bộ quận Hoàn Kiếm có 20.585 đảng viên, sinh hoạt tại 98 tổ chức cơ sở đảng " * 6
    chunks = summariser.chunks([(sentence.strip(), 100)])
    assert len(chunks) > 2
    pieces = [piece for chunk in chunks for piece in chunk.pieces]
    assert " ".join(piece.text for piece in pieces).split() == sentence.split()
    assert all(piece.tokens <= summariser.budget for piece in pieces)
    assert pieces[0].start == 100


def test_several_documents_in_one_call(seed_text, tiny_t5_dir) -> None:
    summariser = _summariser(tiny_t5_dir, max_new_tokens=6, num_beams=1, batch_size=2)
    documents = [
        split(clean(Document(text, name))) for name, text in [("a", seed_text), ("b", seed_text[:400])]
    ]
    summaries = summariser.summarise(documents)
    assert len(summaries) == 2
    assert all(summary.text and summary.model == str(tiny_t5_dir) for summary in summaries)


@pytest.mark.parametrize("model", ["/no/such/vit5", "VietAI/vit5-base-vietnews-summarization", "vit5-base"])
def test_missing_model_is_one_line_error(tmp_path, seed_path, model) -> None:
    config = _config_file(tmp_path, "summariser", kind="vit5", model=model)
    result = run_cli(
        "summarize",
        str(seed_path),
        "--config",
        str(config),
        env_extra={"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2 and "summariser" in lines[0], result.stderr
