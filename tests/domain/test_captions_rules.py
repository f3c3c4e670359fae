"""The pure rules of the live captions: degrading with hysteresis, who sees them, the
tablet's message, the commune's vocabulary and the correction it makes."""

from __future__ import annotations

import pytest

from server.domain import captions as c
from server.domain import limits

T = c.DEFAULT_THRESHOLDS


# ---- modes --------------------------------------------------------------------------------

def test_live_drops_to_finals_only_then_paused_as_the_backlog_grows():
    assert c.next_mode(c.LIVE, 0.3, False, 10, 10) == c.LIVE
    assert c.next_mode(c.LIVE, T.to_finals_only + 0.1, False, 10, 0) == c.FINALS_ONLY
    assert c.next_mode(c.FINALS_ONLY, 3.0, False, 1, 0) == c.FINALS_ONLY
    assert c.next_mode(c.FINALS_ONLY, T.to_paused + 0.1, False, 1, 0) == c.PAUSED
    assert c.next_mode(c.LIVE, T.to_paused + 0.1, False, 1, 0) == c.PAUSED


def test_dropped_audio_pauses_at_once():
    assert c.next_mode(c.LIVE, 0.0, True, 10, 10) == c.PAUSED
    assert c.next_mode(c.FINALS_ONLY, 0.0, True, 10, 10) == c.PAUSED


def test_coming_back_is_slow_hysteresis():
    # paused: only once drained AND after the minimum pause
    assert c.next_mode(c.PAUSED, 0.0, False, T.paused_at_least - 0.1, 10) == c.PAUSED
    assert c.next_mode(c.PAUSED, 1.0, False, 60, 0) == c.PAUSED
    assert c.next_mode(c.PAUSED, 0.2, False, T.paused_at_least, 0) == c.FINALS_ONLY
    # finals only -> live: a small backlog that stayed small
    assert c.next_mode(c.FINALS_ONLY, 0.2, False, 10, T.calm_for - 0.1) == c.FINALS_ONLY
    assert c.next_mode(c.FINALS_ONLY, 1.0, False, 10, 10) == c.FINALS_ONLY  # between bounds
    assert c.next_mode(c.FINALS_ONLY, 0.2, False, 10, T.calm_for) == c.LIVE
    # a backlog between the two bounds keeps whatever mode holds: no flapping
    assert c.next_mode(c.LIVE, 1.0, False, 0, 0) == c.LIVE


def test_modes_outside_the_running_ones_are_left_alone():
    for mode in (c.OFF, c.UNAVAILABLE):
        assert c.next_mode(mode, 99, True, 0, 0) == mode
    assert c.takes_audio(c.LIVE) and c.takes_audio(c.FINALS_ONLY) and not c.takes_audio(c.PAUSED)
    assert c.sends_partials(c.LIVE) and not c.sends_partials(c.FINALS_ONLY)


# ---- visibility ---------------------------------------------------------------------------

def situation(**kw) -> c.Situation:
    base = dict(enabled=True, available=True, mode=c.LIVE, on_air=True, muted=False,
                show_when_muted=False, turn_id="t1", hidden_turn_id=None)
    return c.Situation(**{**base, **kw})


@pytest.mark.parametrize(("change", "public"), [
    ({}, True),
    ({"enabled": False}, False),
    ({"available": False}, False),
    ({"on_air": False}, False),
    ({"muted": True}, False),
    ({"muted": True, "show_when_muted": True}, True),
    ({"on_air": False, "show_when_muted": True}, False),
    ({"hidden_turn_id": "t1"}, False),
    ({"hidden_turn_id": "t0"}, True),  # another turn was hidden, not this one
    ({"mode": c.FINALS_ONLY}, True),
])
def test_public_only_when_on_air_unmuted_enabled_and_not_hidden(change, public):
    assert c.public(situation(**change)) is public


