"""Petitions: who is competent and when a petition was raised, with the Vietnamese label
of each value; their statuses and the outcomes of an answer come from the lifecycle."""

from __future__ import annotations

from enum import StrEnum

# A petition's states and the chairman's outcomes, with their labels, are one table in
# server/domain/petition_lifecycle.py; named here too, beside the petition's other values.
from server.domain.petition_lifecycle import OUTCOME_LABELS as OUTCOME_LABELS
from server.domain.petition_lifecycle import STATUS_LABELS as STATUS_LABELS
from server.domain.petition_lifecycle import AnswerOutcome as AnswerOutcome
from server.domain.petition_lifecycle import PetitionStatus as PetitionStatus


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
    WRITTEN = "written"  # a written opinion sent from a phone in the hall


SOURCE_LABELS: dict[PetitionSource, str] = {
    PetitionSource.BEFORE: "Trước hội nghị",
    PetitionSource.DURING: "Tại hội nghị",
    PetitionSource.WRITTEN: "Ý kiến bằng văn bản tại hội nghị",
}
