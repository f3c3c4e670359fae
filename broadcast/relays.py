"""Loudspeaker relay health reports: validation and the green/red rule (pure functions)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

REPORT_STALE_S = 15.0  # no report for this long → red
AUDIO_STALE_S = 10.0  # no audio for this long before the report → red


class ReportError(ValueError):
    pass


def parse_iso_utc(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReportError(f"{field} must be an ISO 8601 time or null")
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReportError(f"{field} must be an ISO 8601 time or null") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def validate_report(body: Any) -> dict[str, Any]:
    """Check a relay report body; return the cleaned report or raise ReportError."""
    if not isinstance(body, dict):
        raise ReportError("report must be a JSON object")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise ReportError("name must be a non-empty text of at most 100 characters")
    connected = body.get("connected")
    if not isinstance(connected, bool):
        raise ReportError("connected must be true or false")
    buffer_ms = body.get("buffer_ms", 0)
    if isinstance(buffer_ms, bool) or not isinstance(buffer_ms, int | float) or buffer_ms < 0:
        raise ReportError("buffer_ms must be a number >= 0")
    last_audio = parse_iso_utc(body.get("last_audio_at"), "last_audio_at")
    errors = body.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        raise ReportError("errors must be a list of texts")
    url = body.get("url", body.get("stream_url", ""))
    if not isinstance(url, str):
        raise ReportError("url must be a text")
    counters = {}
    for key in ("underruns", "restarts"):
        value = body.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ReportError(f"{key} must be a whole number >= 0")
        counters[key] = value
    return {
        "name": unicodedata.normalize("NFC", name.strip()),
        "connected": connected,
        "buffer_ms": round(float(buffer_ms), 1),
        "last_audio_at": last_audio.isoformat() if last_audio else None,
        "errors": [e[:300] for e in errors[-10:]],
        "url": url[:500],
        **counters,
    }


def relay_health(report: dict[str, Any], received_at: datetime, now: datetime) -> tuple[str, str]:
    """('green'|'red', reason) for a relay's last report."""
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
    return "green", "Đang nhận và phát"
