"""Working-day calendar for Vietnamese state bodies.

Base: the ``holidays`` package (country VN): weekends, the Labour Code
Art. 112 holidays with their lunar dates, the days off it already knows.
On top: a per-year override layer, given as data, that an administrator can
edit without a new release: extra days off, worked weekend days, new
holidays. Pure: no I/O except the explicit ``load``/``save`` helpers.

Every named day is a *fact* with a source and a status (``FactStatus``): in an
official text (the Labour Code's fixed holidays), announced for the year (a swap,
the year's Tết schedule), or estimated (Tết of a year the Prime Minister has not
yet fixed, computed from the lunar calendar). Entries of the layer carry their own;
``facts`` in the layer give the status of the package's days over a range of dates
without changing them.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
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


class FactStatus(StrEnum):
    OFFICIAL = "official"  # in a legal text (Labour Code 2019, Art. 112)
    ANNOUNCED = "announced"  # announced for the year (a swap, the year's Tết schedule)
    ESTIMATED = "estimated"  # computed (the lunar calendar); no decision yet


FACT_STATUS_LABELS: dict[FactStatus, str] = {
    FactStatus.OFFICIAL: "văn bản chính thức",
    FactStatus.ANNOUNCED: "đã công bố",
    FactStatus.ESTIMATED: "dự kiến, chưa có quyết định",
}

#: The package's version, named in the sources of the days it gives.
PACKAGE = f"gói holidays {holidays.__version__}"
SOURCE_LABOUR_CODE = "Bộ luật Lao động 2019, Điều 112"
SOURCE_LUNAR_ESTIMATE = (f"Âm lịch, do {PACKAGE} tính; lịch nghỉ Tết do Thủ tướng quyết định "
                         "hằng năm, năm này chưa có quyết định")
SOURCE_NATIONAL_DAY_ESTIMATE = (f"{SOURCE_LABOUR_CODE} (02/9 và một ngày liền kề); ngày liền kề do "
                                f"{PACKAGE} chọn, Thủ tướng quyết định hằng năm, năm này chưa có quyết định")
SOURCE_PACKAGE_SWAP = f"Hoán đổi ngày làm việc trong năm, theo {PACKAGE}; chưa đối chiếu văn bản gốc"
SOURCE_ADMIN = "Quản trị viên ghi trong tệp ngày nghỉ"
#: Names of the package's Tết days (after ``_vietnamese_name``).
_TET_WORDS = ("Tết Nguyên đán", "29 Tết")


@dataclass(frozen=True)
class DayNote:
    """One dated entry of the override layer, with where it comes from."""

    day: date
    name: str
    source: str = ""
    status: str = ""  # a FactStatus value; empty: announced (what an administrator types)


@dataclass(frozen=True)
class Fact:
    """The source and status of the days the base gives over a range (nothing changes)."""

    first: date
    last: date
    name: str
    status: str
    source: str = ""

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class DayFact:
    """A named day as the calendar knows it."""

    day: date
    name: str
    working: bool
    status: FactStatus
    source: str

    @property
    def status_label(self) -> str:
        return FACT_STATUS_LABELS[self.status]


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
    facts: tuple[Fact, ...] = ()

    def years(self) -> set[int]:
        return {n.day.year for n in (*self.days_off, *self.working_days, *self.holidays)} | {
            y for f in self.facts for y in range(f.first.year, f.last.year + 1)}

    def merged(self, other: CalendarOverrides) -> CalendarOverrides:
        """Both layers together; raises OverridesError if both name the same day.
        Facts of ``other`` come first: they win where both cover a day."""
        data = {
            "version": OVERRIDES_VERSION,
            "days_off": [_note_json(n) for n in (*self.days_off, *other.days_off)],
            "working_days": [_note_json(n) for n in (*self.working_days, *other.working_days)],
            "holidays": [_note_json(n) for n in (*self.holidays, *other.holidays)],
            "facts": [_fact_json(f) for f in (*other.facts, *self.facts)],
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
            facts=self.facts,
        )
        return base.merged(top)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": OVERRIDES_VERSION,
            "note": self.note,
            "days_off": [_note_json(n) for n in self.days_off],
            "working_days": [_note_json(n) for n in self.working_days],
            "holidays": [_note_json(n) for n in self.holidays],
        }
        if self.facts:
            data["facts"] = [_fact_json(f) for f in self.facts]
        return data


def _note_json(n: DayNote) -> dict[str, str]:
    out = {"date": n.day.isoformat(), "name": n.name}
    if n.source:
        out["source"] = n.source
    if n.status:
        out["status"] = n.status
    return out


def _fact_json(f: Fact) -> dict[str, str]:
    out = {"from": f.first.isoformat(), "to": f.last.isoformat(), "name": f.name, "status": f.status}
    if f.source:
        out["source"] = f.source
    return out


_LISTS = {
    "days_off": "ngày nghỉ thêm",
    "working_days": "ngày làm việc bù",
    "holidays": "ngày lễ mới",
}
_ALLOWED_KEYS = {"version", "note", "facts", *_LISTS}
_STATUSES = ", ".join(str(s) for s in FactStatus)


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
            if not isinstance(item, Mapping) or set(item) - {"date", "name", "source", "status"} \
                    or "date" not in item:
                raise OverridesError(
                    "calendar.bad_entry",
                    f"{where}: mỗi mục phải có dạng {{\"date\": \"YYYY-MM-DD\", \"name\": \"...\"}} "
                    "(có thể thêm \"source\" và \"status\").",
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
            source, status = _source_status(item, where)
            notes.append(DayNote(day, unicodedata.normalize("NFC", name.strip()), source, status))
        parsed[key] = tuple(sorted(notes, key=lambda n: n.day))
    return CalendarOverrides(
        days_off=parsed["days_off"],
        working_days=parsed["working_days"],
        holidays=parsed["holidays"],
        note=unicodedata.normalize("NFC", note.strip()),
        facts=_parse_facts(data.get("facts", [])),
    )


def _source_status(item: Mapping[str, Any], where: str, *, required: bool = False) -> tuple[str, str]:
    source = item.get("source", "")
    if not isinstance(source, str):
        raise OverridesError("calendar.bad_source", f"{where}: 'source' (nguồn) phải là chuỗi ký tự.")
    status = item.get("status", "")
    if (status or required) and status not in {str(s) for s in FactStatus}:
        raise OverridesError("calendar.bad_status",
                             f"{where}: 'status' (tình trạng) phải là một trong: {_STATUSES}.")
    return unicodedata.normalize("NFC", source.strip()), status


def _parse_facts(raw: Any) -> tuple[Fact, ...]:
    if not isinstance(raw, list):
        raise OverridesError("calendar.not_list", "Trường 'facts' (nguồn của ngày nghỉ) phải là một danh sách.")
    out = []
    for i, item in enumerate(raw, start=1):
        where = f"'facts' mục {i}"
        if not isinstance(item, Mapping) or set(item) - {"from", "to", "name", "source", "status"} \
                or not {"from", "to", "status"} <= set(item):
            raise OverridesError(
                "calendar.bad_entry",
                f"{where}: mỗi mục phải có dạng {{\"from\": \"YYYY-MM-DD\", \"to\": \"YYYY-MM-DD\", "
                "\"name\": \"...\", \"status\": \"...\", \"source\": \"...\"}.")
        first, last = _parse_day(item["from"], where), _parse_day(item["to"], where)
        if last < first:
            raise OverridesError("calendar.bad_range",
                                 f"{where}: ngày cuối {last:%d/%m/%Y} trước ngày đầu {first:%d/%m/%Y}.")
        name = item.get("name", "")
        if not isinstance(name, str) or not name.strip():
            raise OverridesError("calendar.missing_name", f"{where}: cần ghi tên của các ngày này.")
        source, status = _source_status(item, where, required=True)
        out.append(Fact(first, last, unicodedata.normalize("NFC", name.strip()), status, source))
    return tuple(out)


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
        self._notes = {n.day: n for n in (*self.overrides.working_days, *self.overrides.days_off,
                                          *self.overrides.holidays)}
        # A new holiday on a weekend gives the next working day off (Labour Code Art. 112(3)).
        self._observed: dict[date, str] = {}
        for n in self.overrides.holidays:
            if n.day.weekday() in (SATURDAY, SUNDAY):
                d = n.day + timedelta(days=1)
                while not self._working_before_observed(d) or d in self._observed:
                    d += timedelta(days=1)
                self._observed[d] = f"{n.name} (nghỉ bù)"
                self._notes.setdefault(d, n)

    def _package_year(self, year: int) -> tuple[dict[date, str], set[date]]:
        cached = self._years.get(year)
        if cached is None:
            base = holidays.country_holidays(COUNTRY, years=year, language="vi")
            off = {d: vietnamese_name(n) for d, n in base.items() if d.year == year}
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

    def day_fact(self, day: date) -> DayFact | None:
        """A named day with its source and status; None for an ordinary day.

        The layer's entries carry their own (an administrator's entry without one is
        "announced"). The package's days take the status of a fact of the layer that
        covers them; otherwise: Tết, estimated from the lunar calendar (the Prime
        Minister fixes it each year); a swap the package knows, announced; the other
        holidays and their substitute days, the Labour Code's text.
        """
        name = self.day_name(day)
        if name is None:
            return None
        working = self.is_working_day(day)
        note = self._notes.get(day)
        if note is not None:
            return DayFact(day, name, working, FactStatus(note.status or FactStatus.ANNOUNCED),
                           note.source or SOURCE_ADMIN)
        for f in self.overrides.facts:
            if f.covers(day):
                return DayFact(day, name, working, FactStatus(f.status), f.source or f.name)
        status, source = _package_fact(day, name, working)
        return DayFact(day, name, working, status, source)

    def special_facts(self, year: int) -> list[DayFact]:
        """Every named day of the year with its source and status."""
        return [f for d, _, _ in self.special_days(year) if (f := self.day_fact(d)) is not None]

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


def vietnamese_name(name: str) -> str:
    """The package's names as Vietnamese writes them: "Tết Nguyên đán", not "Nguyên Đán"."""
    return unicodedata.normalize("NFC", name).replace("Nguyên Đán", "Nguyên đán")


