"""Deadline arithmetic and rule profiles, with dates counted by hand."""

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from server.domain.calendar import WorkCalendar, default_overrides
from server.domain.deadlines import (
    DeadlineStatus,
    add_calendar_days,
    add_working_days,
    announcement_in_time,
    deadline_for_petition,
    deadline_status,
    deadlines_for_conference,
    deadlines_for_petition,
    latest_announcement_date,
)
from server.domain.rule_profiles import (
    DEFAULT_PROFILE_KEY,
    PetitionOutcome,
    ProfileError,
    get_profile,
    load_profiles,
    validate_profile,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(default_overrides())


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Ordinary week: Mon + 4 = Fri; + 5 crosses the weekend.
        (date(2026, 3, 2), 4, date(2026, 3, 6)),
        (date(2026, 3, 2), 5, date(2026, 3, 9)),
        # Friday before Tết 2026 (14/02-22/02 off): 23, 24, 25, 26, 27/02, 2, 3, 4, 5, 6/03.
        (date(2026, 2, 13), 10, date(2026, 3, 6)),
        (date(2026, 2, 13), 1, date(2026, 2, 23)),
        # Hùng Kings (Sun 26/04, Mon 27/04 off), 30/04 and 1/05: 21-24/04, 28, 29/04, 4-7/05.
        (date(2026, 4, 20), 10, date(2026, 5, 7)),
        # 2026 New Year swap: 1/01 holiday, 2/01 off, Sat 10/01 worked.
        (date(2025, 12, 31), 1, date(2026, 1, 5)),
        (date(2026, 1, 9), 1, date(2026, 1, 10)),
        # Verification reply: 30 working days from Fri 9/01/2026 (Sat 10/01 worked, Tết off).
        (date(2026, 1, 9), 30, date(2026, 2, 26)),
        # 2025 swap: Sat 26/04 worked; 30/04, 1/05, Fri 2/05 off.
        (date(2025, 4, 25), 1, date(2025, 4, 26)),
        (date(2025, 4, 25), 3, date(2025, 4, 29)),
        (date(2025, 4, 25), 4, date(2025, 5, 5)),
        # National Day 2025: Mon 1/09 and Tue 2/09 off.
        (date(2025, 8, 29), 1, date(2025, 9, 3)),
        # A start day that is itself a holiday: counting starts the day after.
        (date(2026, 2, 17), 1, date(2026, 2, 23)),
    ],
)
def test_add_working_days(cal, start, n, expected):
    assert add_working_days(start, n, cal) == expected


def test_swap_matters():
    bare = WorkCalendar()
    assert add_working_days(date(2026, 1, 9), 1, bare) == date(2026, 1, 12)
    assert add_working_days(date(2025, 12, 31), 1, bare) == date(2026, 1, 2)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 3, 2), 4, date(2026, 3, 6)),  # lands on a working day
        (date(2026, 3, 2), 5, date(2026, 3, 9)),  # Saturday -> Monday
        (date(2026, 2, 10), 7, date(2026, 2, 23)),  # lands in Tết -> first day after
        (date(2026, 4, 20), 10, date(2026, 5, 4)),  # 30/04 -> 1/05, weekend -> Monday 4/05
        (date(2025, 8, 23), 10, date(2025, 9, 3)),  # 2/09/2025 -> 3/09
        (date(2026, 1, 3), 7, date(2026, 1, 10)),  # worked Saturday counts as working
        (date(2025, 12, 22), 11, date(2026, 1, 5)),  # 2/01/2026 off by the swap
    ],
)
def test_add_calendar_days(cal, start, n, expected):
    assert add_calendar_days(start, n, cal) == expected


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_bad_lengths_rejected(cal, n):
    with pytest.raises(ValueError, match="Số ngày"):
        add_working_days(date(2026, 3, 2), n, cal)
    with pytest.raises(ValueError, match="Số ngày"):
        add_calendar_days(date(2026, 3, 2), n, cal)


def test_announcement_at_least_n_days_before(cal):
    assert latest_announcement_date(date(2026, 3, 15), 7) == date(2026, 3, 8)
    # With a calendar a Sunday moves back to Friday; a Tết day to the last day before Tết.
    assert latest_announcement_date(date(2026, 3, 15), 7, cal) == date(2026, 3, 6)
    assert latest_announcement_date(date(2026, 2, 25), 7, cal) == date(2026, 2, 13)
    assert announcement_in_time(date(2026, 3, 8), date(2026, 3, 15), 7)
    assert announcement_in_time(date(2026, 3, 1), date(2026, 3, 15), 7)
    assert not announcement_in_time(date(2026, 3, 9), date(2026, 3, 15), 7)


@pytest.mark.parametrize(
    ("today", "done_on", "expected"),
    [
        (date(2026, 3, 2), None, DeadlineStatus.UPCOMING),  # 4 working days left
        (date(2026, 3, 3), None, DeadlineStatus.DUE_SOON),  # 3 working days left
        (date(2026, 3, 6), None, DeadlineStatus.DUE_TODAY),
        (date(2026, 3, 9), None, DeadlineStatus.OVERDUE),
        (date(2026, 3, 9), date(2026, 3, 5), DeadlineStatus.DONE),
    ],
)
def test_status(cal, today, done_on, expected):
    assert deadline_status(date(2026, 3, 6), today, cal, done_on) == expected


def test_profiles_shipped():
    profiles = load_profiles()
    assert set(profiles) == {"cong-van-457", "luat-2025"}
    seed = get_profile()
    assert seed.key == DEFAULT_PROFILE_KEY == "cong-van-457"
    notice = seed.rule("conclusion_notice")
    assert (notice.length, notice.unit, notice.anchor) == (10, "working", "after_conference")
    reply = seed.rule("verification_reply")
    assert (reply.length, reply.unit, reply.applies_to) == (30, "working", "petition")
    assert reply.outcomes == (PetitionOutcome.NEEDS_VERIFICATION,)
    law = get_profile("luat-2025")
    assert (law.rule("announcement").length, law.rule("announcement").anchor) == (7, "before_conference")
    assert (law.rule("results_publication").length, law.rule("results_publication").unit) == (10, "calendar")
    with pytest.raises(ProfileError) as info:
        get_profile("khong-co")
    assert info.value.code == "profile.unknown"


def test_conference_deadlines_seed_profile(cal):
    items = deadlines_for_conference(
        date(2026, 2, 13), get_profile(), cal, today=date(2026, 3, 4),
        done={"report_higher_level": date(2026, 3, 2)},
    )
    by_key = {i.key: i for i in items}
    notice = by_key["conclusion_notice"]
    assert notice.due == date(2026, 3, 6)
    assert notice.status == DeadlineStatus.DUE_SOON
    assert (notice.days_left, notice.working_days_left) == (2, 2)
    assert notice.label == "Thông báo kết luận của Chủ tịch UBND xã"
    report = by_key["report_higher_level"]
    assert report.status == DeadlineStatus.DONE and not report.late
    assert "verification_reply" not in by_key  # petition rule, not a conference one


def test_conference_deadlines_law_2025_profile(cal):
    items = deadlines_for_conference(date(2026, 4, 20), get_profile("luat-2025"), cal, today=date(2026, 4, 14))
    by_key = {i.key: i for i in items}
    assert by_key["announcement"].due == date(2026, 4, 13)
    assert by_key["announcement"].status == DeadlineStatus.OVERDUE and by_key["announcement"].late
    assert by_key["results_publication"].due == date(2026, 5, 4)
    assert by_key["results_publication"].status == DeadlineStatus.UPCOMING
    assert [i.key for i in items] == ["announcement", "results_publication"]
    late_done = deadlines_for_conference(
        date(2026, 4, 20), get_profile("luat-2025"), cal, today=date(2026, 4, 14),
        done={"announcement": date(2026, 4, 14)},
    )[0]
    assert late_done.status == DeadlineStatus.DONE and late_done.late


def test_petition_deadlines(cal):
    seed = get_profile()
    item = deadline_for_petition(date(2026, 1, 9), "needs_verification", seed, cal, today=date(2026, 2, 27))
    assert item is not None and item.key == "verification_reply"
    assert item.due == date(2026, 2, 26) and item.status == DeadlineStatus.OVERDUE
    assert deadline_for_petition(date(2026, 1, 9), PetitionOutcome.ANSWERED, seed, cal, today=date(2026, 1, 9)) is None
    assigned = deadlines_for_petition(
        date(2026, 1, 9), "assigned", seed, cal, today=date(2026, 1, 20), assigned_due=date(2026, 1, 30)
    )
    assert [(a.key, a.due, a.status) for a in assigned] == [("assigned", date(2026, 1, 30), DeadlineStatus.UPCOMING)]
    with pytest.raises(ValueError):
        deadlines_for_petition(date(2026, 1, 9), "bogus", seed, cal, today=date(2026, 1, 9))
    with pytest.raises(ValueError):
        deadlines_for_petition(
            date(2026, 1, 9), "assigned", seed, cal, today=date(2026, 1, 9), assigned_due=date(2026, 1, 1)
        )


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        ({"key": "có dấu"}, "profile.bad_key"),
        ({"deadlines": []}, "profile.no_deadlines"),
        ({"deadlines": [{"key": "a", "label": "x", "length": 0, "unit": "working", "anchor": "after_conference"}]}, "profile.bad_length"),
        ({"deadlines": [{"key": "a", "label": "x", "length": 5, "unit": "weeks", "anchor": "after_conference"}]}, "profile.bad_unit"),
        ({"deadlines": [{"key": "a", "label": "x", "length": 5, "unit": "working", "anchor": "later"}]}, "profile.bad_anchor"),
        ({"deadlines": [{"key": "a", "label": "x", "length": 5, "unit": "working", "anchor": "after_conference", "outcomes": ["lost"], "applies_to": "petition"}]}, "profile.bad_outcome"),
        ({"deadlines": [{"key": "a", "label": "x", "length": 5, "unit": "working", "anchor": "after_conference"}] * 2}, "profile.duplicate_deadline"),
        ({"deadlines": [{"key": "a", "label": "", "length": 5, "unit": "working", "anchor": "after_conference"}]}, "profile.missing_text"),
    ],
)
def test_profile_validation(patch, code):
    data = get_profile().to_json() | patch
    with pytest.raises(ProfileError) as info:
        validate_profile(data)
    assert info.value.code == code


def test_profile_json_roundtrip():
    for prof in load_profiles().values():
        assert validate_profile(prof.to_json()) == prof


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.followup.cli", "deadline", *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )


def test_cli_prints_iso_dates():
    r = _cli("2026-02-13", "--working-days", "10")
    assert (r.returncode, r.stdout) == (0, "2026-03-06\n")
    r = _cli("2026-02-10", "--days", "7")
    assert (r.returncode, r.stdout) == (0, "2026-02-23\n")
    r = _cli("2026-03-15", "--days-before", "7")
    assert (r.returncode, r.stdout) == (0, "2026-03-06\n")


def test_cli_overrides_file(tmp_path):
    extra = tmp_path / "extra.json"
    extra.write_text('{"days_off": [{"date": "2026-03-06", "name": "Nghỉ thử"}]}', encoding="utf-8")
    r = _cli("2026-02-13", "--working-days", "10", "--overrides", str(extra))
    assert (r.returncode, r.stdout) == (0, "2026-03-09\n")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("2026-13-01", "--days", "3"), "YYYY-MM-DD"),
        (("13/02/2026", "--days", "3"), "YYYY-MM-DD"),
        (("2026-02-13", "--working-days", "x"), "số nguyên dương"),
        (("2026-02-13", "--working-days", "0"), "số nguyên dương"),
        (("2026-02-13", "--days", "3", "--overrides", "/khong/co.json"), "calendar.file_not_found"),
        (("2026-02-13",), "--working-days"),
        (("2026-02-13", "--days", "3", "--working-days", "3"), "not allowed"),
    ],
)
def test_cli_bad_input_exit_2(args, needle):
    r = _cli(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    assert needle in r.stderr


def test_announcement_warning_and_board_agree_on_the_last_day(cal):
    from server.domain.announcement import announcement_warning

    law = get_profile("luat-2025")
    conference = date(2026, 12, 5)  # Saturday: 7 days before is Saturday 28/11, the office is closed
    board = deadlines_for_conference(conference, law, cal, today=date(2026, 11, 20))
    due = next(d.due for d in board if d.key == "announcement")
    assert due == date(2026, 11, 27)
    warning = announcement_warning(law, conference, None, date(2026, 11, 20), cal)
    assert warning == ("Cần thông báo công khai chậm nhất ngày 27/11/2026 (ít nhất 7 ngày trước "
                       "hội nghị).")
    # announced on Saturday 28/11: late by the board's day
    late = announcement_warning(law, conference, date(2026, 11, 28), date(2026, 11, 30), cal)
    assert late is not None and late.startswith("Thông báo muộn") and "27/11/2026" in late
    assert announcement_in_time(date(2026, 11, 27), conference, 7, cal)
    assert not announcement_in_time(date(2026, 11, 28), conference, 7, cal)


def test_cli_explain_prints_each_day_with_its_status():
    r = _cli("2027-01-29", "--working-days", "10", "--explain")
    assert (r.returncode, r.stdout) == (0, "2027-02-19\n")
    lines = r.stderr.splitlines()
    assert lines[0].startswith("2027-02-04 (nghỉ): 29 Tết — dự kiến, chưa có quyết định; nguồn: ")
    assert "2027-02-06 (nghỉ): Tết Nguyên đán — dự kiến, chưa có quyết định; nguồn: " in r.stderr
    assert lines[-1] == ("Lưu ý: kết quả dựa trên ngày nghỉ dự kiến, chưa có quyết định; "
                         "hãy tính lại khi có quyết định chính thức.")
    r = _cli("2025-12-31", "--working-days", "1", "--explain")
    assert r.stdout == "2026-01-05\n"
    assert r.stderr.splitlines() == [
        "2026-01-01 (nghỉ): Tết Dương lịch — văn bản chính thức; nguồn: Bộ luật Lao động 2019, Điều 112",
        "2026-01-02 (nghỉ): Nghỉ hoán đổi Tết Dương lịch (làm bù thứ Bảy 10/01/2026) — đã công bố; "
        "nguồn: Lịch nghỉ Tết Dương lịch 2026 của cán bộ, công chức, viên chức đã công bố; "
        "gói holidays 0.108 chưa có; chưa đối chiếu văn bản gốc",
    ]
