"""The learned extractive summariser: oracle labels, features, the JSON scorer, training and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval.scoring.oracle import greedy_oracle
from eval.summary_validation import lead_summary, score_systems
from models.summarisers.extractive_summariser import ExtractiveSummariser, candidate_sentences
from models.summarisers.sentence_features import FEATURES, sentence_features, title_of
from models.summarisers.sentence_scorer import SHIPPED, SentenceScorer, load_scorer
from models.training.summariser_training import Article, SummariserTrainSettings, fit_scorer, load_articles
from pipeline.core.config import Config, load_config
from pipeline.core.errors import VidocError
from pipeline.core.records import Document
from pipeline.flow.summarise import prepare
from tests.conftest import run_cli

TITLE = "Đảng bộ quận Thanh Xuân tổ chức Đại hội lần thứ XXIII"
BODY = [
    "Sáng 4/7/2017, Đảng bộ quận Thanh Xuân khai mạc Đại hội đại biểu lần thứ XXIII với 300 đại biểu.",
    "Trời hôm đó nắng nhẹ và nhiều người dân đi làm sớm trên các tuyến phố của quận.",
    "Đảng bộ quận hiện có 52 tổ chức cơ sở đảng với 20.585 đảng viên sinh hoạt thường xuyên.",
    "Một quán cà phê ven đường mở nhạc khá to suốt buổi chiều hôm ấy ở gần chợ.",
    "Đại hội đã bầu Ban Chấp hành Đảng bộ quận khoá mới gồm 45 đồng chí có đủ năng lực.",
]
ABSTRACT = (
    "Đảng bộ quận Thanh Xuân khai mạc Đại hội lần thứ XXIII, có 52 tổ chức cơ sở đảng và 20.585 đảng viên."
)


def _article(number: int) -> Article:
    rotated = BODY[number % 2 :] + BODY[: number % 2]
    return Article(str(number), TITLE, "\n\n".join(rotated), ABSTRACT)


def test_oracle_takes_the_sentences_that_raise_rouge_and_stops() -> None:
    chosen = greedy_oracle(BODY, ABSTRACT)
    assert chosen[0] in (0, 2)
    assert set(chosen) <= {0, 2, 4}  # the weather and the café never help
    assert 1 not in chosen and 3 not in chosen


def test_oracle_keeps_the_word_budget() -> None:
    lengths = [len(sentence.split()) for sentence in BODY]
    chosen = greedy_oracle(BODY, ABSTRACT, max_words=25, lengths=lengths)
    assert sum(lengths[i] for i in chosen) <= 25
    assert chosen


def test_oracle_matches_vietnamese_letters_not_ascii_fragments() -> None:
    # an ASCII tokenizer would see "ng b" in both; syllables tell them apart
    assert greedy_oracle(["Đảng bộ họp.", "Đông bộ họp."], "Đảng bộ") == [0]


def _document(with_title: bool = True):
    return prepare(_article(0).document(with_title), Config())


def test_features_have_one_column_each_and_see_the_title() -> None:
    document = _document()
    candidates = candidate_sentences(document)
    title = title_of(document.sentences, candidates[0])
    assert title is not None and title.text == TITLE
    features = sentence_features(candidates, title)
    assert features.shape == (len(candidates), len(FEATURES))
    column = dict(zip(FEATURES, features.T, strict=True))
    assert column["has_title"].all()
    assert column["title_cosine"][0] > column["title_cosine"][1]  # the opening shares the title's words
    assert column["first_sentence"].tolist() == [1.0] + [0.0] * (len(candidates) - 1)
    assert column["has_number"][2] == 1.0


def test_features_without_a_title() -> None:
    document = _document(with_title=False)
    candidates = candidate_sentences(document)
    assert title_of(document.sentences, candidates[0]) is None
    column = dict(zip(FEATURES, sentence_features(candidates, None).T, strict=True))
    assert not column["has_title"].any() and not column["title_cosine"].any()


def _fitted(hidden: int) -> SentenceScorer:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(4000, len(FEATURES)))
    labels = (features[:, 0] + 0.5 * features[:, 6] > 0).astype(int)
    return fit_scorer(features, labels, hidden, seed=1)


@pytest.mark.parametrize("hidden", [0, 8])
def test_scorer_round_trips_through_json_and_learns(hidden: int) -> None:
    scorer = _fitted(hidden)
    again = SentenceScorer.from_json(json.loads(json.dumps(scorer.to_json())))
    probe = np.random.default_rng(1).normal(size=(50, len(FEATURES)))
    np.testing.assert_allclose(again.score(probe), scorer.score(probe))
    truth = probe[:, 0] + 0.5 * probe[:, 6] > 0
    assert ((again.score(probe) > 0.5) == truth).mean() > 0.8


def test_scorer_with_other_features_is_refused(tmp_path: Path) -> None:
    data = _fitted(0).to_json()
    data["features"] = [*FEATURES[:-1], "something_else"]
    (tmp_path / "scorer.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(VidocError, match="not the ones this vidoc computes"):
        load_scorer(tmp_path)
    (tmp_path / "scorer.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(VidocError, match="not a usable sentence scorer"):
        load_scorer(tmp_path)
    with pytest.raises(VidocError, match="no sentence scorer there"):
        load_scorer(tmp_path / "missing")


def test_shipped_scorer_summarises_the_seed_in_document_order(seed_path, seed_text) -> None:
    assert SHIPPED.is_file() and SHIPPED.stat().st_size < 100_000
    config = load_config(overrides={"summariser": {"scoring": "learned"}})
    summariser = ExtractiveSummariser(config.summariser, None)
    before = Document(seed_text, str(seed_path))
    summary = summariser.summarise_one(prepare(before, config))
    assert summary.model == "extractive/learned"
    assert 0 < len(summary.text.split()) <= config.summariser.max_words + 10
    starts = [sentence.start for sentence in summary.sentences]
    assert starts == sorted(starts)
    for sentence in summary.sentences:
        assert seed_text[sentence.start : sentence.end] == sentence.text
    assert before.text == seed_text


def test_lead_and_scores_side_by_side() -> None:
    articles = [_article(n) for n in range(3)]
    assert lead_summary(_document(), 25) == BODY[0]
    scores = score_systems(articles, 40)
    for system in ("lead", "centrality", "learned", "oracle"):
        assert len(scores.values[system]["rouge1"]) == 3
    assert scores.mean("oracle", "rouge1") >= scores.mean("lead", "rouge1")


def test_load_articles_names_a_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "x", "summary": "y"}) + "\n{broken\n", encoding="utf-8")
    with pytest.raises(VidocError, match=r"articles.jsonl:2"):
        load_articles(path)


def test_train_summariser_command_writes_a_scorer_that_summarize_uses(tmp_path: Path, seed_path) -> None:
    data = tmp_path / "articles.jsonl"
    rows = [_article(n) for n in range(30)]
    data.write_text(
        "".join(json.dumps(row.__dict__, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    out = tmp_path / "scorer"
    result = run_cli(
        "train", "summariser", "--train", str(data), "--eval", str(data), "--eval-limit", "5",
        "--hidden", "4", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "60 words, ROUGE-1/2 F: lead" in result.stderr
    saved = json.loads((out / "scorer.json").read_text(encoding="utf-8"))
    assert saved["training"]["articles"] == 30
    assert saved["training"]["settings"] == SummariserTrainSettings(hidden=4).__dict__
    again = run_cli("train", "summariser", "--train", str(data), "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr
    config = tmp_path / "learned.yaml"
    config.write_text(f"summariser:\n  scoring: learned\n  scorer: {out}\n", encoding="utf-8")
    summary = run_cli("summarize", str(seed_path), "--config", str(config), "--json")
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)["model"] == "extractive/learned"


def test_news_preset_uses_the_learned_scorer() -> None:
    config = load_config("news")
    assert config.summariser.scoring == "learned"
    assert ExtractiveSummariser(config.summariser, None).model_id == "extractive/learned"
    assert load_config().summariser.scoring == "centrality"
