"""Alexa request envelopes, built as plain JSON dicts: the one builder for every caller.

The local simulator (:mod:`skill.tools.local.device`), the tests and the benchmarks all talk to
the skill through these functions, so a request looks the same wherever it comes from:

- requests: :func:`launch`, :func:`intent` (slots with or without entity resolution),
  :func:`session_ended`, and :func:`request` for any other type;
- slots: :func:`resolved` (``ER_SUCCESS_MATCH`` with a canonical id), :func:`unresolved`
  (``ER_SUCCESS_NO_MATCH``), a plain string (a value without resolutions, as for
  ``AMAZON.NUMBER``) or ``None`` (a slot the user did not fill);
- :func:`envelope` wraps a request with session (attributes carried), user and context;
- :class:`Conversation` carries one user's session attributes from turn to turn, and closes a
  session with a SessionEndedRequest the way Alexa does;
- :func:`speech`, :func:`reprompt`, :func:`ends` and :func:`attributes` read a response.

No SDK import here: the dicts are exactly what goes over the wire (field names and shapes as in
Alexa's "Request and Response JSON Reference"). Request and session ids are random UUIDs in
Alexa's format.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

#: Defaults: a placeholder skill, user and device (any caller may name its own).
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000001"
USER_ID = "amzn1.ask.account.TEST-USER"
DEVICE_ID = "amzn1.ask.device.TEST-DEVICE"
LOCALE = "en-US"

Json = dict[str, Any]
#: A slot as given to :func:`intent`: a slot dict, a plain value, or ``None`` for "not filled".
SlotSpec = Json | str | None


def new_id(kind: str) -> str:
    """A fresh id as Alexa writes them: ``amzn1.echo-api.<kind>.<uuid>`` (request, session)."""
    return f"amzn1.echo-api.{kind}.{uuid.uuid4()}"


def timestamp(at: datetime | None = None) -> str:
    """Alexa's request timestamp format (UTC, whole seconds); now if ``at`` is not given."""
    moment = at or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- slots -----------------------------------------------------------------------------------


def _resolved_slot(
    spoken: str, slot_type: str, status: str, values: list[Json], skill_id: str
) -> Json:
    """A custom-type slot with one entity-resolution authority reporting ``status``."""
    authority: Json = {
        "authority": f"amzn1.er-authority.echo-sdk.{skill_id}.{slot_type}",
        "status": {"code": status},
    }
    if values:
        authority["values"] = values
    return {
        "value": spoken,
        "confirmationStatus": "NONE",
        "source": "USER",
        "resolutions": {"resolutionsPerAuthority": [authority]},
    }


def resolved(
    spoken: str,
    value_id: str,
    name: str | None = None,
    *,
    slot_type: str = "T",
    skill_id: str = SKILL_ID,
) -> Json:
    """A custom-type slot that matched: ``spoken`` words resolved to canonical ``value_id``."""
    values = [{"value": {"name": name or value_id, "id": value_id}}]
    return _resolved_slot(spoken, slot_type, "ER_SUCCESS_MATCH", values, skill_id)


def unresolved(spoken: str, *, slot_type: str = "T", skill_id: str = SKILL_ID) -> Json:
    """A custom-type slot whose words are not one of the type's values."""
    return _resolved_slot(spoken, slot_type, "ER_SUCCESS_NO_MATCH", [], skill_id)


def _slot(name: str, spec: SlotSpec) -> Json:
    if spec is None:
        body: Json = {"confirmationStatus": "NONE"}
    elif isinstance(spec, str):
        body = {"value": spec, "confirmationStatus": "NONE", "source": "USER"}
    else:
        body = dict(spec)
    body["name"] = name
    return body


# --- requests --------------------------------------------------------------------------------


def request(
    request_type: str, *, locale: str = LOCALE, at: datetime | None = None, **fields: Any
) -> Json:
    """Any request object: ``type``, ids, timestamp, locale, plus ``fields``."""
    return {
        "type": request_type,
        "requestId": new_id("request"),
        "timestamp": timestamp(at),
        "locale": locale,
        **fields,
    }


def launch_request(*, locale: str = LOCALE, at: datetime | None = None) -> Json:
    return request("LaunchRequest", locale=locale, at=at, shouldLinkResultBeReturned=False)


