"""Alexa's invocation grammar, and the simulator and the manifest check reading it alike."""

from __future__ import annotations

from typing import Any

import pytest

from skill.tools.invocation import LAUNCH_PHRASES, ONE_SHOT_PHRASES, parse_invocation
from skill.tools.manifest import load_model, match_example_phrase, split_example_phrase

NAME = "cramp helper"


@pytest.mark.parametrize("phrase", LAUNCH_PHRASES)
def test_every_launch_phrase_launches(phrase: str) -> None:
    invocation = parse_invocation(f"Alexa, {phrase} Cramp Helper.", NAME)
    assert invocation is not None and invocation.is_launch
    assert invocation.phrase == phrase


@pytest.mark.parametrize(
    ("words", "said", "readings"),
    [
        ("ask cramp helper what causes cramps", "what causes cramps", ("what causes cramps",)),
        ("ask cramp helper to stretch my calf", "to stretch my calf",
         ("stretch my calf", "to stretch my calf")),
        ("ask cramp helper for longer holds", "for longer holds",
         ("longer holds", "for longer holds")),
        ("ask cramp helper about night cramps", "about night cramps",
         ("night cramps", "about night cramps")),
        ("ask cramp helper if i should see a doctor", "if i should see a doctor",
         ("i should see a doctor", "if i should see a doctor")),
        ("ask cramp helper whether magnesium helps", "whether magnesium helps",
         ("magnesium helps", "whether magnesium helps")),
        ("tell cramp helper that my calf hurts", "that my calf hurts",
         ("my calf hurts", "that my calf hurts")),
        ("talk to cramp helper about night cramps", "about night cramps",
         ("night cramps", "about night cramps")),
        ("open cramp helper and stretch my calf", "and stretch my calf",
         ("stretch my calf", "and stretch my calf")),
        ("use cramp helper to stretch my calf", "to stretch my calf",
         ("stretch my calf", "to stretch my calf")),
        ("Alexa, can you ask the Cramp Helper what causes cramps?", "what causes cramps",
         ("what causes cramps",)),
        ("stretch my calf with cramp helper", "stretch my calf", ("stretch my calf",)),
    ],
)
def test_one_shot_requests(words: str, said: str, readings: tuple[str, ...]) -> None:
    invocation = parse_invocation(words, NAME)
    assert invocation is not None and not invocation.is_launch
    assert invocation.request == said
    assert invocation.readings == readings


@pytest.mark.parametrize(
    "words",
    [
        "open cramp helper what causes cramps",  # "open" takes a request only after "and"
        "talk to cramp helper stretch my calf",
        "what causes cramps",
        "ask cramp",
        "ask cramp helpers what causes cramps",
        "open",
        "",
    ],
)
def test_words_that_do_not_call_the_skill(words: str) -> None:
    assert parse_invocation(words, NAME) is None


def test_every_one_shot_phrase_is_also_a_launch_phrase() -> None:
    assert set(ONE_SHOT_PHRASES) <= set(LAUNCH_PHRASES)


# --- the simulator and the manifest check agree ----------------------------------------------

AGREEMENT = [
    "Alexa, open cramp helper",
    "Alexa, talk to cramp helper",
    "Alexa, load cramp helper",
    "Alexa, ask cramp helper",
    "Alexa, start cramp helper",
    "Alexa, ask cramp helper what causes cramps",
    "Alexa, ask cramp helper for longer holds",
    "Alexa, tell cramp helper that my hamstring is cramping",
    "Alexa, open cramp helper and stretch my hamstring",
    "Alexa, talk to cramp helper about what causes cramps",
    "Alexa, open cramp helper what causes cramps",
]


@pytest.fixture(scope="module")
def model_json() -> dict[str, Any]:
    return load_model()


@pytest.mark.parametrize("phrase", AGREEMENT)
def test_simulator_and_manifest_read_a_phrase_alike(
    device: Any, model_json: dict[str, Any], phrase: str
) -> None:
    turn = device().hear(phrase)
    split = split_example_phrase(phrase, NAME)
    matches = match_example_phrase(phrase, model_json)

    if split is not None and split[0] == "launch":
        assert turn.request["request"]["type"] == "LaunchRequest"
        assert [m.intent for m in matches] == [None]
    elif split is not None:
        assert turn.request["request"]["type"] == "IntentRequest"
        assert turn.request["session"]["new"] is True  # a one-shot starts its own session
        assert turn.intent in {m.intent for m in matches}
    else:
        # Not an invocation: the simulator hears the words as said inside a session.
        assert turn.request["request"]["type"] == "IntentRequest"
        assert matches == []


def test_talk_to_and_load_launch_in_the_simulator(device: Any) -> None:
    for words in ("talk to cramp helper", "load cramp helper"):
        turn = device().hear(words)
        assert turn.request["request"]["type"] == "LaunchRequest", words
        assert turn.session_open
