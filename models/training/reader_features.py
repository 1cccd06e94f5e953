"""Training windows for a span reader: question + a passage-sized window of context, with labels.

vidoc reads passages of about three sentences (at most 120 words), so the reader is trained on windows
of that size rather than on whole Wikipedia paragraphs: a positive window holds the answer at a random
place, and the label is the answer's first and last token. Abstention is learnt from negative windows
labelled at ``<s>`` (position 0, the SQuAD 2.0 convention the inference code reads back):

- *other-paragraph* negatives: the question with the paragraph of the same article that shares most
  syllables with it but contains none of its answers (a hard, on-topic distractor; UIT-ViQuAD 1.0 has
  no unanswerable questions, so these are made here);
- *same-paragraph* negatives: a window of the question's own paragraph that leaves the answer out;
- *near-miss* negatives: the question edited so that its own window no longer answers it (another
  year, a name or a term the paragraph does not contain; :mod:`models.training.near_miss`), paired with the
  very window its answerable version is labelled on, so that the model must read the question;
- SQuAD 2.0 ``is_impossible`` questions, when the data has them, with a window of their paragraph.

Tokens come from :func:`models.inputs.phobert_alignment.align_tokens`, the same code the reader uses at run
time (NFC, one tone placement, word segmentation for PhoBERT, offsets into the original text), so what
the model learns from is exactly what it will be shown.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.inputs.phobert_alignment import AlignedTokens, align_tokens
from models.inputs.qa_inputs import PairTemplate
from models.inputs.qa_windows import question_budget
from models.training.near_miss import QuestionParts, Replacements, near_miss
from models.training.squad_data import QAExample
from pipeline.core.lexical import syllable_tokens
from pipeline.core.textnorm import normalize


@dataclass(frozen=True)
class TrainWindow:
    """One model input and its label: answer tokens ``start..end`` in ``ids``, or ``0, 0`` (no answer)."""

    ids: tuple[int, ...]
    start: int
    end: int
    kind: str  # "answer", "near-miss <number|name|term>", "other-paragraph", "same-paragraph", "impossible"


@dataclass(frozen=True)
class FeatureSettings:
    max_length: int = 160
    negative_ratio: float = 0.5  # negatives per answerable question, on average
    near_miss_share: float = 0.5  # of the negatives, how many are edited questions (when an edit applies)
    same_paragraph_share: float = (
        0.3  # of the other negatives, how many come from the question's own paragraph
    )
    seed: int = 13


@dataclass
class FeatureReport:
    windows: int = 0
    answer: int = 0
    negatives: dict[str, int] | None = None
    skipped_long_answer: int = 0
    skipped_unaligned: int = 0


class _Tokens:
    """Aligned tokens per distinct text: a paragraph is tokenised once for all its questions."""

    def __init__(self, tokenizer: Any, by_words: bool) -> None:
        self.tokenizer = tokenizer
        self.by_words = by_words
        self._cache: dict[str, AlignedTokens] = {}

    def __call__(self, text: str) -> AlignedTokens:
        found = self._cache.get(text)
        if found is None:
            found = align_tokens(self.tokenizer, text, self.by_words)
            self._cache[text] = found
        return found


def answer_token_span(tokens: AlignedTokens, start: int, end: int) -> tuple[int, int] | None:
    """The first and last token overlapping the characters ``[start, end)``; None when no token does."""
    first = next((i for i, (s, e) in enumerate(tokens.spans) if e > start and e > s), None)
    last = next((i for i in range(len(tokens) - 1, -1, -1) if tokens.spans[i][0] < end), None)
    if first is None or last is None or last < first:
        return None
    return first, last


def _window_with(n: int, budget: int, first: int, last: int, rng: random.Random) -> int | None:
    """A random window start such that tokens ``first..last`` lie inside ``budget`` tokens."""
    if n <= budget:
        return 0
    if last - first + 1 > budget:
        return None
    low, high = max(0, last - budget + 1), min(first, n - budget)
    return rng.randint(low, high)


def _window_without(n: int, budget: int, first: int, last: int, rng: random.Random) -> int | None:
    """A window start whose ``budget`` tokens leave ``first..last`` out, or None when none does."""
    choices = [s for s in (0, n - budget) if s >= 0 and (s + budget <= first or s > last)]
    before = first - budget
    after_start = last + 1
    if before > 0:
        choices.append(rng.randint(0, before))
    if after_start <= n - budget:
        choices.append(rng.randint(after_start, n - budget))
    return rng.choice(choices) if choices else None


class _Paragraphs:
    """Each paragraph's folded text and syllable set, computed once (every question of an article
    looks at all of the article's paragraphs)."""

    def __init__(self) -> None:
        self._folded: dict[str, str] = {}
        self._syllables: dict[str, frozenset[str]] = {}

    def folded(self, context: str) -> str:
        if context not in self._folded:
            self._folded[context] = normalize(context).casefold()
        return self._folded[context]

    def syllables(self, context: str) -> frozenset[str]:
        if context not in self._syllables:
            self._syllables[context] = frozenset(syllable_tokens(context))
        return self._syllables[context]


