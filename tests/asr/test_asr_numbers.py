"""Spoken numbers written as digits in transcripts (pure rules)."""

import pytest

from server.asr.numbers import parse_number, write_numbers


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("đến cuối thế kỷ mười chín ngành đánh bắt cá", "đến cuối thế kỷ 19 ngành đánh bắt cá"),
        ("mười", "10"),
        ("mười lăm hộ", "15 hộ"),
        ("mười một giờ", "11 giờ"),
        ("hai mươi", "20"),
        ("hai mươi mốt", "21"),
        ("ba mươi tư", "34"),
        ("bốn mươi lăm phút", "45 phút"),
        ("chín mươi chín", "99"),
        ("một trăm", "100"),
        ("một trăm linh năm", "105"),
        ("ba trăm lẻ tám", "308"),
        ("một trăm hai mươi ba", "123"),
        ("một trăm hai người", "120 người"),
        ("hai nghìn không trăm hai mươi sáu", "2026"),
        ("năm hai nghìn không trăm hai mươi sáu", "năm 2026"),
        ("hai nghìn lẻ năm", "2005"),
        ("hai nghìn hai", "2200"),
        ("ba ngàn năm trăm", "3500"),
        ("một triệu hai trăm nghìn đồng", "1200000 đồng"),
        ("hai tỷ", "2000000000"),
        ("ba mươi ngày làm việc", "30 ngày làm việc"),
    ],
)
def test_spoken_numbers_become_digits(spoken: str, written: str) -> None:
    assert write_numbers(spoken) == written


@pytest.mark.parametrize(
    "text",
    [
        "anh chỉ muốn được nhìn nhận như là một huấn luyện viên",  # "một" is "a"
        "năm nay bà con có ba kiến nghị",  # year, and a small number stays a word
        "hàng nghìn người",  # no number before nghìn
        "trăm năm trong cõi người ta",
        "ngày mốt họp",
        "bố mẹ tư vấn",
        "",
    ],
)
def test_words_that_are_not_numbers_stay(text: str) -> None:
    assert write_numbers(text) == text


def test_nam_after_ten_is_the_year() -> None:
    # "mười năm" is ten years; fifteen is said "mười lăm"
    assert write_numbers("mười năm qua") == "10 năm qua"
    assert write_numbers("hai mươi năm") == "20 năm"


def test_punctuation_and_case_are_kept_and_end_a_number() -> None:
    assert write_numbers("Mười chín, hai mươi.") == "19, 20."
    assert write_numbers("ngày mười hai, tháng ba") == "ngày 12, tháng ba"
    assert write_numbers("hai mươi  mốt") == "20  mốt"  # two spaces: not one number


def test_digits_already_written_are_left_alone() -> None:
    assert write_numbers("thế kỷ 19 và năm 2026") == "thế kỷ 19 và năm 2026"


def test_multipliers_must_fall() -> None:
    # "nghìn triệu" is not one number: the parse stops before the larger multiplier
    assert parse_number(["hai", "nghìn", "triệu"], 0) == (2000, 2)
    assert parse_number(["đồng"], 0) is None


def test_decomposed_input_is_normalised() -> None:
    import unicodedata

    assert write_numbers(unicodedata.normalize("NFD", "mười chín")) == "19"


def test_transcripts_join_chunks_before_writing_numbers() -> None:
    from server.asr.transcribe import join_texts

    # a number cut between two chunks is still one number
    assert join_texts(["thế kỷ mười", " chín ngành"]) == "thế kỷ 19 ngành"
