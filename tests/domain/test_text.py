from server.domain.text import clean_line, clean_text, fold, nfc, search_key


def test_fold_removes_vietnamese_diacritics_and_d_stroke():
    assert fold("Nguyễn Văn Ấn") == "nguyen van an"
    assert fold("ĐƯỜNG GIAO THÔNG thôn Đắk") == "duong giao thong thon dak"


def test_fold_same_for_composed_and_decomposed_input():
    decomposed = "Nguye\u0302\u0303n"
    assert fold(decomposed) == fold("Nguyễn") == "nguyen"


def test_nfc_composes():
    assert nfc("Nguye\u0302\u0303n") == "Nguyễn"


def test_clean_line_collapses_space_and_drops_controls():
    assert clean_line("  Trần\t\u0000Thị   Bé \n") == "Trần Thị Bé"


def test_clean_text_keeps_line_breaks():
    assert clean_text("dòng 1\r\ndòng 2 ") == "dòng 1\ndòng 2"


def test_search_key_joins_fields():
    assert search_key("Lê Văn Tám", None, "Đất đai") == "le van tam | dat dai"
