"""Fuzzing the skill with requests generated from the interaction model, and hostile ones.

Every intent and slot of ``interaction_model/en-US.json``, slot values drawn from the model's
values and synonyms and from hostile text (markup, entities, emoji, 10,000 characters, numbers
that are not numbers), slots and resolutions missing or odd, unknown intents and request types,
corrupt session attributes and stored state, unknown locales. Whatever comes in:

- the Lambda handler never raises;
- Launch and Intent requests always get outputSpeech; SessionEnded never speaks;
- every outputSpeech and reprompt is well-formed SSML (``skill.speech.parse``) under 8000 chars;
- a response that keeps the session open has a reprompt.

The web endpoint answers malformed bodies with a 4xx and keeps serving.

Hypothesis runs derandomized (the same examples on every run) with bounded example counts.
"""

from __future__ import annotations

import copy
import json
import logging
import math
from collections.abc import Iterator
from typing import Any

import pytest
from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_model import RequestEnvelope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.builder import build_lambda_handler, build_skill
from skill.content import load_content
from skill.persistence.keys import user_id_partition_keygen
from skill.speech import MAX_SSML_CHARS, parse
from skill.tools import envelopes as E
from skill.tools.paths import interaction_model_path

MODEL_PATH = interaction_model_path("en-US")
MODEL = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
INTENTS: dict[str, dict[str, str]] = {
    intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
    for intent in MODEL["intents"]
}
TYPES: dict[str, list[dict[str, Any]]] = {t["name"]: t["values"] for t in MODEL["types"]}
ROUTINE_IDS = sorted(load_content().routines)
NOW = 1_700_000_000.0

#: Request types the SDK knows that are neither Launch, Intent nor SessionEnded.
OTHER_REQUEST_TYPES = [
    "AudioPlayer.PlaybackStarted",
    "AudioPlayer.PlaybackFinished",
    "PlaybackController.PlayCommandIssued",
    "System.ExceptionEncountered",
    "CanFulfillIntentRequest",
    "Connections.Response",
    "Alexa.Presentation.APL.UserEvent",
    "Messaging.MessageReceived",
]
LOCALES = ["en-US", "en-GB", "de-DE", "ja-JP", "xx-YY", "", "en_US", "EN-us", "🦵"]
RESOLUTION_CODES = [
    "ER_SUCCESS_MATCH",
    "ER_SUCCESS_NO_MATCH",
    "ER_ERROR_TIMEOUT",
    "ER_ERROR_EXCEPTION",
]

HOSTILE_TEXT = [
    "<speak>",
    "</speak>",
    "<speak>hamstring</speak>",
    '<break time="100s"/>',
    "&amp;",
    "&",
    "<",
    ">",
    "]]>",
    "<![CDATA[x]]>",
    '"',
    "'",
    "\"'<>&",
    "hamstring & quad",
    "😀🦵💊",
    "\u200b\u202e",
    "\x00\x01\x1f",
    "x" * 10_000,
    "word " * 2_000,
    "",
    " ",
    "\t\n  ",
    "-5",
    "0",
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "inf",
    "?",
    "9" * 5_000,
    "30.5",
    " 45 ",
    "١٢",
    "1_000",
]

FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- a store whose state the fuzzer sets -------------------------------------------------------