def _window_says(example: QAExample, passage: AlignedTokens, first: int, budget: int) -> bool:
    """Whether passage tokens ``first .. first + budget`` contain any of the example's answers."""
    last = min(len(passage), first + budget) - 1
    text = example.context[passage.spans[first][0] : passage.spans[last][1]]
    folded = normalize(text).casefold()
    return any(normalize(answer).casefold() in folded for answer, _ in example.answers)


def _best_distractor(example: QAExample, contexts: Sequence[str], paragraphs: _Paragraphs) -> str | None:
    """The other paragraph of the article sharing most question syllables, without any of its answers."""
    wanted = set(syllable_tokens(example.question))
    answers = [normalize(text).casefold() for text, _ in example.answers]
    best: tuple[int, str] | None = None
    for context in contexts:
        if context == example.context or any(a in paragraphs.folded(context) for a in answers):
            continue
        shared = len(wanted & paragraphs.syllables(context))
        if best is None or shared > best[0]:
            best = (shared, context)
    return best[1] if best else None


def build_windows(
    examples: Sequence[QAExample],
    tokenizer: Any,
    template: PairTemplate,
    by_words: bool,
    settings: FeatureSettings,
) -> tuple[list[TrainWindow], FeatureReport]:
    """Positive and negative windows for ``examples``; deterministic for a given seed."""
    rng = random.Random(settings.seed)
    tokens = _Tokens(tokenizer, by_words)
    paragraphs = _Paragraphs()
    by_title: dict[str, list[str]] = defaultdict(list)
    for example in examples:
        if example.context not in by_title[example.title]:
            by_title[example.title].append(example.context)
    if settings.max_length // 2 - template.specials < 1:
        raise ValueError(f"a window of {settings.max_length} tokens leaves no room for the passage")
    parts: dict[str, QuestionParts] = {}
    if settings.near_miss_share > 0:
        parts = {e.question: QuestionParts.of(e.question) for e in examples if e.answerable}
    replacements = Replacements.from_questions(
        [(e.title, e.question, parts[e.question]) for e in examples if e.question in parts]
    )
    report = FeatureReport(negatives=defaultdict(int))
    windows: list[TrainWindow] = []

    def add(
        question: list[int], passage: AlignedTokens, first: int, label: tuple[int, int] | None, kind: str
    ):
        budget = settings.max_length - len(question) - template.specials
        ids, offset = template.build(question, list(passage.ids[first : first + budget]))
        if label is None:
            windows.append(TrainWindow(tuple(ids), 0, 0, kind))
            report.negatives[kind] += 1
        else:
            windows.append(
                TrainWindow(tuple(ids), offset + label[0] - first, offset + label[1] - first, kind)
            )
            report.answer += 1

    for example in examples:
        question = list(tokens(example.question).ids[: question_budget(settings.max_length)])
        budget = settings.max_length - len(question) - template.specials
        passage = tokens(example.context)
        if not example.answerable:
            start = rng.randint(0, max(0, len(passage) - budget))
            add(question, passage, start, None, "impossible")
            continue
        text, char_start = example.answers[0]
        span = answer_token_span(passage, char_start, char_start + len(text))
        if span is None:
            report.skipped_unaligned += 1
            continue
        start = _window_with(len(passage), budget, span[0], span[1], rng)
        if start is None:
            report.skipped_long_answer += 1
            continue
        add(question, passage, start, span, "answer")
        if rng.random() >= settings.negative_ratio:
            continue
        if rng.random() < settings.near_miss_share:
            edited = near_miss(
                example.question, parts[example.question], example.context, example.title, replacements, rng
            )
            if edited is not None:
                edited_ids = list(tokens(edited.question).ids[: question_budget(settings.max_length)])
                edited_budget = settings.max_length - len(edited_ids) - template.specials
                # the original's window, moved only as far as keeps the answer in when the edited
                # question is longer: the passage still says it, the question no longer asks it
                shown = max(min(start, span[0]), span[1] - edited_budget + 1, 0)
                add(edited_ids, passage, shown, None, f"near-miss {edited.kind}")
                continue
        if rng.random() < settings.same_paragraph_share:
            without = _window_without(len(passage), budget, span[0], span[1], rng)
            # the answer's text may come again elsewhere in the paragraph: such a window is no negative
            if without is not None and not _window_says(example, passage, without, budget):
                add(question, passage, without, None, "same-paragraph")
                continue
        distractor = _best_distractor(example, by_title[example.title], paragraphs)
        if distractor is not None:
            other = tokens(distractor)
            add(question, other, rng.randint(0, max(0, len(other) - budget)), None, "other-paragraph")
    report.windows = len(windows)
    report.negatives = dict(report.negatives)
    return windows, report


def length_grouped_batches(
    windows: Sequence[TrainWindow], batch_size: int, seed: int, epoch: int
) -> list[list[int]]:
    """Batches of window indices: shuffled, then sorted by length within pools of 50 batches so that a
    batch pads little, then the batches shuffled again. The same seed and epoch give the same batches,
    which is what lets a killed run resume at its step."""
    rng = random.Random(seed * 1000 + epoch)
    order = list(range(len(windows)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches: list[list[int]] = []
    for begin in range(0, len(order), pool):
        chunk = sorted(order[begin : begin + pool], key=lambda i: len(windows[i].ids))
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches
