"""A document's editable content as JSON, and back to the builders' dataclasses.

Drafts are stored in ``Document.content`` as plain JSON that mirrors the input
dataclass of the builder (dates as ``YYYY-MM-DD``, times as local
``YYYY-MM-DDTHH:MM``). Reading it back checks every value's type and says
where a wrong one is, so an edit from the tablet can never store something the
builder cannot take.
"""

from __future__ import annotations

import dataclasses
import types
import typing
import unicodedata
from datetime import date, datetime
from enum import Enum
from typing import Any

from server.documents.model import (
    ConclusionNotice,
    ConferenceAnnouncement,
    HigherLevelReport,
    Invitation,
    Minutes,
    VerificationReply,
)

MAX_TEXT = 10_000
MAX_ITEMS = 500

#: Document.kind -> builder input dataclass.
MODELS: dict[str, type] = {
    "conclusion": ConclusionNotice,
    "reply": VerificationReply,
    "report": HigherLevelReport,
    "invitation": Invitation,
    "announcement": ConferenceAnnouncement,
    "minutes": Minutes,
}


class ContentError(ValueError):
    """A value in the content that has the wrong type; ``path`` says where."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def from_json(tp: Any, value: Any, path: str = "") -> Any:
    """Build a value of type ``tp`` from JSON, checking types; raises ContentError."""
    where = path or "nội dung"
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return from_json(inner[0], value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise ContentError(where, "phải là một danh sách.")
        if len(value) > MAX_ITEMS:
            raise ContentError(where, f"tối đa {MAX_ITEMS} mục.")
        item_tp = typing.get_args(tp)[0]
        return tuple(from_json(item_tp, v, f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ContentError(where, "phải là một đối tượng.")
        hints = _hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise ContentError(where, f"trường không có trong mẫu: {', '.join(unknown)}.")
        kwargs = {}
        for f in dataclasses.fields(tp):
            sub = f"{path}.{f.name}" if path else f.name
            if f.name not in value:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise ContentError(sub, "thiếu trường bắt buộc.")
                continue
            kwargs[f.name] = from_json(hints[f.name], value[f.name], sub)
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in tp)
            raise ContentError(where, f"giá trị không hợp lệ; chọn một trong: {allowed}.") from None
    if tp is str:
        if not isinstance(value, str):
            raise ContentError(where, "phải là chuỗi ký tự.")
        if len(value) > MAX_TEXT:
            raise ContentError(where, f"quá dài (tối đa {MAX_TEXT} ký tự).")
        return unicodedata.normalize("NFC", value)
    if tp is bool:
        if not isinstance(value, bool):
            raise ContentError(where, "phải là đúng/sai.")
        return value
    if tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ContentError(where, "phải là số nguyên.")
        return value
    if tp is datetime:
        if not isinstance(value, str):
            raise ContentError(where, "phải là ngày giờ dạng 2026-12-05T08:00.")
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            raise ContentError(where, f"'{value}' không phải ngày giờ dạng 2026-12-05T08:00.") from None
        return at.replace(tzinfo=None)
    if tp is date:
        if not isinstance(value, str) or len(value) != 10:
            raise ContentError(where, "phải là ngày dạng 2026-12-05.")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ContentError(where, f"'{value}' không phải ngày hợp lệ dạng 2026-12-05.") from None
    raise TypeError(f"unsupported type {tp!r} at {where}")


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` over ``base``: objects merge key by key, anything else replaces."""
    out = dict(base)
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def model_for(kind: str) -> type:
    return MODELS[kind]
