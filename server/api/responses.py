"""Shapes of the JSON answers that handlers build as plain dictionaries (the queue, the
broadcast, deadlines, documents, calendar, overview, settings), and the request bodies
that are checked by the domain rather than by a model (queue commands, calendar
overrides). They exist for the OpenAPI document: each names the fields a client can rely
on; nested parts that grow with the features are described loosely."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    create_model,
    model_validator,
)

from server.api.formats import NO_NUL, NOT_BLANK, NOT_SPACE, IsoDate, schema_extra
from server.api.schemas import Input, PhasePlanIn
from server.domain import limits

# ---- small answers ------------------------------------------------------------------------


class OkOut(BaseModel):
    ok: Literal[True]


class CommandReply(BaseModel):
    ok: Literal[True]
    version: int
    duplicate: bool


class RegistrationOut(BaseModel):
    url: str = Field(description="The address phones open to register")
    qr_svg: str = Field(description="Path of the QR code (SVG) of that address")


class RelayReportOut(BaseModel):
    ok: Literal[True]


# ---- the speaking queue ---------------------------------------------------------------------


class TimerOut(BaseModel):
    elapsed: float
    remaining: float
    allowed: float
    warning: bool
    overtime: bool
    running: bool
    paused: bool
    ends_at: datetime | None


class PublicTurn(BaseModel):
    turn_id: str
    name: str
    kind: str
    needs_interpreter: bool
    language: str | None


class CurrentTurn(PublicTurn):
    status: str


class NextTurn(PublicTurn):
    position: int


class PhaseNow(BaseModel):
    phase: str
    label: str
    planned_seconds: int
    used_seconds: float


class PublicQueue(BaseModel):
    """What the public screen shows: masked names, the timer, the next five turns."""

    conference_id: int
    version: int
    server_time: datetime
    current: CurrentTurn | None
    timer: TimerOut | None
    next: list[NextTurn]
    waiting_count: int
    warning_seconds: int
    registrations_open: bool = Field(description="False once the chair closed the list")
    phase: str | None = Field(description="The run-of-show's current phase (server/domain/phases.py)")
    phase_label: str | None
    phase_now: PhaseNow | None = Field(
        default=None, description="The current phase's plan and the seconds used so far")


class StaffQueue(BaseModel):
    """The whole queue for moderator and secretary tablets (see docs/realtime.md)."""

    conference_id: int
    version: int
    server_time: datetime
    state: dict[str, Any] = Field(description="Settings, every turn, the history")
    order: list[str] = Field(description="Turn ids in the order they will be called")
    timer: TimerOut | None
    can_undo: bool
    undo_summary: str | None
    public: PublicQueue
    balance: dict[str, Any] = Field(
        description="Each hamlet's and the shown people's turns and speaking time (seconds), "
                    "people_total: how many spoke (all of them: …/balance.csv)")
    phases: list[dict[str, Any]] = Field(
        description="Each phase with its plan and the time used (seconds)")


class PhasePlanOut(BaseModel):
    """The run-of-show's plan after a change, and each phase with the time used so far."""

    version: int = Field(description="The queue's version with this plan")
    phase_minutes: dict[str, int]
    phases: list[dict[str, Any]]


class QueueSettingsIn(Input):
    speaking_seconds: int = Field(default=180, ge=10, le=3600)
    warning_seconds: int = Field(default=30, ge=0, le=600)
    max_turns_per_person: int = Field(default=2, ge=0, le=100, description="0 = unlimited")
    first_timers_first: bool = True
    interpreter_extra_seconds: int = Field(default=120, ge=0, le=3600)
    answer_seconds: int = Field(default=300, ge=10, le=7200)
    require_approval_for_self_registration: bool = True
    hamlet_budget_seconds: int = Field(default=0, ge=0, le=36000,
                                       description="Speaking time per hamlet; 0 = none")
    registrations_open: bool = True
    phase_minutes: PhasePlanIn | None = Field(
        default=None, description="Planned minutes of each phase; absent: as they are")


