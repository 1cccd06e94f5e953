"""The shapes of what eval writes and reads back: an item's record, one config's run, a comparison.

They are JSON (``DIR/items/*.jsonl`` and ``report.json``, the design card's contract), so they stay
dicts at run time; these ``TypedDict``s name every field once, for readers of the code and for type
checkers, instead of ``dict[str, Any]`` in every signature. A field added to a record is added here.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

# A metric's value per item, or its aggregate (None where it does not apply, e.g. F1 of a summary).
Scores = dict[str, Any]


class RetrievedPassage(TypedDict):
    passage: str
    start: int
    end: int
    score: float
    text: str  # for the report's drill-down, which has no document


class CitedPassage(TypedDict):
    passage: str
    text: str
    start: int
    end: int
    score: float


class _ItemBase(TypedDict):
    id: str
    suite: str
    kind: Literal["qa", "summary"]
    prediction: str | None
    references: list[str]
    scores: Scores


class ItemRecord(_ItemBase, total=False):
    """One item: as the harness saves it (``items/*.jsonl``, with ``config``, ``document``, the keys that
    tell a stale record), or as ``report.json`` lists it (with ``question_type``). QA items carry the
    question, the retrieval and the citations."""

    config: str
    document: str
    source_numbers: list[str]
    seconds: float | None
    question: str
    answer_score: float
    evidence: str | None
    evidence_span: list[int] | None
    retrieved: list[RetrievedPassage]
    citations: list[CitedPassage]
    item_key: str
    config_key: str
    question_type: str


class RunReport(TypedDict, total=False):
    """One config's results: ``report.json`` itself when one config ran, else one of its ``runs``."""

    suite: str
    config: str
    metrics: Scores
    metrics_ci: dict[str, Any]
    suites: dict[str, Scores]
    suites_ci: dict[str, Any]
    question_types: dict[str, Any]
    bootstrap: dict[str, Any]
    provenance: dict[str, Any]
    items: list[ItemRecord]


class Comparison(TypedDict):
    """Config ``b`` minus config ``a`` on one metric over the items both ran, with a paired interval."""

    a: str
    b: str
    metric: str
    n: int
    delta: float
    ci: list[float]
    p: float
