"""``vidoc chat`` driven as a person would: in a real pseudo-terminal (pexpect), and with piped stdin."""

from __future__ import annotations

import json
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


def test_encoding_option_reads_the_documents_and_what_open_adds(seed_path, tmp_path) -> None:
    """``--encoding`` holds for the session: the TCVN3 report at start and a note ``:open`` adds later,
    too short to be detected, which only the session's encoding can read."""
    from pipeline.documents.legacy_encodings import detect_legacy, encode_legacy

    report = tmp_path / "cu.txt"
    report.write_bytes(encode_legacy(seed_path.read_text(encoding="utf-8"), "tcvn3"))
    note = tmp_path / "ghichu.txt"
    note.write_bytes(encode_legacy("Trời mưa to.", "tcvn3"))
    assert detect_legacy(note.read_bytes()) is None
    lines = f":open {note}\n{QUESTION}\n:docs\n"
    result = run_cli("chat", str(report), "--encoding", "TCVN3", input=lines, env_extra={"COLUMNS": "400"})
    assert result.returncode == 0, result.stderr
    assert "Đã nạp 1 tài liệu." in result.stdout and "Lỗi" not in result.stdout
    assert "20.585 đảng viên" in result.stdout
    assert result.stdout.count("bảng mã tcvn3") == 2  # :docs lists both, read as TCVN3
    bad = run_cli("chat", str(report), "--encoding", "koi8-r", input="")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == (
        "vidoc: error: --encoding koi8-r: unknown encoding; choose one of utf-8, tcvn3, vni, cp1258."
    )


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
        child.expect("indexing")  # the seed is not in this fresh VIDOC_HOME's cache: a bar on stderr
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
    reads_roles = False

    def warm_up(self) -> None:
        pass

    def __init__(self) -> None:
        self.streamed_calls = 0

    def read(self, question, passages):
        from pipeline.core.protocols import Answer

        return Answer("20.585 đảng viên", 0.9, (), self.model_id)

    def read_streaming(self, question, passages, on_text):
        self.streamed_calls += 1
        for piece in ("20.585", " đảng", " viên"):
            on_text(piece)
        return self.read(question, passages)


def test_a_streaming_reader_shows_its_words_as_they_come(seed_path) -> None:
    import io

    from rich.console import Console

    from pipeline.chat.repl import ChatSession, _answer
    from pipeline.core.config import load_config
    from pipeline.flow.qa import QuestionAnswerer

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

    from pipeline.chat.repl import ChatSession, _answer
    from pipeline.core.config import load_config
    from pipeline.flow.qa import QuestionAnswerer

    session = ChatSession(load_config(), QuestionAnswerer(load_config(), reader=_InterruptedReader()))
    session.open([str(seed_path)])
    buffer = io.StringIO()
    _answer(QUESTION, session, Console(file=buffer, width=120, color_system=None), verbose=False, plain=False)
    assert buffer.getvalue() == "20.585\n(đã huỷ câu trả lời)\n"
    assert session.last is None and session.latencies == []


HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x9b31m\u202e"  # clear screen, window title, C1 CSI, bidi override
RAW_CONTROL = ("\x1b", "\x07", "\x9b", "\u202e")


