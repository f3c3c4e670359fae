"""Actions on the live captions: a conference's settings (on or off, shown while the
broadcast is muted), hiding one turn's captions from the public, and the commune's
vocabulary. Each is audited; the captions in memory (server/captions/) hear of the change
through ``CaptionsChanged`` after the commit."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from server.executor import Action

PERMISSION = "run_queue"  # the moderator, the chair, the administrator


class ConferenceCaptions(Action):
    """A change to one conference's captions, one at a time per conference."""

    permission = PERMISSION

    def lock_key(self, data: Any) -> Hashable:
        return ("captions", data.conference_id)
