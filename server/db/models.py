"""SQLAlchemy models for the whole domain.

Instants are stored in UTC (``UtcDateTime``); calendar dates as ``Date``.
Every row that belongs to a commune carries ``commune_id`` so that every query
can be scoped to the caller's commune.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from server.domain import limits
from server.domain.conferences import ConferenceFormat, ConferenceStatus, ParticipantKind
from server.domain.documents import DispatchChannel, DocumentStatus
from server.domain.local_time import local_date
from server.domain.petition_lifecycle import resolved_on_after
from server.domain.petitions import Competence, PetitionSource, PetitionStatus
from server.domain.turns import CITIZEN


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Commune(Base):
    """A commune People's Committee; the higher authority it reports to is a setting."""

    __tablename__ = "commune"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(limits.COMMUNE_NAME))  # "Xã Đức An"
    # "ỦY BAN NHÂN DÂN XÃ ĐỨC AN"
    issuing_body: Mapped[str] = mapped_column(String(limits.ISSUING_BODY))
    body_code: Mapped[str] = mapped_column(String(limits.BODY_CODE), default="UBND")
    place_name: Mapped[str] = mapped_column(String(limits.PLACE_NAME))  # used in "Đức An, ngày ..."
    province: Mapped[str] = mapped_column(String(limits.PROVINCE), default="")
    higher_authority: Mapped[str] = mapped_column(String(limits.HIGHER_AUTHORITY), default="")
    rule_profile: Mapped[str] = mapped_column(String(limits.RULE_PROFILE), default="cong-van-457")
    retention_days: Mapped[int] = mapped_column(Integer, default=365)
    chairman_name: Mapped[str] = mapped_column(String(limits.PERSON_NAME), default="")
    # The drafting unit's code in letters' numbers ("07/UBND-VP") and in "Lưu: VT, VP.":
    # {"default": "VP", "reply": "ĐC"} (server/domain/numbering.py).
    drafting_units: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    username: Mapped[str] = mapped_column(String(limits.USERNAME), unique=True)
    full_name: Mapped[str] = mapped_column(String(limits.PERSON_NAME))
    role: Mapped[str] = mapped_column(String(limits.CODE))  # a Role (server/domain/roles.py)
    password_hash: Mapped[str] = mapped_column(String(limits.PASSWORD_HASH))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    commune: Mapped[Commune] = relationship(lazy="joined")


