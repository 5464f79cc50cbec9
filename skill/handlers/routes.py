"""Where each intent goes: one row per intent name, one decision of the guide per row.

:data:`ROUTES` is the whole answer to "where does this intent go?". A route reads what it needs
from the request (slot ids, numbers) and calls one method of :class:`~skill.guide.Guide`. What an
intent means right now (inside a routine or not, after which question) is decided by the guide
from the turn state, never here. An intent name not in the table (not in this skill's model) goes
to :data:`DEFAULT_ROUTE`, which answers as a fallback; the name is logged.

Adding an intent is one row: in :data:`ROUTES`, or in :data:`skill.topics.TOPICS` for a
question whose answer is chosen by one slot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from .. import duration, medicines
from ..guide import BEDTIME, CLOT_ANSWER, EMERGENCY_ANSWER, Guide
from ..replies import Replay, Reply
from ..respond import respond
from ..slots import (
    SlotReading,
    attach,
    read_number,
    read_ordinary_pain,
    read_slot,
    redirect,
)
from ..state import TurnState
from ..topics import TOPICS, Topic
from .base import Deps

log = logging.getLogger(__name__)

#: One decision: ``(guide, handler_input, state) -> what to say``.
Route = Callable[[Guide, HandlerInput, TurnState], Reply | Replay]


def _topic_route(topic: Topic) -> Route:
    """The route of a question answered from content: its slot read, the guide's one rule."""

    def route(guide: Guide, handler_input: HandlerInput, _state: TurnState) -> Reply:
        reading = read_slot(handler_input, topic.slot) if topic.slot else SlotReading()
        return guide.topic(topic, reading)

    return route


def _cramp_minutes(handler_input: HandlerInput) -> float | None:
    """How long the cramp has lasted, in minutes, from whichever slot said it."""
    return duration.minutes_said(
        read_number(handler_input, "Minutes"),
        read_number(handler_input, "Hours"),
        read_slot(handler_input, "Span").id,
    )


