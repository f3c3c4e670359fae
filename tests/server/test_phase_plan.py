"""The run-of-show's planned minutes, set per conference over HTTP (PUT
/api/conferences/{id}/phases): refused without the permission or with a wrong plan
(nothing written), stored in the queue, sent to a real socket.io tablet and hall screen,
kept when the queue's rules are saved without it. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from server.domain import limits, phases
from tests.conftest import ApiClient
from tests.server.test_queue_realtime import Watcher, session_cookie
from tests.server.test_record_api import CONF

PLAN = {"opening": 15, "opinions": 120, "answers": 40, "conclusion": 10, "closing": 3}


async def test_the_plan_is_set_checked_and_reaches_tablet_and_screen(client: ApiClient,
                                                                       anon: ApiClient):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    dev = await client.ok("POST", "/api/devices", {"name": "Màn hình", "kind": "display"}, status=201)
    tablet, screen = Watcher(), Watcher()
    await tablet.connect(client.base, cookie=session_cookie(client))
    await screen.connect(client.base, token=dev["token"])
    try:
        assert (await tablet.sio.call("join", {"conference_id": cid}))["ok"]
        assert (await screen.sio.call("join", {"conference_id": cid}))["ok"]
        snap = await client.ok("GET", f"/api/conferences/{cid}/queue")
        assert snap["state"]["settings"]["phase_minutes"] == phases.PLANNED_MINUTES
        assert [p["planned_seconds"] for p in snap["phases"]] == [
            m * 60 for m in phases.PLANNED_MINUTES.values()]

        # refused: a viewer; no login; a wrong plan. Nothing is written.
        await anon.login("viewer1")
        status, body = await anon.call("PUT", f"/api/conferences/{cid}/phases", {"minutes": PLAN})
        assert status == 403, body
        for bad, field in (({**PLAN, "opinions": 0}, "minutes.opinions"),
                           ({**PLAN, "answers": limits.PHASE_MINUTES_MAX + 1}, "minutes.answers"),
                           ({**PLAN, "closing": 2.5}, "minutes.closing"),
                           ({**PLAN, "closing": "3"}, "minutes.closing"),
                           ({k: v for k, v in PLAN.items() if k != "opening"}, "minutes.opening"),
                           ({**PLAN, "giai_lao": 10}, "minutes.giai_lao")):
            status, body = await client.call("PUT", f"/api/conferences/{cid}/phases", {"minutes": bad})
            assert status == 422, (bad, body)
            assert [f["field"] for f in body["error"]["fields"]] == [field], body
        assert (await client.ok("GET", f"/api/conferences/{cid}/queue"))["version"] == 0

        # set: stored in the queue, on the tablet and on the hall screen
        done = await client.ok("PUT", f"/api/conferences/{cid}/phases",
                               {"minutes": PLAN, "reason": "Theo chương trình"})
        assert done["version"] == 1 and done["phase_minutes"] == PLAN
        state = await tablet.wait_state(lambda s: s["version"] == 1)
        assert [p["planned_seconds"] for p in state["phases"]] == [m * 60 for m in PLAN.values()]
        await client.ok("POST", f"/api/conferences/{cid}/queue/commands", {
            "type": "set_phase", "phase": "opinions", "command_id": uuid.uuid4().hex, "base_version": 1})
        public = await screen.wait_public(lambda p: p["version"] == 2)
        assert public["phase_now"]["phase"] == "opinions"
        assert public["phase_now"]["planned_seconds"] == 120 * 60
        assert public["phase_label"] == "Nhân dân phát biểu ý kiến"

        # the same plan again changes nothing
        again = await client.ok("PUT", f"/api/conferences/{cid}/phases", {"minutes": PLAN})
        assert again["version"] == 2

        # the rules saved without a plan keep the plan in force
        rules = {k: v for k, v in state["state"]["settings"].items() if k != "phase_minutes"}
        await client.ok("POST", f"/api/conferences/{cid}/queue/commands", {
            "type": "update_settings", "command_id": uuid.uuid4().hex, "base_version": 2,
            "settings": {**rules, "speaking_seconds": 200}})
        snap = await client.ok("GET", f"/api/conferences/{cid}/queue")
        assert snap["state"]["settings"]["phase_minutes"] == PLAN
        assert snap["state"]["settings"]["speaking_seconds"] == 200

        # the audit log has the change with its reason
        events = await client.ok("GET", f"/api/audit?conference_id={cid}&action=queue.update_settings")
        assert any(e["reason"] == "Theo chương trình" for e in events), events
    finally:
        await tablet.sio.disconnect()
        await screen.sio.disconnect()
