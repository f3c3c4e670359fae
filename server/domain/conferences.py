"""Conferences: their formats and statuses, and the kinds of people invited, with the
Vietnamese label of each value; how a conference's status may move."""

from __future__ import annotations

from enum import StrEnum

from server.domain.errors import Conflict


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


# ---- how a conference's status moves -------------------------------------------------------

# What a person may set by hand (``conference.set_status``); "announced" comes only from
# announcing, which also stamps the announcement's time.
SETTABLE: tuple[ConferenceStatus, ...] = (ConferenceStatus.HELD, ConferenceStatus.CLOSED,
                                          ConferenceStatus.CANCELLED)

# From each status, the statuses a person may set. A conference that has been held can
# still be closed; closed and cancelled are final.
TRANSITIONS: dict[ConferenceStatus, frozenset[ConferenceStatus]] = {
    ConferenceStatus.PLANNED: frozenset(SETTABLE),
    ConferenceStatus.ANNOUNCED: frozenset(SETTABLE),
    ConferenceStatus.HELD: frozenset({ConferenceStatus.CLOSED}),
    ConferenceStatus.CLOSED: frozenset(),
    ConferenceStatus.CANCELLED: frozenset(),
}


def next_status(current: str, wanted: str) -> ConferenceStatus:
    """The status a conference takes when a person sets ``wanted``; refuses (Conflict,
    ``status_not_allowed``) a move its present status does not allow."""
    now, to = ConferenceStatus(current), ConferenceStatus(wanted)
    if to not in TRANSITIONS[now]:
        allowed = ", ".join(f"“{STATUS_LABELS[s]}”" for s in SETTABLE if s in TRANSITIONS[now])
        then = f"chỉ có thể chuyển sang {allowed}" if allowed else "không thể đổi trạng thái nữa"
        raise Conflict("status_not_allowed",
                       f"Hội nghị đang ở trạng thái “{STATUS_LABELS[now]}”, {then}; "
                       f"không chuyển sang “{STATUS_LABELS[to]}” được.")
    return to


def announced_status(current: str) -> ConferenceStatus:
    """The status after announcing: a planned conference becomes announced, an announced
    or held one keeps its status (announcing again renews the time); a closed or
    cancelled one cannot be announced (Conflict, ``not_announceable``)."""
    now = ConferenceStatus(current)
    if now in (ConferenceStatus.CANCELLED, ConferenceStatus.CLOSED):
        raise Conflict("not_announceable",
                       "Hội nghị đã hủy hoặc đã kết thúc, không thể thông báo.")
    return ConferenceStatus.ANNOUNCED if now == ConferenceStatus.PLANNED else now
