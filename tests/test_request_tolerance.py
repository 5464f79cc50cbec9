"""Envelopes from the wild (tests/requests/*.json), through Lambda and the web service alike.

Each file is a whole request as Alexa (or an older simulator) sends it, standing for a kind of
fault seen in public bug reports: values Amazon added later, request types the SDK does not know,
missing optional parts, odd session attributes, offers left over from an older deployment. Each
is answered as a user would expect, and the web service answers byte for byte what Lambda answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FixedClock
from web_pki import CHAIN_URL, NOW, CountingFetcher, Pki, encode, fixed_clock, make_pki

from skill.builder import build_answerer, build_lambda_handler
from skill.content import Content
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.web.server import create_app

REQUESTS = Path(__file__).parent / "requests"
FILES = sorted(REQUESTS.glob("*.json"))
APOLOGY = "something went wrong"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


def _load(path: Path) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    # Signed requests must be fresh for the web service's verifier.
    event["request"]["timestamp"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def _copy(event: dict[str, Any]) -> dict[str, Any]:
    """A deep copy even of attributes nested deeper than ``copy.deepcopy`` can follow."""
    copied: dict[str, Any] = json.loads(json.dumps(event))
    return copied


def _skill_id(event: dict[str, Any]) -> str:
    for holder in (event.get("context", {}).get("System", {}), event.get("session", {})):
        application_id = holder.get("application", {}).get("applicationId")
        if application_id:
            return str(application_id)
    raise AssertionError("every request file names its skill")


def _lambda(event: dict[str, Any], content: Content) -> dict[str, Any]:
    handler = build_lambda_handler(
        InMemoryPersistenceAdapter(),
        skill_id=_skill_id(event),
        content=content,
        clock=FixedClock(),
    )
    return handler(_copy(event), None)


def _web(event: dict[str, Any], content: Content, pki: Pki) -> tuple[int, Any]:
    answerer = build_answerer(
        InMemoryPersistenceAdapter(), skill_id=_skill_id(event), content=content, clock=FixedClock()
    )
    app = create_app(
        answerer,
        skill_id=_skill_id(event),
        cert_fetcher=CountingFetcher({CHAIN_URL: pki.chain}),
        trusted_roots=[pki.root],
        clock=fixed_clock,
    )
    body = encode(event)
    response = app.test_client().post("/", data=body, headers=pki.headers(body))
    return response.status_code, response.get_json()


def _speech(response: dict[str, Any]) -> str:
    return str(response.get("response", {}).get("outputSpeech", {}).get("ssml", ""))


def _sent_attributes(event: dict[str, Any]) -> dict[str, Any]:
    attributes = event.get("session", {}).get("attributes")
    return attributes if isinstance(attributes, dict) else {}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_web_answers_exactly_what_lambda_answers(path: Path, content: Content, pki: Pki) -> None:
    event = _load(path)
    status, web = _web(event, content, pki)
    assert status == 200, web
    assert web == _lambda(event, content)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_request_file_is_answered_without_an_apology(path: Path, content: Content) -> None:
    response = _lambda(_load(path), content)
    assert APOLOGY not in _speech(response).lower()
    assert isinstance(response.get("sessionAttributes"), dict)


def _routine_files(prefix: str) -> list[Path]:
    return [
        p for p in FILES
        if p.stem.startswith(prefix)
        and _sent_attributes(_load(p)).get("context") == "routine"
        and _load(p)["request"].get("intent", {}).get("name") == "AMAZON.NextIntent"
    ]


NEXT_MID_ROUTINE = [
    p for prefix in ("unknown_enum", "unknown_fields", "no_context", "no_user", "deep")
    for p in _routine_files(prefix)
]


def test_there_are_several_of_each_kind() -> None:
    kinds = {"unknown_enum": 3, "unknown_request_type": 2, "no_context": 2, "stale_offer": 3}
    for kind, at_least in kinds.items():
        assert len([p for p in FILES if p.stem.startswith(kind)]) >= at_least, kind
    assert len(NEXT_MID_ROUTINE) >= 5


@pytest.mark.parametrize("path", NEXT_MID_ROUTINE, ids=[p.stem for p in NEXT_MID_ROUTINE])
def test_next_mid_routine_moves_on_and_keeps_the_place(path: Path, content: Content) -> None:
    event = _load(path)
    sent = _sent_attributes(event)
    response = _lambda(event, content)
    kept = response["sessionAttributes"]
    assert kept["routine"]["id"] == sent["routine"]["id"]
    assert kept["routine"]["step"] == sent["routine"]["step"] + 1
    assert kept["context"] == "routine"
    assert response["response"]["shouldEndSession"] is False


STRETCHES = [
    p
    for p in FILES
    if p.stem.startswith("unknown_enum")
    and _load(p)["request"].get("intent", {}).get("name") == "StretchIntent"
]


@pytest.mark.parametrize("path", STRETCHES, ids=[p.stem for p in STRETCHES])
def test_a_stretch_starts_despite_unknown_values(path: Path, content: Content) -> None:
    response = _lambda(_load(path), content)
    assert response["sessionAttributes"]["routine"] == {
        **response["sessionAttributes"]["routine"], "id": "hamstring_lying", "step": 0
    }


UNKNOWN_TYPES = [p for p in FILES if p.stem.startswith("unknown_request_type")]


@pytest.mark.parametrize("path", UNKNOWN_TYPES, ids=[p.stem for p in UNKNOWN_TYPES])
def test_an_unknown_request_type_gets_a_silent_answer_that_keeps_the_session(
    path: Path, content: Content
) -> None:
    event = _load(path)
    response = _lambda(event, content)
    assert response["response"] == {}
    assert response["sessionAttributes"] == _sent_attributes(event)


def test_no_context_launch_is_greeted(content: Content) -> None:
    response = _lambda(_load(REQUESTS / "no_context_with_skill_id.json"), content)
    assert "Cramp Helper" in _speech(response)


def test_too_deep_foreign_attributes_are_dropped_and_ours_kept(content: Content) -> None:
    event = _load(REQUESTS / "deep_session_attributes.json")
    kept = _lambda(event, content)["sessionAttributes"]
    assert "foreign" not in kept
    assert kept["routine"]["id"] == _sent_attributes(event)["routine"]["id"]


STALE = [p for p in FILES if p.stem.startswith("stale_offer")]


@pytest.mark.parametrize("path", STALE, ids=[p.stem for p in STALE])
def test_a_stale_offer_is_not_offered_again(path: Path, content: Content) -> None:
    event = _load(path)
    response = _lambda(event, content)
    assert response["sessionAttributes"].get("offer") != _sent_attributes(event)["offer"]
    again = _copy(event)
    again["session"]["attributes"] = response["sessionAttributes"]
    assert APOLOGY not in _speech(_lambda(again, content)).lower()


@pytest.mark.parametrize(
    "damage",
    [
        lambda event: event["request"].pop("type"),
        lambda event: event["request"].update(type=["IntentRequest"]),
        lambda event: event["request"].update(intent="not an intent"),
    ],
    ids=["no request type", "request type not a string", "intent not an object"],
)
def test_an_envelope_that_cannot_be_read_keeps_the_session(content: Content, damage: Any) -> None:
    event = _load(REQUESTS / "unknown_enum_value.json")
    damage(event)
    response = _lambda(event, content)
    assert response["sessionAttributes"] == _sent_attributes(event)
    assert response["response"]["shouldEndSession"] is False


# --- slots read by words when entity resolution is missing, failed or partial ---------------

#: Each slot_* file: what the answer must say, and the words it must never say back.
SLOT_ANSWERS: dict[str, tuple[str, str]] = {
    "slot_without_resolutions": ("back of your thigh", "not the hamstring"),
    "slot_without_resolutions_words_around": ("front of your thigh", "my left quad"),
    "slot_er_error_timeout": ("atorvastatin", "information about lipitor"),
    "slot_er_error_exception": ("cholesterol medicines", "my statin"),
    "slot_er_unknown_status_code": ("back of your thigh", "not the back"),
    "slot_no_match_known_words": ("asthma medicine", "my ventolin"),
    "slot_no_match_side_word": ("back of your thigh", "left hamstring"),
    "slot_other_type_medicine_as_food": ("an NSAID", "foods"),
    "slot_other_topic_drinking_water": ("Drinking enough water", "information about"),
    "slot_other_topic_ice_or_heat": ("anything about ice or cold", "information about"),
    "slot_no_match_nothing_known": ("have information about frobnitz", "something went wrong"),
}
SLOT_FILES = [p for p in FILES if p.stem.startswith("slot_")]


def test_every_slot_file_says_what_it_should() -> None:
    assert sorted(SLOT_ANSWERS) == sorted(p.stem for p in SLOT_FILES)


@pytest.mark.parametrize("path", SLOT_FILES, ids=[p.stem for p in SLOT_FILES])
def test_slot_words_are_understood_never_read_back_wrong(
    path: Path, content: Content, pki: Pki
) -> None:
    said, never = SLOT_ANSWERS[path.stem]
    event = _load(path)
    for response in (_lambda(event, content), _web(event, content, pki)[1]):
        speech = _speech(response).replace("&apos;", "'")
        assert said in speech
        assert never not in speech
