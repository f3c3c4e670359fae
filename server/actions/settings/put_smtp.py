"""Set the e-mail (SMTP) server that sends the deadline reminders.

Input: ``host``, ``port``, ``from``, ``to`` (1-20 addresses), ``starttls``, ``user`` and
``password`` (left out or null: keep the stored one). Permission: ``manage_settings``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from server.actions.settings import smtp_out
from server.api.formats import EMAIL, HOST, schema_extra
from server.api.schemas import Input as JsonInput
from server.api.schemas import Line
from server.db.models import Setting
from server.domain import limits
from server.executor import Action, Context
from server.followup.reminders import SETTING_KEY

_EMAIL = re.compile(EMAIL)


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"Địa chỉ thư không hợp lệ: {value!r}.")
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_email), schema_extra(pattern=EMAIL)]


class SmtpIn(JsonInput):
    host: Annotated[Line(200, 1), schema_extra(pattern=HOST)]
    port: int = Field(default=25, ge=1, le=65535)
    sender: Email = Field(alias="from")
    to: Annotated[list[Email], Field(min_length=1, max_length=20)]
    starttls: bool = False
    user: Line(200) = ""
    password: Annotated[str, Field(max_length=limits.PASSWORD)] | None = None

    model_config = JsonInput.model_config | {"populate_by_name": True}

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if " " in v or "/" in v:
            raise ValueError("Tên máy chủ thư không hợp lệ.")
        return v


class PutSmtp(Action):
    name = "settings.put_smtp"
    permission = "manage_settings"
    Input = SmtpIn

    async def run(self, ctx: Context, data: SmtpIn) -> dict:
        key = (ctx.actor.commune_id, SETTING_KEY)
        s = await ctx.db.get(Setting, key)
        value = data.model_dump(by_alias=True, mode="json")
        if value.get("password") is None:
            value["password"] = (s.value.get("password", "") if s else "")
        if s is None:
            s = Setting(commune_id=key[0], key=key[1], value=value)
            ctx.db.add(s)
        else:
            s.value = value
        await ctx.db.flush()
        ctx.audit("settings.smtp", "setting", SETTING_KEY, after=smtp_out(value))
        return smtp_out(value)
