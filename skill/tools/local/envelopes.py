"""Request envelopes exactly as Alexa sends them to a custom skill (JSON dicts)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from .model import IntentMatch, SlotMatch

LOCAL_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
LOCAL_USER_ID = "amzn1.ask.account.LOCAL"
LOCAL_DEVICE_ID = "amzn1.ask.device.LOCAL"


def timestamp(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slot_json(slot: SlotMatch, skill_id: str) -> dict[str, Any]:
    """A filled slot, with entity resolution as Alexa reports it for custom types."""
    body: dict[str, Any] = {
        "name": slot.name,
        "value": slot.spoken,
        "confirmationStatus": "NONE",
        "source": "USER",
    }
    if slot.type.startswith("AMAZON."):
        return body
    authority = f"amzn1.er-authority.echo-sdk.{skill_id}.{slot.type}"
    if slot.value is not None:
        resolution = {
            "authority": authority,
            "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": slot.value.name, "id": slot.value.id}}],
        }
    else:
        resolution = {"authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"}}
    body["resolutions"] = {"resolutionsPerAuthority": [resolution]}
    return body


def intent_request(match: IntentMatch, *, locale: str, skill_id: str) -> dict[str, Any]:
    slots = {name: {"name": name, "confirmationStatus": "NONE"} for name in match.declared}
    for name, slot in match.slots.items():
        slots[name] = slot_json(slot, skill_id)
    intent: dict[str, Any] = {"name": match.intent, "confirmationStatus": "NONE"}
    if slots:
        intent["slots"] = slots
    return {
        "type": "IntentRequest",
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": timestamp(),
        "locale": locale,
        "dialogState": "STARTED",
        "intent": intent,
    }


def launch_request(*, locale: str) -> dict[str, Any]:
    return {
        "type": "LaunchRequest",
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": timestamp(),
        "locale": locale,
        "shouldLinkResultBeReturned": False,
    }


def session_ended_request(reason: str, *, locale: str) -> dict[str, Any]:
    return {
        "type": "SessionEndedRequest",
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": timestamp(),
        "locale": locale,
        "reason": reason,
    }


def envelope(
    request: dict[str, Any],
    *,
    session_id: str,
    new: bool,
    attributes: dict[str, Any] | None,
    skill_id: str = LOCAL_SKILL_ID,
    user_id: str = LOCAL_USER_ID,
    api_endpoint: str = "https://api.amazonalexa.com",
) -> dict[str, Any]:
    application = {"applicationId": skill_id}
    user = {"userId": user_id}
    return {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": session_id,
            "application": application,
            "attributes": attributes or {},
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": LOCAL_DEVICE_ID, "supportedInterfaces": {}},
                "apiEndpoint": api_endpoint,
                "apiAccessToken": "local",
            }
        },
        "request": request,
    }


def new_session_id() -> str:
    return f"amzn1.echo-api.session.{uuid.uuid4()}"
