"""CanFulfillIntentRequest: Alexa asks "could you answer this?" before a name-free request.

Amazon's rules ("Implement CanFulfillIntentRequest for Name-free Interactions"): the answer is
canFulfillIntent with YES, MAYBE or NO and, per slot with a value, canUnderstand and canFulfill;
nothing is said, no state changes, nothing is stored, and it works without a user id.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from skill.builder import build_answerer, build_lambda_handler
from skill.handlers.routes import ROUTES
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.tools import envelopes
from skill.tools.envelopes import SKILL_ID, USER_ID, resolved, unresolved
from skill.web.server import create_app


@pytest.fixture
def store() -> InMemoryPersistenceAdapter:
    return InMemoryPersistenceAdapter()


@pytest.fixture
def ask(store: InMemoryPersistenceAdapter) -> Any:
    handler = build_lambda_handler(store)

    def ask(name: str, slots: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        return handler(envelopes.can_fulfill(name, slots, **kwargs), None)

    return ask


def verdict(response: dict[str, Any]) -> dict[str, Any]:
    body = response["response"]
    assert set(body) == {"canFulfillIntent"}, "nothing but the answer: no speech, no card"
    answer: dict[str, Any] = body["canFulfillIntent"]
    return answer


@pytest.mark.parametrize(
    "name",
    ["StretchIntent", "CauseIntent", "MedicationIntent", "DoctorIntent", "EmergencyIntent",
     "ClotIntent", "HeatIntent", "BedtimeRoutineIntent"],
)
def test_the_skills_questions_are_a_yes(ask: Any, name: str) -> None:
    assert verdict(ask(name)) == {"canFulfill": "YES"}


def test_a_known_slot_value_is_understood_and_fulfilled(ask: Any) -> None:
    answer = verdict(ask("MedicationIntent", {"Medication": resolved("lipitor", "lipitor")}))
    assert answer == {
        "canFulfill": "YES",
        "slots": {"Medication": {"canUnderstand": "YES", "canFulfill": "YES"}},
    }
    stretch = verdict(ask("StretchIntent", {"Muscle": resolved("back of my thigh", "hamstring"),
                                            "Position": None}))
    assert stretch["canFulfill"] == "YES"
    assert set(stretch["slots"]) == {"Muscle"}, "only slots with a value are answered for"


def test_an_unknown_slot_value_is_a_no(ask: Any) -> None:
    answer = verdict(ask("MedicationIntent", {"Medication": unresolved("frobnicillin")}))
    assert answer == {
        "canFulfill": "NO",
        "slots": {"Medication": {"canUnderstand": "NO", "canFulfill": "NO"}},
    }
    elbow = verdict(ask("StretchIntent", {"Muscle": unresolved("elbow")}))
    assert elbow["canFulfill"] == "NO"


def test_an_unresolved_lookup_is_a_maybe(ask: Any) -> None:
    slot = {"value": "statins", "resolutions": {"resolutionsPerAuthority": [
        {"authority": "x", "status": {"code": "ER_ERROR_TIMEOUT"}}
    ]}}
    answer = verdict(ask("MedicationIntent", {"Medication": slot}))
    assert answer == {
        "canFulfill": "MAYBE",
        "slots": {"Medication": {"canUnderstand": "MAYBE", "canFulfill": "YES"}},
    }


def test_numbers_are_fulfilled_only_in_range(ask: Any) -> None:
    ok = verdict(ask("HoldTimeIntent", {"Seconds": "30", "Change": None}))
    assert ok == {"canFulfill": "MAYBE",
                  "slots": {"Seconds": {"canUnderstand": "YES", "canFulfill": "YES"}}}
    too_long = verdict(ask("HoldTimeIntent", {"Seconds": "500"}))
    assert too_long == {"canFulfill": "NO",
                        "slots": {"Seconds": {"canUnderstand": "YES", "canFulfill": "NO"}}}
    garbled = verdict(ask("HoldTimeIntent", {"Seconds": "?"}))
    assert garbled["slots"]["Seconds"]["canUnderstand"] == "NO"


@pytest.mark.parametrize(
    "name", ["PlayMusicIntent", "AMAZON.NextIntent", "AMAZON.YesIntent", "AMAZON.StopIntent",
             "AMAZON.FallbackIntent"],
)
def test_intents_the_skill_does_not_have_or_cannot_start_are_a_no(ask: Any, name: str) -> None:
    answer = verdict(ask(name, {"Song": "something"} if name == "PlayMusicIntent" else None))
    assert answer["canFulfill"] == "NO"
    if name == "PlayMusicIntent":
        assert answer["slots"] == {"Song": {"canUnderstand": "NO", "canFulfill": "NO"}}


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_intent_gets_a_quiet_answer(ask: Any, name: str) -> None:
    answer = verdict(ask(name))
    assert answer["canFulfill"] in {"YES", "MAYBE", "NO"}
    assert (answer["canFulfill"] == "NO") == name.startswith("AMAZON.")


def test_nothing_is_stored_and_no_session_changes(
    ask: Any, store: InMemoryPersistenceAdapter
) -> None:
    response = ask("StretchIntent", with_user=True)
    assert store.user_ids() == []
    assert response.get("sessionAttributes") in (None, {})
    in_session = ask("StretchIntent", with_user=True, in_session=True,
                     attributes={"settings": {"hold_seconds": 45}})
    assert verdict(in_session) == {"canFulfill": "YES"}
    assert in_session.get("sessionAttributes") in (None, {"settings": {"hold_seconds": 45}})
    assert store.stored(USER_ID) is None


def test_it_answers_in_every_locale(ask: Any) -> None:
    for locale in ("en-US", "en-GB", "en-CA", "en-AU", "en-IN"):
        assert verdict(ask("EmergencyIntent", locale=locale)) == {"canFulfill": "YES"}


def test_the_web_service_answers_it_too(store: InMemoryPersistenceAdapter) -> None:
    app = create_app(build_answerer(store, skill_id=SKILL_ID), verify=False, skill_id=SKILL_ID)
    body = envelopes.can_fulfill("MedicationIntent", {"Medication": resolved("advil", "nsaids")})
    reply = app.test_client().post("/", data=json.dumps(body),
                                   headers={"Content-Type": "application/json"})
    assert reply.status_code == 200
    assert verdict(reply.get_json())["canFulfill"] == "YES"
    assert store.user_ids() == []