# The type of each field a command may carry (the commands declare the field names).
_TEXT_LIMITS = {"display_name": limits.PERSON_NAME, "official_name": limits.PERSON_NAME,
                "hamlet": limits.HAMLET, "topic": limits.TOPIC, "role": limits.POSITION,
                "language": limits.LANGUAGE, "person_key": limits.PERSON_KEY,
                "turn_id": limits.TURN_ID, "reason": limits.REASON}
_REQUIRED_TEXT = {"display_name", "official_name", "turn_id", "reason"}


def _text(limit: int | None, needed: bool) -> Any:
    """A text of a command: described here, checked by the queue's rules (which answer
    text_required, text_too_long, reason_required), so only its kind is checked here."""
    keywords: dict[str, Any] = {"pattern": NOT_BLANK if needed else NO_NUL}
    if limit is not None:
        keywords["maxLength"] = limit
    if needed:
        keywords["minLength"] = 1
    return Annotated[str, schema_extra(**keywords)]


# A petition as the queue names it: its number, or the number written as text.
PetitionRef = Annotated[int, Field(ge=1)] | _text(limits.PETITION_REF, True)


class _RegisterTurnBase(Input):
    """Registering names the speaker, or the invited participant whose name it takes."""

    model_config = ConfigDict(json_schema_extra={
        "anyOf": [{"required": ["display_name"]}, {"required": ["participant_id"]}]})

    @model_validator(mode="after")
    def _named(self) -> Any:
        if getattr(self, "display_name", None) is None and \
                getattr(self, "participant_id", None) is None:
            raise ValueError("Cần họ tên người phát biểu (display_name) hoặc participant_id.")
        return self


def _command_field(f: dataclasses.Field) -> Any:
    from server.domain.queue_model import SOURCES

    declared = str(f.type)
    if f.name == "command_id":
        # at most limits.TURN_ID characters when it also names the turn it registers
        return Annotated[str, schema_extra(minLength=1, pattern=NOT_SPACE)]
    if f.name == "base_version":
        return Annotated[int, Field(ge=0)]
    if f.name == "source":
        return Literal[SOURCES]
    if f.name == "seconds":
        return Annotated[int, Field(ge=1, le=3600)]
    if f.name == "new_index":
        return Annotated[int, Field(ge=0)]
    if f.name == "settings":
        return QueueSettingsIn
    if f.name == "phase":
        from server.domain.phases import PHASES

        return Literal[PHASES]
    if f.name == "petition_ids":
        return list[PetitionRef]
    if f.name == "petition_id":
        return PetitionRef
    if declared.startswith("bool"):
        return bool
    # A text the command needs must say something, unless the command may leave it out
    # (a turn id then defaults to the command id).
    needed = f.name in _REQUIRED_TEXT and not declared.endswith("| None") and \
        f.default is dataclasses.MISSING
    text = _text(_TEXT_LIMITS[f.name], needed)
    return text | None if declared.endswith("| None") else text


def _command_models() -> list[type[Input]]:
    from server.domain.queue_commands import COMMAND_TYPES, RegisterTurn

    models = []
    for name, cls in COMMAND_TYPES.items():
        fields: dict[str, Any] = {"type": (Literal[name], ...)}
        for f in dataclasses.fields(cls):
            required = f.default is dataclasses.MISSING and \
                f.default_factory is dataclasses.MISSING  # type: ignore[misc]
            default = ... if required else (
                list(f.default) if isinstance(f.default, tuple) else
                f.default if f.default is not dataclasses.MISSING else None)
            fields[f.name] = (_command_field(f), default)
        base: type[Input] = Input
        if cls is RegisterTurn:
            # What the server fills in over HTTP: the speaker's key (always), and the name,
            # hamlet and consent of an invited participant.
            base = _RegisterTurnBase
            fields["person_key"] = (_text(None, False) | None, Field(
                default=None, description="Ignored: the server keys speakers itself"))
            fields["display_name"] = (_text(limits.PERSON_NAME, True), Field(
                default=None, description="Required unless participant_id is given"))
            fields["participant_id"] = (Annotated[int, Field(ge=1)], Field(
                default=None, description="An invited participant of this conference"))
        models.append(create_model(f"{cls.__name__}Command", __base__=base,
                                   __doc__=(cls.__doc__ or "").strip() or None, **fields))
    return models


