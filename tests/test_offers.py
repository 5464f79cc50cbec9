"""Offers never lead back to an answer already said in the session, whatever the session holds.

The answers said are kept in the session (``heard``); junk there, as an older or tampered
session may carry, is ignored rather than trusted or crashed on.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FixedClock

from skill.builder import build_lambda_handler
from skill.content import Content
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.tools import envelopes as E


@pytest.fixture
def send(content: Content) -> Any:
    handler = build_lambda_handler(
        InMemoryPersistenceAdapter(), content=content, clock=FixedClock()
    )
    return lambda event: handler(event, None)


def test_an_offer_already_heard_asks_what_else(send: Any) -> None:
    said = send(E.intent("MassageIntent", attributes={"heard": ["heat", "massage"]}))
    assert E.attributes(said)["last"]["keys"] == ["massage"]
    # Massage offers the professional massage, not heard yet: kept.
    assert E.attributes(said)["offer"] == "massage.professional"
    # The professional massage offers heat, already heard: "what else?" instead.
    said = send(E.intent("AMAZON.YesIntent", attributes={
        "heard": ["heat", "massage"], "offer": "massage.professional",
    }))
    attributes = E.attributes(said)
    assert attributes["last"]["keys"] == ["massage.professional"]
    assert attributes["offer"] is None and attributes["context"] == "anything_else"
    assert "What else would you like to know?" in (E.speech(said) or "")
    assert attributes["heard"] == ["heat", "massage", "massage.professional"]


@pytest.mark.parametrize("junk", ["heat", 7, None, {"heat": True}, [1, None, "heat"]])
def test_junk_in_the_heard_list_is_ignored(send: Any, junk: Any) -> None:
    said = send(E.intent("HeatIntent", attributes={"heard": junk}))
    attributes = E.attributes(said)
    assert attributes["last"]["keys"] == ["heat"]
    assert attributes["offer"] == "heat.more"
    assert isinstance(attributes["heard"], list) and "heat" in attributes["heard"]
