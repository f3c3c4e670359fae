"""The commune's rule profile applied to its conferences (announcement lead time).

Profiles are data (server/data/rule-profiles); the working-day calendar is the
shipped one with the administrator's override files in DATA/calendar-overrides
laid over it, reloaded when those files change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from server.db.models import Conference
from server.domain.calendar import WorkCalendar, calendar_from
from server.domain.deadlines import announcement_in_time, latest_announcement_date
from server.domain.rule_profiles import DEFAULT_PROFILE_KEY, RuleProfile, load_profiles

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def announcement_warning(profile: RuleProfile, conference_date: date, announced_on: date | None,
                         today: date) -> str | None:
    """A warning when the profile's "at least N days before" is missed or about to be."""
    rule = next((r for r in profile.conference_rules() if r.anchor == "before_conference"), None)
    if rule is None:
        return None
    latest = latest_announcement_date(conference_date, rule.length)
    when = f"{latest:%d/%m/%Y}"
    if announced_on is not None:
        if announcement_in_time(announced_on, conference_date, rule.length):
            return None
        return (f"Thông báo muộn: {profile.name} yêu cầu thông báo ít nhất {rule.length} ngày "
                f"trước hội nghị (chậm nhất ngày {when}); đã thông báo ngày {announced_on:%d/%m/%Y}.")
    if today > latest:
        return (f"Đã quá hạn thông báo: {profile.name} yêu cầu thông báo ít nhất {rule.length} "
                f"ngày trước hội nghị (chậm nhất ngày {when}).")
    return f"Cần thông báo công khai chậm nhất ngày {when} ({rule.length} ngày trước hội nghị)."


class Rules:
    def __init__(self, data_dir: Path | None = None) -> None:
        self.profiles = load_profiles()
        self.overrides_dir = (data_dir / "calendar-overrides") if data_dir else None
        self._calendar: WorkCalendar | None = None
        self._stamp: tuple = ()

    def profile_keys(self) -> list[str]:
        return sorted(self.profiles)

    def profile(self, key: str | None) -> RuleProfile:
        return self.profiles.get(key or DEFAULT_PROFILE_KEY) or self.profiles[DEFAULT_PROFILE_KEY]

    def calendar(self) -> WorkCalendar:
        files = sorted(self.overrides_dir.glob("*.json")) if self.overrides_dir and \
            self.overrides_dir.is_dir() else []
        stamp = tuple((f.name, f.stat().st_mtime_ns) for f in files)
        if self._calendar is None or stamp != self._stamp:
            self._calendar = calendar_from(files)
            self._stamp = stamp
        return self._calendar

    def announcement_warning(self, conf: Conference, profile_key: str | None,
                             today: date | None = None) -> str | None:
        if conf.status in ("held", "closed", "cancelled"):
            return None
        return announcement_warning(
            self.profile(profile_key), local_date(conf.starts_at),
            local_date(conf.announced_at) if conf.announced_at else None,
            today or local_date(datetime.now(UTC)))
