"""transformers (fp32) vs CTranslate2 (int8) for ViT5-base-shaped batch summarisation, at equal work.

No hub here, so the model is a random checkpoint of ViT5-base's exact shape (T5 v1.1: d_model 768,
12 + 12 layers, 12 heads, d_ff 2048 gated-gelu, untied head, vocabulary 36096), saved with
``save_pretrained`` and loaded through vidoc's own generators (``models.generation.seq2seq``,
``models.generation.ct2_backend``), the code path ``configs/vit5.yaml`` and ``configs/vit5-ct2.yaml`` use.
Random weights would stop at a random EOS, so both backends are told not to stop before
``--new-tokens`` (``min_new_tokens`` / ``min_decoding_length``): every document then costs exactly
``--in-tokens`` in and ``--new-tokens`` out in both, and the output lengths are checked.

Each backend runs in its own subprocess (clean peak RSS), on the same token ids, greedy and beam 4,
after one warm-up batch; model loading and the one-time CT2 conversion are timed separately.
Run: ``python benchmarks/vit5_backends.py [--docs 8 --in-tokens 1024 --new-tokens 128]``.
The load average is printed with the figures: this machine's cores are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEED = ROOT / "examples" / "000_f1aaaf303130fff8.txt"
VOCAB = 36096


def build_checkpoint(folder: Path) -> Path:
    """A random ViT5-base-shaped T5 and a 36096-piece tokenizer (the seed report's pieces, padded)."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    from tests.tiny_t5 import train_seed_vocab

    folder.mkdir(parents=True, exist_ok=True)
    vocab = train_seed_vocab(folder)
    vocab += [(f"▁filler{i}", -100.0) for i in range(VOCAB - len(vocab))]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0)
    config = T5Config(
        vocab_size=VOCAB,
        d_model=768,
        d_kv=64,
        d_ff=2048,
        num_layers=12,
        num_decoder_layers=12,
        num_heads=12,
        feed_forward_proj="gated-gelu",
        tie_word_embeddings=False,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    torch.manual_seed(0)
    model = T5ForConditionalGeneration(config).eval()
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    (folder / "spiece.model").unlink(missing_ok=True)
    return folder


def peak_rss_mb() -> int:
    """This process's peak resident memory. ``VmHWM`` rather than ``ru_maxrss``: the latter survives
    ``execve`` on Linux, so a worker would report its parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def documents(count: int, in_tokens: int, generator) -> list[list[int]]:
    """``count`` different token-id inputs of exactly ``in_tokens`` (seed report text, rotated)."""
    words = SEED.read_text(encoding="utf-8").split()
    inputs = []
    for index in range(count):
        shift = (index * 97) % len(words)
        text = " ".join((words[shift:] + words[:shift]) * 8)
        (ids,) = generator.encode(["vietnews: " + text + " </s>"], in_tokens)
        inputs.append(ids)
    return inputs


def worker(
    backend: str, model_dir: str, count: int, in_tokens: int, new_tokens: int, batch: int, threads: int
) -> None:
    """Time one backend with ``threads`` CPU threads; print one JSON line."""
    import torch

    from models.generation.ct2_backend import CT2Generator
    from models.generation.generator import GenerationOptions
    from models.generation.seq2seq import TransformersGenerator

    torch.set_num_threads(threads)
    started = time.perf_counter()
    if backend == "ctranslate2":
        generator = CT2Generator(model_dir, "summariser", "cpu", "int8")
        generator.cpu_threads = threads
        _ = generator.translator
    else:
        generator = TransformersGenerator(model_dir, "summariser", "cpu")
        _ = generator.model
    load = time.perf_counter() - started
    inputs = documents(count, in_tokens, generator)
    eos = generator.tokenizer.eos_token_id
    record: dict = {"backend": backend, "threads": threads, "load_s": round(load, 1), "runs": {}}
    for beams in (1, 4):
        options = GenerationOptions(
            num_beams=beams,
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            no_repeat_ngram_size=3,
            batch_size=batch,
            max_input_tokens=in_tokens,
        )
        generator.generate_ids(inputs[:1], GenerationOptions(num_beams=beams, max_new_tokens=4))  # warm-up
        started = time.perf_counter()
        outputs = []
        for first in range(0, len(inputs), batch):
            outputs += generator.generate_ids(inputs[first : first + batch], options)
        seconds = time.perf_counter() - started
        if backend == "transformers":  # its outputs start with the decoder start token (pad)
            outputs = [ids[1:] for ids in outputs]
        lengths = [ids.index(eos) if eos in ids else len(ids) for ids in outputs]
        record["runs"][f"beam{beams}"] = {
            "seconds": round(seconds, 2),
            "docs_per_s": round(len(inputs) / seconds, 3),
            "new_tokens_per_s": round(sum(lengths) / seconds, 1),
            "out_lengths": sorted(set(lengths)),
        }
    record["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(record), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=8)
    parser.add_argument("--in-tokens", type=int, default=1024)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="CPU threads for both backends (fewer than the cores when others share the machine: "
        "torch's OpenMP threads slow down many-fold when a core they spin on is taken)",
    )
    parser.add_argument("--worker", choices=["transformers", "ctranslate2"])
    parser.add_argument("--model")
    parser.add_argument("--build", help="only build the checkpoint into this folder")
    args = parser.parse_args()
    if args.build:
        build_checkpoint(Path(args.build))
        return
    if args.worker:
        worker(args.worker, args.model, args.docs, args.in_tokens, args.new_tokens, args.batch, args.threads)
        return
    home = Path(tempfile.mkdtemp(prefix="vidoc-bench-"))
    env = dict(os.environ, VIDOC_HOME=str(home / "vidoc"), PYTHONPATH=str(ROOT))
    print(f"load average before: {os.getloadavg()}, cores: {os.cpu_count()}", flush=True)
    started = time.perf_counter()
    model_dir = home / "vit5-base-shaped"
    subprocess.run([sys.executable, __file__, "--build", str(model_dir)], env=env, check=True)
    print(f"checkpoint built in {time.perf_counter() - started:.0f} s: {model_dir}", flush=True)
    common = [
        "--docs",
        str(args.docs),
        "--in-tokens",
        str(args.in_tokens),
        "--new-tokens",
        str(args.new_tokens),
    ]
    common += ["--batch", str(args.batch), "--threads", str(args.threads), "--model", str(model_dir)]
    records = {}
    for backend in ("ctranslate2", "transformers"):
        result = subprocess.run(
            [sys.executable, __file__, "--worker", backend, *common], env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            sys.exit(f"{backend} worker failed:\n{result.stderr[-3000:]}")
        records[backend] = json.loads(result.stdout.strip().splitlines()[-1])
        print(json.dumps(records[backend]), f"load average: {os.getloadavg()}", flush=True)
    hf, ct2 = records["transformers"], records["ctranslate2"]
    print(
        f"\n{args.docs} docs, {args.in_tokens} tokens in, {args.new_tokens} out, batch {args.batch}, "
        f"{args.threads} thread(s)"
    )
    print("| decoding | transformers fp32 docs/s | CT2 int8 docs/s | tokens/s (HF / CT2) | speed-up |")
    print("|---|---|---|---|---|")
    for mode in ("beam1", "beam4"):
        a, b = hf["runs"][mode], ct2["runs"][mode]
        print(
            f"| {'greedy' if mode == 'beam1' else 'beam 4'} | {a['docs_per_s']} | {b['docs_per_s']} | "
            f"{a['new_tokens_per_s']} / {b['new_tokens_per_s']} | {a['seconds'] / b['seconds']:.2f}x |"
        )
    print(f"| peak RSS | {hf['peak_rss_mb']} MB | {ct2['peak_rss_mb']} MB | | |")
    print(f"| load (+ one-time conversion for CT2) | {hf['load_s']} s | {ct2['load_s']} s | | |")
    print(f"load average after: {os.getloadavg()}")
    shutil.rmtree(home, ignore_errors=True)  # about 2 GB of checkpoint and conversion


if __name__ == "__main__":
    main()