_COMMANDS = tuple(_command_models())


_ANY_COMMAND = Annotated[Union[_COMMANDS], Field(discriminator="type")]  # noqa: UP007


class QueueCommandIn(RootModel[_ANY_COMMAND]):
    """A queue command: the same payload as the socket.io ``queue:command`` event. The
    queue's rules then check it against the queue as it is (docs/queue-rules.md): a
    command that does not fit the present state is refused with a code saying why."""


# ---- broadcast and speech recognition -------------------------------------------------------


class BroadcastStatus(BaseModel):
    """The live broadcast: source, level, encoder, outputs, mounts, relays, recorder."""

    source: dict[str, Any]
    live_audio: bool
    no_live_audio_reason: str | None
    on_air: bool
    muted: bool = Field(description="What goes out: the operator's choice or the auto-mute rule")
    operator_muted: bool = Field(description="The operator's own choice")
    turn_on_floor: bool
    mute_reason: Literal["operator", "between_turns"] | None
    mute_reason_label: str | None
    auto_mute_between_turns: bool
    chime_playing: bool
    bulletin: dict[str, Any] | None
    bulletins_waiting: int
    last_bulletin: dict[str, Any] | None
    level: dict[str, Any]
    encoder: dict[str, Any]
    outputs: list[dict[str, Any]]
    listeners: dict[str, int]
    mounts: dict[str, Any]
    relays: list[dict[str, Any]]
    recorder: dict[str, Any]


class TranscriptionStatus(BaseModel):
    running: bool
    engine: str | None
    backlog: int
    current: Any = None
    done: int
    failed: int
    error: str | None


# ---- deadlines ------------------------------------------------------------------------------


class DeadlineOut(BaseModel):
    item_key: str
    key: str
    label: str
    due: date
    status: str
    status_label: str
    done_on: date | None
    late: bool
    days_left: int
    working_days_left: int
    length: int
    unit: str
    anchor: str
    anchor_date: date
    conference_id: int | None
    conference_title: str
    petition_id: int | None
    subject: str


class PetitionDeadlines(BaseModel):
    petition_id: int
    state: str
    state_label: str
    field: str
    subject: str
    unit: str
    deadlines: list[DeadlineOut]


class ConferenceDeadlines(BaseModel):
    conference_id: int
    today: date
    profile: str
    profile_key: str | None = Field(default=None, description="Absent for a cancelled conference")
    conference_date: date | None = Field(default=None,
                                         description="Absent for a cancelled conference")
    conference: list[DeadlineOut]
    petitions: list[PetitionDeadlines]


class DeadlineCounts(BaseModel):
    overdue: int
    due_today: int
    due_soon: int
    total: int


class DeadlineBoard(BaseModel):
    today: date
    counts: DeadlineCounts
    items: list[DeadlineOut]


class RemindResult(BaseModel):
    sent: int = 0
    already: int = 0
    error: str | None = None


class SmtpOut(BaseModel):
    """The e-mail settings without the password (``configured: false`` when none)."""

    model_config = ConfigDict(populate_by_name=True)

    configured: bool
    host: str | None = None
    port: int | None = None
    sender: str | None = Field(default=None, alias="from")
    to: list[str] | None = None
    starttls: bool | None = None
    user: str | None = None
    has_password: bool | None = None


# ---- calendar -------------------------------------------------------------------------------