#: The package's days whose ground is an announcement, not the Labour Code's text.
_PACKAGE_ANNOUNCED = {
    "Ngày Văn hóa Việt Nam": f"Theo {PACKAGE} (Nghị quyết 80-NQ/TW, theo báo chí); "
                             "chưa đối chiếu văn bản gốc",
}


def _package_fact(day: date, name: str, working: bool) -> tuple[FactStatus, str]:
    if any(w in name for w in _TET_WORDS):
        return FactStatus.ESTIMATED, SOURCE_LUNAR_ESTIMATE
    if name == "Quốc khánh" and (day.month, day.day) != (9, 2):
        return FactStatus.ESTIMATED, SOURCE_NATIONAL_DAY_ESTIMATE
    for key, source in _PACKAGE_ANNOUNCED.items():
        if name.startswith(key):
            return FactStatus.ANNOUNCED, source
    if working or name.startswith("Ngày nghỉ (thay cho"):
        return FactStatus.ANNOUNCED, SOURCE_PACKAGE_SWAP
    return FactStatus.OFFICIAL, SOURCE_LABOUR_CODE


def _day_ranges(days: list[date]) -> str:
    """"04/02-10/02, 03/09": consecutive days as one range."""
    runs: list[list[date]] = []
    for d in sorted(days):
        if runs and d - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(f"{r[0]:%d/%m}" if len(r) == 1 else f"{r[0]:%d/%m}-{r[-1]:%d/%m}" for r in runs)


