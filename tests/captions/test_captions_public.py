"""Who sees the captions, through the real server, engine and socket.io clients: staff
always; the public (an anonymous follower of the public link) only on air, unmuted (unless
the moderator shows them while muted), and not for a hidden turn; hiding is audited."""

from __future__ import annotations

import asyncio

from tests.captions.conftest import listen, open_hall, staff_listener, wait_for


async def test_public_lines_follow_air_mute_and_hidden_turns(hall, admin):
    base, app = hall
    h = await open_hall(admin)
    staff = await staff_listener(base, admin, h.cid)
    phone = await listen(base, h.cid, follow=h.slug)
    path = f"/api/conferences/{h.cid}/captions"

    async def next_line(who, after: int, timeout: float = 10) -> bool:
        """A new line (a partial or a final) reached this client."""
        return bool(await wait_for(lambda: len(who.lines) > after, timeout))

    try:
        # off air: staff read the captions, the public room gets nothing
        await h.start()
        assert await next_line(staff, 0)
        state = await admin.ok("GET", path)
        assert state["state"]["public"] is False and state["state"]["turn_id"] == h.turn
        assert state["state"]["message"] == "Chưa phát thanh: phụ đề chỉ hiện cho cán bộ."
        assert state["lines"] and state["lines"][-1]["turn_id"] == h.turn
        assert phone.lines == []
        # on air: the follower reads them too
        await h.on_air()
        assert await next_line(phone, 0)
        # the moderator hides this turn: public lines stop, staff still read, it is audited
        hidden = await admin.ok("POST", f"{path}/hide", {"turn_id": h.turn, "hidden": True})
        assert hidden["hidden_turn_id"] == h.turn and hidden["public"] is False
        assert "ẩn" in hidden["message"]
        seen = len(phone.lines)
        staff_seen = len(staff.lines)
        assert await next_line(staff, staff_seen)
        await asyncio.sleep(0.3)  # anything sent to the public would have come by now
        assert len(phone.lines) == seen
        assert await wait_for(lambda: phone.states and phone.states[-1]["public"] is False, 2)
        audit = await admin.ok("GET", "/api/audit?action=captions.hide")
        entries = audit if isinstance(audit, list) else audit.get("events", audit)
        assert any(e["entity_id"] == h.turn and e["after"] == {"hidden": True} for e in entries)
        # shown again, but the broadcast is muted: still nothing for the public
        shown = await admin.ok("POST", f"{path}/hide", {"turn_id": h.turn, "hidden": False})
        assert shown["hidden_turn_id"] is None and shown["public"] is True
        await admin.ok("POST", "/api/broadcast/mute", {"muted": True})
        muted = await admin.ok("GET", path)
        assert muted["state"]["public"] is False
        assert muted["state"]["message"] == "Phát thanh đang tắt tiếng: phụ đề chỉ hiện cho cán bộ."
        seen = len(phone.lines)
        staff_seen = len(staff.lines)
        assert await next_line(staff, staff_seen)
        await asyncio.sleep(0.3)  # anything sent to the public would have come by now
        assert len(phone.lines) == seen
        # the moderator chooses to show them while muted
        on = await admin.ok("POST", f"{path}/settings", {"show_when_muted": True})
        assert on["public"] is True and on["show_when_muted"] is True
        assert await next_line(phone, len(phone.lines))
        # captions off: nothing at all, and the tablet is told
        off = await admin.ok("POST", f"{path}/settings", {"enabled": False})
        assert off["mode"] == "off" and off["public"] is False
        assert off["message"] == "Phụ đề đang tắt."
        audit = await admin.ok("GET", "/api/audit?action=captions.settings")
        entries = audit if isinstance(audit, list) else audit.get("events", audit)
        assert any(e["after"] == {"enabled": False, "show_when_muted": True} for e in entries)
    finally:
        await staff.sio.disconnect()
        await phone.sio.disconnect()
