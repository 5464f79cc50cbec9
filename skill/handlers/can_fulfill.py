"""Answering "could you handle this?" (``CanFulfillIntentRequest``) without doing anything.

Alexa asks skills this when someone speaks without naming one ("Alexa, how do I stop a thigh
cramp?"), to choose the skill that answers. The answer follows Amazon's rules ("Implement
CanFulfillIntentRequest for Name-free Interactions",
https://developer.amazon.com/en-US/docs/alexa/custom-skills/implement-canfulfillintentrequest-for-name-free-interaction.html):
nothing is said, no state changes, nothing is stored, and it works without a user id or a
session. The answer is ``canFulfillIntent``: YES, MAYBE or NO for the intent, and for each slot
that has a value, ``canUnderstand`` (YES, MAYBE, NO) and ``canFulfill`` (YES, NO).

The decision:

- an intent this skill does not route, and Alexa's built-in intents (they mean something only
  inside a conversation with the skill: "next", "yes", "stop"): NO;
- a slot whose words resolved to a value of its type: understood and fulfilled; words that
  matched none (an unknown medicine): neither, and so the intent NO; an entity-resolution
  error: MAYBE understood; a number slot: understood when it is a number, fulfilled when in the
  skill's range (a hold of 10 to 60 seconds);
- settings of this skill (hold length, night voice, "forget me"): MAYBE, since the words fit
  many skills; every other question and stretch of the skill: YES.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response, Slot
from ask_sdk_model.canfulfill import (
    CanFulfillIntent,
    CanFulfillIntentValues,
    CanFulfillSlot,
    CanFulfillSlotValues,
    CanUnderstandSlotValues,
)
from ask_sdk_model.slu.entityresolution import StatusCode

from ..content import MAX_HOLD_SECONDS, MIN_HOLD_SECONDS

log = logging.getLogger(__name__)

REQUEST_TYPE = "CanFulfillIntentRequest"
YES, MAYBE, NO = CanFulfillIntentValues.YES, CanFulfillIntentValues.MAYBE, CanFulfillIntentValues.NO

#: The skill's own settings: the words ("night mode", "forget me") could be meant for any skill.
MAYBE_INTENTS = frozenset({"HoldTimeIntent", "NightModeIntent", "NormalVoiceIntent",
                           "ForgetMeIntent"})
#: Number slots (``AMAZON.NUMBER``) and the range the skill can fulfill, inclusive.
NUMBER_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"Seconds": (MIN_HOLD_SECONDS, MAX_HOLD_SECONDS)}
)


def _number(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def slot_answer(slot: Slot) -> CanFulfillSlot:
    """Whether the skill understands and can fulfill one slot's value (see module docstring)."""
    value = slot.value if isinstance(slot.value, str) else ""
    number_range = NUMBER_RANGES.get(slot.name) if isinstance(slot.name, str) else None
    if number_range is not None:
        number = _number(value)
        if number is None:
            return CanFulfillSlot(CanUnderstandSlotValues.NO, CanFulfillSlotValues.NO)
        low, high = number_range
        fulfil = CanFulfillSlotValues.YES if low <= number <= high else CanFulfillSlotValues.NO
        return CanFulfillSlot(CanUnderstandSlotValues.YES, fulfil)
    authorities = getattr(slot.resolutions, "resolutions_per_authority", None) or []
    codes = [getattr(getattr(a, "status", None), "code", None) for a in authorities]
    if any(
        code == StatusCode.ER_SUCCESS_MATCH and a.values
        for code, a in zip(codes, authorities, strict=True)
    ):
        return CanFulfillSlot(CanUnderstandSlotValues.YES, CanFulfillSlotValues.YES)
    if codes and all(code == StatusCode.ER_SUCCESS_NO_MATCH for code in codes):
        return CanFulfillSlot(CanUnderstandSlotValues.NO, CanFulfillSlotValues.NO)
    # No resolution, or Alexa could not resolve it (a timeout, an error): maybe.
    return CanFulfillSlot(CanUnderstandSlotValues.MAYBE, CanFulfillSlotValues.YES)


def can_fulfill(
    name: str | None, slots: Mapping[str, Slot], known: frozenset[str]
) -> CanFulfillIntent:
    """The answer for intent ``name`` with its ``slots``, given the skill's intents ``known``.

    Only slots with a value are judged (and answered for).
    """
    filled = {
        slot_name: slot for slot_name, slot in slots.items()
        if isinstance(slot, Slot) and isinstance(slot.value, str) and slot.value.strip()
    }
    ours = name is not None and name in known and not name.startswith("AMAZON.")
    if not ours:
        no = CanFulfillSlot(CanUnderstandSlotValues.NO, CanFulfillSlotValues.NO)
        return CanFulfillIntent(NO, {slot_name: no for slot_name in filled} or None)
    answers = {slot_name: slot_answer(slot) for slot_name, slot in filled.items()}
    if any(
        a.can_understand == CanUnderstandSlotValues.NO or a.can_fulfill == CanFulfillSlotValues.NO
        for a in answers.values()
    ):
        overall = NO
    elif name in MAYBE_INTENTS or any(
        a.can_understand == CanUnderstandSlotValues.MAYBE for a in answers.values()
    ):
        overall = MAYBE
    else:
        overall = YES
    return CanFulfillIntent(overall, answers or None)


class CanFulfillIntentHandler(AbstractRequestHandler):
    """Every ``CanFulfillIntentRequest``: a ``canFulfillIntent`` answer, and nothing else."""

    def __init__(self, known_intents: frozenset[str]) -> None:
        self.known = known_intents

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type(REQUEST_TYPE)(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        intent = getattr(handler_input.request_envelope.request, "intent", None)
        name = getattr(intent, "name", None)
        slots = getattr(intent, "slots", None) or {}
        try:
            answer = can_fulfill(name if isinstance(name, str) else None, slots, self.known)
        except Exception:  # an odd request must still get a quiet answer, never speech
            log.exception("could not judge a CanFulfillIntentRequest for %s", name)
            answer = CanFulfillIntent(NO)
        verdict = answer.can_fulfill.value if answer.can_fulfill else None
        log.info("can fulfill %s: %s", name, verdict)
        return handler_input.response_builder.set_can_fulfill_intent(answer).response
