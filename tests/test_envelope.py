"""Tolerant reading of envelopes: what is kept, what is read as absent, and what never raises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import DialogState, RequestEnvelope
from ask_sdk_model.slu.entityresolution import StatusCode

from skill.envelope import (
    MAX_FREE_FORM_DEPTH,
    EnvelopeAnswerer,
    TolerantSerializer,
    UnreadableValue,
    conform,
    conform_envelope,
    read_envelope,
    read_envelope_model,
    readable_session_attributes,
)
from skill.tools import envelopes as E


def _read(event: dict[str, Any]) -> RequestEnvelope:
    envelope: RequestEnvelope = TolerantSerializer().deserialize(json.dumps(event), RequestEnvelope)
    return envelope


def _stretch(**slot: Any) -> dict[str, Any]:
    event = E.intent("StretchIntent", {"Muscle": E.resolved("hamstring", "hamstring")})
    event["request"]["intent"]["slots"]["Muscle"].update(slot)
    return event


def test_known_values_are_read_as_the_sdk_reads_them() -> None:
    event = _stretch()
    event["request"]["dialogState"] = "IN_PROGRESS"
    envelope = _read(event)
    assert envelope.request.dialog_state is DialogState.IN_PROGRESS
    slot = envelope.request.intent.slots["Muscle"]
    status = slot.resolutions.resolutions_per_authority[0].status.code
    assert status is StatusCode.ER_SUCCESS_MATCH


def test_an_unknown_enum_value_is_read_as_absent_and_the_rest_is_kept() -> None:
    event = _stretch(confirmationStatus="LATER_STATUS")
    event["request"]["dialogState"] = "LATER_STATE"
    envelope = _read(event)
    assert envelope.request.dialog_state is None
    slot = envelope.request.intent.slots["Muscle"]
    assert slot.confirmation_status is None
    assert slot.value == "hamstring"
    assert slot.resolutions.resolutions_per_authority[0].values[0].value.id == "hamstring"


def test_an_unknown_subtype_inside_a_list_is_left_out() -> None:
    event = _stretch()
    event["request"]["intent"]["slots"]["Muscle"]["slotValue"] = {
        "type": "List",
        "values": [{"type": "Later", "value": "x"}, {"type": "Simple", "value": "hamstring"}],
    }
    values = _read(event).request.intent.slots["Muscle"].slot_value.values
    assert [v.value for v in values] == ["hamstring"]


@pytest.mark.parametrize(
    ("value", "type_name", "expected"),
    [
        (5, "str", "5"),
        ("7", "int", 7),
        (True, "int", UnreadableValue),
        ("x", "int", UnreadableValue),
        ({"a": 1}, "str", UnreadableValue),
        ("tomorrow-ish", "datetime", UnreadableValue),
        ("2026-01-01T00:00:00Z", "datetime", "2026-01-01T00:00:00Z"),
        ("not a list", "list[str]", UnreadableValue),
        ([1, {}, "a"], "list[str]", ["1", "a"]),
        ({"a": "x", "b": []}, "dict(str, str)", {"a": "x"}),
    ],
)
def test_values_of_the_wrong_type(value: Any, type_name: str, expected: Any) -> None:
    if expected is UnreadableValue:
        with pytest.raises(UnreadableValue):
            conform(value, type_name)
    else:
        assert conform(value, type_name) == expected


def test_fields_the_model_does_not_name_are_left_out() -> None:
    event = E.launch()
    event["request"]["__class__"] = "x"
    event["newTopLevel"] = {"a": 1}
    conformed = conform_envelope(event)
    assert "newTopLevel" not in conformed
    assert "__class__" not in conformed["request"]


def _nested(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth - 1):
        value = {"d": value}
    return value


def test_free_form_values_keep_their_shape_up_to_the_depth_limit() -> None:
    attributes = {"ok": _nested(MAX_FREE_FORM_DEPTH), "too_deep": _nested(MAX_FREE_FORM_DEPTH + 1)}
    event = {"session": {"attributes": attributes}}
    assert readable_session_attributes(event) == {"ok": attributes["ok"]}


def test_a_missing_context_is_made_from_the_session() -> None:
    event = E.launch()
    application = event["session"]["application"]
    del event["context"]
    envelope = _read(event)
    assert envelope.context.system.application.application_id == application["applicationId"]
    assert envelope.context.system.user.user_id == event["session"]["user"]["userId"]


def test_an_unknown_request_type_can_still_be_verified() -> None:
    event = E.launch()
    event["request"]["type"] = "Alexa.Later.Event"
    envelope = read_envelope(event)
    assert envelope is not None
    assert envelope.request.object_type == "Alexa.Later.Event"
    assert envelope.request.request_id == event["request"]["requestId"]
    assert envelope.request.timestamp is not None


@pytest.mark.parametrize("event", [None, [], "text", 5, {"request": "x"}, {"request": {}}])
def test_anything_else_is_answered_silently_without_raising(event: Any) -> None:
    class NeverInvoked:
        serializer = TolerantSerializer()

        def invoke(self, **kwargs: Any) -> Any:
            raise AssertionError("an unreadable event reached the skill")

    response = EnvelopeAnswerer(NeverInvoked()).answer(event)  # type: ignore[arg-type]
    assert response == {"version": "1.0", "sessionAttributes": {}, "response": {}}


@pytest.mark.parametrize(
    "context",
    [None, {"System": {}}, {"System": {"application": {"applicationId": "amzn1.ask.skill.other"}}}],
    ids=["no context", "no application", "another skill"],
)
def test_a_request_not_for_this_skill_is_a_clear_error(context: Any) -> None:
    from ask_sdk_core.exceptions import AskSdkException

    from skill.builder import build_lambda_handler

    event = E.launch()
    del event["session"]
    if context is None:
        del event["context"]
    else:
        event["context"] = context
    handler = build_lambda_handler(skill_id="amzn1.ask.skill.this")
    with pytest.raises(AskSdkException, match="Skill ID Verification failed"):
        handler(event, None)


def _fixture_events() -> list[Any]:
    folder = Path(__file__).parent / "requests"
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def _odd_events() -> list[Any]:
    stretch = _stretch(confirmationStatus="LATER_STATUS")
    stretch["request"]["dialogState"] = ["not", "an", "enum"]
    stretch["request"]["intent"]["slots"]["Muscle"]["slotValue"] = {
        "type": "List",
        "values": [{"type": "Simple", "value": 3}, {"type": "Later"}, {"type": "List"}],
    }
    numbers = E.launch()
    numbers["context"]["System"]["device"]["supportedInterfaces"] = {"Display": {"x": 1}}
    numbers["context"]["Viewport"] = {"pixelWidth": "1024", "dpi": 160.7, "pixelHeight": True}
    numbers["context"]["AudioPlayer"] = {"offsetInMilliseconds": 12.7, "token": 5}
    numbers["session"]["attributes"] = {"hold": 20, "place": {"steps": [1, (2, 3)], 4: "x"}}
    return [E.launch(), _stretch(), E.session_ended(), stretch, numbers, *_fixture_events()]


@pytest.mark.parametrize("event", _odd_events())
def test_reading_straight_into_the_model_gives_what_the_sdk_reads(event: Any) -> None:
    """The one-pass reader builds the envelope the SDK's own serializer makes of the conformed
    JSON: same classes, same values (enums, dates, numbers), nothing shared with the event."""
    sdk = DefaultSerializer()
    expected = sdk.deserialize(json.dumps(conform_envelope(event)), RequestEnvelope)
    envelope = read_envelope_model(event)
    assert envelope == expected
    assert repr(envelope) == repr(expected)
    assert TolerantSerializer().serialize(envelope) == sdk.serialize(expected)
    if envelope.session is not None and envelope.session.attributes:
        envelope.session.attributes.clear()
        assert read_envelope_model(event) == expected


@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-11-29T17:31:39Z",
        "2026-11-29T17:31:39.5Z",
        "2026-11-29T17:31:39.123Z",
        "2026-11-29T17:31:39.123456789Z",
        "2026-11-29T17:31:39+01:00",
        "2026-11-29T17:31:39",
        "2026-11-29 17:31:39Z",
        "20261129T173139Z",
        "2026-02-30T17:31:39Z",
        "2026-11-29T24:00:00Z",
        "0000-11-29T17:31:39Z",
    ],
)
def test_request_times_are_read_as_the_sdk_reads_them(timestamp: str) -> None:
    """Alexa's own form and every other one: the same instant and time zone as ``dateutil``
    gives (which the request verification relies on), or absent where there is no such time."""
    event = E.launch()
    event["request"]["timestamp"] = timestamp
    sdk = DefaultSerializer()
    expected = sdk.deserialize(json.dumps(conform_envelope(event)), RequestEnvelope)
    read = read_envelope_model(event).request.timestamp
    assert read == expected.request.timestamp
    assert repr(read) == repr(expected.request.timestamp)


def test_a_number_no_integer_can_hold_makes_the_envelope_unreadable_as_before() -> None:
    event = E.launch()
    event["context"]["AudioPlayer"] = {"offsetInMilliseconds": float("inf")}
    with pytest.raises(SerializationException):
        DefaultSerializer().deserialize(json.dumps(conform_envelope(event)), RequestEnvelope)
    with pytest.raises(SerializationException):
        TolerantSerializer().deserialize(event, RequestEnvelope)


def _responses() -> list[Any]:
    from ask_sdk_model import Response
    from ask_sdk_model.dialog import ElicitSlotDirective
    from ask_sdk_model.ui import PlayBehavior, SsmlOutputSpeech

    from skill.builder import build_answerer
    from skill.persistence.memory_store import InMemoryPersistenceAdapter

    answerer = build_answerer(InMemoryPersistenceAdapter())
    responses: list[Any] = [
        answerer.skill.invoke(request_envelope=read_envelope_model(event), context=None)
        for event in (E.launch(), _stretch(), E.session_ended())
    ]
    responses.append(
        Response(
            output_speech=SsmlOutputSpeech(
                ssml="<speak>Hi</speak>", play_behavior=PlayBehavior.ENQUEUE
            ),
            directives=[ElicitSlotDirective(slot_to_elicit="Muscle")],
            should_end_session=False,
        )
    )
    return responses


@pytest.mark.parametrize("response", _responses())
def test_responses_are_written_as_the_sdk_writes_them(response: Any) -> None:
    assert TolerantSerializer().serialize(response) == DefaultSerializer().serialize(response)
