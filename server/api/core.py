"""JSON endpoints of the conference record: session, conferences, invitations,
petitions, fields, users, devices, commune settings, audit log and search.

Every change goes through an action (``server/actions/<resource>/<verb>.py``) run by the
executor: an endpoint that changes something only hands the action its input (the body,
with the record numbers from the path) and returns the action's answer. Logging in and
out stay here: they open and close the session the actions are run under.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import false, select

from server.actions.accounts.add_user import AddUser
from server.actions.accounts.change_password import ChangePassword
from server.actions.accounts.update_user import UpdateUser
from server.actions.commune.update import UpdateCommune
from server.actions.conferences import conference_out
from server.actions.conferences.announce import AnnounceConference
from server.actions.conferences.create import CreateConference
from server.actions.conferences.set_phase_plan import SetPhasePlan
from server.actions.conferences.set_status import SetConferenceStatus
from server.actions.conferences.update import UpdateConference
from server.actions.devices.add import AddDevice
from server.actions.devices.revoke import RevokeDevice
from server.actions.fields.add import AddField
from server.actions.fields.update import UpdateField
from server.actions.participants.add import AddParticipant
from server.actions.participants.check_in import CheckIn
from server.actions.participants.remove import RemoveParticipant
from server.actions.participants.update import UpdateParticipant
from server.actions.petitions import petition_out
from server.actions.petitions.create import CreatePetition
from server.actions.petitions.update import UpdatePetition
from server.api.registry import Api, Call, json_response, read_json
from server.api.responses import OkOut, PhasePlanOut
from server.api.schemas import (
    AuditOut,
    AuditQuery,
    CheckInIn,
    CommuneIn,
    CommuneOut,
    ConferenceIn,
    ConferenceOut,
    ConferencePatch,
    ConferenceStatusIn,
    DeviceIn,
    DeviceOut,
    FieldIn,
    FieldOut,
    FieldPatch,
    Health,
    LoginIn,
    ParticipantIn,
    ParticipantOut,
    ParticipantPatch,
    PasswordChangeIn,
    PetitionIn,
    PetitionOut,
    PetitionPatch,
    PetitionQuery,
    PhasePlanChangeIn,
    SearchHit,
    SearchQuery,
    SessionOut,
    UserIn,
    UserOut,
    UserPatch,
    YearQuery,
)
from server.auth import SESSION_COOKIE, open_session, token_digest, verify_password
from server.commands import audit, scope
from server.db.models import (
    Commune,
    Conference,
    DeviceToken,
    LoginSession,
    Participant,
    Petition,
    PetitionField,
    TranscriptSegment,
    User,
)
from server.domain import catalogue
from server.domain.errors import Forbidden, RateLimited, Unauthenticated
from server.domain.local_time import LOCAL_TZ
from server.domain.personal_data import name_for, phone_for, sees_names
from server.domain.roles import PERMISSIONS, can
from server.domain.text import fold
from server.events import AccountsChanged
from server.keys import CACHE, EXECUTOR, LOGIN_LIMITER

api = Api()


async def _input(call: Call, **ids: int) -> dict[str, Any]:
    """An action's input: the request's JSON body as sent (the endpoint's model has
    already refused a wrong one) with the record numbers from the path."""
    body = await read_json(call.request) if call.body is not None else {}
    return {**body, **ids}


# ---- health and session ----------------------------------------------------------------


class _DatabaseProbe:
    """The database's answer to ``SELECT 1``, asked at most once a second however many
    monitors poll /healthz; concurrent callers share the one probe in flight."""

    def __init__(self, max_age_s: float = 1.0) -> None:
        self.max_age_s = max_age_s
        self._checked_at = -1e9
        self._dialect = ""
        self._lock = asyncio.Lock()

    async def dialect(self, call: Call) -> str:
        if time.monotonic() - self._checked_at < self.max_age_s:
            return self._dialect
        async with self._lock:
            if time.monotonic() - self._checked_at >= self.max_age_s:
                async with call.app[EXECUTOR].reading() as db:
                    await db.execute(select(1))  # raises (500) when the database is down
                    self._dialect = db.bind.dialect.name
                self._checked_at = time.monotonic()
        return self._dialect


@api.route("GET", "/healthz", summary="Server and database are up", tag="system",
           permission=None, response=Health, transaction=False)
async def healthz(call: Call) -> Health:
    probe = call.app[CACHE].setdefault("database_probe", _DatabaseProbe())
    return Health(status="ok", database=await probe.dialect(call), version="0.1.0")


def _session_out(user: User, csrf: str, commune: str) -> SessionOut:
    perms = sorted(p for p in PERMISSIONS if can(user.role, p))
    return SessionOut(user=UserOut.model_validate(user), csrf_token=csrf, commune=commune,
                      permissions=perms)


ADDRESS_LOGIN_LIMIT = 20  # failed logins per address (any username) in the limiter's window


@api.route("POST", "/api/session", summary="Log in", tag="session", permission=None,
           body=LoginIn, response=SessionOut, raw=True)
async def login(call: Call):
    limiter = call.app[LOGIN_LIMITER]
    address = call.request.remote or "?"
    key = (address, call.body.username.lower())
    # Failures from one address count across usernames too (trying many accounts once each);
    # the address count is not cleared by a success, so one known account cannot reset it.
    address_key = ("address", address)
    if not await limiter.allow(address_key, limit=ADDRESS_LOGIN_LIMIT):
        raise RateLimited("too_many_attempts",
                          "Máy này đã đăng nhập sai quá nhiều lần (với nhiều tên đăng nhập); "
                          "vui lòng thử lại sau ít phút.")
    if not await limiter.allow(key):
        raise RateLimited("too_many_attempts",
                       "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau ít phút.")
    user = (await call.db.execute(select(User).where(
        User.username == call.body.username.lower()))).scalar_one_or_none()
    if not verify_password(user.password_hash if user else None, call.body.password) \
            or user is None or not user.active:
        await limiter.fail(key)
        await limiter.fail(address_key)
        raise Unauthenticated("bad_credentials", "Sai tên đăng nhập hoặc mật khẩu.")
    await limiter.reset(key)
    token, csrf = await open_session(call.db, user)
    audit.record(call.db, f"user:{user.id}:{user.full_name}", "session.login", "user", user.id,
                 commune_id=user.commune_id)
    resp = json_response(_session_out(user, csrf, user.commune.name))
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/",
                    max_age=14 * 86400, secure=call.request.secure)
    return resp


@api.route("GET", "/api/session", summary="Who is logged in, with the CSRF token",
           tag="session", response=SessionOut)
async def whoami(call: Call) -> SessionOut:
    if call.user.kind != "user":
        raise Forbidden("forbidden", "Thiết bị không có phiên đăng nhập.")
    user = await call.db.get(User, call.user.user_id)
    return _session_out(user, call.user.csrf_token or "", user.commune.name)


@api.route("DELETE", "/api/session", summary="Log out", tag="session", raw=True,
           response=OkOut)
async def logout(call: Call):
    cookie = call.request.cookies.get(SESSION_COOKIE, "")
    await call.db.execute(LoginSession.__table__.delete().where(
        LoginSession.id == token_digest(cookie)))
    # after the commit, this process and the others forget it (server/app.py)
    call.emit(AccountsChanged(call.user.commune_id, (token_digest(cookie),)))
    resp = json_response({"ok": True})
    resp.del_cookie(SESSION_COOKIE, path="/")
    return resp


@api.route("POST", "/api/session/password", summary="Change the logged-in person's password",
           tag="session", body=PasswordChangeIn, response=OkOut,
           permission=ChangePassword.permission, transaction=False)
async def change_password(call: Call) -> dict:
    return await call.run(ChangePassword(), await _input(call))


# ---- conferences -----------------------------------------------------------------------


@api.route("GET", "/api/conferences", summary="The yearly plan: conferences of a year",
           tag="conferences", query=YearQuery, response=[ConferenceOut], cached=True)
async def list_conferences(call: Call) -> list[ConferenceOut]:
    q = select(Conference).where(Conference.commune_id == call.user.commune_id)
    if call.query.year:
        q = q.where(Conference.year == call.query.year)
    rows = (await call.db.execute(q.order_by(Conference.starts_at))).scalars()
    return [await conference_out(call.db, call.app, c) for c in rows]


@api.route("POST", "/api/conferences", summary="Plan a conference", tag="conferences",
           body=ConferenceIn, response=ConferenceOut, permission=CreateConference.permission,
           status=201, transaction=False)
async def create_conference(call: Call) -> ConferenceOut:
    return await call.run(CreateConference(), await _input(call))


@api.route("GET", "/api/conferences/{id}", summary="One conference", tag="conferences",
           response=ConferenceOut, devices=True, cached=True)
async def get_conference(call: Call) -> ConferenceOut:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    return await conference_out(call.db, call.app, conf)


@api.route("PATCH", "/api/conferences/{id}", summary="Edit a conference", tag="conferences",
           body=ConferencePatch, response=ConferenceOut, permission=UpdateConference.permission,
           transaction=False)
async def update_conference(call: Call) -> ConferenceOut:
    return await call.run(UpdateConference(),
                          await _input(call, conference_id=call.path_int("id")))


@api.route("POST", "/api/conferences/{id}/announce", summary="Announce a conference publicly",
           tag="conferences", response=ConferenceOut, permission=AnnounceConference.permission,
           transaction=False)
async def announce_conference(call: Call) -> ConferenceOut:
    return await call.run(AnnounceConference(),
                          await _input(call, conference_id=call.path_int("id")))


@api.route("POST", "/api/conferences/{id}/status",
           summary="Record that a conference was held, has ended or is cancelled",
           tag="conferences", body=ConferenceStatusIn, response=ConferenceOut,
           permission=SetConferenceStatus.permission, transaction=False)
async def set_conference_status(call: Call) -> ConferenceOut:
    return await call.run(SetConferenceStatus(),
                          await _input(call, conference_id=call.path_int("id")))


@api.route("PUT", "/api/conferences/{id}/phases",
           summary="Set the planned minutes of each phase of the run-of-show",
           tag="conferences", body=PhasePlanChangeIn, response=PhasePlanOut,
           permission=SetPhasePlan.permission, transaction=False)
async def set_phase_plan(call: Call) -> dict[str, Any]:
    return await call.run(SetPhasePlan(), await _input(call, conference_id=call.path_int("id")))


# ---- invitations and check-in ------------------------------------------------------------


def _shown_participant(call: Call, out: ParticipantOut) -> ParticipantOut:
    """What the caller's role may see of an invited person (server/domain/personal_data.py)."""
    role = call.user.role if call.user else None
    out.full_name = name_for(role, out.full_name, out.hamlet, out.consent_full_name)
    out.phone = phone_for(role, out.phone)
    return out