ROUTES: Mapping[str, Route] = MappingProxyType({
    # --- Stretching ---------------------------------------------------------------------------
    "StretchIntent": lambda g, hi, s: g.stretch(
        s, read_slot(hi, "Muscle"), read_slot(hi, "Position")
    ),
    "BedtimeRoutineIntent": lambda g, _hi, s: g.start_routine(s, BEDTIME),
    "AMAZON.NextIntent": lambda g, _hi, s: g.next_step(s),
    "AMAZON.PreviousIntent": lambda g, _hi, s: g.previous_step(s),
    "AMAZON.RepeatIntent": lambda g, _hi, s: g.repeat(s),
    "AMAZON.PauseIntent": lambda g, _hi, s: g.pause(s),
    "AMAZON.ResumeIntent": lambda g, _hi, s: g.resume(s),
    "AMAZON.StartOverIntent": lambda g, _hi, s: g.start_over(s),
    # --- Remarks mid-stretch, and where the person is ---------------------------------------
    "CrampGoneIntent": lambda g, _hi, s: g.cramp_gone(s),
    "DoneIntent": lambda g, _hi, s: g.done(s),
    "NotYetIntent": lambda g, _hi, s: g.not_yet(s),
    "ImBackIntent": lambda g, _hi, s: g.carry_on(s),
    "NoTowelIntent": lambda g, _hi, s: g.no_towel(s),
    "CantLieDownIntent": lambda g, _hi, s: g.position(s, "seated"),
    "StretchPainIntent": lambda g, _hi, s: g.stretch_pain(s),
    "RemainingIntent": lambda g, _hi, s: g.remaining(s),
    "OtherLegIntent": lambda g, _hi, s: g.other_leg(s),
    "CantStandIntent": lambda g, _hi, s: g.cant_stand(s),
    # --- Settings ---------------------------------------------------------------------------
    "HoldTimeIntent": lambda g, hi, s: g.set_hold(
        s, read_number(hi, "Seconds"), read_slot(hi, "Change")
    ),
    "HoldNumberIntent": lambda g, hi, s: g.hold_number(s, read_number(hi, "Seconds")),
    "NightModeIntent": lambda g, _hi, s: g.set_night(s, True),
    "NormalVoiceIntent": lambda g, _hi, s: g.set_night(s, False),
    "ForgetMeIntent": lambda g, _hi, _s: g.confirm_forget(),
    # --- Questions --------------------------------------------------------------------------
    # One intent per kind of medicine question (see skill/medicines.py).
    "MedicationIntent": lambda g, hi, s: g.medication(s, read_slot(hi, "Medication")),
    "MedicineTakeIntent": lambda g, hi, s: g.medication(
        s, read_slot(hi, "Medication"), medicines.TAKE
    ),
    "MedicineStopIntent": lambda g, hi, s: g.medication(
        s, read_slot(hi, "Medication"), medicines.STOP
    ),
    "MedicineSafeIntent": lambda g, hi, s: g.medication(
        s, read_slot(hi, "Medication"), medicines.SAFE
    ),
    "MedicineHelpIntent": lambda g, hi, s: g.medication(
        s, read_slot(hi, "Medication"), medicines.HELPS
    ),
    "MedicineTakingIntent": lambda g, hi, s: g.medication(
        s, read_slot(hi, "Medication"), medicines.TAKING
    ),
    "ReliefIntent": lambda g, _hi, s: g.relief(s),
    **{intent: _topic_route(topic) for intent, topic in TOPICS.items()},
    # --- Red flags: before anything else, wherever the user is --------------------------------
    "EmergencyIntent": lambda g, _hi, s: g.red_flag(s, EMERGENCY_ANSWER),
    "ClotIntent": lambda g, _hi, s: g.red_flag(s, CLOT_ANSWER),
    "RedFlagIntent": lambda g, hi, s: g.symptom(
        s, read_slot(hi, "Symptom"), read_ordinary_pain(hi, "Symptom", "Limb")
    ),
    "LongCrampIntent": lambda g, hi, s: g.cramp_lasted(s, _cramp_minutes(hi)),
    # --- The conversation -------------------------------------------------------------------
    "AMAZON.YesIntent": lambda g, _hi, s: g.yes(s),
    "AMAZON.NoIntent": lambda g, _hi, s: g.no(s),
    "AMAZON.HelpIntent": lambda g, _hi, s: g.help(s),
    "AMAZON.StopIntent": lambda g, _hi, s: g.stop(s),
    "AMAZON.CancelIntent": lambda g, _hi, s: g.stop(s),
    "AMAZON.NavigateHomeIntent": lambda g, _hi, _s: g.home(),
    "AMAZON.FallbackIntent": lambda g, _hi, s: g.fallback(s),
})

#: An intent this skill's model does not have: answered as if Alexa had not understood.
DEFAULT_ROUTE: Route = ROUTES["AMAZON.FallbackIntent"]


def intent_name(handler_input: HandlerInput) -> str | None:
    """The intent's name, or ``None`` for a request without one."""
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    name = getattr(intent, "name", None)
    return name if isinstance(name, str) else None


def _locale(handler_input: HandlerInput) -> str | None:
    locale = getattr(handler_input.request_envelope.request, "locale", None)
    return locale if isinstance(locale, str) else None


class IntentRouter(AbstractRequestHandler):
    """Every ``IntentRequest``: its route from ``routes``, or the default route.

    Slot words that name another question (:func:`skill.slots.redirect`: a medicine heard as
    a food, "drinking water" as a food) take the route of that question.
    """

    def __init__(self, deps: Deps, routes: Mapping[str, Route] = ROUTES) -> None:
        self.deps = deps
        self.routes = routes

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("IntentRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        name = intent_name(handler_input)
        attach(handler_input, self.deps.vocabularies, _locale(handler_input))
        elsewhere = redirect(handler_input)
        if elsewhere is not None and elsewhere.intent in self.routes:
            name = elsewhere.intent
        route = self.routes.get(name) if name is not None else None
        if route is None:
            log.warning("no route for intent %s", name)
            route = DEFAULT_ROUTE
        deps = self.deps.for_request(handler_input)
        state = deps.state(handler_input)
        return respond(state, route(deps.guide, handler_input, state))
