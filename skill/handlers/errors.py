"""The last line of defence: a handler that raised."""

from __future__ import annotations

import copy
import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from ..respond import respond
from ..state import CONTEXT, OFFER
from .base import Deps

log = logging.getLogger(__name__)

#: The session attribute each answer acts on: "yes" takes the offer, "no" reads the context.
PENDING_ACTED_ON = {"AMAZON.YesIntent": OFFER, "AMAZON.NoIntent": CONTEXT}


def _intent_name(handler_input: HandlerInput) -> str | None:
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    name = getattr(intent, "name", None)
    return name if isinstance(name, str) else None


class ApologyHandler(AbstractExceptionHandler):
    """Any exception: log it, apologise, and keep the session as it was before this turn.

    The session attributes go back to what the request carried (so "next" still means what it
    meant), and a half-done change made by the failing handler does not travel on. When the
    failing request was a "yes" or a "no", the offer or context it acted on is dropped, so
    saying it again cannot take the same failing path. Nothing is stored either (the SDK skips
    response interceptors after an exception).
    """

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        log.error("error while handling a request", exc_info=exception)
        session = handler_input.request_envelope.session
        original = session.attributes if session is not None else None
        handler_input.response_builder = type(handler_input.response_builder)()
        deps = self.deps.for_request(handler_input)
        state = deps.state(handler_input)
        response = respond(state, deps.guide.answer("error"))
        if session is not None:
            # The turn that failed never happened: the session goes on exactly as it was sent.
            restored = copy.deepcopy(original) if isinstance(original, dict) else {}
            acted_on = PENDING_ACTED_ON.get(_intent_name(handler_input) or "")
            if acted_on is not None:
                restored.pop(acted_on, None)
            handler_input.attributes_manager.session_attributes = restored
        return response
