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
        child.sendline(":quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")
    assert (tmp_path / "chat_history").read_text(encoding="utf-8").count(QUESTION) == 1
