"""Deadline rule profiles, kept as data (server/data/rule-profiles/*.json).

A profile names each deadline a commune must meet around a conference: its
length, its unit (working or calendar days) and what it counts from. The
seed letter's profile (Công văn 457/UBND-NV) is the default; the 2025 local
government law's profile ships beside it. Each commune chooses one.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from server.domain.errors import RuleError

DEFAULT_PROFILE_KEY = "cong-van-457"
DEFAULT_PROFILES_DIR = Path(__file__).resolve().parent.parent / "data" / "rule-profiles"

Unit = Literal["working", "calendar"]
Anchor = Literal["after_conference", "before_conference"]
Scope = Literal["conference", "petition"]
UNITS: tuple[str, ...] = ("working", "calendar")
ANCHORS: tuple[str, ...] = ("after_conference", "before_conference")
SCOPES: tuple[str, ...] = ("conference", "petition")


class PetitionOutcome(StrEnum):
    """The chairman's conclusion on one petition."""

    ANSWERED = "answered"  # answered at the conference
    ASSIGNED = "assigned"  # assigned to a unit, with a deadline
    NEEDS_VERIFICATION = "needs_verification"  # needs verification, written reply later
    FORWARDED = "forwarded"  # outside the commune's powers, forwarded


class ProfileError(RuleError):
    """A rule profile that cannot be used."""


@dataclass(frozen=True)
class DeadlineRule:
    key: str
    label: str  # Vietnamese, shown to officials
    length: int  # days
    unit: Unit
    anchor: Anchor  # counted from the conference date, forwards or backwards
    applies_to: Scope = "conference"
    outcomes: tuple[PetitionOutcome, ...] = ()  # petition rules: outcomes it applies to (empty: all)
    basis: str = ""  # legal basis, shown beside the deadline


@dataclass(frozen=True)
class RuleProfile:
    key: str
    name: str
    basis: str
    deadlines: tuple[DeadlineRule, ...]

    def rule(self, key: str) -> DeadlineRule:
        for r in self.deadlines:
            if r.key == key:
                return r
        raise KeyError(key)

    def conference_rules(self) -> tuple[DeadlineRule, ...]:
        return tuple(r for r in self.deadlines if r.applies_to == "conference")

    def petition_rules(self, outcome: PetitionOutcome | str | None) -> tuple[DeadlineRule, ...]:
        return tuple(
            r
            for r in self.deadlines
            if r.applies_to == "petition" and (not r.outcomes or outcome in r.outcomes)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "basis": self.basis,
            "deadlines": [
                {
                    "key": r.key,
                    "label": r.label,
                    "length": r.length,
                    "unit": r.unit,
                    "anchor": r.anchor,
                    "applies_to": r.applies_to,
                    "outcomes": [str(o) for o in r.outcomes],
                    "basis": r.basis,
                }
                for r in self.deadlines
            ],
        }


