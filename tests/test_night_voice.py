"""Quiet by default at night: the device's time zone from the Alexa Settings API.

The Lambda handler talks to a local stand-in for the API (HTTPS on 127.0.0.1) named by each
request's ``context.System.apiEndpoint``, as Alexa names its own: answering, slow, failing, with
junk, and not asked at all when the request carries no token. The clock stands still at
2023-11-14 22:13:20 UTC: 22:13 in London, 14:13 in Los Angeles, 07:13 the next day in Tokyo.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from conftest import FixedClock

from skill.alexa_time import DEFAULT_DEADLINE_SECONDS, TimedApiClient, TimeZoneLookup
from skill.builder import build_lambda_handler
from skill.content import Content
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.speech import readable
from skill.tools import envelopes as E
from skill.tools.local.device_time import LOCAL_API_TIMEOUT_SECONDS
from skill.tools.local.settings_api import SettingsApiStandIn

TOKEN = "amzn1.ask.token.TEST"
TIME_ZONE_PATH = f"/v2/devices/{E.DEVICE_ID}/settings/System.timeZone"
HAMSTRING = E.resolved("hamstring", "hamstring", slot_type="MuscleType")


class Skill:
    """The Lambda handler over one store and clock, trusting one stand-in of the API."""

    def __init__(self, content: Content, api: SettingsApiStandIn) -> None:
        self.api = api
        self.store = InMemoryPersistenceAdapter()
        self.clock = FixedClock()
        # Alexa's own deadline where the test is about a slow API; elsewhere the local stand-in
        # gets as long as it takes on a busy machine, so what is said never depends on load.
        timeout = DEFAULT_DEADLINE_SECONDS if api.holds else LOCAL_API_TIMEOUT_SECONDS
        self.handler = build_lambda_handler(
            self.store, content=content, clock=self.clock,
            api_client=TimedApiClient(timeout=timeout, verify=api.ca_file),
        )

    def conversation(self, *, token: str | None = TOKEN) -> E.Conversation:
        return E.Conversation(
            lambda event: self.handler(event, None),
            api_endpoint=self.api.endpoint,
            api_token=token,
        )


def quiet(response: dict[str, Any]) -> bool:
    ssml = E.speech(response)
    assert ssml, response
    return readable(ssml).startswith("[quiet voice]")


@pytest.fixture
def stand_in(request: pytest.FixtureRequest) -> Iterator[SettingsApiStandIn]:
    options = getattr(request, "param", {})
    with SettingsApiStandIn(**options) as api:
        yield api


@pytest.fixture
def skill(content: Content, stand_in: SettingsApiStandIn) -> Skill:
    return Skill(content, stand_in)


@pytest.mark.parametrize(
    ("stand_in", "night"),
    [
        ({"time_zone": "Europe/London"}, True),
        ({"time_zone": "America/Los_Angeles"}, False),
        ({"time_zone": "Asia/Tokyo"}, False),
        ({"time_zone": "Asia/Kolkata"}, True),  # 03:43
    ],
    indirect=["stand_in"],
    ids=["london-22h", "los-angeles-14h", "tokyo-07h", "kolkata-03h"],
)
def test_the_device_clock_chooses_the_voice_from_the_first_word(skill: Skill, night: bool) -> None:
    talk = skill.conversation()
    assert quiet(talk.launch()) is night
    assert quiet(talk.intent("StretchIntent", {"Muscle": HAMSTRING})) is night
    assert quiet(talk.intent("AMAZON.NextIntent")) is night


@pytest.mark.parametrize("stand_in", [{"time_zone": "Europe/London"}], indirect=True)
def test_the_zone_is_asked_once_a_session_with_the_requests_token(skill: Skill) -> None:
    talk = skill.conversation()
    talk.launch()
    talk.intent("StretchIntent", {"Muscle": HAMSTRING})
    talk.intent("AMAZON.NextIntent")
    assert skill.api.requests == [(TIME_ZONE_PATH, f"Bearer {TOKEN}")]
    talk.intent("AMAZON.StopIntent")
    talk.launch()
    assert len(skill.api.requests) == 2, "a new session asks again"


@pytest.mark.parametrize("stand_in", [{"time_zone": "Europe/London"}], indirect=True)
def test_normal_voice_at_night_is_remembered(skill: Skill) -> None:
    talk = skill.conversation()
    assert quiet(talk.launch())
    said = talk.intent("NormalVoiceIntent")
    assert not quiet(said)
    assert skill.store.stored(E.USER_ID)["settings"]["voice"] == "normal"  # type: ignore[index]
    talk.intent("AMAZON.StopIntent")
    skill.clock.advance(24 * 60 * 60)  # the next night
    assert not quiet(talk.launch())
    assert not quiet(talk.intent("StretchIntent", {"Muscle": HAMSTRING}))


@pytest.mark.parametrize("stand_in", [{"time_zone": "America/Los_Angeles"}], indirect=True)
def test_night_mode_by_day_is_a_choice_too(skill: Skill) -> None:
    talk = skill.conversation()
    assert not quiet(talk.launch())
    assert quiet(talk.intent("NightModeIntent"))
    talk.intent("AMAZON.StopIntent")
    assert quiet(talk.launch())


@pytest.mark.parametrize("stand_in", [{"time_zone": "Europe/London"}], indirect=True)
def test_a_record_from_before_the_night_default_gets_it(skill: Skill) -> None:
    """``"night": false`` was stored for everyone who never said "night mode"."""
    old = E.launch()
    skill.store.save_attributes(
        DefaultSerializer().deserialize(json.dumps(old), RequestEnvelope),
        {"settings": {"hold_seconds": 45, "night": False}, "welcomed": True},
    )
    talk = skill.conversation()
    assert quiet(talk.launch())
    response = talk.intent("StretchIntent", {"Muscle": HAMSTRING})
    assert quiet(response)
    assert "35 seconds left" in readable(E.speech(response) or ""), "the hold setting is kept"


@pytest.mark.parametrize("stand_in", [{"time_zone": "Europe/London"}], indirect=True)
def test_no_token_no_call_and_the_normal_voice(skill: Skill) -> None:
    talk = skill.conversation(token=None)
    assert not quiet(talk.launch())
    assert not quiet(talk.intent("StretchIntent", {"Muscle": HAMSTRING}))
    assert skill.api.requests == []


@pytest.mark.parametrize(
    "stand_in",
    [{"status": 500}, {"status": 403}, {"body": json.dumps("Mars/Olympus_Mons")},
     {"body": "not json"}, {"body": json.dumps({"zone": "Europe/London"})}],
    indirect=True,
    ids=["500", "403", "unknown-zone", "not-json", "an-object"],
)
def test_a_failing_api_leaves_the_normal_voice_and_is_not_asked_again(skill: Skill) -> None:
    talk = skill.conversation()
    launch = talk.launch()
    assert not quiet(launch) and E.ends(launch) is False
    stretch = talk.intent("StretchIntent", {"Muscle": HAMSTRING})
    assert not quiet(stretch) and "Hold." in readable(E.speech(stretch) or "")
    assert len(skill.api.requests) == 1


@pytest.mark.parametrize(
    "stand_in", [{"time_zone": "Europe/London", "hold": True}], indirect=True
)
def test_a_slow_api_does_not_hold_up_the_answer(skill: Skill) -> None:
    """The stand-in holds every request until released; the answer comes without it."""
    talk = skill.conversation()
    started = time.monotonic()
    launch = talk.launch()
    waited = time.monotonic() - started
    assert E.ends(launch) is False and not quiet(launch)
    assert skill.api.requests, "the skill did ask"
    assert waited < DEFAULT_DEADLINE_SECONDS + 1.0, f"the answer waited {waited:.2f} s"
    skill.api.release()
    assert not quiet(talk.intent("StretchIntent", {"Muscle": HAMSTRING}))
    assert len(skill.api.requests) == 1, "not asked again in the same session"


def test_the_lookup_waits_as_long_as_its_client_allows(stand_in: SettingsApiStandIn) -> None:
    alexa = TimeZoneLookup.through(TimedApiClient())
    assert alexa.deadline_seconds == DEFAULT_DEADLINE_SECONDS
    local = TimeZoneLookup.through(TimedApiClient(timeout=LOCAL_API_TIMEOUT_SECONDS))
    assert local.deadline_seconds == LOCAL_API_TIMEOUT_SECONDS
    assert TimeZoneLookup.through(object()).deadline_seconds == DEFAULT_DEADLINE_SECONDS
