"""Replace the administrator's calendar overrides of a year (days off, worked weekend
days, holidays); deadlines are counted on the new calendar from then on.

Input: the ``year`` and the ``overrides`` document (every date in that year, each in one
list only). Permission: ``manage_settings``.
"""

from __future__ import annotations

from typing import Any

from server.actions.calendar import check_year, of_year, overrides_file
from server.api.schemas import Input as JsonInput
from server.domain.calendar import (
    OverridesError,
    default_overrides,
    load_overrides,
    save_overrides,
    validate_overrides,
)
from server.domain.errors import Invalid
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