def test_escape_sequences_in_a_document_are_shown_not_sent(seed_path, tmp_path) -> None:
    text = seed_path.read_text(encoding="utf-8").replace("gồm 52 tổ chức", f"gồm 52{HOSTILE} tổ chức", 1)
    path = tmp_path / "bao\x1b]0;x\x07cao.txt"
    path.write_text(text, encoding="utf-8")
    result = run_cli("chat", str(path), input=f"{QUESTION}\n:sources\n:docs\n:summary\n:quit\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "20.585 đảng viên" in out
    assert not [raw for raw in RAW_CONTROL if raw in out]
    assert out.count("\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202e") >= 2  # the answer's sentence and :sources
    assert "bao\\x1b]0;x\\x07cao.txt" in out


def test_open_of_a_broken_docx_prints_the_error_and_the_session_goes_on(seed_path, tmp_path) -> None:
    import zipfile

    broken = tmp_path / "hỏng.docx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
    lines = f":open {broken}\n{QUESTION}\n:docs\n"
    result = run_cli("chat", str(seed_path), input=lines, env_extra={"COLUMNS": "400"})
    assert result.returncode == 0, result.stderr
    assert f"Lỗi: {broken}: not a readable .docx file" in result.stdout
    assert "20.585 đảng viên" in result.stdout  # the question after the failed :open is answered
    assert result.stdout.count("hỏng.docx") == 1  # named in the error, not listed by :docs
    assert "Traceback" not in result.stderr and "XMLSyntaxError" not in result.stderr


def test_unwritable_home_keeps_the_history_in_memory_and_says_so_once(tmp_path, monkeypatch, capsys) -> None:
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    from pipeline.chat.repl import _history
    from pipeline.core import appdirs

    monkeypatch.setattr(appdirs, "_warned", set())
    home = tmp_path / "home-is-a-file"
    home.write_text("", encoding="utf-8")
    monkeypatch.setenv("VIDOC_HOME", str(home))
    assert isinstance(_history(), InMemoryHistory)
    assert isinstance(_history(), InMemoryHistory)
    (warning,) = capsys.readouterr().err.strip().splitlines()
    assert warning.startswith(f"vidoc: warning: {home}") and "without the chat history" in warning

    monkeypatch.setattr(appdirs, "_warned", set())
    writable = tmp_path / "home"
    (writable / "chat_history").mkdir(parents=True)  # the history file cannot be read or written
    monkeypatch.setenv("VIDOC_HOME", str(writable))
    history = _history()
    assert isinstance(history, FileHistory)
    assert list(history.load_history_strings()) == []
    history.store_string("câu hỏi một")
    history.store_string("câu hỏi hai")
    (warning,) = capsys.readouterr().err.strip().splitlines()
    assert "Is a directory" in warning and "without the chat history" in warning


FOLLOW_UP = "còn chi bộ cơ sở thì sao?"
REWRITTEN = "Đảng bộ quận Thanh Xuân có bao nhiêu chi bộ cơ sở?"


def test_a_follow_up_is_answered_from_its_rewrite_and_the_session_exports(
    seed_path, seed_text, tmp_path
) -> None:
    lines = "\n".join(
        [
            QUESTION,
            FOLLOW_UP,
            ":history",
            f":export {tmp_path / 'chat.jsonl'}",
            f":export {tmp_path / 'chat.md'}",
            f":export {tmp_path / 'missing' / 'chat.md'}",
            f":export {tmp_path}",
            ":reset",
            FOLLOW_UP,
            ":history",
        ]
    )
    result = run_cli("chat", str(seed_path), "--verbose", input=lines + "\n", env_extra={"COLUMNS": "400"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count(f"→ rewritten: {REWRITTEN}") == 1  # after :reset the follow-up is read alone
    assert "25 chi bộ cơ sở" in out  # what the rewrite retrieves (read alone: "11 đảng bộ phường")
    assert f"2. {FOLLOW_UP}\n   → {REWRITTEN}\n   25 chi bộ cơ sở" in out
    assert "── ngữ cảnh đã xoá (:reset) ──\n3. " in out
    assert f"Đã ghi 2 lượt vào {tmp_path / 'chat.jsonl'}." in out
    assert f"Lỗi: không ghi được {tmp_path / 'missing' / 'chat.md'}: No such file or directory" in out
    assert f"Lỗi: không ghi được {tmp_path}: Is a directory" in out
    assert "Traceback" not in result.stderr and result.stderr == ""  # no progress bar when piped

    first, second = [
        json.loads(line) for line in (tmp_path / "chat.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert (first["turn"], first["question"], first["rewritten"]) == (1, QUESTION, None)
    assert (second["question"], second["rewritten"], second["answer"]) == (
        FOLLOW_UP,
        REWRITTEN,
        "25 chi bộ cơ sở",
    )
    cited = second["citations"][0]
    assert cited["source"] == str(seed_path) and seed_text[cited["start"] : cited["end"]] == cited["text"]
    assert seed_text[cited["answer_start"] : cited["answer_end"]] == "25 chi bộ cơ sở"
    markdown = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert (
        f"## 2. {FOLLOW_UP}\n\n*Câu hỏi đã viết lại:* {REWRITTEN}\n\n**Trả lời:** 25 chi bộ cơ sở" in markdown
    )
    assert f"`{seed_path}` [{cited['passage']}] {cited['start']}–{cited['end']}" in markdown
    assert sorted(path.name for path in tmp_path.iterdir()) == ["chat.jsonl", "chat.md"]  # no temporaries


class _EchoReader:
    """Answers with the question it was given, so a test can see what was read."""

    model_id = "echo-reader"
    reads_roles = False

    def warm_up(self) -> None:
        pass

    def read(self, question, passages):
        from pipeline.core.protocols import Answer

        return Answer(question, 1.0, (), self.model_id)


class _ShoutingRewriter:
    """A stand-in for a model rewriter: anything with rewrite(question, history) -> Rewrite."""

    def __init__(self) -> None:
        self.histories = []

    def rewrite(self, question, history):
        from pipeline.chat.followups import Rewrite

        self.histories.append(list(history))
        return Rewrite(question.upper(), "model") if history else Rewrite(question)


def test_the_rewriter_is_a_hook_and_reset_clears_its_context(seed_path, tmp_path) -> None:
    import io

    from rich.console import Console

    from pipeline.chat.repl import ChatSession, handle_command
    from pipeline.core.config import load_config
    from pipeline.flow.qa import QuestionAnswerer

    rewriter = _ShoutingRewriter()
    session = ChatSession(
        load_config(), QuestionAnswerer(load_config(), reader=_EchoReader()), rewriter=rewriter
    )
    session.open([str(seed_path)])
    assert session.ask("một").answer.text == "một"
    assert session.ask("hai").answer.text == "HAI"  # the reader was given the rewrite
    assert [turn.rewritten for turn in session.turns] == [None, "HAI"]
    assert rewriter.histories[-1][0].question == "một" and rewriter.histories[-1][0].answer == "một"
    console = Console(file=io.StringIO(), width=120, color_system=None)
    assert handle_command(":reset", session, console)
    assert session.ask("ba").answer.text == "ba" and rewriter.histories[-1] == []
    assert handle_command(":export", session, console)  # no file: the usage line
    assert "Cách dùng: :export" in console.file.getvalue()
    assert len(session.turns) == 3  # :history and :export still have every turn
