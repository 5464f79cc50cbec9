"""The slot reader: resolved ids first, then the words against the model's own values."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.on_demand import OnDemand
from skill.slots import (
    Redirect,
    SlotReading,
    SlotVocabulary,
    default_model_root,
    load_vocabularies,
    vocabulary_for,
)


@pytest.fixture(scope="module")
def model() -> SlotVocabulary:
    return load_vocabularies()["en-US"]


@pytest.mark.parametrize(
    ("intent", "slot_type", "words", "value_id"),
    [
        ("StretchIntent", "MuscleType", "my left hamstring", "hamstring"),
        ("StretchIntent", "MuscleType", "the whole back of my thigh", "hamstring"),
        ("StretchIntent", "MuscleType", "best stretch for a hamstring cramp", "hamstring"),
        ("StretchIntent", "MuscleType", "right quads", "quadriceps"),
        ("MedicationIntent", "MedicationType", "my statin", "statins"),
        ("MedicationIntent", "MedicationType", "my ventolin inhaler", "albuterol"),
        ("MedicationIntent", "MedicationType", "Lipitor!", "lipitor"),
    ],
)
def test_words_around_a_known_value_are_understood(
    model: SlotVocabulary, intent: str, slot_type: str, words: str, value_id: str
) -> None:
    assert model.interpret(intent, slot_type, words) == SlotReading(words, value_id)


def test_the_longest_value_wins(model: SlotVocabulary) -> None:
    # "water" alone is not a medicine, "tonic water" is a synonym of quinine.
    assert model.interpret("MedicationIntent", "MedicationType", "tonic water pills") == (
        SlotReading("tonic water pills", "quinine")
    )


@pytest.mark.parametrize(
    ("words", "intent", "value_id"),
    [
        ("ibuprofen", "MedicationIntent", "ibuprofen"),
        ("my statin", "MedicationIntent", "statins"),
        ("drinking water", "HydrationIntent", "water"),
        ("a glass of pickle juice", "HydrationIntent", "unlisted"),
        ("running", "CauseIntent", "exercise"),
        ("ice or heat", "IceIntent", None),
    ],
)
def test_words_of_another_question_go_there(
    model: SlotVocabulary, words: str, intent: str, value_id: str | None
) -> None:
    found = model.interpret("NutritionIntent", "NutrientType", words)
    assert isinstance(found, Redirect)
    assert found.intent == intent
    assert found.reading.id == value_id


@pytest.mark.parametrize(
    ("words", "intent", "value_id"),
    [
        # A food the guide names is the mineral it gives; a drink is a drinks question.
        ("bananas", "NutritionIntent", "potassium"),
        ("spinach", "NutritionIntent", "calcium"),
        ("pickle juice", "HydrationIntent", "unlisted"),
        ("gatorade", "HydrationIntent", "sports_drink"),
    ],
)
def test_foods_and_drinks_asked_about_as_medicines_go_to_their_question(
    model: SlotVocabulary, words: str, intent: str, value_id: str
) -> None:
    found = model.interpret("MedicineHelpIntent", "MedicationType", words)
    assert isinstance(found, Redirect)
    assert (found.intent, found.reading.id) == (intent, value_id)


def test_a_body_part_the_skill_does_not_know_stays_unknown(model: SlotVocabulary) -> None:
    # Clot questions mention legs and feet: a muscle slot never turns into one.
    for words in ("my elbow", "foot", "my big toe"):
        assert model.interpret("StretchIntent", "MuscleType", words) == SlotReading(words)


def test_words_that_match_nothing_are_unknown_and_echoed_without_modifiers(
    model: SlotVocabulary,
) -> None:
    reading = model.interpret("MedicationIntent", "MedicationType", "my frobnitz")
    assert reading == SlotReading("my frobnitz")
    assert isinstance(reading, SlotReading) and reading.unknown
    assert reading.echo == "frobnitz"
    assert SlotReading("the left elbow").echo == "elbow"


def test_a_locale_without_its_own_model_uses_its_language_then_the_default(
    model: SlotVocabulary,
) -> None:
    vocabularies = {"en-US": model}
    assert vocabulary_for(vocabularies, "en-US") is model
    assert vocabulary_for(vocabularies, "en-GB") is model
    assert vocabulary_for(vocabularies, "de-DE") is model
    assert vocabulary_for(vocabularies, None) is model


def test_a_missing_model_stops_start_up_and_a_broken_one_fails_on_first_use(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="no interaction model"):
        load_vocabularies(tmp_path)
    (tmp_path / "en-US.json").write_text("{not json", encoding="utf-8")
    vocabularies = load_vocabularies(tmp_path)
    assert "en-US" in vocabularies
    with pytest.raises(ValueError, match="en-US.json"):
        vocabularies["en-US"]


def test_each_locale_model_is_read_only_when_a_slot_needs_it(tmp_path: Path) -> None:
    source = default_model_root()
    for name in ("en-US.json", "en-GB.json"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    vocabularies = load_vocabularies(tmp_path)
    assert isinstance(vocabularies, OnDemand) and vocabularies.made() == ()
    assert vocabulary_for(vocabularies, "en-AU") is vocabularies["en-GB"]
    assert vocabularies.made() == ("en-GB",)


@pytest.mark.parametrize(
    ("intent", "slot_type", "words"),
    [
        # Words many questions use name no topic ("legs" is in clot and stretch sentences).
        ("CauseIntent", "ConditionType", "my legs"),
        # A position heard in a question never starts a stretch.
        ("CauseIntent", "ConditionType", "sitting"),
        # A place slot never becomes a question, nor a weaker reading of part of the words.
        ("StretchIntent", "MuscleType", "ice or heat"),
    ],
)
def test_words_that_name_no_one_question_stay_unknown(
    model: SlotVocabulary, intent: str, slot_type: str, words: str
) -> None:
    assert model.interpret(intent, slot_type, words) == SlotReading(words)


@pytest.mark.parametrize(
    ("intent", "slot_type", "words", "target", "symptom"),
    [
        ("StretchIntent", "MuscleType", "leg and i can't breathe", "EmergencyIntent", None),
        ("RedFlagIntent", "SymptomType", "is cramping and my chest hurts", "EmergencyIntent", None),
        ("MedicationIntent", "MedicationType", "statins and my calf is swollen", "RedFlagIntent",
         "swollen"),
        ("NutritionIntent", "NutrientType", "bananas my leg went numb", "RedFlagIntent", "numb"),
    ],
)
def test_a_red_flag_anywhere_in_slot_words_comes_first(
    model: SlotVocabulary, intent: str, slot_type: str, words: str, target: str,
    symptom: str | None,
) -> None:
    reading = model.interpret(intent, slot_type, words)
    assert isinstance(reading, Redirect) and reading.intent == target, reading
    assert reading.reading.id == symptom


def test_words_without_a_red_flag_are_read_as_before(model: SlotVocabulary) -> None:
    assert model.interpret("StretchIntent", "MuscleType", "my left hamstring") == SlotReading(
        "my left hamstring", "hamstring"
    )
    assert model.alarm("EmergencyIntent", "AMAZON.NUMBER", ("my", "chest"), "my chest") is None
