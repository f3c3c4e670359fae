"""Run one queue command (register, approve, call, extend, reorder, undo, ...).

Input: a JSON object with ``conference_id``, ``type``, a client-made ``command_id``
(applied once) and the ``base_version`` the client saw, plus the command's own fields;
the queue's pure rules (``server/domain/queue_commands.py``) check those.
Permission: ``run_queue``; registering a speaker or linking a petition also
``register_speaker`` (the secretary's desk); the phone form (a public actor) may only
register itself, never approved, and withdraw its own registration.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from server.auth import Actor
from server.domain.errors import BadRequest, forbidden
from server.domain.inputs import DB_INT
from server.domain.roles import can
from server.events import QueueChanged
from server.executor import Action, Context
from server.keys import QUEUE

# Who may send which command: registering at the desk is the secretary's job too.
PERMISSION = {"register_turn": "register_speaker", "link_petition": "register_speaker"}


class QueueCommand(Action):
    name = "queue.command"
    permission = "run_queue"

    def parse(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise BadRequest("bad_command", "Lệnh phải là một đối tượng JSON.")
        cid = raw.get("conference_id")
        if isinstance(cid, str) and cid.isascii() and cid.isdigit() and len(cid) <= 10:
            cid = int(cid)
        if isinstance(cid, bool) or not isinstance(cid, int) or not 0 < cid <= DB_INT[1]:
            raise BadRequest("bad_command", "Thiếu mã hội nghị.")
        return {**raw, "conference_id": cid}

    def authorize(self, actor: Actor | None, data: Any) -> None:
        kind = data.get("type")
        if actor is not None and actor.kind == "public":
            own = kind == "withdraw" and actor.own_turn and data.get("turn_id") == actor.own_turn
            if kind != "register_turn" and not own:
                raise forbidden("Chỉ được đăng ký phát biểu hoặc rút đăng ký của chính mình.")
            return
        if actor is None or actor.kind != "user" or not can(actor.role,
                                                            PERMISSION.get(kind, "run_queue")):
            raise forbidden("Bạn không có quyền điều hành hàng đợi phát biểu.")

    def lock_key(self, data: Any) -> Hashable:
        return ("queue", data["conference_id"])

    async def run(self, ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
        payload = dict(data)
        cid = payload.pop("conference_id")
        if ctx.actor.kind == "public" and payload.get("type") == "register_turn":
            payload["source"] = "qr"
        old, new, happenings, commune_id = await ctx.services[QUEUE].apply(
            ctx.db, ctx.actor, cid, payload, ctx.now)
        duplicate = new is old
        if not duplicate:
            ctx.emit(QueueChanged(cid, commune_id, new, happenings))
        return {"ok": True, "version": new.version, "duplicate": duplicate,
                "turn_id": payload.get("command_id") if payload.get("type") == "register_turn"
                else None, "state": new}
