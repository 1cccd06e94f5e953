"""CTranslate2 backend: the same model, converted once to CTranslate2 and quantised (int8 on CPU).

CTranslate2 runs T5's decoder loop in C++ with int8 matmuls, several times faster than transformers
in fp32 on a CPU for beam search. The Hugging Face directory stays the source of truth: it is
converted on first use into ``$VIDOC_HOME/ct2/<key>``, where the key hashes the model's path, the
content of its files and the quantisation, so an edited or replaced model is converted again and an
unchanged one never is. Conversion writes into a temp dir and renames it, so a killed conversion
leaves nothing half-written behind. Tokenization stays with the Hugging Face tokenizer (ids are
turned into token strings for CTranslate2 and back).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.generation.generator import GenerationOptions, Generator, IncrementalDecoder
from models.loading.devices import cpu_cores
from models.loading.extras import quiet_transformers
from models.loading.locate import require_safetensors
from pipeline.core.appdirs import cache_dir
from pipeline.core.errors import VidocError, first_line

# Quantisations the converter and the runtime both accept.
COMPUTE_TYPES = (
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)
_CHUNK = 1 << 20


def _file_digest(path: Path, memo: dict[str, str]) -> str:
    """sha256 of one file, memoised by (path, size, mtime) so a 1 GB checkpoint is read once."""
    stat = path.stat()
    memo_key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    if memo_key not in memo:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        memo[memo_key] = digest.hexdigest()
    return memo[memo_key]


def model_fingerprint(model_dir: Path, memo: dict[str, str] | None = None) -> str:
    """Hash of every file in ``model_dir`` (names and contents), stable across runs."""
    memo = {} if memo is None else memo
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(model_dir)).encode())
        digest.update(_file_digest(path, memo).encode())
    return digest.hexdigest()


def conversion_key(model_dir: Path, quantization: str, memo: dict[str, str] | None = None) -> str:
    """Cache key: the model's resolved path, its content, the quantisation and the converter's version
    (a model.bin written by another CTranslate2 release may not load)."""
    import ctranslate2

    digest = hashlib.sha256()
    digest.update(ctranslate2.__version__.encode())
    digest.update(str(model_dir.resolve()).encode())
    digest.update(model_fingerprint(model_dir, memo).encode())
    digest.update(quantization.encode())
    return f"{model_dir.name}-{quantization}-{digest.hexdigest()[:16]}"


def _load_memo(path: Path) -> dict[str, str]:
    try:
        memo = json.loads(path.read_text(encoding="utf-8"))
        return memo if isinstance(memo, dict) else {}
    except (OSError, ValueError):
        return {}


def converted_model(model_dir: Path, quantization: str, trust_remote_code: bool = False) -> Path:
    """The CTranslate2 conversion of ``model_dir`` at ``quantization``, converting it if needed."""
    root = cache_dir("ct2")
    memo_path = root / "file-hashes.json"
    memo = _load_memo(memo_path)
    known = len(memo)
    target = root / conversion_key(model_dir, quantization, memo)
    if len(memo) != known:
        staged_memo = memo_path.with_suffix(f".{os.getpid()}.tmp")
        staged_memo.write_text(json.dumps(memo), encoding="utf-8")
        staged_memo.replace(memo_path)
    if (target / "model.bin").is_file():
        return target
    require_safetensors(model_dir, "ctranslate2 conversion")
    from ctranslate2.converters import TransformersConverter

    quiet_transformers()

    print(
        f"Converting {model_dir} to CTranslate2 ({quantization}), once; cached in {target}",
        file=sys.stderr,
        flush=True,
    )
    started = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=root))
    try:
        converter = TransformersConverter(str(model_dir), trust_remote_code=trust_remote_code)
        converter.convert(str(staging / "model"), quantization=quantization, force=True)
        try:
            (staging / "model").rename(target)
        except OSError:
            if not (target / "model.bin").is_file():  # not a concurrent conversion that won the race
                raise
    except (OSError, ValueError, KeyError, NotImplementedError) as error:
        raise VidocError(
            f"cannot convert {model_dir} to CTranslate2: {first_line(error, 160)}",
            "Use backend: transformers, or check that the folder is a T5/ViT5 checkpoint.",
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"Converted in {time.perf_counter() - started:.1f} s.", file=sys.stderr, flush=True)
    return target


def ct2_device(device: str, section: str) -> str:
    """``auto`` → ``cuda`` when CTranslate2 sees a GPU, else ``cpu``."""
    import ctranslate2

    wanted = device.strip().lower()
    gpus = ctranslate2.get_cuda_device_count()
    if wanted == "auto":
        return "cuda" if gpus > 0 else "cpu"
    if wanted.startswith("cuda") and gpus == 0:
        raise VidocError(
            f"{section}.device is '{device}' but CTranslate2 sees no CUDA GPU.",
            "Set device: auto (or cpu).",
        )
    if wanted != "cpu" and not wanted.startswith("cuda"):
        raise VidocError(f"{section}.device cannot be '{device}'.", "Choose one of: auto, cpu, cuda, cuda:N.")
    return wanted


class CT2Generator(Generator):
    """``ctranslate2.Translator`` over the converted model; int8 on CPU, int8_float16 on CUDA by default."""

    backend = "ctranslate2"

    def __init__(
        self,
        model: str,
        section: str,
        device: str = "auto",
        compute_type: str | None = None,
        trust_remote_code: bool = False,
    ) -> None:
        super().__init__(model, section, device, trust_remote_code)
        if compute_type is not None and compute_type not in COMPUTE_TYPES:
            raise VidocError(
                f"{section}.compute_type cannot be '{compute_type}'.",
                f"Choose one of: {', '.join(COMPUTE_TYPES)}.",
            )
        self.compute_type = compute_type
        self.cpu_threads = cpu_cores()  # CTranslate2 defaults to 4 threads whatever the machine has
        self._translator: Any = None
        self.converted_dir: Path | None = None

    def load(self) -> None:
        _ = self.translator

    @property
    def loaded(self) -> bool:
        return self._translator is not None

    @property
    def translator(self) -> Any:
        if self._translator is None:
            import ctranslate2

            device = ct2_device(self.device, self.section)
            on_cuda = device.startswith("cuda")
            compute_type = self.compute_type or ("int8_float16" if on_cuda else "int8")
            self.converted_dir = converted_model(self.model_dir, compute_type, self.trust_remote_code)
            index = int(device.split(":")[1]) if ":" in device else 0
            self._translator = ctranslate2.Translator(
                str(self.converted_dir),
                device="cuda" if on_cuda else "cpu",
                device_index=index,
                compute_type=compute_type,
                intra_threads=0 if on_cuda else self.cpu_threads,
            )
        return self._translator

    def _options(self, options: GenerationOptions) -> dict[str, Any]:
        return {
            "max_decoding_length": options.max_new_tokens,
            "min_decoding_length": options.min_new_tokens,
            "no_repeat_ngram_size": options.no_repeat_ngram_size,
            "max_input_length": 0,  # inputs are already cut to max_input_tokens
        }

    def generate_ids(self, batch: list[list[int]], options: GenerationOptions) -> list[list[int]]:
        tokenizer = self.tokenizer
        sources = [tokenizer.convert_ids_to_tokens(ids) for ids in batch]
        results = self.translator.translate_batch(
            sources, beam_size=options.num_beams, return_scores=True, **self._options(options)
        )
        return [tokenizer.convert_tokens_to_ids(result.hypotheses[0]) for result in results]

    def stream(self, text: str, options: GenerationOptions, on_text: Callable[[str], None]) -> str:
        if options.num_beams > 1:
            (whole,) = self.generate([text], options)
            on_text(whole)
            return whole
        (ids,) = self.encode([text], options.max_input_tokens)
        decoder = IncrementalDecoder(self.tokenizer, on_text)
        for step in self.translator.generate_tokens(
            self.tokenizer.convert_ids_to_tokens(ids), **self._options(options)
        ):
            decoder.add([step.token_id])
        return decoder.finish().strip()
