"""Stretch routines and their settings: start, navigate, hold length, night voice.

Navigation intents are gated on being inside a routine; outside one the general handlers in
:mod:`skill.handlers.builtins` answer them.
"""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler

from ..guide import BEDTIME
from ..slots import read_number, read_slot
from ..state import TurnState
from .base import Deps, IntentHandler


def _has_place(state: TurnState) -> bool:
    return state.place is not None


def handlers(deps: Deps) -> list[AbstractRequestHandler]:
    guide = deps.guide
    return [
        IntentHandler(
            deps,
            "StretchIntent",
            lambda hi, state: guide.stretch(
                state, read_slot(hi, "Muscle"), read_slot(hi, "Position")
            ),
        ),
        IntentHandler(
            deps, "BedtimeRoutineIntent", lambda _hi, state: guide.start_routine(state, BEDTIME)
        ),
        IntentHandler(
            deps,
            "HoldTimeIntent",
            lambda hi, state: guide.set_hold(
                state, read_number(hi, "Seconds"), read_slot(hi, "Change")
            ),
        ),
        IntentHandler(deps, "NightModeIntent", lambda _hi, state: guide.set_night(state, True)),
        IntentHandler(
            deps, "NormalVoiceIntent", lambda _hi, state: guide.set_night(state, False)
        ),
        IntentHandler(
            deps,
            "AMAZON.NextIntent",
            lambda _hi, state: guide.next_step(state),
            when=_has_place,
        ),
        IntentHandler(
            deps,
            "AMAZON.PreviousIntent",
            lambda _hi, state: guide.previous_step(state),
            when=_has_place,
        ),
        IntentHandler(
            deps,
            "AMAZON.RepeatIntent",
            lambda _hi, state: guide.repeat_step(state),
            when=lambda state: state.in_routine,
        ),
        IntentHandler(
            deps, "AMAZON.PauseIntent", lambda _hi, state: guide.pause(state), when=_has_place
        ),
        IntentHandler(deps, "AMAZON.ResumeIntent", lambda _hi, state: guide.resume(state)),
        IntentHandler(deps, "AMAZON.StartOverIntent", lambda _hi, state: guide.start_over(state)),
    ]
