"""Working-day calendar: the holidays package (VN) under the override layer."""

import json
from datetime import date

import holidays
import pytest

from server.domain.calendar import (
    FACT_STATUS_LABELS,
    CalendarOverrides,
    DayNote,
    FactStatus,
    OverridesError,
    WorkCalendar,
    calendar_from,
    default_overrides,
    load_overrides,
    save_overrides,
    validate_overrides,
)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(default_overrides())


def test_package_version_pinned_and_what_it_knows():
    assert holidays.__version__ == "0.108"
    bare = WorkCalendar()
    # Known by the package: the 2025 swap, 2026 National Day swap, 24 November from 2026.
    assert not bare.is_working_day(date(2025, 5, 2))
    assert bare.is_working_day(date(2025, 4, 26))
    assert bare.is_working_day(date(2026, 8, 22))
    assert not bare.is_working_day(date(2026, 8, 31))
    assert not bare.is_working_day(date(2026, 11, 24))
    assert bare.is_working_day(date(2025, 11, 24))  # Monday, not yet a holiday in 2025
    # Not known by the package: the 2026 New Year swap (why 2026.json exists).
    assert bare.is_working_day(date(2026, 1, 2))
    assert not bare.is_working_day(date(2026, 1, 10))


def test_shipped_overrides_2026_swap(cal):
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.is_working_day(date(2026, 1, 10))
    assert "10/01/2026" in (cal.day_name(date(2026, 1, 2)) or "")
    assert cal.is_working_day(date(2026, 1, 5))


def test_weekends_and_ordinary_days(cal):
    assert cal.is_working_day(date(2026, 3, 4))  # Wednesday
    assert not cal.is_working_day(date(2026, 3, 7))  # Saturday
    assert not cal.is_working_day(date(2026, 3, 8))  # Sunday
    assert cal.day_name(date(2026, 3, 4)) is None


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19), date(2026, 2, 20),
        date(2025, 1, 27), date(2025, 1, 31),
        date(2026, 4, 27),  # Hùng Kings day 26/4 is a Sunday: Monday off
        date(2026, 4, 30), date(2026, 5, 1),
        date(2025, 9, 1), date(2025, 9, 2), date(2026, 9, 1), date(2026, 9, 2),
        date(2026, 1, 1),
    ],
)
def test_holidays_are_off(cal, day):
    assert not cal.is_working_day(day)
    assert cal.day_name(day)


def test_tet_2026_nine_days_off(cal):
    # Government schedule: Saturday 14/02 to Sunday 22/02/2026, nine days in a row.
    days = [date(2026, 2, d) for d in range(14, 23)]
    assert not any(cal.is_working_day(d) for d in days)
    assert cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 23))


def test_next_previous_and_between(cal):
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert cal.previous_working_day(date(2026, 2, 23)) == date(2026, 2, 13)
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1
    assert cal.working_days_between(date(2026, 2, 23), date(2026, 2, 13)) == -1
    assert cal.working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5


def test_new_holiday_on_weekend_gives_next_working_day_off():
    ov = validate_overrides(
        {"version": 1, "holidays": [{"date": "2027-06-05", "name": "Ngày lễ thử"}]}
    )
    c = WorkCalendar(ov)
    assert not c.is_working_day(date(2027, 6, 5))
    assert not c.is_working_day(date(2027, 6, 7))  # Monday after
    assert c.day_name(date(2027, 6, 7)) == "Ngày lễ thử (nghỉ bù)"
    assert c.is_working_day(date(2027, 6, 8))
    assert WorkCalendar().is_working_day(date(2027, 6, 7))


def test_worked_day_cancels_package_holiday():
    ov = validate_overrides({"working_days": [{"date": "2026-11-24", "name": "Chưa áp dụng"}]})
    assert WorkCalendar(ov).is_working_day(date(2026, 11, 24))


