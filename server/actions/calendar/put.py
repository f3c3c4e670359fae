"""Replace the administrator's calendar overrides of a year (days off, worked weekend
days, holidays); deadlines are counted on the new calendar from then on.

Input: the ``year`` and the ``overrides`` document (every date in that year, each in one
list only). Permission: ``manage_settings``, and only an administrator of the install's
first commune (the install's, on a province's machine the province's): the layer counts
for every commune (server/domain/calendar.py ``may_edit_install_calendar``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from server.actions.calendar import check_year, of_year, overrides_file
from server.api.schemas import Input as JsonInput
from server.db.models import Commune
from server.domain.calendar import (
    OverridesError,
    default_overrides,
    load_overrides,
    may_edit_install_calendar,
    save_overrides,
    validate_overrides,
)
from server.domain.errors import Forbidden, Invalid
from server.executor import Action, Context
from server.keys import CONFIG


class Input(JsonInput):
    year: int
    overrides: dict[str, Any]


class PutCalendar(Action):
    name = "calendar.put"
    permission = "manage_settings"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict:
        year = check_year(data.year)
        first = (await ctx.db.execute(select(func.min(Commune.id)))).scalar_one()
        if not may_edit_install_calendar(ctx.actor.role, ctx.actor.commune_id, first):
            raise Forbidden("install_calendar",
                            "Lịch ngày nghỉ chung của cả hệ thống do quản trị viên cấp tỉnh (tài "
                            "khoản quản trị của đơn vị đầu tiên) sửa. Xã chỉ ghi ngày nghỉ riêng "
                            "của xã ở mục “Ngày nghỉ riêng của xã”.")
        try:
            layer = validate_overrides(data.overrides)
        except OverridesError as exc:
            raise Invalid(exc.code, exc.message) from None
        others = sorted(y for y in layer.years() if y != year)
        if others:
            raise Invalid("calendar.wrong_year",
                          f"Tệp của năm {year} chỉ được ghi ngày trong năm {year} (có ngày của "
                          f"năm {', '.join(map(str, others))}).")
        try:
            default_overrides().overlaid(layer)
        except OverridesError as exc:
            raise Invalid(exc.code, exc.message) from None
        path = overrides_file(ctx.services[CONFIG].data_dir, year)
        before = load_overrides(path).to_json() if path.is_file() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        ctx.audit("calendar.update", "calendar", year, before=before, after=layer.to_json())
        await ctx.db.flush()
        save_overrides(layer, path)  # atomic: temporary file then rename
        return {"year": year, "overrides": layer.to_json(),
                "shipped": of_year(default_overrides(), year), "editable": True}
