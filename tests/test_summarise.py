import json
import re
from pathlib import Path

import pytest

from eval.scoring.rouge import best_rouge
from models.factory import build_summariser
from pipeline.core.config import load_config
from pipeline.core.records import Document
from pipeline.documents.loading import load_document
from pipeline.flow.summarise import prepare, summarise_documents

SUITE = Path(__file__).resolve().parent.parent / "eval" / "suites" / "seed.jsonl"
FURNITURE = ("Chia sẻ", "Hồng Thái", "Kinhtedothi", "Quang cảnh hội nghị", "vươn mình")


@pytest.fixture(scope="module")
def seed_summary(seed_path):
    config = load_config()
    (result,) = summarise_documents([load_document(seed_path)], config, build_summariser(config))
    return result


def test_seed_summary_keeps_key_figures_within_budget(seed_summary) -> None:
    text = seed_summary.summary.text
    assert len(re.findall(r"\w+", text)) <= 150
    assert "52" in text and "20.585" in text
    assert not any(marker in text for marker in FURNITURE)


def test_summary_sentences_slice_back_in_document_order(seed_summary, seed_text) -> None:
    sentences = seed_summary.summary.sentences
    assert sentences
    for sentence in sentences:
        assert seed_text[sentence.start : sentence.end] == sentence.text
    assert [s.start for s in sentences] == sorted(s.start for s in sentences)
    assert seed_summary.summary.text == " ".join(s.text for s in sentences)


def test_seed_summary_rouge1_against_hand_written_references(seed_summary) -> None:
    references = [
        reference
        for line in SUITE.read_text(encoding="utf-8").splitlines()
        if line.strip() and (item := json.loads(line))["kind"] == "summary"
        for reference in item["references"]
    ]
    assert len(references) >= 2
    assert best_rouge(seed_summary.summary.text, references)["rouge1"].fmeasure >= 0.50


@pytest.mark.parametrize("centrality", ["tfidf", "embedding", "both"])
def test_every_centrality_respects_the_budget(seed_path, centrality: str) -> None:
    config = load_config(overrides={"summariser": {"centrality": centrality, "max_words": 60}})
    (result,) = summarise_documents([load_document(seed_path)], config, build_summariser(config))
    assert 0 < len(re.findall(r"\w+", result.summary.text)) <= 60


def test_one_long_sentence_is_cut_at_the_budget() -> None:
    config = load_config(overrides={"summariser": {"centrality": "tfidf", "max_words": 10}})
    text = "Hội nghị " + " ".join(f"bàn việc số {i}," for i in range(30)) + " rồi kết thúc."
    (summary,) = build_summariser(config).summarise([prepare(Document(text, "long.txt"), config)])
    assert len(re.findall(r"\w+", summary.text.rstrip(" …"))) == 10
    (sentence,) = summary.sentences
    assert text[sentence.start : sentence.end] == sentence.text
