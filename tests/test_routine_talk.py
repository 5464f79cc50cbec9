"""What people say between holds, decided by the guide: it hurts more, how much is left, the
other leg. Each keeps the place; none ends the session."""

from __future__ import annotations

import pytest
from test_guide import NOW, ROUTINE, FakeState

from skill.content import Content
from skill.conversation import OFFER_NEXT_STEP
from skill.guide import Guide
from skill.routine import Place, Settings
from skill.speech import Pause


@pytest.fixture
def guide(content: Content) -> Guide:
    return Guide(content)


def test_pain_mid_stretch_eases_off_first_and_keeps_the_place(guide: Guide) -> None:
    place = Place("quadriceps_standing", 1, NOW)
    state = FakeState(place=place, context=ROUTINE)
    reply = guide.stretch_pain(state)
    assert reply.keys == ("stretch_pain.ease", "stretch_pain.routine")
    assert str(reply.parts[0]).startswith("Ease off")
    assert not any(isinstance(part, Pause) for part in reply.parts)  # no hold before easing
    assert reply.offer == OFFER_NEXT_STEP and reply.context == ROUTINE and not reply.end
    assert state.place == place
    state.offer, state.context = reply.offer, reply.context
    assert guide.yes(state).keys == ("routine.quadriceps_standing.2",)


def test_pain_outside_a_routine_offers_a_gentle_stretch(guide: Guide) -> None:
    reply = guide.stretch_pain(FakeState())
    assert reply.keys == ("stretch_pain",) and reply.offer == "choose_muscle"


@pytest.mark.parametrize(
    ("routine", "step", "hold", "keys", "said"),
    [
        ("hamstring_lying", 0, 30, ("remaining.more", "remaining.hold"), "3 more steps"),
        ("hamstring_lying", 1, 45, ("remaining.more", "remaining.hold"), "45 seconds"),
        ("hamstring_lying", 2, 30, ("remaining.one", "remaining.hold"), "One more step"),
        ("hamstring_lying", 3, 30, ("routine.last",), "last one"),
        # The bedtime routine keeps its own 10 s holds whatever the setting.
        ("bedtime", 0, 45, ("remaining.more", "remaining.hold"), "10 seconds"),
    ],
)
def test_how_much_is_left(
    guide: Guide, routine: str, step: int, hold: int, keys: tuple[str, ...], said: str
) -> None:
    place = Place(routine, step, NOW)
    state = FakeState(place=place, context=ROUTINE, settings=Settings(hold_seconds=hold))
    reply = guide.remaining(state)
    assert reply.keys[: len(keys)] == keys
    assert said in " ".join(str(part) for part in reply.parts) + (reply.ask or "")
    assert state.place == place and not reply.end


def test_how_much_is_left_outside_a_routine(guide: Guide) -> None:
    assert guide.remaining(FakeState()).keys == ("routine.not_in_routine",)


def test_the_other_leg_holds_the_same_stretch_again_after_a_lead_in(guide: Guide) -> None:
    state = FakeState(place=Place("hamstring_lying", 0, NOW - 60), context=ROUTINE)
    reply = guide.other_leg(state)
    assert reply.keys[:2] == ("other_leg", "routine.hamstring_lying.0.hold")
    pauses = [part.seconds for part in reply.parts if isinstance(part, Pause)]
    assert pauses[0] == 3  # time to change legs before the count
    assert state.place == Place("hamstring_lying", 0, NOW)
    assert reply.offer == OFFER_NEXT_STEP


def test_the_other_leg_outside_a_routine_asks_which_muscle(guide: Guide) -> None:
    assert guide.other_leg(FakeState()).keys == ("choose_muscle",)