def intent_request(
    name: str,
    slots: Mapping[str, SlotSpec] | None = None,
    *,
    locale: str = LOCALE,
    at: datetime | None = None,
) -> Json:
    """An IntentRequest; ``slots`` maps slot names to :data:`SlotSpec` values."""
    return request(
        "IntentRequest", locale=locale, at=at, dialogState="STARTED", intent=_intent(name, slots)
    )


def can_fulfill_request(
    name: str,
    slots: Mapping[str, SlotSpec] | None = None,
    *,
    locale: str = LOCALE,
    at: datetime | None = None,
) -> Json:
    """A CanFulfillIntentRequest: Alexa asking whether the skill could answer this intent."""
    return request("CanFulfillIntentRequest", locale=locale, at=at, intent=_intent(name, slots))


def _intent(name: str, slots: Mapping[str, SlotSpec] | None) -> Json:
    """The ``intent`` object of an intent or CanFulfill request."""
    intent: Json = {"name": name, "confirmationStatus": "NONE"}
    if slots is not None:
        intent["slots"] = {slot: _slot(slot, spec) for slot, spec in slots.items()}
    return intent


def session_ended_request(
    reason: str = "USER_INITIATED",
    *,
    error: Json | None = None,
    locale: str = LOCALE,
    at: datetime | None = None,
) -> Json:
    fields: Json = {"reason": reason}
    if error is not None:
        fields["error"] = error
    return request("SessionEndedRequest", locale=locale, at=at, **fields)


# --- envelopes -------------------------------------------------------------------------------


def envelope(
    request_body: Json,
    *,
    user_id: str = USER_ID,
    attributes: Mapping[str, Any] | None = None,
    new: bool | None = None,
    session_id: str | None = None,
    application_id: str = SKILL_ID,
    in_session: bool = True,
    device_id: str = DEVICE_ID,
    api_endpoint: str = "https://api.amazonalexa.com",
    api_token: str | None = None,
) -> Json:
    """A whole request envelope around ``request_body``.

    ``new`` defaults to "no attributes were given"; ``in_session=False`` leaves the session out
    (as for requests outside a session). Without ``api_token`` the skill cannot call Alexa's APIs
    (so tests never reach the internet); with one, ``api_endpoint`` names where it calls.
    """
    application = {"applicationId": application_id}
    user = {"userId": user_id}
    body: Json = {
        "version": "1.0",
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": device_id, "supportedInterfaces": {}},
                "apiEndpoint": api_endpoint,
            }
        },
        "request": request_body,
    }
    if api_token is not None:
        body["context"]["System"]["apiAccessToken"] = api_token
    if in_session:
        body["session"] = {
            "new": (attributes is None) if new is None else new,
            "sessionId": session_id or new_id("session"),
            "application": application,
            "user": user,
            "attributes": dict(attributes or {}),
        }
    return body


def launch(**kwargs: Any) -> Json:
    """A LaunchRequest envelope; ``kwargs`` as for :func:`envelope` plus ``locale`` and ``at``."""
    locale = kwargs.pop("locale", LOCALE)
    at = kwargs.pop("at", None)
    return envelope(launch_request(locale=locale, at=at), **kwargs)


def intent(name: str, slots: Mapping[str, SlotSpec] | None = None, **kwargs: Any) -> Json:
    """An IntentRequest envelope; ``kwargs`` as for :func:`envelope` plus ``locale`` and ``at``."""
    locale = kwargs.pop("locale", LOCALE)
    at = kwargs.pop("at", None)
    return envelope(intent_request(name, slots, locale=locale, at=at), **kwargs)


def can_fulfill(
    name: str, slots: Mapping[str, SlotSpec] | None = None, *, with_user: bool = False,
    **kwargs: Any,
) -> Json:
    """A CanFulfillIntentRequest envelope: outside a session and, as Alexa may send it, with no
    user (``with_user`` keeps one); ``kwargs`` as for :func:`envelope` plus ``locale``, ``at``."""
    locale = kwargs.pop("locale", LOCALE)
    at = kwargs.pop("at", None)
    kwargs.setdefault("in_session", False)
    body = envelope(can_fulfill_request(name, slots, locale=locale, at=at), **kwargs)
    if not with_user:
        del body["context"]["System"]["user"]
    return body


