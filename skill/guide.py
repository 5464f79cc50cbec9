"""What the skill does for each thing a user can ask: the decisions, as replies.

Handlers read the request (slot ids, the intent) and call one method here; this module decides
what to say and changes the user's state through :class:`~skill.state.TurnState`. It never
builds SSML and never touches the SDK's response.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from . import routine as engine
from .content import ROUTINE_TARGET, Content
from .replies import OFFER_FORGET, OFFER_NEXT_STEP, OFFER_RESUME, Reply, from_answer
from .routine import HOLD_STEP_SECONDS, Place, Settings, clamp_hold
from .slots import SlotReading
from .state import TurnState

#: Which routine a muscle (and, for the hamstring, a position) starts.
DEFAULT_ROUTINES: Mapping[str, str] = MappingProxyType(
    {"hamstring": "hamstring_lying", "quadriceps": "quadriceps_standing"}
)
SEATED_HAMSTRING = "hamstring_seated"
BEDTIME = "bedtime"

# Contexts: what the last question was about.
MUSCLE = "muscle"
ROUTINE = "routine"
PAUSED = "paused"
RESUME = "resume"
MEDICINE = "medicine"
HOLD = "hold"
ANYTHING_ELSE = "anything_else"


class Guide:
    """The skill's decisions. Holds only immutable content: safe to share across requests."""

    def __init__(self, content: Content) -> None:
        self.content = content

    def answer(self, key: str, **values: str) -> Reply:
        context = MUSCLE if key in {"identify", "choose_muscle", "unknown_muscle"} else None
        if key in {"ask_medicine", "medications"}:
            context = MEDICINE
        if key == "anything_else" or self.content.answer(key).yes == "anything_else":
            # "Anything else?": "no" now means goodbye.
            context = ANYTHING_ELSE
        return from_answer(self.content, key, context=context, **values)

    # --- Opening ----------------------------------------------------------------------------

    def launch(self, state: TurnState) -> Reply:
        stored = state.stored_place
        if stored is not None:
            name = self.content.routines[stored.routine_id].name
            return from_answer(
                self.content, "launch.resume", context=RESUME, routine=name
            ).with_offer(OFFER_RESUME)
        if not state.welcomed:
            state.mark_welcomed()
            return from_answer(self.content, "launch.first", context=MUSCLE)
        return from_answer(self.content, "launch", context=MUSCLE)

    # --- Stretching -------------------------------------------------------------------------

    def stretch(self, state: TurnState, muscle: SlotReading, position: SlotReading) -> Reply:
        if muscle.id in DEFAULT_ROUTINES:
            if muscle.id == "hamstring" and position.id == "seated":
                return self.start_routine(state, SEATED_HAMSTRING)
            return self.start_routine(state, DEFAULT_ROUTINES[muscle.id])
        if muscle.unknown:
            return self.answer("unknown_muscle", muscle=muscle.echo)
        if position.id == "seated":
            return self.start_routine(state, SEATED_HAMSTRING)
        if position.id == "lying":
            return self.start_routine(state, DEFAULT_ROUTINES["hamstring"])
        if position.id == "standing":
            return self.start_routine(state, DEFAULT_ROUTINES["quadriceps"])
        return self.answer("choose_muscle")

    def identify(self, muscle: SlotReading) -> Reply:
        if muscle.id in DEFAULT_ROUTINES:
            return self.answer(f"identify.{muscle.id}")
        if muscle.unknown:
            return self.answer("unknown_muscle", muscle=muscle.echo)
        return self.answer("identify")

    def start_routine(self, state: TurnState, routine_id: str) -> Reply:
        routine = self.content.routines[routine_id]
        place = engine.start(routine, state.now)
        return self._step(state, place, intro=True)

    def _step(self, state: TurnState, place: Place, *, intro: bool = False) -> Reply:
        state.place = place
        routine = self.content.routines[place.routine_id]
        parts = engine.step_parts(self.content, routine, place.step, state.settings, intro=intro)
        question = from_answer(self.content, "routine.next_question", context=ROUTINE)
        return Reply(
            parts=tuple(parts),
            ask=question.ask,
            reprompt=question.reprompt,
            keys=(f"routine.{routine.id}.{place.step}",),
            offer=OFFER_NEXT_STEP,
            context=ROUTINE,
        )

    def next_step(self, state: TurnState) -> Reply:
        place = state.place
        if place is None:
            return self.answer("routine.not_in_routine")
        routine = self.content.routines[place.routine_id]
        following = engine.next_step(place, routine, state.now)
        if following is None:
            state.place = None
            return self.answer("routine.finished", routine=routine.name)
        return self._step(state, following)

    def previous_step(self, state: TurnState) -> Reply:
        place = state.place
        if place is None:
            return self.answer("routine.not_in_routine")
        if place.step == 0:
            return self._step(state, place.at(0, state.now)).before(
                self.content.answer("routine.at_start").say, key="routine.at_start"
            )
        return self._step(state, engine.previous_step(place, state.now))

    def repeat_step(self, state: TurnState) -> Reply:
        place = state.place
        if place is None:
            return self.answer("routine.not_in_routine")
        return self._step(state, place.at(place.step, state.now))

    def start_over(self, state: TurnState) -> Reply:
        place = state.place or state.stored_place
        if place is None:
            return self.answer("routine.not_in_routine")
        return self.start_routine(state, place.routine_id)

    def pause(self, state: TurnState) -> Reply:
        place = state.place
        if place is None:
            return self.answer("routine.not_in_routine")
        state.place = place.at(place.step, state.now)
        name = self.content.routines[place.routine_id].name
        return from_answer(
            self.content, "routine.paused", context=PAUSED, routine=name
        ).with_offer(OFFER_RESUME)

    def resume(self, state: TurnState) -> Reply:
        place = state.place or state.stored_place
        if place is None:
            return self.answer("routine.nothing_to_resume")
        return self._step(state, place.at(place.step, state.now)).before(
            self.content.phrase("resume.picking_up"), key="resume.picking_up"
        )

    def start_fresh(self, state: TurnState) -> Reply:
        """"No" to picking up an old routine: forget the place and ask where it hurts."""
        state.place = None
        return self.answer("choose_muscle")

    def stop(self, state: TurnState) -> Reply:
        place = state.place
        if place is not None:
            kept = state.keep_place(place.at(place.step, state.now))
            name = self.content.routines[place.routine_id].name
            key = "goodbye.routine" if kept else "goodbye.routine.unsaved"
            return self.answer(key, routine=name)
        return self.answer("goodbye")

    # --- Settings ---------------------------------------------------------------------------

    def _after_setting(self, state: TurnState, said: Reply) -> Reply:
        if state.place is not None and state.context in {ROUTINE, PAUSED}:
            question = from_answer(self.content, "routine.next_question", context=ROUTINE)
            return said.then(question.with_offer(OFFER_NEXT_STEP))
        return said.then(self.answer("settings.ask"))

    def set_hold(self, state: TurnState, seconds: int | None, change: SlotReading) -> Reply:
        current = state.settings
        if seconds is not None:
            wanted = clamp_hold(seconds)
            key = "hold.set" if wanted == seconds else "hold.clamped"
        elif change.id in {"longer", "shorter"}:
            step = HOLD_STEP_SECONDS if change.id == "longer" else -HOLD_STEP_SECONDS
            wanted = clamp_hold(current.hold_seconds + step)
            key = "hold.set"
            if wanted == current.hold_seconds:
                direction = "long" if change.id == "longer" else "short"
                said = self.answer("hold.unchanged", seconds=str(wanted), direction=direction)
                return self._after_setting(state, said)
        else:
            return self.answer("hold.ask_number").with_context(HOLD)
        kept = state.keep_settings(Settings(hold_seconds=wanted, night=current.night))
        said = self.answer(key if kept else f"{key}.unsaved", seconds=str(wanted))
        if state.place is None:
            return said.then(self.answer("hold.ask"))
        return self._after_setting(state, said)

    def set_night(self, state: TurnState, night: bool) -> Reply:
        kept = state.keep_settings(Settings(hold_seconds=state.settings.hold_seconds, night=night))
        key = "night.on" if night else "night.off"
        return self._after_setting(state, self.answer(key if kept else f"{key}.unsaved"))

    # --- Answers with slots -----------------------------------------------------------------

    def medication(self, state: TurnState, medicine: SlotReading) -> Reply:
        disclaimer = state.take_disclaimer()
        if medicine.id in self.content.medications:
            entry = self.content.medications[medicine.id]
            parts: list[str] = [entry.say]
            if entry.stop_warning:
                parts.append(self.content.phrase("dont_stop"))
            reply = Reply(
                parts=tuple(parts),
                ask=self.content.phrase("medication.ask"),
                reprompt=self.content.phrase("medication.reprompt"),
                keys=(f"medication.{entry.id}",),
                offer="ask_medicine",
                context=MEDICINE,
            )
        elif medicine.unknown:
            reply = self.answer("unknown_medicine", medicine=medicine.echo)
        else:
            reply = self.answer("medications")
        if disclaimer:
            reply = reply.before(self.content.phrase("disclaimer.medicine"), key="disclaimer")
        return reply

    def relief(self, state: TurnState) -> Reply:
        reply = self.answer("relief")
        if state.take_disclaimer():
            reply = reply.before(self.content.phrase("disclaimer.medicine"), key="disclaimer")
        return reply

    def cause(self, condition: SlotReading) -> Reply:
        if condition.id and f"causes.{condition.id}" in self.content.answers:
            return self.answer(f"causes.{condition.id}")
        if condition.unknown:
            return self.answer("unknown_condition", condition=condition.echo)
        return self.answer("causes")

    def exercise(self, kind: SlotReading) -> Reply:
        if kind.unknown:  # "does zinc help" shares its wording with other topics
            return self.answer("unknown_topic", topic=kind.echo)
        return self.answer("exercise.yoga" if kind.id == "yoga" else "exercise")

    def massage(self, kind: SlotReading) -> Reply:
        if kind.unknown:
            return self.answer("unknown_topic", topic=kind.echo)
        return self.answer("massage.professional" if kind.id == "professional" else "massage")

    def nutrition(self, nutrient: SlotReading) -> Reply:
        if nutrient.id and f"nutrition.{nutrient.id}" in self.content.answers:
            return self.answer(f"nutrition.{nutrient.id}")
        return self.answer("nutrition")

    # --- Yes, no, help, fallback ------------------------------------------------------------

    def yes(self, state: TurnState) -> Reply:
        offer = state.offer
        if offer == OFFER_NEXT_STEP:
            return self.next_step(state)
        if offer == OFFER_RESUME:
            return self.resume(state)
        if offer and offer.startswith(ROUTINE_TARGET):
            return self.start_routine(state, offer.removeprefix(ROUTINE_TARGET))
        if offer and offer in self.content.answers:
            return self.answer(offer)
        return self.answer("anything_else")

    def no(self, state: TurnState) -> Reply:
        context = state.context
        if context == RESUME:
            return self.start_fresh(state)
        if context == ROUTINE and state.place is not None:
            return self.pause(state)
        if context in {PAUSED, ANYTHING_ELSE}:
            return self.stop(state)
        return self.answer("no_offer")

    def help(self, state: TurnState) -> Reply:
        context = state.context
        place = state.place or state.stored_place
        if context == RESUME and place is not None:
            name = self.content.routines[place.routine_id].name
            return from_answer(
                self.content, "help.resume", context=RESUME, routine=name
            ).with_offer(OFFER_RESUME)
        if context in {ROUTINE, PAUSED} and state.place is not None:
            name = self.content.routines[state.place.routine_id].name
            return from_answer(
                self.content, "help.routine", context=ROUTINE, routine=name
            ).with_offer(OFFER_NEXT_STEP)
        if context == MUSCLE:
            return self.answer("help.muscle")
        return self.answer("help")

    def fallback(self, state: TurnState) -> Reply:
        if state.in_routine and state.place is not None:
            name = self.content.routines[state.place.routine_id].name
            return from_answer(
                self.content, "fallback.routine", context=ROUTINE, routine=name
            ).with_offer(OFFER_NEXT_STEP)
        return self.answer("fallback")

    def home(self, state: TurnState) -> Reply:
        return self.answer("anything_else")

    def confirm_forget(self) -> Reply:
        return self.answer("forget.confirm").with_offer(OFFER_FORGET)

    def forget(self, state: TurnState, forgotten: bool) -> Reply:
        if forgotten:
            state.forget_everything()
            return self.answer("forget.done")
        return self.answer("forget.failed")
