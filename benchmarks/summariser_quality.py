"""The learned sentence scorer against lead, vidoc's centrality summariser and the greedy oracle.

On held-out VietNews articles (``val_1000.jsonl``: never seen in training) at 60 and 130 words:
ROUGE-1/2/L F (syllable-level, Vietnamese-correct) with 95 % bootstrap intervals, the paired difference
learned minus centrality and learned minus lead, and the time each summariser spends per article,
measured side by side in this run. Then the same without the title (documents that have none), and on
the reference summaries bundled in ``eval/suites``. Run:
``python benchmarks/summariser_quality.py --data $VIDOC_DATA/vietnews/val_1000.jsonl``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from eval.scoring.intervals import paired_difference
from eval.scoring.rouge import best_rouge
from eval.suites import SummaryItem, bundled_suite_paths, load_suite
from eval.summary_validation import METRICS, SYSTEMS, lead_summary, score_systems
from models.summarisers.extractive_summariser import ExtractiveSummariser
from models.training.summariser_training import load_articles
from pipeline.core.config import Config
from pipeline.flow.summarise import prepare

RESAMPLES = 1000


def _interval(values: list[float], seed: int) -> tuple[float, float]:
    array = np.asarray(values)
    picks = np.random.default_rng(seed).integers(0, len(array), size=(RESAMPLES, len(array)))
    means = array[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def _report(articles, budget: int, with_title: bool) -> None:
    scores = score_systems(articles, budget, Config(), SYSTEMS, with_title)
    print(f"\n{budget} words, {'with' if with_title else 'without'} the title, {len(articles)} articles")
    print(f"{'system':<11}" + "".join(f"{m + ' F [95% CI]':>24}" for m in METRICS) + f"{'ms/article':>12}")
    for system in SYSTEMS:
        cells = []
        for index, metric in enumerate(METRICS):
            low, high = _interval(scores.values[system][metric], index)
            cells.append(f"{scores.mean(system, metric):.3f} [{low:.3f}, {high:.3f}]")
        ms = 1000 * scores.seconds[system] / len(articles)
        print(f"{system:<11}" + "".join(f"{cell:>24}" for cell in cells) + f"{ms:>12.1f}")
    for baseline in ("centrality", "lead"):
        for metric in ("rouge1", "rouge2"):
            delta, interval, p = paired_difference(
                scores.values[baseline][metric], scores.values["learned"][metric]
            )
            print(
                f"learned − {baseline} {metric}: {delta:+.4f} [{interval[0]:+.4f}, {interval[1]:+.4f}], p {p}"
            )
    ratio = scores.seconds["learned"] / scores.seconds["centrality"]
    print(f"time learned / centrality: {ratio:.2f}×")


def _bundled() -> None:
    config = Config()
    budget = config.summariser.max_words
    summarisers = {
        scoring: ExtractiveSummariser(config.summariser.model_copy(update={"scoring": scoring}), None)
        for scoring in ("centrality", "learned")
    }
    items = [
        (path.stem, item)
        for path in bundled_suite_paths()
        for item in load_suite(path).items
        if isinstance(item, SummaryItem)
    ]
    print(f"\nbundled reference summaries ({len(items)}), {budget} words, ROUGE-1 / ROUGE-2 F")
    totals: dict[str, list[tuple[float, float]]] = {"lead": [], "centrality": [], "learned": []}
    for suite, item in items:
        document = prepare(item.document, config)
        texts = {"lead": lead_summary(document, budget)}
        texts.update({name: s.summarise_one(document, budget).text for name, s in summarisers.items()})
        cells = []
        for name, text in texts.items():
            scores = best_rouge(text, list(item.references))
            totals[name].append((scores["rouge1"].fmeasure, scores["rouge2"].fmeasure))
            cells.append(f"{name} {scores['rouge1'].fmeasure:.3f}/{scores['rouge2'].fmeasure:.3f}")
        print(f"  {suite}/{item.id}: " + ", ".join(cells))
    means = {name: np.mean(values, axis=0) for name, values in totals.items()}
    print("  mean: " + ", ".join(f"{name} {m[0]:.3f}/{m[1]:.3f}" for name, m in means.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, required=True, help="VietNews JSONL, e.g. $VIDOC_DATA/vietnews/val_1000.jsonl"
    )
    parser.add_argument("--limit", type=int, default=None, help="Score the first N articles.")
    parser.add_argument("--budgets", type=int, nargs="+", default=[60, 130])
    args = parser.parse_args()
    articles = load_articles(args.data, args.limit)
    for budget in args.budgets:
        _report(articles, budget, with_title=True)
    _report(articles, max(args.budgets), with_title=False)
    _bundled()


if __name__ == "__main__":
    main()
