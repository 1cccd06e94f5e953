"""Tiny random T5 checkpoints (ViT5's architecture), built once per session in a temp dir.

No model hub is reachable here, so tests load these through exactly the code that loads
``VietAI/vit5-base-vietnews-summarization``: a SentencePiece tokenizer trained on the seed report
(pad 0, eos ``</s>`` 1, unk 2, like ViT5's), a T5 v1.1-style model (gated-gelu, untied head) with
random weights, saved with ``save_pretrained(safe_serialization=True)``.

``tiny_t5_dir`` generates until ``max_new_tokens`` or a random EOS; ``tiny_t5_no_eos_dir`` is the same
model whose EOS logit can never win, so every generation has exactly ``max_new_tokens`` tokens
(handy for checking lengths and map-reduce rounds).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent.parent / "examples" / "000_f1aaaf303130fff8.txt"
VOCAB_SIZE = 400


def train_seed_vocab(folder: Path) -> list[tuple[str, float]]:
    """Train a SentencePiece unigram model on the seed report, save it as ``folder/spiece.model``,
    and return its (piece, score) list in id order."""
    import sentencepiece as spm

    model = io.BytesIO()
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=VOCAB_SIZE,
        model_type="unigram",
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        character_coverage=1.0,
        hard_vocab_limit=False,  # one report holds about 250 pieces
        num_threads=1,
        minloglevel=2,
    )
    (folder / "spiece.model").write_bytes(model.getvalue())
    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    return [(processor.id_to_piece(i), processor.get_score(i)) for i in range(processor.get_piece_size())]


def _train_tokenizer(folder: Path):
    """The seed report's SentencePiece vocabulary as a ``T5Tokenizer`` (``</s>`` eos, pad, unk)."""
    from transformers import T5Tokenizer

    return T5Tokenizer(vocab=train_seed_vocab(folder), extra_ids=0)


def _never_end(model, eos_id: int) -> None:
    """Make EOS lose every step: hidden unit 0 of the decoder's residual stream is a constant +10
    (every embedding has it, no sublayer writes to it), and EOS's head row reads it with weight -1000.
    The head has no bias, so this is the way to do it with weights alone."""
    import torch

    with torch.no_grad():
        model.shared.weight[:, 0] = 10.0
        for block in model.decoder.block:
            for layer in block.layer:
                for name in ("SelfAttention", "EncDecAttention"):
                    if hasattr(layer, name):
                        getattr(layer, name).o.weight[0, :] = 0.0
                if hasattr(layer, "DenseReluDense"):
                    layer.DenseReluDense.wo.weight[0, :] = 0.0
        model.decoder.final_layer_norm.weight[0] = 1.0
        model.lm_head.weight[eos_id] = 0.0
        model.lm_head.weight[eos_id, 0] = -1000.0


def build_tiny_t5(folder: Path, *, no_eos: bool = False, seed: int = 0) -> Path:
    """Save a tiny random T5 and its tokenizer into ``folder`` and return it."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = _train_tokenizer(folder)
    assert tokenizer.pad_token_id == 0 and tokenizer.eos_token_id == 1, "T5 ids: pad 0, eos 1"
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=48,
        d_kv=16,
        d_ff=96,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=3,
        feed_forward_proj="gated-gelu",
        tie_word_embeddings=False,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
        relative_attention_num_buckets=8,
        relative_attention_max_distance=32,
    )
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(config).eval()
    if no_eos:
        _never_end(model, tokenizer.eos_token_id)
    model.generation_config.max_length = None
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random ViT5-shaped checkpoint directory (config.json, safetensors, tokenizer)."""
    return build_tiny_t5(tmp_path_factory.mktemp("tiny-t5"))


@pytest.fixture(scope="session")
def tiny_t5_no_eos_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same tiny T5, except that it never stops early: outputs are exactly ``max_new_tokens`` long."""
    return build_tiny_t5(tmp_path_factory.mktemp("tiny-t5-no-eos"), no_eos=True)
