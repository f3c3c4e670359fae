"""The citizen follows a petition with its tracking code at /tra-cuu (no login)."""

from __future__ import annotations

from server.domain.tracking import tracking_code
from server.keys import SIGNING_KEY
from tests.conftest import ApiClient
from tests.server.test_record_api import CONF


async def test_a_citizen_follows_a_petition_by_its_code(client: ApiClient, anon: ApiClient,
                                                         app_server) -> None:
    _, app = app_server
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    fields = await client.ok("GET", "/api/fields")
    petition = await client.ok("POST", "/api/petitions", {
        "conference_id": conf["id"], "raised_by": "Hoàng Thị Mai", "hamlet": "Thôn 3",
        "phone": "0912345678", "field_id": fields[0]["id"],
        "content": "Đề nghị sửa đường liên thôn"}, status=201)
    got = await client.ok("GET", f"/api/petitions/{petition['id']}/tracking")
    assert got["code"] == tracking_code(app[SIGNING_KEY], petition["id"])
    status, page = await anon.call("GET", got["path"])
    assert status == 200
    assert "Hoàng T. M. - Thôn 3" in page and "Đề nghị sửa đường liên thôn" in page
    assert "0912345678" not in page and "Hoàng Thị Mai" not in page
    assert "Tình trạng" in page and "Hạn trả lời" in page
    # a code for another number, or a made-up one, shows nothing
    number, letters = got["code"].split("-")
    for wrong in (f"{int(number) + 1}-{letters}", f"{number}-AAAA", "xyz"):
        status, page = await anon.call("GET", f"/tra-cuu?ma={wrong}")
        assert status == 404 and "Không tìm thấy kiến nghị" in page
    # the form alone, and codes cannot be tried without end
    status, page = await anon.call("GET", "/tra-cuu")
    assert status == 200 and "Mã tra cứu" in page
    codes = [(await anon.call("GET", f"/tra-cuu?ma={number}-BBBB"))[0] for _ in range(20)]
    assert codes[-1] == 429 and set(codes[:16]) == {404}
    # staff of the commune only
    status, _ = await anon.call("GET", f"/api/petitions/{petition['id']}/tracking")
    assert status == 401


async def test_a_written_opinion_from_a_phone_becomes_a_petition_to_review(
        client: ApiClient, anon: ApiClient) -> None:
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    url = f"{anon.base}/r/{conf['public_slug']}"
    async with anon.http.get(url) as r:
        assert "gửi ý kiến bằng văn bản" in (await r.text()).lower()
    async with anon.http.post(url + "/y-kien", data={"o_name": "", "o_hamlet": "Thôn 2",
                                                     "o_content": "x"}) as r:
        assert r.status == 422 and "Vui lòng nhập họ và tên." in await r.text()
    assert await client.ok("GET", f"/api/petitions?conference_id={conf['id']}") == []
    async with anon.http.post(url + "/y-kien", data={
            "o_name": "Lê Văn Hải", "o_hamlet": "Thôn 2",
            "o_content": "Đề nghị lắp đèn đường ở ngã ba chợ"}) as r:
        page = await r.text()
        assert r.status == 200 and "ĐÃ NHẬN Ý KIẾN" in page
    petitions = await client.ok("GET", f"/api/petitions?conference_id={conf['id']}")
    assert len(petitions) == 1
    p = petitions[0]
    assert (p["source"], p["needs_review"], p["raised_by"], p["field_name"]) == (
        "written", True, "Lê Văn Hải", "Khác")
    code = (await client.ok("GET", f"/api/petitions/{p['id']}/tracking"))["code"]
    assert code in page
    status, tracked = await anon.call("GET", f"/tra-cuu?ma={code}")
    assert status == 200 and "Đề nghị lắp đèn đường" in tracked
    # the secretary files it and marks it reviewed
    fields = {f["code"]: f["id"] for f in await client.ok("GET", "/api/fields")}
    done = await client.ok("PATCH", f"/api/petitions/{p['id']}",
                           {"needs_review": False, "field_id": fields["roads"]})
    assert done["needs_review"] is False and done["field_name"] != "Khác"
