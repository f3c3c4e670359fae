"""What a phone shows about its own registration (server/domain/phone_status.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from server.domain import queue as q
from server.domain.phone_status import phone_status, short_code

T0 = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)


def run(state: q.QueueState, **command) -> q.QueueState:
    command = {"command_id": uuid.uuid4().hex, "base_version": state.version, **command}
    return q.apply(state, q.command_from_dict(command),
                   T0 + timedelta(seconds=state.version), "máy").state


def register(state: q.QueueState, turn_id: str, name: str, source: str = "desk") -> q.QueueState:
    return run(state, type="register_turn", turn_id=turn_id, person_key=f"name:{name}",
               display_name=name, hamlet="Thôn 1", source=source)


def test_a_phone_follows_its_registration_from_approval_to_the_end() -> None:
    s = q.new_queue(1)
    s = register(s, "a", "An")
    s = register(s, "b", "Bình")
    s = register(s, "qr-1", "Chi", source="qr")
    assert phone_status(s, "qr-1")["message"] == "Đăng ký của bạn đang chờ người điều hành duyệt."
    assert phone_status(s, "qr-1")["place"] is None
    s = run(s, type="approve_turn", turn_id="qr-1")
    got = phone_status(s, "qr-1")
    assert got["place"] == 3 and got["status"] == "waiting" and got["can_withdraw"]
    assert got["message"] == ("Đăng ký đã được duyệt. Bạn đứng thứ 3 trong danh sách; "
                              "còn 2 người trước bạn.")
    s = run(s, type="call_next")
    s = run(s, type="withdraw", turn_id="b")
    assert phone_status(s, "qr-1")["message"] == ("Đăng ký đã được duyệt. "
                                                  "Bạn là người phát biểu tiếp theo.")
    s = run(s, type="start", turn_id="a")
    s = run(s, type="end", turn_id="a")
    s = run(s, type="call_next")
    assert phone_status(s, "qr-1")["message"] == "Đến lượt bạn: mời bạn lên phát biểu."
    s = run(s, type="start", turn_id="qr-1")
    assert phone_status(s, "qr-1")["message"] == "Bạn đang phát biểu."
    assert not phone_status(s, "qr-1")["can_withdraw"]
    s = run(s, type="end", turn_id="qr-1")
    assert phone_status(s, "qr-1")["status"] == "done"
    assert phone_status(s, "khong-co") is None


def test_a_refusal_says_why_and_the_code_is_stable() -> None:
    s = register(q.new_queue(1), "qr-2", "Dũng", source="qr")
    s = run(s, type="reject_turn", turn_id="qr-2", reason="đã đăng ký tại bàn")
    got = phone_status(s, "qr-2")
    assert got["message"] == "Đăng ký không được duyệt: đã đăng ký tại bàn."
    assert not got["can_withdraw"]
    assert got["code"] == short_code("qr-2") and len(got["code"]) == 4
    assert short_code("qr-2") != short_code("qr-3")
    assert set(got["code"]) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")


def test_a_phone_sees_which_part_of_the_conference_is_running() -> None:
    from server.domain import phases

    s = register(q.new_queue(1), "qr-1", "Chi", source="qr")
    assert phone_status(s, "qr-1")["phase"] is None  # no run-of-show set
    s = run(s, type="set_phase", phase=phases.OPINIONS)
    assert phone_status(s, "qr-1")["phase"] == phases.LABELS[phases.OPINIONS]
    s = run(s, type="set_phase", phase=phases.ANSWERS)
    assert phone_status(s, "qr-1")["phase"] == phases.LABELS[phases.ANSWERS]
