"""Two levels of the working-day calendar: the install's (the province's days off and
swaps) and each commune's own days off, laid over it for that commune only."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain.calendar import (
    LOCAL_DAYS_MAX,
    OverridesError,
    calendar_from,
    commune_calendar,
    estimated_year_warning,
    local_days_of,
    may_edit_install_calendar,
    validate_local_days,
)
from server.domain.deadlines import add_days

BASE = calendar_from()


def test_a_communes_day_off_moves_only_its_own_deadlines():
    local = validate_local_days([{"date": "2026-03-02", "name": "Lễ hội đình làng"}], 2026)
    mine = commune_calendar(BASE, local)
    assert BASE.is_working_day(date(2026, 3, 2)) and not mine.is_working_day(date(2026, 3, 2))
    fact = mine.day_fact(date(2026, 3, 2))
    assert fact.name == "Lễ hội đình làng" and fact.status == "announced"
    assert fact.source == "Ngày nghỉ riêng của xã (quản trị viên xã ghi)"
    # the install's calendar and any other commune are not changed
    assert BASE.is_working_day(date(2026, 3, 2))
    assert commune_calendar(BASE, ()) is BASE
    # a Saturday the install works (10/01/2026, a swap) can be off for one commune
    assert BASE.is_working_day(date(2026, 1, 10))
    assert not commune_calendar(BASE, validate_local_days(
        [{"date": "2026-01-10", "name": "Ngày truyền thống xã"}], 2026)).is_working_day(date(2026, 1, 10))


def test_local_days_are_checked():
    for bad, code in (
        ("x", "calendar.not_list"),
        ([{"date": "2027-01-05", "name": "A"}], "calendar.wrong_year"),
        ([{"date": "2026-02-30", "name": "A"}], "calendar.bad_date"),
        ([{"date": "2026-03-02", "name": " "}], "calendar.missing_name"),
        ([{"date": "2026-03-02", "name": "A"}, {"date": "2026-03-02", "name": "B"}], "calendar.duplicate_date"),
        ([{"date": "2026-03-02", "name": "A", "working": True}], "calendar.bad_entry"),
        ([{"date": f"2026-03-{d:02d}", "name": "A"} for d in range(1, LOCAL_DAYS_MAX + 2)], "calendar.too_many"),
    ):
        with pytest.raises(OverridesError) as e:
            validate_local_days(bad, 2026)
        assert e.value.code == code, bad
    # what is stored is read back by year; a damaged year is skipped
    stored = {"2026": [{"date": "2026-03-02", "name": "Lễ hội"}], "2027": "hỏng", "x": []}
    assert [n.day for n in local_days_of(stored)] == [date(2026, 3, 2)]


def test_who_edits_the_install_calendar():
    assert may_edit_install_calendar("admin", 1, 1)
    assert not may_edit_install_calendar("admin", 2, 1)  # a commune's administrator
    assert not may_edit_install_calendar("chair", 1, 1)
    assert not may_edit_install_calendar("admin", 1, None)


def test_estimated_year_warning_names_the_estimated_days():
    assert estimated_year_warning(BASE, 2026) is None
    text = estimated_year_warning(BASE, 2027)
    assert text.startswith("Lịch ngày nghỉ năm 2027 còn ngày dự kiến, chưa có quyết định (Tết Nguyên đán: "
                           "04/02-10/02; Quốc khánh: 03/09).")
    # a working-day deadline across the estimated Tết is what the warning is about
    assert add_days(date(2027, 2, 1), 5, "working", BASE) == date(2027, 2, 15)
