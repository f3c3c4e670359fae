"""Property tests: random sequences of commands against the queue's promises.

Hypothesis drives the real `apply` with commands from two tablets and the QR
form (some on stale versions, some sent twice) and checks after every step:
nobody is lost, never two people have the floor, CallNext is fair, the maximum
number of turns holds, versions only grow, a resent command is applied once,
Undo puts back exactly the previous queue, and the stored form round-trips.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from server.domain import queue_codec, queue_rules
from server.domain.queue import (
    AddAnswerTurn,
    ApproveTurn,
    CallNext,
    CallTurn,
    Command,
    Defer,
    DomainError,
    End,
    ExtendTime,
    LinkPetition,
    Move,
    Pause,
    QueueSettings,
    RegisterTurn,
    RejectTurn,
    Requeue,
    Resume,
    SetPhase,
    Skip,
    Start,
    Undo,
    UpdateSettings,
    Withdraw,
    apply,
    command_to_dict,
    from_dict,
    new_queue,
    next_speakers,
    public_view,
    replay,
    to_dict,
)
from server.domain.queue_model import (
    COUNTED_STATUSES,
    FLOOR_STATUSES,
    MAX_UNDO,
    STATUSES,
    Turn,
    changed_turns,
)
from server.domain.queue_rules import balance, balance_view

PEOPLE = ["A", "B", "C", "D", "E"]
PETITIONS = ["KN-1", "KN-2", "KN-3"]
T0 = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)

reasons = st.sampled_from(["", "lý do", "người cao tuổi", "bấm nhầm"])
picks = st.integers(min_value=0, max_value=40)
lags = st.sampled_from([0, 0, 0, 0, 0, 1, 2])  # how many versions behind the client is


def oracle_next(state) -> Turn | None:
    """Who CallNext must pick, written from the rules in docs/queue-rules.md."""
    waiting = [t for t in state.turns if t.status == "waiting"]
    if not waiting:
        return None
    spoken = {
        t.person_key for t in state.turns
        if t.kind == "citizen" and t.status in {"done", "called", "speaking", "paused"}
    }

    def tier(t: Turn) -> int:
        if t.manual_tier is not None:
            return t.manual_tier
        if t.kind == "answer":
            return 0
        if not state.settings.first_timers_first:
            return 1
        earlier = any(
            o.person_key == t.person_key and o.kind == "citizen" and o.seq < t.seq
            for o in waiting
        )
        return 2 if (t.person_key in spoken or earlier) else 1

    best = min(tier(t) for t in waiting)
    return next(t for t in state.turns if t.status == "waiting" and tier(t) == best)


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = new_queue("hn-prop")
        self.now = T0
        self.n = 0
        self.expected_ids: list[str] = []  # every turn that must exist, in registration order
        self.snapshots: list[tuple] = []  # what Undo must give back, most recent last
        self.applied: list[tuple[Command, object]] = []  # (command, state right after it)
        # what the server logs of each applied command, as JSON, and a stored snapshot
        self.logged: list[tuple[int, str]] = []
        self.snapshot = json.dumps(to_dict(self.state))
        self.saw_manual_tier = False

    # --- helpers ---------------------------------------------------------------------

    def _id(self) -> str:
        self.n += 1
        return f"cmd-{self.n}"

    def _turn_id(self, pick: int) -> str:
        if not self.state.turns or pick == 40:
            return "khong-co"
        return self.state.turns[pick % len(self.state.turns)].id

    def _turn_in(self, pick: int, *statuses: str) -> str:
        """Mostly a turn in one of `statuses` (when there is one), sometimes any turn."""
        fitting = [t.id for t in self.state.turns if t.status in statuses]
        if fitting and pick % 5:
            return fitting[pick % len(fitting)]
        return self._turn_id(pick)

    def _run(self, cls, lag: int = 0, **kw) -> bool:
        before = self.state
        base = max(before.version - lag, 0)
        cmd = cls(command_id=self._id(), base_version=base, **kw)
        actor = "may-1" if self.n % 2 else "may-2"
        try:
            result = apply(before, cmd, self.now, actor)
        except DomainError as err:
            assert err.code and err.message
            if base < before.version and not cls.commutative:
                assert err.code == "version_conflict"
            if err.code == "version_conflict":
                assert base < before.version and not cls.commutative
            if err.code == "max_turns_reached":
                limit = before.settings.max_turns_per_person
                used = sum(
                    1 for t in before.turns
                    if t.person_key == kw["person_key"] and t.kind == "citizen"
                    and t.status in COUNTED_STATUSES
                )
                assert limit and used >= limit
            return False
        after = result.state
        assert after.version == before.version + 1  # every change makes a new version
        # what the server mirrors into the turn rows: every turn that is new or not the
        # same object as before the command is among the changed turns
        was = {t.id: t for t in before.turns}
        found = {t.id for t in changed_turns(before, after)}
        assert {t.id for t in after.turns if was.get(t.id) is not t} <= found
        assert result.events
        assert after.history[-1].version == after.version
        self.applied.append((cmd, after))
        self.logged.append((after.version, json.dumps(
            [command_to_dict(cmd), self.now.isoformat(), actor])))
        if after.version == 7:
            self.snapshot = json.dumps(to_dict(after))
        if isinstance(cmd, Undo):
            turns, current, stg = self.snapshots.pop()
            assert (after.turns, after.current_turn_id, after.settings) == (turns, current, stg)
            self.expected_ids = [t.id for t in after.turns]
        else:
            self.snapshots.append((before.turns, before.current_turn_id, before.settings))
            self.snapshots = self.snapshots[-MAX_UNDO:]
        self.state = after
        return True

    @initialize(people=st.lists(st.sampled_from(PEOPLE), min_size=0, max_size=6))
    def some_people(self, people):
        for person in people:
            self.register(person, False, 0)

    # --- time --------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([0, 1, 5, 30, 200]))
    def tick(self, seconds):
        self.now += timedelta(seconds=seconds)

    # --- registration -------------------------------------------------------------------

    @rule(person=st.sampled_from(PEOPLE), qr=st.booleans(), lag=lags)
    def register(self, person, qr, lag):
        before = self.state
        ok = self._run(RegisterTurn, lag, person_key=person, display_name=f"Người {person}",
                       hamlet="Thôn 1", source="qr" if qr else "desk")
        if ok:
            new = self.state.turns[-1]
            self.expected_ids.append(new.id)
            limit = before.settings.max_turns_per_person
            used = sum(
                1 for t in self.state.turns
                if t.person_key == person and t.kind == "citizen"
                and t.status in COUNTED_STATUSES
            )
            assert not limit or used <= limit

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, lag=lags)
    def approve(self, pick, lag):
        self._run(ApproveTurn, lag, turn_id=self._turn_in(pick, "pending_approval"))

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, lag=lags, reason=reasons)
    def reject(self, pick, lag, reason):
        self._run(RejectTurn, lag, turn_id=self._turn_in(pick, "pending_approval"),
                  reason=reason)

    @rule(petition=st.sampled_from(PETITIONS), lag=lags)
    def add_answer(self, petition, lag):
        if self._run(AddAnswerTurn, lag, petition_id=petition, official_name="Trần Văn Cường",
                     role="Chủ tịch UBND xã"):
            self.expected_ids.append(self.state.turns[-1].id)

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, petition=st.sampled_from(PETITIONS), lag=lags)
    def link(self, pick, petition, lag):
        self._run(LinkPetition, lag, turn_id=self._turn_id(pick), petition_id=petition)

    # --- the floor ---------------------------------------------------------------------

    @rule(lag=lags)
    def call_next(self, lag):
        before = self.state
        expected = oracle_next(before)
        if self._run(CallNext, lag):
            assert expected is not None
            assert self.state.current_turn_id == expected.id  # fairness
            assert before.current_turn_id is None
            if not any(t.manual_tier is not None for t in before.turns):
                called = self.state.current
                waiting = [t for t in before.turns if t.status == "waiting"]
                if called.kind == "citizen":
                    assert not any(t.kind == "answer" for t in waiting)

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, reason=reasons, lag=lags)
    def call_turn(self, pick, reason, lag):
        before = self.state
        turn_id = self._turn_in(pick, "waiting")
        order = next_speakers(before)
        if self._run(CallTurn, lag, turn_id=turn_id, reason=reason):
            assert order[0].id == turn_id or reason  # out of order only with a reason

    def _current_or(self, pick: int) -> str:
        return self.state.current_turn_id if self.state.current_turn_id and pick % 4 else (
            self._turn_id(pick))

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, lag=lags)
    def start(self, pick, lag):
        self._run(Start, lag, turn_id=self._current_or(pick))

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, lag=lags)
    def pause(self, pick, lag):
        self._run(Pause, lag, turn_id=self._current_or(pick))

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, lag=lags)
    def resume(self, pick, lag):
        self._run(Resume, lag, turn_id=self._current_or(pick))

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, lag=lags)
    def end(self, pick, lag):
        self._run(End, lag, turn_id=self._current_or(pick))

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, lag=lags)
    def skip(self, pick, lag):
        self._run(Skip, lag, turn_id=self._current_or(pick))

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, lag=lags, reason=reasons)
    def withdraw(self, pick, lag, reason):
        self._run(Withdraw, lag, turn_id=self._turn_id(pick), reason=reason)

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, lag=lags, reason=reasons)
    def defer(self, pick, lag, reason):
        self._run(Defer, lag, turn_id=self._current_or(pick), reason=reason)

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, lag=lags)
    def requeue(self, pick, lag):
        self._run(Requeue, lag, turn_id=self._turn_in(pick, "deferred", "skipped"))

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, seconds=st.sampled_from([0, 30, 60]), reason=reasons, lag=lags)
    def extend(self, pick, seconds, reason, lag):
        self._run(ExtendTime, lag, turn_id=self._current_or(pick), seconds=seconds,
                  reason=reason)

    @rule(pauses=st.integers(min_value=0, max_value=2), seconds=st.sampled_from([10, 170, 400]))
    def whole_turn(self, pauses, seconds):
        """Call the next speaker and let them speak to the end, with pauses."""
        if not self._run(CallNext):
            return
        turn_id = self.state.current_turn_id
        assert self._run(Start, turn_id=turn_id)
        for _ in range(pauses):
            self.now += timedelta(seconds=seconds)
            assert self._run(Pause, turn_id=turn_id)
            self.now += timedelta(seconds=5)
            assert self._run(Resume, turn_id=turn_id)
        self.now += timedelta(seconds=seconds)
        elapsed = seconds * (pauses + 1)
        assert public_view(self.state, self.now)["timer"]["elapsed"] == elapsed
        assert self._run(End, turn_id=turn_id)
        assert self.state.turn(turn_id).status == "done"

    # --- order ------------------------------------------------------------------------------

    @precondition(lambda self: self.state.turns)
    @rule(pick=picks, index=st.integers(min_value=-1, max_value=5), reason=reasons, lag=lags)
    def move(self, pick, index, reason, lag):
        before = next_speakers(self.state)
        turn_id = self._turn_in(pick, "waiting")
        if self._run(Move, lag, turn_id=turn_id, new_index=index, reason=reason):
            assert reason
            after = [t.id for t in next_speakers(self.state)]
            assert after[index] == turn_id  # lands exactly where asked
            others = [t.id for t in before if t.id != turn_id]
            assert [i for i in after if i != turn_id] == others  # nobody else moves

    # --- settings, undo, resend --------------------------------------------------------------

    @rule(
        first=st.booleans(), limit=st.sampled_from([0, 1, 2, 3]),
        approval=st.booleans(), speaking=st.sampled_from([60, 180]), lag=lags,
    )
    def update_settings(self, first, limit, approval, speaking, lag):
        self._run(UpdateSettings, lag, settings=QueueSettings(
            first_timers_first=first, max_turns_per_person=limit,
            require_approval_for_self_registration=approval, speaking_seconds=speaking,
        ), reason="điều chỉnh")

    @rule(reason=reasons, lag=lags)
    def undo(self, reason, lag):
        self._run(Undo, lag, reason=reason)
        if not self.snapshots:
            assert not self.state.undo_stack

    @rule(phase=st.sampled_from(["opening", "opinions", "answers", "conclusion"]), lag=lags)
    def set_phase(self, phase, lag):
        self._run(SetPhase, lag, phase=phase)

    @rule(pick=picks)
    def resend(self, pick):
        """A command that arrives a second time changes nothing."""
        if not self.applied:
            return
        cmd, _ = self.applied[pick % len(self.applied)]
        before = self.state
        result = apply(before, cmd, self.now + timedelta(seconds=1), "may-1")
        assert result.state is before and result.events == ()

    # --- invariants -------------------------------------------------------------------------------

    @invariant()
    def nobody_is_lost(self):
        ids = [t.id for t in self.state.turns]
        assert len(ids) == len(set(ids))
        assert sorted(ids) == sorted(self.expected_ids)
        assert all(t.status in STATUSES for t in self.state.turns)

    @invariant()
    def at_most_one_with_the_floor(self):
        holders = [t.id for t in self.state.turns if t.status in FLOOR_STATUSES]
        assert len(holders) <= 1
        assert holders == ([self.state.current_turn_id] if self.state.current_turn_id else [])

    @invariant()
    def order_is_the_oracles(self):
        expected = oracle_next(self.state)
        order = next_speakers(self.state)
        assert (order[0].id if order else None) == (expected.id if expected else None)
        assert Counter(t.status for t in order) <= Counter({"waiting": len(order)})
        assert len(order) == sum(1 for t in self.state.turns if t.status == "waiting")

    @invariant()
    def timers_are_sane(self):
        current = self.state.current
        view = public_view(self.state, self.now)
        if current is None:
            assert view["timer"] is None
        else:
            assert view["timer"]["elapsed"] >= 0
            assert view["timer"]["running"] == (current.status == "speaking")

    def teardown(self):
        """A snapshot and the commands logged after it give back the same queue."""
        start = from_dict(json.loads(self.snapshot))
        rest = [json.loads(text) for version, text in self.logged if version > start.version]
        state = replay(start, ((c, datetime.fromisoformat(at), actor) for c, at, actor in rest))
        assert state == self.state

    @invariant()
    def tablet_balance_is_the_full_balance_cut(self):
        """What a tablet gets (the top few and the people in its view) is the full
        balance's rows for those people, in the same order, whatever the day was."""
        for top in (0, 2):
            keys = {t.person_key for t in self.state.turns[::2]}
            full = balance(self.state, self.now)
            ranked = {p["person_key"] for p in full["people"][:top]}
            expected = [p for p in full["people"] if p["person_key"] in ranked | keys]
            shown = balance_view(self.state, self.now, keys, top)
            assert shown["people"] == expected
            assert shown["hamlets"] == full["hamlets"]
            assert shown["people_total"] == len(full["people"])

    @invariant()
    def views_kept_between_commands_are_the_views_made_afresh(self):
        """The finished turns' totals, the people who spoke and the tablet's cut are
        carried from one state to the next (made from the turns that finished since);
        whatever the day did (undo included), they are what counting everything gives."""
        keys = {t.person_key for t in self.state.turns[::2]}

        def views(state):
            return (queue_codec.view_dict(state, recent_final=2, recent_aside=2),
                    balance(state, self.now),
                    balance_view(state, self.now, keys, 2),
                    [t.id for t in next_speakers(state)])

        kept = views(self.state)
        caches = (queue_rules._FINISHED, queue_rules._DONE, queue_rules._ORDER,
                  queue_codec._FINISHED)
        saved = [dict(cache) for cache in caches]

        def restore():  # the next step builds on what this one kept
            for cache, was in zip(caches, saved, strict=True):
                cache.clear()
                cache.update(was)

        # the same queue read back from storage (equal turns, other objects), with what
        # was kept for this one still there
        reloaded = views(from_dict(json.loads(json.dumps(to_dict(self.state)))))
        restore()
        for cache in caches:
            cache.clear()
        afresh = views(dataclasses.replace(self.state))
        restore()
        assert afresh == kept
        assert reloaded == kept

    @invariant()
    def stored_form_round_trips(self):
        data = json.loads(json.dumps(to_dict(self.state)))
        assert from_dict(data) == self.state


QueueMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestQueueProperties = QueueMachine.TestCase
