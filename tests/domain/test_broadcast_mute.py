from itertools import product

from server.domain.broadcast_mute import MUTE_REASON_LABELS, MuteReason, effective_mute


def test_muted_is_the_operators_choice_or_auto_mute_with_nobody_on_the_floor():
    for operator, auto, floor in product((False, True), repeat=3):
        mute = effective_mute(operator, auto, floor)
        assert mute.muted == (operator or (auto and not floor))
        assert (mute.reason is None) == (not mute.muted)


def test_unticking_auto_mute_gives_back_what_the_operator_chose():
    # ticked, the turn ends: silent between turns
    assert effective_mute(False, True, False).reason == MuteReason.BETWEEN_TURNS
    # unticked: the operator had not muted, so the loudspeakers play again
    assert effective_mute(False, False, False).muted is False
    # an operator who had muted stays muted, whatever auto-mute does
    assert effective_mute(True, True, False).reason == MuteReason.OPERATOR
    assert effective_mute(True, False, False).reason == MuteReason.OPERATOR


def test_a_turn_on_the_floor_lifts_only_the_rule():
    assert effective_mute(False, True, True).muted is False
    assert effective_mute(True, True, True).reason == MuteReason.OPERATOR


def test_every_reason_has_a_vietnamese_label():
    assert set(MUTE_REASON_LABELS) == set(MuteReason)
    assert effective_mute(False, True, False).label == MUTE_REASON_LABELS[MuteReason.BETWEEN_TURNS]
    assert effective_mute(False, False, False).label is None
