"""The caption path end to end: the real voices through the broadcast's capture, the real
engine in its worker process, socket.io clients (staff and an anonymous follower of the
public link), the machine draft at the turn's end."""

from __future__ import annotations

import asyncio
import time

from server.domain.captions import LIVE_ENGINE
from tests.captions.conftest import listen, open_hall, staff_listener, wait_for


def words(text: str) -> str:
    import re

    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


async def test_captions_reach_staff_and_followers_and_become_the_draft(hall, admin, hall_voices):
    base, app = hall
    h = await open_hall(admin)
    staff = await staff_listener(base, admin, h.cid)
    phone = await listen(base, h.cid, follow=h.slug)
    try:
        assert staff.joined["ok"] and "staff" in staff.joined
        assert phone.joined["ok"] and "staff" not in phone.joined
        state = phone.joined["captions"]["state"]
        assert state["enabled"] and state["available"] and state["mode"] == "live"
        assert state["public"] is False and state["turn_id"] is None  # off air, no turn
        # a follower reads, never commands
        refused = await phone.sio.call("queue:command", {"type": "next"})
        assert refused["ok"] is False
        await h.on_air()
        await h.start()
        # at least two sentences, with partial words before each final
        assert await wait_for(lambda: len(staff.finals()) >= 2, 30), staff.lines
        await h.end()
        ended = time.monotonic()
        transcript: dict = {}
        for _ in range(40):
            transcript = await admin.ok("GET", f"/api/turns/{h.turn}/transcript")
            if transcript["machine_text"]:
                break
            await asyncio.sleep(0.05)
        draft_after = time.monotonic() - ended
        assert transcript["engine"] == LIVE_ENGINE and transcript["origin"] == "machine"
        finals = [line["text"] for line in staff.finals() if line["turn_id"] == h.turn]
        assert transcript["machine_text"] == " ".join(finals)
        assert draft_after < 3.0, draft_after
        partials = [line for line in staff.lines if not line["final"]]
        assert partials, "no partial words"
        # a partial shares the seq of the final that closes it; seqs count up from 1
        seqs = [line["seq"] for line in staff.finals()]
        assert seqs == sorted(set(seqs)) and seqs[0] == 1
        assert {p["seq"] for p in partials} <= set(seqs) | {max(seqs) + 1}
        # the follower (public room) heard the same lines: on air, not muted
        assert [f["text"] for f in phone.finals()] == [f["text"] for f in staff.finals()]
        # the text is the real speech: words of the references, recognised
        # (the turn starts anywhere in the looping recording: each word heard is compared
        # with the words said)
        said = set(words(hall_voices.text).split())
        heard = words(" ".join(finals)).split()
        assert len(heard) >= 8 and sum(w in said for w in heard) / len(heard) >= 0.7, heard
        # the state followed the floor
        assert any(s["turn_id"] == h.turn and s["public"] for s in phone.states)
        assert phone.states[-1]["turn_id"] is None
    finally:
        await staff.sio.disconnect()
        await phone.sio.disconnect()
