import unicodedata

from pipeline.core.config import SplitterConfig
from pipeline.core.records import Document
from pipeline.documents.loading import load_document
from pipeline.text.cleaning import clean
from pipeline.text.splitting import split


def test_every_sentence_and_passage_slices_back(seed_path, seed_text) -> None:
    document = split(clean(load_document(seed_path)))
    assert document.sentences and document.passages
    for unit in (*document.sentences, *document.passages):
        assert seed_text[unit.start : unit.end] == unit.text


def test_numbers_dates_and_codes_stay_inside_one_sentence(seed_path) -> None:
    document = split(clean(load_document(seed_path)))
    texts = [s.text for s in document.sentences]
    assert any("gồm 52 tổ chức cơ sở Đảng với 20.585 đảng viên." in t for t in texts)
    assert any("15-NQ/TU ngày 4/7/2017" in t and "16-12-2016" in t for t in texts)
    assert not any(t.endswith(("20.", "4/7/", "15-")) for t in texts)


def test_furniture_never_becomes_a_sentence(seed_path) -> None:
    document = split(clean(load_document(seed_path)))
    texts = [s.text for s in document.sentences]
    assert "Chia sẻ Zalo" not in texts and "Hồng Thái" not in texts
    assert not any(t.startswith("Kinhtedothi") for t in texts)


def test_offsets_point_into_decomposed_text() -> None:
    paragraph = "Lễ hội hòa bình diễn ra ngày 4/7/2017 tại Thanh Hóa. Có 20.585 người tham dự lễ hội này."
    text = unicodedata.normalize("NFD", paragraph)
    document = split(clean(Document(text, "nfd.txt")))
    assert len(document.sentences) == 2
    for sentence in document.sentences:
        assert text[sentence.start : sentence.end] == sentence.text
    first = document.sentences[0]
    assert unicodedata.normalize("NFC", first.text) == "Lễ hội hòa bình diễn ra ngày 4/7/2017 tại Thanh Hóa."
    assert first.norm == "Lễ hội hoà bình diễn ra ngày 4/7/2017 tại Thanh Hoá."


def test_passages_are_bounded_overlapping_windows() -> None:
    sentences = [f"Câu số {i} nói về một việc quan trọng của quận." for i in range(7)]
    document = split(
        clean(Document(" ".join(sentences), "w.txt")), SplitterConfig(passage_sentences=3, passage_overlap=1)
    )
    assert [p.sentences for p in document.passages] == [(0, 1, 2), (2, 3, 4), (4, 5, 6)]
    capped = split(clean(Document(" ".join(sentences), "w.txt")), SplitterConfig(passage_max_words=25))
    assert all(sum(document.sentences[i].words for i in p.sentences) <= 25 for p in capped.passages)


def test_table_rows_form_one_passage_with_their_header() -> None:
    text = (
        "Bảng điểm chuẩn các trường như sau.\n\n"
        "| Trường | Điểm |\n|---|---|\n| Trường A | 27,5 |\n| Trường B | 25 |\n"
    )
    document = split(clean(Document(text, "t.md")))
    table = [p for p in document.passages if p.kind == "table"]
    assert len(table) == 1
    assert table[0].text.startswith("| Trường | Điểm |") and table[0].text.endswith("| Trường B | 25 |")
