"""Refusals name fields in Vietnamese from one table (server/domain/field_labels.py): every
field of every input model has a name there; several endpoints refuse bad input with
messages such as "Nội dung phát biểu: tối đa 1000 ký tự."; the table is served to the
tablet in the catalogue. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import uuid

import server
from server.api.formats import JsonScalars
from server.domain import limits
from server.domain.field_labels import FIELD_LABELS, label, sentence
from server.domain.queue_commands import COMMAND_TYPES
from tests.conftest import ApiClient
from tests.server.test_record_api import CONF

PLAN = {"opening": 15, "opinions": 120, "answers": 40, "conclusion": 10, "closing": 3}


def import_all(package=server) -> None:
    """Import every module of ``package``. A module that needs another part loaded first
    (a circular import seen from an odd order) is imported again after the rest."""
    names = [m.name for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    for _ in range(3):
        failed = []
        for name in names:
            try:
                importlib.import_module(name)
            except ImportError:
                failed.append(name)
        if not failed:
            return
        names = failed
    raise AssertionError(f"modules that cannot be imported: {names}")


def _input_fields() -> dict[str, set[str]]:
    """Every field of every JSON input model of the server, with the models that have it."""
    import_all()
    found: dict[str, set[str]] = {}
    stack, seen = list(JsonScalars.__subclasses__()), set()
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        for name in cls.model_fields:
            found.setdefault(name, set()).add(f"{cls.__module__}.{cls.__name__}")
    return found


def test_every_input_field_and_queue_command_field_has_a_vietnamese_name():
    fields = _input_fields()
    assert {"topic", "title", "minutes", "opinions", "username"} <= set(fields)
    for cls in COMMAND_TYPES.values():
        for f in dataclasses.fields(cls):
            fields.setdefault(f.name, set()).add(cls.__name__)
    missing = {n: sorted(m) for n, m in fields.items() if n != "body" and n not in FIELD_LABELS}
    assert not missing, f"fields without a Vietnamese name in field_labels.FIELD_LABELS: {missing}"


def test_a_name_is_found_for_paths_and_a_sentence_names_each_field():
    assert label("topic") == "Nội dung phát biểu"
    assert label(("petition_ids", 0)) == "Kiến nghị"
    assert label("settings.speaking_seconds") == "Thời gian phát biểu mỗi lượt (giây)"
    assert label("minutes.opinions") == "Thời gian dự kiến (phút) phần “Nhân dân phát biểu ý kiến”"
    assert label("title", "ParticipantIn") == "Chức vụ, đơn vị" and label("title") == "Tên"
    assert label("") == label("no_such_field") == "Dữ liệu"
    assert sentence([{"field": "topic", "message": "Tối đa 1000 ký tự."},
                     {"field": "hamlet", "message": "Không được để trống"}]) == \
        "Nội dung phát biểu: tối đa 1000 ký tự. Thôn, bon, tổ dân phố: không được để trống."


async def test_endpoints_refuse_bad_input_naming_fields_in_vietnamese(client: ApiClient,
                                                                      anon: ApiClient):
    catalogue = await anon.ok("GET", "/api/catalogue")
    assert catalogue["field_labels"] == FIELD_LABELS

    async def refused(method: str, path: str, body: dict) -> dict:
        status, resp = await client.call(method, path, body)
        assert status == 422, resp
        return resp["error"]

    # a conference whose title is too long and whose venue is missing
    err = await refused("POST", "/api/conferences", {
        **{k: v for k, v in CONF.items() if k != "venue"}, "title": "x" * (limits.CONFERENCE_TITLE + 1)})
    assert err["code"] == "invalid_input"
    assert "Tên: tối đa 300 ký tự." in err["message"], err
    assert "Địa điểm: bắt buộc, chưa có." in err["message"], err
    assert {f["field"]: f["label"] for f in err["fields"]} == {"title": "Tên", "venue": "Địa điểm"}
    assert "title" not in err["message"] and "venue" not in err["message"]

    cid = (await client.ok("POST", "/api/conferences", CONF, status=201))["id"]
    # an invited person: the position (the model's own name for "title") and a phone
    err = await refused("POST", f"/api/conferences/{cid}/participants", {
        "full_name": "Trần Văn Bình", "title": "y" * (limits.POSITION + 1), "phone": "12"})
    assert "Chức vụ, đơn vị: tối đa 200 ký tự." in err["message"], err
    assert "Điện thoại: số điện thoại không hợp lệ (9–12 chữ số)." in err["message"], err

    # a petition: its content missing; then a field number too large for the database
    petition = {"conference_id": cid, "raised_by": "Lê Thị Hoa", "field_id": 1}
    err = await refused("POST", "/api/petitions", petition)
    assert err["message"] == "Nội dung: bắt buộc, chưa có.", err
    err = await refused("POST", "/api/petitions", {**petition, "content": "Đường", "field_id": 2**40})
    assert err["message"] == "Lĩnh vực: số quá lớn (tối đa 2147483647).", err
    assert err["fields"] == [{"field": "field_id", "label": "Lĩnh vực", "code": "int_too_large",
                              "message": "Số quá lớn (tối đa 2147483647)."}]

    # the run-of-show's plan: half a minute
    err = await refused("PUT", f"/api/conferences/{cid}/phases",
                        {"minutes": {**PLAN, "answers": 0}})
    assert err["message"] == "Thời gian dự kiến (phút) phần “Lãnh đạo trả lời”: " \
                             "phải lớn hơn hoặc bằng 1.", err

    # the queue's own rules: a topic too long, a reason missing
    status, resp = await client.call("POST", f"/api/conferences/{cid}/queue/commands", {
        "type": "register_turn", "command_id": uuid.uuid4().hex, "base_version": 0,
        "display_name": "Phạm Văn Cường", "topic": "z" * (limits.TOPIC + 1)})
    assert status == 422 and resp["error"]["message"] == "Nội dung phát biểu: tối đa 1000 ký tự.", resp
    # the account form: a username too short
    err = await refused("POST", "/api/users", {"username": "ab", "full_name": "Đỗ Văn Dũng",
                                               "role": "viewer", "password": "mat-khau-dai-du"})
    assert err["message"].startswith("Tên đăng nhập: "), err
