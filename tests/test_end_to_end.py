"""The real Lambda entry (``lambda_handler.handler``) with the request JSON Alexa sends.

The store is the SQLite file ``conftest`` points ``CRAMP_HELPER_DB`` at; each test talks as its
own user, so tests do not see each other's settings.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

import lambda_handler
from skill.guide import Guide
from skill.routine import Settings
from skill.speech import parse, readable
from skill.state import TurnState
from skill.tools import envelopes as E

Json = dict[str, Any]


def send(event: Json) -> Json:
    response = lambda_handler.handler(event, None)
    json.dumps(response)  # what goes back to Alexa must be plain JSON
    return response


@pytest.fixture
def user() -> str:
    return f"amzn1.ask.account.E2E-{uuid.uuid4().hex}"


@pytest.fixture
def talk(user: str) -> E.Conversation:
    return E.Conversation(send, user_id=user)


def said(response: Json) -> str:
    ssml = E.speech(response)
    assert ssml is not None, f"no speech in {response}"
    return readable(ssml)


def keys(response: Json) -> list[str]:
    return list(E.attributes(response).get("last", {}).get("keys", []))


def assert_well_formed(response: Json) -> None:
    """The response envelope's shape: version, SSML speech, reprompt exactly when listening."""
    assert response["version"] == "1.0"
    body = response["response"]
    assert body["outputSpeech"]["type"] == "SSML"
    ssml = body["outputSpeech"]["ssml"]
    assert ssml.startswith("<speak>") and ssml.endswith("</speak>")
    parse(ssml)
    assert isinstance(body.get("shouldEndSession"), bool), "say whether the session ends"
    if body["shouldEndSession"] is False:
        assert body["reprompt"]["outputSpeech"]["type"] == "SSML"
        parse(body["reprompt"]["outputSpeech"]["ssml"])
    else:
        assert "reprompt" not in body
    assert isinstance(response.get("sessionAttributes"), dict)


# --- Requests and their responses ----------------------------------------------------------------


def test_launch_request(talk: E.Conversation) -> None:
    response = talk.launch()
    assert_well_formed(response)
    assert response["response"]["shouldEndSession"] is False
    assert "not a doctor" in said(response)
    attributes = E.attributes(response)
    assert attributes["last"]["keys"] == ["launch.first"]
    assert attributes["last"]["ssml"] == E.speech(response)
    assert attributes["last"]["reprompt"] == E.reprompt(response)
    assert attributes["context"] == "muscle"


def test_second_launch_is_short(user: str) -> None:
    first = send(E.launch(user_id=user))
    second = send(E.launch(user_id=user))
    assert keys(first) == ["launch.first"]
    assert keys(second) == ["launch"]
    assert "not a doctor" not in said(second)


def test_settings_are_kept_in_the_file_the_environment_names(user: str) -> None:
    send(E.intent("NightModeIntent", user_id=user))
    path = Path(os.environ["CRAMP_HELPER_DB"])
    assert path.is_file()
    assert "[quiet voice]" in said(send(E.launch(user_id=user)))


def test_intent_with_a_resolved_slot(talk: E.Conversation) -> None:
    response = talk.intent(
        "MedicationIntent",
        {"Medication": E.resolved("atorvastatin", "lipitor", slot_type="MedicationType")},
    )
    assert_well_formed(response)
    assert keys(response) == ["disclaimer", "medication.lipitor.cause", "dont_stop"]
    assert "Lipitor" in said(response)
    assert "Don't stop a prescribed medicine" in said(response)


def test_routing_follows_the_resolved_id_not_the_words(talk: E.Conversation) -> None:
    response = talk.intent(
        "StretchIntent",
        {
            "Muscle": E.resolved("back of my leg", "hamstring", slot_type="MuscleType"),
            "Position": None,
        },
    )
    assert_well_formed(response)
    assert keys(response) == ["routine.hamstring_lying.0"]
    assert E.attributes(response)["routine"]["id"] == "hamstring_lying"


