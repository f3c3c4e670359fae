"""Roles and what each may do: a pure table, checked by every command."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CHAIR = "chair"
    MODERATOR = "moderator"
    SECRETARY = "secretary"
    FRONT = "front"  # Fatherland Front representative
    VIEWER = "viewer"
    OVERSEER = "overseer"  # province (or district) official: sees the overview of every commune


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Quản trị viên",
    Role.CHAIR: "Chủ trì hội nghị",
    Role.MODERATOR: "Điều hành phát biểu",
    Role.SECRETARY: "Thư ký",
    Role.FRONT: "Đại diện Mặt trận Tổ quốc",
    Role.VIEWER: "Người xem",
    Role.OVERSEER: "Cấp trên",
}

_ALL = frozenset(Role)
PERMISSIONS: dict[str, frozenset[Role]] = {
    "view": _ALL,
    "manage_users": frozenset({Role.ADMIN}),
    "manage_settings": frozenset({Role.ADMIN}),
    "manage_devices": frozenset({Role.ADMIN, Role.CHAIR}),
    "edit_conference": frozenset({Role.ADMIN, Role.CHAIR}),
    "manage_invitations": frozenset({Role.ADMIN, Role.CHAIR, Role.SECRETARY, Role.MODERATOR, Role.FRONT}),
    "check_in": frozenset({Role.ADMIN, Role.CHAIR, Role.SECRETARY, Role.MODERATOR, Role.FRONT}),
    "record_petition": frozenset({Role.ADMIN, Role.CHAIR, Role.SECRETARY, Role.MODERATOR, Role.FRONT}),
    "run_queue": frozenset({Role.ADMIN, Role.CHAIR, Role.MODERATOR}),
    "register_speaker": frozenset({Role.ADMIN, Role.CHAIR, Role.MODERATOR, Role.SECRETARY}),
    "control_broadcast": frozenset({Role.ADMIN, Role.CHAIR, Role.MODERATOR}),
    "write_transcript": frozenset({Role.ADMIN, Role.CHAIR, Role.SECRETARY}),
    "record_answer": frozenset({Role.ADMIN, Role.CHAIR, Role.SECRETARY}),
    "listen_recordings": frozenset({Role.ADMIN, Role.CHAIR, Role.SECRETARY}),
    "issue_documents": frozenset({Role.ADMIN, Role.CHAIR}),
    "draft_documents": frozenset({Role.ADMIN, Role.CHAIR, Role.SECRETARY}),
    "view_audit": frozenset({Role.ADMIN, Role.CHAIR}),
    "view_overview": frozenset({Role.ADMIN, Role.CHAIR, Role.OVERSEER}),
    # Personal data by need (docs/personal-data.md): full names of citizens for those
    # who work with them in the hall, phone numbers for those who contact them after.
    "see_names": frozenset({Role.ADMIN, Role.CHAIR, Role.MODERATOR, Role.SECRETARY, Role.FRONT}),
    "see_phones": frozenset({Role.ADMIN, Role.CHAIR, Role.SECRETARY, Role.FRONT}),
}


def can(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission``; unknown roles and permissions hold nothing."""
    try:
        return Role(role) in PERMISSIONS.get(permission, frozenset())
    except ValueError:
        return False
