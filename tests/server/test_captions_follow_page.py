"""The phone's "Theo dõi" page (/r/{slug}/theo-doi) on SQLite and PostgreSQL: made with the
floor in its public form (without JavaScript it still says who speaks), linked from the form;
a slug no conference can have is "not found", never a server error (PostgreSQL cannot even
compare a text holding a NUL)."""

from __future__ import annotations

import uuid

from server.domain import phases
from tests.conftest import ApiClient
from tests.server.test_record_api import CONF

HOSTILE_SLUGS = ("%00", "a%00b", "a" * 3000, "%C4%91", "x%0Ay", "%FF")


async def test_follow_page_shows_the_public_floor_and_refuses_strange_slugs(client: ApiClient):
    cid = (await client.ok("POST", "/api/conferences", CONF, status=201))["id"]
    slug = (await client.ok("GET", f"/api/conferences/{cid}/registration"))["url"].rsplit("/", 1)[1]
    status, page = await client.call("GET", f"/r/{slug}/theo-doi")
    assert status == 200 and "Chưa có người phát biểu" in page and 'id="listen"' in page
    status, form = await client.call("GET", f"/r/{slug}")
    assert status == 200 and f'href="/r/{slug}/theo-doi"' in form

    q = f"/api/conferences/{cid}/queue/commands"
    turn = uuid.uuid4().hex
    await client.ok("POST", q, {"type": "register_turn", "command_id": turn, "base_version": 0,
                                "display_name": "Nguyễn Văn Ấn", "hamlet": "Thôn 3"})
    await client.ok("POST", q, {"type": "call_next", "command_id": uuid.uuid4().hex, "base_version": 1})
    await client.ok("POST", q, {"type": "start", "command_id": uuid.uuid4().hex, "base_version": 2,
                                "turn_id": turn})
    status, page = await client.call("GET", f"/r/{slug}/theo-doi")
    assert status == 200 and "Đang phát biểu" in page and "Nguyễn V. Ấ. - Thôn 3" in page
    assert "Nguyễn Văn Ấn" not in page  # the public form only
    assert 'id="follow-phase" class="follow-phase" hidden' in page  # no run-of-show yet
    await client.ok("POST", q, {"type": "set_phase", "phase": "opinions",
                                "command_id": uuid.uuid4().hex, "base_version": 3})
    status, page = await client.call("GET", f"/r/{slug}/theo-doi")
    assert f'class="follow-phase">{phases.LABELS["opinions"]}</p>' in page

    for raw in HOSTILE_SLUGS:
        for path in (f"/r/{raw}/theo-doi", f"/r/{raw}"):
            status, body = await client.call("GET", path)
            assert status == 404 and "Không có hội nghị ở địa chỉ này." in body, (path[:40], status)
