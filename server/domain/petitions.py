"""Petitions: their statuses, the outcomes of an answer, who is competent and when a
petition was raised, with the Vietnamese label of each value."""

from __future__ import annotations

from enum import StrEnum


class PetitionStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    ASSIGNED = "assigned"
    VERIFYING = "verifying"
    FORWARDED = "forwarded"
    RESOLVED = "resolved"


STATUS_LABELS: dict[PetitionStatus, str] = {
    PetitionStatus.OPEN: "Chưa có kết luận",
    PetitionStatus.ANSWERED: "Đã trả lời tại hội nghị",
    PetitionStatus.ASSIGNED: "Đã giao đơn vị giải quyết",
    PetitionStatus.VERIFYING: "Đang kiểm tra, xác minh",
    PetitionStatus.FORWARDED: "Đã chuyển cơ quan có thẩm quyền",
    PetitionStatus.RESOLVED: "Đã giải quyết xong",
}


class AnswerOutcome(StrEnum):
    """What the leaders decided at the conference; an answer sets the petition's status
    to the status of the same name."""

    ANSWERED = "answered"
    ASSIGNED = "assigned"
    VERIFYING = "verifying"
    FORWARDED = "forwarded"


OUTCOME_LABELS: dict[AnswerOutcome, str] = {
    AnswerOutcome.ANSWERED: "Đã trả lời tại hội nghị",
    AnswerOutcome.ASSIGNED: "Giao đơn vị giải quyết",
    AnswerOutcome.VERIFYING: "Cần xác minh, trả lời bằng văn bản",
    AnswerOutcome.FORWARDED: "Ngoài thẩm quyền, chuyển cơ quan có thẩm quyền",
}


class Competence(StrEnum):
    COMMUNE = "commune"
    HIGHER = "higher"


COMPETENCE_LABELS: dict[Competence, str] = {
    Competence.COMMUNE: "Xã giải quyết được",
    Competence.HIGHER: "Đề xuất cấp trên",
}


class PetitionSource(StrEnum):
    BEFORE = "before"
    DURING = "during"


SOURCE_LABELS: dict[PetitionSource, str] = {
    PetitionSource.BEFORE: "Trước hội nghị",
    PetitionSource.DURING: "Tại hội nghị",
}