def _shown_petition(call: Call, out: PetitionOut) -> PetitionOut:
    role = call.user.role if call.user else None
    out.raised_by = name_for(role, out.raised_by, out.hamlet, out.consent_full_name)
    out.phone = phone_for(role, out.phone)
    return out


@api.route("GET", "/api/conferences/{id}/participants", summary="Invitation list and check-in",
           tag="participants", response=[ParticipantOut], cached=True)
async def list_participants(call: Call) -> list[ParticipantOut]:
    cid = call.path_int("id")
    await scope.conference(call.db, call.user, cid)
    rows = (await call.db.execute(select(Participant).where(Participant.conference_id == cid)
                                  .order_by(Participant.full_name))).scalars()
    return [_shown_participant(call, ParticipantOut.model_validate(p)) for p in rows]


@api.route("POST", "/api/conferences/{id}/participants", summary="Invite a person",
           tag="participants", body=ParticipantIn, response=ParticipantOut,
           permission=AddParticipant.permission, status=201, transaction=False)
async def add_participant(call: Call) -> ParticipantOut:
    return _shown_participant(call, await call.run(
        AddParticipant(), await _input(call, conference_id=call.path_int("id"))))


def _participant_ids(call: Call) -> dict[str, int]:
    return {"conference_id": call.path_int("id"), "participant_id": call.path_int("pid")}


