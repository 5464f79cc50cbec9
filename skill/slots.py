"""Reading slots the way Alexa fills them: route on the resolved id, never on the raw words."""

from __future__ import annotations

from dataclasses import dataclass

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot
from ask_sdk_model import IntentRequest
from ask_sdk_model.slu.entityresolution import StatusCode

#: Slot words echoed back ("I don't have information about ...") are cut to this length.
MAX_ECHO_CHARS = 60


@dataclass(frozen=True)
class SlotReading:
    """What the user said for a slot (``spoken``) and its canonical id, if it matched one."""

    spoken: str | None = None
    id: str | None = None

    @property
    def unknown(self) -> bool:
        """Something was said, but it is not one of the slot type's values."""
        return bool(self.spoken) and self.id is None

    @property
    def echo(self) -> str:
        """The spoken words, trimmed for saying back."""
        words = " ".join((self.spoken or "").split())
        return words if len(words) <= MAX_ECHO_CHARS else words[:MAX_ECHO_CHARS].rsplit(" ", 1)[0]


def read_slot(handler_input: HandlerInput, name: str) -> SlotReading:
    """Read slot ``name`` of the current intent; an empty reading if it is absent."""
    if not isinstance(handler_input.request_envelope.request, IntentRequest):
        return SlotReading()
    slot = get_slot(handler_input, name)
    if slot is None:
        return SlotReading()
    spoken = slot.value if isinstance(slot.value, str) and slot.value.strip() else None
    resolutions = getattr(slot.resolutions, "resolutions_per_authority", None) or []
    for authority in resolutions:
        status = getattr(getattr(authority, "status", None), "code", None)
        if status == StatusCode.ER_SUCCESS_MATCH and authority.values:
            value = authority.values[0].value
            if value is not None and isinstance(value.id, str) and value.id:
                return SlotReading(spoken=spoken, id=value.id)
    return SlotReading(spoken=spoken)


def read_number(handler_input: HandlerInput, name: str) -> int | None:
    """An ``AMAZON.NUMBER`` slot as an int, or ``None`` if absent or not a number ("?")."""
    reading = read_slot(handler_input, name)
    try:
        return int((reading.spoken or "").strip())
    except ValueError:
        return None