class SeededStore(AbstractPersistenceAdapter):
    """An in-memory store any example can seed with (possibly corrupt) state for its user."""

    def __init__(self) -> None:
        self.records: dict[str, Any] = {}

    def get_attributes(self, request_envelope: RequestEnvelope) -> Any:
        return copy.deepcopy(self.records.get(user_id_partition_keygen(request_envelope), {}))

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Any) -> None:
        self.records[user_id_partition_keygen(request_envelope)] = copy.deepcopy(attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self.records.pop(user_id_partition_keygen(request_envelope), None)


STORE = SeededStore()
HANDLER = build_lambda_handler(STORE, clock=lambda: NOW)


@pytest.fixture(autouse=True)
def _quiet_logs() -> Iterator[None]:
    """The skill logs every apology with a traceback; thousands of them are only noise here."""
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


# --- the properties ------------------------------------------------------------------------


def check_ssml(ssml: Any, what: str) -> None:
    assert isinstance(ssml, str), f"{what} is not a string: {ssml!r:.200}"
    assert len(ssml) < MAX_SSML_CHARS, f"{what} is {len(ssml)} characters"
    parse(ssml)  # raises if not well-formed


def check_response(event: dict[str, Any], response: Any) -> None:
    assert isinstance(response, dict), response
    json.dumps(response)  # what goes back to Alexa must be JSON
    body = response.get("response") or {}
    request_type = event["request"]["type"]
    speech = E.speech(response)
    if request_type in {"LaunchRequest", "IntentRequest"}:
        assert speech, f"no outputSpeech for {request_type}: {response!r:.500}"
    if request_type == "SessionEndedRequest":
        assert speech is None, "a SessionEndedRequest must not be answered with speech"
    if speech is not None:
        check_ssml(speech, "outputSpeech")
    reprompt = E.reprompt(response)
    if reprompt is not None:
        check_ssml(reprompt, "reprompt")
    if body.get("shouldEndSession") is False:
        assert reprompt, "the session stays open without a reprompt"


def answer(event: dict[str, Any], stored: Any = None) -> dict[str, Any]:
    """Run one request through the Lambda handler with ``stored`` as the user's stored state."""
    STORE.records.clear()
    user = event.get("session", {}) or {}
    user_id = ((user.get("user") or {}).get("userId")) or E.USER_ID
    if stored is not None:
        STORE.records[user_id] = stored
    response = HANDLER(event, None)
    check_response(event, response)
    return response


# --- strategies ----------------------------------------------------------------------------

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(HOSTILE_TEXT),
)
json_junk = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=10), children, max_size=4),
    ),
    max_leaves=12,
)
number_like = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([True, False, None, "30", "", [], {}, 10**300, 10**400]),
)


def model_words(slot_type: str) -> list[str]:
    words: list[str] = []
    for value in TYPES.get(slot_type, []):
        words.append(value["name"]["value"])
        words.extend(value["name"].get("synonyms", []))
    return words


def model_ids(slot_type: str) -> list[str]:
    return [value["id"] for value in TYPES.get(slot_type, [])]


def spoken_text(slot_type: str) -> st.SearchStrategy[str]:
    choices: list[st.SearchStrategy[str]] = [
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=40),
    ]
    if model_words(slot_type):
        choices.insert(0, st.sampled_from(model_words(slot_type)))
    if slot_type == "AMAZON.NUMBER":
        choices.insert(0, st.integers(min_value=-100, max_value=200).map(str))
    return st.one_of(*choices)


def odd_resolutions(slot_type: str) -> st.SearchStrategy[Any]:
    """Resolutions as Alexa might send them, and as it should not."""
    ids = model_ids(slot_type) or ["x"]
    value = st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(st.sampled_from(ids), st.sampled_from(["", "nope", "🦵"]), st.none(),
                            st.integers()),
            "name": st.one_of(st.text(max_size=10), st.none()),
        },
    )
    authority = st.fixed_dictionaries(
        {"authority": st.just(f"amzn1.er-authority.echo-sdk.{E.SKILL_ID}.{slot_type}")},
        optional={
            "status": st.one_of(
                st.fixed_dictionaries({"code": st.sampled_from(RESOLUTION_CODES)}), st.just({})
            ),
            "values": st.lists(st.fixed_dictionaries({}, optional={"value": value}), max_size=3),
        },
    )
    return st.one_of(
        st.just({}),
        st.fixed_dictionaries({"resolutionsPerAuthority": st.lists(authority, max_size=3)}),
    )


