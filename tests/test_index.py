"""The index: passages of several documents in order, BM25 tokens kept whole, and the on-disk cache."""

from __future__ import annotations

import json

import numpy as np

from pipeline.core.config import load_config
from pipeline.core.lexical import syllable_tokens, word_tokens
from pipeline.core.records import Document
from pipeline.flow.index import Index, IndexCache
from pipeline.flow.summarise import prepare


class CountingEmbedder:
    """Wraps the real embedder and counts the passages it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.passages_embedded = 0

    def warm_up(self) -> None:
        self.inner.warm_up()

    def embed_passages(self, texts):
        self.passages_embedded += len(texts)
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


def test_syllable_tokens_keep_numbers_and_dates_whole() -> None:
    text = "Đảng bộ có 20.585 đảng viên, tăng 27,5% từ 4/7/2017 đến 16-12-2016."
    assert syllable_tokens(text) == [
        "đảng", "bộ", "có", "20.585", "đảng", "viên", "tăng", "27,5", "từ", "4/7/2017", "đến", "16-12-2016",
    ]  # fmt: skip


def test_syllable_tokens_unify_tone_marks_and_nfd() -> None:
    import unicodedata

    assert syllable_tokens("Hòa bình") == syllable_tokens("Hoà bình")
    assert syllable_tokens(unicodedata.normalize("NFD", "Thủy lợi")) == syllable_tokens("Thuỷ lợi")


def test_word_tokens_join_syllables_of_a_word() -> None:
    assert "đảng_viên" in word_tokens("Quận có 20.585 đảng viên.")
    assert "20.585" in word_tokens("Quận có 20.585 đảng viên.")


def test_index_spans_documents_and_every_passage_knows_its_source(
    config, embedder, seed_text, tmp_path
) -> None:
    first = prepare(Document(seed_text, "a.txt"), config)
    second = prepare(Document("Hà Nội có 30 quận huyện. Thủ đô rộng 3.359 km2.", "b.txt"), config)
    index = Index.build([first, second], embedder, config, cache=IndexCache(tmp_path))
    assert len(index) == len(first.passages) + len(second.passages)
    assert index.vectors.shape == (len(index), index.vectors.shape[1])
    assert [p.source for p in index.passages][-len(second.passages) :] == ["b.txt"] * len(second.passages)
    assert np.allclose(np.linalg.norm(index.vectors, axis=1), 1.0, atol=1e-3)


def test_second_open_reads_the_cache_instead_of_embedding(config, embedder, seed_text, tmp_path) -> None:
    document = prepare(Document(seed_text, "seed.txt"), config)
    counting = CountingEmbedder(embedder)
    first = Index.build([document], counting, config, cache=IndexCache(tmp_path))
    assert counting.passages_embedded == len(document.passages)
    second = Index.build([document], counting, config, cache=IndexCache(tmp_path))
    assert counting.passages_embedded == len(document.passages)  # nothing embedded again
    assert np.array_equal(first.vectors, second.vectors)
    assert first.tokens == second.tokens
    assert sorted(path.suffix for path in tmp_path.iterdir()) == [".json", ".npy"]  # no pickle, no temp files


def test_cache_key_changes_with_splitter_settings(config, embedder, seed_text, tmp_path) -> None:
    counting = CountingEmbedder(embedder)
    Index.build([prepare(Document(seed_text, "s.txt"), config)], counting, config, cache=IndexCache(tmp_path))
    other = load_config(overrides={"splitter": {"passage_sentences": 2}})
    document = prepare(Document(seed_text, "s.txt"), other)
    before = counting.passages_embedded
    Index.build([document], counting, other, cache=IndexCache(tmp_path))
    assert counting.passages_embedded == before + len(document.passages)


def test_damaged_cache_entry_is_rebuilt(config, embedder, seed_text, tmp_path) -> None:
    document = prepare(Document(seed_text, "seed.txt"), config)
    Index.build([document], embedder, config, cache=IndexCache(tmp_path))
    (meta,) = tmp_path.glob("*.json")
    meta.write_text(json.dumps({"format": 1, "tokens": []}), encoding="utf-8")
    counting = CountingEmbedder(embedder)
    Index.build([document], counting, config, cache=IndexCache(tmp_path))
    assert counting.passages_embedded == len(document.passages)


def test_default_cache_lives_under_vidoc_home(config, embedder, seed_text, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VIDOC_HOME", str(tmp_path / "home"))
    Index.build([prepare(Document(seed_text, "seed.txt"), config)], embedder, config)
    assert list((tmp_path / "home" / "index").glob("*.npy"))
