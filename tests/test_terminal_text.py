"""Document text on a terminal: escape sequences are shown, never sent; JSON keeps the exact text."""

from __future__ import annotations

import io
import json
import re

from rich.console import Console

from pipeline.chat.answer_view import highlighted, plain_answer, render_answer
from pipeline.chat.terminal_text import json_line, terminal_safe
from pipeline.core.protocols import Answer, Citation

# Clear screen, set the window title (OSC 0 … BEL), a C1 CSI, a bidi override and a bidi isolate.
SEQUENCES = "\x1b[2J\x1b]0;pwned\x07\x9b31m\u202e\u2066"
HOSTILE = f"gồm 52{SEQUENCES} tổ chức"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_controls_are_written_out_and_layout_stays() -> None:
    safe = terminal_safe(f"Dòng một\tcột\r\n{HOSTILE}\rghi đè\n")
    assert not RAW_CONTROL.search(safe)
    assert "\\x1b[2J" in safe and "\\x1b]0;pwned\\x07" in safe and "\\x9b31m" in safe
    assert "\\u202e" in safe and "\\u2066" in safe
    assert safe.startswith("Dòng một\tcột\ngồm 52")  # tab kept, CRLF is a plain line end
    assert "\\x0dghi đè\n" in safe  # a lone carriage return would overwrite the line: shown instead
    assert terminal_safe("Đảng bộ quận Thanh Xuân.\n") == "Đảng bộ quận Thanh Xuân.\n"


def test_json_line_keeps_the_exact_text_with_no_raw_control() -> None:
    record = {"answer": HOSTILE, "citations": [{"text": "a\x7fb\u202ec"}]}
    line = json_line(record)
    assert json.loads(line) == record
    assert not RAW_CONTROL.search(line)
    assert "Đảng" in json_line({"t": "Đảng"})  # Vietnamese stays readable, not \u-escaped


def _citation(text: str, span: str) -> Citation:
    start = 100
    answer_start = start + text.index(span)
    return Citation(
        "p1",
        "báo cáo\x1b[31m.txt",
        text,
        start,
        start + len(text),
        0.9,
        answer_start,
        answer_start + len(span),
    )


def test_answer_views_show_escapes_and_still_highlight_the_span() -> None:
    text = f"Theo báo cáo, Đảng bộ {HOSTILE} với 20.585 đảng viên. Câu sau."
    citation = _citation(text, "20.585 đảng viên")
    sentence = highlighted(citation)
    assert not RAW_CONTROL.search(sentence.plain)
    (span,) = [sentence.plain[s.start : s.end] for s in sentence.spans if s.style == "bold yellow"]
    assert span == "20.585 đảng viên"  # escaping made the text longer, the style still lands on the span

    answer = Answer(f"20.585{chr(0x1B)}[2J đảng viên", 0.9, (citation,), "test")
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(render_answer(answer, {citation.source: text}))
    shown = buffer.getvalue()
    assert not RAW_CONTROL.search(shown)
    assert "20.585\\x1b[2J đảng viên" in shown and "báo cáo\\x1b[31m.txt" in shown
    assert not RAW_CONTROL.search(plain_answer(answer))


def test_summarize_shows_escapes_and_brackets_as_text(seed_path, tmp_path) -> None:
    from tests.conftest import run_cli

    first = "Trong những năm qua, công tác lãnh đạo"  # opens the summary's first sentence
    hostile = seed_path.read_text(encoding="utf-8").replace(
        first, f"Trong những năm qua,{SEQUENCES} [bold]công tác[/bold] lãnh đạo", 1
    )
    path = tmp_path / "bao\x1b[31mcao.txt"
    path.write_text(hostile, encoding="utf-8")
    as_json = run_cli("summarize", str(path), "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert not RAW_CONTROL.search(as_json.stdout)
    record = json.loads(as_json.stdout)
    assert record["source"] == str(path) and SEQUENCES in record["summary"]
    shown = run_cli("summarize", str(path), env_extra={"COLUMNS": "400"})
    assert shown.returncode == 0, shown.stderr
    assert not RAW_CONTROL.search(shown.stdout)
    assert "bao\\x1b[31mcao.txt" in shown.stdout
    escaped = "\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202e\\u2066"
    assert f"qua,{escaped} [bold]công tác[/bold]" in shown.stdout  # shown as text, not taken as markup
