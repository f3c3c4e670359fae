"""The commune's rule profile applied to conferences (announcement lead time, deadlines)."""

from __future__ import annotations

from server.db.models import Conference


class Rules:
    def profile_keys(self) -> list[str]:
        return ["cong-van-457", "luat-2025"]

    def announcement_warning(self, conf: Conference) -> str | None:
        return None
