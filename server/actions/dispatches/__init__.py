"""Actions on dispatch records: to whom an issued document was sent, and how."""

from __future__ import annotations

from typing import Any

from server.db.models import Dispatch
from server.domain.documents import CHANNEL_LABELS


def dispatch_json(x: Dispatch) -> dict[str, Any]:
    return {"id": x.id, "document_id": x.document_id, "recipient": x.recipient,
            "channel": x.channel, "channel_label": CHANNEL_LABELS.get(x.channel, x.channel),
            "note": x.note, "sent_at": x.sent_at}
