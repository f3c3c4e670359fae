"""What a request's values must look like, said once for both the validation and the
OpenAPI document, so the document calls valid exactly what the server accepts.

- Dates and times are ISO 8601 text of a real calendar day in 2000-2100 (a time of day
  may leave out the zone: local time); never a number, never another layout.
- A JSON ``true``/``false`` for a yes/no, a JSON whole number for a number: ``0``,
  ``"5"`` and ``"true"`` are refused in a JSON body (a query string only has text).
- A text that must not be empty must hold a visible character: the server trims it and
  drops control characters before it counts.
- No text carries a NUL character (the JSON reader refuses it).
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    GetJsonSchemaHandler,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# ---- patterns (ECMA 262, Python and Rust alike) -----------------------------------------
# White space is spelled out: ``\s`` differs between them (Python's str.strip() also takes
# U+001C-U+001F and U+0085, ECMA 262 also U+FEFF).

# what str.strip() removes
SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# what clean_line() removes: control characters (keeping TAB, LF, CR, which are space)
CONTROL = r"\x01-\x08\x0b\x0c\x0e-\x1f\x7f"
# space that survives the removal of control characters
LINE_SPACE = r"\t\n\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

NO_NUL = r"^[^\x00]*$"
# at least one character that is neither space nor a control character (clean_line()
# leaves something)
NOT_BLANK = rf"^[^\x00]*[^\x00{CONTROL}{LINE_SPACE}][^\x00]*$"
# at least one character that is not space (strip() leaves something)
NOT_SPACE = rf"^[^\x00]*[^\x00{SPACE}][^\x00]*$"

_YEAR = r"(?:20[0-9]{2}|2100)"
_MONTH_DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
              r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
              r"|02-(?:0[1-9]|1[0-9]|2[0-8]))")
_LEAP_DAY = r"20(?:[02468][048]|[13579][26])-02-29"
_DAY = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_DAY})"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
_ZONE = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"

DATE = rf"^{_DAY}$"
DATE_TIME = rf"^{_DAY}T{_TIME}{_ZONE}?$"

_DATE_RE = re.compile(DATE)
_DATE_TIME_RE = re.compile(DATE_TIME)


@dataclass(frozen=True)
class SchemaExtra:
    """Annotation that adds keywords to a type's JSON schema (the validation is elsewhere)."""

    keywords: tuple[tuple[str, Any], ...]

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        js = handler(core_schema)
        js.update({k: list(v) if isinstance(v, tuple) else v for k, v in self.keywords})
        return js


def schema_extra(**keywords: Any) -> SchemaExtra:
    # hashable, as type annotations must be: lists are kept as tuples
    return SchemaExtra(tuple((k, tuple(v) if isinstance(v, list) else v)
                             for k, v in keywords.items()))


def text_schema(min_length: int) -> SchemaExtra:
    """The document's side of a trimmed text of at least ``min_length`` characters."""
    if min_length:
        return schema_extra(minLength=min_length, pattern=NOT_BLANK)
    return schema_extra(pattern=NO_NUL)


def _iso(pattern: re.Pattern[str], message: str):
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(message)
        return value
    return check


IsoDate = (BeforeValidator(_iso(_DATE_RE, "Ngày không hợp lệ (dạng 2026-12-05, năm 2000–2100).")),
           WithJsonSchema({"type": "string", "pattern": DATE,
                           "description": "YYYY-MM-DD, năm 2000–2100"}))
_BAD_DATE_TIME = "Ngày giờ không hợp lệ (dạng 2026-12-05T08:00, năm 2000–2100)."
IsoDateTime = (BeforeValidator(_iso(_DATE_TIME_RE, _BAD_DATE_TIME)),
               WithJsonSchema({"type": "string", "pattern": DATE_TIME,
                               "description": "YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|±HH:MM]; "
                                              "không ghi múi giờ: giờ Việt Nam"}))


