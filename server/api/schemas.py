"""Input and output shapes of the JSON API. Every text is NFC-normalised and bounded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

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
    if digits and not (digits.lstrip("+").isdigit() and 9 <= len(digits.lstrip("+")) <= 12):
        raise ValueError("Số điện thoại không hợp lệ (9–12 chữ số).")
    return digits


def _username(value: str) -> str:
    if not value.replace("_", "").replace(".", "").replace("-", "").isalnum() or not value.isascii():
        raise ValueError("Tên đăng nhập chỉ gồm chữ cái không dấu, số, dấu chấm, gạch.")
    return value.lower()


def Line(max_length: int = 200, min_length: int = 0):  # noqa: N802 - type factory
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(clean_line),
                     AfterValidator(_min(min_length))]


def Para(max_length: int = 10_000, min_length: int = 0):  # noqa: N802 - type factory
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(clean_text),
                     AfterValidator(_min(min_length))]


def _min(n: int):
    def check(v: str) -> str:
        if len(v) < n:
            raise ValueError("Không được để trống." if n == 1 else f"Cần ít nhất {n} ký tự.")
        return v
    return check


LocalDateTime = Annotated[datetime, AfterValidator(_local_to_utc)]
Phone = Annotated[str, StringConstraints(max_length=20), AfterValidator(_phone)]
Format = Literal["in_person", "online", "hybrid"]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(Input):
    username: Line(64, 1)
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ConferenceIn(Input):
    title: Line(300, 1)
    starts_at: LocalDateTime = Field(description="Giờ địa phương (Asia/Ho_Chi_Minh) nếu không ghi múi giờ")
    ends_at: LocalDateTime | None = None
    venue: Line(300, 1)
    format: Format = "in_person"
    online_url: Line(500) = ""
    chair_name: Line(200) = ""
    front_name: Line(200) = ""
    council_name: Line(200) = ""
    content: Para() = ""
    purpose: Para() = ""
    how_to_attend: Para() = ""


class ConferencePatch(Input):
    title: Line(300, 1) | None = None
    starts_at: LocalDateTime | None = None
    ends_at: LocalDateTime | None = None
    venue: Line(300, 1) | None = None
    format: Format | None = None
    online_url: Line(500) | None = None
    chair_name: Line(200) | None = None
    front_name: Line(200) | None = None
    council_name: Line(200) | None = None
    content: Para() | None = None
    purpose: Para() | None = None
    how_to_attend: Para() | None = None
    status: Literal["planned", "announced", "held", "closed", "cancelled"] | None = None


class YearQuery(Input):
    year: Annotated[int, Field(ge=2000, le=2100)] | None = None


class ParticipantIn(Input):
    full_name: Line(200, 1)
    kind: Literal["delegate", "citizen_rep", "citizen"] = "citizen_rep"
    title: Line(200) = ""
    hamlet: Line(200) = ""
    phone: Phone = ""
    invited: bool = True
    consent_full_name: bool = False


class ParticipantPatch(Input):
    full_name: Line(200, 1) | None = None
    kind: Literal["delegate", "citizen_rep", "citizen"] | None = None
    title: Line(200) | None = None
    hamlet: Line(200) | None = None
    phone: Phone | None = None
    invited: bool | None = None
    consent_full_name: bool | None = None


class CheckInIn(Input):
    checked_in: bool = True


class PetitionIn(Input):
    conference_id: int | None = Field(default=None, ge=1)
    raised_by: Line(200, 1)
    hamlet: Line(200) = ""
    phone: Phone = ""
    consent_full_name: bool = False
    field_id: int = Field(ge=1)
    content: Para(10_000, 1)
    authority: Line(300) = ""
    competence: Literal["commune", "higher"] = "commune"
    source: Literal["before", "during"] = "before"


class PetitionPatch(Input):
    conference_id: int | None = Field(default=None, ge=1)
    raised_by: Line(200, 1) | None = None
    hamlet: Line(200) | None = None
    phone: Phone | None = None
    consent_full_name: bool | None = None
    field_id: int | None = Field(default=None, ge=1)
    content: Para(10_000, 1) | None = None
    authority: Line(300) | None = None
    competence: Literal["commune", "higher"] | None = None
    status: Literal["open", "answered", "assigned", "verifying", "forwarded", "resolved"] | None = None


class PetitionQuery(Input):
    conference_id: int | None = Field(default=None, ge=1)
    q: Line(200) | None = None


class FieldIn(Input):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")]
    name: Line(200, 1)
    position: int = Field(default=0, ge=0, le=10_000)
    active: bool = True


class FieldPatch(Input):
    name: Line(200, 1) | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    active: bool | None = None


RoleName = Literal["admin", "chair", "moderator", "secretary", "front", "viewer", "overseer"]


class UserIn(Input):
    username: Annotated[str, StringConstraints(min_length=3, max_length=64), AfterValidator(_username)]
    full_name: Line(200, 1)
    role: RoleName
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)]


class UserPatch(Input):
    full_name: Line(200, 1) | None = None
    role: RoleName | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)] | None = None
    active: bool | None = None


class DeviceIn(Input):
    name: Line(200, 1)
    kind: Literal["display", "relay"]


class CommuneIn(Input):
    name: Line(200, 1) | None = None
    issuing_body: Line(200, 1) | None = None
    body_code: Annotated[str, StringConstraints(pattern=r"^[A-ZĐ0-9-]{1,20}$")] | None = None
    place_name: Line(100, 1) | None = None
    province: Line(200) | None = None
    higher_authority: Line(200) | None = None
    rule_profile: Line(50, 1) | None = None
    retention_days: int | None = Field(default=None, ge=30, le=3650)
    chairman_name: Line(200) | None = None


class SearchQuery(Input):
    q: Line(200, 1)


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


