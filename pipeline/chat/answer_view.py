"""How an answer looks on a terminal: the answer in bold, the cited sentence with the span
highlighted, the source and position, the score. Shared by ``vidoc chat`` and ``vidoc ask``.

Everything taken from a document or a file name goes through ``terminal_safe``: an escape sequence in a
report must be shown, not obeyed by the terminal.
"""

from __future__ import annotations

import re

from rich.text import Text

from pipeline.chat.terminal_text import terminal_safe
from pipeline.core.protocols import Answer, Citation

ABSTENTION = "Tài liệu không đề cập thông tin này."
_SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n")


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset (what an editor shows)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def cited_sentence(citation: Citation) -> tuple[int, int]:
    """Offsets (original text) of the sentence inside the passage that holds the answer span."""
    if citation.answer_start is None or citation.answer_end is None:
        return citation.start, citation.end
    text = citation.text
    local_start = citation.answer_start - citation.start
    local_end = citation.answer_end - citation.start
    begin = 0
    for match in _SENTENCE_END.finditer(text, 0, max(local_start, 0)):
        begin = match.end()
    end_match = _SENTENCE_END.search(text, max(local_end, 0))
    end = end_match.end() if end_match else len(text)
    while begin < end and text[begin].isspace():
        begin += 1
    return citation.start + begin, citation.start + end


def highlighted(citation: Citation) -> Text:
    """The cited sentence as rich Text, the answer span in bold yellow.

    The three parts (before, span, after) are made terminal-safe one by one, so the style lands on the
    span even where escaping a control character made the text longer.
    """
    start, end = cited_sentence(citation)

    def part(begin: int, stop: int) -> str:
        return terminal_safe(citation.text[begin - citation.start : stop - citation.start])

    if citation.answer_start is None or citation.answer_end is None:
        return Text(part(start, end))
    span_start = min(max(citation.answer_start, start), end)
    span_end = min(max(citation.answer_end, span_start), end)
    sentence = Text(part(start, span_start))
    sentence.append(part(span_start, span_end), style="bold yellow")
    sentence.append(part(span_end, end))
    return sentence


def render_answer(answer: Answer, documents: dict[str, str], seconds: float | None = None) -> Text:
    """A rich renderable for one answer; ``documents`` maps source → original text for positions."""
    out = Text()
    if answer.text is None:
        out.append(ABSTENTION, style="bold")
        out.append(f"  (điểm {answer.score:.2f})", style="dim")
        return out
    out.append(terminal_safe(answer.text), style="bold green")
    out.append(f"  (điểm {answer.score:.2f}", style="dim")
    out.append(f", {seconds * 1000:.0f} ms)" if seconds is not None else ")", style="dim")
    for citation in answer.citations[:1]:
        out.append("\n  ")
        out.append_text(highlighted(citation))
        text = documents.get(citation.source)
        anchor = citation.answer_start if citation.answer_start is not None else citation.start
        where = terminal_safe(citation.source)
        if text is not None:
            line, column = line_and_column(text, anchor)
            where += f":{line}:{column}"
        out.append(f"\n  — {where} [{citation.passage}]", style="cyan")
    return out


def plain_answer(answer: Answer) -> str:
    """One-line-per-fact plain output for pipes: the answer, then the cited sentence and source.

    Made terminal-safe too: a pipe often ends in a terminal (``… | less -R``, ``tee``), and ``--json`` is
    the output that keeps the exact text."""
    if answer.text is None:
        return ABSTENTION
    lines = [answer.text]
    for citation in answer.citations[:1]:
        start, end = cited_sentence(citation)
        lines.append(f"  {citation.text[start - citation.start : end - citation.start]}")
        lines.append(f"  — {citation.source} [{start}:{end}]")
    return terminal_safe("\n".join(lines))