@api.route("PATCH", "/api/conferences/{id}/participants/{pid}", summary="Edit an invitation",
           tag="participants", body=ParticipantPatch, response=ParticipantOut,
           permission=UpdateParticipant.permission, transaction=False)
async def update_participant(call: Call) -> ParticipantOut:
    return _shown_participant(call, await call.run(
        UpdateParticipant(), await _input(call, **_participant_ids(call))))


@api.route("DELETE", "/api/conferences/{id}/participants/{pid}", summary="Remove an invitation",
           tag="participants", permission=RemoveParticipant.permission, response=OkOut,
           transaction=False)
async def remove_participant(call: Call) -> dict:
    return await call.run(RemoveParticipant(), await _input(call, **_participant_ids(call)))


@api.route("POST", "/api/conferences/{id}/participants/{pid}/check-in",
           summary="Check a person in (or undo)", tag="participants", body=CheckInIn,
           response=ParticipantOut, permission=CheckIn.permission, transaction=False)
async def check_in(call: Call) -> ParticipantOut:
    return _shown_participant(call, await call.run(
        CheckIn(), await _input(call, **_participant_ids(call))))


# ---- petitions and fields ----------------------------------------------------------------


@api.route("GET", "/api/petitions", summary="Petitions, optionally of one conference or matching text",
           tag="petitions", query=PetitionQuery, response=[PetitionOut], cached=True)
