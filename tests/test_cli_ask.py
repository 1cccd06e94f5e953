"""``vidoc ask``: the JSON contract and the one-line errors end to end (a subprocess, as a user runs
it); question files and each kind of bad input in this process through ``CliRunner``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipeline.chat.answer_view import ABSTENTION
from pipeline.cli import RunOptions, app
from pipeline.commands.ask import END_OF_DOCUMENTS, split_arguments
from pipeline.core.errors import VidocError
from tests.conftest import run_cli

QUESTION = "Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?"
UNANSWERABLE = "Chủ tịch UBND quận Thanh Xuân là ai?"


def _lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_json_contract(seed_path) -> None:
    result = run_cli("ask", str(seed_path), QUESTION, UNANSWERABLE, "--json")
    assert result.returncode == 0, result.stderr
    answered, refused = _lines(result.stdout)
    for record in (answered, refused):
        assert {"question", "answer", "score", "citations", "model", "seconds"} <= set(record)
    assert answered["question"] == QUESTION
    assert answered["answer"] == "20.585 đảng viên"
    text = seed_path.read_text(encoding="utf-8")
    citation = answered["citations"][0]
    assert {"passage", "text", "start", "end", "score"} <= set(citation)
    assert text[citation["start"] : citation["end"]] == citation["text"]
    assert text[citation["answer_start"] : citation["answer_end"]] == answered["answer"]
    assert refused["answer"] is None and refused["citations"] == []


def test_human_output_shows_answer_source_and_abstention(seed_path) -> None:
    result = run_cli("ask", str(seed_path), QUESTION, UNANSWERABLE)
    assert result.returncode == 0, result.stderr
    assert "20.585 đảng viên" in result.stdout
    assert seed_path.name in result.stdout
    assert ABSTENTION in result.stdout


@pytest.mark.parametrize("suffix", [".txt", ".jsonl"])
def test_questions_file(seed_path, tmp_path, suffix) -> None:
    questions = [QUESTION, UNANSWERABLE]
    path = tmp_path / f"questions{suffix}"
    if suffix == ".jsonl":
        body = "\n".join(
            json.dumps({"id": i, "question": q}, ensure_ascii=False) for i, q in enumerate(questions)
        )
    else:
        body = "\n".join(questions) + "\n\n"
    path.write_text(body, encoding="utf-8")
    args = ["ask", str(seed_path), "--questions", str(path), "--json", "--top-k", "2"]
    result = CliRunner().invoke(app, args, obj=RunOptions())
    assert result.exit_code == 0, result.output
    records = _lines(result.stdout)
    assert [r["question"] for r in records] == questions
    assert records[0]["answer"] == "20.585 đảng viên"


def test_several_documents_cite_their_own_source(seed_path, tmp_path) -> None:
    other = tmp_path / "other.txt"
    other.write_text(
        "Hội nghị tổng kết được tổ chức tại thành phố Quy Nhơn vào sáng 12/3/2024.", encoding="utf-8"
    )
    result = run_cli(
        "ask", str(seed_path), str(other), "--json", "--", "Hội nghị tổng kết được tổ chức ở đâu?"
    )
    assert result.returncode == 0, result.stderr
    (record,) = _lines(result.stdout)
    assert record["answer"] is not None and "Quy Nhơn" in record["answer"]
    assert record["citations"][0]["source"] == str(other)


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (
            lambda seed, tmp: [str(seed), "--questions", str(_write(tmp / "empty.txt", "\n  \n"))],
            "no questions",
        ),
        (lambda seed, tmp: [str(_write(tmp / "blank.txt", "   \n\n  ")), "Ai?"], "empty"),
        (lambda seed, tmp: [str(seed), "   "], "empty (only whitespace)"),
        (lambda seed, tmp: [str(seed)], "no question"),
        (lambda seed, tmp: [str(tmp / "missing.txt"), "Ai?"], "no such file"),
        (
            lambda seed, tmp: [str(seed), "--questions", str(_write(tmp / "bad.jsonl", "{oops\n"))],
            "not valid JSON",
        ),
    ],
)
def test_bad_input_is_a_user_error_that_says_what_is_wrong(seed_path, tmp_path, make_args, message) -> None:
    result = CliRunner().invoke(app, ["ask", *make_args(seed_path, tmp_path)], obj=RunOptions())
    assert isinstance(result.exception, VidocError), result.output
    assert message in str(result.exception) and result.exception.exit_code == 2


def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path) -> None:
    """What ``main`` makes of a ``VidocError``, in the real console script."""
    result = run_cli("ask", str(tmp_path / "missing.txt"), "Ai?")
    assert result.returncode == 2
    assert "no such file" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("vidoc: error:") and len(result.stderr.strip().splitlines()) <= 2


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_split_arguments(seed_path) -> None:
    assert split_arguments([str(seed_path), "Ai?", "Khi nào?"]) == ([str(seed_path)], ["Ai?", "Khi nào?"])
    assert split_arguments([str(seed_path)]) == ([str(seed_path)], [])
    assert split_arguments(["nope.txt", "Ai?"]) == ([], ["nope.txt", "Ai?"])
    assert split_arguments([str(seed_path), END_OF_DOCUMENTS, "examples"]) == ([str(seed_path)], ["examples"])
    long_question = "Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên " * 8 + "?"  # > 255 bytes
    assert split_arguments([str(seed_path), long_question]) == ([str(seed_path)], [long_question])


def test_cold_ask_with_the_trained_reader_never_imports_torch(seed_path) -> None:
    """The shipped trained reader runs on ONNX Runtime: a fresh interpreter answers without torch."""
    from tests.conftest import cli_in_fresh_python

    output, heavy = cli_in_fresh_python("ask", str(seed_path), QUESTION, "--json", "--config", "trained")
    assert json.loads(output[-1])["model"].startswith("e5-viquad-reader")
    assert heavy == []


HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x9b31m\u202e"  # clear screen, window title, C1 CSI, bidi override


def _hostile_copy(seed_path, tmp_path):
    """The seed report with escape sequences inside the sentence that answers QUESTION, and in its name."""
    text = seed_path.read_text(encoding="utf-8").replace("gồm 52 tổ chức", f"gồm 52{HOSTILE} tổ chức", 1)
    path = tmp_path / "bao\x1b[31mcao.txt"
    path.write_text(text, encoding="utf-8")
    return path, text


def test_escape_sequences_are_shown_not_sent_and_json_keeps_them(seed_path, tmp_path) -> None:
    path, text = _hostile_copy(seed_path, tmp_path)
    shown = run_cli("ask", str(path), QUESTION, env_extra={"COLUMNS": "400"})  # no wrapping to match across
    assert shown.returncode == 0, shown.stderr
    assert "20.585 đảng viên" in shown.stdout
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in shown.stdout
    assert "gồm 52\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202e tổ chức" in shown.stdout
    assert "bao\\x1b[31mcao.txt" in shown.stdout

    as_json = run_cli("ask", str(path), QUESTION, "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert "\x1b" not in as_json.stdout and "\x9b" not in as_json.stdout and "\u202e" not in as_json.stdout
    (record,) = _lines(as_json.stdout)
    citation = record["citations"][0]
    assert HOSTILE in citation["text"] and text[citation["start"] : citation["end"]] == citation["text"]
    assert citation["source"] == str(path)


def test_broken_docx_is_one_clear_error(tmp_path) -> None:
    import zipfile

    path = tmp_path / "báo cáo.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")  # a zip, but its XML is cut off
    result = run_cli("ask", str(path), "Ai?")
    assert result.returncode == 2
    first, fix = result.stderr.strip().splitlines()
    assert first.startswith(f"vidoc: error: {path}: not a readable .docx file")
    assert "[Content_Types].xml is not well-formed XML" in first
    assert "save it again as .docx" in fix
    assert "Traceback" not in result.stderr and "XMLSyntaxError" not in result.stderr


def test_unwritable_vidoc_home_still_answers_and_says_so_once(seed_path, tmp_path) -> None:
    home = tmp_path / "home-is-a-file"
    home.write_text("not a folder", encoding="utf-8")
    result = run_cli("ask", str(seed_path), QUESTION, QUESTION, env_extra={"VIDOC_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("20.585 đảng viên") >= 2
    (warning,) = result.stderr.strip().splitlines()
    assert warning.startswith(f"vidoc: warning: {home}") and "Going on without the cache" in warning


def test_double_dash_ends_the_documents(seed_path) -> None:
    """'examples' is a folder here: after --, it is a question, not a document."""
    result = run_cli("ask", str(seed_path), "--json", "--", "examples")
    assert result.returncode == 0, result.stderr
    assert [record["question"] for record in _lines(result.stdout)] == ["examples"]


def test_debug_adds_the_traceback_and_keeps_the_line_and_exit_code(tmp_path, capsys) -> None:
    from pipeline.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["--debug", "ask", str(tmp_path / "missing.txt"), "Ai?"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert "Traceback" in err and "vidoc: error:" in err and "no such file" in err
