"""Unit tests of the speaking queue state machine: every command and every refusal."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from server.domain.names import public_name, short_name
from server.domain.queue import (
    AddAnswerTurn,
    ApproveTurn,
    CallNext,
    CallTurn,
    Defer,
    DomainError,
    End,
    ExtendTime,
    LinkPetition,
    Move,
    Pause,
    QueueSettings,
    QueueState,
    RegisterTurn,
    RejectTurn,
    Requeue,
    Resume,
    Skip,
    Start,
    Undo,
    UpdateSettings,
    Withdraw,
    apply,
    command_from_dict,
    command_to_dict,
    from_dict,
    new_queue,
    next_speakers,
    public_view,
    timer,
    to_dict,
    view_dict,
)

T0 = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)


class Q:
    """A queue driven like the server drives it: each command on the latest version."""

    def __init__(self, settings: QueueSettings | None = None) -> None:
        self.state: QueueState = new_queue("hn-1", settings)
        self.now = T0
        self._ids = itertools.count(1)
        self.events: tuple = ()

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def do(self, cls, **kw):
        kw.setdefault("command_id", f"c{next(self._ids)}")
        kw.setdefault("base_version", self.state.version)
        actor = kw.pop("actor", "chu-toa")
        result = apply(self.state, cls(**kw), self.now, actor)
        self.state = result.state
        self.events = result.events
        return result

    def refused(self, code: str, cls, **kw) -> DomainError:
        before = self.state
        with pytest.raises(DomainError) as info:
            self.do(cls, **kw)
        assert info.value.code == code, info.value
        assert self.state is before  # nothing changed
        assert info.value.message  # a Vietnamese message for people
        return info.value

    def reg(self, person: str, name: str | None = None, **kw) -> str:
        turn_id = kw.pop("turn_id", None) or f"t-{person}-{next(self._ids)}"
        self.do(RegisterTurn, person_key=person, display_name=name or f"Người {person}",
                hamlet=kw.pop("hamlet", "Thôn 1"), turn_id=turn_id, **kw)
        return turn_id

    def status(self, turn_id: str) -> str:
        turn = self.state.turn(turn_id)
        assert turn is not None
        return turn.status

    def order(self) -> list[str]:
        return [t.id for t in next_speakers(self.state)]

    def speak(self, turn_id: str | None = None, seconds: float = 60) -> str:
        """Call (next or the named turn), start, talk, end."""
        if turn_id is None:
            self.do(CallNext)
            turn_id = self.state.current_turn_id
        else:
            self.do(CallTurn, turn_id=turn_id, reason="kiểm thử")
        assert turn_id is not None
        self.do(Start, turn_id=turn_id)
        self.tick(seconds)
        self.do(End, turn_id=turn_id)
        return turn_id


# --- registration -----------------------------------------------------------------


def test_register_at_desk_waits_and_normalises_text():
    q = Q()
    q.do(RegisterTurn, person_key="p1", display_name="  Nguye\u0302\u0303n   Văn An ",
         hamlet="Bon  Bu Prăng", topic="Đường\r\nliên thôn", turn_id="t1")
    turn = q.state.turn("t1")
    assert turn.status == "waiting"
    assert turn.display_name == "Nguyễn Văn An"  # NFC, collapsed spaces
    assert turn.hamlet == "Bon Bu Prăng"
    assert turn.topic == "Đường\nliên thôn"
    assert turn.registered_at == T0
    assert q.state.version == 1
    assert [e.type for e in q.events] == ["turn_registered"]
    assert q.state.history[-1].summary.startswith("Đăng ký phát biểu: Nguyễn Văn An")


def test_register_turn_id_defaults_to_command_id():
    q = Q()
    q.do(RegisterTurn, command_id="uuid-7", person_key="p1", display_name="A")
    assert q.state.turn("uuid-7") is not None


def test_register_by_qr_waits_for_approval_unless_settings_say_otherwise():
    q = Q()
    t = q.reg("p1", source="qr")
    assert q.status(t) == "pending_approval"
    assert q.order() == []
    q2 = Q(QueueSettings(require_approval_for_self_registration=False))
    t2 = q2.reg("p1", source="qr")
    assert q2.status(t2) == "waiting"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"person_key": "p", "display_name": "   "}, "text_required"),
        ({"person_key": " ", "display_name": "A"}, "text_required"),
        ({"person_key": "p", "display_name": "A" * 201}, "text_too_long"),
        ({"person_key": "p", "display_name": "A", "source": "sms"}, "bad_command"),
        ({"person_key": "p", "display_name": "A", "topic": "x" * 1001}, "text_too_long"),
    ],
)
def test_register_refuses_bad_input(kw, code):
    q = Q()
    q.refused(code, RegisterTurn, **kw)
    assert q.state.version == 0


def test_register_refuses_duplicate_turn_id():
    q = Q()
    q.reg("p1", turn_id="x")
    q.refused("duplicate_turn_id", RegisterTurn, person_key="p2", display_name="B", turn_id="x")


def test_max_turns_per_person_counts_all_but_withdrawn_and_rejected():
    q = Q()  # default 2
    a = q.reg("p1")
    q.reg("p1")
    err = q.refused("max_turns_reached", RegisterTurn, person_key="p1", display_name="Người p1")
    assert "2 lượt" in err.message
    q.do(Withdraw, turn_id=a)
    q.reg("p1")  # a withdrawn turn gives the slot back
    q.refused("max_turns_reached", RegisterTurn, person_key="p1", display_name="Người p1")
    r = q.reg("p2", source="qr")
    q.do(RejectTurn, turn_id=r, reason="trùng")
    q.reg("p2")
    q.reg("p2")


def test_max_turns_zero_means_unlimited():
    q = Q(QueueSettings(max_turns_per_person=0))
    for _ in range(5):
        q.reg("p1")
    assert len(q.order()) == 5


def test_approve_and_reject():
    q = Q()
    a = q.reg("p1", source="qr")
    b = q.reg("p2", source="qr")
    q.do(ApproveTurn, turn_id=a)
    assert q.status(a) == "waiting"
    q.do(RejectTurn, turn_id=b, reason="không phải người dân trong xã")
    assert q.status(b) == "rejected"
    assert q.state.history[-1].reason == "không phải người dân trong xã"
    q.refused("invalid_status", ApproveTurn, turn_id=a)
    q.refused("invalid_status", RejectTurn, turn_id=b)
    q.refused("turn_not_found", ApproveTurn, turn_id="nope")


def test_approved_turn_keeps_its_registration_place():
    q = Q()
    a = q.reg("p1", source="qr")
    q.tick(5)
    b = q.reg("p2")
    q.do(ApproveTurn, turn_id=a)
    assert q.order() == [a, b]


# --- calling and speaking ---------------------------------------------------------


def test_call_next_is_first_come_first_served():
    q = Q()
    a, b, c = q.reg("p1"), q.reg("p2"), q.reg("p3")
    assert q.order() == [a, b, c]
    q.do(CallNext)
    assert q.state.current_turn_id == a
    assert q.status(a) == "called"
    assert q.state.turn(a).called_at == T0
    assert [e.type for e in q.events] == ["turn_called"]


def test_call_next_refused_while_someone_has_the_floor_and_when_empty():
    q = Q()
    q.refused("queue_empty", CallNext)
    q.reg("p1")
    q.reg("p2")
    q.do(CallNext)
    q.refused("floor_busy", CallNext)


def test_first_timers_go_before_repeat_speakers():
    q = Q()
    a1 = q.reg("A")
    q.speak(a1)
    a2 = q.reg("A")  # A has spoken: repeat speaker
    b = q.reg("B")
    c = q.reg("C")
    assert q.order() == [b, c, a2]
    # A's two waiting turns: only the earliest can be a first-timer turn
    d1 = q.reg("D")
    d2 = q.reg("D")
    assert q.order() == [b, c, d1, a2, d2]


def test_fcfs_only_when_first_timers_first_is_off():
    q = Q(QueueSettings(first_timers_first=False))
    a1 = q.reg("A")
    q.speak(a1)
    a2 = q.reg("A")
    b = q.reg("B")
    assert q.order() == [a2, b]


def test_repeat_turn_becomes_first_timer_when_the_earlier_turn_leaves():
    q = Q()
    a1 = q.reg("A")
    b = q.reg("B")
    a2 = q.reg("A")
    c = q.reg("C")
    assert q.order() == [a1, b, c, a2]
    q.do(Withdraw, turn_id=a1)
    assert q.order() == [b, a2, c]  # A has not spoken: a2 is A's first turn now, by its place


def test_call_turn_out_of_order_needs_a_reason():
    q = Q()
    a, b = q.reg("p1"), q.reg("p2")
    q.refused("reason_required", CallTurn, turn_id=b)
    q.do(CallTurn, turn_id=b, reason="người cao tuổi")
    assert q.state.current_turn_id == b
    assert "trước lượt" in q.state.history[-1].summary
    assert q.state.history[-1].reason == "người cao tuổi"
    q.refused("floor_busy", CallTurn, turn_id=a)


def test_call_turn_in_order_needs_no_reason():
    q = Q()
    a = q.reg("p1")
    q.do(CallTurn, turn_id=a)
    assert q.state.current_turn_id == a


def test_call_turn_refuses_a_turn_that_is_not_waiting():
    q = Q()
    a = q.reg("p1", source="qr")
    q.refused("invalid_status", CallTurn, turn_id=a, reason="x")


def test_start_pause_resume_end_and_the_timer():
    q = Q()
    a = q.reg("p1")
    q.do(CallNext)
    assert timer(q.state.turn(a), q.state.settings, q.now).running is False
    q.tick(7)
    q.do(Start, turn_id=a)
    assert q.status(a) == "speaking"
    q.tick(100)
    q.do(Pause, turn_id=a)
    assert q.status(a) == "paused"
    q.tick(40)  # paused time does not count
    view = timer(q.state.turn(a), q.state.settings, q.now)
    assert (view.elapsed, view.running, view.paused, view.ends_at) == (100, False, True, None)
    q.do(Resume, turn_id=a)
    q.tick(55)
    view = timer(q.state.turn(a), q.state.settings, q.now)
    assert view.elapsed == 155 and view.remaining == 25 and view.warning and not view.overtime
    assert view.ends_at == q.now + timedelta(seconds=25)
    q.tick(30)
    view = timer(q.state.turn(a), q.state.settings, q.now)
    assert view.overtime and view.remaining == -5 and not view.warning
    q.do(End, turn_id=a)
    assert q.status(a) == "done"
    assert q.state.current_turn_id is None
    assert q.events[0].type == "speech_ended" and q.events[0].data["elapsed"] == 185
    q.tick(1000)  # a finished turn's clock stays still
    assert timer(q.state.turn(a), q.state.settings, q.now).elapsed == 185


def test_end_while_paused_closes_the_pause():
    q = Q()
    a = q.reg("p1")
    q.do(CallNext)
    q.do(Start, turn_id=a)
    q.tick(10)
    q.do(Pause, turn_id=a)
    q.tick(20)
    q.do(End, turn_id=a)
    turn = q.state.turn(a)
    assert turn.paused_spans == ((T0 + timedelta(seconds=10), T0 + timedelta(seconds=30)),)
    assert timer(turn, q.state.settings, q.now + timedelta(hours=1)).elapsed == 10


def test_timer_allows_interpreter_and_answer_time():
    s = QueueSettings()
    q = Q()
    a = q.reg("p1", needs_interpreter=True, language="M'Nông")
    assert timer(q.state.turn(a), s, q.now).allowed == 180 + 120
    q.do(AddAnswerTurn, petition_id="KN-1", official_name="Trần Thị B", role="Chủ tịch UBND xã",
         turn_id="ans")
    assert timer(q.state.turn("ans"), s, q.now).allowed == 300


def test_timer_survives_restart_through_the_codec():
    q = Q()
    a = q.reg("p1")
    q.do(CallNext)
    q.do(Start, turn_id=a)
    q.tick(42)
    restored = from_dict(json.loads(json.dumps(to_dict(q.state))))
    later = q.now + timedelta(seconds=8)
    assert timer(restored.turn(a), restored.settings, later).elapsed == 50


def test_timer_accepts_any_timezone_and_refuses_naive_instants():
    q = Q()
    a = q.reg("p1")
    q.do(CallNext)
    q.do(Start, turn_id=a)
    hcm = timezone(timedelta(hours=7))
    assert timer(q.state.turn(a), q.state.settings, (T0 + timedelta(seconds=3)).astimezone(hcm)).elapsed == 3
    with pytest.raises(ValueError):
        timer(q.state.turn(a), q.state.settings, datetime(2025, 3, 1, 8, 0))
    with pytest.raises(ValueError):
        apply(q.state, CallNext(command_id="z", base_version=q.state.version),
              datetime(2025, 3, 1), "x")


@pytest.mark.parametrize(
    ("cls", "wanted"),
    [(Start, "called"), (Pause, "speaking"), (Resume, "paused"), (End, "speaking")],
)
def test_floor_commands_refuse_wrong_status(cls, wanted):
    q = Q()
    a = q.reg("p1")
    q.refused("invalid_status", cls, turn_id=a)  # still waiting
    q.refused("turn_not_found", cls, turn_id="nope")


def test_floor_commands_refuse_a_turn_that_does_not_have_the_floor():
    q = Q()
    a = q.reg("p1")
    q.do(CallNext)
    q.do(Start, turn_id=a)
    # stored data where the speaking turn is not the current one (damaged on disk)
    data = to_dict(q.state)
    data["current_turn_id"] = None
    q.state = from_dict(data)
    q.refused("not_current", Pause, turn_id=a)
    q.refused("not_current", End, turn_id=a)


def test_skip_withdraw_defer_requeue():
    q = Q()
    a, b, c = q.reg("p1"), q.reg("p2"), q.reg("p3")
    q.refused("invalid_status", Skip, turn_id=a)  # only a called turn can be skipped
    q.do(CallNext)
    q.do(Skip, turn_id=a)
    assert q.status(a) == "skipped" and q.state.current_turn_id is None
    q.do(CallNext)
    q.do(Defer, turn_id=b, reason="cần chuẩn bị tài liệu")
    assert q.status(b) == "deferred" and q.state.current_turn_id is None
    q.do(Withdraw, turn_id=c)
    assert q.status(c) == "withdrawn"
    assert q.order() == []
    q.do(Requeue, turn_id=b)
    q.do(Requeue, turn_id=a)
    assert q.order() == [b, a]  # requeued turns go to the end of the line, in requeue order
    q.refused("invalid_status", Requeue, turn_id=c)
    q.refused("invalid_status", Withdraw, turn_id=c)
    q.do(CallNext)
    q.do(Start, turn_id=b)
    q.refused("invalid_status", Withdraw, turn_id=b)  # a speaker ends, not withdraws
    q.refused("invalid_status", Defer, turn_id=b)
    q.do(End, turn_id=b)
    q.refused("invalid_status", Requeue, turn_id=b)


def test_withdraw_of_the_called_turn_frees_the_floor():
    q = Q()
    a = q.reg("p1")
    q.reg("p2")
    q.do(CallNext)
    q.do(Withdraw, turn_id=a)
    assert q.state.current_turn_id is None
    q.do(CallNext)


# --- manual order ------------------------------------------------------------------


def test_move_needs_a_reason_and_is_recorded():
    q = Q()
    a, b, c = q.reg("p1"), q.reg("p2"), q.reg("p3")
    q.refused("reason_required", Move, turn_id=c, new_index=0, reason="  ")
    q.do(Move, turn_id=c, new_index=0, reason="người khuyết tật")
    assert q.order() == [c, a, b]
    entry = q.state.history[-1]
    assert entry.command == "move" and entry.reason == "người khuyết tật"
    assert "từ vị trí 3 sang vị trí 1" in entry.summary
    q.do(Move, turn_id=c, new_index=2, reason="nhường lượt")
    assert q.order() == [a, b, c]


def test_move_refusals():
    q = Q()
    a, b = q.reg("p1"), q.reg("p2")
    q.refused("bad_index", Move, turn_id=a, new_index=2, reason="x")
    q.refused("bad_index", Move, turn_id=a, new_index=-1, reason="x")
    q.refused("no_change", Move, turn_id=a, new_index=0, reason="x")
    q.do(CallNext)
    q.refused("invalid_status", Move, turn_id=a, new_index=0, reason="x")
    assert b


def test_move_across_fairness_tiers_overrides_the_tier():
    q = Q()
    a1 = q.reg("A")
    q.speak(a1)
    a2 = q.reg("A")
    b, c = q.reg("B"), q.reg("C")
    assert q.order() == [b, c, a2]
    q.do(Move, turn_id=a2, new_index=0, reason="cần về sớm")
    assert q.order() == [a2, b, c]
    d = q.reg("D")  # a newcomer still queues behind the moved turn
    assert q.order() == [a2, b, c, d]
    q.do(Move, turn_id=b, new_index=3, reason="chờ người phiên dịch")
    assert q.order() == [a2, c, d, b]
    e = q.reg("E")
    assert q.order() == [a2, c, d, b, e]


def test_move_between_tiers_keeps_everyone_elses_order():
    q = Q()
    r = q.reg("R")
    q.speak(r)
    r2 = q.reg("R")  # repeat, registered before p's turns
    p1 = q.reg("P")
    p2 = q.reg("P")  # repeat (P's second)
    assert q.order() == [p1, r2, p2]
    q.do(Move, turn_id=p2, new_index=1, reason="x")
    assert q.order() == [p1, p2, r2]


# --- answer turns and petitions ---------------------------------------------------------


def test_answer_turn_goes_before_citizens_in_the_order_added():
    q = Q()
    a, b = q.reg("p1"), q.reg("p2")
    q.do(CallNext)
    q.do(AddAnswerTurn, petition_id="KN-1", official_name="Trần Văn Cường",
         role="Phó Chủ tịch UBND xã", turn_id="ans1")
    q.do(AddAnswerTurn, petition_id="KN-2", official_name="Lê Thị Dung", turn_id="ans2")
    assert q.order() == ["ans1", "ans2", b]
    turn = q.state.turn("ans1")
    assert (turn.kind, turn.answers_petition_id, turn.petition_ids) == ("answer", "KN-1", ("KN-1",))
    assert turn.person_key == "official:Trần Văn Cường"
    q.refused("answer_exists", AddAnswerTurn, petition_id="KN-1", official_name="X")
    q.refused("text_required", AddAnswerTurn, petition_id=" ", official_name="X")
    assert a


def test_answer_turns_do_not_count_as_citizen_turns():
    q = Q(QueueSettings(max_turns_per_person=1))
    for i in range(3):
        q.do(AddAnswerTurn, petition_id=f"KN-{i}", official_name="Trần Văn Cường",
             person_key="off-1")
    q.do(RegisterTurn, person_key="off-1", display_name="Trần Văn Cường")


def test_a_finished_answer_allows_a_new_one_for_the_same_petition():
    q = Q()
    q.do(AddAnswerTurn, petition_id="KN-1", official_name="X", turn_id="ans")
    q.speak("ans")
    q.do(AddAnswerTurn, petition_id="KN-1", official_name="X", turn_id="ans-b")


def test_link_petition():
    q = Q()
    a = q.reg("p1", petition_ids=("KN-1", "KN-1"))
    assert q.state.turn(a).petition_ids == ("KN-1",)
    q.do(LinkPetition, turn_id=a, petition_id="KN-2")
    assert q.state.turn(a).petition_ids == ("KN-1", "KN-2")
    q.refused("already_linked", LinkPetition, turn_id=a, petition_id="KN-2")
    q.speak(a)
    q.do(LinkPetition, turn_id=a, petition_id="KN-3")  # the secretary may link after the speech
    r = q.reg("p2", source="qr")
    q.do(RejectTurn, turn_id=r)
    q.refused("invalid_status", LinkPetition, turn_id=r, petition_id="KN-4")


# --- time and settings ------------------------------------------------------------------


def test_extend_time():
    q = Q()
    a, b = q.reg("p1"), q.reg("p2")
    q.refused("invalid_status", ExtendTime, turn_id=a, seconds=60, reason="x")
    q.do(CallNext)
    q.do(Start, turn_id=a)
    q.refused("reason_required", ExtendTime, turn_id=a, seconds=60, reason="")
    q.refused("bad_seconds", ExtendTime, turn_id=a, seconds=0, reason="x")
    q.refused("bad_seconds", ExtendTime, turn_id=a, seconds=3601, reason="x")
    q.do(ExtendTime, turn_id=a, seconds=60, reason="nội dung phức tạp")
    q.do(ExtendTime, turn_id=a, seconds=30, reason="thêm")
    assert timer(q.state.turn(a), q.state.settings, q.now).allowed == 270
    q.refused("invalid_status", ExtendTime, turn_id=b, seconds=60, reason="x")


def test_update_settings():
    q = Q()
    new = QueueSettings(speaking_seconds=120, max_turns_per_person=1)
    q.do(UpdateSettings, settings=new, reason="đông người đăng ký")
    assert q.state.settings == new
    assert q.events[0].data == {"speaking_seconds": 120, "max_turns_per_person": 1}
    q.refused("no_change", UpdateSettings, settings=new)
    q.refused("invalid_settings", UpdateSettings, settings=QueueSettings(speaking_seconds=0))
    q.refused("invalid_settings", UpdateSettings, settings=QueueSettings(warning_seconds=-1))
    with pytest.raises(DomainError) as info:
        new_queue(1, QueueSettings(max_turns_per_person=-1))
    assert info.value.code == "invalid_settings"


# --- versions, idempotency, undo ---------------------------------------------------------


def test_same_command_id_is_applied_once():
    q = Q()
    cmd = RegisterTurn(command_id="same", base_version=0, person_key="p1", display_name="A")
    first = apply(q.state, cmd, T0, "x")
    again = apply(first.state, cmd, T0 + timedelta(seconds=3), "x")
    assert again.state is first.state and again.events == ()
    assert len(again.state.turns) == 1


def test_stale_base_version_conflicts_for_order_and_floor_commands():
    q = Q()
    a = q.reg("p1")
    q.reg("p2")
    stale = q.state.version
    q.do(CallNext)
    err = q.refused("version_conflict", CallNext, base_version=stale)
    assert err.details == {"base_version": stale, "version": q.state.version}
    q.refused("version_conflict", Move, base_version=stale, turn_id=a, new_index=1, reason="x")
    q.refused("bad_version", CallNext, base_version=q.state.version + 1)
    q.refused("bad_version", CallNext, base_version=-1)


def test_commutative_commands_apply_on_an_older_version():
    q = Q()
    a = q.reg("p1")
    r = q.reg("p2", source="qr")
    stale = q.state.version
    q.do(CallNext)
    q.do(RegisterTurn, base_version=stale, person_key="p3", display_name="C")
    q.do(ApproveTurn, base_version=stale, turn_id=r)
    q.do(LinkPetition, base_version=stale, turn_id=a, petition_id="KN-1")
    q.do(AddAnswerTurn, base_version=stale, petition_id="KN-1", official_name="X")
    q.do(Withdraw, base_version=stale, turn_id=r)
    q.refused("invalid_status", ApproveTurn, base_version=stale, turn_id=r)


def test_versions_increase_by_one_per_change_and_refusals_change_nothing():
    q = Q()
    versions = [q.state.version]
    a = q.reg("p1")
    versions.append(q.state.version)
    q.do(CallNext)
    versions.append(q.state.version)
    q.refused("floor_busy", CallNext)
    versions.append(q.state.version)
    q.do(Start, turn_id=a)
    versions.append(q.state.version)
    assert versions == [0, 1, 2, 2, 3]
    assert [h.version for h in q.state.history] == [1, 2, 3]


def test_undo_restores_the_previous_state_and_is_audited():
    q = Q()
    a, b = q.reg("p1"), q.reg("p2")
    before = q.state
    q.do(CallNext, actor="chu-toa-2")
    q.do(Undo, reason="bấm nhầm")
    after = q.state
    assert after.turns == before.turns
    assert after.current_turn_id == before.current_turn_id is None
    assert after.version == before.version + 2
    entry = after.history[-1]
    assert (entry.command, entry.reason, entry.actor) == ("undo", "bấm nhầm", "chu-toa")
    assert after.history[-2].actor == "chu-toa-2"
    assert entry.summary.startswith("Hoàn tác: Mời phát biểu")
    assert q.events[0].type == "undone"
    q.refused("reason_required", Undo, reason="")
    # undo several steps back, then nothing more
    q.do(Undo, reason="x")
    assert [t.id for t in q.state.turns] == [a]
    q.do(Undo, reason="x")
    assert q.state.turns == ()
    q.refused("nothing_to_undo", Undo, reason="x")
    assert b


def test_undo_restores_settings_and_an_ended_turn():
    q = Q()
    a = q.reg("p1")
    q.do(CallNext)
    q.do(Start, turn_id=a)
    q.tick(30)
    speaking = q.state
    q.do(End, turn_id=a)
    q.do(Undo, reason="chưa nói xong")
    assert q.state.turns == speaking.turns and q.state.current_turn_id == a
    q.do(UpdateSettings, settings=QueueSettings(speaking_seconds=60))
    q.do(Undo, reason="x")
    assert q.state.settings == QueueSettings()


def test_undo_stack_is_bounded():
    q = Q(QueueSettings(max_turns_per_person=0))
    for _ in range(30):
        q.reg("p1")
    assert len(q.state.undo_stack) == 20


# --- serialisation and views -----------------------------------------------------------------


def _busy_queue() -> Q:
    q = Q()
    a = q.reg("cccd-0001", "Nguyễn Văn An", hamlet="Thôn 3", petition_ids=("KN-1",),
              turn_id="t1", topic="Đường liên thôn")
    b = q.reg("cccd-0002", "Hoàng Thị Bích", hamlet="Bon Bu Prăng", consent_full_name=True,
              turn_id="t2")
    q.reg("cccd-0003", "Điểu K'Rư", hamlet="Bon Ja Ráh", needs_interpreter=True,
          language="M'Nông", turn_id="t3")
    q.reg("cccd-0004", "Lê C", source="qr", turn_id="t4")
    q.do(CallNext)
    q.do(Start, turn_id=a)
    q.tick(12.345678)
    q.do(Pause, turn_id=a)
    q.do(Move, turn_id=b, new_index=1, reason="lý do")
    q.do(AddAnswerTurn, petition_id="KN-1", official_name="Trần Văn Cường",
         role="Chủ tịch UBND xã")
    return q


def test_to_dict_from_dict_round_trip_is_exact_and_json_safe():
    q = _busy_queue()
    data = to_dict(q.state)
    text = json.dumps(data, ensure_ascii=False)
    restored = from_dict(json.loads(text))
    assert restored == q.state
    assert to_dict(restored) == data
    # and the restored queue keeps working
    cmd = Resume(command_id="r1", base_version=restored.version,
                 turn_id=restored.current_turn_id)
    assert apply(restored, cmd, q.now, "x").state == apply(q.state, cmd, q.now, "x").state


def _schema1(state) -> dict:
    """What the first schema stored: every list of turns written out in full."""
    data = to_dict(state)
    table = data.pop("turn_table")
    data["schema"] = 1
    data["turns"] = [table[i] for i in data["turns"]]
    for u in data["undo_stack"]:
        u["turns"] = [table[i] for i in u["turns"]]
    return data


def test_each_distinct_turn_is_stored_once_and_shared_again_when_read():
    q = _busy_queue()
    data = to_dict(q.state)
    assert data["schema"] == 2
    distinct = {id(t) for t in q.state.turns} | {id(t) for u in q.state.undo_stack for t in u.turns}
    assert len(data["turn_table"]) == len(distinct)
    references = len(q.state.turns) + sum(len(u.turns) for u in q.state.undo_stack)
    assert len(data["turn_table"]) < references  # undo copies share turns with the state
    restored = from_dict(json.loads(json.dumps(data)))
    shared = {id(t) for t in restored.turns} | {id(t) for u in restored.undo_stack for t in u.turns}
    assert len(shared) == len(distinct)
    assert to_dict(restored) == data


def test_a_state_stored_by_the_first_schema_is_still_read():
    q = _busy_queue()
    old = _schema1(q.state)
    restored = from_dict(json.loads(json.dumps(old)))
    assert restored == q.state
    # saved again, it is written in the current schema
    assert from_dict(to_dict(restored)) == q.state


def test_view_dict_writes_every_turn_out_without_undo_copies():
    q = _busy_queue()
    view = view_dict(q.state, recent_final=None)
    assert [t["id"] for t in view["turns"]] == [t.id for t in q.state.turns]
    assert view_dict(q.state)["turns"] == view["turns"]  # few finished turns: all shown
    assert view["turns"] == _schema1(q.state)["turns"]
    assert "undo_stack" not in view and "applied_command_ids" not in view
    assert view["version"] == q.state.version


def test_from_dict_refuses_an_unknown_schema():
    data = to_dict(new_queue(1))
    data["schema"] = 99
    with pytest.raises(ValueError):
        from_dict(data)


def test_public_view_masks_names_and_shows_no_private_data():
    q = _busy_queue()
    q.do(Resume, turn_id=q.state.current_turn_id)
    q.tick(10)
    view = public_view(q.state, q.now)
    json.dumps(view)
    assert view["current"]["name"] == "Nguyễn V. A. - Thôn 3"
    assert view["current"]["status"] == "speaking"
    assert view["timer"]["running"] is True
    assert view["timer"]["elapsed"] == pytest.approx(22.346, abs=0.001)
    names = [n["name"] for n in view["next"]]
    assert names == [
        "Trần Văn Cường - Chủ tịch UBND xã",  # an official answers in full name
        "Điểu K. - Bon Ja Ráh",
        "Hoàng Thị Bích - Bon Bu Prăng",  # consented to the full name; moved after Điểu K.
    ]
    assert [n["position"] for n in view["next"]] == [1, 2, 3]
    assert view["next"][1]["needs_interpreter"] is True
    text = json.dumps(view, ensure_ascii=False)
    for private in ("Nguyễn Văn An", "Điểu K'Rư", "cccd", "KN-1", "Lê C", "Đường", "topic"):
        assert private not in text


def test_public_view_shows_at_most_five_next():
    q = Q()
    ids = [q.reg(f"p{i}") for i in range(8)]
    view = public_view(q.state, q.now)
    assert view["current"] is None and view["timer"] is None
    assert [n["turn_id"] for n in view["next"]] == ids[:5]
    assert view["waiting_count"] == 8


def test_next_speakers_is_what_call_next_picks():
    q = Q()
    a1 = q.reg("A")
    q.speak(a1)
    q.reg("A")
    q.reg("B")
    q.do(AddAnswerTurn, petition_id="KN", official_name="X")
    expected = [t.id for t in next_speakers(q.state)]
    assert [t.id for t in next_speakers(q.state, 2)] == expected[:2]
    called = []
    while next_speakers(q.state):
        called.append(q.speak())
    assert called == expected


# --- commands from JSON --------------------------------------------------------------------------


def test_command_from_dict_round_trip_and_errors():
    cmd = RegisterTurn(command_id="c", base_version=3, person_key="p", display_name="A",
                       petition_ids=("KN-1",), source="qr")
    assert command_from_dict(json.loads(json.dumps(command_to_dict(cmd)))) == cmd
    settings = UpdateSettings(command_id="s", base_version=1,
                              settings=QueueSettings(speaking_seconds=90))
    assert command_from_dict(json.loads(json.dumps(command_to_dict(settings)))) == settings
    for bad in (
        {"type": "fly", "command_id": "c", "base_version": 0},
        {"type": "call_next", "command_id": "c"},
        {"type": "call_next", "command_id": "c", "base_version": "1"},
        {"type": "call_next", "command_id": "c", "base_version": True},
        {"type": "call_next", "command_id": "c", "base_version": 0, "extra": 1},
        {"type": "move", "command_id": "c", "base_version": 0, "turn_id": "t", "new_index": 1.5,
         "reason": "x"},
        {"type": "update_settings", "command_id": "c", "base_version": 0,
         "settings": {"nope": 1}},
        [],
    ):
        with pytest.raises(DomainError) as info:
            command_from_dict(bad)
        assert info.value.code == "bad_command"


def test_empty_command_id_is_refused():
    q = Q()
    q.refused("bad_command", CallNext, command_id=" ")


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "short"),
    [
        ("Nguyễn Văn An", "Nguyễn V. A."),
        ("  nguyễn   văn   an ", "Nguyễn V. A."),
        ("NGUYỄN THỊ MINH KHAI", "Nguyễn T. M. K."),
        ("Y Bih Niê", "Y B. N."),
        ("Điểu K'Rư", "Điểu K."),
        ("Hùng", "H."),
        ("Nguye\u0302\u0303n Ân", "Nguyễn Â."),  # decomposed input comes out NFC
        ("", ""),
    ],
)
def test_short_name(full, short):
    assert short_name(full) == short


def test_public_name():
    assert public_name("Nguyễn Văn An", "Thôn 3", False) == "Nguyễn V. A. - Thôn 3"
    assert public_name("Nguyễn Văn An", "Thôn 3", True) == "Nguyễn Văn An - Thôn 3"
    assert public_name("Nguyễn Văn An", None, False) == "Nguyễn V. A."
    assert public_name("", "Thôn 3", False) == "Thôn 3"


def test_the_stored_state_keeps_windows_so_a_command_costs_the_same_all_day():
    from server.domain.queue_model import MAX_APPLIED_IDS, MAX_HISTORY

    q = Q()
    a = q.reg("p1")
    for _ in range(MAX_APPLIED_IDS + 50):  # pause/resume style churn: extend the waiting turn
        q.do(CallNext)
        q.do(Skip, turn_id=a, reason="vắng mặt")
        q.do(Requeue, turn_id=a, reason="đã quay lại")
        if len(q.state.history) >= MAX_HISTORY and len(q.state.applied_command_ids) >= MAX_APPLIED_IDS:
            break
    assert len(q.state.history) == MAX_HISTORY
    assert [h.version for h in q.state.history] == list(
        range(q.state.version - MAX_HISTORY + 1, q.state.version + 1))
    assert len(q.state.applied_command_ids) <= MAX_APPLIED_IDS
    assert len(json.dumps(to_dict(q.state))) < 200_000


def test_view_dict_keeps_unfinished_turns_and_the_last_finished_ones_with_per_person_counts():
    q = Q(QueueSettings(max_turns_per_person=0))
    for i in range(15):
        t = q.reg("p-an" if i % 5 == 0 else f"p{i}", hamlet="Thôn 3")
        q.do(CallTurn, turn_id=t, reason="theo danh sách")
        q.do(Start, turn_id=t)
        q.do(End, turn_id=t)
    waiting = q.reg("p-an")
    view = view_dict(q.state, recent_final=4)
    ids = [t["id"] for t in view["turns"]]
    finished = [t.id for t in q.state.turns if t.status == "done"]
    assert ids == [*finished[-4:], waiting]  # state order kept
    assert view["earlier_final_turns"] == 11
    # counted over the whole day, not over what the view shows
    assert view["people"]["p-an"] == {"turns_used": 4, "spoken": True}
    assert set(view["people"]) == {t["person_key"] for t in view["turns"]}


def test_view_dict_keeps_the_last_turns_set_aside_and_the_last_history_entries():
    q = Q()
    skipped = []
    for i in range(14):
        t = q.reg(f"p{i}")
        q.do(CallNext)
        if i % 7 == 6:
            q.do(Defer, turn_id=t, reason="chờ tài liệu")
        else:
            q.do(Skip, turn_id=t, reason="vắng mặt")
        skipped.append(t)
    waiting = q.reg("p-cuoi")
    view = view_dict(q.state, recent_aside=5, history=3)
    assert [t["id"] for t in view["turns"]] == [*skipped[-5:], waiting]
    assert view["earlier_aside_turns"] == 9 and view["earlier_final_turns"] == 0
    assert [h["version"] for h in view["history"]] == [q.state.version - 2, q.state.version - 1,
                                                       q.state.version]
    assert set(view["people"]) == {t["person_key"] for t in view["turns"]}
    whole = view_dict(q.state, recent_aside=None, history=None)
    assert [t["id"] for t in whole["turns"]] == [*skipped, waiting]
    assert whole["earlier_aside_turns"] == 0 and len(whole["history"]) == len(q.state.history)
    # a turn brought back is in the line again, whatever its age
    q.do(Requeue, turn_id=skipped[0], reason="đã quay lại")
    assert skipped[0] in [t["id"] for t in view_dict(q.state, recent_aside=5)["turns"]]


def test_view_dict_counts_each_persons_turns_over_the_day_however_they_are_cut():
    q = Q(QueueSettings(max_turns_per_person=0))
    for i in range(12):
        t = q.reg("p-an" if i % 3 == 0 else f"p{i}")
        q.do(CallTurn, turn_id=t, reason="theo danh sách")
        if i % 4 == 1:
            q.do(Skip, turn_id=t)
        else:
            q.do(Start, turn_id=t)
            q.do(End, turn_id=t)
    late = q.reg("p-an")
    q.do(Withdraw, turn_id=q.reg("p-an"))
    for final, aside in ((0, 0), (2, 1), (None, None)):
        view = view_dict(q.state, recent_final=final, recent_aside=aside)
        assert view["people"]["p-an"] == {"turns_used": 5, "spoken": True}, (final, aside)
        assert late in [t["id"] for t in view["turns"]]
    q.do(CallTurn, turn_id=late, reason="theo danh sách")
    assert view_dict(q.state, recent_final=0)["people"]["p-an"]["turns_used"] == 5


def test_to_json_is_the_json_of_to_dict_and_reads_back():
    from server.domain.queue_codec import to_json

    q = _busy_queue()
    q.do(Undo, reason="bấm nhầm")
    text = to_json(q.state)
    assert json.loads(text) == json.loads(json.dumps(to_dict(q.state)))
    assert from_dict(json.loads(text)) == q.state
    assert json.loads(to_json(q.state)) == json.loads(text)  # from the cached turn texts


# --- closing the list, the hall's balance, a hamlet's time budget ------------------------


def _run(state, now, **command):
    from server.domain.queue import apply, command_from_dict

    command = {"command_id": f"c{state.version + 1}", "base_version": state.version, **command}
    return apply(state, command_from_dict(command), now, "chủ tọa").state


def test_a_closed_list_takes_no_citizen_but_still_an_answer_and_undo_reopens_it():
    from datetime import UTC, datetime

    from server.domain.queue import DomainError, new_queue

    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    s = _run(new_queue(1), now, type="register_turn", person_key="a", display_name="An")
    s = _run(s, now, type="close_list", reason="Hết giờ nhận đăng ký")
    assert not s.settings.registrations_open
    assert s.history[-1].summary == "Đóng danh sách đăng ký phát biểu"
    try:
        _run(s, now, type="register_turn", person_key="b", display_name="Bình")
        raise AssertionError("registered on a closed list")
    except DomainError as exc:
        assert exc.code == "list_closed" and "đóng danh sách" in exc.message
    s = _run(s, now, type="add_answer_turn", official_name="Ông Chủ tịch", petition_id="7")
    assert [t.kind for t in s.turns] == ["citizen", "answer"]
    s = _run(s, now, type="undo", reason="Đóng nhầm")  # undoes the answer turn
    s = _run(s, now, type="undo", reason="Đóng nhầm")  # undoes the closing
    assert s.settings.registrations_open
    s = _run(s, now, type="register_turn", person_key="b", display_name="Bình")
    assert len(s.turns) == 2


def test_balance_and_a_hamlet_over_its_budget_waits_behind_the_others():
    from datetime import UTC, datetime, timedelta

    from server.domain.queue import QueueSettings, new_queue, next_speakers
    from server.domain.queue_rules import balance

    t0 = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    s = new_queue(1, QueueSettings(hamlet_budget_seconds=300))
    for key, name, hamlet in (("a", "An", "Thôn 1"), ("b", "Bình", "thôn 1 "),
                              ("c", "Chi", "Thôn 2"), ("d", "Dũng", "Thôn 1"),
                              ("e", "Én", "Thôn 3")):
        s = _run(s, t0, type="register_turn", person_key=key, display_name=name, hamlet=hamlet,
                 turn_id=key)
    # An (Thôn 1) speaks 200 s, then Bình (also Thôn 1, spelled otherwise) 150 s
    for turn, start, seconds in (("a", 0, 200), ("b", 300, 150)):
        s = _run(s, t0 + timedelta(seconds=start), type="call_turn", turn_id=turn,
                 reason="thử")
        s = _run(s, t0 + timedelta(seconds=start), type="start", turn_id=turn)
        s = _run(s, t0 + timedelta(seconds=start + seconds), type="end", turn_id=turn)
    # Thôn 1 used 350 s of its 300: Dũng (Thôn 1) waits behind Chi and Én
    assert [t.id for t in next_speakers(s)] == ["c", "e", "d"]
    got = balance(s, t0 + timedelta(seconds=500))
    assert got["hamlets"][0] == {"hamlet": "Thôn 1", "turns": 2, "people": 2,
                                 "seconds": 350.0, "budget_left": 0.0}
    assert [(p["name"], p["turns"], p["seconds"]) for p in got["people"]] == [
        ("An", 1, 200.0), ("Bình", 1, 150.0)]
    # the chair overrides with a reason (the Move's reason goes to the audit log)
    s = _run(s, t0 + timedelta(seconds=501), type="move", turn_id="d", new_index=0,
             reason="Chủ tọa cho phát biểu trước")
    assert next_speakers(s)[0].id == "d"


def test_the_run_of_show_moves_between_phases_and_undo_puts_the_phase_back():
    from datetime import UTC, datetime, timedelta

    from server.domain.phases import phase_at, timeline
    from server.domain.queue import DomainError, from_dict, new_queue, public_view, to_dict

    t0 = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    s = _run(new_queue(1), t0, type="set_phase", phase="opening")
    s = _run(s, t0 + timedelta(minutes=25), type="set_phase", phase="opinions")
    assert public_view(s, t0)["phase_label"] == "Nhân dân phát biểu ý kiến"
    assert s.history[-1].summary == "Chuyển sang phần: Nhân dân phát biểu ý kiến"
    line = timeline(s.phases, t0 + timedelta(minutes=40))
    assert [(p["phase"], p["used_seconds"], p["current"]) for p in line[:3]] == [
        ("opening", 1500.0, False), ("opinions", 900.0, True), ("answers", 0.0, False)]
    assert line[0]["planned_seconds"] == 20 * 60
    # what the tablets receive is plain JSON (socket.io cannot send a datetime)
    from server.queue.service import staff_view

    json.dumps(staff_view(s, t0 + timedelta(minutes=40)))
    assert line[0]["ended_at"] == (t0 + timedelta(minutes=25)).isoformat()
    assert phase_at(s.phases, t0 + timedelta(minutes=30)) == "opinions"
    assert phase_at(s.phases, t0 - timedelta(minutes=1)) is None
    for bad in ("khai-mac", ""):
        try:
            _run(s, t0, type="set_phase", phase=bad)
            raise AssertionError("a phase that does not exist was accepted")
        except DomainError as exc:
            assert exc.code == "bad_command"
    assert from_dict(to_dict(s)) == s
    s = _run(s, t0 + timedelta(minutes=41), type="undo", reason="Bấm nhầm")
    assert [p for p, _ in s.phases] == ["opening"]
