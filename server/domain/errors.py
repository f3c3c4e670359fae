"""The one shape of a refused action: a kind, a stable machine ``code`` and a Vietnamese
``message`` (with the wrong ``fields`` when there are several).

Rules and actions raise these; they know nothing of HTTP. The edges map the kind to an
HTTP status or a socket acknowledgement in one place (``server/web/errors.py``).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Something a person or device asked for that cannot be done as asked."""

    kind = "invalid"

    def __init__(self, code: str, message: str,
                 fields: list[dict[str, str]] | None = None) -> None:
        self.code = code
        self.message = message
        self.fields = fields or []
        super().__init__(f"{code}: {message}")

    def body(self) -> dict[str, Any]:
        """The error as every edge sends it: ``{"error": {code, message, fields?}}``."""
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            err["fields"] = self.fields
        return {"error": err}


class Invalid(DomainError):
    """The input breaks a rule (a wrong field, a date out of range)."""

    kind = "invalid"


class BadRequest(DomainError):
    """The request itself cannot be read (malformed JSON, a broken form)."""

    kind = "bad_request"


class Unauthenticated(DomainError):
    kind = "unauthenticated"


class Forbidden(DomainError):
    kind = "forbidden"


class NotFound(DomainError):
    kind = "not_found"


class Conflict(DomainError):
    """The record moved on (another tablet was first, a document is already issued)."""

    kind = "conflict"


class Gone(DomainError):
    """It existed but was removed (a recording past its retention period)."""

    kind = "gone"


class TooLarge(DomainError):
    kind = "too_large"


class Unsupported(DomainError):
    """A content type the endpoint does not take."""

    kind = "unsupported"


class RateLimited(DomainError):
    kind = "rate_limited"


class Unavailable(DomainError):
    """A part the action needs is not running (PDF converter, broadcast, a busy lock)."""

    kind = "unavailable"


class UpstreamFailed(DomainError):
    """A service outside the server answered with an error (the mail server)."""

    kind = "upstream_failed"


class Failed(DomainError):
    """The server could not finish; nothing was saved."""

    kind = "failed"


class RuleError(Invalid, ValueError):
    """Input a pure rule cannot accept (kept as a ValueError for the rules' own callers)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def not_found(message: str = "Không tìm thấy mục này.") -> NotFound:
    return NotFound("not_found", message)


def forbidden(message: str = "Bạn không có quyền thực hiện thao tác này.") -> Forbidden:
    return Forbidden("forbidden", message)


def unauthenticated() -> Unauthenticated:
    return Unauthenticated("unauthenticated", "Vui lòng đăng nhập.")


def conflict(code: str, message: str) -> Conflict:
    return Conflict(code, message)