# ---- JSON scalars of the right kind ------------------------------------------------------


def _kinds(annotation: Any) -> set[type]:
    """bool and/or int, when the annotation is (an optional) one of them."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        out: set[type] = set()
        for arg in get_args(annotation):
            out |= _kinds(arg)
        return out
    if annotation is bool or annotation is int or annotation is type(None):
        return {annotation}
    return {object}


def _scalar_kinds(annotation: Any) -> set[type]:
    """{bool} or {int} (or both) when the field holds nothing else but null; else empty."""
    kinds = _kinds(annotation) - {type(None)}
    return kinds if kinds and object not in kinds else set()


class _Refused:
    """Stands in for a value of the wrong JSON kind, so validation reports that field."""

    def __repr__(self) -> str:
        return "sai kiểu"


class JsonScalars(BaseModel):
    """Base of JSON body models: a yes/no must be ``true``/``false`` and a number a JSON
    number (a whole one for an integer): ``0``, ``"5"``, ``"true"`` are the wrong kind."""

    json_body: ClassVar[bool] = True

    @model_validator(mode="before")
    @classmethod
    def _json_kinds(cls, data: Any) -> Any:
        if not cls.json_body or not isinstance(data, dict):
            return data
        out = None
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key not in data:
                continue
            value, kinds = data[key], _scalar_kinds(field.annotation)
            if not kinds or value is None:
                continue
            wrong = (isinstance(value, str)
                     or (bool in kinds and not isinstance(value, bool))
                     or (bool not in kinds and isinstance(value, bool))
                     or (isinstance(value, float) and not value.is_integer()))
            if wrong:
                out = dict(data) if out is None else out
                out[key] = _Refused()
        return data if out is None else out


# ---- texts with a shape --------------------------------------------------------------------

# 9-12 digits after an optional "+", spaced with " ", "." or "-"; or nothing
PHONE = r"^(?:[ .\-]*|[+ .\-]*(?:[0-9][ .\-]*){9,12})$"
# letters without diacritics, digits, ".", "_", "-", with at least one letter or digit
USERNAME = r"^[_.\-]*[A-Za-z0-9][A-Za-z0-9_.\-]*$"
# an e-mail address as the reminders can send to: ASCII (the mail server is not asked for
# SMTPUTF8), the usual signs of a local part, a domain of letters, digits, dots and dashes
EMAIL = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$"
# a host name: one word (control characters dropped, space around it trimmed), no "/"
_HOST_CHAR = rf"[^\x00{CONTROL}{LINE_SPACE}/]"
_AROUND = rf"[{CONTROL}{LINE_SPACE}]*"
HOST = rf"^{_AROUND}{_HOST_CHAR}(?:[{CONTROL}]*{_HOST_CHAR})*{_AROUND}$"


# ---- free-form JSON --------------------------------------------------------------------------

# Any JSON value the JSON reader lets through (texts without NUL, whole numbers within the
# database's 32 bits); the openapi() document defines it as a component of this name.
JSON_VALUE = "JsonValue"
JSON_VALUE_SCHEMA: dict[str, Any] = {
    "description": "Any JSON value: texts without NUL, whole numbers within 32 bits",
    "anyOf": [
        {"type": "string", "pattern": NO_NUL},
        {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
        {"type": "number", "not": {"type": "integer"}},
        {"type": "boolean"}, {"type": "null"},
        {"type": "array", "items": {"$ref": f"#/components/schemas/{JSON_VALUE}"}},
        {"type": "object", "propertyNames": {"pattern": NO_NUL},
         "additionalProperties": {"$ref": f"#/components/schemas/{JSON_VALUE}"}},
    ]}
# pydantic does not follow a $ref it did not make: the document writes this one in its place
JSON_VALUE_MARK = {"x-json-value": True}
JsonObject = WithJsonSchema({
    "type": "object", "propertyNames": {"pattern": NO_NUL},
    "additionalProperties": JSON_VALUE_MARK})
