"""Change an account's name, role or password, or lock it (user.update).

Input: the fields to change (``UserPatch``) and ``user_id``. Permission: ``manage_users``;
an administrator cannot lock or demote their own account. A locked account or a new
password ends the account's sessions at once (``AccountsChanged``). Audit:
``user.update`` with the fields before and after (never the password).
"""

from __future__ import annotations

from server.actions.accounts import FIELDS
from server.api.schemas import RecordId, UserOut, UserPatch
from server.auth import hash_password
from server.commands import audit
from server.db.models import LoginSession, User
from server.domain.errors import Conflict, not_found
from server.events import AccountsChanged
from server.executor import Action, Context


class Input(UserPatch):
    user_id: RecordId


class UpdateUser(Action):
    name = "user.update"
    permission = "manage_users"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> UserOut:
        user = await ctx.db.get(User, data.user_id)
        if user is None or user.commune_id != ctx.actor.commune_id:
            raise not_found(f"Không có người dùng số {data.user_id}.")
        before = audit.snapshot(user, FIELDS)
        changes = data.model_dump(exclude_unset=True, exclude={"user_id"})
        if user.id == ctx.actor.user_id and (changes.get("active") is False or
                                             changes.get("role") not in (None, "admin")):
            raise Conflict("self_lockout", "Không thể tự khóa hoặc tự hạ quyền của chính mình.")
        for name, value in changes.items():
            if value is None:
                continue
            if name == "password":
                user.password_hash = hash_password(value)
            else:
                setattr(user, name, value)
        if changes.get("active") is False or changes.get("password"):
            await ctx.db.execute(LoginSession.__table__.delete().where(
                LoginSession.user_id == user.id))
        await ctx.db.flush()
        ctx.audit("user.update", "user", user.id, before=before,
                  after=audit.snapshot(user, FIELDS))
        ctx.emit(AccountsChanged(ctx.actor.commune_id))  # a locked account stops at once
        return UserOut.model_validate(user)
