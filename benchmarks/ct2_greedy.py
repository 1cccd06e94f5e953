"""Where CTranslate2's greedy time goes on a ViT5-base-shaped T5, and what CTranslate2's knobs buy.

Issue 21: CTranslate2 int8 is 7x transformers at beam 4 but only 1.7x to 2.2x at greedy. This script takes
the same random checkpoint of ViT5-base's exact shape as ``benchmarks/vit5_backends.py``
(``build_checkpoint``, imported), converts it once per quantisation through vidoc's own
``models.generation.ct2_backend.converted_model`` (int8, as vidoc ships it, and float32, the reference),
and in one run:

1. splits greedy time into the source side and the decoder loop: ``max_decoding_length=1`` (the
   encoder, the decoder's cross-attention keys/values over the source and one step) against the full
   ``--new-tokens`` (forced with ``min_decoding_length``), at input lengths 256, 512 and 1024;
2. sweeps, for greedy at ``--in-tokens`` in / ``--new-tokens`` out on ``--docs`` documents:
   compute_type (those ``ctranslate2.get_supported_compute_types("cpu")`` lists), intra_threads 1 and 2,
   inter_threads 2 x intra_threads 1, batches of 1, 4 and 8, length-sorted against arrival-order
   batches (on documents of mixed lengths, where sorting can matter), and ``max_input_length``
   truncation to half the input (a content change: the second half of each document is never read);
3. compares every setting's output ids with float32 CTranslate2 greedy on the same inputs (share of
   identical sequences, of identical tokens position by position, mean common prefix). Random weights
   make ROUGE meaningless, and make this agreement pessimistic: a random model's next-token
   distribution is nearly flat, so the smallest rounding difference flips the argmax, and greedy never
   comes back once it has diverged.

Every timed row also records the time until every document of a batch had its first token (from the
greedy ``callback``): the source-side share of that row's time. Each compute type runs in its own
subprocess, so peak RSS (``VmHWM``, reset before each row) is that row's alone; each translator gets one
short warm-up call first. One timed pass per row, no repeats: the load average is printed per row,
and on a shared machine the noise between rows is several per cent.

Run: ``python benchmarks/ct2_greedy.py [--docs 8 --in-tokens 1024 --new-tokens 128]`` (about 10 min
on 2 cores). ``--model DIR`` reuses a checkpoint already built with ``--build DIR``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.vit5_backends import build_checkpoint, documents  # noqa: E402

NO_REPEAT = 3  # as configs/vit5.yaml and vit5-ct2.yaml


def reset_peak_rss() -> None:
    """Linux: make ``VmHWM`` start again from the current RSS (``clear_refs`` value 5)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def rss_mb(field: str = "VmHWM") -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return None


def cut(ids: list[int], tokens: int) -> list[int]:
    """vidoc's own cut (``Generator.encode``): the first ``tokens - 1`` ids and the final ``</s>``."""
    return [*ids[: tokens - 1], ids[-1]] if len(ids) > tokens else list(ids)


