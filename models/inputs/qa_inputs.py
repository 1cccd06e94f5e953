"""Where a tokenizer puts its special tokens around a (question, passage) pair.

Readers build their own windows of passage tokens, so they need the pair layout without re-tokenising:
PhoBERT's slow tokenizer says it through ``build_inputs_with_special_tokens`` (``<s> Q </s></s> P </s>``),
transformers 5's fast tokenizers (XLM-R) no longer have that method but report, per position, which
sequence a token came from. Either way the layout is read once from a probe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_QUESTION, _PASSAGE = -1, -2  # sentinel ids no vocabulary has


@dataclass(frozen=True)
class PairTemplate:
    """Special token ids before the question, between question and passage, and after the passage."""

    prefix: tuple[int, ...]
    middle: tuple[int, ...]
    suffix: tuple[int, ...]

    @property
    def specials(self) -> int:
        return len(self.prefix) + len(self.middle) + len(self.suffix)

    def build(self, question: list[int], passage: list[int]) -> tuple[list[int], int]:
        """The model input, and the position of the passage's first token in it."""
        head = [*self.prefix, *question, *self.middle]
        return [*head, *passage, *self.suffix], len(head)


def _from_builder(tokenizer: Any) -> PairTemplate:
    ids = list(tokenizer.build_inputs_with_special_tokens([_QUESTION], [_PASSAGE]))
    question, passage = ids.index(_QUESTION), ids.index(_PASSAGE)
    return PairTemplate(tuple(ids[:question]), tuple(ids[question + 1 : passage]), tuple(ids[passage + 1 :]))


def _from_sequence_ids(tokenizer: Any) -> PairTemplate:
    encoded = tokenizer("a", "b")
    ids, owners = list(encoded["input_ids"]), encoded.sequence_ids()
    first = [i for i, owner in enumerate(owners) if owner == 0]
    second = [i for i, owner in enumerate(owners) if owner == 1]
    return PairTemplate(
        tuple(ids[: first[0]]), tuple(ids[first[-1] + 1 : second[0]]), tuple(ids[second[-1] + 1 :])
    )


def pair_template(tokenizer: Any) -> PairTemplate:
    """The layout ``tokenizer`` gives a (question, passage) pair."""
    if hasattr(tokenizer, "build_inputs_with_special_tokens"):
        return _from_builder(tokenizer)
    return _from_sequence_ids(tokenizer)
