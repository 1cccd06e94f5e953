"""Metrics on small hand-computed cases, and syllable ROUGE cross-checked against ``rouge_score``."""

from __future__ import annotations

import unicodedata

import pytest

from eval.scoring import metrics


def test_syllable_rouge_hand_computed() -> None:
    # pred: đảng bộ quận hoàn kiếm / ref: đảng bộ hoàn kiếm họp
    # unigrams 4/5 both ways; bigrams {đảng bộ, hoàn kiếm} = 2/4; LCS đảng bộ hoàn kiếm = 4/5.
    scores = metrics.syllable_rouge("Đảng bộ quận Hoàn Kiếm", ["Đảng bộ Hoàn Kiếm họp."])
    assert scores["rouge1"] == pytest.approx(0.8)
    assert scores["rouge2"] == pytest.approx(0.5)
    assert scores["rougeL"] == pytest.approx(0.8)


def test_syllable_rouge_takes_the_best_reference_and_ignores_unicode_form() -> None:
    nfd = unicodedata.normalize("NFD", "Hòa Bình")
    scores = metrics.syllable_rouge(nfd, ["một câu khác hẳn", "Hoà Bình"])
    assert scores == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}


def test_paper_rouge_drops_vietnamese_letters_as_the_papers_did() -> None:
    # rouge_score keeps [a-z0-9] only: "đảng bộ quận hoàn kiếm" → ng b qu n ho n ki m (8 tokens),
    # "đảng bộ hoàn kiếm họp" → ng b ho n ki m h p (8); shared unigrams ng b ho n ki m = 6 → 0.75.
    scores = metrics.paper_rouge("Đảng bộ quận Hoàn Kiếm", ["Đảng bộ Hoàn Kiếm họp"])
    assert scores is not None
    assert scores["rouge1_paper"] == pytest.approx(0.75)
    assert set(scores) == {"rouge1_paper", "rouge2_paper", "rougeL_paper"}


class _Whitespace:
    """A tokenizer for ``rouge_score`` that splits on whitespace only (input is pre-tokenised)."""

    def tokenize(self, text: str) -> list[str]:
        return text.split()


@pytest.mark.parametrize(
    ("prediction", "reference"),
    [
        (
            "Quận Hoàn Kiếm có 20.585 đảng viên, tăng so với năm 2017.",
            "Năm 2017 Đảng bộ quận Hoàn Kiếm có 20.585 đảng viên sinh hoạt tại 150 chi bộ.",
        ),
        (
            "Ngày 4/7/2017 Ủy ban nhân dân thành phố họp bàn về kinh tế, xã hội và quốc phòng.",
            "Uỷ ban nhân dân thành phố họp ngày 4/7/2017 để bàn về phát triển kinh tế xã hội.",
        ),
        ("Thuỷ điện Hoà Bình phát điện.", "Thủy điện Hòa Bình đã phát điện tổ máy số 1 năm 1988."),
    ],
)
def test_syllable_rouge_matches_rouge_score_with_a_whitespace_tokenizer(
    prediction: str, reference: str
) -> None:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=_Whitespace())
    theirs = scorer.score(
        " ".join(metrics.answer_tokens(reference)), " ".join(metrics.answer_tokens(prediction))
    )
    ours = metrics.syllable_rouge(prediction, [reference])
    for name in ("rouge1", "rouge2", "rougeL"):
        assert ours[name] == pytest.approx(theirs[name].fmeasure)
    assert 0 < ours["rouge1"] < 1


def test_answer_normalisation_keeps_numbers_and_dates_whole() -> None:
    assert metrics.normalize_answer("Ngày 4/7/2017, có 20.585 người!") == "ngày 4/7/2017 có 20.585 người"
    assert metrics.normalize_answer("“Hòa Bình”.") == metrics.normalize_answer("hoà bình")


def test_exact_match_and_f1_hand_computed() -> None:
    assert metrics.exact_match_f1("20.585 đảng viên", ["20.585", "20.585 đảng viên"]) == (1.0, 1.0)
    # pred 3 tokens (20.585 đảng viên), ref 1 token (20.585): P=1/3 R=1 F1=0.5; EM=0.
    assert metrics.exact_match_f1("20.585 đảng viên", ["20.585"]) == (0.0, pytest.approx(0.5))
    # "20" must not match inside "20.585".
    assert metrics.exact_match_f1("20", ["20.585"]) == (0.0, 0.0)
    assert metrics.exact_match_f1(
        unicodedata.normalize("NFD", "Thủy điện Hòa Bình"), ["thuỷ điện hoà bình"]
    ) == (
        1.0,
        1.0,
    )


