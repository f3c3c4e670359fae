"""Actions on the commune's settings: the e-mail (SMTP) server that sends deadline
reminders."""

from __future__ import annotations

from typing import Any


def smtp_out(value: dict[str, Any] | None) -> dict[str, Any]:
    """The SMTP settings as shown: never the password, only whether there is one."""
    if not value:
        return {"configured": False}
    out = {k: v for k, v in value.items() if k != "password"}
    return {**out, "configured": True, "has_password": bool(value.get("password"))}
