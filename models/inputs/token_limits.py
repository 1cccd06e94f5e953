"""How many tokens a transformer can read, from its config (readers and embedders cap their input by it)."""

from __future__ import annotations

from typing import Any

# RoBERTa-family position tables start after the padding index, so two of their slots are never used:
# PhoBERT's 258 positions read 256 tokens.
_PADDING_OFFSET_MODELS = frozenset({"roberta", "xlm-roberta", "camembert", "phobert"})


def model_token_limit(config: Any) -> int | None:
    """The longest input ``config``'s model takes, or ``None`` when the config does not say."""
    positions = getattr(config, "max_position_embeddings", None)
    if not positions:
        return None
    offset = 2 if getattr(config, "model_type", "") in _PADDING_OFFSET_MODELS else 0
    return int(positions) - offset