async def list_petitions(call: Call) -> list[PetitionOut]:
    q = select(Petition).where(Petition.commune_id == call.user.commune_id)
    if call.query.conference_id:
        q = q.where(Petition.conference_id == call.query.conference_id)
    if call.query.q:
        q = q.where(Petition.search_text.contains(fold(call.query.q)))
    rows = (await call.db.execute(q.order_by(Petition.id).limit(1000))).scalars()
    return [_shown_petition(call, petition_out(p)) for p in rows]


@api.route("POST", "/api/petitions", summary="Record a petition", tag="petitions",
           body=PetitionIn, response=PetitionOut, permission=CreatePetition.permission,
           status=201, transaction=False)
async def create_petition(call: Call) -> PetitionOut:
    return _shown_petition(call, await call.run(CreatePetition(), await _input(call)))


@api.route("GET", "/api/petitions/{id}", summary="One petition", tag="petitions",
           response=PetitionOut)
async def get_petition(call: Call) -> PetitionOut:
    return _shown_petition(call, petition_out(
        await scope.petition(call.db, call.user, call.path_int("id"))))


@api.route("PATCH", "/api/petitions/{id}", summary="Edit a petition", tag="petitions",
           body=PetitionPatch, response=PetitionOut, permission=UpdatePetition.permission,
           transaction=False)
async def update_petition(call: Call) -> PetitionOut:
    return _shown_petition(call, await call.run(
        UpdatePetition(), await _input(call, petition_id=call.path_int("id"))))


@api.route("GET", "/api/fields", summary="The editable list of petition fields", tag="petitions",
           response=[FieldOut])
async def list_fields(call: Call) -> list[FieldOut]:
    rows = (await call.db.execute(select(PetitionField).where(
        PetitionField.commune_id == call.user.commune_id).order_by(PetitionField.position))).scalars()
    return [FieldOut.model_validate(f) for f in rows]


@api.route("POST", "/api/fields", summary="Add a petition field", tag="petitions", body=FieldIn,
           response=FieldOut, permission=AddField.permission, status=201, transaction=False)
