"""An ordinary cramp or pain is a cramp to stretch, never a red flag, however Alexa hears it.

Alexa fills a custom slot with any words it heard, so "I've got cramp in the back of my leg" can
reach RedFlagIntent with all of those words as the symptom, unresolved. The skill reads them by
meaning (skill/slots.py read_ordinary_pain): only a cramp or pain -> the stretch for the muscle
named (front or back asked when none is), while any red-flag word in them still wins.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FixedClock

from skill.builder import build_lambda_handler
from skill.content import Content
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.speech import readable
from skill.tools import envelopes as E


@pytest.fixture
def talk(content: Content) -> Any:
    handler = build_lambda_handler(
        InMemoryPersistenceAdapter(), content=content, clock=FixedClock()
    )

    def say(symptom: str, limb: str | None = None, limb_id: str | None = None) -> tuple[Any, str]:
        conversation = E.Conversation(lambda event: handler(event, None))
        slots: dict[str, Any] = {
            "Symptom": E.unresolved(symptom, slot_type="SymptomType"),
            "Limb": None,
        }
        if limb is not None:
            slots["Limb"] = (
                E.resolved(limb, limb_id, slot_type="LimbType") if limb_id
                else E.unresolved(limb, slot_type="LimbType")
            )
        response = conversation.intent("RedFlagIntent", slots)
        keys = E.attributes(response).get("last", {}).get("keys", [])
        return keys, readable(E.speech(response) or "")

    return say


@pytest.mark.parametrize(
    ("symptom", "routine"),
    [
        ("cramp in the back of my leg", "hamstring_lying"),
        ("a horrible pain at the back of my thigh", "hamstring_lying"),
        ("really bad cramp in the front of my thigh", "quadriceps_standing"),
        ("an ache in my hamstring tonight", "hamstring_lying"),
        ("like a knot in my quad", "quadriceps_standing"),
        ("pain in my calf muscle", "calf"),
    ],
)
def test_a_cramp_or_pain_in_a_named_muscle_starts_its_stretch(
    talk: Any, symptom: str, routine: str
) -> None:
    keys, said = talk(symptom)
    assert keys and keys[-1] == f"routine.{routine}.0", (symptom, keys)
    assert "call nine one one" not in said


@pytest.mark.parametrize(
    "symptom", ["pain in my leg", "um a cramp in my left leg", "a sore thigh", "cramping"]
)
def test_a_cramp_or_pain_in_the_leg_asks_front_or_back(talk: Any, symptom: str) -> None:
    keys, said = talk(symptom)
    assert keys == ["choose_muscle"], (symptom, keys)
    assert "front or the back" in said


def test_the_place_slot_names_the_muscle_when_the_words_do_not(talk: Any) -> None:
    keys, _ = talk("a bad pain", "left hamstring", "hamstring")
    assert keys[-1] == "routine.hamstring_lying.0"
    keys, _ = talk("an ache", "thigh", "thigh")
    assert keys == ["choose_muscle"]
    keys, said = talk("a sharp pain", "elbow")
    assert keys == ["unknown_muscle"] and "elbow" in said


@pytest.mark.parametrize(
    ("symptom", "answer"),
    [
        ("pain and it's swollen", "clot"),
        ("a cramp and it's all red and swollen", "clot"),
        ("pain and pins and needles", "red_flag.numb"),
        ("cramp and i can't walk", "red_flag.weak"),
        ("a cramp and chest pains", "emergency"),
    ],
)
def test_a_red_flag_word_beside_the_pain_wins(talk: Any, symptom: str, answer: str) -> None:
    keys, said = talk(symptom)
    assert keys == [answer], (symptom, keys)
    assert "nine one one" in said


@pytest.mark.parametrize(
    "symptom", ["pain after i fell off a ladder", "a funny feeling", "something weird going on"]
)
def test_other_words_are_not_a_cramp(talk: Any, symptom: str) -> None:
    keys, said = talk(symptom)
    assert keys == ["red_flag.unclear"], (symptom, keys)
    assert "nine one one" in said
