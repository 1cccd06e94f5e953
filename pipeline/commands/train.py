"""``vidoc train reader`` and ``vidoc train summariser``: vidoc's own models, scored on held-out data.

The training data and the held-out file are paths (public sets such as UIT-ViQuAD and VietNews are
never copied into the project). The reader is a safetensors folder that ``reader.kind: phobert`` loads,
and that ``vidoc models export-reader`` turns into the torch-free int8 reader vidoc ships; the
summariser's sentence scorer is one JSON file that ``summariser.scoring: learned`` reads.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import typer

from pipeline.core.errors import VidocError

train_app = typer.Typer(help="Train vidoc's own models.", no_args_is_help=True)


def _subset(examples: list, limit: int | None, seed: int) -> list:
    if not limit or limit >= len(examples):
        return examples
    chosen = random.Random(seed).sample(range(len(examples)), limit)
    return [examples[i] for i in sorted(chosen)]


def _eval_reader_settings(out: Path, device: str, stride: int):
    """How ``--eval`` reads: as ``reader.kind: phobert`` would at run time (256-token windows)."""
    from pydantic import ValidationError

    from pipeline.core.config import ReaderConfig

    try:
        return ReaderConfig(
            kind="phobert", model=str(out.resolve()), device=device, stride=stride, max_length=256
        )
    except ValidationError as error:
        problem = error.errors()[0]
        raise VidocError(
            f"--{problem['loc'][0]}: {problem['msg']} (got {problem['input']!r}).",
            "With 256-token windows, --stride must be below 128.",
        ) from None


@train_app.command("reader")
def reader_command(
    base: str = typer.Option(
        ..., "--base", help="Encoder to start from: a local folder, a pulled hub id or preset."
    ),
    train: Path = typer.Option(..., "--train", help="SQuAD 1.1/2.0-layout JSON or JSONL to train on."),
    out: Path = typer.Option(..., "--out", help="Folder for checkpoints and the trained reader."),
    eval_file: Path | None = typer.Option(
        None, "--eval", help="Held-out SQuAD-layout file: EM/F1 at the end."
    ),
    epochs: float = typer.Option(1.0, "--epochs", min=0.01, help="Passes over the training windows."),
    batch_size: int = typer.Option(16, "--batch-size", min=1),
    max_length: int = typer.Option(
        160, "--max-length", min=32, help="Tokens per training window, question included."
    ),
    stride: int = typer.Option(
        64, "--stride", min=0, help="Tokens shared by neighbouring windows when scoring."
    ),
    lr: float = typer.Option(1e-4, "--lr", min=0.0),
    max_steps: int | None = typer.Option(
        None, "--max-steps", min=1, help="Stop after this many steps (sets the schedule)."
    ),
    save_every: int = typer.Option(100, "--save-every", min=1, help="Checkpoint every N steps."),
    negative_ratio: float = typer.Option(
        0.5, "--negatives", min=0.0, max=1.0, help="Negative windows per answerable question."
    ),
    near_miss_share: float = typer.Option(
        0.5,
        "--near-miss",
        min=0.0,
        max=1.0,
        help="Share of the negatives that are the question edited (another year, name or term).",
    ),
    train_limit: int | None = typer.Option(
        None, "--train-limit", min=1, help="Train on a random subset of questions."
    ),
    eval_limit: int | None = typer.Option(
        None, "--eval-limit", min=1, help="Score a random subset of --eval."
    ),
    layers: int | None = typer.Option(None, "--layers", min=1, help="Keep only the first N encoder layers."),
    train_embeddings: bool = typer.Option(
        False, "--train-embeddings", help="Also train the word-embedding table."
    ),
    device: str = typer.Option(
        "auto", "--device", help="auto (CUDA in bf16 when there is a GPU), cpu, cuda."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT's last checkpoint."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty OUT (its reader is replaced)."),
    seed: int = typer.Option(13, "--seed"),
    trust_remote_code: bool = typer.Option(
        False, "--trust-remote-code", help="Run the base model's own code."
    ),
) -> None:
    """Fine-tune BASE for extractive QA with a no-answer score; checkpoints resume; EM/F1 on --eval."""
    from models.loading.extras import require_extra
    from models.loading.locate import locate_model
    from models.training.reader_training import TrainSettings, has_checkpoint, train_reader
    from models.training.squad_data import load_squad

    require_extra("vidoc train reader")
    if not resume and has_checkpoint(out):
        raise VidocError(
            f"{out}: holds a checkpoint of an earlier run.",
            "Pass --resume to continue it, or choose another --out.",
        )
    if not resume and not force and out.is_dir() and any(out.iterdir()):
        raise VidocError(
            f"{out}: exists and is not empty.", "Choose a new --out, or pass --force to write into it."
        )
    eval_settings = _eval_reader_settings(out, device, stride)  # a bad --stride fails now, not after training
    folder = locate_model(base, "--base")
    examples, report = load_squad(train)
    typer.echo(
        f"train: {len(examples)} questions from {train} ({report.moved} answers moved to the nearest "
        f"occurrence, {report.dropped} dropped, "
        f"{report.questions_without_answer} questions left without one)",
        err=True,
    )
    held_out = None
    if eval_file is not None:
        held_out, _ = load_squad(eval_file)  # read now: a broken file fails before an hour of training
        held_out = _subset(held_out, eval_limit, seed)
    settings = TrainSettings(
        epochs=epochs,
        batch_size=batch_size,
        max_length=max_length,
        lr=lr,
        max_steps=max_steps,
        save_every=save_every,
        negative_ratio=negative_ratio,
        near_miss_share=near_miss_share,
        freeze_embeddings=not train_embeddings,
        layers=layers,
        seed=seed,
        device=device,
    )
    summary = train_reader(
        folder,
        _subset(examples, train_limit, seed),
        out,
        settings,
        resume=resume,
        trust_remote_code=trust_remote_code,
    )
    summary["train_file"] = train.name
    if held_out is not None:
        from eval.squad_eval import score_reader
        from models.span_readers.phobert_reader import PhoBERTReader

        reader = PhoBERTReader(eval_settings)
        scores = score_reader(reader, held_out, progress=True)
        typer.echo(f"eval on {eval_file}: {scores.line()}", err=True)
        summary["eval"] = {"file": eval_file.name, "questions": len(held_out), **scores.__dict__}
    (out / "training.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    typer.echo(f"wrote {out}")


@train_app.command("summariser")
def summariser_command(
    train: Path = typer.Option(
        ..., "--train", help="JSONL of articles with abstracts: {id, title, text, summary} a line."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for scorer.json (summariser.scorer names it)."),
    eval_file: Path | None = typer.Option(
        None, "--eval", help="Held-out JSONL of the same layout: ROUGE against lead and the default."
    ),
    eval_limit: int | None = typer.Option(None, "--eval-limit", min=1, help="Score the first N of --eval."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Train on the first N articles."),
    hidden: int = typer.Option(
        0, "--hidden", min=0, help="Hidden units of the MLP (0: logistic regression)."
    ),
    title_dropout: float = typer.Option(
        0.3, "--title-dropout", min=0.0, max=1.0, help="Share of articles shown without their title."
    ),
    force: bool = typer.Option(False, "--force", help="Replace OUT's scorer.json."),
    seed: int = typer.Option(13, "--seed"),
) -> None:
    """Learn a sentence scorer for the extractive summariser from articles and their abstracts."""
    from models.loading.extras import require_extra
    from models.training.summariser_training import SummariserTrainSettings, load_articles, train_summariser

    require_extra("vidoc train summariser", ("sklearn",), extra="train")
    if (out / "scorer.json").exists() and not force:
        raise VidocError(f"{out}: already holds a scorer.json.", "Choose another --out, or pass --force.")
    articles = load_articles(train, limit)
    held_out = load_articles(eval_file, eval_limit) if eval_file is not None else None  # fail before training
    settings = SummariserTrainSettings(hidden=hidden, title_dropout=title_dropout, limit=limit, seed=seed)
    typer.echo(f"train: {len(articles)} articles from {train}", err=True)
    record = train_summariser(articles, out, settings)
    typer.echo(
        f"trained on {record['sentences']} sentences of {record['articles']} articles "
        f"({100 * record['oracle_share']:.1f} % in the oracle) in {record['seconds']} s",
        err=True,
    )
    if held_out is not None:
        from eval.summary_validation import SYSTEMS, score_systems
        from pipeline.core.config import Config

        config = Config()
        config = config.model_copy(
            update={"summariser": config.summariser.model_copy(update={"scorer": str(out)})}
        )
        for budget in (60, 130):
            scores = score_systems(held_out, budget, config)
            figures = ", ".join(
                f"{system} {scores.mean(system, 'rouge1'):.3f}/{scores.mean(system, 'rouge2'):.3f}"
                for system in SYSTEMS
            )
            typer.echo(
                f"eval on {eval_file.name} ({len(held_out)}), {budget} words, ROUGE-1/2 F: {figures}",
                err=True,
            )
    typer.echo(f"wrote {out / 'scorer.json'}")
    typer.echo(f"use it with a config holding: summariser: {{scoring: learned, scorer: {out}}}", err=True)
