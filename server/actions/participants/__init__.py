"""Actions on a conference's invitation list: invite, edit, remove, check in (or undo).

The audit log keeps each invitation's fields with its conference, so the removal of an
invitation is still found among the conference's events.
"""

from __future__ import annotations

from server.db.models import Participant
from server.domain.text import search_key

FIELDS = ("conference_id", "full_name", "salutation", "kind", "title", "hamlet", "phone", "invited",
          "checked_in_at", "consent_full_name")


def index(p: Participant) -> None:
    p.search_text = search_key(p.full_name, p.title, p.hamlet)
