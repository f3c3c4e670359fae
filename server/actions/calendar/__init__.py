"""Actions on the working-day calendar: the administrator's overrides of a year, kept as
one file per year in DATA/calendar-overrides (laid over the shipped calendar)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.domain.calendar import MAX_YEAR, MIN_YEAR, CalendarOverrides
from server.domain.errors import not_found


def check_year(year: int) -> int:
    """A year the calendar covers, or 404 (the year is part of the address)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise not_found(f"Năm {year} nằm ngoài khoảng {MIN_YEAR}-{MAX_YEAR}.")
    return year


def overrides_file(data_dir: Path, year: int) -> Path:
    return data_dir / "calendar-overrides" / f"{year}.json"


def of_year(overrides: CalendarOverrides, year: int) -> dict[str, Any]:
    """The overrides of one year only, as JSON."""
    data = overrides.to_json()
    for k in ("days_off", "working_days", "holidays"):
        data[k] = [e for e in data[k] if e["date"].startswith(f"{year}-")]
    if "facts" in data:  # a fact covers a range of days: kept when it touches the year
        data["facts"] = [f for f in data["facts"]
                         if f["from"][:4] <= str(year) <= f["to"][:4]]
    return data
