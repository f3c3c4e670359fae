"""Input and output shapes of the JSON API. Every text is NFC-normalised and bounded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from server.api.formats import (
    PHONE,
    USERNAME,
    IsoDate,
    IsoDateTime,
    JsonScalars,
    schema_extra,
    text_schema,
)
from server.domain import limits
from server.domain.conferences import SETTABLE, ConferenceFormat, ConferenceStatus, ParticipantKind
from server.domain.devices import DeviceKind
from server.domain.documents import DocumentKind
from server.domain.inputs import DB_INT
from server.domain.petitions import Competence, PetitionSource, PetitionStatus
from server.domain.roles import Role
from server.domain.rule_profiles import load_profiles
from server.domain.text import clean_line, clean_text

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _local_to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    if not 2000 <= value.year <= 2100:
        raise ValueError("Năm phải trong khoảng 2000–2100.")
    return value.astimezone(UTC)


def _phone(value: str) -> str:
    digits = value.replace(" ", "").replace(".", "").replace("-", "")
    number = digits.lstrip("+")
    if digits and not (number.isascii() and number.isdigit() and 9 <= len(number) <= 12):
        raise ValueError("Số điện thoại không hợp lệ (9–12 chữ số).")
    return digits


def _username(value: str) -> str:
    if not value.replace("_", "").replace(".", "").replace("-", "").isalnum() or not value.isascii():
        raise ValueError("Tên đăng nhập chỉ gồm chữ cái không dấu, số, dấu chấm, gạch.")
    return value.lower()


def Line(max_length: int, min_length: int = 0):  # noqa: N802 - type factory
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(clean_line),
                     AfterValidator(_min(min_length)), text_schema(min_length)]


def Para(max_length: int = limits.LONG_TEXT, min_length: int = 0):  # noqa: N802 - type factory
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(clean_text),
                     AfterValidator(_min(min_length)), text_schema(min_length)]


def OneOf(values: type[StrEnum]):  # noqa: N802 - type factory
    """The values of an enumeration, as a Literal (so a wrong value is a literal_error)."""
    return Literal[tuple(v.value for v in values)]


def _min(n: int):
    def check(v: str) -> str:
        if len(v) < n:
            raise ValueError("Không được để trống." if n == 1 else f"Cần ít nhất {n} ký tự.")
        return v
    return check


LocalDateTime = Annotated[datetime, *IsoDateTime, AfterValidator(_local_to_utc)]
Phone = Annotated[str, StringConstraints(max_length=limits.PHONE), AfterValidator(_phone),
                  schema_extra(pattern=PHONE)]
Format = OneOf(ConferenceFormat)
Password = Annotated[str, StringConstraints(min_length=limits.PASSWORD_MIN,
                                            max_length=limits.PASSWORD)]
# A record's number as an action receives it (from a path, a socket event, the command
# line): a number no record has is "not found", never a validation error.
RecordId = Annotated[int, Field(ge=0, le=DB_INT[1])]


class Input(JsonScalars):
    # Texts are not trimmed here: a limit counts what was sent, as the API document says;
    # Line and Para trim and clean what they keep.
    model_config = ConfigDict(extra="forbid")


class LoginIn(Input):
    username: Line(limits.USERNAME, 1)
    password: Annotated[str, StringConstraints(min_length=1, max_length=limits.PASSWORD)]


class ConferenceIn(Input):
    title: Line(limits.CONFERENCE_TITLE, 1)
    starts_at: LocalDateTime = Field(description="Giờ địa phương (Asia/Ho_Chi_Minh) nếu không ghi múi giờ")
    ends_at: LocalDateTime | None = None
    venue: Line(limits.VENUE, 1)
    format: Format = ConferenceFormat.IN_PERSON.value
    online_url: Line(limits.URL) = ""
    chair_name: Line(limits.PERSON_NAME) = ""
    front_name: Line(limits.PERSON_NAME) = ""
    council_name: Line(limits.PERSON_NAME) = ""
    content: Para() = ""
    purpose: Para() = ""
    how_to_attend: Para() = ""


class ConferencePatch(Input):
    title: Line(limits.CONFERENCE_TITLE, 1) | None = None
    starts_at: LocalDateTime | None = None
    ends_at: LocalDateTime | None = None
    venue: Line(limits.VENUE, 1) | None = None
    format: Format | None = None
    online_url: Line(limits.URL) | None = None
    chair_name: Line(limits.PERSON_NAME) | None = None
    front_name: Line(limits.PERSON_NAME) | None = None
    council_name: Line(limits.PERSON_NAME) | None = None
    content: Para() | None = None
    purpose: Para() | None = None
    how_to_attend: Para() | None = None
    status: OneOf(ConferenceStatus) | None = None


class ConferenceStatusIn(Input):
    status: Literal[tuple(s.value for s in SETTABLE)] = Field(
        description="Đã tổ chức, đã kết thúc hoặc đã hủy (thông báo: POST .../announce)")
    reason: Line(limits.REASON) = ""


# A phase's planned length: whole minutes (2.5 or "30" is refused, see JsonScalars)
PhaseMinutes = Annotated[int, Field(ge=limits.PHASE_MINUTES_MIN, le=limits.PHASE_MINUTES_MAX)]


class PhasePlanIn(Input):
    """The planned minutes of each phase of the run-of-show (server/domain/phases.py)."""

    opening: PhaseMinutes
    opinions: PhaseMinutes
    answers: PhaseMinutes
    conclusion: PhaseMinutes
    closing: PhaseMinutes


class PhasePlanChangeIn(Input):
    minutes: PhasePlanIn
    reason: Line(limits.REASON) = ""


def _salutation(value: str) -> str:
    from server.domain.errors import DomainError
    from server.domain.salutations import clean_salutation

    try:
        return clean_salutation(value)
    except DomainError as exc:
        raise ValueError(exc.message) from None


def _drafting_units(value: object) -> dict[str, str]:
    from server.domain.errors import DomainError
    from server.domain.numbering import validate_drafting_units

    try:
        return validate_drafting_units(value)
    except DomainError as exc:
        raise ValueError(exc.message) from None


# How documents address a person: "Ông", "Bà", "Đồng chí" or a title; empty: the name alone
Salutation = Annotated[str, StringConstraints(max_length=limits.SALUTATION),
                       AfterValidator(_salutation),
                       schema_extra(pattern=r"^([^\W\d_]+([ .'-][^\W\d_]+)*\.?)?$")]
# The drafting unit's code in numbers ("07/UBND-VP"): one code, or one per document kind
# ("default" for every kind without its own); an empty code removes an entry
_UnitCode = Annotated[str, StringConstraints(max_length=limits.BODY_CODE),
                      schema_extra(pattern=r"^([A-ZĐ0-9]+([.&][A-ZĐ0-9]+)*)?$")]
_UnitKind = Literal[("default", *(str(k) for k in DocumentKind))]
DraftingUnits = Annotated[_UnitCode | dict[_UnitKind, _UnitCode], AfterValidator(_drafting_units)]


class YearQuery(Input):
    json_body = False  # a query string: every value is text
    year: Annotated[int, Field(ge=2000, le=2100)] | None = None


class QueueQuery(Input):
    json_body = False
    aside: Literal["all"] | None = Field(
        None, description="all: every turn set aside (skipped or deferred) of the day, not "
                          "only the last ones")


class ParticipantIn(Input):
    full_name: Line(limits.PERSON_NAME, 1)
    salutation: Salutation = ""
    kind: OneOf(ParticipantKind) = ParticipantKind.CITIZEN_REP.value
    title: Line(limits.POSITION) = ""
    hamlet: Line(limits.HAMLET) = ""
    phone: Phone = ""
    invited: bool = True
    consent_full_name: bool = False


class ParticipantPatch(Input):
    full_name: Line(limits.PERSON_NAME, 1) | None = None
    salutation: Salutation | None = None
    kind: OneOf(ParticipantKind) | None = None
    title: Line(limits.POSITION) | None = None
    hamlet: Line(limits.HAMLET) | None = None
    phone: Phone | None = None
    invited: bool | None = None
    consent_full_name: bool | None = None


class CheckInIn(Input):
    checked_in: bool = True


class PetitionIn(Input):
    conference_id: int | None = Field(default=None, ge=1)
    raised_by: Line(limits.PERSON_NAME, 1)
    salutation: Salutation = ""
    hamlet: Line(limits.HAMLET) = ""
    phone: Phone = ""
    consent_full_name: bool = False
    field_id: int = Field(ge=1)
    content: Para(limits.LONG_TEXT, 1)
    authority: Line(limits.ORGANISATION) = ""
    competence: OneOf(Competence) = Competence.COMMUNE.value
    source: OneOf(PetitionSource) = PetitionSource.BEFORE.value


class PetitionPatch(Input):
    conference_id: int | None = Field(default=None, ge=1)
    raised_by: Line(limits.PERSON_NAME, 1) | None = None
    salutation: Salutation | None = None
    hamlet: Line(limits.HAMLET) | None = None
    phone: Phone | None = None
    consent_full_name: bool | None = None
    field_id: int | None = Field(default=None, ge=1)
    content: Para(limits.LONG_TEXT, 1) | None = None
    authority: Line(limits.ORGANISATION) | None = None
    competence: OneOf(Competence) | None = None
    status: OneOf(PetitionStatus) | None = None
    needs_review: bool | None = Field(default=None, description="False once the secretary "
                                      "has reviewed a written opinion sent from a phone")


class PetitionQuery(Input):
    json_body = False
    conference_id: int | None = Field(default=None, ge=1)
    q: Line(limits.SEARCH_QUERY) | None = None


class FieldIn(Input):
    code: Annotated[str, StringConstraints(pattern=rf"^[a-z0-9_-]{{1,{limits.FIELD_CODE}}}$")]
    name: Line(limits.FIELD_NAME, 1)
    position: int = Field(default=0, ge=0, le=10_000)
    active: bool = True


class FieldPatch(Input):
    name: Line(limits.FIELD_NAME, 1) | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    active: bool | None = None


RoleName = OneOf(Role)


class UserIn(Input):
    username: Annotated[str, StringConstraints(min_length=limits.USERNAME_MIN,
                                               max_length=limits.USERNAME),
                        AfterValidator(_username), schema_extra(pattern=USERNAME)]
    full_name: Line(limits.PERSON_NAME, 1)
    role: RoleName
    password: Password


class PasswordChangeIn(Input):
    old_password: Annotated[str, StringConstraints(min_length=1, max_length=limits.PASSWORD)]
    new_password: Password


class UserPatch(Input):
    full_name: Line(limits.PERSON_NAME, 1) | None = None
    role: RoleName | None = None
    password: Password | None = None
    active: bool | None = None


class DeviceIn(Input):
    name: Line(limits.DEVICE_NAME, 1)
    kind: OneOf(DeviceKind)


class CommuneIn(Input):
    name: Line(limits.COMMUNE_NAME, 1) | None = None
    issuing_body: Line(limits.ISSUING_BODY, 1) | None = None
    body_code: Annotated[str, StringConstraints(
        pattern=rf"^[A-ZĐ0-9-]{{1,{limits.BODY_CODE}}}$")] | None = None
    place_name: Line(limits.PLACE_NAME, 1) | None = None
    province: Line(limits.PROVINCE) | None = None
    higher_authority: Line(limits.HIGHER_AUTHORITY) | None = None
    # checked by the handler (code unknown_rule_profile) against the profiles it knows
    rule_profile: Annotated[str, schema_extra(enum=sorted(load_profiles()))] | None = None
    retention_days: int | None = Field(default=None, ge=30, le=3650)
    chairman_name: Line(limits.PERSON_NAME) | None = None
    drafting_units: DraftingUnits | None = None


class AuditQuery(Input):
    json_body = False  # a query string: every value is text
    conference_id: int | None = Field(
        default=None, ge=1, description="Chỉ những việc về hội nghị này (người mời, kiến nghị, "
                                        "lượt phát biểu, văn bản, bản tin, ghi âm của nó)")
    user_id: int | None = Field(default=None, ge=1, description="Chỉ những việc tài khoản này làm")
    actor: Line(limits.ACTOR) | None = Field(
        default=None, description="Người thực hiện có chứa đoạn chữ này")
    action: Line(limits.AUDIT_ACTION) | None = Field(
        default=None, description="Thao tác bắt đầu bằng đoạn này (“conference.” hay "
                                  "“conference.update”)")
    date_from: Annotated[date, *IsoDate] | None = Field(
        default=None, description="Từ ngày này (giờ Việt Nam), kể cả ngày này")
    date_to: Annotated[date, *IsoDate] | None = Field(
        default=None, description="Đến ngày này (giờ Việt Nam), kể cả ngày này")


class SearchQuery(Input):
    json_body = False
    q: Line(limits.SEARCH_QUERY, 1)


# ---- outputs -------------------------------------------------------------------------


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserOut(Output):
    id: int
    username: str
    full_name: str
    role: str
    active: bool


class SessionOut(Output):
    user: UserOut
    csrf_token: str
    commune: str
    permissions: list[str]


class ConferenceOut(Output):
    id: int
    year: int
    title: str
    starts_at: datetime
    ends_at: datetime | None
    venue: str
    format: str
    online_url: str
    chair_name: str
    front_name: str
    council_name: str
    content: str
    purpose: str
    how_to_attend: str
    status: str
    announced_at: datetime | None
    public_slug: str
    public_url: str = ""
    announcement_warning: str | None = None


class ParticipantOut(Output):
    id: int
    conference_id: int
    full_name: str
    salutation: str = ""
    kind: str
    title: str
    hamlet: str
    phone: str
    invited: bool
    checked_in_at: datetime | None
    consent_full_name: bool


class FieldOut(Output):
    id: int
    code: str
    name: str
    position: int
    active: bool


class PetitionOut(Output):
    id: int
    conference_id: int | None
    raised_by: str
    salutation: str = ""
    hamlet: str
    phone: str
    consent_full_name: bool
    field_id: int
    field_name: str = ""
    content: str
    authority: str
    competence: str
    source: str
    status: str
    needs_review: bool = False
    resolved_on: date | None = None
    created_at: datetime


class DeviceOut(Output):
    id: int
    name: str
    kind: str
    created_at: datetime
    revoked_at: datetime | None
    token: str | None = None


class CommuneOut(Output):
    id: int
    name: str
    issuing_body: str
    body_code: str
    place_name: str
    province: str
    higher_authority: str
    rule_profile: str
    retention_days: int
    chairman_name: str
    drafting_units: dict[str, str] = {}


class AuditOut(Output):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict | None
    after: dict | None
    reason: str


class SearchHit(BaseModel):
    kind: str
    id: int | str
    title: str
    snippet: str
    conference_id: int | None = None


class Health(BaseModel):
    status: str
    database: str
    version: str


