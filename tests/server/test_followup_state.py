"""Pure follow-up rules: a petition's state, deadlines marked done, on-time share."""

from datetime import date

from server.domain.rule_profiles import PetitionOutcome
from server.followup.state import (
    DocumentEvents,
    conference_done,
    outcome_of,
    petition_state,
    petition_timeliness,
)


def test_verifying_answer_is_the_profiles_needs_verification():
    assert outcome_of("verifying") == PetitionOutcome.NEEDS_VERIFICATION
    assert outcome_of(None) is None and outcome_of("something") is None
    assert petition_state("verifying", "open") == "verifying"
    assert petition_state("assigned", "resolved") == "resolved"
    assert petition_state(None, "open") == "open"


def test_done_comes_from_documents():
    ev = DocumentEvents(conclusion_issued=date(2026, 3, 5), conclusion_sent=date(2026, 3, 6),
                        report_issued=date(2026, 3, 5), announced_on=date(2026, 2, 1),
                        announcement_issued=date(2026, 1, 30))
    done = conference_done(ev)
    assert done == {"conclusion_notice": date(2026, 3, 5), "results_publication": date(2026, 3, 6),
                    "announcement": date(2026, 1, 30)}  # report issued but not sent: not done


def test_timeliness():
    due, today = date(2026, 3, 6), date(2026, 4, 1)
    t = petition_timeliness("answered", due, today, first_answer_on=date(2026, 2, 13))
    assert t.on_time and t.counted
    t = petition_timeliness("open", due, date(2026, 3, 1), first_answer_on=None)
    assert not t.on_time and not t.counted  # not due yet
    t = petition_timeliness("open", due, today, first_answer_on=None)
    assert not t.on_time and t.counted
    t = petition_timeliness("assigned", due, today, date(2026, 2, 13), assigned_due=date(2026, 3, 20))
    assert (t.due, t.on_time, t.counted) == (date(2026, 3, 20), False, True)
    t = petition_timeliness("resolved", due, today, date(2026, 2, 13), assigned_due=date(2026, 3, 20),
                            resolved_on=date(2026, 3, 19))
    assert t.on_time
    t = petition_timeliness("verifying", due, today, date(2026, 2, 13), verification_due=date(2026, 4, 3),
                            reply_sent_on=date(2026, 4, 6))
    assert (t.on_time, t.counted) == (False, True)