def estimated_days(cal: WorkCalendar, year: int) -> list[DayFact]:
    """The year's named days that rest on an estimate (no decision yet)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return []
    return [f for f in cal.special_facts(year) if f.status == FactStatus.ESTIMATED]


def estimated_year_warning(cal: WorkCalendar, year: int) -> str | None:
    """The warning shown wherever a deadline or a document's date falls in a year whose
    calendar is partly estimated (the calendar page, the document editor); None when
    every named day of the year is in an official text or announced."""
    days = estimated_days(cal, year)
    if not days:
        return None
    names: dict[str, list[date]] = {}
    for f in days:
        tet = any(w in f.name for w in _TET_WORDS)
        names.setdefault("Tết Nguyên đán" if tet else f.name, []).append(f.day)
    listed = "; ".join(f"{name}: {_day_ranges(ds)}" for name, ds in names.items())
    return (f"Lịch ngày nghỉ năm {year} còn ngày dự kiến, chưa có quyết định ({listed}). Các thời "
            f"hạn tính theo ngày làm việc trong năm {year} có thể thay đổi khi có quyết định chính "
            "thức; hãy kiểm tra lại trước khi ban hành.")


# ---- two levels: the install's calendar and each commune's own days off ----------------------

#: The setting (per commune) that keeps the commune's own days off, by year.
LOCAL_DAYS_SETTING = "calendar_local_days"
LOCAL_DAYS_MAX = 30  # a commune's own days off in one year
SOURCE_LOCAL = "Ngày nghỉ riêng của xã (quản trị viên xã ghi)"


def validate_local_days(items: Any, year: int) -> tuple[DayNote, ...]:
    """A commune's own days off of one year (a local holiday, a day the commune closes):
    ``[{"date": "YYYY-MM-DD", "name": "..."}]``, every day in ``year``, each once. Raises
    OverridesError. Only days off: the working days and swaps are the install's."""
    if not isinstance(items, list):
        raise OverridesError("calendar.not_list", "Ngày nghỉ riêng của xã phải là một danh sách.")
    if len(items) > LOCAL_DAYS_MAX:
        raise OverridesError("calendar.too_many",
                             f"Mỗi năm xã ghi tối đa {LOCAL_DAYS_MAX} ngày nghỉ riêng.")
    out: list[DayNote] = []
    seen: set[date] = set()
    for i, item in enumerate(items, start=1):
        where = f"Ngày nghỉ riêng mục {i}"
        if not isinstance(item, Mapping) or set(item) - {"date", "name"} or "date" not in item:
            raise OverridesError("calendar.bad_entry",
                                 f"{where}: mỗi mục phải có dạng {{\"date\": \"YYYY-MM-DD\", "
                                 "\"name\": \"...\"}.")
        day = _parse_day(item["date"], where)
        if day.year != year:
            raise OverridesError("calendar.wrong_year",
                                 f"{where}: ngày {day:%d/%m/%Y} không thuộc năm {year}.")
        name = item.get("name", "")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise OverridesError("calendar.missing_name",
                                 f"{where}: cần ghi tên hoặc lý do của ngày {day:%d/%m/%Y} "
                                 "(tối đa 200 ký tự).")
        if day in seen:
            raise OverridesError("calendar.duplicate_date",
                                 f"{where}: ngày {day:%d/%m/%Y} đã có; mỗi ngày chỉ ghi một lần.")
        seen.add(day)
        out.append(DayNote(day, unicodedata.normalize("NFC", name.strip()), SOURCE_LOCAL,
                           str(FactStatus.ANNOUNCED)))
    return tuple(sorted(out, key=lambda n: n.day))


