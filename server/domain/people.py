"""One identity per person in a conference, whatever the way in.

A citizen may be picked from the check-in list at the desk, typed by name at the desk,
or register on a phone by QR. The queue counts turns and first-timers by a person key
(``participant:<id>`` or ``name:<folded name>|<folded hamlet>``); this module decides
which key a registration gets, so the maximum number of turns and the first-timer rule
hold across every path. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from server.domain.text import fold


def name_key(name: str, hamlet: str) -> str:
    """The key of someone known only by name and hamlet (case, spaces and diacritics aside)."""
    return f"name:{fold(name)}|{fold(hamlet)}"


def participant_key(participant_id: int) -> str:
    return f"participant:{participant_id}"


def resolve_person(*, name: str, hamlet: str, picked: int | None,
                   checked_in: Iterable[tuple[int, str, str]],
                   keys_in_use: Collection[str]) -> str:
    """The person key of a registration.

    ``picked`` is the participant chosen from the list (if any), ``name`` and ``hamlet``
    what was typed (or the picked participant's own), ``checked_in`` the conference's
    checked-in participants as (id, full name, hamlet), ``keys_in_use`` the keys of the
    turns already in the queue.

    - A registration matches a participant when it picked them, or when exactly one
      checked-in participant has the same folded name and hamlet (two namesakes in one
      hamlet are told apart only by picking from the list).
    - A person who already has turns keeps the key those turns carry: a name typed before
      the person checked in and the participant picked afterwards are one person.
    """
    by_name = name_key(name, hamlet)
    namesakes = [pid for pid, full_name, their_hamlet in checked_in
                 if name_key(full_name, their_hamlet) == by_name]
    if picked is not None:
        candidate = participant_key(picked)
        # the name key is this participant's only if no other checked-in namesake exists
        name_is_theirs = all(pid == picked for pid in namesakes)
    elif len(namesakes) == 1:
        candidate = participant_key(namesakes[0])
        name_is_theirs = True
    else:
        return by_name
    if candidate not in keys_in_use and name_is_theirs and by_name in keys_in_use:
        return by_name
    return candidate
