"""Actions on the commune's accounts: add one, change one (role, name, password, lock),
and the logged-in person's own password change."""

from __future__ import annotations

FIELDS = ("username", "full_name", "role", "active")  # never a password or its hash
