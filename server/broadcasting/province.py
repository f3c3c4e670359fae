"""The broadcast across a province's processes (docs/province.md): one process owns the
hall's audio; every other one shows its state and carries its controls to it.

Over the servers' Redis channel (server/fanout.py, ``ProvinceManager.tell``):

- ``broadcast``: the owner's full status, at every change (at most five a second) and
  every ``HEARTBEAT_S``; ``None`` when it stops. The others keep the last one
  (:class:`OwnerStatus`) and answer ``join``, ``broadcast:watch`` and
  ``GET /api/broadcast`` with it. A status not renewed for ``FRESH_S`` (the owner was
  killed) is no longer shown.
- ``broadcast?``: a process that starts asks; the owner answers with ``broadcast``.
- ``broadcast:control``: a control (on air, mute, auto-mute) sent to a process without
  the audio, already checked there (input, permission); the owner runs the same action
  for the same person (its audit record names them) and answers ``broadcast:reply``
  with the status or the refusal, which the first process gives back as its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from server.auth import Actor
from server.domain import errors as domain_errors
from server.domain.errors import DomainError, Unavailable
from server.domain.inputs import refuse_big_ints
from server.executor import Action
from server.fanout import ProvinceManager

log = logging.getLogger(__name__)

HEARTBEAT_S = 5.0
# A status that changes only in its level meters is told at most once a second (the
# tablets get every one through their own room); a change of these fields at once.
STATE_FIELDS = ("on_air", "live_audio", "muted", "operator_muted", "auto_mute_between_turns",
                "turn_on_floor", "mute_reason", "chime_playing", "bulletin", "bulletins_waiting",
                "no_live_audio_reason")
LEVELS_EVERY_S = 1.0
FRESH_S = 3 * HEARTBEAT_S
REPLY_TIMEOUT_S = 8.0  # going on air plays a short chime first


def _error_kinds() -> dict[str, type[DomainError]]:
    """Each kind's class: the nearest subclass of DomainError that has it."""
    kinds: dict[str, type[DomainError]] = {}
    todo = list(DomainError.__subclasses__())
    while todo:
        cls = todo.pop(0)
        kinds.setdefault(cls.kind, cls)
        todo.extend(cls.__subclasses__())
    return kinds


def error_from(body: dict[str, Any]) -> DomainError:
    """The refusal the owner sent, as the same kind of error here."""
    cls = _error_kinds().get(str(body.get("kind")), DomainError)
    return cls(str(body.get("code", "error")), str(body.get("message", "")),
               body.get("fields") or None)