def test_special_days_lists_the_year(cal):
    days = {d: (name, working) for d, name, working in cal.special_days(2026)}
    assert days[date(2026, 1, 10)][1] is True
    assert days[date(2026, 1, 2)][1] is False
    assert date(2026, 11, 24) in days
    assert date(2026, 3, 4) not in days


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ([], "calendar.not_object"),
        ({"extra": 1}, "calendar.unknown_key"),
        ({"version": 2}, "calendar.bad_version"),
        ({"days_off": "2026-01-02"}, "calendar.not_list"),
        ({"days_off": [{"date": "2026-02-30", "name": "x"}]}, "calendar.bad_date"),
        ({"days_off": [{"date": "02/01/2026", "name": "x"}]}, "calendar.bad_date"),
        ({"days_off": [{"date": 20260102, "name": "x"}]}, "calendar.bad_date"),
        ({"days_off": [{"date": "1990-01-02", "name": "x"}]}, "calendar.bad_year"),
        ({"days_off": [{"date": "2026-01-02"}]}, "calendar.missing_name"),
        ({"days_off": [{"date": "2026-01-02", "name": "  "}]}, "calendar.missing_name"),
        ({"days_off": [{"day": "2026-01-02", "name": "x"}]}, "calendar.bad_entry"),
        (
            {
                "days_off": [{"date": "2026-01-10", "name": "a"}],
                "working_days": [{"date": "2026-01-10", "name": "b"}],
            },
            "calendar.duplicate_date",
        ),
        ({"note": 5}, "calendar.bad_note"),
    ],
)
def test_validation_errors_have_code_and_vietnamese_message(data, code):
    with pytest.raises(ValueError) as info:
        validate_overrides(data)
    err = info.value
    assert isinstance(err, OverridesError)
    assert err.code == code
    assert str(err).startswith(code + ": ")
    assert any(ch in err.message for ch in "ảãạáàăâđêôơưệếộ")


def test_save_load_roundtrip(tmp_path):
    ov = CalendarOverrides(
        days_off=(DayNote(date(2027, 1, 4), "Nghỉ thêm"),),
        working_days=(DayNote(date(2027, 1, 9), "Làm bù"),),
        holidays=(DayNote(date(2027, 3, 8), "Ngày mới"),),
        note="Thử",
    )
    path = tmp_path / "2027.json"
    save_overrides(ov, path)
    assert json.loads(path.read_text(encoding="utf-8"))["days_off"][0]["date"] == "2027-01-04"
    assert load_overrides(path) == ov
    assert load_overrides(tmp_path) == ov  # a folder loads every file in it


def test_load_errors_name_the_file(tmp_path):
    bad = tmp_path / "2027.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(OverridesError) as info:
        load_overrides(bad)
    assert info.value.code == "calendar.bad_json" and "2027.json" in info.value.message
    bad.write_text('{"days_off": [{"date": "2027-13-01", "name": "x"}]}', encoding="utf-8")
    with pytest.raises(OverridesError) as info:
        load_overrides(bad)
    assert info.value.code == "calendar.bad_date" and info.value.message.startswith("2027.json")
    with pytest.raises(OverridesError) as info:
        load_overrides(tmp_path / "missing.json")
    assert info.value.code == "calendar.file_not_found"


def test_merging_files_rejects_the_same_day_twice(tmp_path):
    (tmp_path / "a.json").write_text('{"days_off": [{"date": "2027-01-04", "name": "x"}]}', encoding="utf-8")
    (tmp_path / "b.json").write_text('{"working_days": [{"date": "2027-01-04", "name": "y"}]}', encoding="utf-8")
    with pytest.raises(OverridesError) as info:
        load_overrides(tmp_path)
    assert info.value.code == "calendar.duplicate_date"


def test_admin_file_laid_over_defaults_wins(tmp_path):
    admin = tmp_path / "admin.json"
    # The administrator cancels the shipped 2026 swap and adds a day off.
    admin.write_text(
        '{"working_days": [{"date": "2026-01-02", "name": "Không nghỉ"}],'
        ' "days_off": [{"date": "2026-01-10", "name": "Không làm bù"}, {"date": "2026-03-06", "name": "Nghỉ"}]}',
        encoding="utf-8",
    )
    c = calendar_from([admin])
    assert c.is_working_day(date(2026, 1, 2))
    assert not c.is_working_day(date(2026, 1, 10))
    assert not c.is_working_day(date(2026, 3, 6))
    assert not c.is_working_day(date(2025, 5, 2))  # the rest of the defaults still apply
    ov = default_overrides().overlaid(load_overrides(admin))
    assert [n.day for n in ov.working_days].count(date(2026, 1, 2)) == 1


def test_names_are_nfc():
    decomposed = "Nghi\u0309 bu\u0300"  # "Nghỉ bù" written with combining marks
    ov = validate_overrides({"days_off": [{"date": "2027-01-04", "name": decomposed}]})
    assert ov.days_off[0].name == "Ngh\u1ec9 b\u00f9"


