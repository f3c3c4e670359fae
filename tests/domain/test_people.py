"""One identity per person, whatever the way in (server/domain/people.py), and the queue's
fairness rules holding across desk picks, typed names and QR registrations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import queue as q
from server.domain.people import name_key, participant_key, resolve_person

CHECKED_IN = [(1, "Hoàng Thị Mai", "Thôn 3"), (2, "Lê Văn Hải", "Bon Bu Dắk"),
              (3, "Nguyễn Văn An", "Thôn 1"), (4, "Nguyễn Văn An", "Thôn 1")]


def resolve(name: str, hamlet: str, picked: int | None = None, in_use=()) -> str:
    return resolve_person(name=name, hamlet=hamlet, picked=picked, checked_in=CHECKED_IN,
                          keys_in_use=set(in_use))


def test_a_typed_name_that_matches_one_checked_in_participant_is_that_participant() -> None:
    assert resolve("hoàng thị  mai", "thôn 3") == participant_key(1)
    assert resolve("Hoang Thi Mai", "Thon 3") == participant_key(1)
    assert resolve("Hoàng Thị Mai", "Thôn 3", picked=1) == participant_key(1)


def test_namesakes_in_one_hamlet_are_told_apart_only_by_picking() -> None:
    assert resolve("Nguyễn Văn An", "Thôn 1") == name_key("Nguyễn Văn An", "Thôn 1")
    assert resolve("Nguyễn Văn An", "Thôn 1", picked=3) == participant_key(3)
    assert resolve("Nguyễn Văn An", "Thôn 1", picked=4) == participant_key(4)
    # another hamlet is another person
    assert resolve("Hoàng Thị Mai", "Thôn 5") == name_key("Hoàng Thị Mai", "Thôn 5")


def test_a_person_keeps_the_key_their_earlier_turns_carry() -> None:
    typed_before_check_in = name_key("Hoàng Thị Mai", "Thôn 3")
    assert resolve("Hoàng Thị Mai", "Thôn 3", picked=1,
                   in_use=[typed_before_check_in]) == typed_before_check_in
    assert resolve("HOÀNG THỊ MAI", "Thôn 3", in_use=[typed_before_check_in]) == typed_before_check_in
    # once the participant key is in use it wins
    both = [typed_before_check_in, participant_key(1)]
    assert resolve("Hoàng Thị Mai", "Thôn 3", in_use=both) == participant_key(1)
    # a namesake's typed turns are not given to a picked participant
    ambiguous = name_key("Nguyễn Văn An", "Thôn 1")
    assert resolve("Nguyễn Văn An", "Thôn 1", picked=3, in_use=[ambiguous]) == participant_key(3)


# --- the queue's limit and first-timer rule across mixed ways in ------------------------

PEOPLE = [(1, "Hoàng Thị Mai", "Thôn 3"), (2, "Lê Văn Hải", "Bon Bu Dắk"),
          (5, "Trần Văn Bình", "Thôn 2")]


def spelled(name: str, how: int) -> str:
    """The same name as a clerk or a phone might type it."""
    return [name, name.upper(), "  " + name.lower() + " ", name.replace(" ", "  ")][how % 4]


ways = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["pick", "desk", "qr"]),
                          st.integers(0, 3), st.booleans()), min_size=1, max_size=14)


@settings(max_examples=120, deadline=None)
@given(ways=ways)
def test_the_limit_and_first_timers_hold_whatever_the_way_in(ways) -> None:
    """Each person registers by picking, typing at the desk or by QR, spelled in several
    ways; the first two people check in before, the third never does. Whatever the mix,
    nobody holds more than the maximum of turns, and a person who has spoken never ranks
    as a first-timer."""
    state = q.new_queue(1, q.QueueSettings(max_turns_per_person=2, first_timers_first=True,
                                           require_approval_for_self_registration=False))
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    checked_in = PEOPLE[:2]
    owner: dict[str, int] = {}  # person key -> who it is

    def run(command: dict) -> None:
        nonlocal state, now
        now += timedelta(seconds=5)
        command = {"command_id": uuid.uuid4().hex, "base_version": state.version, **command}
        try:
            state = q.apply(state, q.command_from_dict(command), now, "máy").state
        except q.DomainError as exc:
            assert exc.code in ("max_turns_reached", "queue_empty"), exc

    for who, way, spelling, speak in ways:
        pid, name, hamlet = PEOPLE[who]
        picked = pid if way == "pick" and who < 2 else None
        key = resolve_person(name=spelled(name, spelling), hamlet=spelled(hamlet, spelling),
                             picked=picked, checked_in=checked_in,
                             keys_in_use={t.person_key for t in state.turns})
        assert owner.setdefault(key, who) == who  # a key never stands for two people
        run({"type": "register_turn", "person_key": key, "display_name": name,
             "hamlet": hamlet, "source": "qr" if way == "qr" else "desk"})
        if speak and state.current is None:
            before = state.version
            run({"type": "call_next"})
            if state.version > before:
                run({"type": "start", "turn_id": state.current_turn_id})
                run({"type": "end", "turn_id": state.current_turn_id})
        # one key per person: all of a person's turns carry the same key
        for person in range(3):
            keys = {t.person_key for t in state.turns if t.display_name == PEOPLE[person][1]}
            assert len(keys) <= 1
            counted = [t for t in state.turns if t.display_name == PEOPLE[person][1]
                       and t.status not in ("withdrawn", "rejected")]
            assert len(counted) <= 2
        # first-timers first, counted by the real person (not by key): nobody who has
        # spoken, nor anyone's second waiting turn, is called before a first-timer
        spoken = {t.display_name for t in state.turns if t.status in ("done", "speaking")}
        earliest: dict[str, int] = {}
        for t in state.turns:
            if t.status == "waiting":
                earliest[t.display_name] = min(t.seq, earliest.get(t.display_name, t.seq))
        order = [t.display_name in spoken or earliest[t.display_name] != t.seq
                 for t in q.next_speakers(state)]
        assert order == sorted(order)
