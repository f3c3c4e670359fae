"""Every kind of action the audit log records has a Vietnamese name in one table
(server/domain/audit_labels.py), served to the audit page and written in the CSV: an
action module, a queue command or an audit code without a name fails here."""

from __future__ import annotations

import ast
import csv
import io
import re
import uuid
from pathlib import Path

import server
import server.actions
from server.domain.audit_labels import ACTION_NAMES, ACTIONS, GROUPS, action_label
from server.domain.queue_commands import COMMAND_TYPES
from server.executor import Action
from tests.conftest import ApiClient
from tests.server.test_field_labels import import_all
from tests.server.test_record_api import CONF

ROOT = Path(server.__file__).resolve().parent
CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _actions() -> dict[str, str]:
    """Every action class under server/actions/ by its name, with the module it is in."""
    import_all()
    found: dict[str, str] = {}
    stack = list(Action.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("server.actions.") and cls.name:
            found[cls.name] = cls.__module__
    return found


def _written_codes() -> dict[str, str]:
    """The audit codes written as literals in the server's code: the first text argument
    that looks like "resource.verb" of every call to ``audit``, ``record`` or ``_revise``
    (both branches of an ``a if b else c``)."""
    found: dict[str, str] = {}
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in ("audit", "record", "_revise"):
                continue
            for arg in node.args:
                texts = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
                codes = [t.value for t in texts if isinstance(t, ast.Constant)
                         and isinstance(t.value, str) and CODE.match(t.value)]
                for code in codes:
                    found[code] = str(path.relative_to(ROOT.parent))
                if codes:
                    break
    return found


def test_every_action_module_has_a_label():
    actions = _actions()
    assert len(actions) >= 30, actions  # the walk found them
    missing = {name: module for name, module in actions.items()
               if name not in ACTIONS and name not in ACTION_NAMES}
    assert not missing, f"actions without a Vietnamese name in audit_labels: {missing}"
    assert not set(ACTION_NAMES) & set(ACTIONS)
    assert set(ACTION_NAMES) <= set(actions), set(ACTION_NAMES) - set(actions)  # none stale


def test_every_queue_command_and_written_code_has_a_label():
    missing = [t for t in COMMAND_TYPES if f"queue.{t}" not in ACTIONS]
    assert not missing, f"queue commands without a name: {missing}"
    written = _written_codes()
    assert {"session.login", "petition.create", "recording.turn"} <= set(written), written
    missing_codes = {c: where for c, where in written.items() if c not in ACTIONS}
    assert not missing_codes, f"audit codes without a Vietnamese name: {missing_codes}"
    from server.followup.bulletins import STATUSES  # written as f"bulletin.{status}"

    assert all(f"bulletin.{s}" in ACTIONS for s in STATUSES)


def test_labels_are_vietnamese_and_every_code_is_in_a_group():
    for code, label in {**ACTIONS, **ACTION_NAMES}.items():
        assert label and label != code and not CODE.match(label), code
    for code in ACTIONS:
        assert any(code.startswith(g) for g in GROUPS), code
    assert action_label("queue.set_phase") == "Hàng đợi: Chuyển phần hội nghị"
    assert action_label("queue.command") == "Lệnh hàng đợi"
    assert action_label("something.new") == "something.new"


async def test_the_catalogue_serves_the_labels_and_the_csv_has_them(client: ApiClient,
                                                                     anon: ApiClient):
    body = await anon.ok("GET", "/api/catalogue")
    assert body["audit_actions"] == ACTIONS and body["audit_groups"] == GROUPS
    cid = (await client.ok("POST", "/api/conferences", CONF, status=201))["id"]
    await client.ok("POST", f"/api/conferences/{cid}/queue/commands", {
        "type": "set_phase", "phase": "opening", "command_id": uuid.uuid4().hex, "base_version": 0})
    async with client.http.get(client.base + f"/api/audit.csv?conference_id={cid}") as resp:
        assert resp.status == 200
        rows = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    assert [(r["Thao tác"], r["Tên thao tác"]) for r in rows] == [
        ("queue.set_phase", "Hàng đợi: Chuyển phần hội nghị"),
        ("conference.create", "Thêm hội nghị")]
