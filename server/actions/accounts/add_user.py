"""Add an account (user.add), from the administration page or from the server's console
(``doithoai user add``), the same way.

Input: ``UserIn`` (the password follows the password rules). Permission:
``manage_users``; someone at the server's own console (an actor of kind ``console``)
may too: they hold the database anyway. Audit: ``user.add`` with the account's fields.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.accounts import FIELDS
from server.api.schemas import UserIn, UserOut
from server.auth import Actor, hash_password
from server.commands import audit
from server.db.models import User
from server.domain.errors import Conflict
from server.executor import Action, Context

CONSOLE = "console"  # the kind of actor the command line runs as


async def add_user(db: AsyncSession, actor: Actor | str, commune_id: int, data: UserIn) -> User:
    """The account, added with its audit record to ``db``'s transaction (also used when the
    server makes its first administrator)."""
    taken = (await db.execute(select(User.id).where(User.username == data.username))).first()
    if taken:
        raise Conflict("username_taken", f"Tên đăng nhập “{data.username}” đã có người dùng.")
    user = User(commune_id=commune_id, username=data.username, full_name=data.full_name,
                role=data.role, password_hash=hash_password(data.password))
    db.add(user)
    await db.flush()
    audit.record(db, actor, "user.add", "user", user.id, after=audit.snapshot(user, FIELDS),
                 commune_id=commune_id)
    return user


class AddUser(Action):
    name = "user.add"
    permission = "manage_users"
    Input = UserIn

    def authorize(self, actor: Actor | None, data: Any) -> None:
        if actor is not None and actor.kind == CONSOLE:
            return
        super().authorize(actor, data)

    async def run(self, ctx: Context, data: UserIn) -> UserOut:
        user = await add_user(ctx.db, ctx.actor, ctx.actor.commune_id, data)
        return UserOut.model_validate(user)
