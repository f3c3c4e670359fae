"""What the tablet needs to know before it asks anything: every text limit and the
Vietnamese label of every enumeration value (served as GET /api/catalogue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.domain import conferences, devices, documents, limits, petitions, roles, turns
from server.domain.audit_labels import ACTIONS as AUDIT_ACTIONS
from server.domain.audit_labels import GROUPS as AUDIT_GROUPS
from server.domain.field_labels import FIELD_LABELS


def _labels(table: Mapping[Any, str]) -> dict[str, str]:
    return {str(value): label for value, label in table.items()}


def catalogue() -> dict[str, Any]:
    """{"limits": {name: characters}, "roles": {value: label}, ...}."""
    return {
        "limits": limits.catalogue(),
        "roles": _labels(roles.ROLE_LABELS),
        "conference_formats": _labels(conferences.FORMAT_LABELS),
        "conference_statuses": _labels(conferences.STATUS_LABELS),
        "participant_kinds": _labels(conferences.PARTICIPANT_KIND_LABELS),
        "petition_statuses": _labels(petitions.STATUS_LABELS),
        "answer_outcomes": _labels(petitions.OUTCOME_LABELS),
        "competences": _labels(petitions.COMPETENCE_LABELS),
        "petition_sources": _labels(petitions.SOURCE_LABELS),
        "device_kinds": _labels(devices.DEVICE_KIND_LABELS),
        "document_kinds": _labels(documents.DOCUMENT_KIND_LABELS),
        "document_statuses": _labels(documents.DOCUMENT_STATUS_LABELS),
        "dispatch_channels": _labels(documents.CHANNEL_LABELS),
        "turn_kinds": _labels(turns.KIND_LABELS),
        "turn_statuses": _labels(turns.STATUS_LABELS),
        "turn_sources": _labels(turns.SOURCE_LABELS),
        # the Vietnamese name of each input field (refusals name fields with these)
        "field_labels": dict(FIELD_LABELS),
        # the audit log's kinds of action: each code's name, and the groups of the filter
        "audit_actions": dict(AUDIT_ACTIONS),
        "audit_groups": dict(AUDIT_GROUPS),
    }