async def add_field(call: Call) -> FieldOut:
    return await call.run(AddField(), await _input(call))


@api.route("PATCH", "/api/fields/{id}", summary="Rename, reorder or retire a field",
           tag="petitions", body=FieldPatch, response=FieldOut,
           permission=UpdateField.permission, transaction=False)
async def update_field(call: Call) -> FieldOut:
    return await call.run(UpdateField(), await _input(call, field_id=call.path_int("id")))


# ---- administration ----------------------------------------------------------------------


@api.route("GET", "/api/users", summary="Accounts of the commune", tag="admin",
           response=[UserOut], permission="manage_users")
async def list_users(call: Call) -> list[UserOut]:
    rows = (await call.db.execute(select(User).where(User.commune_id == call.user.commune_id)
                                  .order_by(User.username))).scalars()
    return [UserOut.model_validate(u) for u in rows]


@api.route("POST", "/api/users", summary="Add an account", tag="admin", body=UserIn,
           response=UserOut, permission=AddUser.permission, status=201, transaction=False)
async def add_user(call: Call) -> UserOut:
    return await call.run(AddUser(), await _input(call))


@api.route("PATCH", "/api/users/{id}", summary="Change role, password or lock an account",
           tag="admin", body=UserPatch, response=UserOut, permission=UpdateUser.permission,
           transaction=False)
async def update_user(call: Call) -> UserOut:
    return await call.run(UpdateUser(), await _input(call, user_id=call.path_int("id")))


@api.route("GET", "/api/devices", summary="Device tokens (public screens, relays)", tag="admin",
           response=[DeviceOut], permission="manage_devices")
async def list_devices(call: Call) -> list[DeviceOut]:
    rows = (await call.db.execute(select(DeviceToken).where(
        DeviceToken.commune_id == call.user.commune_id).order_by(DeviceToken.id))).scalars()
    return [DeviceOut.model_validate(d) for d in rows]


@api.route("POST", "/api/devices", summary="Issue a read-only device token (shown once)",
           tag="admin", body=DeviceIn, response=DeviceOut, permission=AddDevice.permission,
           status=201, transaction=False)
async def add_device(call: Call) -> DeviceOut:
    return await call.run(AddDevice(), await _input(call))


@api.route("DELETE", "/api/devices/{id}", summary="Revoke a device token", tag="admin",
           response=DeviceOut, permission=RevokeDevice.permission, transaction=False)
async def revoke_device(call: Call) -> DeviceOut:
    return await call.run(RevokeDevice(), await _input(call, device_id=call.path_int("id")))


@api.route("GET", "/api/commune", summary="The commune's settings", tag="admin",
           response=CommuneOut)
async def get_commune(call: Call) -> CommuneOut:
    return CommuneOut.model_validate(await call.db.get(Commune, call.user.commune_id))


@api.route("PATCH", "/api/commune", summary="Change the commune's settings", tag="admin",
           body=CommuneIn, response=CommuneOut, permission=UpdateCommune.permission,
           transaction=False)
async def update_commune(call: Call) -> CommuneOut:
    return await call.run(UpdateCommune(), await _input(call))


AUDIT_PAGE = 500  # events in one JSON answer, the newest
AUDIT_CSV_MAX = 50_000  # events in one CSV file, the newest


def _audit_events(call: Call, limit: int):
    return audit.events(call.user.commune_id, **call.query.model_dump()).limit(limit)


@api.route("GET", "/api/audit", summary="The audit log, newest first, optionally filtered",
           tag="admin", query=AuditQuery, response=[AuditOut], permission="view_audit")
async def list_audit(call: Call) -> list[AuditOut]:
    rows = (await call.db.execute(_audit_events(call, AUDIT_PAGE))).scalars()
    return [AuditOut.model_validate(a) for a in rows]


