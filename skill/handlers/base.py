"""What every handler shares: the content, the guide and the clock, built once with the skill.

The skill speaks each locale from that locale's content (its emergency number, its medicine
names): :meth:`Deps.for_request` picks the locale's own :class:`Deps` from the request, so every
guide method works in every locale without knowing about locales.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from ask_sdk_core.handler_input import HandlerInput

from ..alexa_time import TimeZoneLookup
from ..content import Content
from ..guide import Guide
from ..slots import SlotVocabulary
from ..state import TurnState


class Deps(NamedTuple):
    """What handlers need, built once with the skill. Immutable: shared by every request."""

    content: Content
    guide: Guide
    #: Seconds since the epoch (``time.time`` outside tests).
    clock: Callable[[], float]
    #: Finds the device's time zone (for the night voice by default); ``None`` never asks.
    time_zones: TimeZoneLookup | None = None
    #: Each locale's slot values and synonyms (:func:`skill.slots.load_vocabularies`).
    vocabularies: Mapping[str, SlotVocabulary] = MappingProxyType({})
    #: Locale (``"en-GB"``) -> that locale's Deps; a locale not listed is spoken from this one.
    locales: Mapping[str, Deps] = MappingProxyType({})

    def for_request(self, handler_input: HandlerInput) -> Deps:
        """The Deps of the request's locale (``request.locale``), or these for any other."""
        locale = getattr(handler_input.request_envelope.request, "locale", None)
        if isinstance(locale, str):
            return self.locales.get(locale, self)
        return self

    def state(self, handler_input: HandlerInput) -> TurnState:
        """The turn state of this request in its locale, read at the clock's current time."""
        content = self.for_request(handler_input).content
        return TurnState(handler_input, content, self.clock(), self.time_zones)
