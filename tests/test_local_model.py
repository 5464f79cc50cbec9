"""The local simulator: matching words to intents and slots, numbers, and the pretend device."""

from __future__ import annotations

import json
from typing import Any

import pytest

from skill.tools.local.model import (
    BUILT_IN_PHRASES,
    InteractionModel,
    default_model_path,
    normalize,
)
from skill.tools.local.numbers import parse_number

# --- Normalising ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("What's  the BEST stretch?", "what's the best stretch"),
        ("What\u2019s the best stretch", "what's the best stretch"),
        ("Alexa, ask Cramp-Helper!", "alexa ask cramp helper"),
        ("  ", ""),
    ],
)
def test_normalize(text: str, normal: str) -> None:
    assert normalize(text) == normal


# --- Matching intents and slots ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "intent"),
    [
        ("how do i stretch my hamstring", "StretchIntent"),
        ("which muscle is cramping", "IdentifyMuscleIntent"),
        ("what causes thigh cramps", "CauseIntent"),
        ("can lipitor cause cramps", "MedicationIntent"),
        ("what can i take for the pain", "ReliefIntent"),
        ("does walking help", "ExerciseIntent"),
        ("can i use a foam roller", "MassageIntent"),
        ("do epsom salts help", "HeatIntent"),
        ("what should i eat", "NutritionIntent"),
        ("should i drink more water", "HydrationIntent"),
        ("should i sleep on my side", "SleepIntent"),
        ("when should i see a doctor", "DoctorIntent"),
        ("bedtime routine", "BedtimeRoutineIntent"),
        ("longer holds", "HoldTimeIntent"),
        ("night mode", "NightModeIntent"),
        ("normal voice", "NormalVoiceIntent"),
        ("forget me", "ForgetMeIntent"),
        ("What's the BEST stretch for my hamstring?", "StretchIntent"),
    ],
)
def test_match_intents(model: InteractionModel, words: str, intent: str) -> None:
    match = model.match(words)
    assert match is not None, words
    assert match.intent == intent


def test_nothing_matches_nonsense(model: InteractionModel) -> None:
    assert model.match("purple monkey dishwasher") is None
    assert model.match("") is None
    assert model.fallback().intent == "AMAZON.FallbackIntent"


@pytest.mark.parametrize(
    ("words", "slot", "value_id"),
    [
        ("stretch my hamstring", "Muscle", "hamstring"),
        ("i have a cramp in the back of my thigh", "Muscle", "hamstring"),
        ("my quads is cramping", "Muscle", "quadriceps"),
        ("can ventolin cause cramps", "Medication", "albuterol"),
        ("can i take ibuprofen for a cramp", "Medication", "ibuprofen"),
        ("is it because of low magnesium", "Condition", "deficiency"),
        ("can being pregnant cause cramps", "Condition", "pregnancy"),
        ("should i take a multivitamin", "Nutrient", "supplements"),
        ("can i stretch in bed", "Position", "lying"),
        ("make the holds a bit longer", "Change", "longer"),
    ],
)
def test_slot_synonyms_resolve_to_ids(
    model: InteractionModel, words: str, slot: str, value_id: str
) -> None:
    match = model.match(words)
    assert match is not None
    filled = match.slots[slot]
    assert filled.value is not None and filled.value.id == value_id
    assert not filled.no_match


def test_synonym_keeps_the_words_heard(model: InteractionModel) -> None:
    match = model.match("can ventolin cause cramps")
    assert match is not None
    medication = match.slots["Medication"]
    assert medication.spoken == "ventolin"
    assert medication.value is not None and medication.value.name == "albuterol"


def test_unknown_words_are_no_match(model: InteractionModel) -> None:
    match = model.match("stretch my elbow")
    assert match is not None and match.intent == "StretchIntent"
    muscle = match.slots["Muscle"]
    assert muscle.no_match and muscle.value is None and muscle.spoken == "elbow"


def test_a_resolved_reading_beats_an_unresolved_one(model: InteractionModel) -> None:
    # "can {Condition} cause cramps" and "can {Medication} cause cramps" both fit.
    medicine = model.match("can lipitor cause cramps")
    condition = model.match("can pregnancy cause cramps")
    assert medicine is not None and medicine.intent == "MedicationIntent"
    assert condition is not None and condition.intent == "CauseIntent"


def test_every_declared_slot_is_reported(model: InteractionModel) -> None:
    match = model.match("stretch my hamstring")
    assert match is not None
    assert dict(match.declared) == {"Muscle": "MuscleType", "Position": "PositionType"}
    assert set(match.slots) == {"Muscle"}


