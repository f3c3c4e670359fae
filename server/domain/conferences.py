"""Conferences: their formats and statuses, and the kinds of people invited, with the
Vietnamese label of each value."""

from __future__ import annotations

from enum import StrEnum


class ConferenceFormat(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


FORMAT_LABELS: dict[ConferenceFormat, str] = {
    ConferenceFormat.IN_PERSON: "Trực tiếp",
    ConferenceFormat.ONLINE: "Trực tuyến",
    ConferenceFormat.HYBRID: "Trực tiếp và trực tuyến",
}


class ConferenceStatus(StrEnum):
    PLANNED = "planned"
    ANNOUNCED = "announced"
    HELD = "held"
    CLOSED = "closed"
    CANCELLED = "cancelled"


STATUS_LABELS: dict[ConferenceStatus, str] = {
    ConferenceStatus.PLANNED: "Dự kiến",
    ConferenceStatus.ANNOUNCED: "Đã thông báo",
    ConferenceStatus.HELD: "Đã tổ chức",
    ConferenceStatus.CLOSED: "Đã kết thúc",
    ConferenceStatus.CANCELLED: "Đã hủy",
}


class ParticipantKind(StrEnum):
    DELEGATE = "delegate"
    CITIZEN_REP = "citizen_rep"  # a hamlet's representative
    CITIZEN = "citizen"


PARTICIPANT_KIND_LABELS: dict[ParticipantKind, str] = {
    ParticipantKind.DELEGATE: "Đại biểu",
    ParticipantKind.CITIZEN_REP: "Đại diện Nhân dân",
    ParticipantKind.CITIZEN: "Người dân",
}