class OwnerStatus:
    """On a process without the audio: the owner's last status, while fresh."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._status: dict[str, Any] | None = None
        self._at = 0.0

    def keep(self, status: dict[str, Any] | None) -> None:
        self._status = dict(status) if isinstance(status, dict) else None
        self._at = self.clock()

    def current(self) -> dict[str, Any] | None:
        if self._status is None or self.clock() - self._at > FRESH_S:
            return None
        return self._status


class ProvinceBroadcast:
    """What one process does about the broadcast of the others (nothing without Redis).

    ``owner()`` tells whether this process runs the broadcast now; ``status()`` gives the
    running broadcast's full status (only called on the owner); ``actions`` are the
    controls by name; ``run`` runs one for a person, as the executor does."""

    def __init__(self, manager: Any, owner: Callable[[], bool],
                 status: Callable[[], dict[str, Any]], actions: dict[str, type[Action]],
                 run: Callable[[Action, Actor, Any], Any]) -> None:
        self.manager = manager if isinstance(manager, ProvinceManager) else None
        self.owner = owner
        self.status = status
        self.actions = actions
        self.run = run
        self.heard = OwnerStatus()
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._told: tuple[Any, float] | None = None  # (state fields, when) last told
        if self.manager is not None:
            self.manager.hearers.append(self.hear)

    @property
    def active(self) -> bool:
        return self.manager is not None

    # ---- the owner --------------------------------------------------------------------

    def publish(self, status: dict[str, Any] | None, force: bool = False) -> None:
        """The owner's status changed (or it stopped: None); the others keep it."""
        if self.manager is None:
            return
        state = None if status is None else tuple(repr(status.get(k)) for k in STATE_FIELDS)
        now = time.monotonic()
        told = self._told
        if (not force and status is not None and told is not None and told[0] == state
                and now - told[1] < LEVELS_EVERY_S):
            return
        self._told = (state, now)
        self.manager.post_tell("broadcast", status)

    async def heartbeat(self) -> None:
        """The owner's job while it runs: its status every HEARTBEAT_S."""
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            if self.owner():
                self.publish(self.status(), force=True)

    # ---- the others -------------------------------------------------------------------

    async def ask(self) -> None:
        """At start-up: the owner, if any, says its status at once."""
        if self.manager is not None and not self.owner():
            await self.manager.tell("broadcast?", {})

    async def forward(self, action: Action, actor: Actor | None, raw: Any) -> dict[str, Any]:
        """Check a control here, run it on the owner, give back its answer."""
        assert self.manager is not None
        data = action.parse(raw)
        refuse_big_ints(data)
        action.authorize(actor, data)
        assert actor is not None
        rid = uuid.uuid4().hex
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = reply
        try:
            told = await self.manager.tell("broadcast:control", {
                "id": rid, "action": action.name, "actor": dataclasses.asdict(actor),
                "data": data.model_dump(mode="json") if hasattr(data, "model_dump") else data,
            }, wait=True)
            if told:
                answer = await asyncio.wait_for(reply, REPLY_TIMEOUT_S)
            else:
                answer = None
        except TimeoutError:
            answer = None
        finally:
            self._pending.pop(rid, None)
        if answer is None:
            raise Unavailable("broadcast_unreachable",
                              "Không liên lạc được với máy đang phát thanh; vui lòng thử lại.")
        if not answer.get("ok"):
            raise error_from(answer.get("error") or {})
        self.heard.keep(answer["result"])  # the owner's status after it: shown here at once
        return answer["result"]

    # ---- what the others say ----------------------------------------------------------

    async def hear(self, kind: str, data: Any) -> None:
        if kind == "broadcast":
            if not self.owner():
                self.heard.keep(data)
        elif kind == "broadcast?":
            if self.owner():
                self.publish(self.status(), force=True)
        elif kind == "broadcast:control":
            if self.owner() and isinstance(data, dict):
                task = asyncio.get_running_loop().create_task(self._run_for_other(data))
                self._tasks.add(task)  # not on the hearing worker: a chime takes a while
                task.add_done_callback(self._tasks.discard)
        elif kind == "broadcast:reply" and isinstance(data, dict):
            waiting = self._pending.get(str(data.get("id")))
            if waiting is not None and not waiting.done():
                waiting.set_result(data)

    async def _run_for_other(self, data: dict[str, Any]) -> None:
        assert self.manager is not None
        answer: dict[str, Any] = {"id": data.get("id")}
        try:
            cls = self.actions.get(str(data.get("action")))
            if cls is None:
                raise domain_errors.BadRequest("bad_request", "Lệnh phát thanh không rõ.")
            actor = Actor(**data["actor"])
            result = await self.run(cls(), actor, data.get("data"))
            answer.update(ok=True, result=result)
            self.publish(result, force=True)  # every other process shows it now
        except DomainError as exc:
            answer.update(ok=False, error={"kind": exc.kind, **exc.body()["error"]})
        except Exception:
            log.exception("broadcast control from another process failed")
            answer.update(ok=False, error={
                "kind": "unavailable", "code": "internal_error",
                "message": "Lỗi máy chủ phát thanh; thao tác chưa được thực hiện."})
        await self.manager.tell("broadcast:reply", answer)
