"""Whether the loudspeakers are silent, and why (no I/O).

Two things are stored: the operator's own choice (muted or not) and the auto-mute rule
("Tự tắt tiếng giữa các lượt": silent while no turn is on the floor). Auto-mute is a
rule, not a state: the effective mute is computed from both and from the floor, so
unticking auto-mute gives back exactly what the operator chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MuteReason(StrEnum):
    OPERATOR = "operator"  # the operator pressed "Tắt tiếng"
    BETWEEN_TURNS = "between_turns"  # auto-mute is on and nobody has the floor


MUTE_REASON_LABELS: dict[MuteReason, str] = {
    MuteReason.OPERATOR: "người điều hành đã tắt tiếng",
    MuteReason.BETWEEN_TURNS: "đang giữa hai lượt phát biểu (tự tắt tiếng giữa các lượt)",
}


@dataclass(frozen=True)
class Mute:
    muted: bool
    reason: MuteReason | None  # None exactly when not muted

    @property
    def label(self) -> str | None:
        return MUTE_REASON_LABELS[self.reason] if self.reason is not None else None


def effective_mute(operator_muted: bool, auto_mute: bool, turn_on_floor: bool) -> Mute:
    """muted = operator_muted OR (auto_mute AND no turn on the floor). When both hold,
    the operator's choice is the reason given: it outlasts the next turn."""
    if operator_muted:
        return Mute(True, MuteReason.OPERATOR)
    if auto_mute and not turn_on_floor:
        return Mute(True, MuteReason.BETWEEN_TURNS)
    return Mute(False, None)
