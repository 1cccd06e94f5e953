"""Find a model's files on this machine: a local directory, or a hub snapshot already pulled.

Run-time code never downloads (documents and questions stay on the machine, and a missing model
should fail in one line, not hang on a network timeout); only ``vidoc models pull`` talks to the hub.
Snapshots live in the Hugging Face cache (``HF_HOME`` / ``HF_HUB_CACHE``), shared with other tools.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from models.loading.registry import ModelPreset, find_preset
from pipeline.core.errors import VidocError, first_line

# Files a model folder needs. Remote code (*.py) is never fetched, pickled weights only for presets that
# publish nothing else (``ModelPreset.pickled_weights``).
PULL_PATTERNS = [
    "*.json",
    "*.safetensors",
    "*.model",
    "*.txt",
    "bpe.codes",
]


@dataclass(frozen=True)
class ModelSpec:
    """What a config's ``model:`` value names: a local directory, or a hub id (maybe via a preset)."""

    spec: str
    local_dir: Path | None
    hub_id: str | None
    revision: str
    preset: ModelPreset | None

    @property
    def word_segmented(self) -> bool | None:
        """Whether the model wants underthesea word segmentation; ``None`` when no preset says."""
        return self.preset.word_segmented if self.preset else None


def hub_cache_dir() -> Path:
    """Where hub snapshots are looked for and pulled to (the standard Hugging Face cache)."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def parse_model(spec: str) -> ModelSpec:
    """Classify ``spec`` without touching the disk beyond checking for a directory."""
    path = Path(spec).expanduser()
    looks_like_path = spec.startswith(("/", "./", "../", "~")) or path.is_dir()
    if looks_like_path:
        return ModelSpec(spec, path, None, "main", None)
    preset = find_preset(spec)
    if preset:
        return ModelSpec(spec, None, preset.hub_id, preset.revision, preset)
    return ModelSpec(spec, None, spec, "main", None)


def locate_model(spec: str, section: str) -> Path:
    """The directory holding ``spec``'s files, or a one-line error naming the model, where vidoc
    looked and the command that fixes it. ``section`` (e.g. ``summariser.model``) names the config key."""
    model = parse_model(spec)
    if model.local_dir is not None:
        if not (model.local_dir / "config.json").is_file():
            raise VidocError(
                f"{section}: model directory {model.local_dir} has no config.json.",
                "Point it at a folder saved with save_pretrained (config.json, tokenizer, weights).",
            )
        return model.local_dir
    assert model.hub_id is not None
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = snapshot_download(model.hub_id, revision=model.revision, local_files_only=True)
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        name = model.preset.name if model.preset else model.hub_id
        raise VidocError(
            f"{section}: model '{spec}' ({model.hub_id}) is not on this machine "
            f"(looked in {hub_cache_dir()}).",
            f"Run `vidoc models pull {name}` where there is network, or set {section} to a local directory.",
        ) from None
    return Path(folder)


def is_available_offline(spec: str) -> Path | None:
    """The local folder for ``spec`` when it is usable without network, else ``None``."""
    try:
        return locate_model(spec, "model")
    except VidocError:
        return None


def pull_patterns(model: ModelSpec) -> list[str]:
    """What ``pull`` fetches: never code; ``pytorch_model.bin`` only for presets published that way
    (read with ``weights_only=True``, see ``models.loading.state_dicts``)."""
    if model.preset is not None and model.preset.pickled_weights:
        return [*PULL_PATTERNS, "pytorch_model.bin"]
    return PULL_PATTERNS


def pull_model(spec: str) -> Path:
    """Download a hub model's safetensors, config and tokenizer files into the hub cache."""
    model = parse_model(spec)
    if model.local_dir is not None:
        raise VidocError(f"{spec} is a local directory; there is nothing to pull.")
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        raise VidocError(
            f"cannot pull {model.hub_id}: HF_HUB_OFFLINE is set.",
            "Unset HF_HUB_OFFLINE on a machine with network, or copy the model folder here.",
        )
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(model.hub_id, revision=model.revision, allow_patterns=pull_patterns(model))
    except Exception as error:  # network, auth or a missing repo: all end the same way for the user
        raise VidocError(
            f"cannot pull {model.hub_id}: {first_line(error, 200)}",
            "Check the network (or a proxy / HF_ENDPOINT) and the model name (`vidoc models list`).",
        ) from None
    return Path(folder)


def require_safetensors(folder: Path, section: str) -> None:
    """Refuse a model folder whose weights are only pickles (``*.bin``, ``*.pt``): loading a pickle runs
    whatever code it holds, and model folders come from strangers."""
    if not any(folder.rglob("*.safetensors")):
        raise VidocError(
            f"{section}: {folder} has no *.safetensors weights; vidoc does not load pickled weights.",
            "Convert the checkpoint once (save_pretrained(..., safe_serialization=True)) and point to that.",
        )
