"""Loudspeaker relay health reports: validation and the green/red rule (pure functions).

A refused report raises `ReportError`, an `Invalid` of server/domain/errors.py: the edge
answers it like every other refused request, `{"error": {"code", "message", "fields"}}`."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

from server.domain.errors import Invalid

REPORT_STALE_S = 15.0  # no report for this long → red
AUDIO_STALE_S = 10.0  # no audio for this long before the report → red
NAME_MAX = 100


class ReportError(Invalid, ValueError):
    """A malformed relay report; `fields` names each wrong field (Vietnamese messages)."""

    def __init__(self, field: str, problem: str, code: str = "invalid") -> None:
        super().__init__("bad_report", f"Báo cáo của cụm loa không hợp lệ — {field}: {problem}",
                         [{"field": field, "code": code, "message": problem}])


def parse_iso_utc(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    problem = "Phải là thời điểm ISO 8601 (ví dụ 2026-12-05T08:00:00Z) hoặc null."
    if not isinstance(value, str):
        raise ReportError(field, problem, "datetime_type")
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReportError(field, problem, "datetime_parsing") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _number(body: dict[str, Any], key: str) -> float:
    value = body.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ReportError(key, "Phải là một số không âm.", "greater_than_equal")
    return round(float(value), 1)


def _count(body: dict[str, Any], key: str) -> int:
    value = body.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportError(key, "Phải là số nguyên không âm.", "int_type")
    return value


def validate_report(body: Any) -> dict[str, Any]:
    """Check a relay report body; return the cleaned report or raise ReportError."""
    if not isinstance(body, dict):
        raise ReportError("body", "Báo cáo phải là một đối tượng JSON.", "model_type")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise ReportError("name", f"Tên cụm loa phải là chuỗi không rỗng, tối đa {NAME_MAX} ký tự.",
                          "string_type")
    connected = body.get("connected")
    if not isinstance(connected, bool):
        raise ReportError("connected", "Phải là đúng/sai (true/false).", "bool_type")
    last_audio = parse_iso_utc(body.get("last_audio_at"), "last_audio_at")
    last_underrun = parse_iso_utc(body.get("last_underrun_at"), "last_underrun_at")
    errors = body.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        raise ReportError("errors", "Phải là danh sách các chuỗi ký tự.", "list_type")
    url = body.get("url", body.get("stream_url", ""))
    if not isinstance(url, str):
        raise ReportError("url", "Phải là chuỗi ký tự.", "string_type")
    numbers = {key: _number(body, key)
               for key in ("buffer_ms", "target_ms", "silence_ms", "dropped_ms", "trimmed_ms",
                            "stretched_ms")}
    counters = {key: _count(body, key) for key in ("underruns", "underruns_1min", "restarts")}
    return {
        "name": unicodedata.normalize("NFC", name.strip()),
        "connected": connected,
        "last_audio_at": last_audio.isoformat() if last_audio else None,
        "last_underrun_at": last_underrun.isoformat() if last_underrun else None,
        "errors": [e[:300] for e in errors[-10:]],
        "url": url[:500],
        **numbers,
        **counters,
    }


def relay_health(report: dict[str, Any], received_at: datetime, now: datetime) -> tuple[str, str]:
    """('green'|'red', reason) for a relay's last report; a relay that plays but had to
    re-buffer says how often in the last minute."""
    if (now - received_at).total_seconds() > REPORT_STALE_S:
        return "red", "Mất liên lạc với cụm loa"
    if not report["connected"]:
        return "red", "Cụm loa chưa kết nối được luồng phát"
    last_audio = report.get("last_audio_at")
    if last_audio is None:
        return "red", "Cụm loa chưa nhận được âm thanh"
    age = (received_at - datetime.fromisoformat(last_audio)).total_seconds()
    if age > AUDIO_STALE_S:
        return "red", "Cụm loa không nhận được âm thanh"
    recent = int(report.get("underruns_1min") or 0)
    if recent:
        target = report.get("target_ms")
        buffer = f" (bộ đệm {target:g} ms)" if target else ""
        return "green", f"Đang phát; bị ngắt tiếng {recent} lần trong 1 phút qua{buffer}"
    return "green", "Đang nhận và phát"