# --- Bare slot samples ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "value_id"),
    [("hamstring", "hamstring"), ("back", "hamstring"), ("quads", "quadriceps"),
     ("front", "quadriceps")],
)
def test_bare_muscle_with_a_known_value(
    model: InteractionModel, words: str, value_id: str
) -> None:
    match = model.match(words)
    assert match is not None and match.intent == "StretchIntent"
    assert match.slots["Muscle"].value is not None
    assert match.slots["Muscle"].value.id == value_id


@pytest.mark.parametrize(
    "words", ["pineapple", "shoulder", "tomorrow", "the weather in paris", "my elbow"]
)
def test_bare_unknown_word_is_not_a_muscle(model: InteractionModel, words: str) -> None:
    # Unknown words only fill a slot in a sample with real fixed wording around it.
    assert model.match(words) is None


def test_unknown_muscle_with_real_wording_around_it(model: InteractionModel) -> None:
    match = model.match("i have a cramp in my shoulder")
    assert match is not None and match.intent == "StretchIntent"
    assert match.slots["Muscle"].no_match


# --- Numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "seconds"),
    [("forty five", "45"), ("45", "45"), ("twenty", "20"), ("sixty", "60"), ("ten", "10")],
)
def test_number_slot(model: InteractionModel, words: str, seconds: str) -> None:
    match = model.match(f"hold for {words} seconds")
    assert match is not None and match.intent == "HoldTimeIntent"
    filled = match.slots["Seconds"]
    assert filled.spoken == seconds
    assert filled.value is not None and filled.value.id == seconds


def test_number_slot_not_a_number(model: InteractionModel) -> None:
    match = model.match("hold for banana seconds")
    assert match is not None and match.intent == "HoldTimeIntent"
    assert match.slots["Seconds"].spoken == "?"
    assert match.slots["Seconds"].value is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("forty five", 45),
        ("forty-five", 45),
        ("zero", 0),
        ("a hundred", 100),
        ("one hundred and five", 105),
        ("two thousand twenty four", 2024),
        ("12", 12),
        ("1,000", None),
        ("1234567890", None),
        ("banana", None),
        ("forty banana", None),
        ("and", None),
        ("", None),
    ],
)
def test_parse_number(text: str, number: int | None) -> None:
    assert parse_number(text) == number


def test_parse_negative_digits() -> None:
    assert parse_number("-5") == -5


# --- Built-in phrases ----------------------------------------------------------------------------


def _written_samples() -> dict[str, str]:
    """Sample -> intent, as written in the model file."""
    data = json.loads(default_model_path().read_text(encoding="utf-8"))
    return {
        normalize(sample): intent["name"]
        for intent in data["interactionModel"]["languageModel"]["intents"]
        for sample in intent.get("samples", [])
    }


@pytest.mark.parametrize(
    ("words", "intent"),
    [(phrase, intent) for intent, phrases in BUILT_IN_PHRASES.items() for phrase in phrases],
)
def test_built_in_phrases(model: InteractionModel, words: str, intent: str) -> None:
    # A phrase the model itself gives to an intent goes there ("continue" is a NextIntent sample).
    expected = _written_samples().get(words, intent)
    match = model.match(words)
    assert match is not None and match.intent == expected, words


def test_built_in_phrase_missing_from_the_samples_still_matches(model: InteractionModel) -> None:
    data = json.loads(default_model_path().read_text(encoding="utf-8"))
    intents = data["interactionModel"]["languageModel"]["intents"]
    yes = next(intent for intent in intents if intent["name"] == "AMAZON.YesIntent")
    assert "yep" not in yes.get("samples", [])
    match = model.match("yep")
    assert match is not None and match.intent == "AMAZON.YesIntent"


# --- The device ----------------------------------------------------------------------------------


def request_of(turn: Any) -> dict[str, Any]:
    return turn.request["request"]


def test_open_launches_a_new_session(device: Any) -> None:
    phone = device()
    turn = phone.hear("Alexa, open Cramp Helper")
    assert turn.intent is None
    assert request_of(turn)["type"] == "LaunchRequest"
    assert turn.request["session"]["new"] is True
    assert phone.in_session


def test_session_attributes_travel_with_the_next_turn(device: Any) -> None:
    phone = device()
    first = phone.hear("open cramp helper")
    second = phone.hear("the back")
    assert second.request["session"]["new"] is False
    assert second.request["session"]["sessionId"] == first.request["session"]["sessionId"]
    assert second.request["session"]["attributes"] == first.response["sessionAttributes"]


