"""A petition's lifecycle: one table of labels, the raised-on day, one rule per due date,
the stored resolved-on day, and whether it was handled on time."""

import dataclasses
from datetime import date

import pytest

from server.domain import petition_lifecycle as lc
from server.domain import petitions
from server.domain.calendar import WorkCalendar, default_overrides
from server.domain.deadlines import DeadlineStatus
from server.domain.errors import Invalid
from server.domain.rule_profiles import PetitionOutcome, get_profile

SEED = get_profile("cong-van-457")
LAW = get_profile("luat-2025")
CONF = date(2026, 2, 13)  # Friday before Tết 2026


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(default_overrides())


def test_one_table_of_labels():
    assert [s.state for s in lc.STAGES] == list(lc.PetitionStatus)
    assert lc.STATE_LABELS == {
        "open": "Chưa có kết luận",
        "answered": "Đã trả lời tại hội nghị",
        "assigned": "Đã giao đơn vị giải quyết",
        "verifying": "Đang kiểm tra, xác minh",
        "forwarded": "Đã chuyển cơ quan có thẩm quyền",
        "resolved": "Đã giải quyết xong",
    }
    assert lc.OUTCOME_LABELS[lc.AnswerOutcome.VERIFYING] == "Cần xác minh, trả lời bằng văn bản"
    # the petitions module and the follow-up name the same objects, not copies
    from server.followup import state
    from server.transcripts.rules import OUTCOMES
    assert petitions.STATUS_LABELS is lc.STATUS_LABELS and petitions.OUTCOME_LABELS is lc.OUTCOME_LABELS
    assert state.STATE_LABELS is lc.STATE_LABELS
    assert {k: label for k, (_, _, label) in OUTCOMES.items()} == \
        {str(k): v for k, v in lc.OUTCOME_LABELS.items()}
    assert lc.outcome_label("assigned") == "Giao đơn vị giải quyết" and lc.outcome_label("x") == "x"


def test_state_and_outcome():
    assert lc.outcome_of("verifying") == lc.outcome_of("needs_verification") == PetitionOutcome.NEEDS_VERIFICATION
    assert lc.outcome_of(None) is None and lc.outcome_of("lost") is None
    assert lc.petition_state("verifying", "verifying") == "verifying"
    assert lc.petition_state("assigned", "resolved") == "resolved"
    assert lc.petition_state(None, "open") == "open"
    assert lc.STATUS_OF_OUTCOME["forwarded"] == lc.PetitionStatus.FORWARDED


def test_raised_on_is_the_conference_day_else_the_day_recorded():
    assert lc.raised_on(CONF, date(2026, 1, 20)) == CONF
    assert lc.raised_on(None, date(2026, 1, 20)) == date(2026, 1, 20)


def test_due_dates_one_rule_each(cal):
    # conclusion notice: 10 working days, Tết 14/02-22/02 off (docs/deadlines.md)
    assert lc.conclusion_due(CONF, SEED, cal) == date(2026, 3, 6)
    # the 2025 law: the results are published within 10 calendar days, moved off Tết
    assert lc.conclusion_due(date(2026, 4, 20), LAW, cal) == date(2026, 5, 4)
    # written reply: 30 working days; the 2025 law names none, so the seed letter's applies
    assert lc.written_reply_due(CONF, SEED, cal) == date(2026, 4, 3)
    assert lc.written_reply_due(CONF, LAW, cal) == date(2026, 4, 3)
    assert lc.FALLBACK_WRITTEN_REPLY.length == SEED.rule("verification_reply").length
    assert lc.FALLBACK_WRITTEN_REPLY.unit == SEED.rule("verification_reply").unit
    assert lc.FALLBACK_CONCLUSION.length == SEED.rule("conclusion_notice").length
    assert lc.with_written_reply(SEED) is SEED
    # verification result: the typed date, else the written reply's; never before raised
    assert lc.verification_due(None, CONF, date(2026, 4, 3)) == date(2026, 4, 3)
    assert lc.verification_due(date(2026, 5, 29), CONF, date(2026, 4, 3)) == date(2026, 5, 29)
    assert lc.verification_due(date(2026, 1, 1), CONF, date(2026, 4, 3)) == CONF
    assert lc.assigned_due(date(2026, 3, 20), CONF) == date(2026, 3, 20)
    assert lc.assigned_due(date(2026, 1, 1), CONF) == CONF
    assert lc.assigned_due(None, CONF) is None


def _dates(cal, outcome, status, typed=None, resolved=None, profile=SEED):
    return lc.petition_dates(conference_day=CONF, recorded_on=date(2026, 2, 1), answer_outcome=outcome,
                             status=status, typed_due=typed, stored_resolved_on=resolved,
                             profile=profile, cal=cal)


