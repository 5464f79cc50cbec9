"""The shape every handler shares: gate on the request, read it, ask the guide, respond."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_intent_name, is_request_type
from ask_sdk_model import Response

from ..alexa_time import TimeZoneLookup
from ..content import Content
from ..guide import Guide
from ..replies import Reply
from ..respond import respond
from ..state import TurnState


@dataclass(frozen=True)
class Deps:
    """What handlers need, built once with the skill. Immutable: shared by every request."""

    content: Content
    guide: Guide
    clock: Callable[[], float]
    #: Finds the device's time zone (for the night voice by default); ``None`` never asks.
    time_zones: TimeZoneLookup | None = None

    def state(self, handler_input: HandlerInput) -> TurnState:
        return TurnState(handler_input, self.content, self.clock(), self.time_zones)


Action = Callable[[HandlerInput, TurnState], Reply]
Condition = Callable[[TurnState], bool]


class IntentHandler(AbstractRequestHandler):
    """Handles the named intents (when ``when`` holds) by running ``action``."""

    def __init__(
        self, deps: Deps, names: str | Iterable[str], action: Action, when: Condition | None = None
    ) -> None:
        self.deps = deps
        self.names = frozenset([names] if isinstance(names, str) else names)
        self.action = action
        self.when = when

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if not is_request_type("IntentRequest")(handler_input):
            return False
        if get_intent_name(handler_input) not in self.names:
            return False
        return self.when is None or self.when(self.deps.state(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        state = self.deps.state(handler_input)
        return respond(state, self.action(handler_input, state))

    def __repr__(self) -> str:
        return f"IntentHandler({sorted(self.names)})"