def test_a_closing_response_ends_the_session(device: Any) -> None:
    phone = device()
    phone.hear("open cramp helper")
    turn = phone.hear("stop")
    assert not turn.session_open
    assert not phone.in_session
    again = phone.hear("what causes cramps")
    assert again.request["session"]["new"] is True
    assert again.request["session"]["attributes"] == {}


def test_end_session_sends_session_ended(device: Any) -> None:
    phone = device()
    assert phone.end_session() is None
    phone.hear("open cramp helper")
    turn = phone.end_session("EXCEEDED_MAX_REPROMPTS")
    assert turn is not None
    assert request_of(turn)["type"] == "SessionEndedRequest"
    assert request_of(turn)["reason"] == "EXCEEDED_MAX_REPROMPTS"
    assert not phone.in_session


@pytest.mark.parametrize(
    "words",
    [
        "ask cramp helper how do i stretch my hamstring",
        "ask cramp helper to stretch my hamstring",
        "tell cramp helper that my hamstring is cramping",
        "Alexa, ask Cramp Helper: I have a cramp in my hamstring!",
        "ask cramp helper if my hamstring is cramping",
    ],
)
def test_one_shot_with_connectors(device: Any, words: str) -> None:
    turn = device().hear(words)
    assert turn.intent == "StretchIntent"
    slot = request_of(turn)["intent"]["slots"]["Muscle"]
    assert slot["resolutions"]["resolutionsPerAuthority"][0]["values"][0]["value"]["id"] == (
        "hamstring"
    )


def test_one_shot_starts_a_fresh_session(device: Any) -> None:
    phone = device()
    phone.hear("open cramp helper")
    turn = phone.hear("ask cramp helper what causes cramps")
    assert turn.request["session"]["new"] is True
    assert turn.intent == "CauseIntent"


def test_request_json_for_slots(device: Any) -> None:
    turn = device().hear("ask cramp helper to hold for forty five seconds")
    slots = request_of(turn)["intent"]["slots"]
    assert slots["Seconds"]["value"] == "45"
    assert "resolutions" not in slots["Seconds"], "built-in types have no entity resolution"
    assert slots["Change"] == {"name": "Change", "confirmationStatus": "NONE"}
    no_match = device().hear("ask cramp helper are cramps a sign of caffeine")
    condition = request_of(no_match)["intent"]["slots"]["Condition"]
    assert condition["value"] == "caffeine"
    assert condition["resolutions"]["resolutionsPerAuthority"][0]["status"]["code"] == (
        "ER_SUCCESS_NO_MATCH"
    )


def test_unknown_words_go_to_fallback(device: Any) -> None:
    turn = device().hear("purple monkey dishwasher")
    assert turn.intent == "AMAZON.FallbackIntent"
    assert request_of(turn)["intent"]["name"] == "AMAZON.FallbackIntent"


def test_turn_readable_text(device: Any) -> None:
    turn = device().hear("stretch my hamstring")
    assert "[pause 10 s]" in turn.text
    assert turn.reprompt_text
    assert turn.ssml is not None and turn.ssml.startswith("<speak>")


# --- Harder matches ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words", ["stretch my hamstring sitting", "how do i stretch my hamstring sitting down"]
)
def test_adjacent_slots_are_split(model: InteractionModel, words: str) -> None:
    match = model.match(words)
    assert match is not None
    muscle, position = match.slots.get("Muscle"), match.slots.get("Position")
    assert muscle is not None and muscle.value is not None and muscle.value.id == "hamstring"
    assert position is not None and position.value is not None and position.value.id == "seated"


@pytest.mark.parametrize(
    ("words", "intent", "slot", "value_id"),
    [
        ("ask cramp helper for longer holds", "HoldTimeIntent", "Change", "longer"),
        ("ask cramp helper to stretch my hamstring while sitting", "StretchIntent", "Position",
         "seated"),
        ("ask cramp helper to start the bedtime stretches", "BedtimeRoutineIntent", None, None),
    ],
)
def test_one_shot_connector_before_a_slot(
    device: Any, words: str, intent: str, slot: str | None, value_id: str | None
) -> None:
    turn = device().hear(words)
    assert turn.intent == intent
    if slot:
        filled = request_of(turn)["intent"]["slots"][slot]
        resolution = filled["resolutions"]["resolutionsPerAuthority"][0]
        assert resolution["values"][0]["value"]["id"] == value_id
