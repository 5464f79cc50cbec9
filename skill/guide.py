"""What the skill does for each thing a user can ask: the decisions, as replies.

Each intent's route (:mod:`skill.handlers.routes`) reads the request (slot ids, numbers) and
calls one method here. This module decides what to say from the turn state and changes that
state through :class:`~skill.state.TurnState`; it never builds SSML and never touches the SDK's
response. Its only data is the content: one guide serves every request.

The state table
---------------
Every question leaves a context and an offer for the next turn (see :mod:`skill.conversation`).
"Yes" follows the offer: the next step (``action:next``), the routine left off
(``action:resume``), deleting the user's data (``action:forget``), a routine (``routine:<id>``)
or another answer (its key); with no offer, "What else would you like to know?". "No", "help",
"repeat" and words the model did not understand follow the context:

=============== ==================== =================== ============= ========================
context         asked by             "no"                "help"        unknown words, "repeat"
=============== ==================== =================== ============= ========================
(none)          most answers         "All right. Is      ``help``      ``fallback``; the last
                                     there anything                    response again
                                     else?"
muscle          launch, ``identify``, as (none)          ``help.       as (none)
                ``choose_muscle``,                       muscle``
                ``unknown_muscle``
routine         each routine step:   pause, keeping the  ``help.       ``fallback.routine``;
                "Ready for the next  place               routine``     the step again
                one?"
paused          sessions from before goodbye, keeping    ``help.       ``fallback.routine``;
                pause ended them     the place           routine``     the step again
resume          ``launch.resume``:   forget the place,   ``help.       as (none)
                "pick up where you   ask which muscle    resume``
                left off?"
anything_else   "Is there anything   goodbye             ``help``      as (none)
                else?"
hold            ``hold.ask_number``, as (none)           ``help``      as (none); a number
                ``hold.confirm``                                       said alone sets the hold
=============== ==================== =================== ============= ========================

A number said alone anywhere else asks first ("Do you want holds of 20 seconds?", offer
``hold:<seconds>``); an emergency number is an emergency wherever it is said.

Red flags (EmergencyIntent, ClotIntent, RedFlagIntent, LongCrampIntent) come before anything
else: whatever the context, they clear the routine place, in the session and stored, and answer
with the emergency number, in the normal voice even at night (their answers are ``urgent``). An
ordinary cramp or pain heard as a symptom is a cramp to stretch, never a red flag. How long a
cramp has lasted is decided by the number (:mod:`skill.duration`): a few minutes is normal
(reassurance; in a routine the hold again), ten minutes or more, or a cramp that "won't stop",
is the long-cramp red flag.

Said between holds: "ouch" or "it hurts more" eases off first, then asks to carry on (the
place kept); "how much longer?" says the steps and hold length left; "the other leg" holds the
same stretch again on the other side. "Wait", "hold on" and every other "give me a moment" are
pause.

"routine" and "paused" mean the above only while a routine place is in the session; without
one (a cleared place) they act as no context. Stop always ends the session, keeping any place.

A place is the step last heard, its hold included. "Pause" (and "thanks", "I'm done") keeps it
and ends the session, saying how to come back: an open session closes after a few seconds of
silence anyway. "Resume", "I'm back" and "yes" to "pick up where you left off?" go on to the
step after it; "repeat" does it again and "not yet" holds again. After the last step the
question says what to do next instead of "ready for the next one?". An offer of an answer
already said this session is replaced by "what else?" (:func:`skill.respond.skip_heard_offer`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from . import duration, medicines
from . import routine as engine
from .content import Content
from .conversation import (
    HOLD_TARGET,
    OFFER_FORGET,
    OFFER_NEXT_STEP,
    OFFER_RESUME,
    ROUTINE_TARGET,
    Context,
)
from .replies import Replay, Reply, from_answer
from .routine import HOLD_STEP_SECONDS, Place, Settings, clamp_hold
from .slots import SlotReading, words_of
from .speech import Part, is_own_ssml
from .state import TurnState
from .topics import Topic

#: Which routine a muscle (and, for the hamstring, a position) starts. "Both" (front and back
#: of the thigh at once) starts with the back, and says the front comes next.
DEFAULT_ROUTINES: Mapping[str, str] = MappingProxyType({
    "hamstring": "hamstring_lying",
    "quadriceps": "quadriceps_standing",
    "calf": "calf",
    "both": "hamstring_lying",
})
BOTH = "both"
SEATED_HAMSTRING = "hamstring_seated"
#: The guide's hamstring stretch without a towel or belt: seated, reaching forward.
NO_TOWEL_HAMSTRING = "hamstring_no_towel"
BEDTIME = "bedtime"
#: "The other leg" (MuscleType id): the stretch in progress, again, on the other side.
OTHER_LEG = "other_leg"
#: MuscleType ids with no routine of their own: a muscle the guide gives no stretch for (its
#: ``identify.<id>`` answer says so), a leg muscle named without saying which (the
#: front-or-back question), and the other leg (the routine in progress).
NO_ROUTINE_MUSCLES = frozenset({"inner_thigh", "outer_thigh", "leg", OTHER_LEG})
#: Positions someone is in who is not standing, and the answer for the quad stretch there.
NOT_STANDING = frozenset({"lying", "seated"})
QUAD_NOT_STANDING = "quad.not_standing"

#: Which red-flag answer a symptom (SymptomType id) gets: an emergency now, a possible clot
#: (urgent advice today), or a doctor soon.
RED_FLAG_ANSWERS: Mapping[str, str] = MappingProxyType(
    {
        "chest_pain": "emergency",
        "breathless": "emergency",
        "coughing_blood": "emergency",
        "swollen": "clot",
        "red_hot": "clot",
        "discolored": "clot",
        "hard_veins": "clot",
        "clot": "clot",
        "numb": "red_flag.numb",
        "unclear": "red_flag.unclear",
    }
)
EMERGENCY_ANSWER = "emergency"
#: Words said as a symptom that name no symptom the skill knows: every red flag, cautiously.
UNCLEAR_ANSWER = "red_flag.unclear"
#: The weakness red flag said as weakness or a leg that will not hold you ("I can't stand on
#: it"): worded for that, without talk of numbness that alarms someone whose cramp only hurts.
WEAK_ANSWER = "red_flag.weak"
#: Words that say numbness (SymptomType ``numb`` words with any of these keep ``red_flag.numb``).
NUMB_WORDS = frozenset(
    {"numb", "numbness", "tingly", "tingling", "pins", "needles", "feel", "feeling", "dead"}
)
CLOT_ANSWER = "clot"
LONG_CRAMP_ANSWER = "red_flag.long"

#: Numbers that are emergency numbers somewhere (US and Canada, UK, Australia as "000",
#: India and the EU), never hold lengths. Source: shared medical facts.
EMERGENCY_NUMBERS = frozenset({911, 999, 0, 112})


class Guide:
    """The skill's decisions. Holds immutable content, and the routine steps made from it so
    far (a thread-safe cache): safe to share across requests."""

    #: Steps kept ready: routines x steps x the hold lengths and voices users choose.
    STEP_CACHE_SIZE = 512

    def __init__(self, content: Content) -> None:
        self.content = content
        # A step's words and paced pauses depend only on the content and the hold length, and
        # pacing a hold is much of the work of a routine turn.
        self._step_parts = functools.lru_cache(maxsize=self.STEP_CACHE_SIZE)(self._make_step_parts)

    def _make_step_parts(
        self, routine_id: str, index: int, settings: Settings, intro: bool
    ) -> tuple[Part, ...]:
        routine = self.content.routines[routine_id]
        return tuple(engine.step_parts(self.content, routine, index, settings, intro=intro))

    def answer(self, key: str, **values: str) -> Reply:
        """The content entry ``key`` as a reply, placeholders filled from ``values``.

        ``{number}`` is always the locale's emergency number (the ``emergency.number`` phrase).
        """
        values.setdefault("number", self.content.phrase("emergency.number"))
        return from_answer(self.content, key, **values)

    # --- Opening ----------------------------------------------------------------------------

    def launch(self, state: TurnState) -> Reply:
        """Opening: offer to resume a recent unfinished routine, else ask where it hurts."""
        stored = state.stored_place
        if stored is not None:
            name = self.content.routines[stored.routine_id].name
            return self.answer("launch.resume", routine=name).with_offer(OFFER_RESUME)
        if not state.welcomed:
            state.mark_welcomed()
            # The first welcome says "I'm not a doctor": not again this session.
            state.take_disclaimer()
            return self.answer("launch.first")
        return self.answer("launch")

    # --- Stretching -------------------------------------------------------------------------

    def stretch(self, state: TurnState, muscle: SlotReading, position: SlotReading) -> Reply:
        """Start the routine for the muscle (and position); ask which muscle if neither says.

        A muscle the guide gives no stretch for (the inner or outer thigh) gets its
        ``identify.<id>`` answer, which says so; one named without saying which ("my leg
        muscle") gets the front-or-back question; "the other leg" holds the stretch in
        progress again on that side (:meth:`other_leg`); the quad asked for lying down or
        sitting gets ``quad.not_standing``: the guide's only quad stretch is done standing.
        In a routine, a cramp or pain that names no other muscle is about the stretch in
        progress and eases off (:meth:`stretch_pain`).
        """
        if muscle.id == OTHER_LEG:
            return self.other_leg(state)
        if position.spoken is None and self._about_this_stretch(state, muscle):
            return self.stretch_pain(state)
        if muscle.id == "quadriceps" and position.id in NOT_STANDING:
            return self.answer(QUAD_NOT_STANDING)
        routine_id = DEFAULT_ROUTINES.get(muscle.id) if muscle.id else None
        if routine_id is None and muscle.id and f"identify.{muscle.id}" in self.content.answers:
            return self.answer(f"identify.{muscle.id}")
        if routine_id is not None:
            if muscle.id in {"hamstring", BOTH} and position.id == "seated":
                routine_id = SEATED_HAMSTRING
            reply = self.start_routine(state, routine_id)
            if muscle.id == BOTH:
                return reply.before(self.content.phrase("muscle.both"), key="muscle.both")
            return reply
        if muscle.unknown:
            return self.answer("unknown_muscle", muscle=muscle.echo)
        if position.id in {"seated", "lying", "standing"}:
            return self.position(state, position.id)
        return self.answer("choose_muscle")

    def _about_this_stretch(self, state: TurnState, muscle: SlotReading) -> bool:
        """In a routine, a cramp or pain said without naming another muscle ("it really hurts",
        "my leg's killing me", "my hamstring's sore" in the hamstring stretch) is about the
        stretch in progress: ease off (:meth:`stretch_pain`), not "front or back?" or the
        routine from its start as for a new cramp."""
        place = state.place
        if place is None or muscle.unknown:
            return False
        return muscle.id in {None, "leg", self.content.routines[place.routine_id].muscle}

    def cant_stand(self, state: TurnState) -> Reply:
        """"I can't stand up": in the quad stretch (done standing, the guide's only one), what
        helps without standing; in another stretch, skip what needs standing; outside one,
        which stretches need standing, and which muscle it is."""
        place = state.place
        if place is None:
            return self.answer("cant_stand")
        if self.content.routines[place.routine_id].muscle == "quadriceps":
            return self.answer(QUAD_NOT_STANDING)
        said = Reply(
            parts=(self.content.phrase("position.no_standing"),), keys=("position.no_standing",)
        )
        question = self.answer("routine.next_question")
        return said.then(question.with_offer(OFFER_NEXT_STEP))

    def start_routine(self, state: TurnState, routine_id: str) -> Reply:
        """Step 0 of ``routine_id`` (with its introduction), placed at ``state.now``."""
        routine = self.content.routines[routine_id]
        place = engine.start(routine, state.now)
        return self._step(state, place, intro=True)

    def _step(self, state: TurnState, place: Place, *, intro: bool = False) -> Reply:
        state.place = place
        parts = self._step_parts(place.routine_id, place.step, state.settings, intro)
        return self._closed(place, parts, key=f"routine.{place.routine_id}.{place.step}")

    def _closed(self, place: Place, parts: Sequence[Part], *, key: str) -> Reply:
        """A step's ``parts`` with its closing question: "ready for the next one?" or, after
        the last step, what to do next (see :func:`skill.routine.closing_key`)."""
        routine = self.content.routines[place.routine_id]
        closing_key = engine.closing_key(self.content, routine, place.step)
        said = Reply(parts=tuple(parts), keys=(key,))
        if closing_key != "routine.next_question":
            return said.then(self.answer(closing_key))
        question = self.answer(closing_key)
        return said.then(
            Reply(ask=question.ask, reprompt=question.reprompt, offer=OFFER_NEXT_STEP,
                  context=Context.ROUTINE)
        )

    def next_step(self, state: TurnState) -> Reply:
        """The following step; after the last one, the place is cleared and the routine ends."""
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
        """The step before; at the first step, that step again (said so)."""
        place = state.place
        if place is None:
            return self.answer("routine.not_in_routine")
        if place.step == 0:
            return self._step(state, place.at(0, state.now)).before(
                self.content.answer("routine.at_start").say, key="routine.at_start"
            )
        return self._step(state, engine.previous_step(place, state.now))

    def repeat(self, state: TurnState) -> Reply | Replay:
        """"Repeat": the routine's step again inside a routine, else the last response as sent.

        Without a last response the skill itself rendered (none yet, or one it cannot vouch
        for), the help for where the user is.
        """
        if state.in_routine:
            return self.repeat_step(state)
        last = state.last
        if last is None:
            return self.help(state)
        reprompt = last.get("reprompt")
        if not is_own_ssml(last["ssml"]) or not (reprompt is None or is_own_ssml(reprompt)):
            return self.help(state)
        return Replay(last["ssml"], reprompt)

    def repeat_step(self, state: TurnState) -> Reply:
        """The current step again, its hold timed from now."""
        place = state.place
        if place is None:
            return self.answer("routine.not_in_routine")
        return self._step(state, place.at(place.step, state.now))

    def start_over(self, state: TurnState) -> Reply:
        """Step 0 of the routine in this session, or of the one left off last time."""
        place = state.place or state.stored_place
        if place is None:
            return self.answer("routine.not_in_routine")
        return self.start_routine(state, place.routine_id)

    def pause(self, state: TurnState) -> Reply:
        """Keep the place (timed from now), say how to come back, and close the session.

        An open session ends after a few seconds of silence whatever the skill says, so a pause
        that waits would be a pretence: "open Cramp Helper, then resume" picks the place up.
        """
        if state.place is None:
            return self.answer("routine.not_in_routine")
        kept = self._keep_place(state)
        if kept is None:
            return self.answer("goodbye")
        return self._kept_goodbye(kept, "goodbye.paused")

    def _keep_place(self, state: TurnState) -> tuple[str, bool] | None:
        """Keep the session's place (timed from now) for next time, saved at once.

        The routine's name and whether the store kept the place; ``None``, and the place
        dropped, when there is none or it is the last step: that routine is done, and nothing
        is left to pick up.
        """
        place = state.place
        if place is None:
            return None
        routine = self.content.routines[place.routine_id]
        if place.step + 1 >= len(routine.steps):
            state.place = None
            return None
        return routine.name, state.keep_place(place.at(place.step, state.now))

    def _kept_goodbye(self, kept: tuple[str, bool], key: str) -> Reply:
        """The goodbye ``key`` that says the place is kept, or, when the store could not keep
        it, the one that says so instead of a false promise."""
        name, saved = kept
        return self.answer(key if saved else "goodbye.routine.unsaved", routine=name)

    def resume(self, state: TurnState) -> Reply:
        """The step not yet done, after this session's place or the one left off last time.

        A place is the step last heard, hold included, so resuming goes on to the following
        step ("repeat" does a step again); after the last step the routine is finished.
        """
        place = state.place or state.stored_place
        if place is None:
            return self.answer("routine.nothing_to_resume")
        state.place = place
        following = engine.next_step(place, self.content.routines[place.routine_id], state.now)
        if following is None:
            return self.next_step(state)
        return self._step(state, following).before(
            self.content.phrase("resume.picking_up"), key="resume.picking_up"
        )

    def start_fresh(self, state: TurnState) -> Reply:
        """"No" to picking up an old routine: forget the place and ask where it hurts."""
        state.place = None
        return self.answer("choose_muscle")

    def stop(self, state: TurnState) -> Reply:
        """Goodbye; inside a routine the place is kept (timed from now) to offer next time,
        unless it is the last step: that routine is done."""
        kept = self._keep_place(state)
        if kept is not None:
            return self._kept_goodbye(kept, "goodbye.routine")
        return self.answer("goodbye")

    # --- Remarks mid-stretch and where the person is ----------------------------------------

    def cramp_gone(self, state: TurnState) -> Reply:
        """"The cramp is gone": the routine is over (place cleared); walk, then prevention."""
        if state.place is not None or state.stored_place is not None:
            state.place = None
        return self.answer("cramp_gone")

    def done(self, state: TurnState) -> Reply:
        """"Thanks" / "I'm done": a kind goodbye; inside a routine the place is kept."""
        kept = self._keep_place(state)
        if kept is None:
            return self.answer("goodbye.thanks")
        return self._kept_goodbye(kept, "goodbye.thanks.routine")

    def not_yet(self, state: TurnState) -> Reply:
        """"Not yet" / "one more": the same hold again (the whole step if it has none)."""
        if state.place is None:
            return self.answer("not_yet")
        return self._hold_again(state, "not_yet.again")

    def _hold_again(
        self, state: TurnState, lead: str, *, lead_in: bool = False, always: bool = False
    ) -> Reply:
        """The phrase ``lead`` (one of :data:`skill.routine.HOLD_AGAIN_LEADS`), then the
        current step's hold again, timed from now; with ``lead_in``, time to get into position
        first. A step without a hold (a walk) is said again whole, after ``lead`` only if
        ``always`` (it is not about the hold). Needs a place."""
        place = state.place
        assert place is not None
        routine = self.content.routines[place.routine_id]
        holds = engine.hold_parts(self.content, routine.steps[place.step], state.settings)
        if not holds:
            again = self.repeat_step(state)
            return again.before(self.content.phrase(lead), key=lead) if always else again
        if lead_in:
            holds = [*engine.hold_lead_in(self.content, routine, place.step), *holds]
        place = place.at(place.step, state.now)
        state.place = place
        return self._closed(
            place, holds, key=f"routine.{routine.id}.{place.step}.hold"
        ).before(self.content.phrase(lead), key=lead)

    # --- Said between holds: it hurts more, how much is left, the other leg ------------------

    def stretch_pain(self, state: TurnState) -> Reply:
        """"Ouch" / "it hurts more": ease off first (the guide: pull very gently, never strain),
        then carry on or stop. In a routine the place is kept and "yes" goes on to the next
        step; outside one, "yes" asks which muscle to stretch."""
        if state.place is None:
            return self.answer("stretch_pain")
        ease = "stretch_pain.ease"
        eased = Reply(parts=(self.content.phrase(ease),), keys=(ease,))
        question = self.answer("stretch_pain.routine")
        return eased.then(question.with_offer(OFFER_NEXT_STEP))

    def remaining(self, state: TurnState) -> Reply:
        """"How much longer?": how many steps are left after this one, and how long each hold
        is; then the routine's own question again."""
        place = state.place
        if place is None:
            return self.answer("routine.not_in_routine")
        routine = self.content.routines[place.routine_id]
        left = routine.steps[place.step + 1:]
        # After the last step its closing says so ("That's the last one") and what next.
        key = "remaining.one" if len(left) == 1 else "remaining.more"
        said: list[Part] = [self.content.phrase(key, count=str(len(left)))] if left else []
        keys = [key] if left else []
        holds = [step for step in left if step.hold is not None]
        if holds:
            seconds = max(
                state.settings.hold_seconds if step.hold == "setting" else int(step.hold or 0)
                for step in holds
            )
            said.append(self.content.phrase("remaining.hold", seconds=str(seconds)))
            keys.append("remaining.hold")
        closed = self._closed(place, said, key="remaining")
        return closed._replace(keys=(*keys, *closed.keys[1:]))

    def other_leg(self, state: TurnState) -> Reply:
        """"Switch legs" / "the other leg": the same stretch on the other side, held now. Said
        at a step without a hold (the walk), the stretch is the last step before it that has
        one, and the routine goes on from there.

        Outside a routine: which muscle, as for a new cramp.
        """
        place = state.place
        if place is None:
            return self.answer("choose_muscle")
        steps = self.content.routines[place.routine_id].steps
        held = [index for index in range(place.step + 1) if steps[index].hold is not None]
        if held and held[-1] != place.step:
            state.place = place.at(held[-1], state.now)
        return self._hold_again(state, "other_leg", lead_in=True)

    def cramp_lasted(self, state: TurnState, minutes: float | None) -> Reply:
        """How long the cramp has lasted (:func:`skill.duration.minutes_said`), or ``None``
        for "it won't stop" or a length not understood.

        A long cramp (:func:`skill.duration.is_long`) is a red flag: see a doctor, the routine
        ends. A shorter one is normal: reassurance, and in a routine the same hold again.
        """
        if duration.is_long(minutes):
            return self.red_flag(state, LONG_CRAMP_ANSWER)
        if state.place is None:
            return self.answer("duration.short")
        return self._hold_again(state, "duration.short.routine", always=True)

    def carry_on(self, state: TurnState) -> Reply:
        """"I'm back" / "ready": the step not yet done, in this session or a recent one."""
        if state.place is not None or state.stored_place is not None:
            return self.resume(state)
        return self.answer("choose_muscle")

    def no_towel(self, state: TurnState) -> Reply:
        """No towel or belt: the hamstring stretch seated, reaching forward (the guide's way).

        In a stretch that needs no towel, that step again; otherwise the no-towel version from
        its start.
        """
        place = state.place
        if place is None:
            return self.start_routine(state, NO_TOWEL_HAMSTRING)
        routine = self.content.routines[place.routine_id]
        if routine.muscle != "hamstring" or routine.id == NO_TOWEL_HAMSTRING:
            return self.repeat_step(state).before(
                self.content.phrase("no_towel.not_needed"), key="no_towel.not_needed"
            )
        return self._switch(state, NO_TOWEL_HAMSTRING)

    def position(self, state: TurnState, where: str) -> Reply:
        """Where the person is (``lying``, ``seated``, ``standing``): the stretch that can be
        done from there, or the one in progress with a word on how it is done.

        The guide's hamstring stretch is done lying (on the floor or in bed) or, for someone who
        cannot lie down, seated; the quad stretch standing, holding a wall or chair. With no
        routine in progress, standing means the quad stretch, as "a standing stretch" does.
        """
        place = state.place
        routine = self.content.routines[place.routine_id] if place is not None else None
        if routine is None and where == "standing":
            return self.start_routine(state, DEFAULT_ROUTINES["quadriceps"])
        muscle = routine.muscle if routine is not None else "hamstring"
        if muscle == "hamstring":
            if where == "lying":
                return self._switch(state, DEFAULT_ROUTINES["hamstring"]).before(
                    self.content.phrase("position.lying"), key="position.lying"
                )
            reply = self._switch(state, SEATED_HAMSTRING)
            if where == "standing":
                return reply.before(
                    self.content.phrase("position.hamstring_standing"),
                    key="position.hamstring_standing",
                )
            return reply
        if muscle == "quadriceps" and where in NOT_STANDING:
            return self.answer(QUAD_NOT_STANDING)
        note = {"quadriceps": "position.quad", "both": "position.bedtime"}.get(
            muscle, "position.where_you_are"
        )
        return self.repeat_step(state).before(self.content.phrase(note), key=note)

    def _switch(self, state: TurnState, routine_id: str) -> Reply:
        """``routine_id`` from its start, with its intro (the set-up differs); the same step
        again if it is already the routine in progress."""
        place = state.place
        if place is not None and place.routine_id == routine_id:
            return self.repeat_step(state)
        return self.start_routine(state, routine_id)

    # --- Settings ---------------------------------------------------------------------------

    def _after_setting(self, state: TurnState, said: Reply) -> Reply:
        if state.place is not None and state.context in {Context.ROUTINE, Context.PAUSED}:
            question = self.answer("routine.next_question")
            return said.then(question.with_offer(OFFER_NEXT_STEP))
        return said.then(self.answer("settings.ask"))

    def set_hold(self, state: TurnState, seconds: int | None, change: SlotReading) -> Reply:
        """Set the hold length: ``seconds`` (clamped to 10-60 s), or 10 s longer or shorter."""
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
                fixed = self._fixed_hold_note(state)
                return self._after_setting(state, said if fixed is None else said.then(fixed))
        else:
            return self.answer("hold.ask_number")
        kept = state.keep_settings(Settings(hold_seconds=wanted, night=current.night))
        fixed = self._fixed_hold_note(state)
        if fixed is not None and key == "hold.set":
            key = "hold.set_elsewhere"
        said = self.answer(key if kept else f"{key}.unsaved", seconds=str(wanted))
        if fixed is not None:
            said = said.then(fixed)
        if state.place is None:
            return said.then(self.answer("hold.ask"))
        return self._after_setting(state, said)

    def _fixed_hold_note(self, state: TurnState) -> Reply | None:
        """In a routine whose holds ignore the setting (the bedtime one), a note saying so."""
        place = state.place
        if place is None:
            return None
        routine = self.content.routines[place.routine_id]
        fixed = engine.fixed_hold(routine)
        if fixed is None:
            return None
        seconds, times = fixed
        text = self.content.phrase(
            "hold.fixed", routine=routine.name, seconds=str(seconds), times=str(times)
        )
        return Reply(parts=(text,), keys=("hold.fixed",))

    def hold_number(self, state: TurnState, seconds: int | None) -> Reply:
        """A number said on its own.

        An emergency number (:data:`EMERGENCY_NUMBERS`) is an emergency. Right after the skill
        asked how long to hold (the hold context) it is the hold length; anywhere else the skill
        asks first ("Do you want holds of 20 seconds?"), and "yes" sets it.
        """
        if seconds is not None and seconds in EMERGENCY_NUMBERS:
            return self.red_flag(state, EMERGENCY_ANSWER)
        if seconds is None or seconds < 0:
            return self.answer("hold.ask_number")
        if state.context == Context.HOLD:
            return self.set_hold(state, seconds, SlotReading())
        wanted = clamp_hold(seconds)
        return self.answer("hold.confirm", seconds=str(wanted)).with_offer(
            f"{HOLD_TARGET}{wanted}"
        )

    def set_night(self, state: TurnState, night: bool) -> Reply:
        """Night mode on (a soft, slightly slower whisper) or off."""
        kept = state.keep_settings(Settings(hold_seconds=state.settings.hold_seconds, night=night))
        key = "night.on" if night else "night.off"
        return self._after_setting(state, self.answer(key if kept else f"{key}.unsaved"))

    # --- Answers with slots -----------------------------------------------------------------

    def medication(
        self, state: TurnState, medicine: SlotReading, kind: str = medicines.CAUSE
    ) -> Reply:
        """An answer to one kind of question (:data:`skill.medicines.KINDS`) about a medicine.

        "I'm not a doctor" comes first, once a session. The prescription warning ("don't stop
        without talking to your doctor or pharmacist") is said once a session where a prescribed
        medicine is named, and always to "should I stop it?".
        """
        disclaimer = state.take_disclaimer()
        found = medicines.find(self.content, medicine.id) if medicine.id else None
        if found is not None:
            reply = self._medicine_answer(state, medicines.answer_for(self.content, found.id, kind))
        elif medicine.unknown:
            # Words we don't know may be a prescribed medicine misheard: never let "should I
            # stop it?" go without the warning.
            key = "unknown_medicine.stop" if kind == medicines.STOP else "unknown_medicine"
            reply = self.answer(key, medicine=medicine.echo)
        else:
            reply = self.answer("medications")
        if disclaimer:
            reply = reply.before(self.content.phrase("disclaimer.medicine"), key="disclaimer")
        return reply

    def _medicine_answer(self, state: TurnState, answer: medicines.MedicineAnswer) -> Reply:
        parts: list[str] = [answer.say]
        keys = [answer.key]
        if answer.stop_warning:
            if state.take_stop_warning() or answer.kind == medicines.STOP:
                parts.append(self.content.phrase("dont_stop"))
                keys.append("dont_stop")
        elif medicines.DONT_STOP_WORDS in answer.say.lower():
            state.mark_stop_warned()
        return Reply(
            parts=tuple(parts),
            ask=self.content.phrase("medication.ask"),
            reprompt=self.content.phrase("medication.reprompt"),
            keys=tuple(keys),
            offer="ask_medicine",
        )

    def relief(self, state: TurnState) -> Reply:
        """What helps right now; the medicine disclaimer first, once per session."""
        reply = self.answer("relief")
        if state.take_disclaimer():
            reply = reply.before(self.content.phrase("disclaimer.medicine"), key="disclaimer")
        return reply

    def topic(self, topic: Topic, reading: SlotReading) -> Reply:
        """A question answered from content: the rule in :mod:`skill.topics`."""
        echo = {topic.echo_as: reading.echo} if topic.echo_as else {}
        if reading.id and f"{topic.key}.{reading.id}" in self.content.answers:
            return self.answer(f"{topic.key}.{reading.id}", **echo)
        if reading.unknown and topic.unknown is not None:
            return self.answer(topic.unknown, **echo)
        return self.answer(topic.key)

    # --- Red flags --------------------------------------------------------------------------

    def red_flag(self, state: TurnState, key: str) -> Reply:
        """A red-flag answer (``key``): the routine place is cleared, in the session and stored.

        Whatever was going on, a symptom that needs help ends the stretch: nothing offers to
        pick it up again. Every red-flag answer names the emergency number (the
        ``emergency.number`` phrase of the locale) and says the skill cannot call for help.
        """
        state.place = None
        return self.answer(key)

    def symptom(
        self, state: TurnState, symptom: SlotReading, ordinary: SlotReading | None = None
    ) -> Reply:
        """A red flag said as a symptom: the answer :data:`RED_FLAG_ANSWERS` names for it.

        Words the symptom type does not know that are only an ordinary cramp or pain
        (``ordinary``, the muscle it is in: see :func:`skill.slots.read_ordinary_pain`) are a
        cramp to stretch, as if asked to stretch that muscle ("front or back?" when none is
        named). Other words it does not know, said as a symptom ("there's a lump in my calf"),
        get the cautious answer that names every red flag (:data:`UNCLEAR_ANSWER`): something
        said as a symptom is never just "didn't catch that". With no symptom heard at all, the
        emergency answer. The weakness red flag said without a word of numbness ("I can't stand
        on it", "my leg gave way") gets :data:`WEAK_ANSWER`, worded for a leg that won't hold.
        """
        if symptom.unknown:
            if ordinary is not None:
                return self.stretch(state, ordinary, SlotReading())
            return self.red_flag(state, UNCLEAR_ANSWER)
        key = RED_FLAG_ANSWERS.get(symptom.id or "", EMERGENCY_ANSWER)
        if symptom.id == "numb" and not NUMB_WORDS.intersection(words_of(symptom.spoken or "")):
            key = WEAK_ANSWER
        return self.red_flag(state, key)

    # --- Yes, no, help, fallback ------------------------------------------------------------

    def yes(self, state: TurnState) -> Reply:
        """"Yes": whatever the last question offered (see the state table above)."""
        offer = state.offer
        if offer == OFFER_FORGET:
            return self.forget(state)
        if offer == OFFER_NEXT_STEP:
            return self.next_step(state)
        if offer == OFFER_RESUME:
            return self.resume(state)
        if offer and offer.startswith(HOLD_TARGET):
            seconds = offer.removeprefix(HOLD_TARGET)
            if seconds.isdigit():
                return self.set_hold(state, int(seconds), SlotReading())
            return self.answer("anything_else")
        if offer and offer.startswith(ROUTINE_TARGET):
            # An offer from an older deployment may name a routine that no longer exists.
            if offer.removeprefix(ROUTINE_TARGET) not in self.content.routines:
                return self.answer("anything_else")
            return self.start_routine(state, offer.removeprefix(ROUTINE_TARGET))
        if offer and offer in self.content.answers:
            return self.answer(offer)
        return self.answer("anything_else")

    def no(self, state: TurnState) -> Reply:
        """"No": depends on what the last question was about (see the state table above)."""
        context = state.context
        if context == Context.RESUME:
            return self.start_fresh(state)
        if context == Context.ROUTINE and state.place is not None:
            return self.pause(state)
        if context in {Context.PAUSED, Context.ANYTHING_ELSE}:
            return self.stop(state)
        return self.answer("no_offer")

    def help(self, state: TurnState) -> Reply:
        """Help for where the user is: resuming, in a routine, choosing a muscle, or anywhere."""
        context = state.context
        place = state.place or state.stored_place
        if context == Context.RESUME and place is not None:
            name = self.content.routines[place.routine_id].name
            return self.answer("help.resume", routine=name).with_offer(OFFER_RESUME)
        if context in {Context.ROUTINE, Context.PAUSED} and state.place is not None:
            name = self.content.routines[state.place.routine_id].name
            return self.answer("help.routine", routine=name).with_offer(OFFER_NEXT_STEP)
        if context == Context.MUSCLE:
            return self.answer("help.muscle")
        return self.answer("help")

    def fallback(self, state: TurnState) -> Reply:
        """Words the model did not understand: in a routine, how to go on; after "front or
        back?", that question again; else what to say. They may have been a red flag in words
        the model does not know, so each of these answers says where to get help, and is marked
        urgent in the content (never whispered)."""
        if state.in_routine and state.place is not None:
            name = self.content.routines[state.place.routine_id].name
            return self.answer("fallback.routine", routine=name).with_offer(OFFER_NEXT_STEP)
        if state.context == Context.MUSCLE:
            return self.answer("fallback.muscle")
        return self.answer("fallback")

    def home(self) -> Reply:
        """"Go home": the "what else?" question, wherever the user was."""
        return self.answer("anything_else")

    def confirm_forget(self) -> Reply:
        """Ask before deleting the user's settings and place; "yes" deletes them."""
        return self.answer("forget.confirm").with_offer(OFFER_FORGET)

    def forget(self, state: TurnState) -> Reply:
        """"Yes" to deleting the user's data: delete it, and say whether the store confirmed."""
        if state.forget_stored():
            state.forget_everything()
            return self.answer("forget.done")
        return self.answer("forget.failed")