def slot_body(slot_type: str) -> st.SearchStrategy[Any]:
    """One slot: unfilled, a bare value, resolved from the model, unmatched, or odd."""
    text = spoken_text(slot_type)
    choices: list[st.SearchStrategy[Any]] = [
        st.none(),
        text,
        st.builds(lambda t: {"value": t}, text),
        st.builds(lambda t: E.unresolved(t, slot_type=slot_type), text),
        st.builds(
            lambda t, r: {"value": t, "resolutions": r}, st.one_of(text, st.none()),
            odd_resolutions(slot_type),
        ),
    ]
    if TYPES.get(slot_type):
        choices.insert(
            0,
            st.builds(
                lambda t, value: E.resolved(t, value["id"], value["name"]["value"],
                                            slot_type=slot_type),
                text,
                st.sampled_from(TYPES[slot_type]),
            ),
        )
    return st.one_of(*choices)


@st.composite
def model_intent(draw: st.DrawFn) -> tuple[str, dict[str, Any] | None]:
    """An intent of the model with any subset of its slots, each filled any way."""
    name = draw(st.sampled_from(sorted(INTENTS)))
    declared = INTENTS[name]
    if not declared or draw(st.integers(0, 5)) == 0:
        return name, draw(st.sampled_from([None, {}]))
    chosen = draw(st.lists(st.sampled_from(sorted(declared)), unique=True))
    return name, {slot: draw(slot_body(declared[slot])) for slot in chosen}


def routine_place() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries(
            {
                "id": st.one_of(st.sampled_from(ROUTINE_IDS), st.sampled_from(["nope", ""]),
                                json_leaf),
                "step": st.one_of(st.integers(-3, 8), number_like),
                "saved_at": st.one_of(st.just(NOW - 60), st.just(NOW - 10**6), number_like),
            }
        ),
        json_junk,
    )


def settings_value() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "hold_seconds": st.one_of(st.integers(-100, 200), number_like),
                "night": st.one_of(st.booleans(), json_leaf),
            },
        ),
        json_junk,
    )


def skill_ssml() -> st.SearchStrategy[str]:
    """SSML the skill itself could have said (what ``last`` holds when Alexa echoes it back)."""
    return st.sampled_from(
        [
            "<speak>Hold. <break time=\"10s\"/> and release. Ready for the next one?</speak>",
            "<speak>Where&apos;s the cramp?</speak>",
        ]
    )


def last_value() -> st.SearchStrategy[Any]:
    """``last`` in the wrong shapes; its SSML, when a string, is the skill's own (see below)."""
    return st.one_of(
        json_junk,
        st.fixed_dictionaries(
            {"ssml": skill_ssml()},
            optional={
                "reprompt": st.one_of(skill_ssml(), st.none(), json_leaf.filter(
                    lambda v: not isinstance(v, str))),
                "keys": json_junk,
            },
        ),
        st.fixed_dictionaries({"ssml": json_leaf.filter(lambda v: not isinstance(v, str))}),
    )


def session_attributes() -> st.SearchStrategy[dict[str, Any]]:
    offers = st.one_of(
        st.sampled_from(
            ["action:next", "action:resume", "action:forget", "routine:bedtime", "routine:nope",
             "routine:", "choose_muscle", "causes", "no_such_answer"]
        ),
        json_leaf,
    )
    contexts = st.one_of(
        st.sampled_from(
            ["muscle", "routine", "paused", "resume", "medicine", "hold", "anything_else", "x"]
        ),
        json_leaf,
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "settings": settings_value(),
            "routine": routine_place(),
            "offer": offers,
            "context": contexts,
            "last": last_value(),
            "disclaimed": json_leaf,
            "junk": json_junk,
            "x" * 200: st.just("y" * 20_000),
        },
    )


def stored_state() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {},
            optional={
                "settings": settings_value(),
                "routine": routine_place(),
                "welcomed": json_leaf,
            },
        ),
    )