def _text(value: Any, where: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ProfileError("profile.missing_text", f"{where}: cần một chuỗi ký tự không rỗng.")
    return unicodedata.normalize("NFC", value.strip())


def validate_profile(data: Mapping[str, Any]) -> RuleProfile:
    """Check a profile document (parsed JSON); raises ProfileError (a ValueError)."""
    if not isinstance(data, Mapping):
        raise ProfileError("profile.not_object", "Bộ quy tắc phải là một đối tượng JSON.")
    unknown = set(data) - {"key", "name", "basis", "deadlines"}
    if unknown:
        raise ProfileError("profile.unknown_key", f"Khóa không được hỗ trợ: {', '.join(sorted(unknown))}.")
    key = _text(data.get("key"), "key")
    if not all(c.isascii() and (c.isalnum() or c == "-") for c in key):
        raise ProfileError("profile.bad_key", f"Mã bộ quy tắc '{key}' chỉ gồm chữ không dấu, số và '-'.")
    raw = data.get("deadlines")
    if not isinstance(raw, list) or not raw:
        raise ProfileError("profile.no_deadlines", f"Bộ quy tắc '{key}' cần ít nhất một thời hạn.")
    rules: list[DeadlineRule] = []
    for i, item in enumerate(raw, start=1):
        where = f"thời hạn {i}"
        if not isinstance(item, Mapping):
            raise ProfileError("profile.bad_deadline", f"{where}: phải là một đối tượng JSON.")
        extra = set(item) - {"key", "label", "length", "unit", "anchor", "applies_to", "outcomes", "basis"}
        if extra:
            raise ProfileError("profile.unknown_key", f"{where}: khóa không được hỗ trợ: {', '.join(sorted(extra))}.")
        rkey = _text(item.get("key"), f"{where}: key")
        if any(r.key == rkey for r in rules):
            raise ProfileError("profile.duplicate_deadline", f"{where}: mã '{rkey}' bị trùng.")
        length = item.get("length")
        if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 366:
            raise ProfileError("profile.bad_length", f"{where} ('{rkey}'): số ngày phải là số nguyên từ 1 đến 366.")
        unit = item.get("unit")
        if unit not in UNITS:
            raise ProfileError("profile.bad_unit", f"{where} ('{rkey}'): đơn vị phải là 'working' (ngày làm việc) hoặc 'calendar' (ngày).")
        anchor = item.get("anchor")
        if anchor not in ANCHORS:
            raise ProfileError("profile.bad_anchor", f"{where} ('{rkey}'): mốc phải là 'after_conference' hoặc 'before_conference'.")
        applies_to = item.get("applies_to", "conference")
        if applies_to not in SCOPES:
            raise ProfileError("profile.bad_scope", f"{where} ('{rkey}'): áp dụng cho 'conference' hoặc 'petition'.")
        outcomes_raw = item.get("outcomes", [])
        try:
            outcomes = tuple(PetitionOutcome(o) for o in outcomes_raw)
        except (ValueError, TypeError):
            raise ProfileError(
                "profile.bad_outcome",
                f"{where} ('{rkey}'): kết luận phải thuộc {', '.join(o.value for o in PetitionOutcome)}.",
            ) from None
        if outcomes and applies_to != "petition":
            raise ProfileError("profile.bad_outcome", f"{where} ('{rkey}'): 'outcomes' chỉ dùng cho thời hạn của kiến nghị.")
        if applies_to == "petition" and anchor != "after_conference":
            raise ProfileError("profile.bad_anchor", f"{where} ('{rkey}'): thời hạn của kiến nghị tính sau hội nghị.")
        rules.append(
            DeadlineRule(
                key=rkey,
                label=_text(item.get("label"), f"{where}: label"),
                length=length,
                unit=unit,
                anchor=anchor,
                applies_to=applies_to,
                outcomes=outcomes,
                basis=_text(item.get("basis"), f"{where}: basis", required=False),
            )
        )
    return RuleProfile(
        key=key,
        name=_text(data.get("name"), "name"),
        basis=_text(data.get("basis"), "basis", required=False),
        deadlines=tuple(rules),
    )


def load_profile(path: str | Path) -> RuleProfile:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError("profile.file_not_found", f"Không tìm thấy tệp bộ quy tắc: {p}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProfileError("profile.bad_json", f"Tệp {p.name} không phải JSON UTF-8 hợp lệ.") from None
    return validate_profile(data)


def load_profiles(folder: str | Path = DEFAULT_PROFILES_DIR) -> dict[str, RuleProfile]:
    """Every profile in the folder, by key."""
    out: dict[str, RuleProfile] = {}
    for f in sorted(Path(folder).glob("*.json")):
        prof = load_profile(f)
        if prof.key in out:
            raise ProfileError("profile.duplicate_key", f"Mã bộ quy tắc '{prof.key}' xuất hiện hai lần ({f.name}).")
        out[prof.key] = prof
    return out


def get_profile(key: str = DEFAULT_PROFILE_KEY) -> RuleProfile:
    """A shipped profile by key."""
    profiles = load_profiles()
    try:
        return profiles[key]
    except KeyError:
        raise ProfileError(
            "profile.unknown", f"Không có bộ quy tắc '{key}'. Có: {', '.join(sorted(profiles))}."
        ) from None