def test_package_names_written_the_vietnamese_way(cal):
    assert cal.day_name(date(2026, 2, 17)) == "Tết Nguyên đán"
    assert cal.day_name(date(2026, 2, 16)) == "Giao thừa Tết Nguyên đán"
    assert all("Nguyên Đán" not in name for _, name, _ in cal.special_days(2027))


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (date(2026, 1, 1), FactStatus.OFFICIAL),  # Labour Code Art. 112
        (date(2026, 4, 30), FactStatus.OFFICIAL),
        (date(2026, 4, 27), FactStatus.OFFICIAL),  # substitute day of the Hùng Kings day
        (date(2026, 1, 2), FactStatus.ANNOUNCED),  # the shipped 2026 swap
        (date(2026, 1, 10), FactStatus.ANNOUNCED),
        (date(2026, 2, 17), FactStatus.ANNOUNCED),  # Tết 2026 schedule
        (date(2025, 1, 29), FactStatus.ANNOUNCED),
        (date(2026, 11, 24), FactStatus.ANNOUNCED),  # Vietnamese Culture Day
        (date(2027, 2, 6), FactStatus.ESTIMATED),  # Tết 2027 and 2030: the lunar estimate
        (date(2027, 2, 10), FactStatus.ESTIMATED),
        (date(2030, 2, 2), FactStatus.ESTIMATED),
        (date(2028, 1, 26), FactStatus.ESTIMATED),  # any year without a decision
        (date(2027, 9, 3), FactStatus.ESTIMATED),  # the day beside 2/9, not yet fixed
        (date(2027, 9, 2), FactStatus.OFFICIAL),
    ],
)
def test_every_named_day_has_a_source_and_status(cal, day, status):
    fact = cal.day_fact(day)
    assert fact is not None and fact.status == status and fact.source
    assert fact.status_label == FACT_STATUS_LABELS[status]


def test_estimated_label_and_ordinary_days(cal):
    assert cal.day_fact(date(2027, 2, 8)).status_label == "dự kiến, chưa có quyết định"
    assert "chưa quyết định" in cal.day_fact(date(2027, 2, 8)).source
    assert cal.day_fact(date(2026, 3, 4)) is None
    facts = cal.special_facts(2026)
    assert [f.day for f in facts] == [d for d, _, _ in cal.special_days(2026)]


def test_shipped_entries_all_carry_source_and_status():
    ov = default_overrides()
    for n in (*ov.days_off, *ov.working_days, *ov.holidays):
        assert n.source and n.status in {str(s) for s in FactStatus}, n
    assert {f.first.year for f in ov.facts if f.status == "estimated"} == {2027, 2030}
    assert all(f.source for f in ov.facts)


def test_admin_entry_status_and_facts_validated(tmp_path):
    ov = validate_overrides({
        "days_off": [{"date": "2027-02-11", "name": "Nghỉ thêm dịp Tết", "status": "announced",
                      "source": "Quyết định của Thủ tướng"}],
        "facts": [{"from": "2027-02-04", "to": "2027-02-10", "name": "Tết 2027", "status": "announced",
                   "source": "Quyết định của Thủ tướng"}],
    })
    c = WorkCalendar(default_overrides().overlaid(ov))
    assert c.day_fact(date(2027, 2, 6)).status == FactStatus.ANNOUNCED  # the administrator's fact wins
    assert c.day_fact(date(2027, 2, 11)).source == "Quyết định của Thủ tướng"
    plain = WorkCalendar(validate_overrides({"days_off": [{"date": "2027-03-08", "name": "Nghỉ"}]}))
    assert plain.day_fact(date(2027, 3, 8)).status == FactStatus.ANNOUNCED
    save_overrides(ov, tmp_path / "2027.json")
    assert load_overrides(tmp_path / "2027.json") == ov
    for bad, code in (
        ({"days_off": [{"date": "2027-01-04", "name": "x", "status": "maybe"}]}, "calendar.bad_status"),
        ({"days_off": [{"date": "2027-01-04", "name": "x", "source": 5}]}, "calendar.bad_source"),
        ({"facts": [{"from": "2027-02-10", "to": "2027-02-04", "name": "x", "status": "estimated"}]},
         "calendar.bad_range"),
        ({"facts": [{"from": "2027-02-04", "to": "2027-02-10", "name": "x"}]}, "calendar.bad_entry"),
        ({"facts": {}}, "calendar.not_list"),
    ):
        with pytest.raises(OverridesError) as info:
            validate_overrides(bad)
        assert info.value.code == code