def session_ended(reason: str = "USER_INITIATED", **kwargs: Any) -> Json:
    """A SessionEndedRequest envelope."""
    locale = kwargs.pop("locale", LOCALE)
    at = kwargs.pop("at", None)
    error = kwargs.pop("error", None)
    return envelope(
        session_ended_request(reason, error=error, locale=locale, at=at), **kwargs
    )


# --- reading responses -----------------------------------------------------------------------


def speech(response: Json) -> str | None:
    """The outputSpeech SSML of a response envelope, or None."""
    output = (response.get("response") or {}).get("outputSpeech")
    return output.get("ssml") if isinstance(output, dict) else None


def reprompt(response: Json) -> str | None:
    """The reprompt SSML of a response envelope, or None."""
    body = (response.get("response") or {}).get("reprompt")
    if not isinstance(body, dict):
        return None
    output = body.get("outputSpeech")
    return output.get("ssml") if isinstance(output, dict) else None


def ends(response: Json) -> bool | None:
    """``shouldEndSession`` as sent (None when absent)."""
    return (response.get("response") or {}).get("shouldEndSession")


def attributes(response: Json) -> Json:
    """The session attributes the response hands back (``{}`` if none)."""
    value = response.get("sessionAttributes")
    return value if isinstance(value, dict) else {}


# --- conversations ---------------------------------------------------------------------------

Handler = Callable[[Json], Json]


class Conversation:
    """One user talking to the skill: session attributes carried from turn to turn.

    ``send`` is anything that takes a request envelope and returns the response envelope (a
    Lambda handler wrapped as ``lambda event: handler(event, None)``, or an HTTP client).
    A response that ends the session (``shouldEndSession`` anything but ``False``) starts a new
    one on the next turn. ``last_event`` and ``last`` are the envelope sent and the response
    received on the latest turn.
    """

    def __init__(
        self,
        send: Handler,
        *,
        user_id: str = USER_ID,
        locale: str = LOCALE,
        skill_id: str = SKILL_ID,
        device_id: str = DEVICE_ID,
        at: Callable[[], datetime | None] = lambda: None,
        api_endpoint: str = "https://api.amazonalexa.com",
        api_token: str | None = None,
    ) -> None:
        self.send = send
        self.api_endpoint = api_endpoint
        self.api_token = api_token
        self.user_id = user_id
        self.locale = locale
        self.skill_id = skill_id
        self.device_id = device_id
        self.at = at
        self.session_id: str | None = None
        self.attributes: Json = {}
        self.last_event: Json = {}
        self.last: Json = {}

    @property
    def in_session(self) -> bool:
        return self.session_id is not None

    def new_session(self) -> None:
        self.session_id = None
        self.attributes = {}

    def _envelope(self, request_body: Json, *, new: bool) -> Json:
        return envelope(
            request_body,
            user_id=self.user_id,
            attributes=self.attributes,
            new=new,
            session_id=self.session_id,
            application_id=self.skill_id,
            device_id=self.device_id,
            api_endpoint=self.api_endpoint,
            api_token=self.api_token,
        )

    def turn(self, request_body: Json) -> Json:
        """Send ``request_body`` in the current session (a new one if none is open)."""
        new = self.session_id is None
        if new:
            self.session_id = new_id("session")
            self.attributes = {}
        event = self._envelope(request_body, new=new)
        response = self.send(event)
        self.last_event, self.last = event, response
        self.attributes = attributes(response)
        if ends(response) is not False:
            self.new_session()
        return response

    def launch(self) -> Json:
        return self.turn(launch_request(locale=self.locale, at=self.at()))

    def intent(self, name: str, slots: Mapping[str, SlotSpec] | None = None) -> Json:
        return self.turn(intent_request(name, slots, locale=self.locale, at=self.at()))

    def end_session(self, reason: str = "USER_INITIATED") -> Json | None:
        """Close an open session as Alexa does, with a SessionEndedRequest; None if none is open.

        The skill's response is returned, but whatever it says, the session is over.
        """
        if self.session_id is None:
            return None
        request_body = session_ended_request(reason, locale=self.locale, at=self.at())
        event = self._envelope(request_body, new=False)
        response = self.send(event)
        self.last_event, self.last = event, response
        self.new_session()
        return response
