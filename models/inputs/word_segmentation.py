"""Vietnamese word segmentation for PhoBERT-family models, located in the text it came from.

PhoBERT was pre-trained on word-segmented text (``Đảng_bộ quận Thanh_Xuân``), so its readers and
bi-encoders must see the same. underthesea segments, but it also rewrites what it segments (NFC, the
old ``hòa`` tone placement, ``15-NQ/TU`` → ``15 - NQ / TU``), so its words are located back in the
normalised text by comparing normalised forms: every word keeps its span, and every character of the
text ends up in some word even when underthesea drops or alters one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.loading.locate import parse_model
from pipeline.core import vietnamese
from pipeline.core.textnorm import normalize

_CHUNK = re.compile(r"\S+")
_MAX_SKIP = 8  # characters underthesea may drop before a word; beyond that the word is not located


@dataclass(frozen=True)
class Word:
    """A word of the normalised text: ``text[start:end]``, and the form the model is given.

    ``form`` joins the word's syllables with ``_`` (one per whitespace run), using underthesea's spelling
    when it is the same length, so that ``form[k]`` always comes from ``origin[k]`` of the text.
    """

    start: int
    end: int
    form: str
    origin: tuple[int, ...]


def segmented_text(text: str) -> str:
    """``text`` as PhoBERT expects it: underthesea words, syllables joined by ``_``, one space between."""
    return vietnamese.underthesea().word_tokenize(normalize(text), format="text")


def _word_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Spans of underthesea's ``words`` in ``text``, syllable by syllable, tolerant of rewrites."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for word in words:
        start = end = None
        for syllable in word.split():
            target = normalize(syllable)
            position = text.find(target, cursor)
            skipped = text[cursor:position].strip() if position >= 0 else ""
            if position < 0 or (skipped and (start is not None or len(skipped) > _MAX_SKIP)):
                continue  # rewritten beyond recognition, or not next to the text before it
            start = position if start is None else start
            end = cursor = position + len(target)
        if start is not None and end is not None:
            spans.append((start, end))
    return spans


def _fill_gaps(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Whitespace-separated chunks for any text no word covers, so the model sees all of it."""
    filled: list[tuple[int, int]] = []
    cursor = 0
    for start, end in [*spans, (len(text), len(text))]:
        filled.extend((cursor + m.start(), cursor + m.end()) for m in _CHUNK.finditer(text[cursor:start]))
        if start < end:
            filled.append((start, end))
        cursor = max(cursor, end)
    return filled


def _same(a: str, b: str) -> bool:
    """Equal once normalised; ``_`` is read as a space, or ``thủy_`` would not count as a syllable end."""
    return normalize(a.replace("_", " ")) == normalize(b.replace("_", " "))


def _form(text: str, start: int, end: int, spelled: str | None) -> Word:
    form: list[str] = []
    origin: list[int] = []
    for position in range(start, end):
        if text[position].isspace() and position > start and text[position - 1].isspace():
            continue  # one "_" per whitespace run
        form.append("_" if text[position].isspace() else text[position])
        origin.append(position)
    compact = "".join(form)
    if spelled is not None and len(spelled) == len(compact) and _same(spelled, compact):
        compact = spelled
    return Word(start, end, compact, tuple(origin))


def segment(text: str, by_words: bool = True) -> list[Word]:
    """The words of normalised ``text`` in order; ``by_words=False`` splits on whitespace only."""
    if not by_words:
        return [_form(text, m.start(), m.end(), None) for m in _CHUNK.finditer(text)]
    words = vietnamese.underthesea().word_tokenize(text) if text.strip() else []
    spans = _word_spans(text, words)
    spelled = {span: word.replace(" ", "_") for span, word in zip(spans, words, strict=False)}
    if len(spans) != len(words):
        spelled = {}  # a word was not found: the pairing of spans with words is no longer known
    return [_form(text, start, end, spelled.get((start, end))) for start, end in _fill_gaps(text, spans)]


def wants_segmentation(setting: str | bool, spec: str, tokenizer: object) -> bool:
    """Whether a model's input must be word-segmented: the config, else its preset, else its tokenizer.

    A PhoBERT tokenizer (``PhobertTokenizer``, read from the model folder) means a PhoBERT-family model,
    which is trained on segmented text whatever its folder is called.
    """
    if isinstance(setting, bool):
        return setting
    preset_says = parse_model(spec).word_segmented
    if preset_says is not None:
        return preset_says
    return type(tokenizer).__name__.lower().startswith("phobert")
