"""``vidoc train reader`` on tiny random encoders: loss falls, a killed run resumes, the folder loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.squad_data import load_squad
from tests.conftest import run_cli


def test_squad_loader_moves_an_answer_off_by_a_character_and_drops_a_missing_one(tmp_path: Path) -> None:
    context = "Đảng bộ quận có 20.585 đảng viên, sinh hoạt tại 11 đảng bộ phường."
    data = {
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": "a",
                                "question": "bao nhiêu đảng viên?",
                                "answers": [{"text": "20.585", "answer_start": 17}],
                            },
                            {
                                "id": "b",
                                "question": "x?",
                                "answers": [{"text": "không có", "answer_start": 0}],
                            },
                            {"id": "c", "question": "y?", "answers": [], "is_impossible": True},
                        ],
                    }
                ],
            }
        ]
    }
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    examples, report = load_squad(path)
    assert [e.id for e in examples] == ["a", "c"]
    assert examples[0].answers == (("20.585", 16),)
    assert context[16:22] == "20.585"
    assert (report.moved, report.dropped, report.questions_without_answer, report.unanswerable) == (
        1,
        1,
        1,
        1,
    )
    assert not examples[1].answerable


def test_windows_hold_the_answer_tokens_and_negatives_point_at_cls(
    tiny_xlmr_qa_dir: Path, tiny_squad: Path
) -> None:
    from transformers import AutoTokenizer

    from models.qa_inputs import pair_template
    from models.reader_features import FeatureSettings, build_windows

    tokenizer = AutoTokenizer.from_pretrained(tiny_xlmr_qa_dir)
    examples, _ = load_squad(tiny_squad)
    windows, report = build_windows(
        examples,
        tokenizer,
        pair_template(tokenizer),
        False,
        FeatureSettings(max_length=48, negative_ratio=1.0),
    )
    assert report.answer == len(examples)
    assert sum(report.negatives.values()) > 0
    positives = [w for w in windows if w.kind == "answer"]
    for example, window in zip(examples, positives, strict=True):
        answer_ids = tokenizer.decode(list(window.ids[window.start : window.end + 1])).replace(" ", "")
        assert answer_ids == example.answers[0][0].replace(" ", "")
        assert len(window.ids) <= 48
    assert all(w.start == w.end == 0 for w in windows if w.kind != "answer")


@pytest.mark.parametrize("base_fixture", ["tiny_xlmr_qa_dir", "tiny_phobert_encoder_dir"])
def test_training_lowers_the_loss_resumes_after_a_kill_and_loads_as_a_reader(
    base_fixture: str, request: pytest.FixtureRequest, tiny_squad: Path, tmp_path: Path
) -> None:
    from models.phobert_reader import PhoBERTReader
    from models.reader_training import CHECKPOINT, TrainSettings, train_reader
    from pipeline.config import ReaderConfig
    from pipeline.protocols import ScoredPassage
    from pipeline.splitting import Passage

    base = request.getfixturevalue(base_fixture)
    examples, _ = load_squad(tiny_squad)
    out = tmp_path / "reader"
    settings = TrainSettings(
        epochs=12,
        batch_size=8,
        max_length=64,
        lr=3e-3,
        save_every=10,
        log_every=5,
        device="cpu",
        warmup=0.0,
        freeze_embeddings=False,  # a random tiny model has nothing to keep in its table
    )

    class Killed(Exception):
        pass

    def kill(_: Path) -> None:
        raise Killed

    with pytest.raises(Killed):
        train_reader(base, examples, out, settings, on_saved=kill)
    state = json.loads((out / CHECKPOINT / "trainer_state.json").read_text(encoding="utf-8"))
    assert state["step"] == 10
    summary = train_reader(base, examples, out, settings, resume=True)
    assert summary["step"] == summary["total_steps"] > 10
    losses = [loss for _, loss in summary["losses"]]
    assert losses[-1] < 0.5 * losses[0], losses
    assert not (out / CHECKPOINT).exists()
    assert list(out.glob("*.safetensors")) and not list(out.glob("*.bin"))

    reader = PhoBERTReader(ReaderConfig(kind="phobert", model=str(out), device="cpu"))
    example = examples[0]
    passage = Passage(0, 0, len(example.context), example.context, example.context, (), "t", "body")
    answer = reader.read(example.question, [ScoredPassage(passage, 1.0)])
    assert answer.citations or answer.text is None


def test_cli_refuses_to_overwrite_a_checkpoint_without_resume(tmp_path: Path, tiny_squad: Path) -> None:
    (tmp_path / "out" / "checkpoint").mkdir(parents=True)
    result = run_cli(
        "train", "reader", "--base", str(tmp_path), "--train", str(tiny_squad), "--out", str(tmp_path / "out")
    )
    assert result.returncode == 2
    assert "--resume" in result.stderr and "Traceback" not in result.stderr
