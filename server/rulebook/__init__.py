"""The commune's rule profiles and working-day calendar, loaded from data files.

Profiles are data (server/data/rule-profiles); the working-day calendar is the
shipped one with the administrator's override files in DATA/calendar-overrides
laid over it, reloaded when those files change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from server.db.models import Conference
from server.domain.announcement import announcement_warning
from server.domain.calendar import WorkCalendar, calendar_from
from server.domain.local_time import local_date
from server.domain.rule_profiles import DEFAULT_PROFILE_KEY, RuleProfile, load_profiles


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
                             today: date | None = None, *,
                             calendar: WorkCalendar | None = None) -> str | None:
        """``calendar``: the commune's own (its days off over the install's), when known."""
        if conf.status in ("held", "closed", "cancelled"):
            return None
        return announcement_warning(
            self.profile(profile_key), local_date(conf.starts_at),
            local_date(conf.announced_at) if conf.announced_at else None,
            today or local_date(datetime.now(UTC)), calendar or self.calendar())
