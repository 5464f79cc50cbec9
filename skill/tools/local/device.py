"""A pretend Echo: typed words in, the skill's response out, with the session kept as Alexa would.

Words go through the interaction model (:mod:`skill.tools.local.model`) into the request JSON Alexa
sends (built by :mod:`skill.tools.envelopes`), then through the same Lambda handler function that
runs in AWS. Words that call the skill by name are read with Alexa's invocation grammar
(:mod:`skill.tools.invocation`): "open cramp helper" or "talk to cramp helper" opens a session,
"ask cramp helper ..." makes a one-shot request; anything else is said inside the session.
Session attributes travel from each response into the next request, and the session closes when
the skill closes it.

Words no sample fits exactly go, unless the device is ``strict``, to the approximate match
(:mod:`skill.tools.local.approximate`), standing in for Alexa's statistical NLU; the turn records
the nearest sample it used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from skill.speech import readable
from skill.tools import envelopes
from skill.tools.invocation import parse_invocation

from .approximate import ApproximateMatcher, approximate_matcher
from .model import IntentMatch, InteractionModel, normalize

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

#: Who the simulator is to the skill: one local user on one local device.
LOCAL_USER_ID = "amzn1.ask.account.LOCAL"
LOCAL_DEVICE_ID = "amzn1.ask.device.LOCAL"
#: The access token the local device's requests carry, for a local stand-in of Alexa's APIs.
LOCAL_API_TOKEN = "local-token"


def slot_specs(match: IntentMatch, skill_id: str) -> dict[str, envelopes.SlotSpec]:
    """Every slot the intent declares, as :func:`skill.tools.envelopes.intent_request` takes them.

    Unfilled slots are sent empty (Alexa sends every declared slot); built-in types carry the
    words alone, custom types their entity resolution (matched or not).
    """
    specs: dict[str, envelopes.SlotSpec] = {name: None for name in match.declared}
    for name, slot in match.slots.items():
        if slot.type.startswith("AMAZON."):
            specs[name] = slot.spoken
        elif slot.value is not None:
            specs[name] = envelopes.resolved(
                slot.spoken, slot.value.id, slot.value.name, slot_type=slot.type, skill_id=skill_id
            )
        else:
            specs[name] = envelopes.unresolved(slot.spoken, slot_type=slot.type, skill_id=skill_id)
    return specs


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
        user_id: str = LOCAL_USER_ID,
        skill_id: str = envelopes.SKILL_ID,
        locale: str = "en-US",
        api_endpoint: str | None = None,
        strict: bool = False,
    ) -> None:
        self.handler = handler
        #: Where the device's requests say Alexa's APIs are (a local stand-in, or Alexa's).
        self.api_endpoint = api_endpoint or "https://api.amazonalexa.com"
        self.model = model
        self.skill_id = skill_id
        self.locale = locale
        self.conversation = envelopes.Conversation(
            lambda event: handler(event, None),
            user_id=user_id,
            locale=locale,
            skill_id=skill_id,
            device_id=LOCAL_DEVICE_ID,
            api_endpoint=self.api_endpoint,
            api_token=LOCAL_API_TOKEN,
        )
        #: Exact sample matches only (no approximate match), as the model's coverage tests use.
        self.strict = strict
        self._approximate: ApproximateMatcher | None = None

    @property
    def user_id(self) -> str:
        return self.conversation.user_id

    @property
    def in_session(self) -> bool:
        return self.conversation.in_session

    @property
    def attributes(self) -> Mapping[str, Any]:
        """The session attributes the next request in this session carries."""
        return self.conversation.attributes

    def hear(self, words: str) -> Turn:
        """Handle what a person said to the device."""
        invocation = parse_invocation(words, self.model.invocation_name)
        if invocation is None:
            return self._understand(words, [normalize(words)])
        self.end_session("USER_INITIATED")
        if invocation.is_launch:
            return self._send(words, None, envelopes.launch_request(locale=self.locale))
        return self._understand(words, list(invocation.readings))

    def _understand(self, words: str, forms: list[str]) -> Turn:
        """The best exact match among ``forms``; failing that, the approximate one; failing
        that, FallbackIntent."""
        found = [scored for scored in map(self.model.match_scored, forms) if scored is not None]
        exact = max(found, key=lambda scored: scored[0][0]) if found else None
        if exact is not None and (self.strict or exact[0][0] == 0):
            return self._intent(words, exact[1])
        # No sample fits with every slot resolved: a near sample built around words the model
        # knows (its slots filled and all resolved) is likelier what was meant ("my hamstring
        # is really killing me tonight" is not a symptom called "really killing me tonight").
        if not self.strict:
            matcher = self._approximate_matcher()
            nearest = [hit for hit in map(matcher.match, forms) if hit] if matcher else []
            resolved = [
                hit
                for hit in nearest
                if hit.match.slots and not any(s.no_match for s in hit.match.slots.values())
            ]
            if resolved or (nearest and exact is None):
                best = max(resolved or nearest, key=lambda hit: hit.score)
                return self._intent(words, best.match, approximate=best.sample)
        if exact is not None:
            return self._intent(words, exact[1])
        return self._intent(words, self.model.fallback())

    def _approximate_matcher(self) -> ApproximateMatcher | None:
        if self._approximate is None:
            self._approximate = approximate_matcher(self.model)
        return self._approximate

    def _intent(self, words: str, match: IntentMatch, approximate: str | None = None) -> Turn:
        slots = slot_specs(match, self.skill_id)
        # Alexa leaves "slots" out for an intent that declares none.
        request = envelopes.intent_request(match.intent, slots or None, locale=self.locale)
        return self._send(words, match.intent, request, approximate)

    def _send(
        self,
        words: str,
        intent: str | None,
        request: dict[str, Any],
        approximate: str | None = None,
    ) -> Turn:
        response = self.conversation.turn(request)
        return Turn(
            heard=words,
            intent=intent,
            request=self.conversation.last_event,
            response=response,
            approximate=approximate,
        )

    def end_session(self, reason: str = "USER_INITIATED") -> Turn | None:
        """Close an open session the way Alexa does, with a SessionEndedRequest."""
        response = self.conversation.end_session(reason)
        if response is None:
            return None
        return Turn(heard="", intent=None, request=self.conversation.last_event, response=response)