def test_abstention_is_scored_against_unanswerable_items() -> None:
    assert metrics.exact_match_f1(None, []) == (1.0, 1.0)
    assert metrics.exact_match_f1("Hà Nội", []) == (0.0, 0.0)
    assert metrics.exact_match_f1(None, ["Hà Nội"]) == (0.0, 0.0)


def test_locate_evidence_in_nfd_text_with_old_tone_marks_gives_original_offsets() -> None:
    document = unicodedata.normalize("NFD", "Mở đầu.\nThủy điện Hòa Bình\n phát điện năm 1988. Hết.")
    span = metrics.locate_evidence(document, "thuỷ điện hoà bình phát điện năm 1988")
    assert span is not None
    start, end = span
    assert unicodedata.normalize("NFC", document[start:end]) == "Thủy điện Hòa Bình\n phát điện năm 1988"
    assert metrics.locate_evidence(document, "không có câu này") is None


def test_covers_evidence() -> None:
    assert metrics.covers_evidence((0, 100), (10, 20))  # contains it
    assert metrics.covers_evidence((12, 18), (10, 40))  # lies inside it
    assert metrics.covers_evidence((15, 50), (10, 20))  # half of the evidence
    assert not metrics.covers_evidence((19, 50), (10, 20))  # one character of ten
    assert not metrics.covers_evidence((20, 50), (10, 20))  # touches, no overlap


def test_recall_at_k_and_reciprocal_rank_hand_computed() -> None:
    retrieved = [(100, 200), (300, 400), (0, 50), (500, 600)]
    scores = metrics.retrieval_scores(retrieved, (10, 30))  # third passage covers it
    assert scores == {"recall@1": 0.0, "recall@3": 1.0, "recall@5": 1.0, "rr": pytest.approx(1 / 3)}
    missed = metrics.retrieval_scores(retrieved, (700, 720))
    assert missed == {"recall@1": 0.0, "recall@3": 0.0, "recall@5": 0.0, "rr": 0.0}
    assert metrics.retrieval_scores(retrieved, None)["rr"] is None


def test_number_faithfulness() -> None:
    source = metrics.numbers_in("Năm 2017 có 20.585 đảng viên; ngày 4/7/2017 họp.")
    assert source == ["2017", "20.585", "4/7/2017"]
    assert metrics.unsupported_numbers("Có 20.585 người, ngày 4/7/2017, năm 2018.", source) == ["2018"]
    assert metrics.unsupported_numbers("có 20 người", source) == ["20"]
    # parts of ranges and dates occur in the source; pieces of 20.585 do not
    supported = metrics.source_numbers("Năm học 2025-2026, ngày 4/7/2017, có 20.585 người.")
    assert supported == ["20.585", "2017", "2025", "2025-2026", "2026", "4", "4/7/2017", "7"]
    assert metrics.unsupported_numbers("2026 và 2017", supported) == []
    assert metrics.unsupported_numbers("20 và 585", supported) == ["20", "585"]


def test_aggregate_hand_computed() -> None:
    items = [
        {
            "kind": "qa",
            "seconds": 1.0,
            "scores": metrics.score_qa("20.585", ["20.585"], (0, 10), [(0, 10)], ["20.585"]),
        },
        {
            "kind": "qa",
            "seconds": 3.0,
            "scores": metrics.score_qa("1999", ["20.585"], (0, 10), [(50, 60), (0, 9)], []),
        },
        {"kind": "qa", "seconds": 2.0, "scores": metrics.score_qa(None, [], None, [(0, 10)], [])},
    ]
    result = metrics.aggregate(items)
    assert result["em"] == pytest.approx(2 / 3)
    assert result["HasAns_em"] == pytest.approx(0.5)
    assert result["NoAns_acc"] == 1.0
    assert result["recall@1"] == pytest.approx(0.5)
    assert result["recall@3"] == 1.0
    assert result["mrr"] == pytest.approx((1 + 0.5) / 2)
    assert result["number_faithfulness"] == pytest.approx(0.5)  # 20.585 supported, 1999 not
    assert result["seconds_mean"] == 2.0
    assert "rouge1" not in result  # no summary items: left out, not zero
