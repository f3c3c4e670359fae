"""The edge's view of refused actions: each error kind's HTTP status, and pydantic's
validation errors as one Vietnamese ``Invalid`` listing every wrong field, each named in
Vietnamese from the one table of field names (server/domain/field_labels.py)."""

from __future__ import annotations

from pydantic import ValidationError

from server.domain.errors import DomainError, Invalid
from server.domain.field_labels import label, labelled, sentence

# The one place a refused action becomes an HTTP status.
STATUS: dict[str, int] = {
    "bad_request": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404,
    "conflict": 409, "gone": 410, "too_large": 413, "unsupported": 415, "invalid": 422,
    "rate_limited": 429, "failed": 500, "upstream_failed": 502, "unavailable": 503,
}


def status_of(exc: DomainError) -> int:
    return STATUS.get(exc.kind, 422)


_PYDANTIC_MESSAGES = {
    "missing": "Bắt buộc, chưa có.",
    "string_too_long": "Tối đa {max_length} ký tự.",
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


def from_validation(exc: ValidationError) -> Invalid:
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
        fields.append({"field": loc, "code": e["type"], "message": msg,
                       "label": label(e["loc"], exc.title)})
    return invalid_fields(fields)


def invalid_fields(fields: list[dict[str, str]], code: str = "invalid_input") -> Invalid:
    """A 422 naming each wrong field in Vietnamese: the message "Nội dung phát biểu: tối
    đa 1000 ký tự." (the first five fields) and every field with its ``label``."""
    fields = labelled(fields)
    return Invalid(code, sentence(fields[:5]), fields)
