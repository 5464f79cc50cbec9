"""Answers to questions about cramps: one intent, one answer (or a slot-chosen one)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ask_sdk_core.dispatch_components import AbstractRequestHandler

from ..slots import read_slot
from .base import Deps, IntentHandler

#: Intents answered by one content entry each.
TOPICS: Mapping[str, str] = MappingProxyType({
    "HeatIntent": "heat",
    "HydrationIntent": "hydration",
    "SleepIntent": "sleep",
    "DoctorIntent": "doctor",
    "EmergencyIntent": "emergency",
    "ClotIntent": "clot",
})


def handlers(deps: Deps) -> list[AbstractRequestHandler]:
    guide = deps.guide
    topic_handlers: list[AbstractRequestHandler] = [
        IntentHandler(deps, intent, lambda _hi, _state, key=key: guide.answer(key))
        for intent, key in TOPICS.items()
    ]
    return [
        *topic_handlers,
        IntentHandler(
            deps, "IdentifyMuscleIntent", lambda hi, _s: guide.identify(read_slot(hi, "Muscle"))
        ),
        IntentHandler(
            deps, "CauseIntent", lambda hi, _s: guide.cause(read_slot(hi, "Condition"))
        ),
        IntentHandler(
            deps, "ExerciseIntent", lambda hi, _s: guide.exercise(read_slot(hi, "Exercise"))
        ),
        IntentHandler(
            deps, "MassageIntent", lambda hi, _s: guide.massage(read_slot(hi, "MassageKind"))
        ),
        IntentHandler(
            deps, "NutritionIntent", lambda hi, _s: guide.nutrition(read_slot(hi, "Nutrient"))
        ),
        IntentHandler(
            deps,
            "MedicationIntent",
            lambda hi, state: guide.medication(state, read_slot(hi, "Medication")),
        ),
        IntentHandler(deps, "ReliefIntent", lambda _hi, state: guide.relief(state)),
    ]