def local_days_of(stored: Mapping[str, Any] | None) -> tuple[DayNote, ...]:
    """Every year's own days off of a commune, from its stored setting ({"2026": [...]});
    a damaged year is skipped rather than stop every deadline."""
    out: list[DayNote] = []
    for key, items in (stored or {}).items():
        try:
            out += validate_local_days(items, int(key))
        except (OverridesError, ValueError):
            continue
    return tuple(out)


def commune_calendar(base: WorkCalendar, local: Iterable[DayNote]) -> WorkCalendar:
    """The install's calendar with the commune's own days off laid over it (a day the
    install has as worked becomes off for this commune only)."""
    local = tuple(local)
    if not local:
        return base
    return WorkCalendar(base.overrides.overlaid(CalendarOverrides(days_off=local)))


def may_edit_install_calendar(role: str, commune_id: int, first_commune_id: int | None) -> bool:
    """The install's calendar (the province's days off and swaps) is edited by an
    administrator of the install's first commune (made at first start: the install's own
    account; on a province's machine, the province's); a commune's administrator edits
    only the commune's own days off."""
    return role == "admin" and first_commune_id is not None and commune_id == first_commune_id


def calendar_from(paths: Iterable[str | Path] = ()) -> WorkCalendar:
    """Shipped overrides with the given files/folders laid over them in order
    (for a day named twice, the later file wins)."""
    ov = default_overrides()
    for p in paths:
        ov = ov.overlaid(load_overrides(p))
    return WorkCalendar(ov)
