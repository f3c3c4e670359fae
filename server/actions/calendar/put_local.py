"""Replace a commune's own days off of a year (a local holiday, a day the commune
closes): laid over the install's calendar for this commune's deadlines only.

Input: the ``year`` and ``days`` (``[{date, name}]``, every date in that year, each
once). Permission: ``manage_settings`` (the commune's administrator).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from server.actions.calendar import check_year
from server.api.formats import IsoDate
from server.api.schemas import Input as JsonInput
from server.api.schemas import Line
from server.db.models import Setting
from server.domain import limits
from server.domain.calendar import (
    LOCAL_DAYS_MAX,
    LOCAL_DAYS_SETTING,
    OverridesError,
    validate_local_days,
)
from server.domain.errors import Invalid
from server.executor import Action, Context


class LocalDayIn(JsonInput):
    date: Annotated[date, *IsoDate]
    name: Line(limits.POSITION, 1)


class LocalDaysIn(JsonInput):
    days: list[LocalDayIn] = Field(default=[], max_length=LOCAL_DAYS_MAX)


class Input(LocalDaysIn):
    year: int


class LocalDayOut(BaseModel):
    date: date
    name: str
    source: str
    status: str


class LocalDaysOut(BaseModel):
    year: int
    local: list[LocalDayOut] = Field(description="The commune's own days off of the year")


def local_json(notes) -> list[dict[str, str]]:
    return [{"date": n.day.isoformat(), "name": n.name, "source": n.source, "status": n.status}
            for n in notes]


class PutLocalDays(Action):
    name = "calendar.put_local"
    permission = "manage_settings"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict:
        year = check_year(data.year)
        try:
            notes = validate_local_days([{"date": d.date.isoformat(), "name": d.name}
                                         for d in data.days], year)
        except OverridesError as exc:
            raise Invalid(exc.code, exc.message) from None
        key = (ctx.actor.commune_id, LOCAL_DAYS_SETTING)
        setting = await ctx.db.get(Setting, key)
        before = dict(setting.value) if setting else {}
        after = {k: v for k, v in before.items() if k != str(year)}
        if notes:
            after[str(year)] = [{"date": n.day.isoformat(), "name": n.name} for n in notes]
        if setting is None:
            setting = Setting(commune_id=ctx.actor.commune_id, key=LOCAL_DAYS_SETTING, value=after)
            ctx.db.add(setting)
        else:
            setting.value = after
        await ctx.db.flush()
        ctx.audit("calendar.local", "calendar", year, before={"days": before.get(str(year), [])},
                  after={"days": after.get(str(year), [])})
        return {"year": year, "local": local_json(notes)}
