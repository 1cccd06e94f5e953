"""``vidoc train reader`` on tiny random encoders: loss falls, a killed run resumes, the folder loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.training.squad_data import load_squad
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

    from models.inputs.qa_inputs import pair_template
    from models.training.reader_features import FeatureSettings, build_windows

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

    def passage(window):  # the ids after the question and its separators
        return window.ids[window.ids.index(2) + 2 :]

    by_question = {tuple(w.ids[1 : w.ids.index(2)]): e for e, w in zip(examples, positives, strict=True)}
    near_misses = [w for w in windows if w.kind.startswith("near-miss")]
    assert near_misses and all(tuple(w.ids[1 : w.ids.index(2)]) not in by_question for w in near_misses)
    answers = [e.answers[0][0].replace(" ", "") for e in examples]
    # an edited question is paired with its original's window: the answer is there, the question no
    # longer asks for it; every other negative never shows the answer
    for window in near_misses:
        shown = tokenizer.decode(list(passage(window))).replace(" ", "")
        assert any(answer in shown for answer in answers)
    for window in (w for w in windows if w.kind != "answer" and w not in near_misses):
        example = by_question[tuple(window.ids[1 : window.ids.index(2)])]
        shown = tokenizer.decode(list(window.ids)).replace(" ", "")
        assert example.answers[0][0].replace(" ", "") not in shown.split("</s></s>", 1)[1]


@pytest.mark.parametrize("base_fixture", ["tiny_xlmr_qa_dir", "tiny_phobert_encoder_dir"])
def test_training_lowers_the_loss_resumes_after_a_kill_and_loads_as_a_reader(
    base_fixture: str, request: pytest.FixtureRequest, tiny_squad: Path, tmp_path: Path
) -> None:
    from models.span_readers.phobert_reader import PhoBERTReader
    from models.training.reader_training import CHECKPOINT, TrainSettings, train_reader
    from pipeline.core.config import ReaderConfig
    from pipeline.core.protocols import ScoredPassage
    from pipeline.core.records import Passage

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
    other_batch = TrainSettings(**{**settings.__dict__, "batch_size": 4})  # the checkpoint's settings win
    summary = train_reader(base, examples, out, other_batch, resume=True)
    assert summary["step"] == summary["total_steps"] > 10 and summary["settings"]["batch_size"] == 8
    losses = [loss for _, loss in summary["losses"]]
    assert losses[-1] < 0.5 * losses[0], losses
    assert not (out / CHECKPOINT).exists()
    assert list(out.glob("*.safetensors")) and not list(out.glob("*.bin"))

    straight = train_reader(base, examples, tmp_path / "straight", settings)  # the same run, never killed
    assert straight["losses"] == summary["losses"]
    assert _weights(tmp_path / "straight") == pytest.approx(_weights(out), abs=1e-6)

    reader = PhoBERTReader(ReaderConfig(kind="phobert", model=str(out), device="cpu", threshold=-1e9))
    example = examples[0]
    passage = Passage(0, 0, len(example.context), example.context, example.context, (), "t", "body")
    answer = reader.read(example.question, [ScoredPassage(passage, 1.0)])
    cited = answer.citations[0]
    assert answer.text and example.context[cited.answer_start : cited.answer_end] == answer.text


def _weights(folder: Path) -> list[float]:
    """A few numbers from every tensor of a saved model, to compare two runs."""
    from safetensors.numpy import load_file

    tensors = load_file(str(next(folder.glob("*.safetensors"))))
    return [float(tensors[name].reshape(-1)[:8].sum()) for name in sorted(tensors)]


def test_a_resume_on_other_data_is_refused(tiny_xlmr_qa_dir: Path, tiny_squad: Path, tmp_path: Path) -> None:
    from models.training.reader_training import TrainSettings, train_reader
    from pipeline.core.errors import VidocError

    examples, _ = load_squad(tiny_squad)
    settings = TrainSettings(max_steps=4, batch_size=8, max_length=64, save_every=2, device="cpu")

    def kill(_: Path) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_reader(tiny_xlmr_qa_dir, examples, tmp_path / "r", settings, on_saved=kill)
    with pytest.raises(VidocError, match="other data"):
        train_reader(tiny_xlmr_qa_dir, examples[:20], tmp_path / "r", settings, resume=True)


def test_cli_refuses_to_overwrite_a_checkpoint_or_a_folder(tmp_path: Path, tiny_squad: Path) -> None:
    (tmp_path / "out" / "checkpoint").mkdir(parents=True)
    (tmp_path / "out" / "checkpoint" / "trainer_state.json").write_text("{}", encoding="utf-8")
    args = ("train", "reader", "--base", str(tmp_path), "--train", str(tiny_squad))
    result = run_cli(*args, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "--resume" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine", encoding="utf-8")
    result = run_cli(*args, "--out", str(tmp_path / "other"))
    assert result.returncode == 2 and "--force" in result.stderr and "Traceback" not in result.stderr
    bad_stride = run_cli(*args, "--out", str(tmp_path / "new"), "--stride", "200")
    assert bad_stride.returncode == 2 and "--stride" in bad_stride.stderr
    assert "Traceback" not in bad_stride.stderr and not (tmp_path / "new").exists()