@st.composite
def any_request(draw: st.DrawFn) -> dict[str, Any]:
    """Launch, a model intent, an unknown intent, SessionEnded, or another known type."""
    locale = draw(st.sampled_from(LOCALES))
    kind = draw(st.sampled_from(["launch", "intent", "intent", "intent", "unknown", "ended",
                                 "other"]))
    if kind == "launch":
        return E.launch_request(locale=locale)
    if kind == "intent":
        name, slots = draw(model_intent())
        return E.intent_request(name, slots, locale=locale)
    if kind == "unknown":
        name = draw(st.one_of(st.sampled_from(["AMAZON.ScrollDownIntent", "", "Nope", "🦵"]),
                              st.text(max_size=20)))
        return E.intent_request(name, draw(st.one_of(st.none(), st.just({"X": "y"}))),
                                locale=locale)
    if kind == "ended":
        reason = draw(st.sampled_from(["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"]))
        error = draw(st.one_of(st.none(), st.just({"type": "INVALID_RESPONSE",
                                                     "message": "SSML invalid"})))
        return E.session_ended_request(reason, error=error, locale=locale)
    return E.request(draw(st.sampled_from(OTHER_REQUEST_TYPES)), locale=locale)


# --- the fuzz tests ------------------------------------------------------------------------


@FUZZ
@given(intent=model_intent(), locale=st.sampled_from(LOCALES), new=st.booleans())
def test_every_model_intent_with_any_slot_values(
    intent: tuple[str, dict[str, Any] | None], locale: str, new: bool
) -> None:
    name, slots = intent
    answer(E.intent(name, slots, locale=locale, attributes={}, new=new))


@FUZZ
@given(
    request_body=any_request(),
    attributes=session_attributes(),
    stored=stored_state(),
    new=st.booleans(),
)
def test_any_request_with_corrupt_session_and_stored_state(
    request_body: dict[str, Any], attributes: dict[str, Any], stored: Any, new: bool
) -> None:
    answer(E.envelope(request_body, attributes=attributes, new=new), stored=stored)


@settings(FUZZ, max_examples=300)
@given(
    turns=st.lists(st.tuples(model_intent(), st.sampled_from(LOCALES)), min_size=1, max_size=8),
    stored=stored_state(),
)
def test_conversations_carry_attributes_turn_to_turn(
    turns: list[tuple[tuple[str, dict[str, Any] | None], str]], stored: Any
) -> None:
    """Several turns in one session: what the skill sends back is fed back in, as Alexa does."""
    STORE.records.clear()
    if stored is not None:
        STORE.records[E.USER_ID] = stored

    def send(event: dict[str, Any]) -> dict[str, Any]:
        response = HANDLER(event, None)
        check_response(event, response)
        return response

    conversation = E.Conversation(send)
    conversation.launch()
    for (name, slots), locale in turns:
        conversation.locale = locale
        conversation.intent(name, slots)


def every_slot_value() -> Iterator[tuple[str, str, dict[str, Any] | str]]:
    for intent, slots in INTENTS.items():
        for slot, slot_type in slots.items():
            for value in TYPES.get(slot_type, []):
                for word in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                    yield intent, slot, E.resolved(word, value["id"], value["name"]["value"],
                                                   slot_type=slot_type)
            for text in HOSTILE_TEXT:
                yield intent, slot, text


def test_every_intent_slot_and_model_value_once() -> None:
    """Exhaustive: every intent bare, and every slot with every value and synonym of the model."""
    count = 0
    for intent in INTENTS:
        for slots in (None, {}):
            answer(E.intent(intent, slots))
            count += 1
    for intent, slot, body in every_slot_value():
        answer(E.intent(intent, {slot: body}))
        count += 1
    assert count > 300


@pytest.mark.parametrize("spoken", HOSTILE_TEXT)
def test_unknown_words_are_echoed_safely(spoken: str) -> None:
    response = answer(E.intent("StretchIntent", {"Muscle": E.unresolved(spoken)}))
    assert E.ends(response) is False


