"""Actions on the commune's editable list of petition fields: add one, rename, reorder or
retire one."""

from __future__ import annotations

FIELDS = ("code", "name", "position", "active")
