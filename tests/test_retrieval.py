"""Retrieval: each mode finds the passage that answers, and fusion is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from models.factory import build_embedder
from pipeline.core.config import load_config
from pipeline.core.records import Document
from pipeline.flow.index import Index, IndexCache
from pipeline.flow.retrieval import Retriever, rank_order, reciprocal_rank_fusion
from pipeline.flow.summarise import prepare


@pytest.fixture(scope="module")
def retriever(seed_text, tmp_path_factory):
    config = load_config()
    embedder = build_embedder(config)
    document = prepare(Document(seed_text, "seed.txt"), config)
    index = Index.build([document], embedder, config, cache=IndexCache(tmp_path_factory.mktemp("index")))
    return Retriever(index, embedder, config.retriever)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_each_mode_ranks_the_passage_with_the_fact_first(retriever, mode) -> None:
    results = retriever.search("Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?", top_k=3, mode=mode)
    assert "20.585 đảng viên" in results[0].passage.text
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_top_k_is_respected(retriever) -> None:
    assert len(retriever.search("hội nghị", top_k=2)) == 2


def test_rrf_breaks_ties_by_document_order() -> None:
    # Passages 1 and 2 swap places in the two rankings, so their fused scores tie exactly.
    fused = reciprocal_rank_fusion([np.array([1, 2, 0]), np.array([2, 1, 0])], 3, rrf_k=60)
    assert fused[1] == fused[2]
    assert rank_order(fused).tolist() == [1, 2, 0]


def test_rrf_scores_follow_the_formula() -> None:
    fused = reciprocal_rank_fusion([np.array([0, 1]), np.array([1])], 3, rrf_k=10)
    assert fused.tolist() == pytest.approx([1 / 11, 1 / 12 + 1 / 11, 0.0])


def test_hybrid_is_deterministic(retriever) -> None:
    question = "Chỉ thị số 15-CT/TU ban hành ngày nào?"
    first = [(r.passage.id, r.score) for r in retriever.search(question, top_k=5)]
    assert all(
        first == [(r.passage.id, r.score) for r in retriever.search(question, top_k=5)] for _ in range(3)
    )


def test_bm25_without_shared_tokens_scores_zero(retriever) -> None:
    assert not retriever.bm25_scores("xyzzy qwerty").any()
