"""Tiny random PhoBERT-style checkpoints (session-scoped, saved once in a temp dir).

No model hub is reachable here, so the tests build what ``vinai/phobert-base-v2`` and
``bkai-foundation-models/vietnamese-bi-encoder`` look like on disk: a fastBPE ``vocab.txt`` + ``bpe.codes``
pair learnt from the word-segmented seed report (read by transformers' ``PhobertTokenizer``), a
RoBERTa with PhoBERT's 258 position embeddings, and a sentence-transformers folder around it. The
weights are random; the files, classes and loading code paths are the real ones.
"""

from __future__ import annotations

import collections
import itertools
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent.parent / "examples" / "000_f1aaaf303130fff8.txt"
MERGES = 400
HIDDEN = 32


def _segmented_words(text: str) -> list[str]:
    """The seed's words as PhoBERT saw its corpus: underthesea-segmented, syllables joined by ``_``."""
    from pipeline.core import vietnamese

    words: list[str] = []
    for line in text.splitlines():
        if line.strip():
            words.extend(vietnamese.underthesea().word_tokenize(line, format="text").split())
    return words


def _learn_bpe(words: list[str], merges: int) -> tuple[list[tuple[str, str, int]], collections.Counter]:
    """Sennrich-style BPE: repeatedly merge the most frequent adjacent pair (``</w>`` marks word ends).

    Returns the merges with their counts (fastBPE's ``bpe.codes`` lines) and the pieces of the
    segmented corpus with their counts (``vocab.txt``), pieces inside a word carrying ``@@``.
    """
    corpus = collections.Counter((*word[:-1], word[-1] + "</w>") for word in words)
    learnt: list[tuple[str, str, int]] = []
    for _ in range(merges):
        pairs: collections.Counter = collections.Counter()
        for symbols, count in corpus.items():
            for pair in itertools.pairwise(symbols):
                pairs[pair] += count
        if not pairs:
            break
        (first, second), count = pairs.most_common(1)[0]
        if count < 2:
            break
        learnt.append((first, second, count))
        merged: collections.Counter = collections.Counter()
        for symbols, freq in corpus.items():
            out: list[str] = []
            i = 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == first and symbols[i + 1] == second:
                    out.append(first + second)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            merged[tuple(out)] += freq
        corpus = merged
    vocab: collections.Counter = collections.Counter()
    for symbols, count in corpus.items():
        for symbol in symbols:
            vocab[symbol.removesuffix("</w>") if symbol.endswith("</w>") else symbol + "@@"] += count
    for character in {c for word in words for c in word}:  # every seed character, inside or at a word's end
        vocab[character] += 1
        vocab[character + "@@"] += 1
    return learnt, vocab


def write_phobert_tokenizer(folder: Path) -> Path:
    """Write ``vocab.txt`` and ``bpe.codes`` (fastBPE format) learnt from the segmented seed report."""
    folder.mkdir(parents=True, exist_ok=True)
    merges, vocab = _learn_bpe(_segmented_words(SEED.read_text(encoding="utf-8")), MERGES)
    (folder / "bpe.codes").write_text(
        "".join(f"{a} {b} {count}\n" for a, b, count in merges), encoding="utf-8"
    )
    (folder / "vocab.txt").write_text(
        "".join(f"{piece} {count}\n" for piece, count in vocab.most_common()), encoding="utf-8"
    )
    return folder


def _tokenizer(folder: Path):
    from transformers import PhobertTokenizer

    tokenizer = PhobertTokenizer(str(folder / "vocab.txt"), str(folder / "bpe.codes"))
    tokenizer.model_max_length = 256
    return tokenizer


def _roberta_config(vocab_size: int):
    from transformers import RobertaConfig

    return RobertaConfig(
        vocab_size=vocab_size,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * HIDDEN,
        max_position_embeddings=258,  # PhoBERT's: 256 tokens plus RoBERTa's padding offset of 2
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        tokenizer_class="PhobertTokenizer",
    )


@pytest.fixture(scope="session")
def tiny_phobert_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with only ``vocab.txt`` and ``bpe.codes``: what PhobertTokenizer reads."""
    return write_phobert_tokenizer(tmp_path_factory.mktemp("phobert-tokenizer"))


@pytest.fixture(scope="session")
def tiny_phobert_qa_dir(tmp_path_factory: pytest.TempPathFactory, tiny_phobert_tokenizer_dir: Path) -> Path:
    """A random ``RobertaForQuestionAnswering`` with a PhoBERT tokenizer, saved as safetensors."""
    import torch
    from transformers import RobertaForQuestionAnswering

    folder = tmp_path_factory.mktemp("tiny-phobert-qa")
    tokenizer = _tokenizer(tiny_phobert_tokenizer_dir)
    torch.manual_seed(0)
    model = RobertaForQuestionAnswering(_roberta_config(len(tokenizer)))
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_phobert_encoder_dir(
    tmp_path_factory: pytest.TempPathFactory, tiny_phobert_tokenizer_dir: Path
) -> Path:
    """A random PhoBERT-style ``RobertaModel`` without a QA head (what a pre-trained base looks like)."""
    import torch
    from transformers import RobertaModel

    folder = tmp_path_factory.mktemp("tiny-phobert-encoder")
    tokenizer = _tokenizer(tiny_phobert_tokenizer_dir)
    torch.manual_seed(1)
    RobertaModel(_roberta_config(len(tokenizer)), add_pooling_layer=False).save_pretrained(
        folder, safe_serialization=True
    )
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_st_dir(tmp_path_factory: pytest.TempPathFactory, tiny_phobert_encoder_dir: Path) -> Path:
    """A sentence-transformers folder: the tiny PhoBERT-style encoder plus mean pooling."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    encoder = Transformer(str(tiny_phobert_encoder_dir))
    pooling = Pooling(encoder.get_embedding_dimension(), "mean")
    folder = tmp_path_factory.mktemp("tiny-st-bi-encoder")
    SentenceTransformer(modules=[encoder, pooling], device="cpu").save(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_xlmr_qa_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random XLM-R ``RobertaForQuestionAnswering``-style reader with a fast (offset-giving) tokenizer.

    The ``xlm-roberta-squad2`` preset is read by the same reader without word segmentation; its
    tokenizer is a unigram SentencePiece model, built here from the seed's syllables.
    """
    import re

    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForQuestionAnswering, XLMRobertaTokenizer

    text = SEED.read_text(encoding="utf-8")
    syllables = sorted({"▁" + s for s in re.findall(r"\w+", text)})
    characters = sorted({c for c in text if not c.isspace()})
    pieces = ["<s>", "<pad>", "</s>", "<unk>", *syllables, *characters, "<mask>"]
    vocab = [
        (piece, 0.0 if i < 4 else (-2.0 if piece.startswith("▁") else -8.0)) for i, piece in enumerate(pieces)
    ]
    tokenizer = XLMRobertaTokenizer(vocab=vocab)
    tokenizer.model_max_length = 512
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * HIDDEN,
        max_position_embeddings=514,
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    torch.manual_seed(2)
    folder = tmp_path_factory.mktemp("tiny-xlmr-qa")
    XLMRobertaForQuestionAnswering(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder
