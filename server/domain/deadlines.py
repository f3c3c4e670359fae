"""Deadline arithmetic (Civil Code 2015, Arts 147-148), pure.

- The start day is not counted: a period of N days starting on day S counts
  S+1, S+2, ...
- If the last day of a period is not a working day, the period ends at the
  end of the next working day.
- "At least N days before" an event: the last day to act is N days before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from server.domain.calendar import WorkCalendar
from server.domain.rule_profiles import DeadlineRule, PetitionOutcome, RuleProfile

DEFAULT_SOON_WORKING_DAYS = 3


def _check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"Số ngày phải là số nguyên dương (nhận được {n!r}).")


def add_working_days(start: date, n: int, cal: WorkCalendar) -> date:
    """The N-th working day after ``start`` (start not counted)."""
    _check_n(n)
    d = start
    left = n
    while left:
        d += timedelta(days=1)
        if cal.is_working_day(d):
            left -= 1
    return d


def add_calendar_days(start: date, n: int, cal: WorkCalendar) -> date:
    """``start`` + N days; moved to the next working day if that is not one."""
    _check_n(n)
    d = start + timedelta(days=n)
    return d if cal.is_working_day(d) else cal.next_working_day(d)


def add_days(start: date, n: int, unit: str, cal: WorkCalendar) -> date:
    if unit == "working":
        return add_working_days(start, n, cal)
    if unit == "calendar":
        return add_calendar_days(start, n, cal)
    raise ValueError(f"Đơn vị thời hạn không hợp lệ: {unit!r} (cần 'working' hoặc 'calendar').")


def latest_announcement_date(
    conference_date: date, n_days: int, cal: WorkCalendar | None = None
) -> date:
    """The last day an announcement can be made "at least N days before" the conference.

    Without a calendar this is conference_date - N. With one, a day that is
    not a working day moves back to the previous working day, so the office
    that publishes it is open.
    """
    _check_n(n_days)
    d = conference_date - timedelta(days=n_days)
    if cal is not None and not cal.is_working_day(d):
        d = cal.previous_working_day(d)
    return d


def announcement_in_time(announced_on: date, conference_date: date, n_days: int,
                         cal: WorkCalendar | None = None) -> bool:
    """Was the announcement made at least N days before the conference? With a calendar,
    by the same last day the deadline board shows."""
    return announced_on <= latest_announcement_date(conference_date, n_days, cal)


class DeadlineStatus(StrEnum):
    UPCOMING = "upcoming"
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    DONE = "done"


STATUS_LABELS: dict[DeadlineStatus, str] = {
    DeadlineStatus.UPCOMING: "Còn hạn",
    DeadlineStatus.DUE_SOON: "Sắp đến hạn",
    DeadlineStatus.DUE_TODAY: "Đến hạn hôm nay",
    DeadlineStatus.OVERDUE: "Quá hạn",
    DeadlineStatus.DONE: "Đã hoàn thành",
}


def deadline_status(
    due: date,
    today: date,
    cal: WorkCalendar,
    done_on: date | None = None,
    soon_working_days: int = DEFAULT_SOON_WORKING_DAYS,
) -> DeadlineStatus:
    """Status of a deadline seen on ``today``. Due soon: within the next N working days."""
    if done_on is not None:
        return DeadlineStatus.DONE
    if today > due:
        return DeadlineStatus.OVERDUE
    if today == due:
        return DeadlineStatus.DUE_TODAY
    if cal.working_days_between(today, due) <= soon_working_days:
        return DeadlineStatus.DUE_SOON
    return DeadlineStatus.UPCOMING


@dataclass(frozen=True)
class DatedDeadline:
    key: str
    label: str
    due: date
    length: int
    unit: str  # "working" | "calendar"
    anchor: str  # "after_conference" | "before_conference" | "assigned"
    anchor_date: date
    status: DeadlineStatus
    done_on: date | None
    late: bool  # overdue now, or done after the due day
    days_left: int  # calendar days from today to due (negative when overdue)
    working_days_left: int  # working days in (today, due]; negative when overdue

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def due_date(rule: DeadlineRule, conference_date: date, cal: WorkCalendar) -> date:
    if rule.anchor == "before_conference":
        return latest_announcement_date(conference_date, rule.length, cal)
    return add_days(conference_date, rule.length, rule.unit, cal)


def dated_deadline(
    *,
    key: str,
    label: str,
    due: date,
    length: int,
    unit: str,
    anchor: str,
    anchor_date: date,
    today: date,
    cal: WorkCalendar,
    done_on: date | None,
    soon_working_days: int = DEFAULT_SOON_WORKING_DAYS,
) -> DatedDeadline:
    """One deadline with its status as seen on ``today``."""
    status = deadline_status(due, today, cal, done_on, soon_working_days)
    late = (done_on > due) if done_on is not None else today > due
    return DatedDeadline(
        key=key,
        label=label,
        due=due,
        length=length,
        unit=unit,
        anchor=anchor,
        anchor_date=anchor_date,
        status=status,
        done_on=done_on,
        late=late,
        days_left=(due - today).days,
        working_days_left=cal.working_days_between(today, due),
    )


def deadlines_for_conference(
    conference_date: date,
    profile: RuleProfile,
    cal: WorkCalendar,
    today: date,
    done: Mapping[str, date] | None = None,
    soon_working_days: int = DEFAULT_SOON_WORKING_DAYS,
) -> list[DatedDeadline]:
    """The conference-level deadlines of the profile, dated, sorted by due day.

    ``done`` maps a deadline key to the day it was met (e.g. the notice's issue date).
    """
    done = done or {}
    items = [
        _from_rule(r, conference_date, cal, today, done.get(r.key), soon_working_days)
        for r in profile.conference_rules()
    ]
    return sorted(items, key=lambda x: (x.due, x.key))


def _from_rule(rule: DeadlineRule, anchor_date: date, cal: WorkCalendar, today: date,
               done_on: date | None, soon_working_days: int) -> DatedDeadline:
    """One rule of the profile, dated from its anchor day."""
    return dated_deadline(key=rule.key, label=rule.label, due=due_date(rule, anchor_date, cal),
                  length=rule.length, unit=rule.unit, anchor=rule.anchor,
                  anchor_date=anchor_date, today=today, cal=cal, done_on=done_on,
                  soon_working_days=soon_working_days)


ASSIGNED_KEY = "assigned"
ASSIGNED_LABEL = "Hạn giải quyết theo kết luận của Chủ tịch"


def deadlines_for_petition(
    raised_on: date,
    outcome: PetitionOutcome | str | None,
    profile: RuleProfile,
    cal: WorkCalendar,
    today: date,
    done_on: date | None = None,
    assigned_due: date | None = None,
    soon_working_days: int = DEFAULT_SOON_WORKING_DAYS,
) -> list[DatedDeadline]:
    """A petition's deadlines: the profile's petition rules for its outcome, plus
    the chairman's own deadline when it was assigned to a unit (``assigned_due``)."""
    outcome = PetitionOutcome(outcome) if outcome is not None else None
    items = [
        _from_rule(r, raised_on, cal, today, done_on, soon_working_days)
        for r in profile.petition_rules(outcome)
    ]
    if assigned_due is not None:
        if assigned_due < raised_on:
            raise ValueError(
                f"Hạn giải quyết {assigned_due:%d/%m/%Y} trước ngày nêu kiến nghị {raised_on:%d/%m/%Y}."
            )
        items.append(
            dated_deadline(
                key=ASSIGNED_KEY,
                label=ASSIGNED_LABEL,
                due=assigned_due,
                length=(assigned_due - raised_on).days,
                unit="calendar",
                anchor="assigned",
                anchor_date=raised_on,
                today=today,
                cal=cal,
                done_on=done_on,
                soon_working_days=soon_working_days,
            )
        )
    return sorted(items, key=lambda x: (x.due, x.key))


def deadline_for_petition(
    raised_on: date,
    outcome: PetitionOutcome | str | None,
    profile: RuleProfile,
    cal: WorkCalendar,
    today: date,
    done_on: date | None = None,
    assigned_due: date | None = None,
    soon_working_days: int = DEFAULT_SOON_WORKING_DAYS,
) -> DatedDeadline | None:
    """The petition's governing deadline (the earliest one), or None if it has none."""
    items = deadlines_for_petition(
        raised_on, outcome, profile, cal, today, done_on, assigned_due, soon_working_days
    )
    return items[0] if items else None
