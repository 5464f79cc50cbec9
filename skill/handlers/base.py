"""What every handler shares: the content, the guide and the clock, built once with the skill."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ask_sdk_core.handler_input import HandlerInput

from ..alexa_time import TimeZoneLookup
from ..content import Content
from ..guide import Guide
from ..slots import SlotVocabulary
from ..state import TurnState


@dataclass(frozen=True)
class Deps:
    """What handlers need, built once with the skill. Immutable: shared by every request."""

    content: Content
    guide: Guide
    #: Seconds since the epoch (``time.time`` outside tests).
    clock: Callable[[], float]
    #: Finds the device's time zone (for the night voice by default); ``None`` never asks.
    time_zones: TimeZoneLookup | None = None
    #: Each locale's slot values and synonyms (:func:`skill.slots.load_vocabularies`).
    vocabularies: Mapping[str, SlotVocabulary] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def state(self, handler_input: HandlerInput) -> TurnState:
        """The turn state of this request, read at the clock's current time."""
        return TurnState(handler_input, self.content, self.clock(), self.time_zones)