def test_unresolved_slot_is_echoed_escaped(talk: E.Conversation) -> None:
    response = talk.intent(
        "StretchIntent", {"Muscle": E.unresolved('elbow & "shin" <toe>', slot_type="MuscleType")}
    )
    assert_well_formed(response)
    ssml = E.speech(response) or ""
    assert "elbow &amp; &quot;shin&quot; &lt;toe&gt;" in ssml
    assert keys(response) == ["unknown_muscle"]


def test_unknown_medicine_is_not_guessed(talk: E.Conversation) -> None:
    response = talk.intent(
        "MedicationIntent", {"Medication": E.unresolved("metformin", slot_type="MedicationType")}
    )
    assert_well_formed(response)
    text = said(response)
    assert "I don't have information about metformin" in text
    assert "pharmacist" in text
    assert keys(response) == ["disclaimer", "unknown_medicine"]


def test_a_very_long_unknown_word_is_cut_short(talk: E.Conversation) -> None:
    words = "enormous " * 40
    response = talk.intent(
        "CauseIntent", {"Condition": E.unresolved(words, slot_type="ConditionType")}
    )
    assert_well_formed(response)
    assert said(response).count("enormous") <= 7


def test_number_slot(talk: E.Conversation) -> None:
    response = talk.intent("HoldTimeIntent", {"Seconds": "45", "Change": None})
    assert_well_formed(response)
    assert keys(response) == ["hold.set", "hold.ask"]
    assert "45 seconds" in said(response)
    assert E.attributes(response)["settings"]["hold_seconds"] == 45


def test_number_slot_alexa_could_not_hear(talk: E.Conversation) -> None:
    response = talk.intent("HoldTimeIntent", {"Seconds": "?", "Change": None})
    assert_well_formed(response)
    assert keys(response) == ["hold.ask_number"]


def test_empty_slots_ask_which_muscle(talk: E.Conversation) -> None:
    response = talk.intent("StretchIntent", {"Muscle": None, "Position": None})
    assert_well_formed(response)
    assert keys(response) == ["choose_muscle"]


def test_intent_without_slots_object(talk: E.Conversation) -> None:
    response = talk.intent("StretchIntent")
    assert_well_formed(response)
    assert keys(response) == ["choose_muscle"]


def test_session_attributes_carry_a_routine(talk: E.Conversation) -> None:
    talk.intent("StretchIntent", {"Muscle": E.resolved("quad", "quadriceps")})
    response = talk.intent("AMAZON.NextIntent")
    assert_well_formed(response)
    assert keys(response) == ["routine.quadriceps_standing.1"]
    response = talk.intent("AMAZON.StopIntent")
    assert_well_formed(response)
    assert response["response"]["shouldEndSession"] is True
    assert keys(response) == ["goodbye.routine"]
    assert not talk.in_session
    response = talk.launch()
    assert keys(response) == ["launch.resume"]
    response = talk.intent("AMAZON.YesIntent")
    # Step 1 was heard, hold and all: picking up goes on to the step not yet done.
    assert keys(response) == ["resume.picking_up", "routine.quadriceps_standing.2"]


def test_stop_and_cancel_end_the_session(talk: E.Conversation) -> None:
    for name in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
        talk.launch()
        response = talk.intent(name)
        assert_well_formed(response)
        assert response["response"]["shouldEndSession"] is True
        assert "?" not in said(response)


def test_session_ended_request(user: str) -> None:
    launched = send(E.launch(user_id=user))
    response = send(
        E.session_ended(
            "EXCEEDED_MAX_REPROMPTS", user_id=user, attributes=E.attributes(launched), new=False
        )
    )
    assert response["version"] == "1.0"
    assert "outputSpeech" not in response.get("response", {})
    assert "reprompt" not in response.get("response", {})


def test_session_ended_with_an_error(user: str) -> None:
    response = send(
        E.session_ended(
            "ERROR",
            user_id=user,
            new=False,
            error={"type": "INVALID_RESPONSE", "message": "bad SSML"},
        )
    )
    assert response["version"] == "1.0"
    assert "outputSpeech" not in response.get("response", {})


def test_unknown_request_type_is_acknowledged_silently(user: str) -> None:
    event = E.envelope(
        E.request(
            "System.ExceptionEncountered",
            error={"type": "INVALID_RESPONSE", "message": "Invalid SSML"},
            cause={"requestId": "amzn1.echo-api.request.0"},
        ),
        user_id=user,
        in_session=False,
    )
    response = send(event)
    assert response["version"] == "1.0"
    assert "outputSpeech" not in response.get("response", {})


