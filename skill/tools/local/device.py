"""A pretend Echo: typed words in, the skill's response out, with the session kept as Alexa would.

Words go through the interaction model (:mod:`skill.tools.local.model`) into the request JSON Alexa
sends, then through the same Lambda handler function that runs in AWS. The device opens a session
for "open cramp helper", runs one-shot requests for "ask cramp helper ...", carries session
attributes from each response into the next request, and closes the session when the skill does.

Words no sample fits exactly go, unless the device is ``strict``, to the approximate match
(:mod:`skill.tools.local.approximate`), standing in for Alexa's statistical NLU; the turn records
the nearest sample it used.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skill.speech import readable

from . import envelopes
from .approximate import ApproximateMatcher, approximate_matcher
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
    #: The nearest sample, when the words were understood only by the approximate match.
    approximate: str | None = None

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
        strict: bool = False,
    ) -> None:
        self.handler = handler
        self.model = model
        self.user_id = user_id
        self.skill_id = skill_id
        self.locale = locale
        self.session_id: str | None = None
        self.attributes: dict[str, Any] = {}
        self.invocation = normalize(model.invocation_name)
        #: Exact sample matches only (no approximate match), as the model's coverage tests use.
        self.strict = strict
        self._approximate: ApproximateMatcher | None = None

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
            return self._understand(words, self._one_shot_forms(rest))
        return self._understand(words, [text])

    @staticmethod
    def _one_shot_forms(rest: str) -> list[str]:
        """The request after the invocation name, and without its connecting word ("ask cramp
        helper *for* longer holds"), when it has one."""
        forms = [rest]
        first, _, remainder = rest.partition(" ")
        if first in _CONNECTORS and remainder:
            forms.append(remainder)
        return forms

    def _understand(self, words: str, forms: list[str]) -> Turn:
        """The best exact match among ``forms``; failing that, the approximate one; failing
        that, FallbackIntent."""
        found = [scored for scored in map(self.model.match_scored, forms) if scored is not None]
        if found:
            return self._intent(words, max(found, key=lambda scored: scored[0][0])[1])
        if not self.strict:
            matcher = self._approximate_matcher()
            nearest = [hit for hit in map(matcher.match, forms) if hit] if matcher else []
            if nearest:
                best = max(nearest, key=lambda hit: hit.score)
                return self._intent(words, best.match, approximate=best.sample)
        return self._intent(words, self.model.fallback())

    def _approximate_matcher(self) -> ApproximateMatcher | None:
        if self._approximate is None:
            self._approximate = approximate_matcher(self.model)
        return self._approximate

    def _intent(self, words: str, match: IntentMatch, approximate: str | None = None) -> Turn:
        request = envelopes.intent_request(match, locale=self.locale, skill_id=self.skill_id)
        return self._send(words, match.intent, request, approximate)

    def _send(
        self,
        words: str,
        intent: str | None,
        request: dict[str, Any],
        approximate: str | None = None,
    ) -> Turn:
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
        )
        response = self.handler(event, None)
        self.attributes = dict(response.get("sessionAttributes") or {})
        turn = Turn(
            heard=words, intent=intent, request=event, response=response, approximate=approximate
        )
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
        )
        response = self.handler(event, None)
        self.session_id = None
        self.attributes = {}
        return Turn(heard="", intent=None, request=event, response=response)
