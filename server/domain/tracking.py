"""A petition's tracking code: what the citizen is given to follow the answer.

The code is the petition's number and four letters signed with the install's key
("127-K7QP"): short enough to read out or type on a phone, and nobody can guess the
code of someone else's petition from its number. Pure functions; the key comes from
the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import re

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
_CODE = re.compile(r"^\s*([0-9]{1,10})\s*-?\s*([A-Za-z0-9]{4})\s*$")


def _letters(key: bytes, petition_id: int) -> str:
    n = int.from_bytes(hmac.new(key, f"petition:{petition_id}".encode(),
                                hashlib.sha256).digest()[:8], "big")
    out = []
    for _ in range(4):
        n, r = divmod(n, len(ALPHABET))
        out.append(ALPHABET[r])
    return "".join(out)


def tracking_code(key: bytes, petition_id: int) -> str:
    return f"{petition_id}-{_letters(key, petition_id)}"


def petition_of(key: bytes, code: str) -> int | None:
    """The petition a typed code names, or None when it is not one of ours (case and a
    missing dash are forgiven)."""
    m = _CODE.match(code or "")
    if not m:
        return None
    pid = int(m.group(1))
    if not 0 < pid <= 2**31 - 1:
        return None
    return pid if hmac.compare_digest(m.group(2).upper(), _letters(key, pid)) else None
