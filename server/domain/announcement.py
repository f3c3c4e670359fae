"""The announcement rule of a profile: "at least N days before the conference"."""

from __future__ import annotations

from datetime import date

from server.domain.calendar import WorkCalendar
from server.domain.deadlines import announcement_in_time, latest_announcement_date
from server.domain.rule_profiles import RuleProfile


def announcement_warning(profile: RuleProfile, conference_date: date, announced_on: date | None,
                         today: date, cal: WorkCalendar | None = None) -> str | None:
    """A warning when the profile's "at least N days before" is missed or about to be.

    With the working-day calendar the last day is the one the deadline board shows (a
    day the office is closed moves back to the previous working day)."""
    rule = next((r for r in profile.conference_rules() if r.anchor == "before_conference"), None)
    if rule is None:
        return None
    latest = latest_announcement_date(conference_date, rule.length, cal)
    when = f"{latest:%d/%m/%Y}"
    if announced_on is not None:
        if announcement_in_time(announced_on, conference_date, rule.length, cal):
            return None
        return (f"Thông báo muộn: {profile.name} yêu cầu thông báo ít nhất {rule.length} ngày "
                f"trước hội nghị (chậm nhất ngày {when}); đã thông báo ngày {announced_on:%d/%m/%Y}.")
    if today > latest:
        return (f"Đã quá hạn thông báo: {profile.name} yêu cầu thông báo ít nhất {rule.length} "
                f"ngày trước hội nghị (chậm nhất ngày {when}).")
    return (f"Cần thông báo công khai chậm nhất ngày {when} (ít nhất {rule.length} ngày trước "
            "hội nghị).")
