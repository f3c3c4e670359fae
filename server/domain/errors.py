"""The one shape of a refused rule: a stable machine ``code`` and a Vietnamese ``message``."""

from __future__ import annotations


class RuleError(ValueError):
    """Input a rule cannot accept. ``code`` is stable for programs, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")