def mixed_lengths(count: int, longest: int) -> list[int]:
    """Lengths from a quarter of ``longest`` to ``longest``, interleaved so arrival order is unsorted."""
    steps = [longest * (1 + 3 * i / max(1, count - 1)) / 4 for i in range(count)]
    ordered = [round(value) for value in steps]
    return [ordered[-1 - i // 2] if i % 2 == 0 else ordered[i // 2] for i in range(count)]


def rows_for(args: argparse.Namespace, supported: set[str]) -> dict[str, list[dict]]:
    """The settings, grouped by the worker process (one per compute type) that times them."""
    n_in, n_out, half = args.in_tokens, args.new_tokens, args.in_tokens // 2
    base = {"inter": 1, "intra": 2, "batch": 8, "inputs": "main", "tokens": n_in, "truncate": 0}
    base |= {"new": n_out, "order": "sorted", "max_batch_size": 0, "section": "sweep"}

    def row(name: str, **changes) -> dict:
        return {**base, "name": name, **changes}

    profile = []
    for length in args.profile_lengths:
        for new in (1, n_out):
            label = f"in {length}, " + ("source side + 1 step" if new == 1 else f"{new} new tokens")
            profile.append(row(label, section="profile", tokens=length, new=new))
    int8 = [
        *profile,
        row("batch 4", batch=4),
        row("batch 1", batch=1),
        row(f"max_input_length {half} (cuts content)", truncate=half),
        row("mixed lengths, batch 4, length-sorted", inputs="mixed", batch=4, section="sort"),
        row(
            "mixed lengths, batch 4, arrival order", inputs="mixed", batch=4, order="arrival", section="sort"
        ),
    ]
    groups = {"vidoc": [row("vidoc default: CT2Generator, int8, batch 8")], "int8 1x2": int8}
    for compute_type in ("int8_float32", "int8_bfloat16", "bfloat16", "float32"):
        if compute_type in supported:
            groups[f"{compute_type} 1x2"] = [row(compute_type)]
    groups["int8 1x1"] = [row("intra_threads 1", intra=1)]
    parallel = row("inter_threads 2 x intra 1 (max_batch_size 4)", inter=2, intra=1, max_batch_size=4)
    groups["int8 2x1"] = [parallel]
    for name, group in groups.items():
        for item in group:  # one process per translator, so that its peak RSS is its own
            item["compute_type"] = "int8" if name == "vidoc" else name.split()[0]
            item["worker"] = name
    return groups


def run_rows(translator, sources: list[list[str]], spec: dict) -> tuple[list[list[str]], float, float]:
    """One timed pass: (outputs in input order, seconds, seconds until every document's first token)."""
    from models.generation.generator import length_batches

    first_token: list[float] = []

    def on_step(step) -> bool:
        if step.step == 0:
            first_token.append(time.perf_counter())
        return False

    kwargs = {
        "beam_size": 1,
        "max_decoding_length": spec["new"],
        "min_decoding_length": spec["new"],
        "no_repeat_ngram_size": NO_REPEAT,
        "max_input_length": spec["truncate"],
        "callback": on_step,
    }
    outputs: list[list[str]] = [[] for _ in sources]
    source_side = 0.0
    started = time.perf_counter()
    if spec["max_batch_size"]:  # CTranslate2 sorts and splits itself, batches run on inter_threads workers
        results = translator.translate_batch(sources, max_batch_size=spec["max_batch_size"], **kwargs)
        outputs = [result.hypotheses[0] for result in results]
        source_side = max(first_token) - started
    else:
        if spec["order"] == "sorted":  # vidoc's order: longest first, in groups of batch_size
            batches = list(length_batches([len(s) for s in sources], spec["batch"]))
        else:
            indices = list(range(len(sources)))
            batches = [indices[i : i + spec["batch"]] for i in range(0, len(indices), spec["batch"])]
        for batch in batches:
            first_token.clear()
            call_started = time.perf_counter()
            results = translator.translate_batch([sources[i] for i in batch], **kwargs)
            source_side += max(first_token) - call_started
            for index, result in zip(batch, results, strict=True):
                outputs[index] = result.hypotheses[0]
    return outputs, time.perf_counter() - started, source_side


def worker(args: argparse.Namespace) -> None:
    """Time one group of rows; print one JSON line per row on stdout (progress on stderr)."""
    import ctranslate2

    from models.generation.ct2_backend import CT2Generator, converted_model
    from models.generation.generator import GenerationOptions

    spec_rows = json.loads(Path(args.rows).read_text())
    generator = CT2Generator(args.model, "summariser", "cpu", "int8")
    tokenizer = generator.tokenizer
    main_ids = documents(args.docs, args.in_tokens, generator)
    mixed = mixed_lengths(args.docs, args.in_tokens)
    inputs = {"main": main_ids, "mixed": [cut(ids, n) for ids, n in zip(main_ids, mixed, strict=True)]}
    translators: dict[tuple, object] = {}

    for spec in spec_rows:
        reset_peak_rss()
        ids = [cut(doc, spec["tokens"]) for doc in inputs[spec["inputs"]]]
        load_s = None
        if spec["worker"] == "vidoc":  # vidoc's own path: its defaults, its conversion cache, its batching
            started = time.perf_counter()
            _ = generator.translator
            load_s = time.perf_counter() - started
            generator.generate_ids(ids[:1], GenerationOptions(num_beams=1, max_new_tokens=4))
            options = GenerationOptions(
                num_beams=1,
                max_new_tokens=spec["new"],
                min_new_tokens=spec["new"],
                no_repeat_ngram_size=NO_REPEAT,
                batch_size=spec["batch"],
                max_input_tokens=spec["tokens"],
            )
            started = time.perf_counter()
            out_ids = []
            for first in range(0, len(ids), spec["batch"]):
                out_ids += generator.generate_ids(ids[first : first + spec["batch"]], options)
            seconds, source_side = time.perf_counter() - started, None
            spec["intra"] = generator.cpu_threads
        else:
            key = (spec["compute_type"], spec["inter"], spec["intra"])
            if key not in translators:
                folder = converted_model(Path(args.model), "float32" if key[0] == "float32" else "int8")
                started = time.perf_counter()
                translator = ctranslate2.Translator(
                    str(folder), device="cpu", compute_type=key[0], inter_threads=key[1], intra_threads=key[2]
                )
                load_s = time.perf_counter() - started
                translator.translate_batch(
                    [tokenizer.convert_ids_to_tokens(ids[0][:32])], max_decoding_length=4
                )
                translators[key] = translator
            sources = [tokenizer.convert_ids_to_tokens(doc) for doc in ids]
            outputs, seconds, source_side = run_rows(translators[key], sources, spec)
            out_ids = [tokenizer.convert_tokens_to_ids(tokens) for tokens in outputs]
        lengths = sorted({len(o) for o in out_ids})
        record = {
            **spec,
            "seconds": seconds,
            "source_side_s": source_side,
            "out_lengths": lengths,
            "ids": out_ids,
            "peak_rss_mb": rss_mb(),
            "load_s": load_s,
            "loadavg": os.getloadavg()[0],
            "resolved_compute_type": None,
        }
        if spec["worker"] != "vidoc":
            record["resolved_compute_type"] = translators[key].compute_type
        print(json.dumps(record), flush=True)
        print(f"  {spec['name']} ({spec['compute_type']}): {seconds:.1f} s", file=sys.stderr, flush=True)


def agreement(got: list[list[int]], reference: list[list[int]]) -> tuple[float, float, float]:
    """(identical sequences, identical tokens position by position, mean common prefix) as shares."""
    same_seq = sum(a == b for a, b in zip(got, reference, strict=True)) / len(reference)
    total = sum(max(len(a), len(b)) for a, b in zip(got, reference, strict=True))
    pairs = zip(got, reference, strict=True)
    same_tok = sum(x == y for a, b in pairs for x, y in zip(a, b, strict=False)) / total
    prefixes = []
    for a, b in zip(got, reference, strict=True):
        common = 0
        while common < min(len(a), len(b)) and a[common] == b[common]:
            common += 1
        prefixes.append(common)
    return same_seq, same_tok, sum(prefixes) / len(prefixes)


def report(records: list[dict], args: argparse.Namespace) -> None:
    by_name = {r["name"]: r for r in records}
    reference = by_name.get("float32")
    sort_reference = by_name.get("mixed lengths, batch 4, length-sorted")
    int8_reference = by_name.get(f"in {args.in_tokens}, {args.new_tokens} new tokens")

    print(f"\n1. Where greedy time goes (int8, intra_threads 2, batch 8, {args.docs} docs)\n")
    print(
        "| input tokens | source side + 1 step | full | decoder loop | decoder ms/step/batch | source share |"
    )
    print("|---|---|---|---|---|---|")
    for length in args.profile_lengths:
        one = by_name.get(f"in {length}, source side + 1 step")
        full = by_name.get(f"in {length}, {args.new_tokens} new tokens")
        if not one or not full:
            continue
        decoder = full["seconds"] - one["seconds"]
        steps = (args.new_tokens - 1) * -(-args.docs // 8)
        print(
            f"| {length} | {one['seconds']:.1f} s | {full['seconds']:.1f} s | {decoder:.1f} s | "
            f"{1000 * decoder / steps:.0f} | {one['seconds'] / full['seconds']:.0%} |"
        )

    print(
        f"\n2. Greedy, {args.docs} docs, {args.in_tokens} tokens in, {args.new_tokens} out, "
        f"no_repeat_ngram_size {NO_REPEAT} (agreement: against float32 CTranslate2 greedy; "
        "mixed-length rows: against the length-sorted int8 row)\n"
    )
    print(
        "| setting | compute type | inter x intra | docs/s | new tokens/s | seconds | first-token share "
        "| peak RSS | same sequences | same tokens | common prefix | = int8 batch 8 | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    full_name = f"in {args.in_tokens}, {args.new_tokens} new tokens"
    for r in records:
        if r["section"] == "profile" and r["name"] != full_name:
            continue
        name = f"int8, batch 8 (= {full_name})" if r["name"] == full_name else r["name"]
        ref = sort_reference if r["section"] == "sort" else reference
        if ref is not None and ref is not r:
            same_seq, same_tok, prefix = agreement(r["ids"], ref["ids"])
            quality = f"{same_seq:.0%} | {same_tok:.1%} | {prefix:.0f}"
        else:
            quality = "reference | | "
        same_as_int8 = "n/a"
        if int8_reference is not None and (r["section"] == "sweep" or r is int8_reference):
            same_as_int8 = f"{agreement(r['ids'], int8_reference['ids'])[0]:.0%}"
        new_tokens = sum(len(ids) for ids in r["ids"])
        share = f"{r['source_side_s'] / r['seconds']:.0%}" if r["source_side_s"] is not None else "n/a"
        resolved = r["resolved_compute_type"] or r["compute_type"]
        print(
            f"| {name} | {resolved} | {r['inter']} x {r['intra']} | {len(r['ids']) / r['seconds']:.3f} | "
            f"{new_tokens / r['seconds']:.1f} | {r['seconds']:.1f} | {share} | {r['peak_rss_mb']} MB | "
            f"{quality} | {same_as_int8} | {r['loadavg']:.1f} |"
        )
    loads = ", ".join(f"{r['worker']} {r['load_s']:.1f} s" for r in records if r["load_s"] is not None)
    print(f"\ntranslator load times: {loads}")
    wrong = [r["name"] for r in records if r["out_lengths"] != [r["new"]]]
    if wrong:
        print(f"WARNING: output lengths differ from the forced length in: {wrong}")
    print(f"mixed lengths: {mixed_lengths(args.docs, args.in_tokens)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=8)
    parser.add_argument("--in-tokens", type=int, default=1024)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--profile-lengths", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--model", help="an HF checkpoint already built with --build (else one is built)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (checkpoint, conversions)")
    parser.add_argument("--build", help="only build the checkpoint into this folder")
    parser.add_argument("--convert", help="only convert --model at these quantisations (comma-separated)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--rows", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile_lengths is None:
        args.profile_lengths = sorted(
            {256, 512, args.in_tokens} - {n for n in (256, 512) if n > args.in_tokens}
        )
    if args.build:
        build_checkpoint(Path(args.build))
        return
    if args.convert:
        from models.generation.ct2_backend import converted_model

        for quantization in args.convert.split(","):
            started = time.perf_counter()
            folder = converted_model(Path(args.model), quantization)
            print(
                json.dumps(
                    {"quantization": quantization, "folder": str(folder), "s": time.perf_counter() - started}
                )
            )
        return
    if args.worker:
        worker(args)
        return

    import ctranslate2

    started_all = time.perf_counter()
    supported = set(ctranslate2.get_supported_compute_types("cpu"))
    print(
        f"load average before: {os.getloadavg()}, cores: {os.cpu_count()}, "
        f"ctranslate2 {ctranslate2.__version__}"
    )
    print(f"CPU compute types: {sorted(supported)}", flush=True)
    home = Path(tempfile.mkdtemp(prefix="vidoc-ct2-greedy-"))
    env = dict(os.environ, VIDOC_HOME=str(home / "vidoc"), PYTHONPATH=str(ROOT))
    model_dir = Path(args.model) if args.model else home / "vit5-base-shaped"
    if not args.model:
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--build", str(model_dir)], env=env, check=True)
        print(f"checkpoint built in {time.perf_counter() - started:.0f} s", flush=True)
    quantizations = "int8,float32" if "float32" in supported else "int8"
    converted = subprocess.run(
        [sys.executable, __file__, "--convert", quantizations, "--model", str(model_dir)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    for line in converted.stdout.splitlines():
        item = json.loads(line)
        print(
            f"converted to {item['quantization']} in {item['s']:.0f} s (vidoc's converted_model)", flush=True
        )

    records: list[dict] = []
    for name, group in rows_for(args, supported).items():
        rows_file = home / f"rows-{name}.json"
        rows_file.write_text(json.dumps(group))
        print(f"{name}: {len(group)} row(s), load average {os.getloadavg()[0]:.1f}", flush=True)
        command = [
            sys.executable,
            __file__,
            "--worker",
            name,
            "--rows",
            str(rows_file),
            "--model",
            str(model_dir),
        ]
        command += ["--docs", str(args.docs), "--in-tokens", str(args.in_tokens)]
        result = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
        if result.returncode != 0:
            sys.exit(f"{name} worker failed (rc {result.returncode})")
        records += [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    report(records, args)
    print(f"\nwhole run {time.perf_counter() - started_all:.0f} s, load average after: {os.getloadavg()}")
    if args.keep:
        print(f"kept: {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
