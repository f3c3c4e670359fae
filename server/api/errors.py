"""Errors a person or device can cause: HTTP status, stable code, Vietnamese message."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            err["fields"] = self.fields
        return {"error": err}


def not_found(what: str = "Không tìm thấy mục này.") -> ApiError:
    return ApiError(404, "not_found", what)


def forbidden(message: str = "Bạn không có quyền thực hiện thao tác này.") -> ApiError:
    return ApiError(403, "forbidden", message)


def unauthenticated() -> ApiError:
    return ApiError(401, "unauthenticated", "Vui lòng đăng nhập.")


def conflict(code: str, message: str) -> ApiError:
    return ApiError(409, code, message)


_PYDANTIC_MESSAGES = {
    "missing": "Thiếu trường bắt buộc.",
    "string_too_long": "Quá dài (tối đa {max_length} ký tự).",
    "string_too_short": "Không được để trống.",
    "string_type": "Phải là chuỗi ký tự.",
    "int_type": "Phải là số nguyên.",
    "int_parsing": "Phải là số nguyên.",
    "bool_type": "Phải là đúng/sai.",
    "bool_parsing": "Phải là đúng/sai.",
    "datetime_parsing": "Ngày giờ không hợp lệ (dạng 2026-12-05T08:00).",
    "datetime_from_date_parsing": "Ngày giờ không hợp lệ (dạng 2026-12-05T08:00).",
    "datetime_type": "Ngày giờ không hợp lệ (dạng 2026-12-05T08:00).",
    "date_parsing": "Ngày không hợp lệ (dạng 2026-12-05).",
    "date_from_datetime_parsing": "Ngày không hợp lệ (dạng 2026-12-05).",
    "date_type": "Ngày không hợp lệ (dạng 2026-12-05).",
    "enum": "Giá trị không hợp lệ; chọn một trong: {expected}.",
    "literal_error": "Giá trị không hợp lệ; chọn một trong: {expected}.",
    "extra_forbidden": "Trường không được phép.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "greater_than": "Phải lớn hơn {gt}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "too_long": "Quá nhiều phần tử (tối đa {max_length}).",
    "list_type": "Phải là danh sách.",
    "model_type": "Phải là một đối tượng JSON.",
    "dict_type": "Phải là một đối tượng JSON.",
    "string_pattern_mismatch": "Định dạng không hợp lệ.",
}


def from_validation(exc: ValidationError) -> ApiError:
    """A 422 listing every wrong field with a Vietnamese message."""
    fields = []
    for e in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in e["loc"]) or "body"
        template = _PYDANTIC_MESSAGES.get(e["type"])
        if template:
            try:
                msg = template.format(**(e.get("ctx") or {}))
            except (KeyError, IndexError):
                msg = template
        elif e["type"] == "value_error":
            msg = str((e.get("ctx") or {}).get("error", e["msg"]))
        else:
            msg = e["msg"]
        fields.append({"field": loc, "code": e["type"], "message": msg})
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    return ApiError(422, "invalid_input", f"Dữ liệu không hợp lệ — {summary}", fields)
