"""``vidoc chat`` driven as a person would: in a real pseudo-terminal (pexpect), and with piped stdin."""

from __future__ import annotations

import os
import sys

import pytest

from tests.conftest import ROOT, run_cli

QUESTION = "Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?"


def test_piped_questions_get_plain_answers(seed_path) -> None:
    lines = f"{QUESTION}\n\n:foo\nNgân sách năm 2030 của quận là bao nhiêu tỷ đồng?\n:quit\nkhông được hỏi\n"
    result = run_cli("chat", str(seed_path), input=lines)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "20.585" in out
    assert "gồm 52 tổ chức cơ sở Đảng với 20.585 đảng viên" in out  # the cited sentence
    assert "Lệnh không rõ: :foo" in out
    assert "Tài liệu không đề cập thông tin này." in out
    assert "❯" not in out  # no prompt decorations when piped
    assert "Traceback" not in result.stderr


def test_piped_verbose_prints_latency(seed_path) -> None:
    result = run_cli("chat", str(seed_path), "--verbose", input=f"{QUESTION}\n:config\n")
    assert result.returncode == 0, result.stderr
    assert " ms)" in result.stdout
    assert "1 câu trả lời, trung vị" in result.stdout


def test_missing_document_is_a_clean_error(tmp_path) -> None:
    result = run_cli("chat", str(tmp_path / "none.txt"), input="")
    assert result.returncode == 2
    assert "none.txt: no such file" in result.stderr and "Traceback" not in result.stderr


def test_terminal_session(seed_path, tmp_path) -> None:
    pexpect = pytest.importorskip("pexpect")
    env = dict(
        os.environ, PYTHONPATH=str(ROOT), VIDOC_HOME=str(tmp_path), PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm"
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "pipeline", "chat", str(seed_path)],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=120,
        dimensions=(40, 160),
    )
    try:
        child.expect("❯")
        child.sendline(QUESTION)
        child.expect("20.585")
        child.expect("❯")
        child.sendline("")  # a blank line does nothing
        child.expect("❯")
        child.sendline(":foo")
        child.expect("Lệnh không rõ")
        child.expect("❯")
        child.sendline(":docs")
        child.expect("000_f1aaaf303130fff8.txt")
        child.expect("❯")
        child.send("half a question")
        child.sendintr()  # Ctrl-C at the prompt clears the line and keeps the session
        child.expect("❯")
        child.sendline(":quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")
    assert (tmp_path / "chat_history").read_text(encoding="utf-8").count(QUESTION) == 1


class _TypingReader:
    """A reader that streams its answer word by word, as the ViT5 reader does, then answers."""

    model_id = "typing-reader"

    def __init__(self) -> None:
        self.streamed_calls = 0

    def read(self, question, passages):
        from pipeline.protocols import Answer

        return Answer("20.585 đảng viên", 0.9, (), self.model_id)

    def read_streaming(self, question, passages, on_text):
        self.streamed_calls += 1
        for piece in ("20.585", " đảng", " viên"):
            on_text(piece)
        return self.read(question, passages)


def test_a_streaming_reader_shows_its_words_as_they_come(seed_path) -> None:
    import io

    from rich.console import Console

    from pipeline.config import load_config
    from pipeline.qa import QuestionAnswerer
    from pipeline.repl import ChatSession, _answer

    reader = _TypingReader()
    session = ChatSession(load_config(), QuestionAnswerer(load_config(), reader=reader))
    session.open([str(seed_path)])
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    _answer(QUESTION, session, console, verbose=False, plain=False)
    shown = buffer.getvalue()
    assert reader.streamed_calls == 1
    assert shown.startswith("20.585 đảng viên\n")  # the streamed words, then the checked answer
    assert shown.count("20.585 đảng viên") == 2

    piped = io.StringIO()
    _answer(QUESTION, session, Console(file=piped), verbose=False, plain=True)
    assert reader.streamed_calls == 1  # piped output is never streamed


class _InterruptedReader(_TypingReader):
    """Ctrl-C arrives while the answer is being generated."""

    def read_streaming(self, question, passages, on_text):
        on_text("20.585")
        raise KeyboardInterrupt


def test_ctrl_c_cancels_the_answer_not_the_session(seed_path) -> None:
    import io

    from rich.console import Console

    from pipeline.config import load_config
    from pipeline.qa import QuestionAnswerer
    from pipeline.repl import ChatSession, _answer

    session = ChatSession(load_config(), QuestionAnswerer(load_config(), reader=_InterruptedReader()))
    session.open([str(seed_path)])
    buffer = io.StringIO()
    _answer(QUESTION, session, Console(file=buffer, width=120, color_system=None), verbose=False, plain=False)
    assert buffer.getvalue() == "20.585\n(đã huỷ câu trả lời)\n"
    assert session.last is None and session.latencies == []
