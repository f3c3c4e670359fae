"""Checks every input gets whatever carried it: the whole numbers the database can hold."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from server.domain.errors import Invalid
from server.domain.field_labels import labelled, sentence

# Record numbers and other whole numbers are INTEGER columns: 32 bits in PostgreSQL, which
# refuses a larger parameter outright (even in a lookup), so nothing larger is let through.
DB_INT = (-(2**31), 2**31 - 1)

def refuse_big_ints(value: Any) -> None:
    """Refuse validated input holding a whole number beyond the database's integer."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, BaseModel):
            stack.extend((v, f"{where}.{k}".lstrip(".")) for k, v in item.__dict__.items())
        elif isinstance(item, dict):
            stack.extend((v, f"{where}.{k}".lstrip(".")) for k, v in item.items())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend((v, f"{where}.{i}".lstrip(".")) for i, v in enumerate(item))
        elif isinstance(item, int) and not isinstance(item, bool) \
                and not DB_INT[0] <= item <= DB_INT[1]:
            message = f"Số quá lớn (tối đa {DB_INT[1]})."
            fields = labelled([{"field": where or "body", "code": "int_too_large",
                                "message": message}])
            raise Invalid("invalid_input", sentence(fields), fields)
