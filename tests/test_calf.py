"""A calf cramp gets the calf stretch, paced like the thigh stretches, through the Lambda handler.

The voice model resolves "calf", "calves", "lower leg" and friends to the Muscle id ``calf``;
these requests carry that resolution as Alexa sends it.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FixedClock

from skill.builder import build_lambda_handler
from skill.content import Content
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.speech import Pause, Spoken, parse, readable
from skill.tools import envelopes as E

CALF = E.resolved("calf", "calf", slot_type="MuscleType")


@pytest.fixture
def talk(content: Content) -> E.Conversation:
    handler = build_lambda_handler(
        InMemoryPersistenceAdapter(), content=content, clock=FixedClock()
    )
    return E.Conversation(lambda event: handler(event, None))


def said(response: dict[str, Any]) -> str:
    ssml = E.speech(response)
    assert ssml
    return readable(ssml).lower()


def hold_pauses(response: dict[str, Any]) -> list[float]:
    """The pauses from "Hold." on (the lead-in before it is not part of the hold)."""
    segments = parse(E.speech(response) or "<speak/>")
    start = next(
        i for i, s in enumerate(segments) if isinstance(s, Spoken) and s.text.endswith("Hold.")
    )
    return [s.seconds for s in segments[start:] if isinstance(s, Pause)]


def test_a_calf_cramp_starts_the_calf_stretch(talk: E.Conversation) -> None:
    response = talk.intent("StretchIntent", {"Muscle": CALF, "Position": None})
    text = said(response)
    assert "thigh cramps" in text, "the guide is about thigh cramps, and says so"
    assert "leg straight" in text and "toes up toward your shin" in text
    assert "get into position. [pause 3 s] hold." in text
    assert hold_pauses(response) == [10, 10, 10]
    assert E.attributes(response)["routine"]["id"] == "calf"
    assert E.ends(response) is False


def test_the_calf_stretch_follows_the_hold_setting_to_the_end(talk: E.Conversation) -> None:
    talk.launch()
    talk.intent("HoldTimeIntent", {"Seconds": "45", "Change": None})
    first = talk.intent("StretchIntent", {"Muscle": CALF, "Position": None})
    assert sum(hold_pauses(first)) == 45
    second = talk.intent("AMAZON.NextIntent")
    assert sum(hold_pauses(second)) == 45
    walking = talk.intent("AMAZON.NextIntent")
    assert "walk around" in said(walking)
    last = talk.intent("AMAZON.NextIntent")
    assert "heel down" in said(last) and sum(hold_pauses(last)) == 45
    finished = talk.intent("AMAZON.NextIntent")
    assert "end of the calf stretch" in said(finished)


def test_what_is_my_calf_then_yes_stretches_it(talk: E.Conversation) -> None:
    talk.launch()
    response = talk.intent("IdentifyMuscleIntent", {"Muscle": CALF})
    text = said(response)
    assert "back of your lower leg" in text and "thigh cramps" in text
    stretch = talk.intent("AMAZON.YesIntent")
    assert E.attributes(stretch)["routine"]["id"] == "calf"
    assert "toes up toward your shin" in said(stretch)
