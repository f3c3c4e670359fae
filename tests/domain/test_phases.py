"""The run-of-show's plan: each conference's planned minutes per phase, as pure rules."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from server.domain import limits, phases
from server.domain.queue import apply, command_from_dict, from_dict, new_queue, public_view, to_dict

T0 = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
PLAN = {"opening": 15, "opinions": 120, "answers": 40, "conclusion": 10, "closing": 3}


def _run(state, now, **command):
    command = {"command_id": f"c{state.version + 1}", "base_version": state.version, **command}
    return apply(state, command_from_dict(command), now, "chủ tọa").state


def test_a_plan_needs_every_phase_in_whole_minutes_within_the_limits():
    assert phases.plan_problems(PLAN) == []
    assert phases.plan_problems(phases.default_plan()) == []
    assert phases.plan_problems({**PLAN, "opinions": 0}) == ["opinions"]
    assert phases.plan_problems({**PLAN, "answers": limits.PHASE_MINUTES_MAX + 1}) == ["answers"]
    assert phases.plan_problems({**PLAN, "closing": 2.5}) == ["closing"]
    assert phases.plan_problems({**PLAN, "closing": True}) == ["closing"]
    assert phases.plan_problems({**PLAN, "giai-lao": 10}) == ["giai-lao"]
    missing = dict(PLAN)
    del missing["conclusion"]
    assert phases.plan_problems(missing) == ["conclusion"]
    assert phases.plan_problems("90") == list(phases.PHASES)


def test_the_conference_plan_drives_the_timeline_and_the_public_screen():
    s = new_queue(1)
    settings = {**dataclasses.asdict(s.settings), "phase_minutes": PLAN}
    s = _run(s, T0, type="update_settings", settings=settings)
    assert s.history[-1].summary == "Đổi thiết lập hàng đợi: thời gian dự kiến các phần"
    assert public_view(s, T0)["phase_now"] is None
    s = _run(s, T0, type="set_phase", phase="opinions")
    line = phases.timeline(s.phases, T0 + timedelta(minutes=5), s.settings.phase_minutes)
    assert [p["planned_seconds"] for p in line] == [15 * 60, 120 * 60, 40 * 60, 10 * 60, 3 * 60]
    shown = public_view(s, T0 + timedelta(minutes=5))["phase_now"]
    assert shown == {"phase": "opinions", "label": "Nhân dân phát biểu ý kiến",
                     "planned_seconds": 7200, "used_seconds": 300.0}
    # stored and read back with the plan; undo puts the default plan back
    assert from_dict(to_dict(s)).settings.phase_minutes == PLAN
    s = _run(s, T0, type="undo", reason="Bấm nhầm")  # the phase move
    s = _run(s, T0, type="undo", reason="Bấm nhầm")  # the plan
    assert s.settings.phase_minutes == phases.PLANNED_MINUTES


def test_a_wrong_plan_is_refused_naming_the_phase():
    s = new_queue(1)
    settings = {**dataclasses.asdict(s.settings), "phase_minutes": {**PLAN, "opening": 0}}
    try:
        _run(s, T0, type="update_settings", settings=settings)
        raise AssertionError("a plan of 0 minutes was accepted")
    except Exception as exc:  # the queue's DomainError
        assert exc.code == "invalid_settings"
        assert exc.details["fields"] == ["phase_minutes.opening"]


def test_a_queue_stored_before_plans_existed_reads_with_the_default_plan():
    d = to_dict(new_queue(1))
    del d["settings"]["phase_minutes"]
    assert from_dict(d).settings.phase_minutes == phases.PLANNED_MINUTES
