"""Score any vidoc reader on a SQuAD-layout file: the reading-comprehension setting ViQuAD is scored in.

Each question is read against its own (gold) paragraph, given to the reader as one passage; the reader
windows it as it would a retrieved passage. EM and F1 use vidoc's Vietnamese-aware normalisation (NFC,
one tone placement, syllables; never an ASCII-only tokenizer), the maximum over the reference answers,
as the official SQuAD script does. Unanswerable questions (SQuAD 2.0) count as right when the reader
abstains.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from eval.scoring.metrics import exact_match_f1
from models.training.squad_data import QAExample
from pipeline.core.protocols import Reader, ScoredPassage
from pipeline.core.records import Passage


@dataclass(frozen=True)
class SquadScores:
    n: int
    em: float
    f1: float
    has_answer_f1: float
    has_answer_answered: float
    no_answer_refused: float | None
    seconds_per_question: float

    def line(self) -> str:
        refused = "" if self.no_answer_refused is None else f", NoAns refused {self.no_answer_refused:.3f}"
        return (
            f"n {self.n}: EM {self.em:.3f}, F1 {self.f1:.3f}, HasAns F1 {self.has_answer_f1:.3f}, "
            f"answered {self.has_answer_answered:.3f}{refused}; "
            f"{self.seconds_per_question * 1000:.0f} ms/question"
        )


def gold_passage(example: QAExample) -> ScoredPassage:
    """The example's paragraph as a one-passage document."""
    context = example.context
    passage = Passage(0, 0, len(context), context, context, (), example.id, "body")
    return ScoredPassage(passage, 1.0)


def score_reader(reader: Reader, examples: Sequence[QAExample], progress: bool = False) -> SquadScores:
    """EM/F1 of ``reader`` on ``examples`` read against their gold paragraphs."""
    started = time.perf_counter()
    ems, f1s, has_f1, answered, refused = [], [], [], [], []
    for number, example in enumerate(examples, start=1):
        answer = reader.read(example.question, [gold_passage(example)])
        references = [text for text, _ in example.answers]
        em, f1 = exact_match_f1(answer.text, references)
        ems.append(em)
        f1s.append(f1)
        if example.answerable:
            has_f1.append(f1)
            answered.append(float(answer.text is not None))
        else:
            refused.append(float(answer.text is None))
        if progress and number % 100 == 0:
            print(f"eval: {number}/{len(examples)} F1 {sum(f1s) / len(f1s):.3f}", file=sys.stderr, flush=True)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    return SquadScores(
        n=len(examples),
        em=mean(ems),
        f1=mean(f1s),
        has_answer_f1=mean(has_f1),
        has_answer_answered=mean(answered),
        no_answer_refused=mean(refused) if refused else None,
        seconds_per_question=(time.perf_counter() - started) / max(1, len(examples)),
    )
