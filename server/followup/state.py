"""Pure rules of the follow-up part: what marks a conference's deadlines done.

A petition's state, its dates and whether it was handled on time are the petition's
lifecycle (server/domain/petition_lifecycle.py), named here for the follow-up's callers.
No I/O: the callers load rows and pass plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from server.domain.petition_lifecycle import ANSWER_OUTCOMES as ANSWER_OUTCOMES
from server.domain.petition_lifecycle import STATE_LABELS as STATE_LABELS
from server.domain.petition_lifecycle import STATES as STATES
from server.domain.petition_lifecycle import Timeliness as Timeliness
from server.domain.petition_lifecycle import outcome_of as outcome_of
from server.domain.petition_lifecycle import petition_state as petition_state
from server.domain.petition_lifecycle import petition_timeliness as petition_timeliness


@dataclass(frozen=True)
class DocumentEvents:
    """When a conference's documents were issued and first sent (local dates)."""

    conclusion_issued: date | None = None
    conclusion_sent: date | None = None
    report_issued: date | None = None
    report_sent: date | None = None
    announcement_issued: date | None = None
    announced_on: date | None = None  # the conference's public announcement in the app


def conference_done(events: DocumentEvents) -> dict[str, date]:
    """Deadline key -> the day it was met, derived from documents and dispatches.

    - conclusion notice: the day it is issued;
    - report to the higher level: the day it is first sent (dispatch record);
    - results publication (2025 law): the day the conclusion notice is first sent out;
    - announcement (2025 law): the earlier of the in-app announcement and the issued
      announcement document.
    """
    done: dict[str, date] = {}
    if events.conclusion_issued:
        done["conclusion_notice"] = events.conclusion_issued
    if events.report_sent:
        done["report_higher_level"] = events.report_sent
    if events.conclusion_sent:
        done["results_publication"] = events.conclusion_sent
    announced = [d for d in (events.announced_on, events.announcement_issued) if d]
    if announced:
        done["announcement"] = min(announced)
    return done
