"""A pretend Echo: typed words in, the skill's response out, with the session kept as Alexa would.

Words go through the interaction model (:mod:`skill.tools.local.model`) into the request JSON Alexa
sends, then through the same Lambda handler function that runs in AWS. The device opens a session
for "open cramp helper", runs one-shot requests for "ask cramp helper ...", carries session
attributes from each response into the next request, and closes the session when the skill does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skill.speech import readable

from . import envelopes
from .model import IntentMatch, InteractionModel, normalize

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

_OPEN = re.compile(r"^(?:alexa )?(?:open|launch|start|begin|load|run|use) (?P<name>.+)$")
_ASK = re.compile(r"^(?:alexa )?(?:ask|tell) (?P<rest>.+)$")
#: Words Alexa lets stand between the invocation name and the request.
_CONNECTORS = ("to", "for", "about", "whether", "if", "and", "that")


@dataclass(frozen=True)
class Turn:
    """One exchange: what was heard, the request sent, the response, and how it sounds."""

    heard: str
    intent: str | None
    request: dict[str, Any]
    response: dict[str, Any]

    @property
    def ssml(self) -> str | None:
        speech = self.response.get("response", {}).get("outputSpeech") or {}
        return speech.get("ssml")

    @property
    def text(self) -> str:
        return readable(self.ssml) if self.ssml else ""

    @property
    def reprompt_text(self) -> str:
        reprompt = (self.response.get("response", {}).get("reprompt") or {}).get(
            "outputSpeech"
        ) or {}
        return readable(reprompt["ssml"]) if reprompt.get("ssml") else ""

    @property
    def session_open(self) -> bool:
        return self.response.get("response", {}).get("shouldEndSession") is False


class LocalDevice:
    """Holds one user's session with the skill between typed utterances."""

    def __init__(
        self,
        handler: LambdaHandler,
        model: InteractionModel,
        *,
        user_id: str = envelopes.LOCAL_USER_ID,
        skill_id: str = envelopes.LOCAL_SKILL_ID,
        locale: str = "en-US",
        api_endpoint: str | None = None,
    ) -> None:
        self.handler = handler
        #: Where the device's requests say Alexa's APIs are (a local stand-in, or Alexa's).
        self.api_endpoint = api_endpoint or "https://api.amazonalexa.com"
        self.model = model
        self.user_id = user_id
        self.skill_id = skill_id
        self.locale = locale
        self.session_id: str | None = None
        self.attributes: dict[str, Any] = {}
        self.invocation = normalize(model.invocation_name)

    @property
    def in_session(self) -> bool:
        return self.session_id is not None

    def hear(self, words: str) -> Turn:
        """Handle what a person said to the device."""
        text = normalize(words)
        opened = _OPEN.match(text)
        if opened and opened.group("name") == self.invocation:
            self.end_session("USER_INITIATED")
            return self._send(words, None, envelopes.launch_request(locale=self.locale))
        asked = _ASK.match(text)
        if asked and asked.group("rest").startswith(self.invocation + " "):
            self.end_session("USER_INITIATED")
            rest = asked.group("rest")[len(self.invocation) :].strip()
            return self._intent(words, self._match_one_shot(rest))
        return self._intent(words, self.model.match(text) or self.model.fallback())

    def _match_one_shot(self, rest: str) -> IntentMatch:
        """Match the request after the invocation name, with or without a connecting word
        ("ask cramp helper *for* longer holds"), whichever reads better."""
        candidates = [self.model.match_scored(rest)]
        first, _, remainder = rest.partition(" ")
        if first in _CONNECTORS and remainder:
            candidates.append(self.model.match_scored(remainder))
        found = [candidate for candidate in candidates if candidate is not None]
        if not found:
            return self.model.fallback()
        return max(found, key=lambda candidate: candidate[0][0])[1]

    def _intent(self, words: str, match: IntentMatch) -> Turn:
        request = envelopes.intent_request(match, locale=self.locale, skill_id=self.skill_id)
        return self._send(words, match.intent, request)

    def _send(self, words: str, intent: str | None, request: dict[str, Any]) -> Turn:
        new = self.session_id is None
        if new:
            self.session_id = envelopes.new_session_id()
            self.attributes = {}
        event = envelopes.envelope(
            request,
            session_id=self.session_id or "",
            new=new,
            attributes=self.attributes,
            skill_id=self.skill_id,
            user_id=self.user_id,
            api_endpoint=self.api_endpoint,
        )
        response = self.handler(event, None)
        self.attributes = dict(response.get("sessionAttributes") or {})
        turn = Turn(heard=words, intent=intent, request=event, response=response)
        if not turn.session_open:
            self.session_id = None
            self.attributes = {}
        return turn

    def end_session(self, reason: str = "USER_INITIATED") -> Turn | None:
        """Close an open session the way Alexa does, with a SessionEndedRequest."""
        if self.session_id is None:
            return None
        request = envelopes.session_ended_request(reason, locale=self.locale)
        event = envelopes.envelope(
            request,
            session_id=self.session_id,
            new=False,
            attributes=self.attributes,
            skill_id=self.skill_id,
            user_id=self.user_id,
            api_endpoint=self.api_endpoint,
        )
        response = self.handler(event, None)
        self.session_id = None
        self.attributes = {}
        return Turn(heard="", intent=None, request=event, response=response)
