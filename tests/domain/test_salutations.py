"""How a person is addressed: "Kính gửi: Ông Nguyễn Văn An", never "Ông (bà)"."""

import pytest

from server.domain.errors import Invalid
from server.domain.salutations import addressee, clean_salutation, kinh_gui, with_salutation


def test_kinh_gui():
    assert kinh_gui("Ông", "Nguyễn Văn An") == "Kính gửi: Ông Nguyễn Văn An"
    assert kinh_gui("bà", "Trần Thị Bình", "thôn 3", "xã Đức An") == \
        "Kính gửi: Bà Trần Thị Bình, thôn 3, xã Đức An"
    assert kinh_gui("đồng chí", "Lê Văn Cường") == "Kính gửi: Đồng chí Lê Văn Cường"
    assert kinh_gui("", "Y Bih Niê") == "Kính gửi: Y Bih Niê"  # no salutation: the name alone


def test_inside_a_sentence():
    assert with_salutation("Ông", "Nguyễn Văn An") == "ông Nguyễn Văn An"
    assert with_salutation("Đồng chí", "Lê Văn Cường") == "đồng chí Lê Văn Cường"
    assert with_salutation("Linh mục", "Phêrô Nguyễn Văn Hòa") == "Linh mục Phêrô Nguyễn Văn Hòa"
    assert with_salutation(None, "Trần T. B.") == "Trần T. B."
    assert with_salutation("Ông", "ông Nguyễn Văn An") == "ông Nguyễn Văn An"  # not twice
    assert addressee("Bà", "Vũ Thị Ngọc", "", "Trưởng thôn 10") == "Bà Vũ Thị Ngọc, Trưởng thôn 10"


def test_clean_salutation():
    assert clean_salutation(" ông ") == "Ông"
    assert clean_salutation("đồng  chí") == "Đồng chí"
    assert clean_salutation("Già làng") == "Già làng"
    assert clean_salutation("") == clean_salutation(None) == ""
    for bad in ("Ông (bà)", "Ông/bà", "Ông 2", "x" * 51):
        with pytest.raises(Invalid) as info:
            clean_salutation(bad)
        assert info.value.code == "bad_salutation"
