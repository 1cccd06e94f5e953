"""Hybrid vs dense-only vs BM25-only retrieval (BM25 over syllables or words): recall@1/3/5 and MRR.

Seed suite: each document is indexed on its own (as ``vidoc ask DOC`` does) and a passage is a hit when it
holds the item's evidence quote. ViQuAD 2.0 sample (when $VIDOC_BENCHMARKS names the folder that has it):
all context paragraphs of the article are indexed together and a passage is a hit when it is from the
question's paragraph and covers the gold answer's start. Each mode's MRR is compared with dense's by a
paired bootstrap over the same questions (95 % interval, p). Run: ``python benchmarks/retrieval_modes.py``."""

from __future__ import annotations

import time
from collections import defaultdict

from qa_common import QAItem, rank_of_evidence, seed_items, viquad_items

from eval.scoring.intervals import paired_difference
from models.factory import build_embedder
from pipeline.core.config import load_config
from pipeline.core.records import Document
from pipeline.flow.qa import QuestionAnswerer

MODES = ("hybrid", "dense", "bm25")
DEPTH = 10


def _viquad_rank(results, item: QAItem) -> int | None:
    for rank, scored in enumerate(results, 1):
        passage = scored.passage
        if passage.source == item.source and passage.start <= item.answer_start < passage.end:
            return rank
    return None


def evaluate(items: list[QAItem], token_kind: str, embedder, pooled: bool) -> dict[str, dict[str, float]]:
    """Metrics per mode; ``pooled`` indexes every document together (ViQuAD) instead of one at a time."""
    config = load_config(overrides={"retriever": {"bm25_tokens": token_kind}})
    answerable = [item for item in items if item.evidence]
    groups: dict[str, list[QAItem]] = defaultdict(list)
    for item in answerable:
        groups["all" if pooled else item.source].append(item)
    ranks: dict[str, list[int | None]] = {mode: [] for mode in MODES}
    for group in groups.values():
        answerer = QuestionAnswerer(config, embedder=embedder)
        sources = {item.source: item.document for item in (items if pooled else group)}
        answerer.add([Document(text, source) for source, text in sources.items()])
        for item in group:
            for mode in MODES:
                results = answerer.retriever.search(item.question, DEPTH, mode)
                rank = _viquad_rank(results, item) if item.answer_start is not None else None
                if item.answer_start is None:
                    rank = rank_of_evidence([r.passage for r in results], item.evidence)
                ranks[mode].append(rank)
    table = {}
    for mode, found in ranks.items():
        n = len(found) or 1
        table[mode] = {
            **{f"R@{k}": sum(1 for r in found if r and r <= k) / n for k in (1, 3, 5)},
            "MRR": sum(1 / r for r in found if r) / n,
            "n": len(found),
            "reciprocal_ranks": [1 / r if r else 0.0 for r in found],
        }
    return table


def mrr_against_dense(table: dict) -> list[str]:
    """Each other mode's MRR minus dense's over the same questions, with a 95 % paired bootstrap
    interval: whether a gap the README picks a default on is real."""
    lines = []
    for mode in MODES:
        if mode == "dense":
            continue
        delta, (low, high), p = paired_difference(
            table["dense"]["reciprocal_ranks"], table[mode]["reciprocal_ranks"]
        )
        lines.append(f"{mode} − dense MRR {delta:+.3f} [95% CI {low:+.3f}, {high:+.3f}], p {p:.3f}")
    return lines


def main() -> None:
    embedder = build_embedder(load_config())
    suites = [("seed", seed_items(), False), ("viquad2-dev-sample", viquad_items(), True)]
    print(
        f"{'suite':<20} {'bm25 tokens':<11} {'mode':<7} {'R@1':>6} {'R@3':>6} {'R@5':>6} {'MRR':>6} {'n':>4}"
    )
    for name, items, pooled in suites:
        if not items:
            print(f"{name:<20} (not present; skipped)")
            continue
        for token_kind in ("syllables", "words"):
            started = time.perf_counter()
            table = evaluate(items, token_kind, embedder, pooled)
            for mode, row in table.items():
                if mode == "dense" and token_kind == "words":
                    continue  # dense does not depend on BM25 tokens
                print(
                    f"{name:<20} {token_kind if mode != 'dense' else '-':<11} {mode:<7} {row['R@1']:>6.3f} "
                    f"{row['R@3']:>6.3f} {row['R@5']:>6.3f} {row['MRR']:>6.3f} {row['n']:>4}"
                )
            for text in mrr_against_dense(table):
                print(f"{'':<20} {token_kind:<11} {text}")
            print(f"{'':<20} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