class DayNoteOut(BaseModel):
    date: date
    name: str
    source: str | None = None
    status: str | None = None


class FactOut(BaseModel):
    """The source and status of the days the base calendar gives over a range."""

    from_: date = Field(alias="from")
    to: date
    name: str = ""
    status: str
    source: str | None = None


class Overrides(BaseModel):
    version: int
    note: str
    days_off: list[DayNoteOut]
    working_days: list[DayNoteOut]
    holidays: list[DayNoteOut]
    facts: list[FactOut] = []


class CalendarOut(BaseModel):
    year: int
    overrides: Overrides
    shipped: Overrides
    editable: bool
    warning: str | None = Field(default=None, description="The year's calendar is partly "
                                "estimated (no decision yet): the warning to show")
    local: list[DayNoteOut] = Field(default=[], description="The caller's commune's own days off")


class SpecialDay(BaseModel):
    date: date
    name: str
    working: bool
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    status: str | None = Field(default=None, description="official / announced / estimated")
    status_label: str | None = None
    source: str | None = Field(default=None, description="Where the fact comes from")


_NAMED = Annotated[str, StringConstraints(min_length=1), schema_extra(pattern=NOT_SPACE)]


_FACT_STATUS = Literal["official", "announced", "estimated"]


class DayNoteIn(Input):
    date: Annotated[date, *IsoDate]
    name: _NAMED
    source: Annotated[str, schema_extra(pattern=NO_NUL)] = ""
    status: _FACT_STATUS | None = None


class FactIn(Input):
    model_config = ConfigDict(populate_by_name=True)

    from_: Annotated[date, *IsoDate] = Field(alias="from")
    to: Annotated[date, *IsoDate]
    name: _NAMED
    status: _FACT_STATUS
    source: Annotated[str, schema_extra(pattern=NO_NUL)] = ""


class CalendarIn(Input):
    """The administrator's overrides of one year: every date must be in that year and
    appear in one list only."""

    version: Literal[1] = 1
    note: Annotated[str, schema_extra(pattern=NO_NUL)] = ""
    days_off: list[DayNoteIn] = []
    working_days: list[DayNoteIn] = []
    holidays: list[DayNoteIn] = []
    facts: list[FactIn] = []


# ---- documents ------------------------------------------------------------------------------


class Problem(BaseModel):
    code: str
    message: str


class DocumentOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    conference_id: int | None
    petition_id: int | None
    status: Literal["draft", "issued"]
    year: int
    seq: int | None
    number: str | None
    issued_at: datetime | None
    created_at: datetime
    content: dict[str, Any] = Field(description="The editable content (its shape depends on kind)")
    notes: list[Any]
    problems: list[Problem] = Field(description="What stops a draft from being issued")
    warnings: list[Problem] = Field(
        default=[], description="A draft's dates in a year whose calendar is partly estimated")
    dispatches: int
    docx_url: str
    pdf_url: str


class DispatchOut(BaseModel):
    id: int
    document_id: int
    recipient: str
    channel: str
    channel_label: str
    note: str
    sent_at: datetime


# ---- overview -------------------------------------------------------------------------------


class CommuneOverview(BaseModel):
    commune_id: int
    commune: str
    province: str
    conferences_planned: int
    conferences_held: int
    petitions: int
    by_state: dict[str, int]
    by_field: dict[str, dict[str, int]]
    on_time: int
    counted: int
    on_time_share: float | None


class FieldOverview(BaseModel):
    field: str
    total: int
    by_state: dict[str, int]


class OverviewTotals(BaseModel):
    communes: int
    conferences_held: int
    conferences_planned: int
    petitions: int
    on_time: int
    counted: int
    on_time_share: float | None


class Overview(BaseModel):
    year: int
    states: dict[str, str]
    communes: list[CommuneOverview]
    fields: list[FieldOverview]
    totals: OverviewTotals
    scope: str

