import json
from pathlib import Path

import pytest

from tests.conftest import cli_in_fresh_python, run_cli


def test_summarize_json_contract(seed_path) -> None:
    result = run_cli("summarize", str(seed_path), "--json")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    assert {"source", "summary", "model", "seconds", "sentences"} <= record.keys()
    assert record["source"] == str(seed_path)
    assert "20.585" in record["summary"]
    text = seed_path.read_text(encoding="utf-8")
    for sentence in record["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]


def test_summarize_human_output_and_max_words(seed_path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import RunOptions, app

    short = CliRunner().invoke(
        app, ["summarize", str(seed_path), "--max-words", "40", "--json"], obj=RunOptions()
    )
    human = CliRunner().invoke(app, ["summarize", str(seed_path), "--max-words", "40"], obj=RunOptions())
    assert short.exit_code == 0 and human.exit_code == 0, short.output + human.output
    summary = json.loads(short.stdout)["summary"]
    assert 0 < len(summary.split()) <= 40
    assert str(seed_path.name) in human.stdout and "words" in human.stdout


def test_offline_default_never_imports_torch(seed_path) -> None:
    """A fresh interpreter, so no other test's imports can hide or fake the result."""
    output, heavy = cli_in_fresh_python("summarize", str(seed_path), "--json")
    assert json.loads(output[-1])["summary"]
    assert heavy == []


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (lambda d: None, ["summarize", "{d}/missing.txt"], "missing.txt: no such file"),
        (
            lambda d: (d / "empty.txt").write_bytes(b""),
            ["summarize", "{d}/empty.txt"],
            "empty.txt: the file is empty",
        ),
        (
            lambda d: (d / "ws.txt").write_text(" \n\t "),
            ["summarize", "{d}/ws.txt"],
            "ws.txt: the file is empty",
        ),
        (lambda d: (d / "b.txt").write_bytes(bytes(range(256))), ["summarize", "{d}/b.txt"], "binary"),
        (lambda d: (d / "sub").mkdir(), ["summarize", "{d}/sub"], "no supported documents"),
        (lambda d: None, ["summarize", "{seed}", "--config", "{d}/none.yaml"], "config file not found"),
        (
            lambda d: (d / "bad.yaml").write_text("summariser: {kind: gpt}"),
            ["summarize", "{seed}", "--config", "{d}/bad.yaml"],
            "'summariser.kind' cannot be 'gpt'",
        ),
        (
            lambda d: (d / "key.yaml").write_text("retriever: {topk: 3}"),
            ["summarize", "{seed}", "--config", "{d}/key.yaml"],
            "unknown config key 'retriever.topk'",
        ),
        (
            lambda d: (d / "model.yaml").write_text("summariser: {kind: vit5, model: /nonexistent/vit5}"),
            ["summarize", "{seed}", "--config", "{d}/model.yaml"],
            "/nonexistent/vit5",
        ),
    ],
)
def test_bad_input_is_one_clear_error_without_traceback(
    tmp_path: Path, seed_path, make, args, message
) -> None:
    make(tmp_path)
    result = run_cli(*[a.format(d=tmp_path, seed=seed_path) for a in args])
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2
    assert result.stdout == ""


def test_an_empty_model_summary_is_not_called_nothing_to_summarise(seed_text: str) -> None:
    from pipeline.core.config import load_config
    from pipeline.core.protocols import Summary
    from pipeline.core.records import Document
    from pipeline.flow.summarise import summarise_documents

    class _SilentModel:
        model_id = "silent-vit5"

        def warm_up(self) -> None:
            pass

        def summarise(self, documents):
            return [Summary("", self.model_id) for _ in documents]

    settings = load_config(None)
    documents = [Document(seed_text, "seed.txt"), Document(" \n\n \t\n", "blank.txt")]
    results = list(summarise_documents(documents, settings, _SilentModel()))
    assert results[0].empty.reason == "the model produced an empty summary (silent-vit5)"
    assert "max_new_tokens" in results[0].empty.fix
    assert results[1].empty.reason == "nothing to summarise after cleaning"
