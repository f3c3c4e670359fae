"""What a citizen's phone shows about their own registration: a pure function of the queue.

The phone page (server/queue/phones.py) asks it every few seconds; the answer says in
Vietnamese where the person stands: waiting for approval, approved with the place in
line, called, speaking, done, refused with the reason, withdrawn.
"""

from __future__ import annotations

import hashlib
from typing import Any

from server.domain import phases
from server.domain.queue_model import (
    CALLED,
    DEFERRED,
    DONE,
    PAUSED,
    PENDING_APPROVAL,
    REJECTED,
    SKIPPED,
    SPEAKING,
    WAITING,
    WITHDRAWN,
    QueueState,
)
from server.domain.queue_rules import next_speakers

# Letters and digits a person reads aloud without confusion (no 0/O, 1/I/L).
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def short_code(turn_id: str) -> str:
    """A 4-character code for the desk, the same for a turn every time."""
    n = int.from_bytes(hashlib.sha256(turn_id.encode()).digest()[:8], "big")
    chars = []
    for _ in range(4):
        n, r = divmod(n, len(_CODE_ALPHABET))
        chars.append(_CODE_ALPHABET[r])
    return "".join(chars)


WITHDRAWABLE = frozenset({PENDING_APPROVAL, WAITING, CALLED, DEFERRED, SKIPPED})


def phone_status(state: QueueState, turn_id: str) -> dict[str, Any] | None:
    """The registration's status for its phone, or None when the queue has no such turn.

    ``status`` is the turn's status; ``message`` the sentence to show; ``place`` the place
    in line (1 = next) while waiting; ``can_withdraw`` whether "Rút đăng ký" still applies;
    ``phase`` the part of the conference now running (run-of-show), if the chair set one.
    """
    turn = state.turn(turn_id)
    if turn is None:
        return None
    place = None
    reason = ""
    if turn.status == PENDING_APPROVAL:
        message = "Đăng ký của bạn đang chờ người điều hành duyệt."
    elif turn.status == WAITING:
        order = [t.id for t in next_speakers(state)]
        place = order.index(turn.id) + 1 if turn.id in order else None
        if place == 1:
            message = "Đăng ký đã được duyệt. Bạn là người phát biểu tiếp theo."
        elif place:
            message = (f"Đăng ký đã được duyệt. Bạn đứng thứ {place} trong danh sách; "
                       f"còn {place - 1} người trước bạn.")
        else:
            message = "Đăng ký đã được duyệt; bạn đang trong danh sách chờ."
    elif turn.status == CALLED:
        message = "Đến lượt bạn: mời bạn lên phát biểu."
    elif turn.status in (SPEAKING, PAUSED):
        message = "Bạn đang phát biểu."
    elif turn.status == DONE:
        message = "Bạn đã phát biểu xong. Cảm ơn ý kiến của bạn."
    elif turn.status == REJECTED:
        reason = next((h.reason for h in reversed(state.history)
                       if h.turn_id == turn.id and h.command == "reject_turn"), "")
        message = "Đăng ký không được duyệt" + (f": {reason}" if reason else ".")
        if reason and not message.endswith("."):
            message += "."
    elif turn.status == WITHDRAWN:
        message = "Bạn đã rút đăng ký."
    elif turn.status == SKIPPED:
        message = "Bạn đã được mời nhưng vắng mặt; hãy liên hệ bàn thư ký nếu vẫn muốn phát biểu."
    elif turn.status == DEFERRED:
        message = "Lượt của bạn được hoãn lại; người điều hành sẽ mời bạn sau."
    else:  # pragma: no cover - every status is listed above
        message = ""
    return {"status": turn.status, "message": message, "place": place, "reason": reason,
            "code": short_code(turn.id), "can_withdraw": turn.status in WITHDRAWABLE,
            "version": state.version,
            "phase": phases.LABELS[state.phases[-1][0]] if state.phases else None}
