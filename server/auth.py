"""Who is calling: login sessions (cookie + CSRF token), device tokens, passwords."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import DeviceToken, LoginSession, User

SESSION_COOKIE = "doithoai_session"
SESSION_DAYS = 14
_hasher = PasswordHasher()  # argon2id with the library's current parameters
_DUMMY_HASH = _hasher.hash("not a password")


@dataclass(frozen=True)
class Actor:
    """The authenticated caller of a command."""

    kind: str  # user | device | public (the phone registration form)
    commune_id: int
    role: str  # a Role for users; "display" or "relay" for devices
    name: str
    user_id: int | None = None
    device_id: int | None = None
    csrf_token: str | None = None
    own_turn: str | None = None  # a phone (public actor): the registration it may withdraw

    @property
    def label(self) -> str:
        prefix = self.kind
        ident = self.user_id if self.kind == "user" else self.device_id or ""
        return f"{prefix}:{ident}:{self.name}"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_device_token() -> str:
    return "dt_" + secrets.token_urlsafe(24)


async def open_session(db: AsyncSession, user: User) -> tuple[str, str]:
    """Create a login session; returns (cookie value, CSRF token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    db.add(LoginSession(id=token_digest(token), user_id=user.id, csrf_token=csrf,
                        expires_at=datetime.now(UTC) + timedelta(days=SESSION_DAYS)))
    return token, csrf


async def actor_from_session(db: AsyncSession, token: str) -> Actor | None:
    row = (await db.execute(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == token_digest(token))
    )).first()
    if row is None:
        return None
    sess, user = row
    if sess.expires_at < datetime.now(UTC) or not user.active:
        return None
    return Actor(kind="user", commune_id=user.commune_id, role=user.role, name=user.full_name,
                 user_id=user.id, csrf_token=sess.csrf_token)


async def actor_from_device_token(db: AsyncSession, token: str) -> Actor | None:
    dev = (await db.execute(
        select(DeviceToken).where(DeviceToken.token_hash == token_digest(token))
    )).scalar_one_or_none()
    if dev is None or dev.revoked_at is not None:
        return None
    return Actor(kind="device", commune_id=dev.commune_id, role=dev.kind, name=dev.name,
                 device_id=dev.id)


def csrf_ok(actor: Actor, presented: str | None) -> bool:
    return bool(actor.csrf_token and presented and hmac.compare_digest(actor.csrf_token, presented))


class Identities:
    """The one way to learn who is calling, for HTTP, sockets and relays alike: a login
    cookie or a device token, looked up once and remembered for ``ttl`` seconds, so a
    hall of polling screens does not cost a database round trip per request.

    Logging out forgets that session at once; any change to users or devices
    (``AccountsChanged``) forgets everything, so a locked account or a revoked token
    stops working immediately. In a province the same event is told to the other
    processes over Redis after the commit (server/app.py), which forget the same
    (``forget_sessions``, ``forget_all``) when they hear it. A look-up that was under
    way when something was forgotten is not remembered (it may have read the row just
    before the change was committed).
    """

    def __init__(self, ttl: float = 10.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._known: dict[str, tuple[float, Actor | None]] = {}
        self._forgotten = 0  # grows at every forget: look-ups older than it are not kept

    def _get(self, key: str) -> tuple[bool, Actor | None]:
        hit = self._known.get(key)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def _put(self, key: str, actor: Actor | None, since: int) -> Actor | None:
        if since != self._forgotten:  # something was forgotten during the look-up
            return actor
        if len(self._known) >= self.max_entries:
            self._known.clear()
        self._known[key] = (time.monotonic() + self.ttl, actor)
        return actor

    def known_session(self, token: str) -> tuple[bool, Actor | None]:
        """(True, actor) when the cookie was looked up in the last ``ttl`` seconds."""
        return self._get("s:" + token_digest(token))

    def known_device(self, token: str) -> tuple[bool, Actor | None]:
        return self._get("d:" + token_digest(token))

    async def from_session(self, db: AsyncSession, token: str) -> Actor | None:
        key = "s:" + token_digest(token)
        found, actor = self._get(key)
        if found:
            return actor
        since = self._forgotten
        return self._put(key, await actor_from_session(db, token), since)

    async def from_device_token(self, db: AsyncSession, token: str) -> Actor | None:
        key = "d:" + token_digest(token)
        found, actor = self._get(key)
        if found:
            return actor
        since = self._forgotten
        return self._put(key, await actor_from_device_token(db, token), since)

    def forget_session(self, token: str) -> None:
        self.forget_sessions([token_digest(token)])

    def forget_sessions(self, digests: list[str] | tuple[str, ...]) -> None:
        """Forget login sessions by their stored id (the cookie's digest)."""
        self._forgotten += 1
        for digest in digests:
            self._known.pop("s:" + digest, None)

    def forget_all(self) -> None:
        self._forgotten += 1
        self._known.clear()