def test_numbers_that_are_not_numbers_ask_again() -> None:
    for spoken in ["?", "NaN", "1e309", "", " ", "9" * 5_000, "lots"]:
        response = answer(E.intent("HoldTimeIntent", {"Seconds": spoken}))
        assert "10" in E.speech(response) and E.ends(response) is False, spoken


def test_a_number_in_words_is_the_number() -> None:
    """A test client sends the words it matched ("forty five"); Alexa sends digits."""
    response = answer(E.intent("HoldTimeIntent", {"Seconds": "forty five"}))
    assert "45 seconds" in E.speech(response)


# --- envelopes that once broke the skill -----------------------------------------------------


@settings(FUZZ, max_examples=100)
@given(
    ssml=st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=30), skill_ssml()),
    reprompt=st.one_of(st.none(), st.sampled_from(HOSTILE_TEXT), skill_ssml()),
    in_routine=st.booleans(),
)
def test_repeat_with_a_foreign_last_speech(ssml: str, reprompt: str | None, in_routine: bool
                                           ) -> None:
    """``last`` is replayed by "repeat": SSML that is not the skill's own must not go out."""
    attributes: dict[str, Any] = {"last": {"ssml": ssml, "reprompt": reprompt}}
    if in_routine:
        attributes.update(
            routine={"id": ROUTINE_IDS[0], "step": 0, "saved_at": NOW}, context="routine"
        )
    answer(E.intent("AMAZON.RepeatIntent", attributes=attributes))


def _status(code: str) -> dict[str, Any]:
    event = E.intent("StretchIntent", {"Muscle": E.resolved("thigh", "hamstring")})
    slot = event["request"]["intent"]["slots"]["Muscle"]
    slot["resolutions"]["resolutionsPerAuthority"][0]["status"]["code"] = code
    return event


def _with(path: tuple[str, ...], value: Any, event: dict[str, Any]) -> dict[str, Any]:
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return event


UNDESERIALIZABLE = {
    "unknown request type": E.envelope(E.request("Alexa.Future.SomethingNew")),
    "empty request type": E.envelope(E.request("")),
    "unknown resolution status": _status("ER_SUCCESS_SOMETHING_NEW"),
    "unknown dialogState": _with(("request", "dialogState"), "SOMETHING_NEW", E.intent("X")),
    "unknown confirmationStatus": _with(
        ("request", "intent", "confirmationStatus"), "SOMETHING_NEW", E.intent("X")
    ),
    "session attributes not an object": _with(("session", "attributes"), "junk", E.launch()),
}


@pytest.mark.parametrize("case", sorted(UNDESERIALIZABLE))
def test_envelopes_the_sdk_cannot_read_still_get_an_answer(case: str) -> None:
    """Values the SDK's model does not know (new request types, new statuses): the SDK cannot
    deserialize the envelope, and the Lambda function must still not raise."""
    answer(copy.deepcopy(UNDESERIALIZABLE[case]))


def test_an_unreadable_session_ended_request_is_not_answered_with_speech() -> None:
    event = E.session_ended()
    event["request"]["reason"] = "SOMETHING_NEW"
    answer(event)


@pytest.mark.parametrize(
    "make",
    [
        E.launch,
        lambda **kw: E.intent("AMAZON.HelpIntent", **kw),
        lambda **kw: E.intent("StretchIntent", {"Muscle": E.resolved("quad", "quadriceps")},
                              **kw),
        lambda **kw: E.intent("AMAZON.YesIntent", **kw),
    ],
)
def test_launch_and_intent_without_a_session(make: Any) -> None:
    """The SDK refuses session attributes out of session; the skill must still answer."""
    answer(make(in_session=False))


# --- the web endpoint ----------------------------------------------------------------------

WEB_LIMIT = 128 * 1024


