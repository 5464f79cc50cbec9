"""The requests every benchmark sends, built with the project's one envelope builder
(:mod:`skill.tools.envelopes`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from benchmarks.floor_skill import INTENT_NAME
from skill.tools import envelopes as E
from skill.tools.paths import project_root

Json = dict[str, Any]

#: The project's root folder (the bench's child processes run there).
ROOT = project_root()

#: A user who has used the skill before (welcomed, default settings, no routine to resume).
RETURNING_USER = "amzn1.ask.account.BENCH-RETURNING"


def stretch(user_id: str = E.USER_ID, at: datetime | None = None) -> Json:
    """"Stretch my hamstring" opening a session: starts the lying hamstring routine."""
    return E.intent(
        "StretchIntent",
        {"Muscle": E.resolved("back of my thigh", "hamstring", "hamstring"), "Position": None},
        user_id=user_id,
        at=at,
    )


def launch(user_id: str = RETURNING_USER, at: datetime | None = None) -> Json:
    return E.launch(user_id=user_id, at=at)


def next_in_routine(user_id: str = E.USER_ID, saved_at: float = 0.0) -> Json:
    """"Next" after the first step of the hamstring routine (session attributes as sent)."""
    attributes = {
        "settings": {"hold_seconds": 30, "night": False},
        "routine": {"id": "hamstring_lying", "step": 0, "saved_at": saved_at},
        "offer": "action:next",
        "context": "routine",
        "last": {"ssml": "<speak>Hold.</speak>", "reprompt": "<speak>Next?</speak>", "keys": []},
    }
    return E.intent("AMAZON.NextIntent", {}, user_id=user_id, attributes=attributes, new=False)


def medication(user_id: str = E.USER_ID) -> Json:
    """"Can ibuprofen cause cramps?" opening a session."""
    return E.intent(
        "MedicationIntent", {"Medication": E.resolved("ibuprofen", "nsaids")}, user_id=user_id
    )


def floor_launch(at: datetime | None = None) -> Json:
    return E.launch(at=at)


def floor_intent(at: datetime | None = None) -> Json:
    return E.intent(INTENT_NAME, {}, at=at)


def check_answered(response: Json) -> None:
    """Fail loudly if a benchmark request was not answered with speech."""
    if not E.speech(response):
        raise RuntimeError(f"request was not answered with speech: {response!r:.300}")