def test_a_promise_beyond_the_legal_period_never_moves_the_written_reply(cal):
    d = _dates(cal, "verifying", "verifying", typed=date(2026, 5, 29))
    assert (d.written_reply_due, d.verification_due, d.due) == (date(2026, 4, 3), date(2026, 5, 29),
                                                                 date(2026, 5, 29))
    assert d.promised_beyond_period
    items = lc.petition_deadlines(d, SEED, cal, today=date(2026, 4, 6))
    by_key = {i.key: i for i in items}
    assert by_key["verification_reply"].due == date(2026, 4, 3)
    assert by_key["verification_reply"].status == DeadlineStatus.OVERDUE
    assert by_key["verification_result"].due == date(2026, 5, 29)
    assert by_key["verification_result"].label == lc.VERIFICATION_RESULT_LABEL
    # the written reply sent marks it done; the result stays open until resolved
    items = lc.petition_deadlines(d, SEED, cal, today=date(2026, 4, 6), reply_sent_on=date(2026, 4, 2))
    by_key = {i.key: i for i in items}
    assert by_key["verification_reply"].status == DeadlineStatus.DONE
    assert by_key["verification_result"].status == DeadlineStatus.UPCOMING
    plain = _dates(cal, "verifying", "verifying")
    assert not plain.promised_beyond_period
    assert [i.key for i in lc.petition_deadlines(plain, SEED, cal, date(2026, 3, 1))] == ["verification_reply"]
    # under the 2025 law the board shows the same written-reply date
    law = _dates(cal, "verifying", "verifying", profile=LAW)
    assert [(i.key, i.due) for i in lc.petition_deadlines(law, LAW, cal, date(2026, 3, 1))] == \
        [("verification_reply", date(2026, 4, 3))]


def test_assigned_and_open_and_resolved_dates(cal):
    a = _dates(cal, "assigned", "assigned", typed=date(2026, 3, 20))
    assert (a.assigned_due, a.due, a.written_reply_due) == (date(2026, 3, 20), date(2026, 3, 20), None)
    assert [(i.key, i.due) for i in lc.petition_deadlines(a, SEED, cal, date(2026, 3, 1))] == \
        [("assigned", date(2026, 3, 20))]
    o = _dates(cal, None, "open")
    assert (o.state, o.outcome, o.due, o.conclusion_due) == ("open", None, None, date(2026, 3, 6))
    assert lc.petition_deadlines(o, SEED, cal, date(2026, 3, 1)) == []
    r = _dates(cal, "assigned", "resolved", typed=date(2026, 3, 20), resolved=date(2026, 3, 19))
    assert (r.state, r.resolved_on) == ("resolved", date(2026, 3, 19))
    item = lc.petition_deadlines(r, SEED, cal, date(2026, 3, 25))[0]
    assert item.status == DeadlineStatus.DONE and not item.late
    # a stored day of a petition no longer resolved is not its resolved-on day
    assert dataclasses.replace(r, resolved_on=None).resolved_on is None
    assert lc.resolved_on("open", date(2026, 3, 19)) is None


def test_resolved_on_is_stored_with_the_status():
    today = date(2026, 3, 19)
    assert lc.resolved_on_after("resolved", None, today) == today
    assert lc.resolved_on_after("resolved", date(2026, 3, 10), today) == date(2026, 3, 10)  # typed
    assert lc.resolved_on_after("assigned", date(2026, 3, 10), today) is None  # reopened
    lc.check_resolved_on(date(2026, 3, 10), CONF, today)
    with pytest.raises(Invalid) as info:
        lc.check_resolved_on(date(2026, 3, 20), CONF, today)
    assert info.value.code == "resolved_in_future" and "20/03/2026" in info.value.message
    with pytest.raises(Invalid) as info:
        lc.check_resolved_on(date(2026, 2, 1), CONF, today)
    assert info.value.code == "resolved_before_raised"


def test_model_stamps_resolved_on_through_the_rule():
    from server.db.models import Petition

    p = Petition(raised_by="A", resolved_on=date(2026, 3, 10), status="resolved")
    assert p.resolved_on == date(2026, 3, 10)
    p.status = "assigned"
    assert p.resolved_on is None
    p.status = "resolved"
    assert p.resolved_on is not None


def test_timeliness_follows_the_handling(cal):
    today = date(2026, 6, 1)
    v = _dates(cal, "verifying", "verifying", typed=date(2026, 5, 29))
    t = lc.timeliness(v, today, first_answer_on=CONF, reply_sent_on=date(2026, 4, 3))
    assert (t.due, t.on_time, t.counted) == (date(2026, 4, 3), True, True)  # the legal day, not the promise
    t = lc.timeliness(v, today, first_answer_on=CONF, reply_sent_on=date(2026, 4, 6))
    assert not t.on_time
    a = _dates(cal, "answered", "answered")
    assert lc.timeliness(a, today, first_answer_on=CONF).on_time
    o = _dates(cal, None, "open")
    t = lc.timeliness(o, date(2026, 3, 1), first_answer_on=None)
    assert not t.counted
    assert lc.timeliness(o, today, first_answer_on=None).counted
    r = _dates(cal, "verifying", "resolved", resolved=date(2026, 4, 1))
    t = lc.timeliness(r, today, first_answer_on=CONF)
    assert (t.due, t.done_on, t.on_time) == (date(2026, 4, 3), date(2026, 4, 1), True)
    ra = _dates(cal, "answered", "resolved", resolved=date(2026, 5, 1))
    assert lc.timeliness(ra, today, first_answer_on=CONF).done_on == CONF  # answered at the conference
