"""``vidoc chat``: ask questions about loaded documents in a terminal.

In a terminal it uses prompt_toolkit (line editing, history in the app directory) and rich output;
with stdin not a terminal (questions piped in) it answers line by line in plain text with no prompt.
Ctrl-C cancels the answer in progress (or clears the line), Ctrl-D or ``:quit`` leaves.
Document text and file names are printed through ``terminal_safe``, so a report cannot drive the terminal.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from pipeline.answer_view import plain_answer, render_answer
from pipeline.appdirs import app_dir, unusable, warn_cache_off, writable_dir
from pipeline.config import Config
from pipeline.documents import Document, document_paths, load_document
from pipeline.errors import VidocError
from pipeline.qa import AskResult, QuestionAnswerer
from pipeline.terminal_text import terminal_safe

if TYPE_CHECKING:
    from prompt_toolkit.history import History

HELP = """Lệnh:
  :help            trợ giúp này
  :sources         các đoạn văn đầy đủ của câu trả lời vừa rồi
  :summary         tóm tắt các tài liệu đã nạp
  :docs            danh sách tài liệu đã nạp
  :open ĐƯỜNG_DẪN  nạp thêm tài liệu
  :config          cấu hình và độ trễ trả lời
  :quit            thoát (hoặc Ctrl-D)
Gõ câu hỏi bằng tiếng Việt rồi nhấn Enter."""


@dataclass
class ChatSession:
    """State of one chat: the documents, the QA engine, the last answer and answer latencies."""

    config: Config
    answerer: QuestionAnswerer
    documents: dict[str, Document] = field(default_factory=dict)
    last: AskResult | None = None
    latencies: list[float] = field(default_factory=list)

    def open(self, paths: list[str]) -> list[Document]:
        loaded = [load_document(path, self.config.documents.max_chars) for path in document_paths(paths)]
        fresh = [doc for doc in loaded if doc.source not in self.documents]
        if fresh:
            self.answerer.add(fresh)
            self.documents.update((doc.source, doc) for doc in fresh)
        return fresh

    def ask(self, question: str, on_text: Callable[[str], None] | None = None) -> AskResult:
        result = self.answerer.ask(question, on_text=on_text)
        self.latencies.append(result.seconds)
        self.last = result
        return result

    @property
    def prompt_label(self) -> str:
        names = [terminal_safe(Path(source).name) for source in self.documents]
        label = names[0] if len(names) == 1 else f"{len(names)} tài liệu"
        return f"[{label}] ❯ "

    def latency_line(self) -> str:
        if not self.latencies:
            return "chưa có câu trả lời nào"
        p50 = statistics.median(self.latencies) * 1000
        last = self.latencies[-1] * 1000
        return f"{len(self.latencies)} câu trả lời, trung vị {p50:.0f} ms, gần nhất {last:.0f} ms"


def _summary_text(session: ChatSession) -> Text:
    from models.factory import build_summariser
    from pipeline.summarise import summarise_documents

    summariser = build_summariser(session.config)
    out = Text()
    for result in summarise_documents(session.documents.values(), session.config, summariser):
        out.append(f"{terminal_safe(result.source)}\n", style="cyan")
        out.append(terminal_safe(result.summary.text) + "\n")
    return out


def _sources_text(session: ChatSession) -> Text:
    if session.last is None:
        return Text("Chưa có câu trả lời nào.")
    out = Text()
    citations = session.last.answer.citations or ()
    if not citations:
        return Text("Câu trả lời vừa rồi không dựa trên đoạn văn nào.")
    for citation in citations:
        where = f"{terminal_safe(citation.source)} [{citation.passage}] {citation.start}–{citation.end} "
        out.append(where, style="cyan")
        out.append(f"(điểm {citation.score:.2f})\n", style="dim")
        out.append(terminal_safe(citation.text) + "\n\n")
    return out


def handle_command(line: str, session: ChatSession, console: Console) -> bool:
    """Run a ``:command``; return False when the session should end."""
    name, _, argument = line[1:].strip().partition(" ")
    name = name.lower()
    if name in {"quit", "q", "exit"}:
        return False
    if name in {"help", "h", "?"}:
        console.print(HELP, markup=False, highlight=False)
    elif name == "sources":
        console.print(_sources_text(session))
    elif name == "summary":
        console.print(_summary_text(session))
    elif name == "docs":
        for source, document in session.documents.items():
            words = len(document.text.split())
            console.print(f"{terminal_safe(source)}  ({words} từ)", markup=False, highlight=False)
    elif name == "open":
        if not argument.strip():
            console.print("Cách dùng: :open ĐƯỜNG_DẪN", markup=False)
        else:
            try:
                added = session.open([argument.strip()])
            except VidocError as error:
                console.print(terminal_safe(f"Lỗi: {error}"), markup=False, highlight=False)
            else:
                console.print(f"Đã nạp {len(added)} tài liệu.", markup=False)
    elif name == "config":
        console.print(f"config: {session.config.name}", markup=False, highlight=False)
        console.print(session.config.model_dump_json(indent=2), markup=False, highlight=False)
        console.print(f"độ trễ: {session.latency_line()}", markup=False, highlight=False)
    else:
        unknown = terminal_safe(f"Lệnh không rõ: :{name}. Gõ :help để xem các lệnh.")
        console.print(unknown, markup=False, highlight=False)
    return True


def _answer(question: str, session: ChatSession, console: Console, verbose: bool, plain: bool) -> None:
    streamed: list[str] = []

    def show_piece(piece: str) -> None:
        """A generative reader's tokens, dimmed, while it writes; the checked answer follows."""
        streamed.append(piece)
        shown = terminal_safe(piece)
        console.print(shown, end="", style="dim", markup=False, highlight=False, soft_wrap=True)

    try:
        result = session.ask(question, on_text=None if plain else show_piece)
    except KeyboardInterrupt:
        console.print("\n(đã huỷ câu trả lời)" if streamed else "(đã huỷ câu trả lời)", markup=False)
        return
    if streamed:
        console.print()
    texts = {source: doc.text for source, doc in session.documents.items()}
    if plain:
        print(plain_answer(result.answer), flush=True)
        if verbose:
            print(f"  ({result.seconds * 1000:.0f} ms)", flush=True)
    else:
        console.print(render_answer(result.answer, texts, result.seconds if verbose else None))