class LoginSession(Base):
    __tablename__ = "login_session"
    # sha256 of the cookie value
    id: Mapped[str] = mapped_column(String(limits.SHA256_HEX), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(limits.SHA256_HEX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class DeviceToken(Base):
    """Read-only credential of a public screen or loudspeaker relay; revocable."""

    __tablename__ = "device_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    name: Mapped[str] = mapped_column(String(limits.DEVICE_NAME))
    kind: Mapped[str] = mapped_column(String(limits.CODE))  # a DeviceKind
    token_hash: Mapped[str] = mapped_column(String(limits.SHA256_HEX), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]


class Conference(Base):
    __tablename__ = "conference"
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(limits.CONFERENCE_TITLE))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    venue: Mapped[str] = mapped_column(String(limits.VENUE))
    format: Mapped[str] = mapped_column(String(limits.CODE),
                                        default=ConferenceFormat.IN_PERSON.value)
    online_url: Mapped[str] = mapped_column(String(limits.URL), default="")
    chair_name: Mapped[str] = mapped_column(String(limits.PERSON_NAME), default="")
    front_name: Mapped[str] = mapped_column(String(limits.PERSON_NAME), default="")
    council_name: Mapped[str] = mapped_column(String(limits.PERSON_NAME), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    how_to_attend: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(limits.CODE),
                                        default=ConferenceStatus.PLANNED.value)
    announced_at: Mapped[datetime | None]
    public_slug: Mapped[str] = mapped_column(String(limits.PUBLIC_SLUG), unique=True)
    queue_settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The queue's version; its state is in queue_snapshot and queue_command
    # (server/queue/service.py).
    queue_version: Mapped[int] = mapped_column(Integer, default=0)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Participant(Base):
    """An invited delegate or citizen representative, or a citizen who checked in."""

    __tablename__ = "participant"
    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(limits.PERSON_NAME))
    # "Ông", "Bà", "đồng chí", a free title; empty: documents use the name alone
    salutation: Mapped[str] = mapped_column(String(limits.SALUTATION), default="")
    kind: Mapped[str] = mapped_column(String(limits.CODE),
                                      default=ParticipantKind.CITIZEN_REP.value)
    title: Mapped[str] = mapped_column(String(limits.POSITION), default="")  # position, organisation
    hamlet: Mapped[str] = mapped_column(String(limits.HAMLET), default="")
    phone: Mapped[str] = mapped_column(String(limits.PHONE), default="")
    invited: Mapped[bool] = mapped_column(Boolean, default=True)
    checked_in_at: Mapped[datetime | None]
    consent_full_name: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PetitionField(Base):
    """The editable list of fields (land, roads, social policy, ...)."""

    __tablename__ = "petition_field"
    __table_args__ = (UniqueConstraint("commune_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    code: Mapped[str] = mapped_column(String(limits.FIELD_CODE))
    name: Mapped[str] = mapped_column(String(limits.FIELD_NAME))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Petition(Base):
    """A kiến nghị, collected before or during a conference."""

    __tablename__ = "petition"
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conference.id"), index=True)
    raised_by: Mapped[str] = mapped_column(String(limits.PERSON_NAME))
    # how the petitioner is addressed ("Ông", "Bà", ...); empty: the name alone
    salutation: Mapped[str] = mapped_column(String(limits.SALUTATION), default="")
    hamlet: Mapped[str] = mapped_column(String(limits.HAMLET), default="")
    phone: Mapped[str] = mapped_column(String(limits.PHONE), default="")
    consent_full_name: Mapped[bool] = mapped_column(Boolean, default=False)
    field_id: Mapped[int] = mapped_column(ForeignKey("petition_field.id"))
    content: Mapped[str] = mapped_column(Text)  # at most limits.LONG_TEXT
    authority: Mapped[str] = mapped_column(String(limits.ORGANISATION), default="")
    competence: Mapped[str] = mapped_column(String(limits.CODE), default=Competence.COMMUNE.value)
    source: Mapped[str] = mapped_column(String(limits.CODE), default=PetitionSource.BEFORE.value)
    status: Mapped[str] = mapped_column(String(limits.CODE), default=PetitionStatus.OPEN.value)
    # a written opinion sent from a phone, until the secretary has reviewed it
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    # The local day it was marked resolved (set with the status, see below); None otherwise.
    resolved_on: Mapped[date | None] = mapped_column(Date)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    field: Mapped[PetitionField] = relationship(lazy="joined")


@event.listens_for(Petition.status, "set")
def _stamp_resolved_on(target: Petition, value: str, before: Any, _initiator: Any) -> None:
    """Whoever changes a petition's status (an edit, an answer, a future action), the
    resolved-on day follows the lifecycle's rule: today when it becomes resolved (unless
    a day was given), none when it is reopened."""
    if "resolved_on" in inspect(target).unloaded:  # expired: reading it would query
        if before == value:
            return
        stored = None
    else:
        stored = target.resolved_on
    target.resolved_on = resolved_on_after(value, stored, local_date(utcnow()))


class Answer(Base):
    """What the leaders decided on a petition; the last one is its current handling."""

    __tablename__ = "answer"
    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id"), index=True)
    turn_id: Mapped[str | None] = mapped_column(ForeignKey("speaking_turn.id"))
    answered_by: Mapped[str] = mapped_column(String(limits.PERSON_NAME))
    outcome: Mapped[str] = mapped_column(String(limits.CODE))  # an AnswerOutcome
    unit: Mapped[str] = mapped_column(String(limits.ORGANISATION), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")  # at most limits.LONG_TEXT
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpeakingTurn(Base):
    """A row per queue turn, mirrored from the queue state for links and recordings."""

    __tablename__ = "speaking_turn"
    id: Mapped[str] = mapped_column(String(limits.TURN_ID), primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"))
    kind: Mapped[str] = mapped_column(String(limits.CODE), default=CITIZEN)  # see domain/turns.py
    display_name: Mapped[str] = mapped_column(String(limits.PERSON_NAME))
    hamlet: Mapped[str] = mapped_column(String(limits.HAMLET), default="")
    topic: Mapped[str] = mapped_column(String(limits.TOPIC), default="")
    status: Mapped[str] = mapped_column(String(limits.CODE))  # server/domain/turns.py
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    recording_start_s: Mapped[float | None]
    recording_end_s: Mapped[float | None]


class QueueSnapshot(Base):
    """The whole queue of a conference at some version (``state["version"]``), stored
    every few dozen versions (server/queue/service.py). A table of its own: in the
    conference row, the hundreds of kilobytes of a long day were read past and rewritten
    by SQLite with every command, which only changes the version."""

    __tablename__ = "queue_snapshot"
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)


class QueueCommandRow(Base):
    """A queue command applied since the conference's last stored snapshot of the queue,
    as the pure rules received it (server/queue/service.py): the queue is the snapshot
    with these commands applied again in order."""

    __tablename__ = "queue_command"
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)  # the version it made
    command: Mapped[dict[str, Any]]
    actor: Mapped[str] = mapped_column(String(limits.ACTOR))
    at: Mapped[datetime]


class TurnPetition(Base):
    __tablename__ = "turn_petition"
    turn_id: Mapped[str] = mapped_column(ForeignKey("speaking_turn.id"), primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id"), primary_key=True)


class TranscriptSegment(Base):
    """The text of a turn; machine drafts never overwrite text a person wrote."""

    __tablename__ = "transcript_segment"
    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[str] = mapped_column(ForeignKey("speaking_turn.id"), unique=True)
    text: Mapped[str] = mapped_column(Text, default="")  # at most limits.TRANSCRIPT
    machine_text: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(limits.CODE), default="machine")  # machine | human
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    engine: Mapped[str] = mapped_column(String(limits.ASR_ENGINE), default="")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    search_text: Mapped[str] = mapped_column(Text, default="")


class Recording(Base):
    """A file of the conference audio: the whole conference or one turn's part."""

    __tablename__ = "recording"
    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), index=True)
    turn_id: Mapped[str | None] = mapped_column(ForeignKey("speaking_turn.id"), index=True)
    path: Mapped[str] = mapped_column(String(limits.FILE_PATH))
    media_type: Mapped[str] = mapped_column(String(limits.MEDIA_TYPE), default="audio/wav")
    sha256: Mapped[str] = mapped_column(String(limits.SHA256_HEX))
    start_s: Mapped[float] = mapped_column(default=0.0)
    end_s: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Document(Base):
    """An official document, numbered per year per issuing body once issued."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("commune_id", "year", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conference.id"))
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petition.id"))
    kind: Mapped[str] = mapped_column(String(limits.LONG_CODE))  # a DocumentKind
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(limits.DOCUMENT_NUMBER), default="")
    status: Mapped[str] = mapped_column(String(limits.CODE), default=DocumentStatus.DRAFT.value)
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    issued_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dispatch(Base):
    """The record that a document was sent to a person or organisation."""

    __tablename__ = "dispatch"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(limits.RECIPIENT))
    channel: Mapped[str] = mapped_column(String(limits.LONG_CODE),
                                         default=DispatchChannel.PAPER.value)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(limits.NOTE), default="")


class Setting(Base):
    """Per-commune key/value settings kept as JSON (calendar overrides, SMTP, ...)."""

    __tablename__ = "setting"
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(limits.SETTING_KEY), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Append-only: the migrations install triggers that refuse UPDATE and DELETE."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(limits.ACTOR))
    action: Mapped[str] = mapped_column(String(limits.AUDIT_ACTION))
    entity: Mapped[str] = mapped_column(String(limits.AUDIT_ENTITY))
    entity_id: Mapped[str] = mapped_column(String(limits.AUDIT_ENTITY_ID), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(limits.REASON), default="")
