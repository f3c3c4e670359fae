"""The logged-in person changes their own password (user.change_password).

Input: ``old_password`` and ``new_password`` (the password rules). Permission: ``view``
(every account; not a device). A wrong old password is refused (``wrong_password``) and
counted: after as many failures as a login allows, further tries wait (429). The
account's other sessions end at once (``AccountsChanged``); this one stays. Audit:
``user.change_password`` (never the passwords).
"""

from __future__ import annotations

from server.api.schemas import PasswordChangeIn
from server.auth import hash_password, verify_password
from server.db.models import LoginSession, User
from server.domain.errors import Forbidden, Invalid, RateLimited
from server.events import AccountsChanged
from server.executor import Action, Context
from server.keys import LOGIN_LIMITER


class ChangePassword(Action):
    name = "user.change_password"
    permission = "view"
    Input = PasswordChangeIn

    async def run(self, ctx: Context, data: PasswordChangeIn) -> dict[str, bool]:
        user = await ctx.db.get(User, ctx.actor.user_id)
        assert user is not None  # a session's actor is an existing, active account
        limiter = ctx.services[LOGIN_LIMITER]
        key = ("password", user.id)
        if not await limiter.allow(key):
            raise RateLimited("too_many_attempts",
                              "Nhập sai mật khẩu hiện tại quá nhiều lần; vui lòng thử lại sau "
                              "ít phút.")
        if not verify_password(user.password_hash, data.old_password):
            await limiter.fail(key)
            raise Forbidden("wrong_password", "Mật khẩu hiện tại không đúng.")
        if data.new_password == data.old_password:
            raise Invalid("same_password", "Mật khẩu mới phải khác mật khẩu hiện tại.",
                          [{"field": "new_password", "code": "same_password",
                            "message": "Mật khẩu mới phải khác mật khẩu hiện tại."}])
        await limiter.reset(key)
        user.password_hash = hash_password(data.new_password)
        # the account's other sessions end; the one that asked (known by its CSRF token) stays
        await ctx.db.execute(LoginSession.__table__.delete().where(
            LoginSession.user_id == user.id,
            LoginSession.csrf_token != (ctx.actor.csrf_token or "")))
        await ctx.db.flush()
        ctx.audit("user.change_password", "user", user.id)
        ctx.emit(AccountsChanged(ctx.actor.commune_id))
        return {"ok": True}
