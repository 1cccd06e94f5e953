"""CTranslate2 backend on a tiny random T5: agrees with transformers, int8 stays sane, converts once."""

from __future__ import annotations

import json
from pathlib import Path

from models.generation.ct2_backend import CT2Generator, converted_model
from models.generation.generator import GenerationOptions
from models.generation.seq2seq import TransformersGenerator
from tests.conftest import run_cli


def _inputs(seed_text: str) -> list[str]:
    lines = [line.strip() for line in seed_text.splitlines() if len(line.strip()) > 40]
    return ["vietnews: " + line + " </s>" for line in lines[:6]]


def _until_eos(ids: list[int], eos: int, pad: int) -> list[int]:
    """Generated ids without transformers' leading decoder start token, the EOS and padding."""
    ids = ids[1:] if ids and ids[0] == pad else ids
    return ids[: ids.index(eos)] if eos in ids else [i for i in ids if i != pad]


def test_float32_greedy_agrees_token_for_token(seed_text, tiny_t5_dir) -> None:
    options = GenerationOptions(num_beams=1, max_new_tokens=24, no_repeat_ngram_size=0, batch_size=3)
    hf = TransformersGenerator(str(tiny_t5_dir), "summariser", "cpu")
    ct2 = CT2Generator(str(tiny_t5_dir), "summariser", "cpu", compute_type="float32")
    texts = _inputs(seed_text)
    batch = hf.encode(texts, options.max_input_tokens)
    eos, pad = hf.tokenizer.eos_token_id, hf.tokenizer.pad_token_id
    expected = [_until_eos(ids, eos, pad) for ids in hf.generate_ids(batch, options)]
    got = [_until_eos(ids, eos, pad) for ids in ct2.generate_ids(batch, options)]
    assert got == expected
    assert any(len(ids) > 5 for ids in got)
    assert hf.generate(texts, options) == ct2.generate(texts, options)


def test_streaming_matches_the_whole_answer(seed_text, tiny_t5_dir) -> None:
    options = GenerationOptions(num_beams=1, max_new_tokens=16, no_repeat_ngram_size=3)
    text = _inputs(seed_text)[0]
    for generator in (
        TransformersGenerator(str(tiny_t5_dir), "reader", "cpu"),
        CT2Generator(str(tiny_t5_dir), "reader", "cpu", compute_type="float32"),
    ):
        pieces: list[str] = []
        streamed = generator.stream(text, options, pieces.append)
        assert len(pieces) > 1, generator.backend
        assert "".join(pieces).strip() == streamed == generator.generate([text], options)[0]


def test_int8_summary_is_sane_through_the_cli(tmp_path, seed_path, tiny_t5_no_eos_dir) -> None:
    config = tmp_path / "ct2.yaml"
    config.write_text(
        "summariser:\n  kind: vit5\n  backend: ctranslate2\n"
        f"  model: {tiny_t5_no_eos_dir}\n  max_new_tokens: 12\n  max_input_tokens: 256\n",
        encoding="utf-8",
    )
    home = {"VIDOC_HOME": str(tmp_path / "home")}
    result = run_cli("summarize", str(seed_path), "--config", str(config), "--json", env_extra=home)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Converting") == 1 and "(int8)" in result.stderr
    record = json.loads(result.stdout)
    assert record["model"] == str(tiny_t5_no_eos_dir)
    from transformers import AutoTokenizer

    tokens = AutoTokenizer.from_pretrained(str(tiny_t5_no_eos_dir))(
        record["summary"], add_special_tokens=False
    )
    assert 6 <= len(tokens["input_ids"]) <= 14  # no EOS: the final pass fills max_new_tokens
    assert "\ufffd" not in record["summary"] and record["summary"].isprintable()
    again = run_cli("summarize", str(seed_path), "--config", str(config), "--json", env_extra=home)
    assert again.returncode == 0 and "Converting" not in again.stderr
    assert json.loads(again.stdout)["summary"] == record["summary"]


def test_conversion_is_cached_and_keyed_by_content(tmp_path, tiny_t5_dir, capsys) -> None:
    first = converted_model(tiny_t5_dir, "int8")
    assert "Converting" in capsys.readouterr().err
    stamp = (first / "model.bin").stat().st_mtime_ns
    second = converted_model(tiny_t5_dir, "int8")
    assert second == first and (second / "model.bin").stat().st_mtime_ns == stamp
    assert "Converting" not in capsys.readouterr().err
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")], "no staging dirs left"
    assert converted_model(tiny_t5_dir, "float32") != first

    copy = tmp_path / "edited"
    copy.mkdir()
    for path in Path(tiny_t5_dir).iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    (copy / "generation_config.json").write_text('{"decoder_start_token_id": 0}', encoding="utf-8")
    assert converted_model(copy, "int8") != first
