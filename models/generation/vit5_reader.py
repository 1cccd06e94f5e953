"""Generative question answering with a T5/ViT5 checkpoint over the retrieved passages.

The prompt is T5's reading-comprehension format, ``question: Q context: P1 P2 ...``, with the best
passages that fit the input limit. Generation is greedy so that the REPL can stream it. The answer
is then checked against those passages (``models.generation.answer_check``): unsupported numbers or names cut
the score, and below ``threshold`` the reader abstains rather than state what the documents do not
say. Citations are the passages in the prompt; when the answer is a span of one of them, that one
comes first and carries the span's offsets in the original text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from models.generation.answer_check import check_answer, find_span
from models.generation.generator import GenerationOptions, Generator
from models.generation.seq2seq import build_generator
from pipeline.core.config import ReaderConfig
from pipeline.core.protocols import Answer, Citation, ScoredPassage

DEFAULT_THRESHOLD = 0.5
PASSAGES_READ = 3
MAX_INPUT_TOKENS = 1024


def build_prompt(question: str, passages: Sequence[str]) -> str:
    """T5's SQuAD-style input; passages best first."""
    return f"question: {question.strip()} context: {' '.join(p.strip() for p in passages)}"


class ViT5Reader:
    """Reads the top passages with a seq2seq model; abstains when the answer is not supported."""

    reads_roles = False  # header and footer lines are not prose to generate from

    def __init__(self, settings: ReaderConfig, generator: Generator | None = None) -> None:
        self.settings = settings
        self.generator = generator or build_generator(
            settings.model,
            "reader",
            settings.backend,
            settings.device,
            trust_remote_code=settings.trust_remote_code,
        )
        self.model_id = str(self.generator.model_dir)
        self.threshold = DEFAULT_THRESHOLD if settings.threshold is None else settings.threshold
        self.options = GenerationOptions(
            num_beams=1,
            max_new_tokens=settings.max_new_tokens,
            no_repeat_ngram_size=0,
            batch_size=1,
            max_input_tokens=MAX_INPUT_TOKENS,
        )

    def warm_up(self) -> None:
        self.generator.warm_up()

    def context(self, question: str, passages: Sequence[ScoredPassage]) -> list[ScoredPassage]:
        """The best passages (at most ``PASSAGES_READ``) whose prompt fits the input limit; the first
        is always kept (the generator cuts it if it alone is too long)."""
        chosen: list[ScoredPassage] = []
        for scored in passages[:PASSAGES_READ]:
            texts = [p.passage.text for p in [*chosen, scored]]
            if chosen and self.generator.count_tokens(build_prompt(question, texts)) > MAX_INPUT_TOKENS:
                break
            chosen.append(scored)
        return chosen

    def read(self, question: str, passages: Sequence[ScoredPassage]) -> Answer:
        return self.read_streaming(question, passages, None)

    def read_streaming(
        self,
        question: str,
        passages: Sequence[ScoredPassage],
        on_text: Callable[[str], None] | None,
    ) -> Answer:
        chosen = self.context(question, passages)
        if not chosen:
            return Answer(None, 0.0, (), self.model_id)
        prompt = build_prompt(question, [p.passage.text for p in chosen])
        if on_text is None:
            (generated,) = self.generator.generate([prompt], self.options)
        else:
            generated = self.generator.stream(prompt, self.options, on_text)
        return self.judge(generated, chosen)

    def judge(self, generated: str, chosen: Sequence[ScoredPassage]) -> Answer:
        """Turn generated text into an ``Answer``: checked, located, cited, or an abstention."""
        text = generated.strip()
        check = check_answer(text, [p.passage.text for p in chosen])
        if not text or check.score < self.threshold:
            return Answer(None, check.score, (), self.model_id)
        citations: list[Citation] = []
        located = False
        for scored in chosen:
            passage = scored.passage
            span = None if located else find_span(text, passage.text)
            if span is not None:
                located = True
                citations.insert(0, Citation.of(scored, span))
            else:
                citations.append(Citation.of(scored))
        return Answer(text, check.score, tuple(citations), self.model_id)