@api.route("GET", "/api/audit.csv", summary="The audit log as CSV (UTF-8 with BOM), same filters",
           tag="admin", query=AuditQuery, permission="view_audit", raw=True,
           response={"text/csv": {"schema": {"type": "string"}}})
async def audit_csv(call: Call) -> web.Response:
    rows = (await call.db.execute(_audit_events(call, AUDIT_CSV_MAX))).scalars()
    day = datetime.now(UTC).astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
    return web.Response(body=audit.to_csv(rows), headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="nhat-ky-thao-tac-{day}.csv"'})


# ---- search ------------------------------------------------------------------------------


def _snippet(text: str, n: int = 160) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@api.route("GET", "/api/search", summary="Search names and content, ignoring diacritics",
           tag="search", query=SearchQuery, response=[SearchHit])
async def search(call: Call) -> list[SearchHit]:
    key = fold(call.query.q)
    cid = call.user.commune_id
    role = call.user.role
    hits: list[SearchHit] = []
    for c in (await call.db.execute(select(Conference).where(
            Conference.commune_id == cid, Conference.search_text.contains(key)).limit(50))).scalars():
        hits.append(SearchHit(kind="conference", id=c.id, title=c.title, snippet=_snippet(c.content),
                              conference_id=c.id))
    for p in (await call.db.execute(select(Petition).where(
            Petition.commune_id == cid, Petition.search_text.contains(key)).limit(100))).scalars():
        who = name_for(role, p.raised_by, p.hamlet, p.consent_full_name)
        hits.append(SearchHit(kind="petition", id=p.id, title=f"{who} — {p.hamlet}",
                              snippet=_snippet(p.content), conference_id=p.conference_id))
    people = select(Participant).join(Conference).where(
        Conference.commune_id == cid, Participant.search_text.contains(key))
    if not sees_names(role):  # a name search must not find whom the role may not see
        people = people.where(false())
    for p in (await call.db.execute(people.limit(100))).scalars():
        hits.append(SearchHit(kind="participant", id=p.id, title=p.full_name,
                              snippet=", ".join(x for x in (p.title, p.hamlet) if x),
                              conference_id=p.conference_id))
    from server.db.models import SpeakingTurn

    for seg, turn in (await call.db.execute(
            select(TranscriptSegment, SpeakingTurn).join(SpeakingTurn).join(Conference).where(
                Conference.commune_id == cid, TranscriptSegment.search_text.contains(key))
            .limit(100))).all():
        hits.append(SearchHit(kind="transcript", id=turn.id,
                              title=name_for(role, turn.display_name, turn.hamlet, False),
                              snippet=_snippet(seg.text or seg.machine_text),
                              conference_id=turn.conference_id))
    return hits



# ---- catalogue ---------------------------------------------------------------------------


class CatalogueOut(BaseModel):
    """Text limits (characters) by name, and the Vietnamese label of each enumeration value."""

    limits: dict[str, int]
    roles: dict[str, str]
    conference_formats: dict[str, str]
    conference_statuses: dict[str, str]
    participant_kinds: dict[str, str]
    petition_statuses: dict[str, str]
    answer_outcomes: dict[str, str]
    competences: dict[str, str]
    petition_sources: dict[str, str]
    device_kinds: dict[str, str]
    document_kinds: dict[str, str]
    document_statuses: dict[str, str]
    dispatch_channels: dict[str, str]
    turn_kinds: dict[str, str]
    turn_statuses: dict[str, str]
    turn_sources: dict[str, str]
    field_labels: dict[str, str] = Field(description="Each input field's Vietnamese name")
    audit_actions: dict[str, str] = Field(description="Each audit action code's Vietnamese name")
    audit_groups: dict[str, str] = Field(description="Audit code prefixes and their names")


@api.route("GET", "/api/catalogue", summary="Text limits and the labels of every enumeration",
           tag="system", permission=None, response=CatalogueOut)
async def get_catalogue(call: Call) -> CatalogueOut:
    return CatalogueOut(**catalogue.catalogue())