def test_intent_not_in_the_model_gets_the_fallback(talk: E.Conversation) -> None:
    response = talk.intent("AMAZON.SearchAction<object@WeatherForecast>")
    assert_well_formed(response)
    assert response["response"]["shouldEndSession"] is False
    assert keys(response) == ["fallback"]
    assert "stretch my hamstring" in said(response)


@pytest.mark.parametrize(
    ("name", "slots"),
    [
        ("AMAZON.HelpIntent", None),
        ("AMAZON.FallbackIntent", None),
        ("AMAZON.RepeatIntent", None),
        ("AMAZON.YesIntent", None),
        ("AMAZON.NoIntent", None),
        ("AMAZON.NavigateHomeIntent", None),
        ("ForgetMeIntent", None),
        ("DoctorIntent", None),
        ("BedtimeRoutineIntent", None),
        ("CauseIntent", {"Condition": E.resolved("pregnant", "pregnancy")}),
        ("NutritionIntent", {"Nutrient": E.resolved("bananas", "potassium")}),
        ("IdentifyMuscleIntent", {"Muscle": E.resolved("front", "quadriceps")}),
    ],
)
def test_every_response_asks_or_ends(
    talk: E.Conversation, name: str, slots: dict[str, Any] | None
) -> None:
    response = talk.intent(name, slots)
    assert_well_formed(response)
    assert keys(response) and keys(response) != ["error"]


# --- When something goes wrong -------------------------------------------------------------------


def _break(monkeypatch: pytest.MonkeyPatch, method: str, error: Exception) -> None:
    def broken(self: Guide, *args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(Guide, method, broken)


def test_an_error_is_an_apology_that_keeps_the_session(
    talk: E.Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    talk.launch()
    talk.intent("StretchIntent", {"Muscle": E.resolved("hamstring", "hamstring")})
    sent = copy.deepcopy(talk.attributes)

    def half_done(self: Guide, state: TurnState, medicine: Any) -> Any:
        state.take_disclaimer()
        state.settings = Settings(hold_seconds=60, night=True)
        raise RuntimeError("the guide broke")

    monkeypatch.setattr(Guide, "medication", half_done)
    response = talk.intent("MedicationIntent", {"Medication": E.resolved("lasix", "lasix")})
    assert_well_formed(response)
    assert "something went wrong" in said(response).lower()
    assert response["response"]["shouldEndSession"] is False
    assert E.reprompt(response)
    kept = E.attributes(response)
    assert kept["routine"] == sent["routine"]
    assert kept.get("disclaimed") == sent.get("disclaimed"), "the half-done change is dropped"
    assert kept.get("settings") == sent.get("settings"), "the half-done change is dropped"

    monkeypatch.undo()
    response = talk.intent("AMAZON.NextIntent")
    assert keys(response) == ["routine.hamstring_lying.1"], "the routine survives the error"
    assert "[quiet voice]" not in said(response), "the half-done change was not stored"


def test_an_error_leaves_the_session_attributes_as_sent(
    talk: E.Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    talk.intent("StretchIntent", {"Muscle": E.resolved("hamstring", "hamstring")})
    sent = copy.deepcopy(talk.attributes)
    _break(monkeypatch, "medication", RuntimeError("the guide broke"))
    response = talk.intent("MedicationIntent", {"Medication": E.resolved("lasix", "lasix")})
    assert "something went wrong" in said(response).lower()
    assert E.attributes(response) == sent
    monkeypatch.undo()
    response = talk.intent("AMAZON.YesIntent")
    assert keys(response) == ["routine.hamstring_lying.1"], "yes still means the next step"


def test_an_error_at_launch_is_an_apology(user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _break(monkeypatch, "launch", KeyError("no such content"))
    response = send(E.launch(user_id=user))
    assert_well_formed(response)
    assert "something went wrong" in said(response).lower()
    assert response["response"]["shouldEndSession"] is False
    monkeypatch.undo()
    assert keys(send(E.launch(user_id=user))) == ["launch.first"], "nothing was saved"
