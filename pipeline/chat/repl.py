"""``vidoc chat``: ask questions about loaded documents in a terminal.

In a terminal it uses prompt_toolkit (line editing, history in the app directory) and rich output;
with stdin not a terminal (questions piped in) it answers line by line in plain text with no prompt.
Ctrl-C cancels the answer in progress (or clears the line), Ctrl-D or ``:quit`` leaves.
Document text and file names are printed through ``terminal_safe``, so a report cannot drive the terminal.

A follow-up ("còn chi bộ cơ sở thì sao?", "vậy năm nào?", "ông ấy giữ chức vụ gì?") is rewritten into a
standalone question from the previous turn (``pipeline.chat.followups``) and retrieved and read as that;
``--verbose`` shows the rewrite. ``:history`` lists the turns, ``:export FILE`` writes them (JSONL or
Markdown), ``:reset`` forgets the context.
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

from pipeline.chat.answer_view import ABSTENTION, plain_answer, render_answer
from pipeline.chat.followups import CONTEXT_TURNS, PriorTurn, Rewrite, Rewriter, RuleRewriter
from pipeline.chat.indexing_bar import indexing_bar
from pipeline.chat.terminal_text import json_line, terminal_safe
from pipeline.core.appdirs import app_dir, unusable, warn_cache_off, writable_dir
from pipeline.core.config import Config
from pipeline.core.errors import VidocError
from pipeline.core.files import write_atomic
from pipeline.core.records import Document
from pipeline.documents.loading import document_paths, load_document
from pipeline.flow.index import IndexProgress
from pipeline.flow.qa import AskResult, QuestionAnswerer

if TYPE_CHECKING:
    from prompt_toolkit.history import History

HELP = """Lệnh:
  :help            trợ giúp này
  :sources         các đoạn văn đầy đủ của câu trả lời vừa rồi
  :summary         tóm tắt các tài liệu đã nạp
  :docs            danh sách tài liệu đã nạp
  :open ĐƯỜNG_DẪN  nạp thêm tài liệu
  :config          cấu hình và độ trễ trả lời
  :history         các lượt hỏi đáp đã qua
  :export TỆP      ghi phiên ra tệp (.jsonl; tên khác: Markdown)
  :reset           xoá ngữ cảnh, câu hỏi sau được hiểu độc lập
  :quit            thoát (hoặc Ctrl-D)
