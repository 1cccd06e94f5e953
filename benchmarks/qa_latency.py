"""Per-question latency of ``QuestionAnswerer.ask`` after load, and the indexing rate.

Loads the embedder, reader and index once (as ``vidoc ask`` and the REPL do), then times every seed
question (the hand-written suite's questions, or the ViQuAD sample's when the suite is absent; the
seed report's fallback questions otherwise), with the default config or ``--config NAME``.
Indexing rate: passages embedded per second for the
ViQuAD paragraphs (or the seed report) with the cache off. Run: ``python benchmarks/qa_latency.py``.
Figures depend on the machine's load: ``os.getloadavg()`` is printed next to them.
"""

from __future__ import annotations

import os
import statistics
import time

from qa_common import ROOT, seed_items, viquad_items

from pipeline.core.config import load_config
from pipeline.core.records import Document
from pipeline.documents.loading import load_document
from pipeline.flow.index import Index
from pipeline.flow.qa import QuestionAnswerer
from pipeline.flow.summarise import prepare

SEED_REPORT = ROOT / "examples" / "000_f1aaaf303130fff8.txt"
FALLBACK_QUESTIONS = [
    "Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?",
    "Chỉ thị số 15-CT/TU được ban hành ngày nào?",
    "Ai tham dự hội nghị?",
    "Quận ủy Thanh Xuân sẽ chỉ đạo các đơn vị chức năng làm gì?",
    "Chủ tịch UBND quận Thanh Xuân là ai?",
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=None, help="Preset or YAML file (default: the offline default).")
    config = load_config(parser.parse_args().config)
    started = time.perf_counter()
    answerer = QuestionAnswerer(config)
    items = seed_items()
    documents = {item.source: item.document for item in items} or {
        str(SEED_REPORT): load_document(SEED_REPORT).text
    }
    answerer.add([Document(text, source) for source, text in documents.items()])
    questions = [item.question for item in items] or FALLBACK_QUESTIONS
    answerer.ask(questions[0])  # first call loads underthesea's taggers
    load_seconds = time.perf_counter() - started

    timings = []
    for question in questions:
        began = time.perf_counter()
        answerer.ask(question)
        timings.append(time.perf_counter() - began)
    print(
        f"load (models + index + first question): {load_seconds:.2f} s   "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"per-question latency after load over {len(timings)} questions: "
        f"p50 {1000 * statistics.median(timings):.0f} ms, p95 {1000 * percentile(timings, 0.95):.0f} ms, "
        f"max {1000 * max(timings):.0f} ms   (goal p50 <= 100 ms)"
    )
    repeat = []
    for question in questions:
        began = time.perf_counter()
        answerer.ask(question)
        repeat.append(time.perf_counter() - began)
    print(
        f"same questions again (tagger and query caches warm): p50 {1000 * statistics.median(repeat):.0f} ms"
    )

    paragraphs = {item.source: item.document for item in viquad_items()} or documents
    prepared = [prepare(Document(text, source), config) for source, text in paragraphs.items()]
    passages = sum(len(document.passages) for document in prepared)
    began = time.perf_counter()
    Index.build(prepared, answerer.embedder, config, use_cache=False)
    seconds = time.perf_counter() - began
    print(
        f"indexing (embed + BM25 tokens, cache off): {passages} passages in {seconds:.2f} s "
        f"= {passages / seconds:.0f} passages/s"
    )
    Index.build(prepared, answerer.embedder, config)  # fills the cache when these documents are new to it
    began = time.perf_counter()
    Index.build(prepared, answerer.embedder, config)
    print(f"re-opening the same documents from the cache: {1000 * (time.perf_counter() - began):.1f} ms")


if __name__ == "__main__":
    main()
