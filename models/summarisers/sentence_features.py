"""What a learned sentence scorer sees of each candidate sentence of a document.

Every feature is cheap (no embeddings: the learned summariser must cost about what the TF-IDF one
does) and computed from the document alone, the same way in training and at run time:

- where the sentence is (news and reports put their facts first): relative position among the
  candidates, 1/(1+rank), first of the document, first of its paragraph, paragraph position;
- how long it is (log words): the word budget makes long sentences expensive;
- how central it is: its mean TF-IDF cosine to the other candidates (raw and rescaled), and its cosine
  to the document's centroid;
- how much it shares with the title (the first heading before the body), when there is one;
- what it holds: numbers, capitalised names, quotation marks, a closing colon (a list follows);
- how long the document is (log candidates), so the model can weigh position by length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from models.summarisers.tfidf import mean_to_others, rescaled, tfidf_matrix
from pipeline.core.lexicon import NUMBER, SYLLABLE
from pipeline.core.records import Sentence

FEATURES: tuple[str, ...] = (
    "relative_position",
    "inverse_rank",
    "first_sentence",
    "first_in_paragraph",
    "paragraph_position",
    "log_words",
    "centrality",
    "centrality_rescaled",
    "centroid_cosine",
    "title_cosine",
    "has_title",
    "number_share",
    "has_number",
    "name_share",
    "has_quote",
    "ends_with_colon",
    "log_candidates",
)

_QUOTES = frozenset('"“”«»')


def _name_share(text: str) -> float:
    """Share of syllables after the first that start with a capital (names, organisations)."""
    syllables = SYLLABLE.findall(text)[1:]
    return sum(word[0].isupper() for word in syllables) / len(syllables) if syllables else 0.0


def title_of(sentences: Sequence[Sentence], first_candidate: Sentence) -> Sentence | None:
    """The document's title: its first heading, when it comes before the first candidate sentence."""
    for sentence in sentences:
        if sentence.index >= first_candidate.index:
            return None
        if sentence.kind == "heading":
            return sentence
    return None


def sentence_features(
    candidates: Sequence[Sentence], title: Sentence | None, lexical: sparse.csr_matrix | None = None
) -> np.ndarray:
    """``(len(candidates), len(FEATURES))`` float32 features, columns in ``FEATURES`` order.
    ``lexical`` is the candidates' TF-IDF matrix when the caller has it already."""
    count = len(candidates)
    if lexical is None:
        lexical = tfidf_matrix([sentence.norm for sentence in candidates])
    centrality = mean_to_others(lexical) if count > 1 else np.ones(1, dtype=np.float32)
    total = np.asarray(lexical.sum(axis=0)).ravel()
    centroid = np.asarray(lexical @ (total / max(float(np.linalg.norm(total)), 1e-12))).ravel()
    if title is not None:
        both = tfidf_matrix([title.norm, *(sentence.norm for sentence in candidates)])
        title_cosine = np.asarray((both[1:] @ both[0].T).todense()).ravel()
    else:
        title_cosine = np.zeros(count)
    rank = np.arange(count, dtype=np.float32)
    paragraphs = np.array([sentence.paragraph for sentence in candidates], dtype=np.float32)
    paragraph_span = max(float(paragraphs.max() - paragraphs.min()), 1.0)
    first_in_paragraph = np.array(
        [i == 0 or candidates[i - 1].paragraph != sentence.paragraph for i, sentence in enumerate(candidates)]
    )
    words = np.array([max(sentence.words, 1) for sentence in candidates], dtype=np.float32)
    numbers = np.array([len(NUMBER.findall(sentence.text)) for sentence in candidates], dtype=np.float32)
    columns = {
        "relative_position": rank / count,
        "inverse_rank": 1.0 / (1.0 + rank),
        "first_sentence": rank == 0,
        "first_in_paragraph": first_in_paragraph,
        "paragraph_position": (paragraphs - paragraphs.min()) / paragraph_span,
        "log_words": np.log1p(words),
        "centrality": centrality,
        "centrality_rescaled": rescaled(centrality),
        "centroid_cosine": centroid,
        "title_cosine": title_cosine,
        "has_title": np.full(count, title is not None),
        "number_share": numbers / words,
        "has_number": numbers > 0,
        "name_share": [_name_share(sentence.text) for sentence in candidates],
        "has_quote": [any(mark in sentence.text for mark in _QUOTES) for sentence in candidates],
        "ends_with_colon": [sentence.text.rstrip().endswith(":") for sentence in candidates],
        "log_candidates": np.full(count, np.log(count)),
    }
    return np.column_stack([np.asarray(columns[name], dtype=np.float32) for name in FEATURES])