Gõ câu hỏi bằng tiếng Việt rồi nhấn Enter. Câu hỏi tiếp nối
("còn ... thì sao?", "vậy năm nào?", "ông ấy ...") được hiểu theo lượt trước."""


@dataclass(frozen=True)
class ChatTurn:
    """One question of the chat: as typed, as rewritten from the context (None: read as typed), the result."""

    question: str
    rewritten: str | None
    result: AskResult

    @property
    def asked(self) -> str:
        return self.rewritten or self.question

    def prior(self) -> PriorTurn:
        return PriorTurn(self.asked, self.result.answer.text)

    def to_json(self, number: int) -> dict:
        record = self.result.to_json()
        return {
            "turn": number,
            "question": self.question,
            "rewritten": self.rewritten,
            "answer": record["answer"],
            "score": record["score"],
            "citations": record["citations"],
            "model": record["model"],
            "seconds": record["seconds"],
        }


@dataclass
class ChatSession:
    """State of one chat: the documents, the QA engine, the last answer and answer latencies."""

    config: Config
    answerer: QuestionAnswerer
    documents: dict[str, Document] = field(default_factory=dict)
    last: AskResult | None = None
    latencies: list[float] = field(default_factory=list)
    rewriter: Rewriter = field(default_factory=RuleRewriter)
    turns: list[ChatTurn] = field(default_factory=list)
    context_start: int = 0  # turns before this one were forgotten by :reset (still in :history)
    # What .txt/.md/.html files are read as (``--encoding``), at start and by :open; None: detected.
    encoding: str | None = None

    def open(self, paths: list[str], progress: IndexProgress | None = None) -> list[Document]:
        limit = self.config.documents.max_chars
        loaded = [load_document(path, limit, self.encoding) for path in document_paths(paths)]
        fresh = [doc for doc in loaded if doc.source not in self.documents]
        if fresh:
            self.answerer.add(fresh, progress=progress)
            self.documents.update((doc.source, doc) for doc in fresh)
        return fresh

    def context(self) -> list[PriorTurn]:
        """The last turns since the last :reset, oldest first, as the rewriter sees them."""
        return [turn.prior() for turn in self.turns[self.context_start :][-CONTEXT_TURNS:]]

    def rewrite(self, question: str) -> Rewrite:
        """``question`` made standalone from the context (unchanged when it already is)."""
        return self.rewriter.rewrite(question.strip(), self.context())

    def ask(
        self,
        question: str,
        on_text: Callable[[str], None] | None = None,
        rewrite: Rewrite | None = None,
    ) -> AskResult:
        """Answer ``question`` as rewritten from the context (or as ``rewrite``); the turn is kept."""
        rewrite = rewrite or self.rewrite(question)
        result = self.answerer.ask(rewrite.question, on_text=on_text)
        self.latencies.append(result.seconds)
        self.last = result
        self.turns.append(ChatTurn(question.strip(), rewrite.question if rewrite.changed else None, result))
        return result

    def reset(self) -> None:
        """Forget the context: the next question is read as typed."""
        self.context_start = len(self.turns)

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
    from pipeline.flow.summarise import summarise_documents

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


def _history_text(session: ChatSession) -> Text:
    if not session.turns:
        return Text("Chưa có lượt hỏi đáp nào.")
    out = Text()
    for number, turn in enumerate(session.turns, 1):
        if number - 1 == session.context_start and number > 1:
            out.append("── ngữ cảnh đã xoá (:reset) ──\n", style="dim")
        out.append(f"{number}. ", style="cyan")
        out.append(terminal_safe(turn.question) + "\n")
        if turn.rewritten:
            out.append(f"   → {terminal_safe(turn.rewritten)}\n", style="dim")
        out.append(f"   {terminal_safe(plain_answer(turn.result.answer).splitlines()[0])}\n")
    return out


def _markdown(session: ChatSession) -> str:
    lines = ["# vidoc chat", ""]
    if session.documents:
        lines += ["Tài liệu: " + ", ".join(f"`{source}`" for source in session.documents), ""]
    for number, turn in enumerate(session.turns, 1):
        record = turn.to_json(number)
        lines += [f"## {number}. {turn.question}", ""]
        if turn.rewritten:
            lines += [f"*Câu hỏi đã viết lại:* {turn.rewritten}", ""]
        answer = record["answer"] if record["answer"] is not None else ABSTENTION
        lines += [f"**Trả lời:** {answer}", ""]
        for citation in record["citations"]:
            where = f"`{citation['source']}` [{citation['passage']}] {citation['start']}–{citation['end']}"
            if "answer_start" in citation:
                where += f", câu trả lời {citation['answer_start']}–{citation['answer_end']}"
            quoted = "\n".join(f"> {line}" for line in citation["text"].splitlines() or [""])
            lines += [f"- {where} (điểm {citation['score']:.2f})", "", quoted, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def export_session(session: ChatSession, path: Path) -> None:
    """Write the session's turns to ``path``: JSONL (one turn a line) for ``.jsonl``, else Markdown.

    Written to a temporary file in the same folder and renamed, so an interrupted export leaves the old
    file (or none), never half of one. OSError propagates: the caller says it in one line.
    """
    if path.suffix.lower() == ".jsonl":
        text = "".join(json_line(turn.to_json(n)) + "\n" for n, turn in enumerate(session.turns, 1))
    else:
        text = _markdown(session)
    write_atomic(path, text, make_parents=False)


def _export(argument: str, session: ChatSession, console: Console) -> None:
    if not argument.strip():
        console.print("Cách dùng: :export TỆP (.jsonl hoặc .md)", markup=False)
        return
    path = Path(argument.strip()).expanduser()
    try:
        export_session(session, path)
    except OSError as error:
        reason = error.strerror or str(error)
        console.print(terminal_safe(f"Lỗi: không ghi được {path}: {reason}"), markup=False, highlight=False)
        return
    shown = terminal_safe(f"Đã ghi {len(session.turns)} lượt vào {path}.")
    console.print(shown, markup=False, highlight=False)


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
            read_as = f", bảng mã {document.encoding}" if document.encoding not in (None, "utf-8") else ""
            console.print(f"{terminal_safe(source)}  ({words} từ{read_as})", markup=False, highlight=False)
    elif name == "open":
        if not argument.strip():
            console.print("Cách dùng: :open ĐƯỜNG_DẪN", markup=False)
        else:
            try:
                with indexing_bar(enabled=_bar_wanted(console)) as progress:
                    added = session.open([argument.strip()], progress=progress)
            except VidocError as error:
                console.print(terminal_safe(f"Lỗi: {error}"), markup=False, highlight=False)
            else:
                console.print(f"Đã nạp {len(added)} tài liệu.", markup=False)
    elif name == "history":
        console.print(_history_text(session))
    elif name == "export":
        _export(argument, session, console)
    elif name == "reset":
        session.reset()
        console.print("Đã xoá ngữ cảnh; câu hỏi tiếp theo được hiểu độc lập.", markup=False)
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

    rewrite = session.rewrite(question)
    if verbose and rewrite.changed:
        shown = f"→ rewritten: {terminal_safe(rewrite.question)}"
        if plain:
            print(shown, flush=True)
        else:
            console.print(shown, style="dim", markup=False, highlight=False)
    try:
        result = session.ask(question, on_text=None if plain else show_piece, rewrite=rewrite)
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


def _bar_wanted(console: Console) -> bool:
    """The indexing bar is drawn on stderr when it is a terminal and the answers' console writes to a
    terminal too (never into a file or pipe the answers go to)."""
    from pipeline.chat.indexing_bar import stderr_is_terminal

    return stderr_is_terminal() and console.is_terminal


def run_chat(
    paths: list[str],
    config: Config,
    verbose: bool = False,
    interactive: bool | None = None,
    encoding: str | None = None,
) -> int:
    """Load the documents (read as ``encoding``, None: detected), then answer until :quit or end of
    input. Returns the exit code."""
    interactive = sys.stdin.isatty() if interactive is None else interactive
    console = Console(stderr=False, highlight=False)
    session = ChatSession(config, QuestionAnswerer(config), encoding=encoding)
    started = time.perf_counter()
    if interactive:
        # embedding a new document draws a bar on stderr instead of the spinner
        spinner = console.status("Đang đọc và lập chỉ mục tài liệu…")
        with spinner, indexing_bar(enabled=_bar_wanted(console), before_start=spinner.stop) as progress:
            session.answerer.warm_up()  # a broken model fails now, not at the first question
            session.open(paths, progress=progress)
        elapsed = time.perf_counter() - started
        console.print(
            f"Đã nạp {len(session.documents)} tài liệu trong {elapsed:.1f} s. Gõ :help để xem lệnh.",
            markup=False,
        )
    else:
        session.answerer.warm_up()
        with indexing_bar(enabled=_bar_wanted(console)) as progress:
            session.open(paths, progress=progress)
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
