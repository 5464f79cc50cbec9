"""How long a cramp has lasted: read as a number and a unit, decided by the guide's threshold.

Thigh cramps last from seconds to about ten minutes; more than about ten minutes needs a doctor
(shared medical facts). The decision is made on the number, whatever the sentence around it.
"""

from __future__ import annotations

import pytest
from test_guide import NOW, ROUTINE, FakeState

from skill.content import Content
from skill.conversation import OFFER_NEXT_STEP
from skill.duration import LONG_CRAMP_MINUTES, SPAN_MINUTES, is_long, minutes_said
from skill.guide import Guide
from skill.routine import Place


@pytest.mark.parametrize(
    ("minutes", "hours", "span", "expected"),
    [
        (5, None, None, 5.0),
        (0, None, None, 0.0),
        (None, 2, None, 120.0),
        (None, None, "half_hour", 30),
        (None, None, "few_minutes", 3),
        (None, None, "long", None),
        (None, None, "no_such_span", None),
        (None, None, None, None),
        (-3, None, None, None),
        (12, 1, "few_minutes", 12.0),
    ],
)
def test_minutes_said(
    minutes: int | None, hours: int | None, span: str | None, expected: float | None
) -> None:
    assert minutes_said(minutes, hours, span) == expected


@pytest.mark.parametrize(
    ("minutes", "long"),
    [(0.5, False), (3, False), (9, False), (9.9, False), (10, True), (11, True), (120, True),
     (None, True)],
)
def test_the_threshold_is_about_ten_minutes(minutes: float | None, long: bool) -> None:
    assert LONG_CRAMP_MINUTES == 10
    assert is_long(minutes) is long


def test_every_span_in_the_model_has_a_length(content: Content) -> None:
    from contract import SLOT_TYPE_IDS

    assert set(SLOT_TYPE_IDS["CrampSpanType"]) == set(SPAN_MINUTES)


@pytest.fixture
def guide(content: Content) -> Guide:
    return Guide(content)


def test_a_short_cramp_mid_routine_reassures_and_holds_again(guide: Guide) -> None:
    state = FakeState(place=Place("hamstring_lying", 1, NOW - 40), context=ROUTINE)
    reply = guide.cramp_lasted(state, 4)
    assert reply.keys[:2] == ("duration.short.routine", "routine.hamstring_lying.1.hold")
    assert reply.offer == OFFER_NEXT_STEP and not reply.end
    assert state.place == Place("hamstring_lying", 1, NOW)


@pytest.mark.parametrize("minutes", [10, 25, 90, None])
def test_a_long_cramp_is_the_red_flag_and_ends_the_routine(
    guide: Guide, minutes: float | None
) -> None:
    state = FakeState(place=Place("hamstring_lying", 1, NOW), context=ROUTINE)
    reply = guide.cramp_lasted(state, minutes)
    assert reply.keys == ("red_flag.long",)
    assert state.place is None


def test_a_short_cramp_outside_a_routine_offers_a_stretch(guide: Guide) -> None:
    reply = guide.cramp_lasted(FakeState(), 2)
    assert reply.keys == ("duration.short",)
    assert reply.offer == "choose_muscle"
