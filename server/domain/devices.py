"""Kinds of device token (read-only credentials), with their Vietnamese labels."""

from __future__ import annotations

from enum import StrEnum


class DeviceKind(StrEnum):
    DISPLAY = "display"  # a public screen in the hall
    RELAY = "relay"  # a loudspeaker cluster relaying the live sound


DEVICE_KIND_LABELS: dict[DeviceKind, str] = {
    DeviceKind.DISPLAY: "Màn hình công cộng",
    DeviceKind.RELAY: "Cụm loa",
}