@pytest.mark.parametrize(("change", "mode", "words"), [
    ({}, c.LIVE, "Phụ đề đang chạy."),
    ({"available": False, "enabled": False}, c.UNAVAILABLE, "chưa có bộ nhận dạng"),
    ({"enabled": False}, c.OFF, "Phụ đề đang tắt."),
    ({"mode": c.PAUSED}, c.PAUSED, "quá tải"),
    ({"mode": c.FINALS_ONLY}, c.FINALS_ONLY, "từng câu"),
    ({"on_air": False}, c.LIVE, "Chưa phát thanh"),
    ({"muted": True}, c.LIVE, "tắt tiếng"),
    ({"hidden_turn_id": "t1"}, c.LIVE, "ẩn"),
    ({"turn_id": None}, c.LIVE, "khi có người phát biểu"),
])
def test_the_tablet_is_told_why_in_vietnamese(change, mode, words):
    s = situation(**change)
    assert c.shown_mode(s) == mode
    assert words in c.message(s)


# ---- vocabulary ---------------------------------------------------------------------------

TERMS = ["Buôn Đăk Rơ", "Nguyễn Văn Thưởng", "Ea Tiêu", "Thôn Tân Lập", "Y Niê Kdăm",
         "H Mai Êban", "Ama Hiếu", "Thôn Tân Hòa"]


@pytest.mark.parametrize(("heard", "written"), [
    ("tôi ở bôn đắc rơ, xin hỏi", "tôi ở Buôn Đăk Rơ, xin hỏi"),
    ("kính thưa ông nguyễn văn thương chủ tịch", "kính thưa ông Nguyễn Văn Thưởng chủ tịch"),
    ("xã ia tiêu", "xã Ea Tiêu"),
    ("bà con thôn tân lập.", "bà con Thôn Tân Lập."),
    ("anh y nie kdam nói", "anh Y Niê Kdăm nói"),
    # unrelated words are left alone
    ("bạn cầm khúc cây và ném vào bãi cỏ", "bạn cầm khúc cây và ném vào bãi cỏ"),
    ("ông văn thưởng", "ông văn thưởng"),  # two words of a three-word name: not enough
    ("", ""),
    # a name heard as one word more or fewer
    ("bà h mai ê ban kiến nghị", "bà H Mai Êban kiến nghị"),
    ("ông a ma hiếu ở đây", "ông Ama Hiếu ở đây"),
])
def test_correct_writes_the_communes_names(heard, written):
    assert c.correct(heard, TERMS) == written


def test_the_closest_term_wins():
    assert c.correct("thôn tân lặp xin làm đường", TERMS) == "Thôn Tân Lập xin làm đường"
    assert c.correct("thôn tân hoà xin làm đường", TERMS) == "Thôn Tân Hòa xin làm đường"


def test_one_word_terms_only_match_exactly_and_short_terms_never():
    assert c.correct("đi qua krông rồi", ["Krông"]) == "đi qua Krông rồi"
    assert c.correct("đi qua krong rồi", ["Krông"]) == "đi qua Krông rồi"  # diacritics only
    assert c.correct("đi qua kông rồi", ["Krông"]) == "đi qua kông rồi"  # not a near match
    assert c.correct("an ninh", ["An"]) == "an ninh"  # too short to correct anything


def test_terms_from_the_record():
    found = c.terms_from_record(
        ["Xã Đức An", "Nguyễn Văn Ấn", "Thôn 3", "An", "", "nguyễn văn ấn"],
        ["Đề nghị làm đường ở Buôn Đăk Rơ. Sửa Cầu Suối Đá hỏng", "Cho Tôi hỏi."])
    assert found == ["Buôn Đăk Rơ", "Cầu Suối Đá", "Đức An", "Nguyễn Văn Ấn", "Thôn 3"]


def test_clean_terms_and_merge():
    assert c.clean_terms([" Ea  Tiêu ", "ea tieu", "", "Bon Bu Dăr"]) == ["Ea Tiêu", "Bon Bu Dăr"]
    with pytest.raises(c.VocabularyError, match="dài quá"):
        c.clean_terms(["x" * (limits.VOCABULARY_TERM + 1)])
    with pytest.raises(c.VocabularyError, match="tối đa"):
        c.clean_terms([f"Thôn số {i}" for i in range(limits.VOCABULARY_TERMS + 1)])
    merged = c.merge_terms(["Buon Dak Ro", "Thôn 3"], ["Buôn Đăk Rơ", "An"])
    assert merged == ["Buôn Đăk Rơ", "Thôn 3"]  # the secretary's spelling wins; short dropped
