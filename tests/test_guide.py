"""The guide's decisions on their own, with a plain stand-in for the turn state (no SDK)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from skill.content import Content
from skill.conversation import OFFER_FORGET, OFFER_NEXT_STEP, OFFER_RESUME, Context
from skill.guide import Guide
from skill.routine import Place, Settings
from skill.slots import SlotReading
from skill.topics import TOPICS

MUSCLE, ROUTINE, PAUSED = Context.MUSCLE, Context.ROUTINE, Context.PAUSED
RESUME, ANYTHING_ELSE = Context.RESUME, Context.ANYTHING_ELSE
NOW = 1_700_000_000.0
NOTHING = SlotReading()


@dataclass
class FakeState:
    """What the guide reads and writes on a TurnState, as plain fields (duck-typed)."""

    now: float = NOW
    place: Place | None = None
    stored_place: Place | None = None
    settings: Settings = Settings()
    welcomed: bool = False
    disclaimed: bool = False
    offer: str | None = None
    context: Context | None = None
    store_keeps: bool = True

    @property
    def in_routine(self) -> bool:
        return self.place is not None and self.context in {ROUTINE, PAUSED}

    def keep_settings(self, settings: Settings) -> bool:
        self.settings = settings
        return self.store_keeps

    def keep_place(self, place: Place) -> bool:
        self.place = place
        return self.store_keeps

    def mark_welcomed(self) -> None:
        self.welcomed = True

    def take_disclaimer(self) -> bool:
        first = not self.disclaimed
        self.disclaimed = True
        return first

    stop_warned: bool = False

    def take_stop_warning(self) -> bool:
        first = not self.stop_warned
        self.stop_warned = True
        return first

    def mark_stop_warned(self) -> None:
        self.stop_warned = True

    store_forgets: bool = True

    def forget_stored(self) -> bool:
        return self.store_forgets

    def forget_everything(self) -> None:
        self.place, self.settings, self.disclaimed = None, Settings(), False


@pytest.fixture
def guide(content: Content) -> Guide:
    return Guide(content)


def known(value_id: str, spoken: str | None = None) -> SlotReading:
    return SlotReading(spoken=spoken or value_id, id=value_id)


def unknown(spoken: str) -> SlotReading:
    return SlotReading(spoken=spoken)


# --- Which stretch -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("muscle", "position", "key"),
    [
        (known("hamstring"), NOTHING, "routine.hamstring_lying.0"),
        (known("hamstring"), known("lying"), "routine.hamstring_lying.0"),
        (known("hamstring"), known("seated"), "routine.hamstring_seated.0"),
        (known("quadriceps"), NOTHING, "routine.quadriceps_standing.0"),
        # The guide's only quad stretch is done standing: what helps until then.
        (known("quadriceps"), known("seated"), "quad.not_standing"),
        (known("quadriceps"), known("lying"), "quad.not_standing"),
        (known("quadriceps"), known("standing"), "routine.quadriceps_standing.0"),
        # No stretch in the guide: said so; no side said: front or back?
        (known("inner_thigh"), NOTHING, "identify.inner_thigh"),
        (known("outer_thigh"), known("lying"), "identify.outer_thigh"),
        (known("leg"), NOTHING, "choose_muscle"),
        (known("other_leg"), NOTHING, "choose_muscle"),
        (NOTHING, known("seated"), "routine.hamstring_seated.0"),
        (NOTHING, known("lying"), ("position.lying", "routine.hamstring_lying.0")),
        (NOTHING, known("standing"), "routine.quadriceps_standing.0"),
        (NOTHING, NOTHING, "choose_muscle"),
        (unknown("calf"), NOTHING, "unknown_muscle"),
        (unknown("calf"), known("seated"), "unknown_muscle"),
    ],
)
def test_stretch_decisions(
    guide: Guide, muscle: SlotReading, position: SlotReading, key: str | tuple[str, ...]
) -> None:
    state = FakeState()
    reply = guide.stretch(state, muscle, position)
    keys = key if isinstance(key, tuple) else (key,)
    assert reply.keys == keys
    assert reply.ask
    if keys[-1].startswith("routine."):
        assert reply.offer == OFFER_NEXT_STEP and reply.context == ROUTINE
        assert state.place is not None and state.place.step == 0
    elif keys[-1] == "quad.not_standing":
        # Not a stretch: "yes" is how to massage the cramp instead.
        assert reply.offer == "massage" and state.place is None
    else:
        assert reply.context == MUSCLE


@pytest.mark.parametrize(
    ("place", "keys", "kept"),
    [
        # Outside a stretch: which stretches need standing, then front or back.
        (None, ("cant_stand",), None),
        # The quad stretch is the guide's only one for the front, and it is done standing.
        (Place("quadriceps_standing", 1, NOW), ("quad.not_standing",), 1),
        # Other stretches go on lying or sitting; the place is kept for "next".
        (Place("hamstring_lying", 2, NOW), ("position.no_standing", "routine.next_question"), 2),
    ],
)
def test_cant_stand(
    guide: Guide, place: Place | None, keys: tuple[str, ...], kept: int | None
) -> None:
    state = FakeState(place=place, context=ROUTINE if place else None)
    reply = guide.cant_stand(state)
    assert reply.keys == keys
    assert reply.ask
    assert (state.place.step if state.place else None) == kept


def test_the_other_leg_holds_the_stretch_in_progress_on_that_side(guide: Guide) -> None:
    state = FakeState(place=Place("quadriceps_standing", 2, NOW - 40), context=ROUTINE)
    reply = guide.stretch(state, known("other_leg"), NOTHING)
    assert reply.keys == guide.other_leg(
        FakeState(place=Place("quadriceps_standing", 2, NOW - 40), context=ROUTINE)
    ).keys
    # Its step 2 is a walk: the stretch on the other side is the hold of step 1.
    assert state.place is not None and state.place.step == 1


@pytest.mark.parametrize(
    ("muscle", "position", "first_key"),
    [
        # Pain said without another muscle ("it really hurts", "my leg's killing me", "my
        # hamstring's sore" in the hamstring stretch): about this stretch, so ease off.
        (NOTHING, NOTHING, "stretch_pain.ease"),
        (known("leg"), NOTHING, "stretch_pain.ease"),
        (known("hamstring"), NOTHING, "stretch_pain.ease"),
        # Another muscle, or where the person is, still changes the stretch.
        (known("quadriceps"), NOTHING, "routine.quadriceps_standing.0"),
        (NOTHING, known("seated"), "routine.hamstring_seated.0"),
        (unknown("big toe"), NOTHING, "unknown_muscle"),
    ],
)
def test_pain_mid_routine_is_about_the_stretch_in_progress(
    guide: Guide, muscle: SlotReading, position: SlotReading, first_key: str
) -> None:
    state = FakeState(place=Place("hamstring_lying", 1, NOW - 40), context=ROUTINE)
    reply = guide.stretch(state, muscle, position)
    assert reply.keys[0] == first_key
    if first_key == "stretch_pain.ease":
        # The place is kept and "yes" carries on with the next step.
        assert reply.offer == OFFER_NEXT_STEP
        assert state.place is not None and state.place.step == 1


def test_a_red_flag_beside_pain_mid_routine_still_wins(guide: Guide) -> None:
    state = FakeState(place=Place("hamstring_lying", 1, NOW - 40), context=ROUTINE)
    reply = guide.symptom(state, known("numb", "can't stand on it"))
    assert reply.keys == ("red_flag.weak",)
    assert state.place is None


@pytest.mark.parametrize(
    ("spoken", "key"),
    [
        # A leg that won't hold you: the weakness answer, without talk of numbness.
        ("can't stand up", "red_flag.weak"),
        ("won't take my weight", "red_flag.weak"),
        ("weak", "red_flag.weak"),
        # Numbness said: the numbness answer.
        ("gone numb", "red_flag.numb"),
        ("pins and needles", "red_flag.numb"),
        ("can't feel", "red_flag.numb"),
        ("weak and numb", "red_flag.numb"),
    ],
)
def test_weakness_and_numbness_get_their_own_wording(guide: Guide, spoken: str, key: str) -> None:
    reply = guide.symptom(FakeState(), known("numb", spoken))
    assert reply.keys == (key,)


def test_unknown_muscle_is_echoed(guide: Guide) -> None:
    reply = guide.stretch(FakeState(), unknown("big toe"), NOTHING)
    assert "not the big toe" in " ".join(str(part) for part in reply.parts)


@pytest.mark.parametrize(
    ("muscle", "key"),
    [
        (known("hamstring"), "identify.hamstring"),
        (known("quadriceps"), "identify.quadriceps"),
        (NOTHING, "identify"),
        (unknown("bicep"), "unknown_muscle"),
    ],
)
def test_identify(guide: Guide, muscle: SlotReading, key: str) -> None:
    assert guide.topic(TOPICS["IdentifyMuscleIntent"], muscle).keys == (key,)


# --- Answers chosen by slot ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "key"),
    [
        (known("pregnancy"), "causes.pregnancy"),
        (known("pinched_nerve"), "causes.pinched_nerve"),
        (NOTHING, "causes"),
        (unknown("caffeine"), "unknown_condition"),
        (known("gout"), "causes"),  # an id the content does not answer: the general answer
    ],
)
def test_cause(guide: Guide, condition: SlotReading, key: str) -> None:
    assert guide.topic(TOPICS["CauseIntent"], condition).keys == (key,)


@pytest.mark.parametrize(
    ("nutrient", "key"),
    [
        (known("calcium"), "nutrition.calcium"),
        (NOTHING, "nutrition"),
        (unknown("zinc"), "unknown_food"),
        (known("unlisted"), "nutrition.unlisted"),
    ],
)
def test_nutrition(guide: Guide, nutrient: SlotReading, key: str) -> None:
    assert guide.topic(TOPICS["NutritionIntent"], nutrient).keys == (key,)


@pytest.mark.parametrize(
    ("kind", "key"),
    [(known("yoga"), "exercise.yoga"), (known("walking"), "exercise"), (NOTHING, "exercise"),
     (unknown("swimming"), "unknown_topic")],
)
def test_exercise(guide: Guide, kind: SlotReading, key: str) -> None:
    assert guide.topic(TOPICS["ExerciseIntent"], kind).keys == (key,)


@pytest.mark.parametrize(
    ("kind", "key"),
    [(known("professional"), "massage.professional"), (known("foam_roller"), "massage"),
     (NOTHING, "massage")],
)
def test_massage(guide: Guide, kind: SlotReading, key: str) -> None:
    assert guide.topic(TOPICS["MassageIntent"], kind).keys == (key,)


def test_medication_disclaimer_once(guide: Guide) -> None:
    state = FakeState()
    first = guide.medication(state, known("lasix"))
    second = guide.medication(state, known("lasix"))
    assert first.keys == ("disclaimer", "medication.lasix.cause", "dont_stop")
    assert second.keys == ("medication.lasix.cause",), "the prescription warning once a session"
    assert first.parts[1:2] == second.parts


@pytest.mark.parametrize(
    ("medicine", "key", "warned"),
    [
        (known("lipitor"), "medication.lipitor.cause", True),
        (known("quinine"), "medication.quinine.cause", False),
        (unknown("metformin"), "unknown_medicine", False),
        (NOTHING, "medications", True),
    ],
)
def test_medication_answers(
    guide: Guide, content: Content, medicine: SlotReading, key: str, warned: bool
) -> None:
    reply = guide.medication(FakeState(disclaimed=True), medicine)
    assert reply.keys[0] == key
    spoken = " ".join(str(part) for part in reply.parts)
    assert ("Don't stop a prescribed medicine" in spoken) is warned


# --- Yes and no ----------------------------------------------------------------------------------


def test_yes_follows_the_offer(guide: Guide) -> None:
    assert guide.yes(FakeState(offer="routine:bedtime")).keys == ("routine.bedtime.0",)
    assert guide.yes(FakeState(offer="clot")).keys == ("clot",)
    assert guide.yes(FakeState()).keys == ("anything_else",)
    assert guide.yes(FakeState(offer="no_such_key")).keys == ("anything_else",)
    place = Place("hamstring_lying", 0, NOW)
    state = FakeState(offer=OFFER_NEXT_STEP, place=place, context=ROUTINE)
    assert guide.yes(state).keys == ("routine.hamstring_lying.1",)
    state = FakeState(offer=OFFER_RESUME, stored_place=place, context=RESUME)
    assert guide.yes(state).keys == ("resume.picking_up", "routine.hamstring_lying.1")


@pytest.mark.parametrize(("confirmed", "key"), [(True, "forget.done"), (False, "forget.failed")])
def test_yes_to_forgetting_deletes_and_says_whether_it_worked(
    guide: Guide, confirmed: bool, key: str
) -> None:
    place = Place("bedtime", 1, NOW)
    state = FakeState(offer=OFFER_FORGET, place=place, store_forgets=confirmed)
    assert guide.yes(state).keys == (key,)
    assert (state.place is None) is confirmed


@pytest.mark.parametrize(
    ("context", "with_place", "key"),
    [
        (RESUME, False, "choose_muscle"),
        (ROUTINE, True, "goodbye.paused"),
        (ROUTINE, False, "no_offer"),
        (PAUSED, True, "goodbye.routine"),
        (ANYTHING_ELSE, False, "goodbye"),
        (None, False, "no_offer"),
        (MUSCLE, False, "no_offer"),
    ],
)
def test_no_depends_on_the_question(
    guide: Guide, context: Context | None, with_place: bool, key: str
) -> None:
    place = Place("quadriceps_standing", 1, NOW) if with_place else None
    state = FakeState(context=context, place=place)
    assert guide.no(state).keys == (key,)


def test_no_to_resuming_forgets_the_place(guide: Guide) -> None:
    state = FakeState(context=RESUME, place=Place("hamstring_lying", 2, NOW))
    guide.no(state)
    assert state.place is None


# --- Routines and settings -----------------------------------------------------------------------


def test_finishing_a_routine_clears_the_place(guide: Guide) -> None:
    state = FakeState(place=Place("bedtime", 2, NOW), context=ROUTINE)
    reply = guide.next_step(state)
    assert reply.keys == ("routine.finished",)
    assert state.place is None


def test_stop_keeps_the_place_with_the_time(guide: Guide) -> None:
    state = FakeState(place=Place("bedtime", 1, NOW - 50), context=ROUTINE, now=NOW)
    reply = guide.stop(state)
    assert reply.end and reply.keys == ("goodbye.routine",)
    assert state.place == Place("bedtime", 1, NOW)


@pytest.mark.parametrize(
    ("seconds", "change", "start", "hold", "keys"),
    [
        (45, NOTHING, 30, 45, ("hold.set", "hold.ask")),
        (90, NOTHING, 30, 60, ("hold.clamped", "hold.ask")),
        (3, NOTHING, 30, 10, ("hold.clamped", "hold.ask")),
        (None, known("longer"), 30, 40, ("hold.set", "hold.ask")),
        (None, known("shorter"), 30, 20, ("hold.set", "hold.ask")),
        (None, known("longer"), 60, 60, ("hold.unchanged", "settings.ask")),
        (None, known("shorter"), 10, 10, ("hold.unchanged", "settings.ask")),
        (None, NOTHING, 30, 30, ("hold.ask_number",)),
    ],
)
def test_set_hold(
    guide: Guide,
    seconds: int | None,
    change: SlotReading,
    start: int,
    hold: int,
    keys: tuple[str, ...],
) -> None:
    state = FakeState(settings=Settings(hold_seconds=start))
    reply = guide.set_hold(state, seconds, change)
    assert reply.keys == keys
    assert state.settings.hold_seconds == hold
    assert reply.ask


@pytest.mark.parametrize(
    ("seconds", "key"), [(20, "hold.set.unsaved"), (90, "hold.clamped.unsaved")]
)
def test_a_hold_that_could_not_be_saved_is_not_confirmed(
    guide: Guide, content: Content, seconds: int, key: str
) -> None:
    state = FakeState(store_keeps=False)
    reply = guide.set_hold(state, seconds, NOTHING)
    assert reply.keys[0] == key
    assert state.settings.hold_seconds == min(seconds, 60)  # used for the rest of this talk
    said = " ".join(str(part) for part in reply.parts).lower()
    assert "for now" in said and "couldn't save" in said
    assert said != content.answer("hold.set").say.lower()


def test_a_place_that_could_not_be_saved_is_not_promised(guide: Guide) -> None:
    state = FakeState(place=Place("bedtime", 1, NOW - 60), context=ROUTINE, store_keeps=False)
    reply = guide.stop(state)
    assert reply.end and reply.keys == ("goodbye.routine.unsaved",)
    assert "kept" not in str(reply.parts[0]) and "couldn't save" in str(reply.parts[0])


@pytest.mark.parametrize("night", [True, False])
def test_a_voice_that_could_not_be_saved_is_not_confirmed(guide: Guide, night: bool) -> None:
    state = FakeState(store_keeps=False)
    reply = guide.set_night(state, night)
    assert reply.keys[0] == ("night.on" if night else "night.off") + ".unsaved"
    assert state.settings.night is night
    assert "couldn't save" in " ".join(str(part) for part in reply.parts)


def test_settings_inside_a_routine_ask_for_the_next_step(guide: Guide) -> None:
    state = FakeState(place=Place("hamstring_lying", 1, NOW), context=ROUTINE)
    reply = guide.set_night(state, True)
    assert reply.keys == ("night.on", "routine.next_question")
    assert reply.offer == OFFER_NEXT_STEP and reply.context == ROUTINE
    assert state.settings.night is True


def test_launch_welcomes_once(guide: Guide) -> None:
    state = FakeState()
    assert guide.launch(state).keys == ("launch.first",)
    assert guide.launch(state).keys == ("launch",)
    state.stored_place = Place("quadriceps_standing", 2, NOW)
    reply = guide.launch(state)
    assert reply.keys == ("launch.resume",) and reply.offer == OFFER_RESUME
    assert "quad stretch" in str(reply.parts[0])
