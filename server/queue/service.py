"""Runs queue commands: domain -> store -> broadcast, one conference at a time.

A command is applied to the stored state inside one transaction together with its
audit event and the mirrored turn rows; only after the commit does the new version
go out. Commands of one conference are serialised by a lock (and a row lock on
PostgreSQL), so every client converges on the same sequence of versions.

Across server processes (a province, docs/province.md) the row lock alone does it: the
conference row is read ``FOR UPDATE`` (one query) before the stored version is, so a second
process waits for the first one's commit and then builds on its version (checked by
tests/server/test_province.py). The executor's lock only keeps one process's commands
from queueing on database connections.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Actor
from server.commands import audit, scope
from server.db.models import (
    Conference,
    Participant,
    Petition,
    QueueCommandRow,
    QueueSnapshot,
    SpeakingTurn,
    TurnPetition,
)
from server.db.session import PreEncodedJSON
from server.domain import queue as q
from server.domain.errors import Invalid, NotFound
from server.domain.people import resolve_person
from server.domain.phases import timeline
from server.domain.queue_commands import settings_from_dict
from server.domain.queue_rules import balance_view

log = logging.getLogger(__name__)

# Who may send which command: registering at the desk is the secretary's job too.
# The whole queue is stored once every this many versions; the commands in between are
# logged one row each and applied again on load (``_current``).
SNAPSHOT_EVERY = 50

COMMAND_PERMISSION = {"register_turn": "register_speaker", "link_petition": "register_speaker"}


BALANCE_TOP = 20  # people by speaking time a tablet gets beside those in its view


def staff_view(state: q.QueueState, now: datetime, *, all_aside: bool = False
               ) -> dict[str, Any]:
    """What moderator and secretary tablets get: the state minus the undo copies, cut so
    that it does not grow with the day (``q.view_dict``); ``all_aside``: with every turn
    set aside, for a tablet that asks for them."""
    d = q.view_dict(state, recent_aside=None) if all_aside else q.view_dict(state)
    order = [t.id for t in q.next_speakers(state)]
    current = state.current
    return {
        "conference_id": state.conference_id,
        "version": state.version,
        "server_time": now.isoformat(),
        "state": d,
        "order": order,
        "timer": q.timer_dict(q.timer(current, state.settings, now)) if current else None,
        "can_undo": bool(state.undo_stack),
        "undo_summary": state.undo_stack[-1].summary if state.undo_stack else None,
        "public": q.public_view(state, now),
        # every hamlet, the people in the view and the BALANCE_TOP who spoke most, so
        # the message does not grow with the day (the exports list everyone)
        "balance": balance_view(state, now, {t["person_key"] for t in d["turns"]},
                                BALANCE_TOP),
        "phases": timeline(state.phases, now, state.settings.phase_minutes),
    }


def _mirrored(t: q.Turn | None) -> tuple | None:
    """What the per-turn row keeps of a turn."""
    if t is None:
        return None
    return (t.kind, t.display_name, t.hamlet, t.topic, t.status, t.started_at, t.ended_at,
            t.petition_ids, t.answers_petition_id)


class QueueService:
    """The queues of the conferences in memory, and the one way to change them.

    Each conference's last state is kept decoded in memory with the commune it belongs
    to, so reads (the staff snapshot, the public screen) never touch the database nor
    wait for a command. A command runs inside the caller's unit of work (one session,
    one transaction); the executor serialises commands of one conference and publishes
    the change after the commit, when ``remember`` makes it the state readers see.
    """

    def __init__(self) -> None:
        # A version's state never changes, so a stored queue_version equal to the cached
        # one means the stored state is this one, and the state column (deferred) is not
        # even read.
        self._decoded: dict[int, q.QueueState] = {}
        self._commune: dict[int, int] = {}
        # the newest version another server process said it committed (a province)
        self._heard: dict[int, int] = {}

    def cached(self, actor: Actor, conference_id: int) -> q.QueueState | None:
        """The conference's queue from memory, if known, not older than a version another
        process committed, and the caller's commune's."""
        state = self._decoded.get(conference_id)
        if state is None or self._commune.get(conference_id) != actor.commune_id:
            return None
        if state.version < self._heard.get(conference_id, 0):
            return None
        return state

    def heard(self, conference_id: int, version: int) -> None:
        """Another server process committed ``version``: older states in memory are no
        longer served; the next read brings them forward from the database."""
        if version > self._heard.get(conference_id, 0):
            self._heard[conference_id] = version

    async def load(self, db: AsyncSession, conference_id: int) -> q.QueueState | None:
        """The conference's queue at its stored version, whoever asks (a server's own job)."""
        conf = await db.get(Conference, conference_id)
        return None if conf is None else await self._current(db, conf)

    def remember(self, conference_id: int, commune_id: int, state: q.QueueState) -> None:
        current = self._decoded.get(conference_id)
        if current is None or current.version <= state.version:
            self._decoded[conference_id] = state
            self._commune[conference_id] = commune_id

    async def _current(self, db: AsyncSession, conf: Any) -> q.QueueState:
        """The conference's queue at its stored version (``queue_version``; 0: nothing
        stored): the state in memory when it is that version, else the state in memory
        or the stored snapshot brought forward by the commands logged after it.

        Without the row lock (a read) another process may commit while this one reads:
        the log is read up to the version first seen, and a snapshot stored since then
        is taken as it is (a newer committed state)."""
        stored = conf.queue_version or 0
        cached = self._decoded.get(conf.id)
        if cached is not None and cached.version == stored:
            return cached
        state = None
        if cached is not None and 0 < cached.version < stored:
            logged = await self._logged(db, conf.id, after=cached.version, upto=stored)
            if logged and logged[0].version == cached.version + 1:
                state = q.replay(cached, ((r.command, r.at, r.actor) for r in logged))
        if state is None:
            stored_state = (await db.execute(select(QueueSnapshot.state).where(
                QueueSnapshot.conference_id == conf.id))).scalar_one_or_none()
            if stored_state:
                state = q.from_dict(stored_state)
            else:
                settings = settings_from_dict(conf.queue_settings) if conf.queue_settings else None
                state = q.new_queue(conf.id, settings)
            if state.version < stored:
                logged = await self._logged(db, conf.id, after=state.version, upto=stored)
                state = q.replay(state, ((r.command, r.at, r.actor) for r in logged))
        if state.version < stored:
            raise RuntimeError(f"queue of conference {conf.id}: stored version {stored}, "
                               f"snapshot and log give {state.version}")
        self.remember(conf.id, conf.commune_id, state)
        return state

    @staticmethod
    async def _logged(db: AsyncSession, conference_id: int, after: int, upto: int
                      ) -> list[QueueCommandRow]:
        return list((await db.execute(
            select(QueueCommandRow).where(QueueCommandRow.conference_id == conference_id,
                                          QueueCommandRow.version > after,
                                          QueueCommandRow.version <= upto)
            .order_by(QueueCommandRow.version))).scalars())

    async def snapshot(self, db: AsyncSession, actor: Actor, conference_id: int) -> q.QueueState:
        """From memory when known; else loaded once with the caller's session."""
        state = self.cached(actor, conference_id)
        if state is not None:
            return state
        conf = await scope.conference(db, actor, conference_id)
        return await self._current(db, conf)

    async def apply(self, db: AsyncSession, actor: Actor, conference_id: int,
                    payload: dict[str, Any], now: datetime
                    ) -> tuple[q.QueueState, q.QueueState, tuple[q.Event, ...], int]:
        """Apply one command in the caller's transaction. Returns (old state, new state,
        domain events, commune id); new is old for a duplicate command."""
        # one query reads and locks the row (the session is the command's own, so nothing
        # older of it is in memory)
        conf = await scope.conference(db, actor, conference_id, lock=True)
        state = await self._current(db, conf)
        payload = await self._complete(db, actor, conference_id, state, dict(payload))
        command = q.command_from_dict(payload)
        result = q.apply(state, command, now, actor.label)
        if result.state is state or result.state.version == state.version:
            return state, state, (), conf.commune_id
        new = result.state
        await self._store(db, conf, new, command, actor.label, now)
        await self._mirror(db, conference_id, state, new)
        last = new.history[-1]
        audit.record(db, actor, f"queue.{command.type_name}", "conference", conference_id,
                     before={"version": state.version},
                     after={"version": new.version, "summary": last.summary,
                            "turn_id": last.turn_id}, reason=last.reason)
        return state, new, tuple(result.events), conf.commune_id

    @staticmethod
    async def _store(db: AsyncSession, conf: Any, new: q.QueueState, command: q.Command,
                     actor: str, now: datetime) -> None:
        """Log the command in a row of its own; at the first version and every
        ``SNAPSHOT_EVERY`` versions store the whole state instead and drop the rows it
        covers. So a command writes a few hundred bytes however long the day is, not
        every turn of it."""
        conf.queue_version = new.version
        if new.version == 1 or new.version % SNAPSHOT_EVERY == 0:
            await db.execute(delete(QueueSnapshot).where(QueueSnapshot.conference_id == conf.id))
            db.add(QueueSnapshot(conference_id=conf.id, state=PreEncodedJSON(q.to_json(new))))
            await db.execute(delete(QueueCommandRow).where(
                QueueCommandRow.conference_id == conf.id, QueueCommandRow.version <= new.version))
        else:
            db.add(QueueCommandRow(conference_id=conf.id, version=new.version,
                                   command=q.command_to_dict(command), actor=actor, at=now))

    async def _complete(self, db: AsyncSession, actor: Actor, conference_id: int,
                        state: q.QueueState, payload: dict[str, Any]) -> dict[str, Any]:
        """Fill in what only the server knows and check references to the record."""
        kind = payload.get("type")
        settings = payload.get("settings")
        if kind == "update_settings" and isinstance(settings, dict) \
                and "phase_minutes" not in settings:
            # rules sent without the run-of-show's plan keep the plan in force
            payload["settings"] = {**settings,
                                   "phase_minutes": dict(state.settings.phase_minutes)}
        if kind == "register_turn":
            pid = payload.pop("participant_id", None)
            name, hamlet = str(payload.get("display_name", "")), str(payload.get("hamlet", ""))
            if isinstance(pid, float) and pid.is_integer():  # JSON's 7.0 is the integer 7
                pid = int(pid)
            if pid is not None:
                if isinstance(pid, bool) or not isinstance(pid, int):
                    raise Invalid("bad_command", "participant_id phải là số.")
                p = await scope.participant(db, actor, conference_id, pid)
                payload.setdefault("display_name", p.full_name)
                payload.setdefault("hamlet", p.hamlet)
                payload.setdefault("consent_full_name", p.consent_full_name)
                name, hamlet = p.full_name, p.hamlet
            checked_in = (await db.execute(
                select(Participant.id, Participant.full_name, Participant.hamlet).where(
                    Participant.conference_id == conference_id,
                    Participant.checked_in_at.is_not(None)))).all()
            payload["person_key"] = resolve_person(
                name=name, hamlet=hamlet, picked=pid, checked_in=checked_in,
                keys_in_use={t.person_key for t in state.turns})
            refs = payload.get("petition_ids") or []
            if isinstance(refs, list):
                for ref in refs:
                    await self._petition(db, actor, ref)
                payload["petition_ids"] = [str(r) for r in refs]
        if kind in ("link_petition", "add_answer_turn"):
            await self._petition(db, actor, payload.get("petition_id"))
            payload["petition_id"] = str(payload.get("petition_id"))
        return payload

    @staticmethod
    async def _petition(db: AsyncSession, actor: Actor, ref: Any) -> Petition:
        try:
            pid = int(str(ref))
        except ValueError:
            raise NotFound("not_found", f"Không có kiến nghị {ref!r}.") from None
        return await scope.petition(db, actor, pid)

    @staticmethod
    async def _mirror(db: AsyncSession, conference_id: int, old: q.QueueState,
                      new: q.QueueState) -> None:
        """Keep one row per turn (for recordings, transcripts and petition links)."""
        changed = [t for t in q.changed_turns(old, new)
                   if _mirrored(old.turn(t.id)) != _mirrored(t)]
        if not changed:  # a move or an extension changes nothing the rows keep
            return
        rows = {r.id: r for r in (await db.execute(select(SpeakingTurn).where(
            SpeakingTurn.id.in_([t.id for t in changed])))).scalars()}
        for t in changed:
            row = rows.get(t.id)
            if row is None:
                pid = None
                if t.person_key.startswith("participant:"):
                    pid = int(t.person_key.split(":", 1)[1])
                    if await db.get(Participant, pid) is None:
                        pid = None
                row = SpeakingTurn(id=t.id, conference_id=conference_id, participant_id=pid)
                db.add(row)
            row.kind = t.kind
            row.display_name = t.display_name
            row.hamlet = t.hamlet
            row.topic = t.topic
            row.status = t.status
            row.started_at = t.started_at
            row.ended_at = t.ended_at
            linked = set(t.petition_ids) | ({t.answers_petition_id} if t.answers_petition_id else set())
            if linked:
                await db.flush()
                have = set((await db.execute(select(TurnPetition.petition_id).where(
                    TurnPetition.turn_id == t.id))).scalars())
                for ref in linked:
                    if int(ref) not in have:
                        db.add(TurnPetition(turn_id=t.id, petition_id=int(ref)))

