"""The last line of defence: a handler that raised."""

from __future__ import annotations

import copy
import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from ..respond import respond
from .base import Deps

log = logging.getLogger(__name__)


class ApologyHandler(AbstractExceptionHandler):
    """Any exception: log it, apologise, and keep the session as it was before this turn.

    The session attributes go back to what the request carried (so "yes" or "next" still
    mean what they meant), and a half-done change made by the failing handler does not travel
    on; nothing is stored either (the SDK skips response interceptors after an exception).
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
        state = self.deps.state(handler_input)
        response = respond(state, self.deps.guide.answer("error"))
        if session is not None:
            # The turn that failed never happened: the session goes on exactly as it was sent.
            handler_input.attributes_manager.session_attributes = (
                copy.deepcopy(original) if isinstance(original, dict) else {}
            )
        return response