@pytest.fixture(scope="module")
def web_client() -> Any:
    from skill.persistence.memory_store import InMemoryPersistenceAdapter
    from skill.web.server import create_app

    app = create_app(
        build_skill(InMemoryPersistenceAdapter(), clock=lambda: NOW), verify=False,
        max_body_bytes=WEB_LIMIT,
    )
    return app.test_client()


def _valid_body() -> bytes:
    return json.dumps(E.intent("StretchIntent", {"Muscle": E.resolved("quad", "quadriceps")})
                      ).encode()


def _assert_still_serving(client: Any) -> None:
    response = client.post("/", data=_valid_body(), content_type="application/json")
    assert response.status_code == 200, response.data[:300]
    check_response({"request": {"type": "IntentRequest"}}, response.get_json())


@st.composite
def malformed_body(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "json", "truncated", "huge", "not-utf8", "nested"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json":
        value = draw(json_junk.filter(
            lambda v: not (isinstance(v, dict) and isinstance(v.get("request"), dict))
        ))
        return json.dumps(value).encode()
    if kind == "truncated":
        body = _valid_body()
        return body[: draw(st.integers(0, len(body) - 1))]
    if kind == "huge":
        return b'{"request": {"type": "LaunchRequest"}, "x": "' + b"a" * (WEB_LIMIT + 10) + b'"}'
    if kind == "not-utf8":
        return b'{"request": {"type": "\xff\xfe"}}'
    depth = draw(st.integers(1_000, 50_000))
    return b"[" * depth + b"]" * depth


@settings(FUZZ, max_examples=200)
@given(body=malformed_body(), content_type=st.sampled_from(
    ["application/json", "text/plain", "", "application/x-www-form-urlencoded"]))
def test_web_answers_malformed_bodies_with_4xx_and_keeps_serving(
    web_client: Any, body: bytes, content_type: str
) -> None:
    response = web_client.post("/", data=body, content_type=content_type)
    assert 400 <= response.status_code < 500, (response.status_code, body[:200])
    _assert_still_serving(web_client)


def finite(value: Any) -> Any:
    """``value`` as strict JSON can carry it: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite(item) for item in value]
    return value


@settings(FUZZ, max_examples=200)
@given(request_body=any_request(), attributes=session_attributes())
def test_web_answers_any_envelope(
    web_client: Any, request_body: dict[str, Any], attributes: dict[str, Any]
) -> None:
    """Envelopes the SDK can read are answered 200 and well formed; nothing is a 5xx."""
    event = finite(E.envelope(request_body, attributes=attributes))
    body = json.dumps(event, allow_nan=False).encode()
    response = web_client.post("/", data=body, content_type="application/json")
    assert response.status_code in {200, 400, 413}, (response.status_code, response.data[:300])
    if response.status_code == 200:
        check_response(event, response.get_json())
    _assert_still_serving(web_client)


def test_hold_seconds_that_are_not_finite_numbers() -> None:
    for hold in [math.inf, -math.inf, math.nan, 10**300, -(10**300), "30", True, None]:
        response = answer(
            E.intent("StretchIntent", {"Muscle": E.resolved("quad", "quadriceps")},
                     attributes={"settings": {"hold_seconds": hold}})
        )
        assert E.ends(response) is False


@pytest.mark.parametrize("where", ["session", "stored"])
def test_numbers_too_large_for_a_float(where: str) -> None:
    """Ints over 308 digits: ``math.isfinite`` on them raises OverflowError."""
    bad = {
        "settings": {"hold_seconds": 10**400},
        "routine": {"id": ROUTINE_IDS[0], "step": 10**400, "saved_at": 10**400},
    }
    for event in (E.launch, lambda **kw: E.intent("AMAZON.ResumeIntent", **kw)):
        answer(
            event(attributes=bad if where == "session" else {}, new=where == "stored"),
            stored=bad if where == "stored" else None,
        )
