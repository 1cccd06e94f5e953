"""Every number the rule reader scores with, in one place, each with how it was set.

The rule reader ranks candidate spans by the question's overlap with their sentence, plus bonuses and
minus discounts. The figures below were chosen on the development suites (``seed``, ``long_report``,
``multi_doc``, ``tables``, ...) with ``vidoc eval``, never on ``held_out`` or ``blind_2``; "by hand"
means one value was tried and kept because the suites' answers improved (or did not change) with it,
"swept" that several were compared in one run. A change here is measured the same way: run
``vidoc eval`` before and after, and diff the items' predictions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleWeights:
    # Abstention: the least score that still counts as the document saying it. Swept on the suites'
    # unanswerable questions (benchmarks/reader_quality.py; README "reader.threshold").
    threshold: float = 0.5
    # Passages read per question: the top 3 retrieved (9c548cd, the first QA path; not swept since).
    passages_read: int = 3
    # Off a sentence's overlap when it states another year or name than the question's (cfe038e, by hand).
    contradicted: float = 0.5
    # Off every sentence when the question names something no passage mentions (f50bfff, by hand).
    unmentioned: float = 0.3
    # A name or number in this many retrieved passages is the document's topic, not a missing word (8f1cad8).
    topic_passages: int = 2
    # A byline or signature answering "who wrote/signed" outranks any sentence (cfe038e): above the
    # largest sentence score seen on the suites (overlap 1.0 plus bonuses).
    role_score: float = 1.5
    # A table lookup scores this plus its confidence (0..1): above what sentences score for the same
    # question (61a306d, by hand).
    table_score: float = 0.5
    # Bonus for a typed span framed by the question's context (f3225a3, with slot alignment).
    slot_support: float = 0.3
    # A slot span itself, by how much of the question's context frames it (f3225a3).
    slot_weight: float = 0.6
    # Per syllable: of two framed spans, the tighter one (f3225a3).
    slot_length: float = 0.01
    # A figure labelled with a year the question does not ask about ("6,5% của năm 2024"), or one after
    # "mốc", "mục tiêu", "kế hoạch", "so với" (a reference, not the measured value): by hand for the GRDP
    # case (bf6a1ba, ef74db8); the bundled suites' answers did not change.
    other_year_figure: float = 0.3
    reference_figure: float = 0.3
    # Per further name in a list answering a plural question ("những cơ quan nào") (6e2103d, by hand).
    list_item: float = 0.05
    # Yes/no: a yes or a no is only as good as the statement, which must say nearly all of the question's
    # content words (cfe038e, by hand).
    min_stated: float = 0.7
    # Slot alignment: a span framed on one side only when the question frames both (9e7bfe2: seed F1
    # .730, all suites .562); six content syllables aligned tightly around a span are as strong evidence
    # as a longer context (93d0b84: seed F1 .574 -> .704).
    one_sided: float = 0.8
    min_context: int = 6
    # Tables (61a306d, by hand on the tables suite): the share of the question's content words a table
    # may leave unexplained ("thí sinh" in "Có bao nhiêu thí sinh đăng ký ...?" under the header "Số đăng
    # ký"), and how many more words (x2) a column's header must share with the question than it lacks.
    max_unexplained: float = 0.25
    min_column_match: float = 1.5


WEIGHTS = RuleWeights()
