"""Long documents (issue 18, item 4): the summariser's similarities stay linear in the number of
sentences and give the same choices as the sentence × sentence matrix did; documents over
``documents.max_chars`` are one clear error in every command."""

from __future__ import annotations

import json
import tracemalloc
from collections import Counter

import numpy as np
import pytest

from benchmarks.make_corpus import make_document
from models.factory import build_summariser
from models.summarisers.extractive_summariser import _NEAR_DUPLICATE, _Similarities
from models.summarisers.tfidf import syllables, tfidf_matrix
from pipeline.core.config import load_config
from pipeline.core.records import Document
from pipeline.flow.summarise import prepare
from tests.conftest import run_cli

TEXTS = [
    "Đảng bộ quận có 52 tổ chức cơ sở đảng với 20.585 đảng viên.",
    "Ngày 4/7/2017, Quận ủy ban hành Nghị quyết số 15-NQ/TU.",
    "Quận ủy khen thưởng 12 tập thể và 25 cá nhân tiêu biểu.",
    "Đảng bộ quận có 52 tổ chức cơ sở đảng, 20.585 đảng viên.",
    "Thu ngân sách đạt 12.450 tỷ đồng, vượt kế hoạch.",
]


def dense_tfidf(texts: list[str]) -> np.ndarray:
    """The definition, written out densely: sublinear tf, smoothed idf, unit rows."""
    vocabulary = sorted({token for text in texts for token in syllables(text)})
    tf = np.array([[Counter(syllables(t))[w] for w in vocabulary] for t in texts], dtype=np.float64)
    weights = np.where(tf > 0, 1.0 + np.log(np.maximum(tf, 1)), 0.0)
    weights *= np.log((1 + len(texts)) / (1 + (tf > 0).sum(axis=0))) + 1.0
    return weights / np.linalg.norm(weights, axis=1, keepdims=True)


def test_sparse_tfidf_matches_the_dense_definition() -> None:
    sparse_rows = tfidf_matrix(TEXTS)
    dense = dense_tfidf(TEXTS)
    np.testing.assert_allclose((sparse_rows @ sparse_rows.T).toarray(), dense @ dense.T, rtol=1e-5, atol=1e-6)
    assert "20.585" in syllables(TEXTS[0]) and "4/7/2017" in syllables(TEXTS[1])


@pytest.mark.parametrize("mix", ["tfidf", "embedding", "both"])
def test_centrality_and_columns_match_the_full_matrix(mix: str) -> None:
    rng = np.random.default_rng(3)
    semantic = rng.normal(size=(len(TEXTS), 8)).astype(np.float32)
    semantic /= np.linalg.norm(semantic, axis=1, keepdims=True)
    similarities = _Similarities(tfidf_matrix(TEXTS), None if mix == "tfidf" else semantic, mix)
    lexical = dense_tfidf(TEXTS) @ dense_tfidf(TEXTS).T
    cosines = semantic @ semantic.T
    off = cosines[~np.eye(len(TEXTS), dtype=bool)]
    stretched = np.clip((cosines - off.min()) / (off.max() - off.min()), 0.0, 1.0)
    full = {"tfidf": lexical, "embedding": stretched, "both": (stretched + lexical) / 2.0}[mix]
    mean_to_others = (full.sum(axis=1) - np.diag(full)) / (len(TEXTS) - 1)
    expected = (mean_to_others - mean_to_others.min()) / (mean_to_others.max() - mean_to_others.min())
    np.testing.assert_allclose(similarities.centrality(), expected, atol=1e-5)
    for index in range(len(TEXTS)):
        column = similarities.scoring_to(index)
        np.testing.assert_allclose(np.delete(column, index), np.delete(full[:, index], index), atol=1e-5)
    assert similarities.lexical_to(0)[3] > _NEAR_DUPLICATE  # sentence 3 only repeats sentence 0


def test_a_long_document_is_summarised_without_a_sentence_by_sentence_matrix() -> None:
    """Over 2,000 candidate sentences: one float32 matrix of their pairwise similarities alone would take
    16 MB, and the old code built two plus a dense sentence × vocabulary one. The peak stays far below."""
    paragraphs = make_document(1, 60_000).split("\n\n")
    text = "\n\n".join(f"{paragraph} (mục {i})" for i, paragraph in enumerate(paragraphs))
    config = load_config(overrides={"summariser": {"max_words": 80}})
    prepared = prepare(Document(text, "long.txt"), config)
    candidates = len(prepared.sentences)
    assert candidates > 2_000
    summariser = build_summariser(config)
    tracemalloc.start()
    (summary,) = summariser.summarise([prepared])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < candidates * candidates * 4 / 4, f"{peak / 1e6:.1f} MB for {candidates} sentences"
    assert 0 < len(summary.text.split()) <= 80
    for sentence in summary.sentences:
        assert text[sentence.start : sentence.end] == sentence.text


def test_summarize_and_ask_refuse_a_document_over_the_limit(seed_path, tmp_path) -> None:
    limit = 1_000
    for command in (("summarize", str(seed_path)), ("ask", str(seed_path), "Ai ký?")):
        result = run_cli(*command, "--max-chars", str(limit))
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 2 and "Traceback" not in result.stderr
        assert lines[0].startswith(f"vidoc: error: {seed_path}: ") and f"limit of {limit:,}" in lines[0]
        assert "--max-chars N (config: documents.max_chars)" in lines[1]
    huge = tmp_path / "huge.txt"
    huge.write_text("Một câu văn bản. " * 2_000, encoding="utf-8")  # 34,000 bytes, refused before decoding
    result = run_cli("summarize", str(huge), "--max-chars", "5000")
    assert result.returncode == 2 and "bytes, more than the limit of 5,000 characters" in result.stderr
    config = tmp_path / "limit.yaml"
    config.write_text("documents: {max_chars: 1000}\n", encoding="utf-8")
    assert run_cli("summarize", str(seed_path), "--config", str(config)).returncode == 2


def test_batch_records_over_the_limit_go_to_the_errors_file(seed_text, tmp_path) -> None:
    records = [{"id": "short", "text": seed_text[:900]}, {"id": "long", "text": seed_text}]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    output = tmp_path / "out.jsonl"
    result = run_cli("batch", str(source), "--output", str(output), "--max-chars", "1000")
    assert result.returncode == 1 and "1 done, 0 skipped, 1 failed" in result.stderr  # batch's contract
    assert [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()] == ["short"]
    (error,) = [json.loads(line) for line in (tmp_path / "out.errors.jsonl").read_text().splitlines()]
    assert error["id"] == "long" and f"{len(seed_text):,} characters" in error["error"]