def _history() -> History:
    """Line history in the app directory; kept in memory only (said once) when that cannot be written,
    so a read-only or full VIDOC_HOME costs the history, not the chat."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    class SafeFileHistory(FileHistory):
        """A FileHistory whose failed reads and writes warn once instead of ending the prompt."""

        def load_history_strings(self) -> list[str]:
            try:
                return list(super().load_history_strings())
            except OSError as error:
                warn_cache_off(unusable(Path(self.filename), error), "the chat history")
                return []

        def store_string(self, string: str) -> None:
            try:
                super().store_string(string)
            except OSError as error:
                warn_cache_off(unusable(Path(self.filename), error), "the chat history")

    try:
        folder = writable_dir(app_dir())
    except VidocError as error:
        warn_cache_off(error, "the chat history")
        return InMemoryHistory()
    return SafeFileHistory(str(folder / "chat_history"))


def _terminal_lines(session: ChatSession) -> Iterator[str]:
    from prompt_toolkit import PromptSession

    prompt = PromptSession(history=_history())
    while True:
        try:
            yield prompt.prompt(session.prompt_label)
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt clears the line
        except EOFError:
            return


def _piped_lines() -> Iterator[str]:
    for line in sys.stdin:
        yield line.rstrip("\n")


def run_chat(paths: list[str], config: Config, verbose: bool = False, interactive: bool | None = None) -> int:
    """Load the documents, then answer until :quit or end of input. Returns the exit code."""
    interactive = sys.stdin.isatty() if interactive is None else interactive
    console = Console(stderr=False, highlight=False)
    session = ChatSession(config, QuestionAnswerer(config))
    started = time.perf_counter()
    if interactive:
        with console.status("Đang đọc và lập chỉ mục tài liệu…"):
            session.open(paths)
        elapsed = time.perf_counter() - started
        console.print(
            f"Đã nạp {len(session.documents)} tài liệu trong {elapsed:.1f} s. Gõ :help để xem lệnh.",
            markup=False,
        )
    else:
        session.open(paths)
    lines: Callable[[], Iterator[str]] = (lambda: _terminal_lines(session)) if interactive else _piped_lines
    for line in lines():
        text = line.strip()
        if not text:
            continue
        if text.startswith(":"):
            if not handle_command(text, session, console):
                break
            continue
        _answer(text, session, console, verbose, plain=not interactive)
    return 0
