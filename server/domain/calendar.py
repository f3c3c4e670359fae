"""Working-day calendar for Vietnamese state bodies.

Base: the ``holidays`` package (country VN): weekends, the Labour Code
Art. 112 holidays with their lunar dates, the days off it already knows.
On top: a per-year override layer, given as data, that an administrator can
edit without a new release: extra days off, worked weekend days, new
holidays. Pure: no I/O except the explicit ``load``/``save`` helpers.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import holidays

from server.domain.errors import RuleError

COUNTRY = "VN"
OVERRIDES_VERSION = 1
MIN_YEAR = 2000
MAX_YEAR = 2100
SATURDAY, SUNDAY = 5, 6

#: Folder with the shipped override files, one per year (``2026.json``).
DEFAULT_OVERRIDES_DIR = Path(__file__).resolve().parent.parent / "data" / "calendar-overrides"


class OverridesError(RuleError):
    """An override file that cannot be used."""


@dataclass(frozen=True)
class DayNote:
    """One dated entry of the override layer."""

    day: date
    name: str


@dataclass(frozen=True)
class CalendarOverrides:
    """The administrator's layer over the package's calendar.

    - ``days_off``: extra days off (a swap's day off, a day the government adds).
    - ``working_days``: days worked although weekend or holiday (a swap's worked Saturday).
    - ``holidays``: new public holidays; one that falls on a weekend gives the
      next working day off, as the Labour Code says.
    """

    days_off: tuple[DayNote, ...] = ()
    working_days: tuple[DayNote, ...] = ()
    holidays: tuple[DayNote, ...] = ()
    note: str = ""

    def years(self) -> set[int]:
        return {n.day.year for n in (*self.days_off, *self.working_days, *self.holidays)}

    def merged(self, other: CalendarOverrides) -> CalendarOverrides:
        """Both layers together; raises OverridesError if both name the same day."""
        data = {
            "version": OVERRIDES_VERSION,
            "days_off": [_note_json(n) for n in (*self.days_off, *other.days_off)],
            "working_days": [_note_json(n) for n in (*self.working_days, *other.working_days)],
            "holidays": [_note_json(n) for n in (*self.holidays, *other.holidays)],
            "note": "\n".join(x for x in (self.note, other.note) if x),
        }
        return validate_overrides(data)

    def overlaid(self, top: CalendarOverrides) -> CalendarOverrides:
        """``top`` laid over this layer: for a day both name, ``top``'s entry wins.

        This is how an administrator's file sits over the shipped defaults.
        """
        taken = {n.day for n in (*top.days_off, *top.working_days, *top.holidays)}

        def keep(notes: tuple[DayNote, ...]) -> tuple[DayNote, ...]:
            return tuple(n for n in notes if n.day not in taken)

        base = CalendarOverrides(
            days_off=keep(self.days_off),
            working_days=keep(self.working_days),
            holidays=keep(self.holidays),
            note=self.note,
        )
        return base.merged(top)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": OVERRIDES_VERSION,
            "note": self.note,
            "days_off": [_note_json(n) for n in self.days_off],
            "working_days": [_note_json(n) for n in self.working_days],
            "holidays": [_note_json(n) for n in self.holidays],
        }


def _note_json(n: DayNote) -> dict[str, str]:
    return {"date": n.day.isoformat(), "name": n.name}


_LISTS = {
    "days_off": "ngày nghỉ thêm",
    "working_days": "ngày làm việc bù",
    "holidays": "ngày lễ mới",
}
_ALLOWED_KEYS = {"version", "note", *_LISTS}


def validate_overrides(data: Mapping[str, Any]) -> CalendarOverrides:
    """Check an override document (parsed JSON) and build the layer.

    Raises OverridesError (a ValueError) whose text is ``code: Vietnamese message``.
    """
    if not isinstance(data, Mapping):
        raise OverridesError("calendar.not_object", "Tệp ngày nghỉ phải là một đối tượng JSON.")
    unknown = sorted(set(data) - _ALLOWED_KEYS)
    if unknown:
        raise OverridesError(
            "calendar.unknown_key",
            f"Khóa không được hỗ trợ: {', '.join(map(str, unknown))}. "
            f"Chỉ dùng: {', '.join(sorted(_ALLOWED_KEYS))}.",
        )
    version = data.get("version", OVERRIDES_VERSION)
    if version != OVERRIDES_VERSION:
        raise OverridesError(
            "calendar.bad_version",
            f"Phiên bản tệp {version!r} không được hỗ trợ (cần {OVERRIDES_VERSION}).",
        )
    note = data.get("note", "")
    if not isinstance(note, str):
        raise OverridesError("calendar.bad_note", "Trường 'note' phải là chuỗi ký tự.")

    parsed: dict[str, tuple[DayNote, ...]] = {}
    seen: dict[date, str] = {}
    for key, label in _LISTS.items():
        raw = data.get(key, [])
        if not isinstance(raw, list):
            raise OverridesError("calendar.not_list", f"Trường '{key}' ({label}) phải là một danh sách.")
        notes: list[DayNote] = []
        for i, item in enumerate(raw, start=1):
            where = f"'{key}' mục {i}"
            if not isinstance(item, Mapping) or set(item) - {"date", "name"} or "date" not in item:
                raise OverridesError(
                    "calendar.bad_entry",
                    f"{where}: mỗi mục phải có dạng {{\"date\": \"YYYY-MM-DD\", \"name\": \"...\"}}.",
                )
            day = _parse_day(item["date"], where)
            name = item.get("name", "")
            if not isinstance(name, str) or not name.strip():
                raise OverridesError("calendar.missing_name", f"{where}: cần ghi tên hoặc lý do của ngày {day:%d/%m/%Y}.")
            if day in seen:
                raise OverridesError(
                    "calendar.duplicate_date",
                    f"{where}: ngày {day:%d/%m/%Y} đã có trong '{seen[day]}'; mỗi ngày chỉ ghi một lần.",
                )
            seen[day] = key
            notes.append(DayNote(day, unicodedata.normalize("NFC", name.strip())))
        parsed[key] = tuple(sorted(notes, key=lambda n: n.day))
    return CalendarOverrides(
        days_off=parsed["days_off"],
        working_days=parsed["working_days"],
        holidays=parsed["holidays"],
        note=unicodedata.normalize("NFC", note.strip()),
    )


def _parse_day(value: Any, where: str) -> date:
    if not isinstance(value, str):
        raise OverridesError("calendar.bad_date", f"{where}: ngày phải là chuỗi dạng YYYY-MM-DD.")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise OverridesError(
            "calendar.bad_date", f"{where}: '{value}' không phải ngày hợp lệ dạng YYYY-MM-DD."
        ) from None
    if len(value) != 10:
        raise OverridesError("calendar.bad_date", f"{where}: '{value}' phải viết đúng dạng YYYY-MM-DD.")
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise OverridesError(
            "calendar.bad_year", f"{where}: năm {day.year} nằm ngoài khoảng {MIN_YEAR}-{MAX_YEAR}."
        )
    return day


def load_overrides(path: str | Path) -> CalendarOverrides:
    """Read one JSON override file, or every ``*.json`` in a folder (merged)."""
    p = Path(path)
    if p.is_dir():
        result = CalendarOverrides()
        for f in sorted(p.glob("*.json")):
            result = result.merged(load_overrides(f))
        return result
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OverridesError("calendar.file_not_found", f"Không tìm thấy tệp ngày nghỉ: {p}") from None
    except UnicodeDecodeError:
        raise OverridesError("calendar.bad_encoding", f"Tệp {p.name} phải được lưu bằng UTF-8.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OverridesError(
            "calendar.bad_json", f"Tệp {p.name} không phải JSON hợp lệ (dòng {exc.lineno}, cột {exc.colno})."
        ) from None
    try:
        return validate_overrides(data)
    except OverridesError as exc:
        raise OverridesError(exc.code, f"{p.name}: {exc.message}") from None


def save_overrides(overrides: CalendarOverrides, path: str | Path) -> None:
    """Write the layer as JSON atomically (temporary file, then rename)."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(overrides.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(p)


def default_overrides() -> CalendarOverrides:
    """The override files shipped with the product."""
    return load_overrides(DEFAULT_OVERRIDES_DIR)


@dataclass
class WorkCalendar:
    """Is a day worked by state bodies? Package base + override layer."""

    overrides: CalendarOverrides = field(default_factory=CalendarOverrides)

    def __post_init__(self) -> None:
        self._years: dict[int, tuple[dict[date, str], set[date]]] = {}
        self._worked = {n.day: n.name for n in self.overrides.working_days}
        self._extra_off = {n.day: n.name for n in (*self.overrides.days_off, *self.overrides.holidays)}
        # A new holiday on a weekend gives the next working day off (Labour Code Art. 112(3)).
        self._observed: dict[date, str] = {}
        for n in self.overrides.holidays:
            if n.day.weekday() in (SATURDAY, SUNDAY):
                d = n.day + timedelta(days=1)
                while not self._working_before_observed(d) or d in self._observed:
                    d += timedelta(days=1)
                self._observed[d] = f"{n.name} (nghỉ bù)"

    def _package_year(self, year: int) -> tuple[dict[date, str], set[date]]:
        cached = self._years.get(year)
        if cached is None:
            base = holidays.country_holidays(COUNTRY, years=year, language="vi")
            off = {d: n for d, n in base.items() if d.year == year}
            worked = {d for d in base.weekend_workdays if d.year == year}
            cached = self._years[year] = (off, worked)
        return cached

    def _working_before_observed(self, day: date) -> bool:
        if day in self._worked:
            return True
        if day in self._extra_off:
            return False
        off, worked = self._package_year(day.year)
        if day in off:
            return False
        if day.weekday() in (SATURDAY, SUNDAY):
            return day in worked
        return True

    def is_working_day(self, day: date) -> bool:
        if day in self._observed and day not in self._worked:
            return False
        return self._working_before_observed(day)

    def day_name(self, day: date) -> str | None:
        """Why a day is special: holiday or day-off name, or a worked day's note; None if ordinary."""
        if day in self._worked:
            return self._worked[day]
        if day in self._extra_off:
            return self._extra_off[day]
        if day in self._observed:
            return self._observed[day]
        off, worked = self._package_year(day.year)
        if day in off:
            return off[day]
        if day in worked:
            return "Ngày làm việc bù"
        return None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        d = day + timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        d = day - timedelta(days=1)
        while not self.is_working_day(d):
            d -= timedelta(days=1)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: the start day is not counted. Negative if end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        d = start
        while d < end:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count

    def special_days(self, year: int) -> list[tuple[date, str, bool]]:
        """Every named day of the year (holidays, days off, worked weekend days):
        ``(day, name, is_working_day)``, for the administrator's page."""
        out: list[tuple[date, str, bool]] = []
        d = date(year, 1, 1)
        while d.year == year:
            name = self.day_name(d)
            if name is not None:
                out.append((d, name, self.is_working_day(d)))
            d += timedelta(days=1)
        return out


def calendar_from(paths: Iterable[str | Path] = ()) -> WorkCalendar:
    """Shipped overrides with the given files/folders laid over them in order
    (for a day named twice, the later file wins)."""
    ov = default_overrides()
    for p in paths:
        ov = ov.overlaid(load_overrides(p))
    return WorkCalendar(ov)
